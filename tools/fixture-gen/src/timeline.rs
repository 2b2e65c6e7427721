//! The planned events of a simulated cluster: every line a host will log, with its host, true
//! time, what it names and what it changes (job state, a worker's phase window), before any
//! formatter writes it. Both simulations (`legacy`, `release`) build one of these.

use tracing::Level;

use crate::emit::Target;
use crate::prng::Rng;
use crate::truth::Phase;

pub const S: i64 = 1_000_000;
pub const MS: i64 = 1_000;

/// What a line changes in the simulated cluster; recorded with the line's printed time in
/// the truth and passed with its true time to whoever writes metrics from the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    JobStart(usize),
    JobEnd(usize),
    PhaseStart(usize, Phase),
    PhaseEnd(usize, Phase),
    /// The coordinator closes every open phase of the job (a failure or a cancellation).
    /// The coordinator's own figure for a phase of a job, in milliseconds as printed.
    Figure(usize, Phase, i64),
    /// The coordinator's line that ends one worker's part of a phase.
    WorkerDone(usize, usize, Phase),
    /// The worker registers with the coordinator (or re-registers).
    WorkerUp(usize),
    WorkerDown(usize),
    /// The coordinator process starts (its metrics endpoint comes up) or stops.
    CoordinatorUp,
    CoordinatorDown,
}

/// What a worker's line does to the phase window of the job it computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Open(usize, Phase),
    Close(usize),
}

/// How the truth finds a line's phase (see `phases::LinePhases`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PhaseRule {
    /// The worker's phase window (for a worker's line that names no other job), else none.
    #[default]
    Context,
    /// The message's own tag or phase-specific wording says it.
    Tag(Phase),
    /// A coordinator line that ends the job: the phase the job is in.
    JobPhase,
    /// Never a phase (a line about another kind of job, or a line the worker logs outside work).
    Never,
}

#[derive(Clone, Debug)]
pub struct Log {
    pub level: Level,
    pub target: Target,
    pub msg: String,
    /// The same message with its own ANSI colours (used by the ANSI formats only).
    pub ansi: Option<String>,
    pub job: Option<usize>,
    pub worker: Option<usize>,
    /// The phase structured fields carry (documented shape only).
    pub phase: Option<Phase>,
    pub rule: PhaseRule,
    pub rank: u32,
    pub marks: Vec<Mark>,
    pub window: Option<Window>,
}

impl Log {
    pub fn job(&mut self, j: usize) -> &mut Self {
        self.job = Some(j);
        self
    }
    pub fn worker(&mut self, w: usize) -> &mut Self {
        self.worker = Some(w);
        self
    }
    /// The structured phase, which is also the tag for messages that name their phase.
    pub fn phase(&mut self, p: Phase) -> &mut Self {
        self.phase = Some(p);
        self
    }
    pub fn tag(&mut self, p: Phase) -> &mut Self {
        self.rule = PhaseRule::Tag(p);
        self
    }
    pub fn rule(&mut self, r: PhaseRule) -> &mut Self {
        self.rule = r;
        self
    }
    pub fn mark(&mut self, m: Mark) -> &mut Self {
        self.marks.push(m);
        self
    }
    pub fn open(&mut self, j: usize, p: Phase) -> &mut Self {
        self.window = Some(Window::Open(j, p));
        self
    }
    pub fn close(&mut self, j: usize) -> &mut Self {
        self.window = Some(Window::Close(j));
        self
    }
    pub fn ansi(&mut self, s: String) -> &mut Self {
        self.ansi = Some(s);
        self
    }
    pub fn rank(&mut self, r: u32) -> &mut Self {
        self.rank = r;
        self
    }
}

#[derive(Clone, Debug)]
pub enum Payload {
    /// Lines printed with `println!` (no timestamp, no level).
    Banner(Vec<String>),
    Log(Log),
    /// The host's process restarts (a legacy host may switch format here).
    Restart,
}

#[derive(Clone, Debug)]
pub struct Item {
    /// True time, microseconds after `clock::START_US`.
    pub t: i64,
    pub seq: u64,
    /// 0: the coordinator; w + 1: worker w.
    pub host: usize,
    pub payload: Payload,
}

pub const COORD: usize = 0;

pub fn host_of(w: usize) -> usize {
    w + 1
}

/// The items of a simulation, with the random source that times them.
pub struct Timeline {
    pub rng: Rng,
    pub items: Vec<Item>,
    seq: u64,
}

impl Timeline {
    pub fn new(rng: Rng) -> Timeline {
        Timeline { rng, items: Vec::new(), seq: 0 }
    }

    pub fn push(&mut self, t: i64, host: usize, level: Level, target: Target, msg: String) -> &mut Log {
        self.seq += 1;
        self.items.push(Item {
            t,
            seq: self.seq,
            host,
            payload: Payload::Log(Log {
                level,
                target,
                msg,
                ansi: None,
                job: None,
                worker: None,
                phase: None,
                rule: PhaseRule::default(),
                rank: 0,
                marks: Vec::new(),
                window: None,
            }),
        });
        match &mut self.items.last_mut().expect("just pushed").payload {
            Payload::Log(l) => l,
            _ => unreachable!(),
        }
    }

    pub fn other(&mut self, t: i64, host: usize, payload: Payload) {
        self.seq += 1;
        self.items.push(Item { t, seq: self.seq, host, payload });
    }

    /// A random duration in [lo, hi] milliseconds, in microseconds.
    pub fn ms(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.range(lo * MS, hi * MS)
    }

    /// Sorted by true time (ties: planning order), cut at `end`.
    pub fn finish(mut self, end: i64) -> Vec<Item> {
        self.items.retain(|i| i.t <= end);
        self.items.sort_by_key(|i| (i.t, i.seq));
        self.items
    }
}
