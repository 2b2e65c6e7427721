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
use crate::escape::{column_width, pad, sanitize_line};
use crate::event::{Event, IdRef, Role};
use crate::parse::Prefilter;
use crate::render::Format;
use crate::report;
use crate::source::Selector;
use crate::time::Timestamp;
use crate::trail::record::{better_id, id_key, worker_cancel_reason, JobBook, JobRecord};
use crate::trail::streams::{same_worker, StreamIndex};
use crate::trail::Outcome;
use crate::trail::{collect, of_role, request, scan, shared, take};

#[derive(Serialize)]
struct JobRow {
    kind: &'static str,
    job_id: String,
    started: Option<String>,
    ended: Option<String>,
    duration_s: Option<f64>,
    outcome: Outcome,
    reason: Option<String>,
    workers: Vec<String>,
    worker_count: usize,
}

/// Worker IDs the coordinator shows in full (`<uuid> registered successfully`), by key.
#[derive(Default)]
pub struct FullIds(HashMap<String, IdRef>);

impl FullIds {
    pub fn learn(&mut self, id: &IdRef) {
        if !id.truncated {
            self.0.entry(id_key(&id.text)).or_insert_with(|| id.clone());
        }
    }
    pub fn resolve(&self, id: &IdRef) -> IdRef {
        match self.0.get(&id_key(&id.text)) {
            Some(full) if id.truncated && full.text.starts_with(&*id.text) => full.clone(),
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
    let events = collect(vec![(
        crate::read::open_source(coordinator, &config.source_options)?,
        request(None, None, None, Prefilter::default(), select),
    )]);
    let mut book = JobBook::default();
    let mut full = FullIds::default();
    for e in &events {
        if let Some(w) = &e.worker_id {
            full.learn(w);
        }
        book.observe(e);
    }
    // The workers' setup lines carry full job IDs, and say which worker got which job.
    let index: Arc<Mutex<StreamIndex>> = shared();
    let seen: Arc<Mutex<Vec<(String, IdRef, IdRef)>>> = shared();
    let cancels: Arc<Mutex<Vec<(String, String)>>> = shared();
    {
        let (index, seen, cancels) = (index.clone(), seen.clone(), cancels.clone());
        let look = Arc::new(move |source: usize, e: &Event| {
            if let (Some(job), Some(worker)) = (&e.job_id, &e.worker_id) {
                seen.lock().unwrap_or_else(|p| p.into_inner()).push((
                    id_key(&job.text),
                    job.clone(),
                    worker.clone(),
                ));
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
            Prefilter::any_of(&["job_id".into(), "Worker ID".into(), " cancelled: ".into()]),
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
    for (key, job, worker) in take(&seen) {
        if let Some(rec) = book.jobs.iter_mut().find(|j| id_key(&j.id.text) == key) {
            better_id(&mut rec.id, &job);
            full.learn(&worker);
            if !rec.workers.iter().any(|w| same_worker(w, &worker)) {
                rec.workers.push(worker);
            }
        }
    }
    let index = take(&index);
    for s in &index.streams {
        for id in &s.ids {
            full.learn(id);
        }
    }
    for rec in &mut book.jobs {
        for w in &mut rec.workers {
            *w = full.resolve(w);
        }
    }
    Ok((book.jobs, full, index))
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
        .collect();
    let rows: Vec<JobRow> = jobs
        .iter()
        .map(|j| JobRow {
            kind: "job",
            job_id: j.id.display(),
            started: j.start().map(|t| t.to_string()),
            ended: j.ended.map(|t| t.to_string()),
            duration_s: j.duration_s().map(|d| (d * 1e6).round() / 1e6),
            outcome: j.outcome(),
            reason: crate::trail::summary::reason(j, &[]),
            workers: j.workers.iter().map(IdRef::display).collect(),
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
    let ids: Vec<_> = rows.iter().map(|r| sanitize_line(&r.job_id)).collect();
    let id_w = column_width(ids.iter().map(|id| id.as_ref()), 6);
    writeln!(
        out,
        "{}  {:<23}  {:>9}  {:<9}  {:>7}  REASON",
        pad("JOB ID", id_w),
        "STARTED",
        "DURATION",
        "OUTCOME",
        "WORKERS"
    )?;
    for (r, id) in rows.iter().zip(&ids) {
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
        let reason = r.reason.as_deref().map(sanitize_line).unwrap_or_default();
        writeln!(
            out,
            "{}  {started:<23}  {dur:>9}  {outcome}  {:>7}  {reason}",
            pad(id, id_w),
            r.worker_count
        )?;
    }
    Ok(())
}
