//! Causal pairs: a coordinator line and a worker line about the same step of the same job,
//! whose true order is known (ZISK-SOURCE.md §3). Matched by job, worker and step, never by
//! position in the text.

use std::collections::HashMap;
use std::sync::Arc;

use crate::event::{Event, IdRef, Role};
use crate::time::Timestamp;

/// One causal pair, both times as logged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    pub coordinator: Timestamp,
    pub worker: Timestamp,
    /// The coordinator's line came first (a dispatch before its receipt): the worker's offset
    /// θ is at most `worker − coordinator`. Otherwise at least that.
    pub forward: bool,
}

impl Pair {
    /// `t_worker − t_coordinator`, the bound the pair puts on the offset.
    pub fn bound_us(&self) -> i64 {
        self.worker.0 - self.coordinator.0
    }
}

/// The step a line is about: the coordinator's dispatch and the worker's answer share it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Step {
    /// Phase 1 (contributions, or an execution-only job's one phase).
    Partial,
    Prove,
    Aggregate,
    Cancel,
    Setup,
}

/// What a line tells about a step.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mark {
    /// Coordinator: the step was sent (to every worker of the job, or to the named one).
    Sent(Step),
    /// Coordinator: the named worker's answer arrived.
    Answered(Step),
    /// Coordinator: the named worker's answer arrived and the next step was sent to it
    /// (`Assigned worker W as aggregator`: at the first Prove result).
    AnsweredAndSent(Step, Step),
    /// Worker: the step arrived.
    Began(Step),
    /// Worker: the answer is being sent.
    Done(Step),
}

/// Coordinator templates of every release, in the order they are tried.
const COORDINATOR: &[(&str, Mark)] = &[
    ("[Phase1] Started with", Mark::Sent(Step::Partial)),
    ("[Phase1 started]", Mark::Sent(Step::Partial)),
    ("[Execution] Started with", Mark::Sent(Step::Partial)),
    ("[Phase2] Started with", Mark::Sent(Step::Prove)),
    ("[Phase2 started]", Mark::Sent(Step::Prove)),
    (
        "Dispatching Contributions task to",
        Mark::Sent(Step::Partial),
    ),
    ("Dispatching Prove task to", Mark::Sent(Step::Prove)),
    (
        "as aggregator for job",
        Mark::AnsweredAndSent(Step::Prove, Step::Aggregate),
    ),
    ("finished phase 1 for", Mark::Answered(Step::Partial)),
    ("finished execution for", Mark::Answered(Step::Partial)),
    ("finished phase 2 for", Mark::Answered(Step::Prove)),
    ("phase 3 completed for", Mark::Answered(Step::Aggregate)),
    (
        "acknowledged cancellation of job",
        Mark::Answered(Step::Cancel),
    ),
    ("completed setup for job_id", Mark::Answered(Step::Setup)),
];

/// Worker templates of every release.
const WORKER: &[(&str, Mark)] = &[
    ("Starting Partial Contribution", Mark::Began(Step::Partial)),
    ("Computing Contribution", Mark::Began(Step::Partial)),
    ("Starting Execution-only", Mark::Began(Step::Partial)),
    ("Computing Execution", Mark::Began(Step::Partial)),
    ("Starting Prove", Mark::Began(Step::Prove)),
    ("Computing Prove", Mark::Began(Step::Prove)),
    ("Starting aggregation step", Mark::Began(Step::Aggregate)),
    ("Aggregating ", Mark::Began(Step::Aggregate)),
    (
        "Contribution computation successful",
        Mark::Done(Step::Partial),
    ),
    (
        "Execution computation successful",
        Mark::Done(Step::Partial),
    ),
    ("Prove computation successful", Mark::Done(Step::Prove)),
    ("Aggregation task completed", Mark::Done(Step::Aggregate)),
    ("Completed setup for hash_id", Mark::Done(Step::Setup)),
];

fn classify(e: &Event) -> Option<Mark> {
    let table = match e.role? {
        Role::Coordinator => COORDINATOR,
        Role::Worker => WORKER,
    };
    let first = e.message.lines().next().unwrap_or("");
    if e.role == Some(Role::Worker) && is_worker_cancel(first) {
        return Some(Mark::Done(Step::Cancel));
    }
    table
        .iter()
        .find(|(text, _)| first.contains(text))
        .map(|&(_, mark)| mark)
}

/// A start-up banner's `Worker ID <id>` line: the stream's own ID, not one a line mentions.
fn is_banner(e: &Event) -> bool {
    e.ts.is_none() && e.message.trim_start().starts_with("Worker ID")
}

/// `Job <uuid> cancelled: <reason>` (and `Job JobId(…) cancelled: …`): the worker stops the
/// job, then acknowledges.
fn is_worker_cancel(first: &str) -> bool {
    first.starts_with("Job ") && first.contains(" cancelled")
}

/// The 8 characters lines of every release show of an ID.
fn key(id: &IdRef) -> Box<str> {
    id.text.chars().take(8).collect::<String>().into()
}

/// Two forms of a worker ID name the same worker: equal, or one cut from the other. A form
/// still wrapped as printed (`WorkerId(gpu-node…)`, as some banners give it) is unwrapped.
pub fn same_worker(a: &IdRef, b: &IdRef) -> bool {
    let (a_text, a_cut) = unwrap_id(a);
    let (b_text, b_cut) = unwrap_id(b);
    if a_cut || b_cut {
        a_text.starts_with(b_text) || b_text.starts_with(a_text)
    } else {
        a_text == b_text
    }
}

/// The ID's text without a `WorkerId(…)` wrapper, and whether it is cut short.
fn unwrap_id(id: &IdRef) -> (&str, bool) {
    let text = id.text.trim();
    let Some(inner) = text
        .strip_prefix("WorkerId(")
        .and_then(|t| t.strip_suffix(')'))
    else {
        return (text, id.truncated);
    };
    match inner.strip_suffix('…') {
        Some(cut) => (cut, true),
        None => (inner, id.truncated),
    }
}

/// What one worker stream said: its worker ID and its first line of each job step.
#[derive(Default, Debug)]
struct WorkerMarks {
    id: Option<IdRef>,
    /// Banners of two different workers under one label (launchd names every worker's log
    /// `zisk-worker`): its lines are several hosts', and no one offset fits them.
    mixed: bool,
    began: HashMap<(Box<str>, Step), Timestamp>,
    done: HashMap<(Box<str>, Step), Timestamp>,
}

/// Collects the lines that pair up, then matches them. Keeps one entry per (job, step) and
/// stream, never the lines themselves.
#[derive(Default, Debug)]
pub struct PairBook {
    sent: HashMap<(Box<str>, Step), Timestamp>,
    sent_to: Vec<(Box<str>, Step, IdRef, Timestamp)>,
    answered: Vec<(Box<str>, Step, IdRef, Timestamp)>,
    workers: HashMap<Arc<str>, WorkerMarks>,
    coordinator_seen: bool,
}

impl PairBook {
    /// Takes in one event of any source; true when it is a line that pairs up.
    pub fn observe(&mut self, e: &Event) -> bool {
        if e.role == Some(Role::Coordinator) {
            self.coordinator_seen = true;
        }
        if e.role == Some(Role::Worker) {
            let w = self.workers.entry(e.source.clone()).or_default();
            match (&w.id, &e.worker_id) {
                (None, Some(id)) => w.id = Some(id.clone()),
                (Some(have), Some(id)) if is_banner(e) && !same_worker(have, id) => w.mixed = true,
                _ => {}
            }
        }
        let (Some(t), Some(job)) = (e.ts, &e.job_id) else {
            return false;
        };
        let Some(mark) = classify(e) else {
            return false;
        };
        let job = key(job);
        match (mark, &e.worker_id) {
            (Mark::Sent(step), None) => {
                self.sent.entry((job, step)).or_insert(t);
            }
            (Mark::Sent(step), Some(w)) => self.sent_to.push((job, step, w.clone(), t)),
            (Mark::Answered(step), Some(w)) => self.answered.push((job, step, w.clone(), t)),
            (Mark::AnsweredAndSent(answered, sent), Some(w)) => {
                self.answered.push((job.clone(), answered, w.clone(), t));
                self.sent_to.push((job, sent, w.clone(), t));
            }
            (Mark::Began(step), _) => {
                let w = self.workers.entry(e.source.clone()).or_default();
                w.began.entry((job, step)).or_insert(t);
            }
            (Mark::Done(step), _) => {
                let w = self.workers.entry(e.source.clone()).or_default();
                w.done.entry((job, step)).or_insert(t);
            }
            _ => return false,
        }
        true
    }

    /// Forgets the lines logged before `t` (a long `tail` keeps an hour or so of pairs).
    pub fn forget_before(&mut self, t: Timestamp) {
        self.sent.retain(|_, at| *at >= t);
        self.sent_to.retain(|entry| entry.3 >= t);
        self.answered.retain(|entry| entry.3 >= t);
        for w in self.workers.values_mut() {
            w.began.retain(|_, at| *at >= t);
            w.done.retain(|_, at| *at >= t);
        }
    }

    /// Did any coordinator line pass by? Without one nothing can be aligned.
    pub fn has_coordinator(&self) -> bool {
        self.coordinator_seen
    }

    /// The matched pairs of every worker stream.
    pub fn pairs(&self) -> HashMap<Arc<str>, Vec<Pair>> {
        let mut out: HashMap<Arc<str>, Vec<Pair>> = HashMap::new();
        let mut add = |stream: &Arc<str>, coordinator: Timestamp, worker: Timestamp, forward| {
            out.entry(stream.clone()).or_default().push(Pair {
                coordinator,
                worker,
                forward,
            })
        };
        for (stream, w) in &self.workers {
            for ((job, step), &tw) in &w.began {
                if let Some(&tc) = self.sent.get(&(job.clone(), *step)) {
                    add(stream, tc, tw, true);
                }
            }
        }
        for (job, step, to, tc) in &self.sent_to {
            if let Some((stream, tw)) = self.only_stream(to, job, *step, |w| &w.began) {
                add(stream, *tc, tw, true);
            }
        }
        for (job, step, from, tc) in &self.answered {
            if let Some((stream, tw)) = self.only_stream(from, job, *step, |w| &w.done) {
                add(stream, *tc, tw, false);
            }
        }
        out.retain(|stream, _| !self.workers.get(stream).is_some_and(|w| w.mixed));
        for pairs in out.values_mut() {
            pairs.sort_by_key(|p| (p.worker, p.coordinator));
        }
        out
    }

    /// The one stream of worker `id` that logged the step, with the time; None when no stream
    /// or several did (two hosts printing the same cut ID: the pair would be a guess).
    fn only_stream<'a>(
        &'a self,
        id: &IdRef,
        job: &str,
        step: Step,
        marks: impl Fn(&WorkerMarks) -> &HashMap<(Box<str>, Step), Timestamp>,
    ) -> Option<(&'a Arc<str>, Timestamp)> {
        let mut found = None;
        for (stream, w) in &self.workers {
            if !w.id.as_ref().is_some_and(|have| same_worker(have, id)) {
                continue;
            }
            if let Some(&t) = marks(w).get(&(Box::from(job), step)) {
                if found.is_some() {
                    return None;
                }
                found = Some((stream, t));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn event(
        role: Role,
        source: &str,
        ts: i64,
        msg: &str,
        job: &str,
        worker: Option<&str>,
    ) -> Event {
        Event {
            ts: Some(Timestamp(ts)),
            sort_ts: Timestamp(ts),
            level: None,
            target: None,
            message: msg.into(),
            fields: Default::default(),
            fields_in_raw: false,
            job_id: Some(IdRef::truncated(job)),
            worker_id: worker.map(IdRef::truncated),
            phase: None,
            source: Arc::from(source),
            role: Some(role),
            origin: None,
            raw: Vec::new(),
            context: false,
            seq: 0,
            shift_us: None,
            template: None,
            release: true,
        }
    }

    #[test]
    fn pairs_match_by_job_worker_and_step_not_by_position() {
        let c = Role::Coordinator;
        let w = Role::Worker;
        let mut book = PairBook::default();
        // Two jobs interleaved; worker b is 1 s ahead.
        for e in [
            event(
                c,
                "coord",
                1_000,
                "[Phase2] Started with 2 workers for JobId(aaaaaaaa…)",
                "aaaaaaaa",
                None,
            ),
            event(
                c,
                "coord",
                2_000,
                "[Phase2] Started with 1 workers for JobId(bbbbbbbb…)",
                "bbbbbbbb",
                None,
            ),
            event(
                w,
                "b",
                1_002_500,
                "Computing Prove for JobId(bbbbbbbb…)",
                "bbbbbbbb",
                Some("wb"),
            ),
            event(
                w,
                "b",
                1_003_000,
                "Computing Prove for JobId(aaaaaaaa…)",
                "aaaaaaaa",
                Some("wb"),
            ),
            event(
                w,
                "b",
                1_009_000,
                "Prove computation successful for JobId(aaaaaaaa…)",
                "aaaaaaaa",
                Some("wb"),
            ),
            event(
                c,
                "coord",
                9_500,
                "[Phase2] wa finished phase 2 for JobId(aaaaaaaa…)",
                "aaaaaaaa",
                Some("wa"),
            ),
            event(
                c,
                "coord",
                10_000,
                "[Phase2] wb finished phase 2 for JobId(aaaaaaaa…)",
                "aaaaaaaa",
                Some("wb"),
            ),
        ] {
            book.observe(&e);
        }
        let pairs = book.pairs();
        let b = &pairs[&Arc::<str>::from("b")];
        let bounds: Vec<(i64, bool)> = b.iter().map(|p| (p.bound_us(), p.forward)).collect();
        // The line about job b pairs with job b's dispatch, whatever its position; the
        // answer pairs with wb's receipt, not wa's.
        assert!(bounds.contains(&(1_000_500, true)), "{bounds:?}");
        assert!(bounds.contains(&(1_002_000, true)), "{bounds:?}");
        assert!(bounds.contains(&(999_000, false)), "{bounds:?}");
        assert_eq!(bounds.len(), 3);
    }
}
