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
use crate::trail::culprit::{self, Culprit};
use crate::trail::record::{JobKind, JobRecord};
use crate::trail::stitch::WorkerTie;
use crate::trail::streams::display_name;
use crate::trail::wording::worker_cancel_reason;
use crate::trail::Outcome;
use crate::zone;

#[derive(Serialize)]
pub struct SummaryPhase {
    pub name: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub duration_s: Option<f64>,
    /// The coordinator's own figure (`[Job] Finished … (p1+p2+p3)`, the phase's last line).
    pub coordinator_s: Option<f64>,
    pub workers: Vec<SummaryPart>,
}

/// One worker's part of a phase.
#[derive(Serialize)]
pub struct SummaryPart {
    pub worker_id: String,
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Serialize)]
pub struct SummaryWorker {
    /// The ID as the trail knows it (full or truncated), for the phases' parts.
    #[serde(skip)]
    pub id: crate::event::IdRef,
    pub worker_id: String,
    pub source: Option<String>,
    pub found: bool,
    /// Another worker's ID shares the 8 characters the coordinator's lines show of this one.
    pub ambiguous: bool,
    /// Positive when the worker's clock is ahead of the coordinator's; null when unknown.
    pub clock_offset_ms: Option<f64>,
    pub clock_offset_uncertainty_ms: Option<f64>,
    /// Its name in pretty output (`worker-02 (f38b6922)`).
    #[serde(skip)]
    pub shown: String,
}

/// An operational problem found on the way.
#[derive(Serialize)]
pub struct Finding {
    pub kind: &'static str,
    pub message: String,
    pub worker_id: Option<String>,
}

/// Workers whose IDs share the 8 characters the coordinator prints: its lines naming that form
/// could be either, so each was decided by the source that logged the job's lines.
fn ambiguous_ids(workers: &[SummaryWorker]) -> Vec<Finding> {
    workers
        .iter()
        .filter(|w| w.ambiguous)
        .map(|w| {
            let key = crate::trail::record::id_key(&w.worker_id);
            Finding {
                kind: "ambiguous_worker_id",
                message: format!(
                    "worker {} shares the ID prefix {key} with another worker: the \
                     coordinator's WorkerId({key}…) lines could name either; its part was \
                     told by its own logs ({})",
                    w.worker_id,
                    w.source.as_deref().unwrap_or("logs not found")
                ),
                worker_id: Some(w.worker_id.clone()),
            }
        })
        .collect()
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
    /// docs/SCHEMA.md's version of this shape.
    pub schema: u32,
    pub job_id: String,
    pub job_kind: JobKind,
    /// `full` when the logs give the job's whole ID, `prefix` when only its 8 characters.
    pub id_match: &'static str,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub duration_s: Option<f64>,
    pub phases: Vec<SummaryPhase>,
    pub workers: Vec<SummaryWorker>,
    pub culprit: Option<Culprit<'a>>,
    pub first_error: Option<JsonEvent<'a>>,
    pub root_cause: Option<JsonEvent<'a>>,
    pub findings: Vec<Finding>,
    pub sources_failed: Vec<SourceFailed>,
    /// The trail was ordered by aligned time: the pretty rows say each worker's clock.
    #[serde(skip)]
    pub aligned: bool,
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

pub fn order_key(e: &Event) -> (Timestamp, &str, u64) {
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

pub fn phases(record: &JobRecord, workers: &[crate::event::IdRef]) -> Vec<SummaryPhase> {
    record
        .phases
        .iter()
        .map(|p| SummaryPhase {
            name: p.name.to_string(),
            start: p.start.map(|t| t.to_string()),
            end: p.end.map(|t| t.to_string()),
            duration_s: match (p.start, p.end) {
                (Some(s), Some(e)) => Some(secs(e, s)),
                _ => None,
            },
            coordinator_s: p.coordinator_s,
            workers: record
                .worker_parts(p, workers)
                .into_iter()
                .map(|w| SummaryPart {
                    worker_id: crate::trail::streams::json_id(&w.id),
                    start: w.start.map(|t| t.to_string()),
                    end: w.end.map(|t| t.to_string()),
                })
                .collect(),
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
            let key = crate::trail::record::id_key(&w.id.text);
            SummaryWorker {
                id: w.id.clone(),
                worker_id: crate::trail::streams::json_id(&w.id),
                found: !names.is_empty(),
                source: (!names.is_empty()).then(|| names.join(", ")),
                // Full IDs that share a prefix are told apart; a truncated one is not.
                ambiguous: workers.iter().any(|o| {
                    !std::ptr::eq(o, w)
                        && crate::trail::record::same_key(&o.id.text, &key)
                        && (o.id.truncated || w.id.truncated)
                }),
                clock_offset_ms: None,
                clock_offset_uncertainty_ms: None,
                shown: display_name(w.streams.first().map(|(_, l)| &**l), &w.id.text),
            }
        })
        .collect()
}

pub fn build<'a>(
    record: &JobRecord,
    job_id: String,
    events: &'a [Event],
    ties: &[WorkerTie],
    workers: Vec<SummaryWorker>,
    failed: &[(String, String)],
) -> Summary<'a> {
    let start = record.start();
    // IDs of 8 characters or fewer print whole: a longer one is whole only when seen so.
    let id_match = if job_id.chars().count() > 8 || !record.id.truncated {
        "full"
    } else {
        "prefix"
    };
    let reason = reason(record, events);
    let culprit = culprit::culprit(record, events, ties, &workers, &job_id, reason.clone());
    Summary {
        kind: "summary",
        schema: 2,
        job_id,
        job_kind: record.job_kind(),
        id_match,
        outcome: record.outcome(),
        reason,
        started: start.map(|t| t.to_string()),
        ended: record.ended.map(|t| t.to_string()),
        duration_s: match (start, record.ended) {
            (Some(s), Some(e)) => Some(secs(e, s)),
            _ => None,
        },
        phases: phases(
            record,
            &workers.iter().map(|w| w.id.clone()).collect::<Vec<_>>(),
        ),
        findings: ambiguous_ids(&workers),
        workers,
        culprit,
        first_error: first_error(events)
            .map(|e| JsonEvent::new(e, Some(job_id_display(e, record)))),
        root_cause: culprit::root_cause(record, events)
            .map(|e| JsonEvent::new(e, Some(job_id_display(e, record)))),
        aligned: false,
        sources_failed: failed
            .iter()
            .map(|(s, e)| SourceFailed {
                source: s.clone(),
                error: e.clone(),
            })
            .collect(),
    }
}

/// The job's ID in JSON: the full one when the record knows it, else as logged (no ellipsis).
pub fn job_id_display(e: &Event, record: &JobRecord) -> String {
    match &e.job_id {
        Some(id) if id.truncated && !record.id.truncated => record.id.text.to_string(),
        Some(id) => id.text.to_string(),
        None => record.id.text.to_string(),
    }
}

/// How the pretty summary is drawn: in colour or not, and how wide the timeline is.
#[derive(Clone, Copy)]
pub struct Look {
    pub color: bool,
    pub width: usize,
}

/// The pretty summary: a header, the phases, the workers, the first error, the timeline.
pub fn write_pretty(
    out: &mut dyn Write,
    s: &Summary,
    record: &JobRecord,
    events: &[Event],
    workers: &[WorkerTie],
    searched: &[String],
    look: Look,
) -> io::Result<()> {
    let Look { color, width } = look;
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
    let kind = format!("{:?}", s.job_kind).to_lowercase();
    writeln!(out, "job {}  {}  {kind}", sanitize_line(&s.job_id), outcome)?;
    if let Some(r) = &s.reason {
        writeln!(out, "  reason    {}", sanitize_line(r))?;
    }
    write_culprit(out, s, record, events)?;
    let dur = s
        .duration_s
        .map(|d| format!(" ({d:.3}s)"))
        .unwrap_or_default();
    let start = record.start();
    writeln!(
        out,
        "  window    {} → {}{}",
        start.map_or("?".into(), zone::precise),
        record
            .ended
            .map_or("(not ended)".into(), |e| same_day_clock(start, e)),
        dur
    )?;
    for p in &record.phases {
        let d = match (p.start, p.end) {
            (Some(s), Some(e)) => format!("{:.3}s", e.seconds_since(s)),
            _ => "not finished".into(),
        };
        writeln!(
            out,
            "  phase     {:<14} {} → {}  {d}",
            sanitize_line(p.name.as_str()),
            p.start.map_or("?".into(), |t| same_day_clock(start, t)),
            p.end.map_or("?".into(), |t| same_day_clock(start, t)),
        )?;
    }
    for w in &s.workers {
        let clock = match (s.aligned, w.clock_offset_ms, w.clock_offset_uncertainty_ms) {
            (false, _, _) => String::new(),
            (true, Some(o), Some(u)) => format!("  clock {o:+.1} ms ±{u:.1}"),
            (true, Some(o), None) => format!("  clock {o:+.1} ms (one-sided)"),
            (true, None, _) => "  clock offset unknown (logged order)".into(),
        };
        match &w.source {
            Some(src) => writeln!(
                out,
                "  worker    {}  {}{clock}",
                sanitize_line(&w.shown),
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
                    sanitize_line(&w.shown),
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
            e.ts.map(|t| same_day_clock(start, t)).unwrap_or_default(),
            sanitize_line(&e.source),
            sanitize_line(&e.message)
        )?;
    }
    if let Some(e) = earlier_context_error(events, first) {
        writeln!(
            out,
            "  earlier error (names no job) {} {}: {}",
            e.ts.map(|t| same_day_clock(start, t)).unwrap_or_default(),
            sanitize_line(&e.source),
            sanitize_line(&e.message)
        )?;
    }
    for f in &s.findings {
        writeln!(out, "  finding   {}", sanitize_line(&f.message))?;
    }
    for f in &s.sources_failed {
        writeln!(
            out,
            "  unreadable {}: {}",
            sanitize_line(&f.source),
            sanitize_line(&f.error)
        )?;
    }
    super::timeline::write(out, record, events, workers, color, width)?;
    writeln!(out)
}

/// Who the failure is blamed on with the deepest cause its line gives (the last `Caused by:`
/// step), the worker's own line quoted whole, and where to look.
fn write_culprit(
    out: &mut dyn Write,
    s: &Summary,
    record: &JobRecord,
    events: &[Event],
) -> io::Result<()> {
    let cause = culprit::root_cause(record, events);
    if let Some(c) = &s.culprit {
        // The name alone when it already says the ID (a worker named by its host).
        let who = sanitize_line(&display_name(c.name.as_deref(), &c.worker_id)).into_owned();
        match cause.filter(|_| c.event.is_some()) {
            Some(e) => writeln!(
                out,
                "  culprit   {who}  {}",
                sanitize_line(culprit::deepest_cause(&e.message))
            )?,
            None => writeln!(out, "  culprit   {who}")?,
        }
    }
    if let Some(e) = cause {
        let whole: Vec<&str> = e
            .message
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        writeln!(
            out,
            "  cause     {}: \"{}\"",
            sanitize_line(&e.source),
            sanitize_line(&whole.join(" | "))
        )?;
    }
    if let Some(command) = s.culprit.as_ref().and_then(|c| c.commands.first()) {
        writeln!(out, "  look      {}", sanitize_line(command))?;
    }
    Ok(())
}

/// A time as the clock shows it when it falls on the job's first day, else in full.
fn same_day_clock(start: Option<Timestamp>, t: Timestamp) -> String {
    let day = |t: Timestamp| zone::precise(t)[..10].to_string();
    match start {
        Some(s) if day(s) == day(t) => zone::clock(t),
        _ => zone::precise(t),
    }
}
