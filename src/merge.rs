//! Merges the streams into one time-ordered sequence: a k-way merge over history (each stream
//! is in its own order already), then, when following, a short window that orders lines that
//! arrive together from several sources.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Select};

use crate::event::Event;
use crate::source::{Msg, StreamRx};
use crate::time::Timestamp;

/// What the merge stage hands to the output stage.
pub enum Merged {
    Event(Event),
    /// Every stream has sent its history; from here on events are live.
    CaughtUp,
}

/// How long a live event is held so that others from the same moment can be put before it.
const LIVE_WINDOW: Duration = Duration::from_millis(30);

struct Slot {
    rx: Receiver<Msg>,
    buf: VecDeque<Event>,
    caught_up: bool,
    done: bool,
}

impl Slot {
    fn new(s: StreamRx) -> Slot {
        Slot { rx: s.rx, buf: VecDeque::new(), caught_up: false, done: false }
    }

    /// Blocks until this slot has a buffered event or has no more history.
    fn fill(&mut self) {
        while self.buf.is_empty() && !self.caught_up && !self.done {
            match self.rx.recv() {
                Ok(Msg::Events(v)) => self.buf.extend(v),
                Ok(Msg::CaughtUp) => self.caught_up = true,
                Err(_) => self.done = true,
            }
        }
    }

    fn head_key(&self, index: usize) -> Option<(Timestamp, usize, u64)> {
        self.buf.front().map(|e| (e.sort_ts, index, e.seq))
    }
}

/// Runs the merge; `out` returns false to stop (the reader went away).
pub fn run(initial: Vec<StreamRx>, added: Receiver<StreamRx>, follow: bool, out: &mut dyn FnMut(Merged) -> bool) {
    let mut slots: Vec<Slot> = initial.into_iter().map(Slot::new).collect();
    if !merge_history(&mut slots, out) || !out(Merged::CaughtUp) || !follow {
        return;
    }
    follow_live(slots, added, out);
}

fn merge_history(slots: &mut [Slot], out: &mut dyn FnMut(Merged) -> bool) -> bool {
    let mut heap = BinaryHeap::new();
    for (i, slot) in slots.iter_mut().enumerate() {
        slot.fill();
        if let Some(key) = slot.head_key(i) {
            heap.push(Reverse(key));
        }
    }
    while let Some(Reverse((_, i, _))) = heap.pop() {
        let slot = &mut slots[i];
        let event = slot.buf.pop_front().expect("heap entries have a head");
        if !out(Merged::Event(event)) {
            return false;
        }
        slot.fill();
        if let Some(key) = slot.head_key(i) {
            heap.push(Reverse(key));
        }
    }
    true
}

enum Received {
    Stream(Option<StreamRx>),
    Msg(usize, Option<Msg>),
    Nothing,
}

fn follow_live(mut slots: Vec<Slot>, added: Receiver<StreamRx>, out: &mut dyn FnMut(Merged) -> bool) {
    let mut window: Vec<(Instant, Event)> = Vec::new();
    let mut added_open = true;
    loop {
        slots.retain(|s| !s.done);
        if slots.is_empty() && !added_open && window.is_empty() {
            return;
        }
        let received = {
            let mut select = Select::new();
            for s in &slots {
                select.recv(&s.rx);
            }
            let added_index = added_open.then(|| select.recv(&added));
            let wait = if window.is_empty() { Duration::from_millis(500) } else { LIVE_WINDOW / 3 };
            match select.select_timeout(wait) {
                Ok(op) if Some(op.index()) == added_index => Received::Stream(op.recv(&added).ok()),
                Ok(op) => {
                    let i = op.index();
                    Received::Msg(i, op.recv(&slots[i].rx).ok())
                }
                Err(_) => Received::Nothing,
            }
        };
        match received {
            Received::Stream(Some(s)) => slots.push(Slot::new(s)),
            Received::Stream(None) => added_open = false,
            Received::Msg(_, Some(Msg::Events(v))) => {
                let now = Instant::now();
                window.extend(v.into_iter().map(|e| (now, e)));
            }
            Received::Msg(_, Some(Msg::CaughtUp)) | Received::Nothing => {}
            Received::Msg(i, None) => slots[i].done = true,
        }
        // Release what has waited long enough, in time order.
        let now = Instant::now();
        if window.iter().any(|(at, _)| now.duration_since(*at) >= LIVE_WINDOW) {
            window.sort_by_key(|(_, e)| (e.sort_ts, e.seq));
            let (ready, keep): (Vec<_>, Vec<_>) = window.into_iter().partition(|(at, _)| now.duration_since(*at) >= LIVE_WINDOW);
            window = keep;
            for (_, e) in ready {
                if !out(Merged::Event(e)) {
                    return;
                }
            }
        }
        if slots.is_empty() && !added_open {
            // Wait out the window, then end.
            match added.recv_timeout(LIVE_WINDOW) {
                Ok(s) => slots.push(Slot::new(s)),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            }
        }
    }
}
