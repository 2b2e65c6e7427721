//! `tail`'s history in aligned order: events come from the merge in logged order; each is held
//! back until no later one can be aligned before it (the largest offset a worker is known to be
//! ahead, at least [`HOLD_MIN_US`]), while the pairs seen so far estimate the offsets. Memory is
//! bounded: at most [`MAX_HELD`] events wait, and an offset larger than [`HOLD_MAX_US`] is not
//! waited for (such a worker's first lines print before their place, the rest in it). While a
//! worker stream's offset is not known yet, lines wait [`HOLD_MAX_US`] for its first pair.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::clock::{aligned_key, Clock, PairBook};
use crate::event::{Event, Role};
use crate::time::Timestamp;

/// Held back at least this long (logged time), so that an offset under it is corrected from
/// the first pair that shows it.
pub const HOLD_MIN_US: i64 = 2_000_000;
/// Never held back longer than this, whatever a worker's offset.
pub const HOLD_MAX_US: i64 = 120_000_000;
/// At most this many events wait.
pub const MAX_HELD: usize = 50_000;
/// Pairs older than this (logged time) are forgotten: a clock drifts, and a refit stays cheap.
pub(crate) const KEEP_PAIRS_US: i64 = 3_600_000_000;

#[derive(Default)]
pub struct Holder {
    book: PairBook,
    clock: Clock,
    /// A line that pairs up came since the last fit.
    dirty: bool,
    streams: Vec<VecDeque<Event>>,
    index: HashMap<Arc<str>, usize>,
    newest: Option<Timestamp>,
    held: usize,
    /// The worker streams seen, and whether one of them has no offset yet.
    workers: HashSet<Arc<str>>,
    unknown: bool,
}

impl Holder {
    /// Takes the next event in logged order; passes on those whose turn has come.
    pub fn push(&mut self, e: Event, out: &mut dyn FnMut(Event) -> bool) -> bool {
        let had_coordinator = self.book.has_coordinator();
        self.dirty |= self.book.observe(&e);
        if self.book.has_coordinator() != had_coordinator {
            self.unknown = self.any_unknown();
        }
        self.newest = Some(self.newest.map_or(e.sort_ts, |n| n.max(e.sort_ts)));
        let i = *self.index.entry(e.source.clone()).or_insert_with(|| {
            self.streams.push(VecDeque::new());
            self.streams.len() - 1
        });
        if e.role == Some(Role::Worker) && self.workers.insert(e.source.clone()) {
            self.unknown = self.any_unknown();
        }
        self.streams[i].push_back(e);
        self.held += 1;
        self.release(false, out)
    }

    /// Passes on everything still held (the history has ended).
    pub fn finish(&mut self, out: &mut dyn FnMut(Event) -> bool) -> bool {
        self.refit();
        self.release(true, out)
    }

    /// Goes live (`-f`): what is still held must be passed on first ([`Holder::finish`]).
    pub fn live(self, cap: std::time::Duration) -> crate::clock::live::Live {
        crate::clock::live::Live::new(self.book, self.clock, cap)
    }

    fn refit(&mut self) {
        if let Some(n) = self.newest {
            self.book
                .forget_before(Timestamp(n.0.saturating_sub(KEEP_PAIRS_US)));
        }
        self.clock = Clock::from_book(&self.book);
        self.dirty = false;
        self.unknown = self.any_unknown();
    }

    fn any_unknown(&self) -> bool {
        self.book.has_coordinator() && self.workers.iter().any(|w| self.clock.fit_of(w).is_none())
    }

    /// How long a line must wait: the most any worker is known to be ahead, within bounds;
    /// the most while a worker's offset is not known yet (its first pair may show it minutes
    /// ahead, its lines still to come in logged order).
    fn reach(&self) -> i64 {
        if self.unknown {
            return HOLD_MAX_US;
        }
        self.clock.max_offset_us().clamp(HOLD_MIN_US, HOLD_MAX_US)
    }

    /// Would the oldest logged head go out under the current reach?
    fn oldest_due(&self) -> bool {
        let Some(n) = self.newest else { return false };
        let limit = n.0.saturating_sub(self.reach());
        self.streams
            .iter()
            .filter_map(|s| s.front())
            .any(|e| aligned_key(e).0 <= limit)
    }

    fn release(&mut self, all: bool, out: &mut dyn FnMut(Event) -> bool) -> bool {
        // Refit only when a line is about to go out and a new pair may have formed: at most
        // once per pairing line, over the last hour's pairs.
        if self.dirty && (all || self.held > MAX_HELD || self.oldest_due()) {
            self.refit();
        }
        let limit = self
            .newest
            .map(|n| Timestamp(n.0.saturating_sub(self.reach())));
        loop {
            let mut best: Option<(Timestamp, usize)> = None;
            for (i, s) in self.streams.iter_mut().enumerate() {
                let Some(head) = s.front_mut() else { continue };
                head.shift_us = self.clock.shift_of(head);
                let key = aligned_key(head);
                if best.is_none_or(|(k, _)| key < k) {
                    best = Some((key, i));
                }
            }
            let Some((key, i)) = best else { return true };
            let due = all || self.held > MAX_HELD || limit.is_some_and(|l| key <= l);
            if !due {
                return true;
            }
            let e = self.streams[i].pop_front().expect("a head was found");
            self.held -= 1;
            if !out(e) {
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{IdRef, Role};

    fn event(role: Role, source: &str, ts: i64, msg: &str) -> Event {
        Event {
            job_id: msg.contains("JobId").then(|| IdRef::truncated("aaaaaaaa")),
            role: Some(role),
            raw: Vec::new(),
            release: true,
            ..Event::test_line(source, Some(Timestamp(ts)), msg)
        }
    }

    #[test]
    fn a_worker_a_second_ahead_is_put_after_the_dispatch() {
        let c = Role::Coordinator;
        let w = Role::Worker;
        // Logged order: the worker's line (1 s ahead) comes after the coordinator's later lines.
        let input = vec![
            event(
                c,
                "coord",
                10_000_000,
                "[Phase2] Started with 1 workers for JobId(aaaaaaaa…)",
            ),
            event(c, "coord", 10_100_000, "something else"),
            event(c, "coord", 10_500_000, "more"),
            event(w, "w", 11_005_000, "Computing Prove for JobId(aaaaaaaa…)"),
            event(c, "coord", 20_000_000, "later"),
        ];
        let mut h = Holder::default();
        let mut got = Vec::new();
        for e in input {
            assert!(h.push(e, &mut |e| {
                got.push(e);
                true
            }));
        }
        h.finish(&mut |e| {
            got.push(e);
            true
        });
        let order: Vec<&str> = got.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            order[0],
            "[Phase2] Started with 1 workers for JobId(aaaaaaaa…)"
        );
        assert_eq!(
            order[1], "Computing Prove for JobId(aaaaaaaa…)",
            "{order:?}"
        );
        assert_eq!(got[1].shift_us, Some(1_004_999));
        assert_eq!(got[0].shift_us, Some(0));
        assert_eq!(got.len(), 5);
    }
}
