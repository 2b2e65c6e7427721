//! `tail -f`'s live lines in aligned order: each waits at most the hold (the largest offset a
//! worker is estimated off by, capped) for lines aligned before it that arrive after it. A
//! line that comes after lines aligned later than itself have been printed is passed on at
//! once, flagged late (pretty output marks it).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::hold::KEEP_PAIRS_US;
use crate::clock::{aligned_key, Clock, PairBook};
use crate::event::Event;
use crate::time::Timestamp;

/// The hold's cap when none is given (`--align-hold`).
pub const DEFAULT_CAP: Duration = Duration::from_secs(2);
/// At most this many live lines wait.
const MAX_HELD: usize = 50_000;

pub struct Live {
    book: PairBook,
    clock: Clock,
    dirty: bool,
    cap: Duration,
    /// Per stream, its lines in their own order with the instant each arrived.
    streams: Vec<VecDeque<(Instant, Event)>>,
    index: HashMap<Arc<str>, usize>,
    held: usize,
    /// The aligned time of the last line passed on.
    last: Option<Timestamp>,
    newest: Option<Timestamp>,
}

impl Live {
    /// Goes on from the history's pairs and offsets.
    pub fn new(book: PairBook, clock: Clock, cap: Duration) -> Live {
        Live {
            book,
            clock,
            dirty: false,
            cap,
            streams: Vec::new(),
            index: HashMap::new(),
            held: 0,
            last: None,
            newest: None,
        }
    }

    /// How long a line may wait: the largest offset known (either way), within the cap.
    pub fn hold(&self) -> Duration {
        let us = self.clock.max_abs_offset_us().unsigned_abs();
        Duration::from_micros(us).min(self.cap)
    }

    /// Takes a line as it arrives; passes on those whose turn has come (`out(line, late)`).
    pub fn push(
        &mut self,
        e: Event,
        now: Instant,
        out: &mut dyn FnMut(Event, bool) -> bool,
    ) -> bool {
        self.dirty |= self.book.observe(&e);
        self.newest = Some(self.newest.map_or(e.sort_ts, |n| n.max(e.sort_ts)));
        let i = *self.index.entry(e.source.clone()).or_insert_with(|| {
            self.streams.push(VecDeque::new());
            self.streams.len() - 1
        });
        self.streams[i].push_back((now, e));
        self.held += 1;
        self.release(now, false, out)
    }

    /// Passes on what has waited long enough (called when nothing arrives, too).
    pub fn tick(&mut self, now: Instant, out: &mut dyn FnMut(Event, bool) -> bool) -> bool {
        self.release(now, false, out)
    }

    /// Passes on everything still held (the sources ended).
    pub fn finish(&mut self, out: &mut dyn FnMut(Event, bool) -> bool) -> bool {
        self.release(Instant::now(), true, out)
    }

    fn release(
        &mut self,
        now: Instant,
        all: bool,
        out: &mut dyn FnMut(Event, bool) -> bool,
    ) -> bool {
        if self.dirty {
            // Lines that pair up are a few per job step, and an hour of pairs is kept.
            if let Some(n) = self.newest {
                self.book
                    .forget_before(Timestamp(n.0.saturating_sub(KEEP_PAIRS_US)));
            }
            self.clock = Clock::from_book(&self.book);
            self.dirty = false;
        }
        let hold = self.hold();
        loop {
            let mut best: Option<(Timestamp, usize)> = None;
            for (i, s) in self.streams.iter_mut().enumerate() {
                let Some((_, head)) = s.front_mut() else {
                    continue;
                };
                head.shift_us = self.clock.shift_of(head);
                let key = aligned_key(head);
                if best.is_none_or(|(k, _)| key < k) {
                    best = Some((key, i));
                }
            }
            let Some((key, i)) = best else { return true };
            let arrived = self.streams[i].front().map(|(at, _)| *at).unwrap_or(now);
            let late = self.last.is_some_and(|l| key < l);
            let due = all || late || self.held > MAX_HELD || now.duration_since(arrived) >= hold;
            if !due {
                return true;
            }
            let (_, e) = self.streams[i].pop_front().expect("a head was found");
            self.held -= 1;
            self.last = Some(self.last.map_or(key, |l| l.max(key)));
            if !out(e, late) {
                return false;
            }
        }
    }
}
