//! `zisk-logs jobs`: the jobs found in the coordinator's logs, one row each: ID, start,
//! duration, outcome, workers and reason. The workers' `[Setup] job_id <full id>` lines fill
//! in full job IDs and the workers of jobs the coordinator has not named them for yet.

use std::io::Write;

use owo_colors::AnsiColors;
use serde::Serialize;

use crate::cli::{JobSort, JobsArgs};
use crate::config::Config;
use crate::escape::sanitize_line;
use crate::event::{IdRef, Role};
use crate::filter::IdQuery;
use crate::fit::{write_table, Cell, Column};
use crate::render::Format;
use crate::report;
use crate::time::Timestamp;
use crate::trail::history::{self, History};
use crate::trail::of_role;
use crate::trail::record::{JobKind, JobRecord};
use crate::trail::streams::{json_id, same_worker};
use crate::trail::Outcome;

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

pub fn run(config: &Config, args: &JobsArgs, mut out: impl Write) -> Result<i32, String> {
    let now = Timestamp::now();
    let since = crate::commands::metrics::parse_time(args.since.as_deref(), "--since", now)?;
    let until = crate::commands::metrics::parse_time(args.until.as_deref(), "--until", now)?;
    crate::when::check_range(since, until)?;
    let worker = args.worker_id.as_deref().map(IdQuery::parse).transpose()?;
    let History {
        jobs,
        streams: index,
        ..
    } = history::read(config, None)?;
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
