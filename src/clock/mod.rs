//! Clock truth: each worker stream's offset from the coordinator's clock, estimated from the
//! causal pairs in what a command reads anyway (`pairs`), fitted over time (`fit`), and
//! applied to events so that lines of several hosts merge in the order they happened.

pub mod fit;
pub mod hold;
pub mod live;
pub mod pairs;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use crate::event::{Event, Role};
use crate::time::Timestamp;

pub use fit::{Fit, Segment};
pub use pairs::{Pair, PairBook};

/// An offset this large is an operational problem of its own (NTP is not doing its job).
pub const FINDING_US: i64 = 1_000_000;

/// The fitted offsets of every worker stream that had pairs.
#[derive(Debug, Default)]
pub struct Clock {
    fits: HashMap<Arc<str>, Fit>,
    /// A coordinator line was read: its clock is the reference.
    coordinator: bool,
}

impl Clock {
    pub fn from_book(book: &PairBook) -> Clock {
        Clock {
            fits: book
                .pairs()
                .into_iter()
                .map(|(stream, pairs)| (stream, fit::fit(&pairs)))
                .collect(),
            coordinator: book.has_coordinator(),
        }
    }

    /// Estimates from the events given (one pass, nothing kept but one entry per job step).
    pub fn estimate<'e>(events: impl IntoIterator<Item = &'e Event>) -> Clock {
        let mut book = PairBook::default();
        for e in events {
            book.observe(e);
        }
        Clock::from_book(&book)
    }

    pub fn has_coordinator(&self) -> bool {
        self.coordinator
    }

    /// The most any worker stream is ahead of the coordinator (0 when none is).
    pub fn max_offset_us(&self) -> i64 {
        self.fits
            .values()
            .flat_map(|f| f.segments.iter().map(Segment::offset_us))
            .max()
            .unwrap_or(0)
            .max(0)
    }

    /// The largest offset, either way, of any worker stream (0 when none is known).
    pub fn max_abs_offset_us(&self) -> i64 {
        self.fits
            .values()
            .flat_map(|f| f.segments.iter().map(|s| s.offset_us().saturating_abs()))
            .max()
            .unwrap_or(0)
    }

    pub fn fit_of(&self, stream: &str) -> Option<&Fit> {
        self.fits.get(stream)
    }

    /// The offset to subtract from the event's logged time: 0 for the coordinator, the fitted
    /// offset for a worker stream with pairs, None when unknown.
    pub fn shift_of(&self, e: &Event) -> Option<i64> {
        if !self.coordinator {
            return None;
        }
        match e.role {
            Some(Role::Coordinator) => Some(0),
            _ => {
                let t = e.ts.unwrap_or(e.sort_ts);
                Some(self.fits.get(&e.source)?.at(t)?.offset_us())
            }
        }
    }

    /// Sets every event's shift.
    pub fn apply(&self, events: &mut [Event]) {
        for e in events {
            e.shift_us = self.shift_of(e);
        }
    }

    /// The stream's current offset (its last segment's) with its uncertainty and pair count.
    pub fn summary_of(&self, stream: &str) -> Option<StreamOffset> {
        let f = self.fits.get(stream)?;
        let last = f.segments.last()?;
        let steps = f
            .segments
            .windows(2)
            .filter(|w| (w[1].offset_us() - w[0].offset_us()).abs() >= FINDING_US)
            .map(|w| (w[1].from, w[1].offset_us() - w[0].offset_us()))
            .collect();
        Some(StreamOffset {
            offset_us: last.offset_us(),
            uncertainty_us: last.uncertainty_us(),
            pairs: f.pairs(),
            steps,
        })
    }
}

/// What the summaries say about one worker stream's clock.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamOffset {
    pub offset_us: i64,
    /// Half the interval's width; None when the pairs bound it on one side only.
    pub uncertainty_us: Option<i64>,
    pub pairs: usize,
    /// Where the offset jumped by a second or more (the worker's logged time, the jump).
    pub steps: Vec<(Timestamp, i64)>,
}

impl StreamOffset {
    pub fn offset_ms(&self) -> f64 {
        (self.offset_us as f64 / 1_000.0 * 10.0).round() / 10.0
    }

    pub fn uncertainty_ms(&self) -> Option<f64> {
        self.uncertainty_us
            .map(|u| (u as f64 / 1_000.0 * 10.0).round() / 10.0)
    }

    /// "worker-03's clock is 87.2 s ahead (±3 ms, 41 pairs): check NTP", when over a second.
    pub fn finding(&self, name: &str) -> Option<String> {
        if self.offset_us.abs() < FINDING_US {
            return None;
        }
        let side = if self.offset_us > 0 {
            "ahead"
        } else {
            "behind"
        };
        let within = match self.uncertainty_us {
            Some(u) => format!("±{} ms", (u + 500) / 1_000),
            None => "bounded on one side".into(),
        };
        Some(format!(
            "{name}'s clock is {:.1} s {side} ({within}, {} pairs): check NTP",
            self.offset_us.abs() as f64 / 1e6,
            self.pairs
        ))
    }

    /// "worker-03's clock stepped by -5.0 s at <time>", per step.
    pub fn step_findings(&self, name: &str) -> Vec<String> {
        self.steps
            .iter()
            .map(|(at, jump)| {
                format!(
                    "{name}'s clock stepped by {:+.1} s at {at} (its own time): a reset or a restart",
                    *jump as f64 / 1e6
                )
            })
            .collect()
    }
}

/// The time an event is ordered by: its logged (or inherited) time minus its shift.
pub fn aligned_key(e: &Event) -> Timestamp {
    Timestamp(e.sort_ts.0.saturating_sub(e.shift_us.unwrap_or(0)))
}

/// Reorders events by aligned time, each stream keeping its own order (a k-way merge of the
/// streams as they come, so a host whose offset changes is not reordered against itself).
pub fn order(events: Vec<Event>) -> Vec<Event> {
    let mut streams: Vec<std::collections::VecDeque<Event>> = Vec::new();
    let mut index: HashMap<Arc<str>, usize> = HashMap::new();
    for e in events {
        let i = *index.entry(e.source.clone()).or_insert_with(|| {
            streams.push(Default::default());
            streams.len() - 1
        });
        streams[i].push_back(e);
    }
    let mut heap = BinaryHeap::new();
    for (i, s) in streams.iter().enumerate() {
        if let Some(e) = s.front() {
            heap.push(Reverse((aligned_key(e), role_rank(e), i)));
        }
    }
    let mut out = Vec::new();
    while let Some(Reverse((_, _, i))) = heap.pop() {
        let e = streams[i].pop_front().expect("heap entries have a head");
        out.push(e);
        if let Some(next) = streams[i].front() {
            heap.push(Reverse((aligned_key(next), role_rank(next), i)));
        }
    }
    out
}

/// At equal times the coordinator's line first: it is the one that dispatches.
fn role_rank(e: &Event) -> u8 {
    u8::from(e.role != Some(Role::Coordinator))
}
