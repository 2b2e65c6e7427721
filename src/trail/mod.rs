//! The job trail: the runbook "grep the coordinator for the job, read which workers got it, grep
//! those workers" as code. `record` reads jobs from the coordinator's lines, `history` every job
//! of a whole history, `streams` ties worker streams to worker IDs, `stitch` reads a job's trail
//! in steps, `summary` says what happened.

pub mod clocks;
pub mod culprit;
pub mod history;
pub mod record;
pub mod stitch;
pub mod streams;
pub mod summary;
pub mod timeline;
pub mod windows;
pub mod wording;

pub use record::Outcome;

use std::sync::{Arc, Mutex};

use crate::config::SourceSpec;
use crate::event::{Event, Role};
use crate::merge::Merged;
use crate::parse::{Keep, Prefilter};
use crate::read::{self, RoleSource};
use crate::source::{ReadRequest, Selector, SourceOptions};
use crate::time::Timestamp;

/// A request that reads history (no follow), with the given hints and selection.
pub fn request(
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    literal: Option<String>,
    prefilter: Prefilter,
    select: Selector,
) -> ReadRequest {
    ReadRequest {
        since,
        until,
        follow: false,
        tail_lines: None,
        grep_literal: literal,
        prefilter,
        keep: Keep::Everything,
        blank_lines: false,
        select,
    }
}

/// Reads sources, each with its own request, and returns the selected events in time order.
pub fn collect(items: Vec<(RoleSource, ReadRequest)>) -> Vec<Event> {
    let mut events = Vec::new();
    for_each(items, |e| events.push(e));
    events
}

/// Reads sources, each with its own request, and hands each selected event to `f` in time
/// order, keeping none: for passes over a whole history that only tally what they see.
pub fn for_each(items: Vec<(RoleSource, ReadRequest)>, mut f: impl FnMut(Event)) {
    let items = items.into_iter().map(|(s, r)| (s, Arc::new(r))).collect();
    read::read_each(items, false, &mut |m| {
        if let Merged::Event(e) = m {
            f(e);
        }
        true
    });
}

/// What a fact-gathering pass does with each event of the source with the given index.
pub type Look = Arc<dyn Fn(usize, &Event) + Send + Sync>;

/// Reads sources only to look at their events (the selection records what it needs and keeps
/// nothing), for passes that gather facts rather than lines. `look` gets the source's index.
pub fn scan(
    specs: &[(usize, &SourceSpec)],
    options: &SourceOptions,
    until: Option<Timestamp>,
    prefilter: Prefilter,
    look: Look,
) {
    let mut items = Vec::new();
    for &(index, spec) in specs {
        let Ok(source) = read::open_source(spec, options) else {
            continue;
        };
        let look = look.clone();
        let select: Selector = Arc::new(move |e: &Event| {
            look(index, e);
            false
        });
        let mut read = request(None, until, None, prefilter.clone(), select);
        // Facts are gathered; no line is shown.
        read.keep = Keep::Facts;
        items.push((source, read));
    }
    collect(items);
}

/// The configured sources of one role, with their index in the configuration.
pub fn of_role(sources: &[SourceSpec], role: Role) -> Vec<(usize, &SourceSpec)> {
    sources
        .iter()
        .enumerate()
        .filter(|(_, s)| s.role == Some(role))
        .collect()
}

/// A value shared between reader threads for a pass.
pub fn shared<T: Default>() -> Arc<Mutex<T>> {
    Arc::new(Mutex::new(T::default()))
}

/// Takes a shared value back after its pass.
pub fn take<T: Default>(v: &Arc<Mutex<T>>) -> T {
    std::mem::take(&mut *v.lock().unwrap_or_else(|e| e.into_inner()))
}
