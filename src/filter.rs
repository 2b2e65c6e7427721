//! The filters of `tail` and `job`, combined with AND, and the cheap byte test derived from them.

use regex::Regex;

use crate::event::{Event, Level, Phase};
use crate::parse::Prefilter;
use crate::time::Timestamp;

/// An ID as the user typed it: a full ID or a prefix of at least 4 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdQuery(String);

impl IdQuery {
    pub const MIN_PREFIX: usize = 4;

    pub fn parse(s: &str) -> Result<IdQuery, String> {
        let s = s.trim();
        let s = s
            .strip_prefix("JobId(")
            .or_else(|| s.strip_prefix("WorkerId("))
            .map(|inner| {
                inner
                    .trim_end_matches(')')
                    .trim_end_matches('…')
                    .trim_end_matches("...")
            })
            .unwrap_or(s);
        if s.is_empty() {
            return Err("an ID cannot be empty".into());
        }
        // UUIDs are printed in lower case; accept what a user pastes in upper case.
        let is_hex_id = s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        Ok(IdQuery(if is_hex_id {
            s.to_ascii_lowercase()
        } else {
            s.to_string()
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every line that names this ID contains this literal: truncated forms show the first
    /// 8 characters, full forms all of them.
    pub fn literal(&self) -> String {
        self.0.chars().take(8).collect()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// That level and everything more severe.
    pub level: Option<Level>,
    pub phase: Option<Phase>,
    pub job: Option<IdQuery>,
    pub worker: Option<IdQuery>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub grep: Option<Regex>,
    /// Select the messages `grep` does not match.
    pub invert: bool,
    pub exclude: Option<Regex>,
}

impl Filter {
    pub fn matches(&self, e: &Event) -> bool {
        if let Some(max) = self.level {
            match e.level {
                Some(l) if l <= max => {}
                _ => return false,
            }
        }
        if let Some(want) = &self.phase {
            if !e.phase.as_ref().is_some_and(|p| p.matches(want)) {
                return false;
            }
        }
        if let Some(job) = &self.job {
            if !e
                .job_id
                .as_ref()
                .is_some_and(|id| id.matches_query(job.as_str()))
            {
                return false;
            }
        }
        if let Some(worker) = &self.worker {
            // By ID, or by the source label the output shows for the worker.
            let by_id = e
                .worker_id
                .as_ref()
                .is_some_and(|id| id.matches_query(worker.as_str()));
            if !by_id && !e.source.eq_ignore_ascii_case(worker.as_str()) {
                return false;
            }
        }
        if !self.in_time(e) {
            return false;
        }
        self.matches_patterns(e)
    }

    /// `-g` (or `-v -g`) and `--exclude` on the message.
    pub fn matches_patterns(&self, e: &Event) -> bool {
        if let Some(re) = &self.grep {
            if re.is_match(&e.message) == self.invert {
                return false;
            }
        }
        !self
            .exclude
            .as_ref()
            .is_some_and(|re| re.is_match(&e.message))
    }

    /// Has it `-g` or `--exclude` patterns?
    pub fn has_patterns(&self) -> bool {
        self.grep.is_some() || self.exclude.is_some()
    }

    /// The same filter without its patterns (for -A/-B/-C, which apply them after the merge).
    pub fn without_patterns(&self) -> Filter {
        Filter {
            grep: None,
            invert: false,
            exclude: None,
            ..self.clone()
        }
    }

    /// `--since`/`--until` on the event's own time (untimed lines go with the event before them).
    pub fn in_time(&self, e: &Event) -> bool {
        let t = e.ts.unwrap_or(e.sort_ts);
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }

    /// The byte test that no matching event can fail: the job ID's literal, the level words,
    /// the phase name and the words it is derived from (most selective first).
    pub fn prefilter(&self) -> Prefilter {
        let mut p = Prefilter::default();
        if let Some(job) = &self.job {
            p = p.and_job(&job.literal());
        }
        if let Some(level) = self.level {
            p = p.and_level(level);
        }
        if let Some(phase) = &self.phase {
            p = p.and_phase(phase.as_str(), &crate::derive::phase_words(phase));
        }
        p
    }

    pub fn is_empty(&self) -> bool {
        self.level.is_none()
            && self.phase.is_none()
            && self.job.is_none()
            && self.worker.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && !self.has_patterns()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::IdRef;

    #[test]
    fn id_queries_match_truncated_and_full_forms() {
        let full = "1a2b3c4d-0000-4000-8000-00000000abcd";
        let q = IdQuery::parse(&full.to_uppercase()).unwrap();
        assert!(IdRef::truncated("1a2b3c4d").matches_query(q.as_str()));
        assert!(IdRef::full(full).matches_query(q.as_str()));
        assert!(!IdRef::truncated("1a2b3c4e").matches_query(q.as_str()));
        let prefix = IdQuery::parse("1a2b").unwrap();
        assert!(IdRef::truncated("1a2b3c4d").matches_query(prefix.as_str()));
        assert!(IdRef::full(full).matches_query(prefix.as_str()));
        assert_eq!(
            IdQuery::parse("JobId(1a2b3c4d…)").unwrap().as_str(),
            "1a2b3c4d"
        );
    }
}
