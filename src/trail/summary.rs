//! What an operator needs in the first seconds of an incident: outcome and reason, window and
//! phases, the workers and where their logs are, the first error across all hosts, and what
//! could not be read. As the last NDJSON object, or as text with a timeline of the job.

use std::io::{self, Write};

use owo_colors::OwoColorize;
use serde::Serialize;

use crate::escape::sanitize_line;
use crate::event::{Event, Level, Role};
use crate::render::JsonEvent;
use crate::time::Timestamp;
use crate::trail::record::{worker_cancel_reason, JobRecord, PhaseSpan};
use crate::trail::stitch::WorkerTie;
use crate::trail::Outcome;

#[derive(Serialize)]
pub struct SummaryPhase {
    pub name: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub duration_s: Option<f64>,
}

#[derive(Serialize)]
pub struct SummaryWorker {
    pub worker_id: String,
    pub source: Option<String>,
    pub found: bool,
}

#[derive(Serialize)]
pub struct SourceFailed {
    pub source: String,
    pub error: String,
}

/// The summary object; key order is part of the schema.
#[derive(Serialize)]
pub struct Summary<'a> {
    pub kind: &'static str,
    pub job_id: String,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub duration_s: Option<f64>,
    pub phases: Vec<SummaryPhase>,
    pub workers: Vec<SummaryWorker>,
    pub first_error: Option<JsonEvent<'a>>,
    pub sources_failed: Vec<SourceFailed>,
}

/// Seconds rounded to the microsecond the timestamps carry.
fn secs(end: Timestamp, start: Timestamp) -> f64 {
    (end.seconds_since(start) * 1e6).round() / 1e6
}

/// The first ERROR naming the job, across all hosts, in time order (ties by file and line).
pub fn first_error(events: &[Event]) -> Option<&Event> {
    events
        .iter()
        .filter(|e| !e.context && e.level == Some(Level::Error))
        .min_by(|a, b| order_key(a).cmp(&order_key(b)))
}

/// The first ERROR among the context lines (a worker's error that names no job), when it came
/// before the first error naming the job: often the real cause.
pub fn earlier_context_error<'e>(events: &'e [Event], first: Option<&Event>) -> Option<&'e Event> {
    let ctx = events
        .iter()
        .filter(|e| e.context && e.level == Some(Level::Error))
        .min_by(|a, b| order_key(a).cmp(&order_key(b)))?;
    match first {
        Some(f) if order_key(f) <= order_key(ctx) => None,
        _ => Some(ctx),
    }
}

fn order_key(e: &Event) -> (Timestamp, &str, u64) {
    (
        e.ts.unwrap_or(e.sort_ts),
        e.origin.as_ref().map_or("", |o| &o.path),
        e.origin.as_ref().map_or(0, |o| o.line),
    )
}

/// The reason to report: the coordinator's; for a cancelled job that gives none, the reason
/// the workers were told (`Job <job> cancelled: <reason>`).
pub fn reason(record: &JobRecord, events: &[Event]) -> Option<String> {
    if record.reason.is_some() || record.outcome() != Outcome::Cancelled {
        return record.reason.clone();
    }
    events
        .iter()
        .filter(|e| !e.context && e.role == Some(Role::Worker))
        .find_map(|e| worker_cancel_reason(&e.message))
}

pub fn phases(list: &[PhaseSpan]) -> Vec<SummaryPhase> {
    list.iter()
        .map(|p| SummaryPhase {
            name: p.name.to_string(),
            start: p.start.map(|t| t.to_string()),
            end: p.end.map(|t| t.to_string()),
            duration_s: match (p.start, p.end) {
                (Some(s), Some(e)) => Some(secs(e, s)),
                _ => None,
            },
        })
        .collect()
}

/// How a worker's logs are named: the SOURCE, and the stream within it when it holds several.
pub fn worker_rows(
    workers: &[WorkerTie],
    source_name: &dyn Fn(usize) -> Option<String>,
    streams_in: &dyn Fn(usize) -> usize,
) -> Vec<SummaryWorker> {
    workers
        .iter()
        .map(|w| {
            let names: Vec<String> = w
                .streams
                .iter()
                .map(|(i, label)| match source_name(*i) {
                    Some(name) if streams_in(*i) > 1 => format!("{name} [{label}]"),
                    Some(name) => name,
                    None => label.to_string(),
                })
                .collect();
            SummaryWorker {
                worker_id: w.id.display(),
                found: !names.is_empty(),
                source: (!names.is_empty()).then(|| names.join(", ")),
            }
        })
        .collect()
}

pub fn build<'a>(
    record: &JobRecord,
    job_id: String,
    events: &'a [Event],
    workers: Vec<SummaryWorker>,
    failed: &[(String, String)],
) -> Summary<'a> {
    let start = record.start();
    Summary {
        kind: "summary",
        job_id,
        outcome: record.outcome(),
        reason: reason(record, events),
        started: start.map(|t| t.to_string()),
        ended: record.ended.map(|t| t.to_string()),
        duration_s: match (start, record.ended) {
            (Some(s), Some(e)) => Some(secs(e, s)),
            _ => None,
        },
        phases: phases(&record.phases),
        workers,
        first_error: first_error(events)
            .map(|e| JsonEvent::new(e, Some(job_id_display(e, record)))),
        sources_failed: failed
            .iter()
            .map(|(s, e)| SourceFailed {
                source: s.clone(),
                error: e.clone(),
            })
            .collect(),
    }
}

fn job_id_display(e: &Event, record: &JobRecord) -> String {
    match &e.job_id {
        Some(id) if id.truncated && !record.id.truncated => record.id.text.to_string(),
        Some(id) => id.display(),
        None => record.id.display(),
    }
}

/// The pretty summary: a header, the phases, the workers, the first error, the timeline.
pub fn write_pretty(
    out: &mut dyn Write,
    s: &Summary,
    record: &JobRecord,
    events: &[Event],
    workers: &[WorkerTie],
    searched: &[String],
    color: bool,
) -> io::Result<()> {
    let outcome = format!("{:?}", s.outcome).to_lowercase();
    let outcome = if !color {
        outcome
    } else {
        match s.outcome {
            Outcome::Completed => outcome.green().bold().to_string(),
            Outcome::Failed => outcome.red().bold().to_string(),
            Outcome::Cancelled => outcome.yellow().bold().to_string(),
            _ => outcome.cyan().bold().to_string(),
        }
    };
    writeln!(out, "job {}  {}", sanitize_line(&s.job_id), outcome)?;
    if let Some(r) = &s.reason {
        writeln!(out, "  reason    {}", sanitize_line(r))?;
    }
    let dur = s
        .duration_s
        .map(|d| format!(" ({d:.3}s)"))
        .unwrap_or_default();
    writeln!(
        out,
        "  window    {} → {}{}",
        s.started.as_deref().unwrap_or("?"),
        s.ended.as_deref().unwrap_or("(not ended)"),
        dur
    )?;
    for p in &s.phases {
        let d = p
            .duration_s
            .map(|d| format!("{d:.3}s"))
            .unwrap_or_else(|| "not finished".into());
        writeln!(
            out,
            "  phase     {:<14} {} → {}  {d}",
            sanitize_line(&p.name),
            p.start.as_deref().unwrap_or("?"),
            p.end.as_deref().unwrap_or("?")
        )?;
    }
    for w in &s.workers {
        match &w.source {
            Some(src) => writeln!(
                out,
                "  worker    {}  {}",
                sanitize_line(&w.worker_id),
                sanitize_line(src)
            )?,
            None => {
                let what = if color {
                    "logs not found".red().to_string()
                } else {
                    "logs not found".to_string()
                };
                writeln!(
                    out,
                    "  worker    {}  {what} (searched: {})",
                    sanitize_line(&w.worker_id),
                    sanitize_line(&searched.join(", "))
                )?
            }
        }
    }
    let first = first_error(events);
    if let Some(e) = first {
        writeln!(
            out,
            "  first error {} {}: {}",
            e.ts.map(|t| t.to_string()).unwrap_or_default(),
            sanitize_line(&e.source),
            sanitize_line(&e.message)
        )?;
    }
    if let Some(e) = earlier_context_error(events, first) {
        writeln!(
            out,
            "  earlier error (names no job) {} {}: {}",
            e.ts.map(|t| t.to_string()).unwrap_or_default(),
            sanitize_line(&e.source),
            sanitize_line(&e.message)
        )?;
    }
    for f in &s.sources_failed {
        writeln!(
            out,
            "  unreadable {}: {}",
            sanitize_line(&f.source),
            sanitize_line(&f.error)
        )?;
    }
    super::timeline::write(out, record, events, workers, color)?;
    writeln!(out)
}
