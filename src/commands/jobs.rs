//! `zisk-logs jobs`: the jobs found in the coordinator's logs, one row each: ID, start,
//! duration, outcome, workers and reason. The workers' `[Setup] job_id <full id>` lines fill
//! in full job IDs and the workers of jobs the coordinator has not named them for yet.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use owo_colors::AnsiColors;
use serde::Serialize;

use crate::cli::{JobSort, JobsArgs};
use crate::commands::job::coordinator_of;
use crate::config::Config;
use crate::escape::sanitize_line;
use crate::event::{Event, IdRef, Role};
use crate::filter::IdQuery;
use crate::fit::{write_table, Cell, Column};
use crate::parse::Prefilter;
use crate::render::Format;
use crate::report;
use crate::source::Selector;
use crate::time::Timestamp;
use crate::trail::record::{better_id, id_key, worker_cancel_reason, JobBook, JobKind, JobRecord};
use crate::trail::streams::{json_id, same_worker, StreamIndex};
use crate::trail::Outcome;
use crate::trail::{for_each, of_role, request, scan, shared, take};

#[derive(Serialize)]
struct JobRow {
    kind: &'static str,
    /// docs/SCHEMA.md's version of this shape.
    schema: u32,
    job_id: String,
    job_kind: JobKind,
    started: Option<String>,
    ended: Option<String>,
    duration_s: Option<f64>,
    outcome: Outcome,
    reason: Option<String>,
    workers: Vec<String>,
    worker_count: usize,
}

/// Worker IDs some line shows in full, by key; keys two workers share are left as logged.
#[derive(Default)]
pub struct FullIds {
    full: HashMap<String, IdRef>,
    shared: std::collections::HashSet<String>,
}

impl FullIds {
    pub fn learn(&mut self, id: &IdRef) {
        if !id.truncated {
            self.full
                .entry(id_key(&id.text))
                .or_insert_with(|| id.clone());
        }
    }
    /// Two workers' IDs begin with this key: a truncated form names either.
    pub fn ambiguous(&mut self, key: String) {
        self.shared.insert(key);
    }
    pub fn resolve(&self, id: &IdRef) -> IdRef {
        let key = id_key(&id.text);
        match self.full.get(&key) {
            Some(full)
                if id.truncated
                    && full.text.starts_with(&*id.text)
                    && !self.shared.contains(&key) =>
            {
                full.clone()
            }
            _ => id.clone(),
        }
    }
}

/// Every job in the coordinator's logs, with worker IDs resolved where any line shows them whole.
pub fn read_jobs(config: &Config) -> Result<(Vec<JobRecord>, FullIds), String> {
    read_jobs_and_streams(config).map(|(jobs, ids, _)| (jobs, ids))
}

/// [`read_jobs`], with the worker streams it found (which worker's logs are where).
pub fn read_jobs_and_streams(
    config: &Config,
) -> Result<(Vec<JobRecord>, FullIds, StreamIndex), String> {
    let coordinator = coordinator_of(config)?;
    let select: Selector = Arc::new(|e: &Event| e.job_id.is_some() || e.worker_id.is_some());
    let mut book = JobBook::default();
    let mut full = FullIds::default();
    // A whole coordinator history: tallied as it streams by, never held.
    for_each(
        vec![(
            crate::read::open_source(coordinator, &config.source_options)?,
            request(None, None, None, Prefilter::default(), select),
        )],
        |e| {
            if let Some(w) = &e.worker_id {
                full.learn(w);
            }
            book.observe(&e);
        },
    );
    book.settle();
    // The workers' setup lines carry full job IDs, and say which worker got which job.
    let index: Arc<Mutex<StreamIndex>> = shared();
    // One sighting per job and stream, its IDs the most complete seen: a worker names its job
    // on most of its lines, and a day of them is millions.
    let seen: Arc<Mutex<HashMap<(String, StreamName), Sighting>>> = shared();
    let cancels: Arc<Mutex<Vec<(String, String)>>> = shared();
    {
        let (index, seen, cancels) = (index.clone(), seen.clone(), cancels.clone());
        let look = Arc::new(move |source: usize, e: &Event| {
            if let (Some(job), Some(worker)) = (&e.job_id, &e.worker_id) {
                let key = id_key(&job.text);
                let stream = (source, e.source.clone());
                seen.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry((key.clone(), stream.clone()))
                    .and_modify(|s| {
                        better_id(&mut s.job, job);
                        better_id(&mut s.worker, worker);
                    })
                    .or_insert_with(|| Sighting {
                        key,
                        job: job.clone(),
                        worker: worker.clone(),
                        stream,
                    });
            }
            if let (Some(job), Some(reason)) = (&e.job_id, worker_cancel_reason(&e.message)) {
                cancels
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((id_key(&job.text), reason));
            }
            if e.worker_id.is_some() {
                index
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .observe(source, e, None);
            }
        });
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
    }
    // A cancelled job's reason is what its workers were told (the coordinator logs none).
    // Sources are read in parallel: put what they saw in an order that does not vary.
    let mut cancels = take(&cancels);
    cancels.sort();
    let mut sightings: Vec<Sighting> = take(&seen).into_values().collect();
    sightings.sort_by(|a, b| (&a.stream, &a.key).cmp(&(&b.stream, &b.key)));
    for (key, reason) in cancels {
        if let Some(rec) = book
            .by_key_mut(&key)
            .filter(|j| j.outcome() == Outcome::Cancelled)
        {
            rec.reason.get_or_insert(reason);
        }
    }
    let index = take(&index);
    for s in &index.streams {
        for id in &s.ids {
            full.learn(id);
        }
    }
    for key in shared_keys(&index) {
        full.ambiguous(key);
    }
    // The workers whose own logs name a job are its workers, one per stream (two workers
    // whose IDs print alike stay two); the coordinator's adds those whose logs were not read.
    let mut by_stream: HashMap<String, Vec<(StreamName, IdRef)>> = HashMap::new();
    for s in sightings {
        if let Some(rec) = book.by_key_mut(&s.key) {
            better_id(&mut rec.id, &s.job);
            full.learn(&s.worker);
            let list = by_stream.entry(s.key).or_default();
            match list.iter_mut().find(|(stream, _)| *stream == s.stream) {
                Some((_, have)) => better_id(have, &s.worker),
                None => list.push((s.stream, s.worker)),
            }
        }
    }
    for rec in &mut book.jobs {
        let own: Vec<IdRef> = by_stream
            .remove(&id_key(&rec.id.text))
            .unwrap_or_default()
            .into_iter()
            .map(|((source, label), id)| {
                // The stream's own ID as its later lines complete it (`[Recovery] <id>:`).
                let stream = index
                    .streams
                    .iter()
                    .find(|s| s.source == source && s.label == label);
                let mut id = id;
                for have in stream.map(|s| s.ids.as_slice()).unwrap_or_default() {
                    better_id(&mut id, have);
                }
                id
            })
            .collect();
        let named = std::mem::take(&mut rec.workers);
        rec.workers = own.clone();
        for w in named {
            if !own.iter().any(|o| same_worker(o, &w)) {
                rec.workers.push(w);
            }
        }
        for w in &mut rec.workers {
            *w = full.resolve(w);
        }
    }
    Ok((book.jobs, full, index))
}

/// A worker's line naming a job: the job, the worker and the stream it came from.
struct Sighting {
    key: String,
    job: IdRef,
    worker: IdRef,
    stream: StreamName,
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

pub fn run(config: &Config, args: &JobsArgs, mut out: impl Write) -> Result<i32, String> {
    let now = Timestamp::now();
    let since = crate::commands::metrics::parse_time(args.since.as_deref(), "--since", now)?;
    let until = crate::commands::metrics::parse_time(args.until.as_deref(), "--until", now)?;
    crate::when::check_range(since, until)?;
    let worker = args.worker_id.as_deref().map(IdQuery::parse).transpose()?;
    let (jobs, _, index) = read_jobs_and_streams(config)?;
    let worker_ids: Vec<IdRef> = match &worker {
        Some(q) => index
            .streams
            .iter()
            .filter(|s| s.label.eq_ignore_ascii_case(q.as_str()))
            .flat_map(|s| s.ids.iter().cloned())
            .collect(),
        None => Vec::new(),
    };
    let took_part = |j: &JobRecord| match &worker {
        None => true,
        Some(q) => j
            .workers
            .iter()
            .any(|w| w.matches_query(q.as_str()) || worker_ids.iter().any(|id| same_worker(id, w))),
    };
    let mut jobs: Vec<&JobRecord> = jobs
        .iter()
        .filter(|j| since.is_none_or(|s| j.start().is_some_and(|t| t >= s)))
        .filter(|j| until.is_none_or(|u| j.start().is_some_and(|t| t <= u)))
        .filter(|j| args.outcome.is_empty() || args.outcome.contains(&j.outcome()))
        .filter(|j| took_part(j))
        .filter(|j| args.job_kind.is_none_or(|k| j.job_kind() == k))
        .collect();
    sort(&mut jobs, args.sort);
    if let Some(n) = args.lines {
        jobs.drain(..jobs.len().saturating_sub(n));
    }
    let rows: Vec<JobRow> = jobs
        .iter()
        .map(|j| JobRow {
            kind: "job",
            schema: 2,
            job_id: json_id(&j.id),
            job_kind: j.job_kind(),
            started: j.start().map(|t| t.to_string()),
            ended: j.ended.map(|t| t.to_string()),
            duration_s: j.duration_s().map(|d| (d * 1e6).round() / 1e6),
            outcome: j.outcome(),
            reason: crate::trail::summary::reason(j, &[]),
            workers: j.workers.iter().map(json_id).collect(),
            worker_count: j.announced_workers.unwrap_or(0).max(j.workers.len()),
        })
        .collect();
    let result = if config.format == Format::Json {
        crate::render::write_ndjson(&mut out, &rows)
    } else {
        table(&mut out, &jobs, &rows, config.fit_width(), config.color)
    };
    match result.and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            report::problem("output", &e.to_string())
        }
        _ => {}
    }
    Ok(report::exit_code(
        !rows.is_empty(),
        1 + of_role(&config.sources, Role::Worker).len(),
    ))
}

/// Rows in the order asked for; ties by start, then ID, so the order never varies.
fn sort(jobs: &mut [&JobRecord], by: JobSort) {
    let start = |j: &JobRecord| j.start().unwrap_or(Timestamp::MIN);
    jobs.sort_by(|a, b| {
        let first = match by {
            JobSort::Started | JobSort::Id => std::cmp::Ordering::Equal,
            // Running jobs (no duration yet) last.
            JobSort::Duration => match (a.duration_s(), b.duration_s()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (x, y) => x.is_none().cmp(&y.is_none()),
            },
            JobSort::Outcome => format!("{:?}", a.outcome()).cmp(&format!("{:?}", b.outcome())),
            JobSort::Workers => a.workers.len().cmp(&b.workers.len()),
        };
        let then = if by == JobSort::Id {
            a.id.text.cmp(&b.id.text)
        } else {
            start(a)
                .cmp(&start(b))
                .then_with(|| a.id.text.cmp(&b.id.text))
        };
        first.then(then)
    });
}

fn table(
    out: &mut dyn Write,
    jobs: &[&JobRecord],
    rows: &[JobRow],
    width: Option<usize>,
    color: bool,
) -> std::io::Result<()> {
    let columns = [
        Column::left("JOB ID", 9, 0),
        Column::left("KIND", 7, 9),
        Column::left("STARTED", 8, 1),
        Column::right("DURATION", 8, 9),
        Column::left("OUTCOME", 9, 9),
        Column::right("WORKERS", 7, 9),
        Column::left("REASON", 10, 2),
    ];
    let cells: Vec<Vec<Cell>> = jobs
        .iter()
        .zip(rows)
        .map(|(j, r)| {
            let (when, short) = j
                .start()
                .map(crate::zone::table_time)
                .unwrap_or_else(|| ("?".into(), "?".into()));
            let outcome_color = match r.outcome {
                Outcome::Failed => Some(AnsiColors::Red),
                Outcome::Cancelled => Some(AnsiColors::Yellow),
                Outcome::Completed => Some(AnsiColors::Green),
                _ => None,
            };
            vec![
                Cell::new(sanitize_line(&r.job_id)),
                Cell::new(format!("{:?}", r.job_kind).to_lowercase()),
                Cell::new(when).short(short),
                Cell::new(
                    r.duration_s
                        .map(|d| format!("{d:.1}s"))
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::new(format!("{:?}", r.outcome).to_lowercase()).color(outcome_color),
                Cell::new(r.worker_count.to_string()),
                Cell::new(r.reason.as_deref().map(sanitize_line).unwrap_or_default()),
            ]
        })
        .collect();
    write_table(out, &columns, &cells, width, color)
}
