//! What the coordinator's lines say about each job: start and end, phase boundaries, outcome
//! and reason, and the workers it named. Fed events in time order; shared by `job` and `jobs`.

use std::sync::LazyLock;

use regex::Regex;

use crate::event::{Event, IdRef, Level, Phase};
use crate::time::Timestamp;

/// How a job ended, as the coordinator's lines say (`Running` while it has started and not
/// ended). The values of `jobs --outcome` and of the JSON schema's `outcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Completed,
    Failed,
    Cancelled,
    Running,
    Unknown,
}

/// IDs print truncated to their first 8 characters, so that is what two forms of one ID share.
pub fn id_key(id: &str) -> String {
    id.chars().take(8).collect()
}

/// Keeps the more complete of two forms of one ID (a full ID over a truncated one).
pub fn better_id(have: &mut IdRef, seen: &IdRef) {
    if have.truncated && !seen.truncated && seen.text.starts_with(&*have.text) {
        *have = seen.clone();
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PhaseSpan {
    pub name: Phase,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    /// The worker that held the phase up: the last to finish it (the aggregator, for Aggregate).
    pub held_by: Option<IdRef>,
}

/// One job as the coordinator's lines show it.
#[derive(Clone, Debug)]
pub struct JobRecord {
    pub id: IdRef,
    pub started: Option<Timestamp>,
    pub ended: Option<Timestamp>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub outcome: Option<Outcome>,
    pub reason: Option<String>,
    pub phases: Vec<PhaseSpan>,
    /// Workers named on the job's coordinator lines, in the order first named.
    pub workers: Vec<IdRef>,
    /// `Workers: N` on the start line.
    pub announced_workers: Option<usize>,
    pub lines: usize,
}

static DONE_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\((\d+)\s*/\s*(\d+) workers done").expect("valid regex"));
static WORKER_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Workers: (\d+)").expect("valid regex"));

impl JobRecord {
    pub fn new(id: IdRef) -> JobRecord {
        JobRecord {
            id,
            started: None,
            ended: None,
            first_seen: None,
            last_seen: None,
            outcome: None,
            reason: None,
            phases: Vec::new(),
            workers: Vec::new(),
            announced_workers: None,
            lines: 0,
        }
    }

    /// The outcome to report: what an end line said; `running` when the job started and has
    /// not ended; `unknown` when neither its start nor its end was seen.
    pub fn outcome(&self) -> Outcome {
        match self.outcome {
            Some(o) => o,
            None if self.started.is_some() => Outcome::Running,
            None => Outcome::Unknown,
        }
    }

    /// The start to report: the `[Job] Started` line, else the first line seen.
    pub fn start(&self) -> Option<Timestamp> {
        self.started.or(self.first_seen)
    }

    pub fn duration_s(&self) -> Option<f64> {
        Some(self.ended?.seconds_since(self.start()?))
    }

    /// Takes in one coordinator line naming this job.
    pub fn observe(&mut self, e: &Event) {
        self.lines += 1;
        if let Some(id) = &e.job_id {
            better_id(&mut self.id, id);
        }
        let ts = e.ts;
        if let Some(t) = ts {
            self.first_seen.get_or_insert(t);
            self.last_seen = Some(t);
        }
        if let Some(w) = &e.worker_id {
            match self
                .workers
                .iter_mut()
                .find(|have| id_key(&have.text) == id_key(&w.text))
            {
                Some(have) => better_id(have, w),
                None => self.workers.push(w.clone()),
            }
        }
        let m = e.message.as_str();
        if m.contains("[Job] Started") {
            self.started = self.started.or(ts);
            if let Some(c) = WORKER_COUNT.captures(m) {
                self.announced_workers = c[1].parse().ok();
            }
        }
        self.phase_marks(m, ts, e.worker_id.as_ref());
        if self.outcome.is_some() {
            return;
        }
        let end = if m.contains("[Job] Finished") && m.contains("successfully")
            || m.contains("[Execution] Job") && m.contains("completed successfully")
        {
            Some((Outcome::Completed, None))
        } else if let Some(pos) = m.find("Failed job") {
            Some((Outcome::Failed, reason_in(&m[pos..])))
        } else if m.contains("Cancelled job") {
            Some((Outcome::Cancelled, reason_in(m)))
        } else if e.level == Some(Level::Error) && m.contains("timed out") {
            Some((Outcome::Failed, Some(m.to_string())))
        } else {
            None
        };
        if let Some((outcome, reason)) = end {
            self.outcome = Some(outcome);
            self.reason = reason;
            self.ended = ts;
        }
    }

    fn phase_marks(&mut self, m: &str, ts: Option<Timestamp>, worker: Option<&IdRef>) {
        let tagged = |tag: &str| m.contains(tag);
        let started = |m: &str| m.contains("] Started with");
        let all_done = || DONE_COUNT.captures(m).is_some_and(|c| c[1] == c[2]);
        if tagged("[Phase1]") && started(m) {
            self.phase(Phase::contributions())
                .start
                .get_or_insert_with(|| ts.unwrap_or_default());
        } else if tagged("[Phase1]") && m.contains("finished phase 1") && all_done() {
            self.phase(Phase::contributions()).end = ts;
            self.phase(Phase::contributions()).held_by = worker.cloned();
        } else if tagged("[Phase2]") && started(m) {
            self.phase(Phase::prove())
                .start
                .get_or_insert_with(|| ts.unwrap_or_default());
        } else if tagged("[Phase2]") && m.contains("finished phase 2") && all_done() {
            self.phase(Phase::prove()).end = ts;
            self.phase(Phase::prove()).held_by = worker.cloned();
        } else if tagged("[Phase3]") && m.contains("Assigned worker") {
            self.phase(Phase::aggregate())
                .start
                .get_or_insert_with(|| ts.unwrap_or_default());
            self.phase(Phase::aggregate()).held_by = worker.cloned();
        } else if tagged("[Phase3]") && m.contains("phase 3 completed") {
            self.phase(Phase::aggregate()).end = ts;
        } else if tagged("[Execution]") && started(m) {
            self.phase(Phase::execution())
                .start
                .get_or_insert_with(|| ts.unwrap_or_default());
        } else if tagged("[Execution]") && m.contains("finished execution") && all_done() {
            self.phase(Phase::execution()).end = ts;
            self.phase(Phase::execution()).held_by = worker.cloned();
        }
    }

    fn phase(&mut self, name: Phase) -> &mut PhaseSpan {
        let i = match self.phases.iter().position(|p| p.name == name) {
            Some(i) => i,
            None => {
                self.phases.push(PhaseSpan {
                    name,
                    start: None,
                    end: None,
                    held_by: None,
                });
                self.phases.len() - 1
            }
        };
        &mut self.phases[i]
    }
}

/// `... (reason: worker lost (device 0))` → `worker lost (device 0)`: the text after `reason: `
/// up to the parenthesis that closes the one it opened in.
fn reason_in(m: &str) -> Option<String> {
    let start = m.find("reason: ")? + "reason: ".len();
    let rest = &m[start..];
    let opened = m[..start].ends_with("(reason: ");
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 && opened => return Some(rest[..i].trim().to_string()),
            ')' => depth -= 1,
            _ => {}
        }
    }
    Some(rest.trim().to_string()).filter(|r| !r.is_empty())
}

/// Every job the coordinator's lines name, in the order first seen.
#[derive(Default)]
pub struct JobBook {
    pub jobs: Vec<JobRecord>,
    /// Position in `jobs` by ID key: a busy coordinator names tens of thousands of jobs.
    index: std::collections::HashMap<String, usize>,
}

impl JobBook {
    pub fn observe(&mut self, e: &Event) {
        let Some(id) = &e.job_id else { return };
        let jobs = &mut self.jobs;
        let i = *self.index.entry(id_key(&id.text)).or_insert_with(|| {
            jobs.push(JobRecord::new(id.clone()));
            jobs.len() - 1
        });
        self.jobs[i].observe(e);
    }

    /// Jobs whose ID the query (a full ID or a prefix) names.
    pub fn matching(&self, query: &str) -> Vec<&JobRecord> {
        self.jobs
            .iter()
            .filter(|j| j.id.matches_query(query))
            .collect()
    }
}

/// The reason a worker gives when it cancels its part of a job: `Job <job> cancelled: <reason>`.
pub fn worker_cancel_reason(m: &str) -> Option<String> {
    let pos = m.find(" cancelled: ")?;
    m[..pos]
        .contains("Job ")
        .then(|| m[pos + " cancelled: ".len()..].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_keep_inner_parentheses() {
        assert_eq!(
            reason_in("Failed job JobId(1a2b3c4d…) (reason: Prove failed on 1 worker: CUDA error: out of memory (device 0, requested 6.25 GiB))"),
            Some("Prove failed on 1 worker: CUDA error: out of memory (device 0, requested 6.25 GiB)".into())
        );
        assert_eq!(
            reason_in("Failed job x (reason: worker dropped)"),
            Some("worker dropped".into())
        );
        assert_eq!(reason_in("Cancelled job x"), None);
        assert_eq!(
            worker_cancel_reason("Job JobId(1a2b3c4d…) cancelled: job failed"),
            Some("job failed".into())
        );
    }
}
