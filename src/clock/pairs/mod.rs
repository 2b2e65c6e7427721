//! Causal pairs: a coordinator line and a worker line about the same step of the same job,
//! whose true order is known (ZISK-SOURCE.md §3). Matched by job, worker and step, never by
//! position in the text.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind};

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
    // v0.12 names no worker: the k-th of the job's answers arrived (see `PairBook::pairs`).
    ("[Phase1 progress]", Mark::Answered(Step::Partial)),
    ("[Phase2 progress]", Mark::Answered(Step::Prove)),
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

/// The texts a line that pairs up shows: the worker's (with its cancel line's word), and the
/// coordinator's. A reader narrowed to one job lets these through too, so that every pair in
/// what it reads anyway (other jobs' steps in the same window) pins the clocks.
pub fn worker_literals() -> Vec<String> {
    WORKER
        .iter()
        .map(|(text, _)| text.to_string())
        .chain([" cancelled".to_string()])
        .collect()
}

pub fn coordinator_literals() -> Vec<String> {
    COORDINATOR
        .iter()
        .map(|(text, _)| text.to_string())
        .collect()
}

/// Does this line take part in a causal pair (a timed line about a job step)?
pub fn pairs_up(e: &Event) -> bool {
    e.ts.is_some() && e.job_id.is_some() && classify(e).is_some()
}

fn classify(e: &Event) -> Option<Mark> {
    static SEARCH: OnceLock<[AhoCorasick; 2]> = OnceLock::new();
    let [coordinator, worker] = SEARCH.get_or_init(|| {
        let of = |table: &[(&str, Mark)]| {
            AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::DFA))
                .build(table.iter().map(|(text, _)| text))
                .expect("a few short literals always build")
        };
        [of(COORDINATOR), of(WORKER)]
    });
    let (table, search) = match e.role? {
        Role::Coordinator => (COORDINATOR, coordinator),
        Role::Worker => (WORKER, worker),
    };
    let first = e.message.lines().next().unwrap_or("");
    if e.role == Some(Role::Worker) && is_worker_cancel(first) {
        return Some(Mark::Done(Step::Cancel));
    }
    // The first template of the table the line holds (one search for all of them).
    search
        .find_overlapping_iter(first)
        .map(|m| m.pattern().as_usize())
        .min()
        .map(|i| table[i].1)
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
    /// Per job, every `Starting aggregation step`: one per proof the coordinator forwards.
    agg_steps: HashMap<Box<str>, Vec<Timestamp>>,
}

/// Collects the lines that pair up, then matches them. Keeps one entry per (job, step) and
/// stream, never the lines themselves.
#[derive(Default, Debug)]
pub struct PairBook {
    sent: HashMap<(Box<str>, Step), Timestamp>,
    sent_to: Vec<(Box<str>, Step, IdRef, Timestamp)>,
    /// Answers received, from the named worker (None: v0.12's anonymous progress lines).
    answered: Vec<(Box<str>, Step, Option<IdRef>, Timestamp)>,
    /// Per job, the times the coordinator received a proof (one line per Prove answer).
    proofs: HashMap<Box<str>, Vec<Timestamp>>,
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
        if let Mark::Answered(Step::Prove) = mark {
            self.proofs.entry(job.clone()).or_default().push(t);
        }
        if e.role == Some(Role::Worker) && e.message.starts_with("Starting aggregation step") {
            let w = self.workers.entry(e.source.clone()).or_default();
            w.agg_steps.entry(job.clone()).or_default().push(t);
        }
        match (mark, &e.worker_id) {
            (Mark::Sent(step), None) => {
                self.sent.entry((job, step)).or_insert(t);
            }
            (Mark::Sent(step), Some(w)) => self.sent_to.push((job, step, w.clone(), t)),
            (Mark::Answered(step), w) => self.answered.push((job, step, w.clone(), t)),
            (Mark::AnsweredAndSent(answered, sent), Some(w)) => {
                self.answered
                    .push((job.clone(), answered, Some(w.clone()), t));
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
        // A job whose first lines are forgotten is forgotten whole: its k-th proof and k-th
        // step must both be counted from the first.
        self.proofs
            .retain(|_, v| v.first().is_some_and(|at| *at >= t));
        for w in self.workers.values_mut() {
            w.began.retain(|_, at| *at >= t);
            w.done.retain(|_, at| *at >= t);
            w.agg_steps
                .retain(|_, v| v.first().is_some_and(|at| *at >= t));
        }
    }

    /// Did any coordinator line pass by? Without one nothing can be aligned.
    pub fn has_coordinator(&self) -> bool {
        self.coordinator_seen
    }

    /// The matched pairs of every worker stream.
    pub fn pairs(&self) -> HashMap<Arc<str>, Vec<Pair>> {
        let began = StepIndex::of(&self.workers, |w| &w.began);
        let done = StepIndex::of(&self.workers, |w| &w.done);
        let mut out: HashMap<Arc<str>, Vec<Pair>> = HashMap::new();
        // Per stream and job, the tightest upper bound the job's dispatches put on the offset.
        let mut highs: HashMap<(Arc<str>, Box<str>), i64> = HashMap::new();
        let mut forward = |stream: &Arc<str>, job: &str, coordinator: Timestamp, worker| {
            let p = Pair {
                coordinator,
                worker,
                forward: true,
            };
            let high = highs
                .entry((stream.clone(), job.into()))
                .or_insert(i64::MAX);
            *high = (*high).min(p.bound_us());
            out.entry(stream.clone()).or_default().push(p);
        };
        for (stream, w) in &self.workers {
            for ((job, step), &tw) in &w.began {
                if let Some(&tc) = self.sent.get(&(job.clone(), *step)) {
                    forward(stream, job, tc, tw);
                }
            }
        }
        for (job, step, to, tc) in &self.sent_to {
            if let [(stream, tw)] = began.streams_with(Some(to), job, *step)[..] {
                forward(stream, job, *tc, tw);
            }
        }
        // The aggregator's k-th step comes after the coordinator's k-th proof: counted only
        // when both counts are whole (as many steps as proofs).
        for (stream, w) in &self.workers {
            for (job, steps) in &w.agg_steps {
                match self.proofs.get(job) {
                    Some(proofs) if proofs.len() == steps.len() => {
                        let (mut proofs, mut steps) = (proofs.clone(), steps.clone());
                        proofs.sort_unstable();
                        steps.sort_unstable();
                        for (tc, tw) in proofs.into_iter().zip(steps).skip(1) {
                            forward(stream, job, tc, tw);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut add_backward = |stream: &Arc<str>, coordinator: Timestamp, worker: Timestamp| {
            out.entry(stream.clone()).or_default().push(Pair {
                coordinator,
                worker,
                forward: false,
            })
        };
        // Answers that name one stream pair up at once; the others (two hosts printing one cut
        // ID, or no ID) are told apart in `assign`.
        type Unsure<'a> =
            HashMap<(&'a str, Step, Option<Box<str>>), (Option<&'a IdRef>, Vec<Timestamp>)>;
        let mut unsure: Unsure = HashMap::new();
        for (job, step, from, tc) in &self.answered {
            match done.streams_with(from.as_ref(), job, *step)[..] {
                [(stream, tw)] if from.is_some() => add_backward(stream, *tc, tw),
                [] => {}
                _ => unsure
                    .entry((job, *step, from.as_ref().map(key)))
                    .or_insert_with(|| (from.as_ref(), Vec::new()))
                    .1
                    .push(*tc),
            }
        }
        for ((job, step, _), (from, mut receipts)) in unsure {
            let senders = done.streams_with(from, job, step);
            for (stream, tc, tw) in assign(&mut receipts, senders, |s| {
                highs.get(&(s.clone(), job.into())).copied()
            }) {
                add_backward(stream, tc, tw);
            }
        }
        out.retain(|stream, _| !self.workers.get(stream).is_some_and(|w| w.mixed));
        for pairs in out.values_mut() {
            pairs.sort_by_key(|p| (p.worker, p.coordinator));
        }
        out
    }
}

/// Per job and step, the worker streams that logged it (their first line of it), so that an
/// answer is matched among those streams, not among every worker's.
struct StepIndex<'a> {
    by_step: HashMap<(&'a str, Step), Vec<Logged<'a>>>,
}

/// A stream that logged a step: its label, what it said, and when it logged the step.
type Logged<'a> = (&'a Arc<str>, &'a WorkerMarks, Timestamp);

impl<'a> StepIndex<'a> {
    fn of(
        workers: &'a HashMap<Arc<str>, WorkerMarks>,
        marks: impl Fn(&WorkerMarks) -> &HashMap<(Box<str>, Step), Timestamp>,
    ) -> StepIndex<'a> {
        let mut by_step: HashMap<_, Vec<_>> = HashMap::new();
        for (stream, w) in workers {
            for ((job, step), &t) in marks(w) {
                by_step
                    .entry((&**job, *step))
                    .or_default()
                    .push((stream, w, t));
            }
        }
        StepIndex { by_step }
    }

    /// The streams of worker `id` (any worker when None) that logged the step, with the time.
    fn streams_with(
        &self,
        id: Option<&IdRef>,
        job: &str,
        step: Step,
    ) -> Vec<(&'a Arc<str>, Timestamp)> {
        let Some(logged) = self.by_step.get(&(job, step)) else {
            return Vec::new();
        };
        logged
            .iter()
            .filter(|(_, w, _)| {
                id.is_none_or(|id| w.id.as_ref().is_some_and(|h| same_worker(h, id)))
            })
            .map(|&(stream, _, t)| (stream, t))
            .collect()
    }
}

/// Which answer came from which stream, when the coordinator's lines cannot say (every one
/// of `senders` answered, and there are as many receipts): in time order, a receipt is the
/// answer of the one stream that can have sent it by then, an answer at `tw` reaching the
/// coordinator at `tc` only if `tw − tc` is within the stream's upper bound (`high`; a
/// stream with none could be any). Stops at the first receipt more than one stream may own.
fn assign<'a>(
    receipts: &mut [Timestamp],
    mut senders: Vec<(&'a Arc<str>, Timestamp)>,
    high: impl Fn(&Arc<str>) -> Option<i64>,
) -> Vec<(&'a Arc<str>, Timestamp, Timestamp)> {
    let mut out = Vec::new();
    if receipts.len() != senders.len() {
        return out;
    }
    receipts.sort_unstable();
    for &tc in receipts.iter() {
        let can = |(s, tw): &(&Arc<str>, Timestamp)| high(s).is_none_or(|h| tw.0 - tc.0 <= h);
        let mut able = senders.iter().enumerate().filter(|(_, x)| can(x));
        let (Some((i, _)), None) = (able.next(), able.next()) else {
            break;
        };
        let (stream, tw) = senders.remove(i);
        out.push((stream, tc, tw));
    }
    out
}

#[cfg(test)]
mod tests;
