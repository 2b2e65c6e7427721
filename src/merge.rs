//! Merges the streams into one time-ordered sequence: a k-way merge over history (each stream
//! is in its own order already), then, when following, a short window that orders lines that
//! arrive together from several sources.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Select};

use crate::event::Event;
use crate::source::{Msg, StreamRx};
use crate::time::Timestamp;

/// What the merge stage hands to the output stage.
// Events are moved, not boxed: `CaughtUp` happens once per run, events millions of times.
#[allow(clippy::large_enum_variant)]
pub enum Merged {
    Event(Event),
    /// Every stream has sent its history; from here on events are live.
    CaughtUp,
    /// Following, nothing came for a moment: a chance to pass on lines held back.
    Idle,
}

/// How long a live event is held so that others from the same moment can be put before it.
const LIVE_WINDOW: Duration = Duration::from_millis(30);
/// How often [`Merged::Idle`] comes while nothing arrives.
const IDLE_EVERY: Duration = Duration::from_millis(100);

struct Slot {
    stream: StreamRx,
    buf: VecDeque<Event>,
    caught_up: bool,
    done: bool,
}

impl Slot {
    fn new(s: StreamRx) -> Slot {
        Slot {
            stream: s,
            buf: VecDeque::new(),
            caught_up: false,
            done: false,
        }
    }

    /// Blocks until this slot has a buffered event or has no more history.
    fn fill(&mut self) {
        while self.buf.is_empty() && !self.caught_up && !self.done {
            let received = self.stream.rx.recv();
            self.stream.taken();
            match received {
                // The buffer is empty: take the batch's own allocation, no copy per event.
                Ok(Msg::Events(v)) => self.buf = v.into(),
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
pub fn run(
    initial: Vec<StreamRx>,
    added: Receiver<StreamRx>,
    follow: bool,
    out: &mut dyn FnMut(Merged) -> bool,
) {
    let mut slots: Vec<Slot> = initial.into_iter().map(Slot::new).collect();
    if !merge_history(&mut slots, out) || !out(Merged::CaughtUp) {
        return;
    }
    // Without -f this reads on only what a stream sends after its history (a FIFO whose
    // writer came late), until every stream has ended.
    follow_live(slots, added, follow, out);
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

/// Live events wait [`LIVE_WINDOW`] after arrival; then the ready heads of all streams are
/// merged by time, each stream keeping its own order (a host whose clock jumps back is not
/// reordered against itself).
/// New streams are taken from `added` while `follow`.
fn follow_live(
    slots: Vec<Slot>,
    added: Receiver<StreamRx>,
    follow: bool,
    out: &mut dyn FnMut(Merged) -> bool,
) {
    let mut live: Vec<(Slot, VecDeque<(Instant, Event)>)> =
        slots.into_iter().map(|s| (s, VecDeque::new())).collect();
    let mut added_open = follow;
    loop {
        live.retain(|(s, q)| !s.done || !q.is_empty());
        let waiting = live.iter().any(|(_, q)| !q.is_empty());
        if live.is_empty() && !added_open {
            return;
        }
        let received = {
            let mut select = Select::new();
            let mut indices = Vec::new();
            for (i, (s, _)) in live.iter().enumerate() {
                if !s.done {
                    select.recv(&s.stream.rx);
                    indices.push(i);
                }
            }
            let added_index = added_open.then(|| select.recv(&added));
            let wait = if waiting { LIVE_WINDOW / 3 } else { IDLE_EVERY };
            match select.select_timeout(wait) {
                Ok(op) if Some(op.index()) == added_index => Received::Stream(op.recv(&added).ok()),
                Ok(op) => {
                    let i = indices[op.index()];
                    let stream = &live[i].0.stream;
                    let received = op.recv(&stream.rx).ok();
                    stream.taken();
                    Received::Msg(i, received)
                }
                Err(_) => Received::Nothing,
            }
        };
        match received {
            Received::Stream(Some(s)) => live.push((Slot::new(s), VecDeque::new())),
            Received::Stream(None) => added_open = false,
            Received::Msg(i, Some(Msg::Events(v))) => {
                let now = Instant::now();
                live[i].1.extend(v.into_iter().map(|e| (now, e)));
            }
            Received::Msg(_, Some(Msg::CaughtUp)) => {}
            Received::Nothing => {
                if !out(Merged::Idle) {
                    return;
                }
            }
            Received::Msg(i, None) => live[i].0.done = true,
        }
        let now = Instant::now();
        let ready = |q: &VecDeque<(Instant, Event)>| {
            q.front()
                .filter(|(at, _)| now.duration_since(*at) >= LIVE_WINDOW)
                .map(|(_, e)| (e.sort_ts, e.seq))
        };
        while let Some(i) = (0..live.len())
            .filter(|&i| ready(&live[i].1).is_some())
            .min_by_key(|&i| ready(&live[i].1))
        {
            let (_, e) = live[i].1.pop_front().expect("ready head");
            if !out(Merged::Event(e)) {
                return;
            }
        }
    }
}
