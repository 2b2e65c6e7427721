//! What the coordinator's lines say about each job: start and end, phase boundaries, outcome
//! and reason, and the workers it named. Fed events in time order; shared by `job` and `jobs`.

use crate::event::{id_key_of, key_word, Event, IdRef, KeyIndex, Level, Phase};
use crate::parse::templates::Says;
use crate::time::Timestamp;
use crate::trail::wording::{
    announced_workers, every_worker_done, figure, find, has, phase_figures, reason_in, Word,
};

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

/// What a job is: a proof, an execution only, a program's setup, or a proof's wrap (a job of
/// its own since v0.17).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Prove,
    Execute,
    Setup,
    Wrap,
}

/// IDs print truncated to their first 8 characters, so that is what two forms of one ID share.
pub fn id_key(id: &str) -> String {
    id_key_of(id).to_string()
}

/// Whether two IDs share their [`id_key`], without building either (a history's every line asks).
pub fn same_key(a: &str, b: &str) -> bool {
    // Most keys are words: one compare, where comparing two borrowed keys calls memcmp (every
    // coordinator line compares its worker with each of its job's).
    match (key_word(a), key_word(b)) {
        (Some(x), Some(y)) => x == y,
        _ => id_key_of(a) == id_key_of(b),
    }
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
    /// The coordinator's own figure for the phase, in seconds, when it logged one.
    pub coordinator_s: Option<f64>,
    /// Each worker's part as the coordinator runs it (the aggregator's Aggregate from its
    /// assignment): from the phase's start to the line that ends that worker's part.
    pub workers: Vec<WorkerPart>,
}

/// One worker's part of a phase.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerPart {
    pub id: IdRef,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
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
    /// What the coordinator's lines showed the job to be (`None`: no line said).
    pub kind: Option<JobKind>,
    pub phases: Vec<PhaseSpan>,
    /// Workers named on the job's coordinator lines, in the order first named.
    pub workers: Vec<IdRef>,
    /// `Workers: N` on the start line.
    pub announced_workers: Option<usize>,
    pub lines: usize,
}

impl JobRecord {
    /// For a job that failed because a phase timed out, the worker that held that phase up
    /// (the last to finish it; for Aggregate, the aggregator): the one it is blamed on.
    pub fn held_up(&self) -> Option<IdRef> {
        let reason = self.reason.as_deref()?;
        if !reason.contains("timed out") {
            return None;
        }
        self.phases
            .iter()
            .rev()
            .find(|p| reason.contains(p.name.as_str()))
            .or(self.phases.last())?
            .held_by
            .clone()
    }

    pub fn new(id: IdRef) -> JobRecord {
        JobRecord {
            id,
            started: None,
            ended: None,
            first_seen: None,
            last_seen: None,
            outcome: None,
            reason: None,
            kind: None,
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

    /// The kind to report: what the lines showed, else a proof.
    pub fn job_kind(&self) -> JobKind {
        self.kind.unwrap_or(JobKind::Prove)
    }

    /// Each phase's workers among the job's `workers`, those no line ended included (from the
    /// phase's start to its end, else the job's end). A part the coordinator names by 8
    /// characters takes the job's worker of that key when there is one; two workers of one
    /// key stay as logged (ambiguous).
    pub fn worker_parts(&self, phase: &PhaseSpan, workers: &[IdRef]) -> Vec<WorkerPart> {
        let end = phase.end.or(self.ended);
        let of_key = |key: &str| -> Vec<&IdRef> {
            workers.iter().filter(|w| same_key(&w.text, key)).collect()
        };
        let mut parts = phase.workers.clone();
        for part in &mut parts {
            part.end = part.end.or(end);
            let key = id_key(&part.id.text);
            if let [only] = of_key(&key)[..] {
                better_id(&mut part.id, only);
            }
        }
        if phase.name != Phase::aggregate() {
            for w in workers {
                let key = id_key(&w.text);
                let named = parts.iter().filter(|p| same_key(&p.id.text, &key)).count();
                let exact = parts.iter().any(|p| p.id.text == w.text);
                if named < of_key(&key).len() && !exact {
                    parts.push(WorkerPart {
                        id: w.clone(),
                        start: phase.start,
                        end,
                    });
                }
            }
        }
        parts
    }

    /// What the whole of the job's lines imply once read: a setup job the coordinator does
    /// not track (a reconnection's, a fresh ID each time) ends at its last acknowledgement.
    pub fn settle(&mut self) {
        if self.kind == Some(JobKind::Setup) && self.outcome.is_none() {
            self.outcome = Some(Outcome::Completed);
            self.ended = self.last_seen;
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
                .find(|have| same_key(&have.text, &w.text))
            {
                Some(have) => better_id(have, w),
                None => self.workers.push(w.clone()),
            }
        }
        let m = e.message.as_str();
        let says = e.template.map(|t| t.says);
        if let Some(kind) = kind_of(says, e.phase.as_ref()) {
            // A prove job's first line cannot yet tell it from an execution-only one.
            if self.kind.is_none_or(|k| k == JobKind::Prove) {
                self.kind = Some(kind);
            }
        }
        if says == Some(Says::JobStarted) || has(m, Word::JobStarted) {
            self.started = self.started.or(ts);
            if let Some(n) = announced_workers(m) {
                self.announced_workers = n.parse().ok();
            }
        }
        if matches!(says, Some(Says::SetupAck | Says::WrapStarted)) {
            self.started = self.started.or(ts);
        }
        self.phase_marks(m, says, e.phase.as_ref(), ts, e.worker_id.as_ref());
        if self.outcome.is_some() {
            return;
        }
        let end = match says {
            Some(Says::JobCompleted | Says::SetupDone | Says::WrapCompleted) => {
                Some((Outcome::Completed, None))
            }
            Some(Says::SetupFailed) => Some((Outcome::Failed, Some(m.to_string()))),
            _ if has(m, Word::JobFinished) && has(m, Word::Successfully)
                || has(m, Word::ExecutionJob) && has(m, Word::CompletedSuccessfully) =>
            {
                Some((Outcome::Completed, None))
            }
            _ => match find(m, Word::FailedJob) {
                Some(pos) => Some((Outcome::Failed, reason_in(&m[pos..]))),
                None if has(m, Word::CancelledJob) => Some((Outcome::Cancelled, reason_in(m))),
                None if says.is_none()
                    && e.level == Some(Level::Error)
                    && has(m, Word::TimedOut) =>
                {
                    Some((Outcome::Failed, Some(m.to_string())))
                }
                None => None,
            },
        };
        if let Some((outcome, reason)) = end {
            self.outcome = Some(outcome);
            self.reason = reason;
            self.ended = ts;
            if e.release {
                // In the releases, the job's end closes the phases in progress (`Failed job`,
                // `Cancelled job`; v0.12 logs no end of Aggregate before `[Job Finished]`).
                for p in self.phases.iter_mut().filter(|p| p.end.is_none()) {
                    p.end = ts;
                }
            }
        }
    }

    fn phase_marks(
        &mut self,
        m: &str,
        says: Option<Says>,
        tag: Option<&Phase>,
        ts: Option<Timestamp>,
        worker: Option<&IdRef>,
    ) {
        let at = ts.unwrap_or_default();
        let all_done = || every_worker_done(m);
        if let (Some(says), Some(tag)) = (says, tag) {
            match says {
                Says::PhaseStarted => {
                    self.phase(tag.clone()).start.get_or_insert(at);
                }
                Says::WorkerDone => {
                    // An execution-only job is started as Phase1 and reported as Execution.
                    if tag.matches(&Phase::execution()) {
                        if let Some(p) = self
                            .phases
                            .iter_mut()
                            .find(|p| p.name.matches(&Phase::contributions()))
                        {
                            p.name = Phase::execution();
                        }
                    }
                    let p = self.phase(tag.clone());
                    // One line per worker (two workers whose IDs print alike give two lines).
                    if let Some(w) = worker {
                        let start = p.start;
                        p.workers.push(WorkerPart {
                            id: w.clone(),
                            start,
                            end: ts,
                        });
                    }
                    if all_done() {
                        p.end = ts;
                        p.held_by = worker.cloned();
                        p.coordinator_s = p.coordinator_s.or(figure(m));
                    }
                }
                Says::AggregatorAssigned => {
                    let p = self.phase(Phase::aggregate());
                    p.start.get_or_insert(at);
                    p.held_by = worker.cloned();
                    if let Some(w) = worker {
                        p.workers.push(WorkerPart {
                            id: w.clone(),
                            start: ts,
                            end: None,
                        });
                    }
                }
                Says::AggregateDone => {
                    let p = self.phase(Phase::aggregate());
                    p.end = ts;
                    p.coordinator_s = figure(m);
                    for part in p.workers.iter_mut().filter(|w| w.end.is_none()) {
                        part.end = ts;
                    }
                }
                _ => {}
            }
        }
        if says == Some(Says::JobCompleted) {
            if let Some(figures) = phase_figures(m) {
                let names = [Phase::contributions(), Phase::prove(), Phase::aggregate()];
                for (name, figure) in names.into_iter().zip(figures) {
                    if let Ok(f) = figure.parse() {
                        self.phase(name).coordinator_s = Some(f);
                    }
                }
            }
        }
        if says.is_some() {
            return;
        }
        // DOMAIN.md's shape, which no release logs.
        let tagged = |w: Word| has(m, w);
        let started = |m: &str| has(m, Word::StartedWith);
        if tagged(Word::Phase1) && started(m) {
            self.phase(Phase::contributions()).start.get_or_insert(at);
        } else if tagged(Word::Phase2) && started(m) {
            self.phase(Phase::prove()).start.get_or_insert(at);
        } else if tagged(Word::Execution) && started(m) {
            self.phase(Phase::execution()).start.get_or_insert(at);
        } else if tagged(Word::Execution) && has(m, Word::FinishedExecution) && all_done() {
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
                    coordinator_s: None,
                    workers: Vec::new(),
                });
                self.phases.len() - 1
            }
        };
        &mut self.phases[i]
    }
}

/// The kind of job a line shows: its template's, or a phase only one kind runs.
fn kind_of(says: Option<Says>, phase: Option<&Phase>) -> Option<JobKind> {
    match says? {
        Says::SetupAck | Says::SetupDone | Says::SetupFailed => Some(JobKind::Setup),
        Says::WrapStarted | Says::WrapCompleted => Some(JobKind::Wrap),
        Says::WorkerDone | Says::JobCompleted
            if phase.is_some_and(|p| p.matches(&Phase::execution())) =>
        {
            Some(JobKind::Execute)
        }
        Says::JobStarted | Says::PhaseStarted => Some(JobKind::Prove),
        _ => None,
    }
}

/// Every job the coordinator's lines name, in the order first seen.
#[derive(Default)]
pub struct JobBook {
    pub jobs: Vec<JobRecord>,
    /// Position in `jobs` by ID key: a busy coordinator names tens of thousands of jobs, and
    /// every line looks its job up.
    index: KeyIndex,
}

impl JobBook {
    pub fn observe(&mut self, e: &Event) {
        let Some(id) = &e.job_id else { return };
        let key = id_key_of(&id.text);
        let i = match self.index.get(key) {
            Some(i) => i,
            None => {
                self.jobs.push(JobRecord::new(id.clone()));
                self.index.insert(key, self.jobs.len() - 1);
                self.jobs.len() - 1
            }
        };
        self.jobs[i].observe(e);
    }

    /// Every line read: what the jobs' lines imply as a whole (see [`JobRecord::settle`]).
    pub fn settle(&mut self) {
        for job in &mut self.jobs {
            job.settle();
        }
    }

    /// The place in `jobs` of the job whose ID key (its first 8 characters) is `key`.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.index.get(key)
    }

    /// The job whose ID key (its first 8 characters) is `key`.
    pub fn by_key_mut(&mut self, key: &str) -> Option<&mut JobRecord> {
        let i = self.index.get(key)?;
        self.jobs.get_mut(i)
    }

    /// Jobs whose ID the query (a full ID or a prefix) names.
    pub fn matching(&self, query: &str) -> Vec<&JobRecord> {
        self.jobs
            .iter()
            .filter(|j| j.id.matches_query(query))
            .collect()
    }
}
