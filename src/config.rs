//! The validated configuration every command runs with: sources with their roles, output
//! format and colour, and the checks of user-given levels, job IDs and patterns. Built from the
//! flags in `cli.rs`, so everything that can fail on bad input fails there, once.

use std::collections::HashMap;

use regex::Regex;

use crate::escape::Net;
use crate::event::{Level, Phase, Role};
use crate::filter::IdQuery;
use crate::render::Format;
use crate::source::SourceOptions;
use crate::terminal::Terminal;

/// A SOURCE and the role of its logs.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceSpec {
    pub spec: String,
    pub role: Option<Role>,
}

pub struct Config {
    pub sources: Vec<SourceSpec>,
    /// Worker IDs the topology file sets by hand, by SOURCE string.
    pub source_ids: HashMap<String, String>,
    pub format: Format,
    pub color: bool,
    /// `-o raw` shows control characters escaped (to a terminal, unless `--raw-bytes`).
    pub raw_escaped: bool,
    pub source_options: SourceOptions,
    /// The terminal on stdout; `None` in a pipe.
    pub terminal: Option<Terminal>,
    /// Fit tables and the summary to the terminal (no `--no-trunc`).
    pub truncate: bool,
}

impl Config {
    /// The width to fit tables and the summary to: the terminal's, unless `--no-trunc`.
    pub fn fit_width(&self) -> Option<usize> {
        self.terminal.filter(|_| self.truncate).map(|t| t.columns)
    }

    /// The width to draw the timeline in: the terminal's; in a pipe `COLUMNS`, else 100.
    pub fn draw_width(&self) -> usize {
        self.terminal
            .map(|t| t.columns)
            .or_else(crate::terminal::columns_variable)
            .unwrap_or(100)
    }
}

impl Config {
    /// The last escaping net on stdout: off only for bytes meant for a program (`-o raw`
    /// into a pipe or with `--raw-bytes`, OpenMetrics for promtool).
    pub fn output_net(&self) -> Net {
        match self.format {
            Format::Json => Net::Json,
            Format::Raw if !self.raw_escaped => Net::Off,
            Format::Openmetrics => Net::Off,
            _ => Net::Text,
        }
    }
}

pub fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s)
        .ok_or_else(|| format!("unknown level {s:?}: expected error, warn, info, debug or trace"))
}

/// A phase by name, any case; the `[Phase1]`..`[Phase3]` tags the coordinator logs name
/// theirs. Anything else is an error listing the names the releases use.
pub fn parse_phase(s: &str) -> Result<Phase, String> {
    let alias = match s.trim().to_ascii_lowercase().as_str() {
        "phase1" => "Contributions",
        "phase2" => "Prove",
        "phase3" => "Aggregate",
        _ => s,
    };
    let phase = Phase::new(alias);
    if Phase::KNOWN.contains(&phase.as_str()) {
        return Ok(phase);
    }
    let near = Phase::KNOWN.iter().find(|k| {
        let typed = s.trim().to_ascii_lowercase();
        let known = k.to_ascii_lowercase();
        typed.len() >= 4 && (known.starts_with(&typed[..4]) || typed.starts_with(&known))
    });
    let hint = near
        .map(|k| format!(" (did you mean {k}?)"))
        .unwrap_or_default();
    Err(format!(
        "unknown phase {s:?}{hint}: expected {} (any case), or Phase1, Phase2, Phase3",
        Phase::KNOWN.join(", ")
    ))
}

pub fn parse_job_query(s: &str) -> Result<IdQuery, String> {
    let q = IdQuery::parse(s)?;
    if q.as_str().chars().count() < IdQuery::MIN_PREFIX {
        return Err(format!(
            "job ID {s:?} is too short: give the full ID or at least {} characters",
            IdQuery::MIN_PREFIX
        ));
    }
    Ok(q)
}

/// The largest a `--grep` pattern may compile to (the regex crate's default, said here).
const REGEX_SIZE_LIMIT: usize = 10 << 20;
/// The lazy DFA's cache per matching thread. At the crate's default (2 MiB) a long pattern of
/// bounded repetitions (`a[a-z ]{8,35}q[0-9]{2}|…`, 54 KB) clears the cache on nearly every
/// line and falls back to the slow NFA simulation: minutes where `grep -E` takes seconds.
/// It grows only as a pattern needs it.
const REGEX_DFA_LIMIT: usize = 64 << 20;

pub fn parse_regex(s: &str, flag: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(s)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "{flag}: the regular expression is too large once compiled (over {} MiB; \
                 bounded repetitions like {{1,40}} and Unicode classes like \\w multiply it): \
                 use fewer alternatives, smaller counts, or (?-u:\\w)",
                limit >> 20
            ),
            e => format!("{flag}: bad regular expression: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_by_name_any_case_or_tag_and_a_clear_error_otherwise() {
        for (typed, meant) in [
            ("prove", "Prove"),
            ("CONTRIBUTIONS", "Contributions"),
            ("contributionshintsstream", "ContributionsHintsStream"),
            ("Phase2", "Prove"),
            ("phase3", "Aggregate"),
            ("execution", "Execution"),
        ] {
            assert_eq!(parse_phase(typed).unwrap().as_str(), meant, "{typed}");
        }
        let err = parse_phase("Banana").unwrap_err();
        for name in Phase::KNOWN {
            assert!(err.contains(name), "{err}");
        }
        assert!(parse_phase("Aggregation")
            .unwrap_err()
            .contains("did you mean Aggregate?"));
        assert!(parse_phase("Phase4").is_err());
    }
}
