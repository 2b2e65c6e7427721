//! Ground-truth records and the rules that derive them.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    Contributions,
    Prove,
    Aggregate,
    Execution,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Contributions => "Contributions",
            Phase::Prove => "Prove",
            Phase::Aggregate => "Aggregate",
            Phase::Execution => "Execution",
        }
    }
}

/// `JobId(` + first 8 chars + `…)`; IDs of 8 chars or fewer print whole.
pub fn short(kind: &str, id: &str) -> String {
    if id.chars().count() <= 8 {
        format!("{kind}({id})")
    } else {
        let head: String = id.chars().take(8).collect();
        format!("{kind}({head}\u{2026})")
    }
}

pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' && it.peek() == Some(&'[') {
            it.next();
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One row of events.jsonl: one tracing event or one banner line, in file order.
///
/// `worker_id` rule: on the coordinator's lines, the worker the line names (in its message or
/// its structured `worker_id` field), else null; on a worker's own lines (banner included), that
/// worker's own ID. `job_id`: the full ID of the job named by a structured field, an enclosing
/// span or (full or truncated) in the message. `phase`: the structured `phase` (field or span)
/// if present, else the rule of `phases.rs`. `true_ts` is the time without the host's clock
/// skew, `order` the line's place in the cluster's true emission order.
#[derive(Serialize, Debug, Clone)]
pub struct EventRow {
    pub file: String,
    pub line: usize,
    pub ts: Option<String>,
    pub level: Option<&'static str>,
    pub target: Option<&'static str>,
    pub message: String,
    pub job_id: Option<String>,
    pub worker_id: Option<String>,
    pub phase: Option<&'static str>,
    pub role: &'static str,
    pub true_ts: String,
    pub order: u64,
}

#[derive(Serialize, Debug, Clone)]
pub struct WorkerTruth {
    pub worker_id: String,
    /// The ID as its logs let a reader know it: the full ID when some line prints it whole,
    /// else the 8-character prefix the truncated form shows.
    pub logged_id: String,
    pub file: String,
    pub skew_ms: i64,
    /// Formats in file order (one entry unless the host switched format after a restart).
    pub formats: Vec<&'static str>,
}

#[derive(Serialize, Debug, Clone)]
pub struct PhaseTruth {
    pub name: &'static str,
    pub start: Option<String>,
    pub end: Option<String>,
    /// The coordinator's own duration for the phase, when it logs one.
    pub coordinator_s: Option<f64>,
    /// Each worker's part: from the phase's start (the aggregator's: its assignment) to the
    /// coordinator's line that ends that worker's part, or the line that ends the job.
    pub workers: Vec<WorkerWindow>,
}

#[derive(Serialize, Debug, Clone)]
pub struct WorkerWindow {
    pub worker_id: String,
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Serialize, Debug, Clone)]
pub struct FileLine {
    pub file: String,
    pub line: usize,
}

#[derive(Serialize, Debug, Clone)]
pub struct JobTruth {
    pub job_id: String,
    /// prove | execute | setup | wrap
    pub job_kind: &'static str,
    pub outcome: &'static str,
    pub reason: Option<String>,
    pub workers: Vec<String>,
    pub aggregator: Option<String>,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub phases: Vec<PhaseTruth>,
    pub first_error: Option<FileLine>,
}

#[derive(Serialize, Debug, Clone)]
pub struct ClusterTruth {
    pub cluster: String,
    /// The ZisK release whose shapes the logs follow (`domain`: DOMAIN.md's documented shape).
    pub release: &'static str,
    pub format: &'static str,
    pub shape: &'static str,
    pub level: &'static str,
    pub coordinator: String,
    pub coordinator_skew_ms: i64,
    pub coordinator_formats: Vec<&'static str>,
    pub workers: Vec<WorkerTruth>,
    pub jobs: Vec<JobTruth>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_and_ansi() {
        assert_eq!(short("JobId", "1a2b3c4d-0000-4000-8000-000000000000"), "JobId(1a2b3c4d\u{2026})");
        assert_eq!(short("WorkerId", "gpu-07"), "WorkerId(gpu-07)");
        assert_eq!(short("WorkerId", "12345678"), "WorkerId(12345678)");
        assert_eq!(strip_ansi("\x1b[32mok \u{2714}\x1b[0m \x1b[1mD\x1b[0m"), "ok \u{2714} D");
    }
}
