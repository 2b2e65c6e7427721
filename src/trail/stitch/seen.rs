//! What step 2's and step 3's readers saw of the streams, noted cheaply from reader threads.

use std::sync::{Arc, Mutex};

use crate::event::{Event, IdRef};

thread_local! {
    /// The (source, stream, worker ID) this reader thread last passed to the shared index.
    static LAST_SIGHTING: std::cell::RefCell<Option<(usize, Arc<str>, IdRef)>> = const { std::cell::RefCell::new(None) };
}

/// Is this a new worker ID for its stream? A worker's lines repeat their own ID, and taking the
/// shared index's lock for every one of them makes dozens of reader threads wait on each other.
pub(super) fn first_sighting(source: usize, e: &Event, worker: &IdRef) -> bool {
    LAST_SIGHTING.with(|last| {
        let mut last = last.borrow_mut();
        let same = last.as_ref().is_some_and(|(s, label, id)| {
            *s == source && Arc::ptr_eq(label, &e.source) && id == worker
        });
        if !same {
            *last = Some((source, e.source.clone(), worker.clone()));
        }
        !same
    })
}

/// A stream: the index of its source and its label.
pub(super) type StreamName = (usize, Arc<str>);

/// Records a stream label a source's reader saw (cheaply: the last label is remembered).
pub(super) fn note_stream(
    seen: &Mutex<Vec<StreamName>>,
    last: &Mutex<Arc<str>>,
    source: usize,
    label: &Arc<str>,
) {
    let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
    if *last == *label {
        return;
    }
    *last = label.clone();
    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    if !seen.iter().any(|(s, l)| *s == source && l == label) {
        seen.push((source, label.clone()));
    }
}
