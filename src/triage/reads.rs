//! The log lines a triage story quotes, read in one parallel pass once the alerts are known:
//! the first ERROR naming each job it lists (on any host), each departed worker's last lines
//! before it left, and the coordinator's lines around a gap in its scrapes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::event::{Event, Level, Role};
use crate::parse::Prefilter;
use crate::read::open_source;
use crate::source::Selector;
use crate::time::Timestamp;
use crate::trail::record::id_key;
use crate::trail::{collect, request, shared, take};

/// What to read.
#[derive(Default)]
pub struct Wants {
    /// Keys (8 characters) of jobs whose first error is wanted.
    pub jobs: HashSet<String>,
    /// Per source index: windows `[from, to]` whose lines are wanted.
    pub windows: HashMap<usize, Vec<(Timestamp, Timestamp)>>,
}

impl Wants {
    pub fn window(&mut self, source: usize, from: Timestamp, to: Timestamp) {
        self.windows.entry(source).or_default().push((from, to));
    }
}

/// What was read.
#[derive(Default)]
pub struct Lines {
    /// Per job key: ERROR lines naming it, in time order.
    pub errors: HashMap<String, Vec<Event>>,
    /// Per source index: the lines of its windows, in time order.
    pub windows: HashMap<usize, Vec<Event>>,
}

impl Lines {
    /// The first ERROR naming the job, on any host.
    pub fn first_error(&self, key: &str) -> Option<&Event> {
        self.errors.get(key).and_then(|v| v.first())
    }

    /// The first ERROR naming the job on a worker's own logs.
    pub fn first_worker_error(&self, key: &str) -> Option<&Event> {
        self.errors
            .get(key)?
            .iter()
            .find(|e| e.role == Some(Role::Worker))
    }

    /// The last `n` lines of a source at or before `t`, not earlier than `since`.
    pub fn before(&self, source: usize, since: Timestamp, t: Timestamp, n: usize) -> Vec<&Event> {
        let Some(lines) = self.windows.get(&source) else {
            return Vec::new();
        };
        let end = lines.partition_point(|e| e.ts.unwrap_or(e.sort_ts) <= t);
        let start = lines[..end].partition_point(|e| e.ts.unwrap_or(e.sort_ts) < since);
        lines[start.max(end.saturating_sub(n))..end]
            .iter()
            .collect()
    }

    /// The first `n` lines of a source after `t`, not later than `until`.
    pub fn after(&self, source: usize, t: Timestamp, until: Timestamp, n: usize) -> Vec<&Event> {
        let Some(lines) = self.windows.get(&source) else {
            return Vec::new();
        };
        lines
            .iter()
            .filter(|e| e.ts.is_some_and(|ts| ts > t && ts <= until))
            .take(n)
            .collect()
    }

    /// How many lines of a source fall in `(from, to)`.
    pub fn count_between(&self, source: usize, from: Timestamp, to: Timestamp) -> usize {
        self.windows.get(&source).map_or(0, |l| {
            l.iter()
                .filter(|e| e.ts.is_some_and(|t| t > from && t < to))
                .count()
        })
    }
}

/// Reads every configured source once for what `wants` asks.
pub fn read(config: &Config, wants: &Wants) -> Lines {
    if wants.jobs.is_empty() && wants.windows.is_empty() {
        return Lines::default();
    }
    let keys: Arc<HashSet<String>> = Arc::new(wants.jobs.clone());
    let mut literals: Vec<String> = keys.iter().cloned().collect();
    literals.sort();
    let found: Arc<Mutex<Vec<(usize, bool, Event)>>> = shared();
    let mut items = Vec::new();
    for (i, spec) in config.sources.iter().enumerate() {
        let windows = wants.windows.get(&i).cloned().unwrap_or_default();
        // Errors: only lines naming a wanted job can be one, so the rest is skipped unparsed.
        if !keys.is_empty() {
            let Ok(source) = open_source(spec, &config.source_options) else {
                continue;
            };
            let (keys, found) = (keys.clone(), found.clone());
            // The selection keeps its own copy with the source's index, and nothing in the merge.
            let select: Selector = Arc::new(move |e: &Event| {
                if is_wanted_error(e, &keys) {
                    found
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, false, e.clone()));
                }
                false
            });
            items.push((
                source,
                request(None, None, None, Prefilter::any_of(&literals), select),
            ));
        }
        // Windows: a time range read, which files and journals bisect to.
        if let (Some(since), Some(until)) = (
            windows.iter().map(|w| w.0).min(),
            windows.iter().map(|w| w.1).max(),
        ) {
            let Ok(source) = open_source(spec, &config.source_options) else {
                continue;
            };
            let found = found.clone();
            let select: Selector = Arc::new(move |e: &Event| {
                if e.ts
                    .is_some_and(|t| windows.iter().any(|&(a, b)| a <= t && t <= b))
                {
                    found
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, true, e.clone()));
                }
                false
            });
            items.push((
                source,
                request(Some(since), Some(until), None, Prefilter::default(), select),
            ));
        }
    }
    collect(items);
    let mut found = take(&found);
    found.sort_by_key(|(i, _, e)| (e.ts.unwrap_or(e.sort_ts), *i, e.seq));
    let mut lines = Lines::default();
    for (i, in_window, e) in found {
        if in_window {
            lines.windows.entry(i).or_default().push(e);
        } else if let Some(j) = &e.job_id {
            lines.errors.entry(id_key(&j.text)).or_default().push(e);
        }
    }
    lines
}

fn is_wanted_error(e: &Event, keys: &HashSet<String>) -> bool {
    e.level == Some(Level::Error)
        && e.job_id
            .as_ref()
            .is_some_and(|j| keys.contains(&id_key(&j.text)))
}
