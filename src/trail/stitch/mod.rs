//! Reads one job's trail in steps, on any mix of backends:
//! 1. the coordinator's lines naming the job (prefiltered and grepped on the ID's first 8
//!    characters): which job, its window, phases, outcome and the workers it named;
//! 2. the worker sources up to the job's start, looking only at banners and `worker_id`
//!    fields, to tie each worker stream to a worker ID (the banner comes before the job, so a
//!    read of the job window alone would not see it);
//! 3. the coordinator and the sources of the job's workers within the job's window plus the
//!    skew margin: every line naming the job, and the context lines that explain it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::config::{Config, SourceSpec};
use crate::event::{Event, IdRef, Level, Role};
use crate::filter::IdQuery;
use crate::parse::{Keep, Prefilter};
use crate::read::RoleSource;
use crate::source::{ReadRequest, Selector};
use crate::time::Timestamp;
use crate::trail::record::{better_id, id_key, JobBook, JobRecord};
use crate::trail::streams::{same_worker, JobKey, StreamIndex};
use crate::trail::windows::{shift, Moved, RESHIFT_US};
use crate::trail::{collect, of_role, request, scan, shared, take, Look};

/// Context lines are those within the job's own window, widened by this much for small skew.
const CONTEXT_SLACK_US: i64 = 1_000_000;

/// The outcome of looking a job up in the coordinator's logs.
pub enum Lookup {
    Found(Box<JobRecord>),
    NotFound,
    Ambiguous(Vec<JobRecord>),
}

/// Step 1: the coordinator's lines naming jobs that match the query.
pub fn find_job(
    config: &Config,
    coordinator: &SourceSpec,
    query: &IdQuery,
) -> Result<Lookup, String> {
    let q = query.as_str().to_string();
    let select: Selector =
        Arc::new(move |e: &Event| e.job_id.as_ref().is_some_and(|id| id.matches_query(&q)));
    let literal = query.literal();
    let source = crate::read::open_source(coordinator, &config.source_options)?;
    let events = collect(vec![(
        source,
        request(
            None,
            None,
            Some(literal.clone()),
            Prefilter::any_of(&[literal]),
            select,
        ),
    )]);
    let mut book = JobBook::default();
    for e in &events {
        book.observe(e);
    }
    book.settle();
    let mut found: Vec<JobRecord> = book.matching(query.as_str()).into_iter().cloned().collect();
    Ok(match found.len() {
        0 => Lookup::NotFound,
        1 => Lookup::Found(Box::new(found.remove(0))),
        _ => Lookup::Ambiguous(found),
    })
}

/// Names in full the workers that only truncated forms name and whose logs were not found,
/// from the coordinator's `<uuid> registered successfully` lines (a read grepped for those).
pub fn resolve_unfound(config: &Config, coordinator: &SourceSpec, plan: &mut Plan) {
    if !plan
        .workers
        .iter()
        .any(|w| w.id.truncated && w.streams.is_empty())
    {
        return;
    }
    let Ok(source) = crate::read::open_source(coordinator, &config.source_options) else {
        return;
    };
    let literal = "registered successfully".to_string();
    let select: Selector = Arc::new(|e: &Event| {
        e.job_id.is_none() && e.worker_id.as_ref().is_some_and(|w| !w.truncated)
    });
    let events = collect(vec![(
        source,
        request(
            None,
            plan.until,
            Some(literal.clone()),
            Prefilter::any_of(&[literal]),
            select,
        ),
    )]);
    for w in plan.workers.iter_mut().filter(|w| w.id.truncated) {
        for e in &events {
            if let Some(full) = &e.worker_id {
                better_id(&mut w.id, full);
            }
        }
    }
}

mod pairing;
mod seen;

use seen::{first_sighting, note_stream, StreamName};
mod reposition;

/// A worker of the job and where its logs were found.
#[derive(Clone, Debug)]
pub struct WorkerTie {
    pub id: IdRef,
    /// (source index, stream label) of every stream holding this worker's logs.
    pub streams: Vec<(usize, Arc<str>)>,
    /// The coordinator's lines name it by 8 characters another worker's ID shares: it is
    /// this job's only if its own logs name the job.
    pub ambiguous: bool,
}

/// What step 3 reads, kept so that `--follow` can read the same way live.
pub struct Plan {
    pub job: JobKey,
    pub index: StreamIndex,
    pub workers: Vec<WorkerTie>,
    pub searched: Vec<String>,
    /// Worker sources to read in step 3 (indexes into the configuration's sources).
    pub worker_sources: Vec<usize>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    context: (Timestamp, Timestamp),
    /// Per worker source, how far its window is moved (earliest, latest µs) for its clock.
    shifts: HashMap<usize, Moved>,
    /// Worker sources with a topology-set ID.
    topo: Vec<(usize, IdRef)>,
    /// (source index, stream label) of every worker stream step 3 read.
    seen: Arc<Mutex<Vec<StreamName>>>,
    seen_labels: Vec<StreamName>,
    /// Lines of other jobs' steps read in the window: they pair up too (see `pairing`).
    others: Arc<Mutex<Vec<Event>>>,
    /// Set those lines aside (clocks are aligned).
    pub pair_others: bool,
}

/// Step 2: ties worker streams to worker IDs and decides which sources step 3 reads.
pub fn plan(config: &Config, record: &JobRecord, margin_us: i64) -> Plan {
    let job = JobKey::new(record.id.clone());
    let workers_specs = of_role(&config.sources, Role::Worker);
    let start = record.start();
    let id_until = start.map(|t| Timestamp(t.0.saturating_add(margin_us)));
    let index: Arc<Mutex<StreamIndex>> = shared();
    {
        let shared_index = index.clone();
        let look: Look = Arc::new(move |source: usize, e: &Event| {
            let Some(worker) = &e.worker_id else { return };
            if id_until.is_some_and(|u| e.ts.unwrap_or(e.sort_ts) > u)
                || !first_sighting(source, e, worker)
            {
                return;
            }
            shared_index
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .observe(source, e, None);
        });
        let needed: Vec<_> = workers_specs
            .iter()
            .filter(|(_, s)| !config.source_ids.contains_key(&s.spec))
            .copied()
            .collect();
        // Start-up banners name the worker of nearly every stream, and they are rare lines, so
        // that pass runs at the speed of a byte search.
        scan(
            &needed,
            &config.source_options,
            id_until,
            Prefilter::any_of(&["Worker ID".into()]),
            look.clone(),
        );
        // A worker whose stream shows no banner (rotated away, logs cut by time) is known by the
        // structured `worker_id` on its own lines: read those only when a named worker is missing.
        let unresolved = {
            let index = index.lock().unwrap_or_else(|p| p.into_inner());
            record.workers.iter().any(|w| {
                index.streams_of(w).is_empty()
                    && !config
                        .source_ids
                        .values()
                        .any(|id| same_worker(&IdRef::full(id.as_str()), w))
            })
        };
        if unresolved {
            scan(
                &needed,
                &config.source_options,
                id_until,
                Prefilter::any_of(&["worker_id".into()]),
                look,
            );
        }
        // A worker known by 8 characters may give its whole ID later (v0.18's
        // `[Recovery] <id>:`): whatever the time, that names it in full.
        let truncated = index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .streams
            .iter()
            .any(|s| s.ids.iter().any(|id| id.truncated));
        if truncated {
            let shared_index = index.clone();
            let full: Look = Arc::new(move |source: usize, e: &Event| {
                if e.worker_id.as_ref().is_some_and(|w| !w.truncated) {
                    shared_index
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .observe(source, e, None);
                }
            });
            scan(
                &needed,
                &config.source_options,
                None,
                Prefilter::any_of(&["[Recovery] ".into()]),
                full,
            );
        }
    }
    let index = take(&index);
    // Sources whose worker the topology file names: all of their streams (label "").
    let topo: Vec<(usize, IdRef)> = workers_specs
        .iter()
        .filter_map(|(i, s)| {
            config
                .source_ids
                .get(&s.spec)
                .map(|id| (*i, IdRef::full(id.as_str())))
        })
        .collect();
    let mut workers: Vec<WorkerTie> = Vec::new();
    for named in &record.workers {
        let found = index.streams_of(named);
        let mut sources: Vec<usize> = found.iter().map(|s| s.source).collect();
        sources.sort_unstable();
        sources.dedup();
        if named.truncated && sources.len() > 1 {
            // Two workers whose IDs print alike (`gpu-node-01`, `gpu-node-02`): one tie per
            // source, kept only where the worker's own lines name the job (see `finish`).
            for source in sources {
                let mut id = named.clone();
                let mut streams = Vec::new();
                for s in found.iter().filter(|s| s.source == source) {
                    for have in &s.ids {
                        better_id(&mut id, have);
                    }
                    streams.push((s.source, s.label.clone()));
                }
                workers.push(WorkerTie {
                    id,
                    streams,
                    ambiguous: true,
                });
            }
            continue;
        }
        let mut id = named.clone();
        let mut streams: Vec<_> = found
            .into_iter()
            .map(|s| {
                for have in &s.ids {
                    if same_worker(have, named) {
                        better_id(&mut id, have);
                    }
                }
                (s.source, s.label.clone())
            })
            .collect();
        for (i, tid) in &topo {
            if same_worker(tid, named) {
                better_id(&mut id, tid);
                streams.push((*i, Arc::from("")));
            }
        }
        workers.push(WorkerTie {
            id,
            streams,
            ambiguous: false,
        });
    }
    let all_named = record.announced_workers.is_some_and(|n| n <= workers.len())
        && workers.iter().all(|w| !w.streams.is_empty());
    let worker_sources: Vec<usize> = if all_named {
        let mut v: Vec<usize> = workers
            .iter()
            .flat_map(|w| w.streams.iter().map(|s| s.0))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    } else {
        // Some workers of the job are not known from the coordinator: their lines can only be
        // found by reading every worker source.
        workers_specs.iter().map(|(i, _)| *i).collect()
    };
    let end = record.ended;
    let since = start.map(|t| Timestamp(t.0.saturating_sub(margin_us)));
    let until = end.map(|t| Timestamp(t.0.saturating_add(margin_us)));
    let context = (
        start.map_or(Timestamp::MIN, |t| Timestamp(t.0 - CONTEXT_SLACK_US)),
        end.map_or(Timestamp(i64::MAX), |t| Timestamp(t.0 + CONTEXT_SLACK_US)),
    );
    Plan {
        job,
        index,
        topo,
        seen: shared(),
        seen_labels: Vec::new(),
        others: shared(),
        pair_others: true,
        shifts: HashMap::new(),
        workers,
        searched: workers_specs.iter().map(|(_, s)| s.spec.clone()).collect(),
        worker_sources,
        since,
        until,
        context,
    }
}

impl Plan {
    /// How many streams source `i` was seen to hold (a source of several names the stream too).
    pub fn streams_in(&self, i: usize) -> usize {
        let mut labels: Vec<&Arc<str>> = self
            .index
            .streams
            .iter()
            .filter(|s| s.source == i)
            .map(|s| &s.label)
            .collect();
        labels.extend(
            self.seen_labels
                .iter()
                .filter(|(s, _)| *s == i)
                .map(|(_, l)| l),
        );
        labels.extend(
            self.workers
                .iter()
                .flat_map(|w| w.streams.iter())
                .filter(|(s, _)| *s == i)
                .map(|(_, l)| l),
        );
        labels.sort();
        labels.dedup();
        labels.len()
    }

    /// Step 3's sources and requests: the coordinator and the chosen worker sources, each with
    /// the selection of trail lines it may hold.
    pub fn requests(
        &self,
        config: &Config,
        coordinator: &SourceSpec,
        follow: bool,
    ) -> Vec<(RoleSource, ReadRequest)> {
        let mut out = Vec::new();
        let worker_keys: Vec<IdRef> = self.workers.iter().map(|w| w.id.clone()).collect();
        let (since, until) = (self.since, if follow { None } else { self.until });
        // The window moved by (lo, hi): what is read, and the lines whose pairs are set aside.
        let bounds = move |(lo, hi): (i64, i64)| (shift(since, lo), shift(until, hi));
        let window = move |moved: (i64, i64)| {
            let (since, until) = bounds(moved);
            move |e: &Event| {
                let t = e.ts.unwrap_or(e.sort_ts);
                since.is_none_or(|s| t >= s) && until.is_none_or(|u| t <= u)
            }
        };
        let context = |(lo, hi): (i64, i64)| {
            let (cs, ce) = self.context;
            let (cs, ce) = (
                Timestamp(cs.0.saturating_add(lo)),
                Timestamp(ce.0.saturating_add(hi)),
            );
            move |e: &Event| {
                let t = e.ts.unwrap_or(e.sort_ts);
                t >= cs && t <= ce
            }
        };
        let mk = |select: Selector, prefilter: Prefilter, moved: (i64, i64)| {
            let (since, until) = bounds(moved);
            ReadRequest {
                since,
                until,
                follow,
                tail_lines: None,
                grep_literal: None,
                prefilter,
                // Lines of the usual JSON shape are read without their fields (most lines read
                // in the windows are other jobs'); the trail's own get them in `finish`.
                keep: if follow { Keep::Everything } else { Keep::Json },
                blank_lines: false,
                select,
            }
        };
        let job_literal = id_key(&self.job.id.text);
        // Not when following: the lines set aside would pile up.
        let pairing = self.pair_others && !follow;
        if let Ok(source) = crate::read::open_source(coordinator, &config.source_options) {
            let job = self.job.clone();
            let (in_window, in_context) = (window((0, 0)), context((0, 0)));
            let others = pairing.then(|| self.others.clone());
            let select: Selector = Arc::new(move |e: &Event| {
                in_window(e)
                    && (job.matches_event(e)
                        || e.job_id.is_none()
                            && e.level.is_some_and(|l| l <= Level::Info)
                            && in_context(e)
                            && e.worker_id
                                .as_ref()
                                .is_some_and(|w| worker_keys.iter().any(|k| same_worker(k, w)))
                        || pairing::keep_aside(others.as_deref(), e))
            });
            // Every line kept names the job or one of its workers, so it shows one of their keys;
            // other jobs' steps pair up.
            let mut literals: Vec<String> =
                self.workers.iter().map(|w| id_key(&w.id.text)).collect();
            literals.push(job_literal.clone());
            let pair_literals = pairing
                .then(crate::clock::pairs::coordinator_literals)
                .unwrap_or_default();
            let prefilter = Prefilter::any_of_or_within(&literals, &pair_literals, bounds((0, 0)));
            out.push((source, mk(select, prefilter, (0, 0))));
        }
        let pair_literals = pairing
            .then(crate::clock::pairs::worker_literals)
            .unwrap_or_default();
        for &i in &self.worker_sources {
            let Ok(source) = crate::read::open_source(&config.sources[i], &config.source_options)
            else {
                continue;
            };
            let moved = self.shifts.get(&i).copied().unwrap_or(Moved::Not);
            let (in_window, in_context) = (window(moved.window()), context(moved.context()));
            let job = self.job.clone();
            let seen = self.seen.clone();
            let others = pairing.then(|| self.others.clone());
            let last: Mutex<Arc<str>> = Mutex::new(Arc::from("\0"));
            let select: Selector = Arc::new(move |e: &Event| {
                note_stream(&seen, &last, i, &e.source);
                in_window(e)
                    && (job.matches_event(e)
                        || e.job_id.is_none()
                            && e.level.is_some_and(|l| l <= Level::Warn)
                            && in_context(e)
                        || pairing::keep_aside(others.as_deref(), e))
            });
            // The stream-label bookkeeping above sees only lines that pass this; every stream
            // a worker source holds still shows up through its banner in step 2.
            out.push((
                source,
                mk(
                    select,
                    Prefilter::default().and_job_or_level_or(
                        &job_literal,
                        Level::Warn,
                        &pair_literals,
                        bounds(moved.window()),
                    ),
                    moved.window(),
                ),
            ));
        }
        out
    }

    /// Labels of the streams tied to the job's workers, with the worker each is. Streams of a
    /// source with a topology-set ID are all that worker's.
    pub fn tied_labels(&mut self) -> HashMap<Arc<str>, IdRef> {
        let seen = take(&self.seen);
        let mut map = HashMap::new();
        for w in &mut self.workers {
            let mut whole = Vec::new();
            for (i, label) in &w.streams {
                if label.is_empty() {
                    whole.extend(seen.iter().filter(|(s, _)| s == i).cloned());
                } else {
                    map.insert(label.clone(), w.id.clone());
                }
            }
            for (i, label) in whole {
                map.insert(label.clone(), w.id.clone());
                w.streams.push((i, label));
            }
            w.streams.retain(|(_, l)| !l.is_empty());
        }
        // Topology IDs of sources the coordinator did not name for this job still identify streams.
        for (i, id) in &self.topo {
            for (_, label) in seen.iter().filter(|(s, _)| s == i) {
                map.entry(label.clone()).or_insert_with(|| id.clone());
            }
        }
        self.seen_labels = seen;
        map
    }

    /// Marks context, drops context lines of worker streams that turned out not to be the
    /// job's, fills in the worker ID of worker lines from their stream, and adds the workers
    /// found only through their own lines.
    pub fn finish(&mut self, events: Vec<Event>) -> Vec<Event> {
        let mut tied = self.tied_labels();
        // Streams with lines naming the job are the job's, whether or not the coordinator named them.
        for e in events
            .iter()
            .filter(|e| e.role == Some(Role::Worker) && self.job.matches_event(e))
        {
            if tied.contains_key(&e.source) {
                continue;
            }
            let stream_id = self
                .index
                .streams
                .iter()
                .find(|s| s.label == e.source)
                .and_then(|s| s.ids.first().cloned());
            let Some(id) = e.worker_id.clone().or(stream_id) else {
                continue;
            };
            tied.insert(e.source.clone(), id.clone());
            let source = self
                .seen_labels
                .iter()
                .find(|(_, l)| *l == e.source)
                .map_or(usize::MAX, |(i, _)| *i);
            match self.workers.iter_mut().find(|w| same_worker(&w.id, &id)) {
                Some(w) => {
                    better_id(&mut w.id, &id);
                    if !w.streams.iter().any(|(_, l)| *l == e.source) {
                        w.streams.push((source, e.source.clone()));
                    }
                }
                None => self.workers.push(WorkerTie {
                    id,
                    ambiguous: false,
                    streams: vec![(source, e.source.clone())],
                }),
            }
        }
        // Of workers whose IDs print alike, the job's are those whose own lines name it.
        let naming: Vec<&Arc<str>> = events
            .iter()
            .filter(|e| e.role == Some(Role::Worker) && self.job.matches_event(e))
            .map(|e| &e.source)
            .collect();
        let theirs = |w: &WorkerTie| w.streams.iter().any(|(_, l)| naming.contains(&l));
        if self.workers.iter().any(|w| w.ambiguous && theirs(w)) {
            for w in self.workers.iter().filter(|w| w.ambiguous && !theirs(w)) {
                for (_, label) in &w.streams {
                    tied.remove(label);
                }
            }
            self.workers.retain(|w| !w.ambiguous || theirs(w));
        }
        let mut out = Vec::with_capacity(events.len());
        for mut e in events {
            crate::parse::fill_fields(&mut e);
            let named = self.job.matches_event(&e);
            if let (true, Some(id)) = (named, &e.job_id) {
                better_id(&mut self.job.id, id);
            }
            if e.role == Some(Role::Worker) {
                match tied.get(&e.source) {
                    Some(id) if e.worker_id.is_none() => e.worker_id = Some(id.clone()),
                    Some(_) => {}
                    None if !named => continue,
                    None => {}
                }
            }
            e.context = !named;
            out.push(e);
        }
        out
    }
}
