//! `zisk-logs workers`: every worker ID known (from banners, structured fields, the
//! coordinator's lines and the topology file), the source holding its logs, when it was first
//! and last seen, its registrations and disconnects, its jobs and its errors.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::cli::WorkersArgs;
use crate::clock::{pairs, Clock, PairBook, StreamOffset};
use crate::config::Config;
use crate::escape::sanitize_line;
use crate::event::{Event, IdRef, Level, Role};
use crate::fit::{write_table, Cell, Column};
use crate::parse::Prefilter;
use crate::render::Format;
use crate::report;
use crate::source::Selector;
use crate::time::Timestamp;
use crate::trail::record::{better_id, same_key};
use crate::trail::streams::{json_id, same_worker, StreamIndex};
use crate::trail::{for_each, of_role, request, scan, shared, take};

#[derive(Serialize)]
struct WorkerRow {
    kind: &'static str,
    /// docs/SCHEMA.md's version of this shape.
    schema: u32,
    worker_id: String,
    source: Option<String>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    registrations: usize,
    disconnects: usize,
    jobs: Vec<String>,
    errors: usize,
    /// Positive when the worker's clock is ahead of the coordinator's; null when unknown.
    clock_offset_ms: Option<f64>,
    clock_offset_uncertainty_ms: Option<f64>,
}

struct Worker {
    id: IdRef,
    /// The source holding its logs (index in the configuration).
    source: Option<usize>,
    sources: Vec<String>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    registrations: usize,
    disconnect_lines: usize,
    disconnected_lines: usize,
    jobs: Vec<IdRef>,
    errors: usize,
}

impl Worker {
    fn new(id: IdRef) -> Worker {
        Worker {
            id,
            source: None,
            sources: Vec::new(),
            first: None,
            last: None,
            registrations: 0,
            disconnect_lines: 0,
            disconnected_lines: 0,
            jobs: Vec::new(),
            errors: 0,
        }
    }
    fn seen(&mut self, t: Option<Timestamp>) {
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }
    fn job(&mut self, j: &IdRef) {
        match self
            .jobs
            .iter_mut()
            .find(|have| same_key(&have.text, &j.text))
        {
            Some(have) => better_id(have, j),
            None => self.jobs.push(j.clone()),
        }
    }
}

/// The worker of a stream of source `source`: the same full ID, or a form of the ID from the
/// same source. A truncated ID from another source may be another worker whose ID prints
/// alike (`gpu-node-01`, `gpu-node-02`): never merged.
fn of_stream<'a>(list: &'a mut Vec<Worker>, id: &IdRef, source: usize) -> &'a mut Worker {
    let i = match list.iter().position(|w| {
        (!w.id.truncated && !id.truncated && w.id.text == id.text)
            || w.source == Some(source) && same_worker(&w.id, id)
    }) {
        Some(i) => i,
        None => {
            let mut w = Worker::new(id.clone());
            w.source = Some(source);
            list.push(w);
            list.len() - 1
        }
    };
    better_id(&mut list[i].id, id);
    &mut list[i]
}

/// The worker a coordinator line names: the one worker its form fits, a new one when none
/// does, `None` when several do (their IDs print alike: the line is ambiguous).
fn named<'a>(list: &'a mut Vec<Worker>, id: &IdRef) -> Option<&'a mut Worker> {
    let fits: Vec<usize> = (0..list.len())
        .filter(|&i| same_worker(&list[i].id, id))
        .collect();
    let i = match fits[..] {
        [i] => i,
        [] => {
            list.push(Worker::new(id.clone()));
            list.len() - 1
        }
        _ => return None,
    };
    better_id(&mut list[i].id, id);
    Some(&mut list[i])
}

/// What a worker's own line says of its link to the coordinator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MarkKind {
    Registered,
    Left,
}

/// A worker's own registration or leave, by source.
struct Mark {
    source: usize,
    ts: Timestamp,
    kind: MarkKind,
    /// A registration answers one coordinator line only.
    used: bool,
}

fn own_mark(m: &str) -> Option<MarkKind> {
    if m.starts_with("Registration accepted") {
        Some(MarkKind::Registered)
    } else if m.starts_with("Stream closed") || m.starts_with("Received SIG") {
        Some(MarkKind::Left)
    } else {
        None
    }
}

fn coordinator_mark(m: &str) -> Option<MarkKind> {
    if m.contains("Registered worker") || m.contains("Reconnected worker") {
        Some(MarkKind::Registered)
    } else if m.contains("isconnected") || m.starts_with("Error receiving from") {
        Some(MarkKind::Left)
    } else {
        None
    }
}

/// Of the workers an ambiguous ID fits, the one whose own log shows the same registration or
/// leave within a few seconds (clocks differ); none when no single one does.
fn by_own_lines<'a>(
    list: &'a mut [Worker],
    id: &IdRef,
    kind: Option<MarkKind>,
    ts: Option<Timestamp>,
    marks: &mut [Mark],
) -> Option<&'a mut Worker> {
    const NEAR_S: f64 = 5.0;
    let (kind, ts) = (kind?, ts?);
    // (worker, mark, distance) of the nearest unused mark of a worker the ID fits.
    let mut best: Option<(usize, usize, f64)> = None;
    for (i, w) in list.iter().enumerate() {
        if !same_worker(&w.id, id) {
            continue;
        }
        for (k, m) in marks.iter().enumerate() {
            let near = m.ts.seconds_since(ts).abs();
            let fits = Some(m.source) == w.source && m.kind == kind && !m.used;
            if fits && near <= NEAR_S && best.is_none_or(|(_, _, b)| near < b) {
                best = Some((i, k, near));
            }
        }
    }
    let (i, k, _) = best?;
    marks[k].used = kind == MarkKind::Registered;
    Some(&mut list[i])
}

pub fn run(config: &Config, _args: &WorkersArgs, mut out: impl Write) -> Result<i32, String> {
    let worker_specs = of_role(&config.sources, Role::Worker);
    let index: Arc<Mutex<StreamIndex>> = shared();
    let marks: Arc<Mutex<Vec<Mark>>> = shared();
    // The causal pairs in what this reads anyway: each worker's clock against the coordinator's.
    let pairs: Arc<Mutex<PairBook>> = shared();
    {
        let (index, marks, pairs) = (index.clone(), marks.clone(), pairs.clone());
        let look = Arc::new(move |source: usize, e: &Event| {
            if let (Some(kind), Some(ts)) = (own_mark(&e.message), e.ts) {
                let mut marks = marks.lock().unwrap_or_else(|p| p.into_inner());
                marks.push(Mark {
                    source,
                    ts,
                    kind,
                    used: false,
                });
            }
            index
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .observe(source, e, None);
            // Only lines naming a job or a worker pair up or name the stream's worker.
            if e.job_id.is_some() || e.worker_id.is_some() {
                pairs.lock().unwrap_or_else(|p| p.into_inner()).observe(e);
            }
        });
        scan(
            &worker_specs,
            &config.source_options,
            None,
            Prefilter::default(),
            look,
        );
    }
    let mut index = take(&index);
    let mut marks = take(&marks);
    for (i, spec) in &worker_specs {
        if let Some(id) = config.source_ids.get(&spec.spec) {
            index.set_topology_id(*i, id);
        }
    }
    let mut workers: Vec<Worker> = Vec::new();
    let streams_in = |i: usize| index.streams.iter().filter(|s| s.source == i).count();
    for s in &index.streams {
        for id in &s.ids {
            let w = of_stream(&mut workers, id, s.source);
            let name = &config.sources[s.source].spec;
            let shown = if streams_in(s.source) > 1 {
                format!("{name} [{}]", s.label)
            } else {
                name.clone()
            };
            if !w.sources.contains(&shown) {
                w.sources.push(shown);
            }
            w.seen(s.first_seen);
            w.seen(s.last_seen);
            w.errors += s.errors;
            for j in &s.jobs {
                w.job(j);
            }
        }
    }
    for (i, spec) in &worker_specs {
        if let Some(id) = config.source_ids.get(&spec.spec) {
            if !index.streams.iter().any(|s| s.source == *i) {
                of_stream(&mut workers, &IdRef::full(id.as_str()), *i)
                    .sources
                    .push(spec.spec.clone());
            }
        }
    }
    let mut sources = worker_specs.len();
    if let Some(coordinator) = config
        .sources
        .iter()
        .find(|s| s.role == Some(Role::Coordinator))
    {
        sources += 1;
        let book = pairs.clone();
        let select: Selector = Arc::new(move |e: &Event| {
            if e.job_id.is_some() {
                book.lock().unwrap_or_else(|p| p.into_inner()).observe(e);
            }
            e.worker_id.is_some()
        });
        if let Ok(src) = crate::read::open_source(coordinator, &config.source_options) {
            let items = vec![(src, request(None, None, None, Prefilter::default(), select))];
            for_each(items, |e| {
                let Some(id) = &e.worker_id else { return };
                let m = e.message.as_str();
                let w = match named(&mut workers, id) {
                    Some(w) => w,
                    // Two workers print alike: the one whose own log registered or left then.
                    None => {
                        match by_own_lines(&mut workers, id, coordinator_mark(m), e.ts, &mut marks)
                        {
                            Some(w) => w,
                            None => return,
                        }
                    }
                };
                w.seen(e.ts);
                if m.contains("Registered worker") || m.contains("Reconnected worker") {
                    w.registrations += 1;
                }
                if m.contains("Disconnected worker") {
                    w.disconnect_lines += 1;
                } else if m.contains(" disconnected") && !m.starts_with("Failed job") {
                    w.disconnected_lines += 1;
                }
                if e.level == Some(Level::Error) {
                    w.errors += 1;
                }
                if let Some(j) = &e.job_id {
                    w.job(j);
                }
            });
        }
    }
    // A stable order: by where the logs are, then by ID (the scan's order is the threads').
    workers.sort_by_cached_key(|w| (w.sources.first().cloned(), w.id.display()));
    let clock = Clock::from_book(&take(&pairs));
    let clock_of = |w: &Worker| {
        index
            .streams
            .iter()
            // The stream's own ID is the first it states (a banner); later ones may be lines
            // about other workers.
            // Two workers whose IDs print alike are told apart by the source holding each.
            .filter(|s| w.source.is_none_or(|i| s.source == i))
            .filter(|s| {
                s.ids
                    .first()
                    .is_some_and(|id| pairs::same_worker(id, &w.id))
            })
            .filter_map(|s| clock.summary_of(&s.label))
            .max_by_key(|o| o.pairs)
    };
    let rows: Vec<WorkerRow> = workers
        .iter()
        .map(|w| (w, clock_of(w)))
        .map(|(w, offset)| WorkerRow {
            kind: "worker",
            schema: 2,
            worker_id: json_id(&w.id),
            source: (!w.sources.is_empty()).then(|| w.sources.join(", ")),
            first_seen: w.first.map(|t| t.to_string()),
            last_seen: w.last.map(|t| t.to_string()),
            registrations: w.registrations,
            // The coordinator logs a disconnect as two lines; count one of them.
            disconnects: w.disconnect_lines.max(w.disconnected_lines),
            jobs: w.jobs.iter().map(json_id).collect(),
            errors: w.errors,
            clock_offset_ms: offset.as_ref().map(StreamOffset::offset_ms),
            clock_offset_uncertainty_ms: offset.as_ref().and_then(StreamOffset::uncertainty_ms),
        })
        .collect();
    let result = if config.format == Format::Json {
        crate::render::write_ndjson(&mut out, &rows)
    } else {
        table(&mut out, &workers, &rows, config.fit_width())
    };
    match result.and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            report::problem("output", &e.to_string())
        }
        _ => {}
    }
    if sources == 0 {
        return Err(
            "nothing to read: pass --coordinator/--worker or use a topology file (--config)".into(),
        );
    }
    Ok(report::exit_code(!rows.is_empty(), sources))
}

fn table(
    out: &mut dyn Write,
    workers: &[Worker],
    rows: &[WorkerRow],
    width: Option<usize>,
) -> std::io::Result<()> {
    let columns = [
        Column::left("WORKER ID", 13, 1),
        Column::left("FIRST SEEN", 10, 0),
        Column::left("LAST SEEN", 9, 0),
        Column::right("REG", 3, 9),
        Column::right("DISC", 4, 9),
        Column::right("JOBS", 4, 9),
        Column::right("ERRORS", 6, 9),
        Column::left("SOURCE", 12, 2).keep_end(),
    ];
    let time = |t: Option<Timestamp>| match t.map(crate::zone::table_time) {
        Some((full, short)) => Cell::new(full).short(short),
        None => Cell::new("?").short("?"),
    };
    let cells: Vec<Vec<Cell>> = workers
        .iter()
        .zip(rows)
        .map(|(w, r)| {
            vec![
                Cell::new(sanitize_line(&r.worker_id)),
                time(w.first),
                time(w.last),
                Cell::new(r.registrations.to_string()),
                Cell::new(r.disconnects.to_string()),
                Cell::new(r.jobs.len().to_string()),
                Cell::new(r.errors.to_string()),
                Cell::new(
                    r.source
                        .as_deref()
                        .map(sanitize_line)
                        .unwrap_or("(logs not found)".into()),
                ),
            ]
        })
        .collect();
    write_table(out, &columns, &cells, width, false)
}
