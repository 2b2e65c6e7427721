//! Every job of a whole coordinator history, and which worker streams hold them: the pass that
//! `jobs`, `metrics` and `triage` share. The coordinator is tallied as it streams by (another
//! pass may look at its lines on the way, through a [`CoordinatorTap`]) while the workers'
//! setup lines are scanned beside it, each source read once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::config::{Config, SourceSpec};
use rustc_hash::FxHashMap;

use crate::event::{id_key_of, Event, IdRef, KeyIndex, Role};
use crate::parse::{Keep, Prefilter};
use crate::source::Selector;
use crate::trail::record::{better_id, id_key, JobBook, JobRecord};
use crate::trail::streams::{same_worker, StreamIndex};
use crate::trail::wording::worker_cancel_reason;
use crate::trail::Outcome;
use crate::trail::{for_each, of_role, request, scan};

/// Worker IDs some line shows in full, by key; keys two workers share are left as logged.
#[derive(Default)]
pub struct FullIds {
    full: FxHashMap<String, IdRef>,
    shared: rustc_hash::FxHashSet<String>,
}

impl FullIds {
    pub fn learn(&mut self, id: &IdRef) {
        // Looked up by the borrowed key: every worker of every job is learned.
        if !id.truncated && !self.full.contains_key(id_key_of(&id.text)) {
            self.full.insert(id_key(&id.text), id.clone());
        }
    }
    /// Two workers' IDs begin with this key: a truncated form names either.
    pub fn ambiguous(&mut self, key: String) {
        self.shared.insert(key);
    }
    pub fn resolve(&self, id: &IdRef) -> IdRef {
        let key = id_key_of(&id.text);
        match self.full.get(key) {
            Some(full)
                if id.truncated
                    && full.text.starts_with(&*id.text)
                    && !self.shared.contains(key) =>
            {
                full.clone()
            }
            _ => id.clone(),
        }
    }
}

/// The coordinator's source: every trail and history starts there.
pub fn coordinator_of(config: &Config) -> Result<&SourceSpec, String> {
    config.sources.iter().find(|s| s.role == Some(Role::Coordinator)).ok_or_else(|| {
        "this command reads the coordinator's logs: pass --coordinator SOURCE or name it in a topology file (--config)".to_string()
    })
}

/// Another pass's look at the coordinator's lines, taken during this one so that the
/// coordinator is read once: it sees every line as it is parsed, in the log's order (in the
/// reader's thread), and keeps what it needs itself.
pub type CoordinatorTap = Arc<dyn Fn(&Event) + Send + Sync>;

/// The jobs, the worker IDs seen whole, and which worker's logs are in which stream.
pub struct History {
    pub jobs: Vec<JobRecord>,
    pub ids: FullIds,
    pub streams: StreamIndex,
}

/// Reads the coordinator's whole history for its jobs and the workers' for which of them each
/// worker holds, both at once; `tap` sees the coordinator's lines on the way.
pub fn read(config: &Config, tap: Option<CoordinatorTap>) -> Result<History, String> {
    let coordinator = crate::read::open_source(coordinator_of(config)?, &config.source_options)?;
    let (mut book, mut full, (index, seen, cancels)) = std::thread::scope(|s| {
        let tally = s.spawn(move || tally_coordinator(coordinator, tap));
        let (index, mut seen, mut cancels) = scan_workers(config);
        // The coordinator, the longer read, is still tallied: meanwhile, put what the workers
        // showed in an order that does not vary (sources are read in parallel).
        cancels.sort();
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        let (book, full) = tally
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (book, full, (index, seen, cancels))
    });
    // A cancelled job's reason is what its workers were told (the coordinator logs none).
    for (key, reason) in cancels {
        if let Some(rec) = book
            .by_key_mut(&key)
            .filter(|j| j.outcome() == Outcome::Cancelled)
        {
            rec.reason.get_or_insert(reason);
        }
    }
    for s in &index.streams {
        for id in &s.ids {
            full.learn(id);
        }
    }
    for key in shared_keys(&index) {
        full.ambiguous(key);
    }
    // The workers whose own logs name a job are its workers, one per stream (two workers
    // whose IDs print alike stay two), in the streams' order; the coordinator's adds those
    // whose logs were not read. Kept by the job's place in the book: a day holds a sighting
    // for every worker of every job.
    let mut own: Vec<Vec<IdRef>> = vec![Vec::new(); book.jobs.len()];
    for ((source, label), sightings) in seen {
        // The stream's own ID as its later lines complete it (`[Recovery] <id>:`).
        let completed: &[IdRef] = index
            .streams
            .iter()
            .find(|s| s.source == source && s.label == label)
            .map(|s| s.ids.as_slice())
            .unwrap_or_default();
        for sighting in sightings.list {
            let Some(i) = book.index_of(id_key_of(&sighting.job.text)) else {
                continue;
            };
            better_id(&mut book.jobs[i].id, &sighting.job);
            full.learn(&sighting.worker);
            let mut id = sighting.worker;
            for have in completed {
                better_id(&mut id, have);
            }
            own[i].push(id);
        }
    }
    for (rec, own) in book.jobs.iter_mut().zip(own) {
        let named = std::mem::replace(&mut rec.workers, own);
        let streams = rec.workers.len();
        for w in named {
            if !rec.workers[..streams].iter().any(|o| same_worker(o, &w)) {
                rec.workers.push(w);
            }
        }
        for w in &mut rec.workers {
            *w = full.resolve(w);
        }
    }
    Ok(History {
        jobs: book.jobs,
        ids: full,
        streams: index,
    })
}

/// A whole coordinator history: tallied as it streams by, never held.
fn tally_coordinator(
    coordinator: crate::read::RoleSource,
    tap: Option<CoordinatorTap>,
) -> (JobBook, FullIds) {
    let ours = |e: &Event| e.job_id.is_some() || e.worker_id.is_some();
    let select: Selector = match tap {
        Some(tap) => Arc::new(move |e: &Event| {
            tap(e);
            ours(e)
        }),
        None => Arc::new(ours),
    };
    let mut book = JobBook::default();
    let mut full = FullIds::default();
    let mut read = request(None, None, None, Prefilter::default(), select);
    read.keep = Keep::Facts;
    for_each(vec![(coordinator, read)], |e| {
        if let Some(w) = &e.worker_id {
            full.learn(w);
        }
        book.observe(&e);
    });
    book.settle();
    (book, full)
}

/// Per stream, its sightings, in the order first seen, found by job key (a day of worker
/// lines is millions, of a few thousand jobs).
type Sightings = Vec<(StreamName, StreamSightings)>;

#[derive(Default)]
struct StreamSightings {
    by_key: KeyIndex,
    list: Vec<Sighting>,
}

/// The workers' setup lines carry full job IDs, and say which worker got which job.
fn scan_workers(config: &Config) -> (StreamIndex, Sightings, Vec<(String, String)>) {
    // What each source showed, behind a lock of its own: a source is read by one thread at a
    // time, so no two readers wait for each other (one lock for all made a pool thread sleep
    // while the other held it, for every line).
    let per_source: Arc<Vec<Mutex<SourceScan>>> =
        Arc::new(config.sources.iter().map(|_| Mutex::default()).collect());
    let look = {
        let per_source = per_source.clone();
        Arc::new(move |source: usize, e: &Event| {
            let mut scan = per_source[source].lock().unwrap_or_else(|p| p.into_inner());
            scan.look(source, e);
        })
    };
    let workers = of_role(&config.sources, Role::Worker);
    scan(
        &workers,
        &config.source_options,
        None,
        Prefilter::any_of(&[
            "job_id".into(),
            "Worker ID".into(),
            " cancelled: ".into(),
            "Starting ".into(),
            "[Recovery] ".into(),
        ]),
        look,
    );
    // In the order of the sources, whichever thread read them.
    let mut index = StreamIndex::default();
    let (mut seen, mut cancels) = (Sightings::new(), Vec::new());
    for one in per_source.iter() {
        let one = std::mem::take(&mut *one.lock().unwrap_or_else(|p| p.into_inner()));
        index.streams.extend(one.index.streams);
        seen.extend(one.seen);
        cancels.extend(one.cancels);
    }
    (index, seen, cancels)
}

/// What one worker source's setup lines showed.
#[derive(Default)]
struct SourceScan {
    index: StreamIndex,
    /// One sighting per job and stream, its IDs the most complete seen: a worker names its
    /// job on most of its lines, and a day of them is millions.
    seen: Sightings,
    /// Jobs the worker was told to cancel, with the reason.
    cancels: Vec<(String, String)>,
}

impl SourceScan {
    fn look(&mut self, source: usize, e: &Event) {
        if let (Some(job), Some(worker)) = (&e.job_id, &e.worker_id) {
            let key = id_key_of(&job.text);
            let seen = &mut self.seen;
            let i = match seen
                .iter()
                .position(|((_, label), _)| Arc::ptr_eq(label, &e.source) || *label == e.source)
            {
                Some(i) => i,
                None => {
                    seen.push(((source, e.source.clone()), StreamSightings::default()));
                    seen.len() - 1
                }
            };
            let stream = &mut seen[i].1;
            match stream.by_key.get(key) {
                Some(at) => {
                    let s = &mut stream.list[at];
                    better_id(&mut s.job, job);
                    better_id(&mut s.worker, worker);
                }
                None => {
                    stream.by_key.insert(key, stream.list.len());
                    stream.list.push(Sighting {
                        job: job.clone(),
                        worker: worker.clone(),
                    });
                }
            }
        }
        if let (Some(job), Some(reason)) = (&e.job_id, worker_cancel_reason(&e.message)) {
            self.cancels.push((id_key(&job.text), reason));
        }
        if e.worker_id.is_some() {
            self.index.observe(source, e, None);
        }
    }
}

/// A worker's line naming a job (one per job and stream): the job and the worker.
struct Sighting {
    job: IdRef,
    worker: IdRef,
}

/// A stream: the index of its source and its label.
type StreamName = (usize, Arc<str>);

/// ID keys that streams of different sources state: two workers whose IDs print alike.
pub fn shared_keys(index: &StreamIndex) -> Vec<String> {
    let mut sources: HashMap<String, Vec<usize>> = HashMap::new();
    for s in &index.streams {
        for id in &s.ids {
            let list = sources.entry(id_key(&id.text)).or_default();
            if !list.contains(&s.source) {
                list.push(s.source);
            }
        }
    }
    sources
        .into_iter()
        .filter(|(_, list)| list.len() > 1)
        .map(|(key, _)| key)
        .collect()
}
