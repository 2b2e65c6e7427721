//! Which worker each worker stream (file, unit, container, pod) belongs to: the start-up banner
//! (`Worker ID <id>`), the structured `worker_id` on the worker's own lines, or the `id` the
//! topology file gives its source. Also counts, per stream, the lines that name a job.

use std::sync::Arc;

use crate::event::{id_key_of, Event, IdRef, KeyIndex, Level};
use crate::time::Timestamp;
use crate::trail::record::{better_id, id_key, same_key};

/// A job ID to match lines against: its 8-character key and the most complete form known.
#[derive(Clone, Debug)]
pub struct JobKey {
    pub id: IdRef,
    key: String,
}

impl JobKey {
    pub fn new(id: IdRef) -> JobKey {
        JobKey {
            key: id_key(&id.text),
            id,
        }
    }

    /// Does this line's job ID name this job? Truncated forms match by their 8 characters;
    /// two full IDs must be equal.
    pub fn matches(&self, id: &IdRef) -> bool {
        same_key(&id.text, &self.key)
            && (id.truncated || self.id.truncated || id.text == self.id.text)
    }

    pub fn matches_event(&self, e: &Event) -> bool {
        e.job_id.as_ref().is_some_and(|id| self.matches(id))
    }
}

/// What one worker stream says about itself.
#[derive(Clone, Debug)]
pub struct StreamInfo {
    /// Index of the source (in the configuration's list) the stream belongs to.
    pub source: usize,
    pub label: Arc<str>,
    /// The worker IDs the stream states for itself, in the order first seen.
    pub ids: Vec<IdRef>,
    /// Lines naming the job being looked for, and the worker IDs on those lines.
    pub job_lines: usize,
    pub job_worker_ids: Vec<IdRef>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub errors: usize,
    /// Jobs the stream's lines name (keys), in the order first seen.
    pub jobs: Vec<IdRef>,
    /// Position in `jobs` by ID key, so that a worker of thousands of jobs is not searched per line.
    job_index: KeyIndex,
}

fn add_id(list: &mut Vec<IdRef>, id: &IdRef) {
    match list.iter_mut().find(|have| same_key(&have.text, &id.text)) {
        Some(have) => better_id(have, id),
        None => list.push(id.clone()),
    }
}

#[derive(Default, Debug)]
pub struct StreamIndex {
    pub streams: Vec<StreamInfo>,
}

impl StreamIndex {
    fn entry(&mut self, source: usize, label: &Arc<str>) -> &mut StreamInfo {
        let i =
            match self.streams.iter().position(|s| {
                s.source == source && (Arc::ptr_eq(&s.label, label) || s.label == *label)
            }) {
                Some(i) => i,
                None => {
                    self.streams.push(StreamInfo {
                        source,
                        label: label.clone(),
                        ids: Vec::new(),
                        job_lines: 0,
                        job_worker_ids: Vec::new(),
                        first_seen: None,
                        last_seen: None,
                        errors: 0,
                        jobs: Vec::new(),
                        job_index: KeyIndex::default(),
                    });
                    self.streams.len() - 1
                }
            };
        &mut self.streams[i]
    }

    /// A source whose worker ID the topology file sets: every stream of it is that worker.
    pub fn set_topology_id(&mut self, source: usize, id: &str) {
        for s in self.streams.iter_mut().filter(|s| s.source == source) {
            s.ids.retain(|have| same_key(&have.text, id));
            if s.ids.is_empty() {
                s.ids.push(IdRef::full(id));
            }
        }
    }

    /// Takes in one event of a worker stream: its identity, and whether it names `job`.
    pub fn observe(&mut self, source: usize, e: &Event, job: Option<&JobKey>) {
        let s = self.entry(source, &e.source);
        if let Some(w) = &e.worker_id {
            add_id(&mut s.ids, w);
        }
        if let Some(t) = e.ts {
            s.first_seen.get_or_insert(t);
            s.last_seen = Some(t);
        }
        if e.level == Some(Level::Error) {
            s.errors += 1;
        }
        if let Some(j) = &e.job_id {
            let key = id_key_of(&j.text);
            match s.job_index.get(key) {
                Some(i) => better_id(&mut s.jobs[i], j),
                None => {
                    s.job_index.insert(key, s.jobs.len());
                    s.jobs.push(j.clone());
                }
            }
        }
        if job.is_some_and(|k| k.matches_event(e)) {
            s.job_lines += 1;
            if let Some(w) = &e.worker_id {
                add_id(&mut s.job_worker_ids, w);
            }
        }
    }

    /// Streams that state this worker ID (full, or a truncated form of it).
    pub fn streams_of(&self, id: &IdRef) -> Vec<&StreamInfo> {
        self.streams
            .iter()
            .filter(|s| s.ids.iter().any(|have| same_worker(have, id)))
            .collect()
    }
}

/// How pretty output names a worker everywhere (docs/SCHEMA.md): the label of the stream
/// holding its logs (host, pod, container) and its short ID, `worker-02 (f38b6922)`; the label
/// alone when it already says the ID; the ID as known when no stream holds its logs (it is
/// then the one thing to search for).
pub fn display_name(label: Option<&str>, id: &str) -> String {
    let short = id_key(id);
    match label {
        Some(label) if label.contains(&*short) => label.to_string(),
        Some(label) => format!("{label} ({short})"),
        None => id.to_string(),
    }
}

/// An ID as JSON gives it: the full ID, or the prefix as logged without its ellipsis.
pub fn json_id(id: &IdRef) -> String {
    id.text.to_string()
}

/// Two forms of a worker ID name the same worker: equal, or one a truncated form of the other.
pub fn same_worker(a: &IdRef, b: &IdRef) -> bool {
    if a.truncated || b.truncated {
        same_key(&a.text, &b.text) && (a.text.starts_with(&*b.text) || b.text.starts_with(&*a.text))
    } else {
        a.text == b.text
    }
}
