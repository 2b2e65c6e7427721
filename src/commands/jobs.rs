//! `zisk-logs jobs`: the jobs found in the coordinator's logs, one row each: ID, start,
//! duration, outcome, workers and reason. The workers' `[Setup] job_id <full id>` lines fill
//! in full job IDs and the workers of jobs the coordinator has not named them for yet.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use owo_colors::OwoColorize;
use serde::Serialize;

use crate::cli::JobsArgs;
use crate::commands::job::coordinator_of;
use crate::config::Config;
use crate::event::{Event, IdRef, Role};
use crate::parse::Prefilter;
use crate::render::{sanitize, Format};
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
    let seen: Arc<Mutex<Vec<Sighting>>> = shared();
    let cancels: Arc<Mutex<Vec<(String, String)>>> = shared();
    {
        let (index, seen, cancels) = (index.clone(), seen.clone(), cancels.clone());
        let look = Arc::new(move |source: usize, e: &Event| {
            if let (Some(job), Some(worker)) = (&e.job_id, &e.worker_id) {
                seen.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Sighting {
                        key: id_key(&job.text),
                        job: job.clone(),
                        worker: worker.clone(),
                        stream: (source, e.source.clone()),
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
    for (key, reason) in take(&cancels) {
        if let Some(rec) = book
            .jobs
            .iter_mut()
            .find(|j| id_key(&j.id.text) == key && j.outcome() == Outcome::Cancelled)
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
    for s in take(&seen) {
        if let Some(rec) = book.jobs.iter_mut().find(|j| id_key(&j.id.text) == s.key) {
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
    let since = args
        .since
        .as_deref()
        .map(|s| Timestamp::parse_user(s, Timestamp::now()))
        .transpose()
        .map_err(|e| format!("--since: {e}"))?;
    let (jobs, _) = read_jobs(config)?;
    let jobs: Vec<&JobRecord> = jobs
        .iter()
        .filter(|j| since.is_none_or(|s| j.start().is_some_and(|t| t >= s)))
        .filter(|j| args.outcome.is_none_or(|o| j.outcome() == o))
        .filter(|j| args.job_kind.is_none_or(|k| j.job_kind() == k))
        .collect();
    let rows: Vec<JobRow> = jobs
        .iter()
        .map(|j| JobRow {
            kind: "job",
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
        table(
            &mut out,
            &rows,
            config.color && config.format == Format::Pretty,
        )
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

fn table(out: &mut dyn Write, rows: &[JobRow], color: bool) -> std::io::Result<()> {
    let id_w = rows
        .iter()
        .map(|r| r.job_id.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(
        out,
        "{:<id_w$}  {:<7}  {:<23}  {:>9}  {:<9}  {:>7}  REASON",
        "JOB ID", "KIND", "STARTED", "DURATION", "OUTCOME", "WORKERS"
    )?;
    for r in rows {
        let started = r
            .started
            .as_deref()
            .map(|s| s.get(..23).unwrap_or(s))
            .unwrap_or("?");
        let dur = r
            .duration_s
            .map(|d| format!("{d:.1}s"))
            .unwrap_or_else(|| "-".into());
        let outcome = format!("{:<9}", format!("{:?}", r.outcome).to_lowercase());
        let outcome = match r.outcome {
            Outcome::Failed if color => outcome.red().to_string(),
            Outcome::Cancelled if color => outcome.yellow().to_string(),
            Outcome::Completed if color => outcome.green().to_string(),
            _ => outcome,
        };
        let reason = r.reason.as_deref().map(sanitize).unwrap_or_default();
        writeln!(
            out,
            "{:<id_w$}  {:<7}  {started:<23}  {dur:>9}  {outcome}  {:>7}  {reason}",
            sanitize(&r.job_id),
            format!("{:?}", r.job_kind).to_lowercase(),
            r.worker_count
        )?;
    }
    Ok(())
}
