//! Who a failed job is blamed on, and the worker's own line that explains the failure: the
//! summary's `culprit` and `root_cause`, with commands to look further at that worker.

use serde::Serialize;

use crate::event::{Event, IdRef, Level, Role};
use crate::render::JsonEvent;
use crate::time::Timestamp;
use crate::trail::record::JobRecord;
use crate::trail::stitch::WorkerTie;
use crate::trail::streams::{json_id, same_worker};
use crate::trail::summary::{job_id_display, order_key, SummaryWorker};
use crate::trail::wording::worker_cancel_reason;
use crate::trail::Outcome;

/// How far around the job the suggested `tail` reads a worker's logs.
const LOOK_AROUND_US: i64 = 60_000_000;

/// The worker blamed for a job that did not complete; key order is part of the schema.
#[derive(Serialize)]
pub struct Culprit<'a> {
    pub worker_id: String,
    /// The label of its logs (host, pod/container, file stem); null when they were not found.
    pub name: Option<String>,
    /// The SOURCE its logs were read from; null when they were not found.
    pub source: Option<String>,
    pub reason: Option<String>,
    /// The root cause, when that line is this worker's.
    pub event: Option<JsonEvent<'a>>,
    pub commands: Vec<String>,
}

/// A job that ended without completing, or whose end is unknown, has a failure to explain.
fn unexplained(record: &JobRecord) -> bool {
    matches!(record.outcome(), Outcome::Failed | Outcome::Cancelled)
}

/// The worker's own line that explains the failure: the first ERROR a worker logged about the
/// job (its `Caused by:` lines are part of the event), else its first WARN. Never the
/// coordinator's generic `Failed job` line, nor a worker passing on the coordinator's
/// cancellation (`Job … cancelled: <reason>`: an effect); None for a job that did not fail.
pub fn root_cause<'e>(record: &JobRecord, events: &'e [Event]) -> Option<&'e Event> {
    if !unexplained(record) {
        return None;
    }
    let first_own = |level: Level| {
        events
            .iter()
            .filter(|e| !e.context && e.role == Some(Role::Worker) && e.level == Some(level))
            .filter(|e| worker_cancel_reason(&e.message).is_none())
            .min_by(|a, b| order_key(a).cmp(&order_key(b)))
    };
    first_own(Level::Error).or_else(|| first_own(Level::Warn))
}

/// The worker whose logs hold an event: the stream it came from, else the ID it names.
fn tie_of(e: &Event, ties: &[WorkerTie]) -> Option<usize> {
    ties.iter()
        .position(|t| t.streams.iter().any(|(_, label)| *label == e.source))
        .or_else(|| {
            let id = e.worker_id.as_ref()?;
            ties.iter().position(|t| same_worker(&t.id, id))
        })
}

/// The worker blamed: the one the failure reason names (or the coordinator's first error on the
/// job, `Worker WorkerId(…) connection dropped …`), else the one whose own logs erred on
/// the job first, else for a phase timeout the one that held the phase up, else the job's only
/// worker. A cut ID several workers share is the one whose own logs erred on the job.
fn blamed(
    record: &JobRecord,
    events: &[Event],
    ties: &[WorkerTie],
    root: Option<usize>,
) -> Option<(IdRef, Option<usize>)> {
    let names = |m: &str| crate::derive::ids_in_message(m).worker;
    let coordinator_says = || {
        events
            .iter()
            .filter(|e| !e.context && e.role == Some(Role::Coordinator))
            .filter(|e| e.level == Some(Level::Error))
            .find_map(|e| names(&e.message))
    };
    let named = record
        .reason
        .as_deref()
        .and_then(names)
        .or_else(coordinator_says)
        .or_else(|| root.map(|i| ties[i].id.clone()))
        .or_else(|| record.held_up())
        .or_else(|| (record.workers.len() == 1).then(|| record.workers[0].clone()))?;
    let matching: Vec<usize> = (0..ties.len())
        .filter(|&i| same_worker(&ties[i].id, &named))
        .collect();
    let tie = match matching[..] {
        [only] => Some(only),
        _ => root.filter(|i| matching.contains(i)),
    };
    Some((named, tie))
}

/// The culprit of a job that did not complete; None for a completed or running job.
pub fn culprit<'a>(
    record: &JobRecord,
    events: &'a [Event],
    ties: &[WorkerTie],
    rows: &[SummaryWorker],
    job_id: &str,
    reason: Option<String>,
) -> Option<Culprit<'a>> {
    if !unexplained(record) {
        return None;
    }
    let cause = root_cause(record, events);
    let root = cause.and_then(|e| tie_of(e, ties));
    let (named, tie) = blamed(record, events, ties, root)?;
    // `worker_rows` gives one row per tie, in order.
    let row = tie.and_then(|i| rows.get(i));
    let worker_id = row.map_or_else(|| json_id(&named), |r| r.worker_id.clone());
    let name = tie.and_then(|i| ties[i].streams.first().map(|(_, l)| l.to_string()));
    // A cut ID may begin another worker's too: its logs' label names it alone.
    let look_for = match (tie, &name) {
        (Some(i), Some(name)) if ties[i].id.truncated => name.clone(),
        _ => worker_id.clone(),
    };
    Some(Culprit {
        name,
        source: row.and_then(|r| r.source.clone()),
        reason,
        event: cause
            .filter(|_| tie.is_some() && root == tie)
            .map(|e| JsonEvent::new(e, Some(job_id_display(e, record)))),
        commands: commands(record, job_id, &look_for),
        worker_id,
    })
}

/// Where to look further: the worker's logs around the job (`worker` is its ID or its logs'
/// label, which `--worker-id` takes too), and the job's warnings.
fn commands(record: &JobRecord, job_id: &str, worker: &str) -> Vec<String> {
    let whole_second = |us: i64| us.div_euclid(1_000_000) * 1_000_000;
    let mut tail = format!("zisk-logs tail --worker-id {}", shell_word(worker));
    if let Some(start) = record.start() {
        let since = Timestamp(whole_second(start.0) - LOOK_AROUND_US);
        tail.push_str(&format!(" --since {since}"));
    }
    if let Some(end) = record.ended {
        let until = Timestamp(whole_second(end.0) + 1_000_000 + LOOK_AROUND_US);
        tail.push_str(&format!(" --until {until}"));
    }
    vec![
        tail,
        format!("zisk-logs job {} --level warn", shell_word(job_id)),
    ]
}

/// An ID as a shell reads it back: bare when it is plain, else single-quoted.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The innermost cause an error gives: its last `Caused by:` step (`1: CUDA error: …` without
/// the step number), or the message itself when it has no such steps.
pub fn deepest_cause(message: &str) -> &str {
    if !message.contains("Caused by:") {
        return message;
    }
    let last = message
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or(message);
    match last.split_once(": ") {
        Some((step, rest)) if step.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => last,
    }
}

#[cfg(test)]
mod tests {
    use super::{deepest_cause, shell_word};

    #[test]
    fn the_deepest_cause_is_the_last_caused_by_step() {
        let m = "Failed to generate proof\n\nCaused by:\n    0: allocating\n    1: CUDA error: out of memory";
        assert_eq!(deepest_cause(m), "CUDA error: out of memory");
        assert_eq!(deepest_cause("no steps: here"), "no steps: here");
        assert_eq!(deepest_cause("x\nCaused by:\n    disk full"), "disk full");
    }

    #[test]
    fn ids_are_quoted_only_when_a_shell_would_split_them() {
        assert_eq!(shell_word("gpu-node-01"), "gpu-node-01");
        assert_eq!(shell_word("f38b6922"), "f38b6922");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
