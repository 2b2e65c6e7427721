//! The NDJSON records of `triage -o json` (docs/SCHEMA.md, "triage"): one `alert` per firing
//! interval, `lint`, `disagreement` and `scrape` records, then one `summary`. Key order is the
//! contract; every key is always present.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::event::{Event, IdRef};
use crate::metrics::derive::is_execute;
use crate::render::JsonEvent;
use crate::time::Timestamp;
use crate::trail::record::id_key;
use crate::trail::Outcome;
use crate::triage::directory::{json_id, Directory};
use crate::triage::reads::Lines;
use crate::triage::story::{groups, reason_group, Departure, Story};

pub const SCHEMA: u32 = 1;

fn time(t: Timestamp) -> String {
    t.to_string()
}

fn ms_time(ms: i64) -> String {
    Timestamp(ms * 1000).to_string()
}

fn event(e: &Event) -> JsonEvent<'_> {
    JsonEvent::new(e, e.job_id.as_ref().map(json_id))
}

#[derive(Serialize)]
pub struct AlertRecord<'a> {
    kind: &'static str,
    schema: u32,
    alert: &'a str,
    severity: Option<&'a str>,
    summary: Option<&'a str>,
    expr: &'a str,
    corrected: bool,
    evaluated_on: &'static str,
    labels: &'a BTreeMap<String, String>,
    active_from: String,
    from: String,
    to: Option<String>,
    peak: Option<f64>,
    explained_from: String,
    explained_to: String,
    headline: String,
    jobs: Vec<JobEntry<'a>>,
    workers: Vec<WorkerEntry<'a>>,
    groups: Vec<GroupEntry>,
    coordinator: Option<GapEntry<'a>>,
}

#[derive(Serialize)]
pub struct JobEntry<'a> {
    job_id: String,
    job_kind: &'static str,
    outcome: Outcome,
    reason: Option<&'a str>,
    worker_id: Option<String>,
    worker: Option<String>,
    started: Option<String>,
    ended: Option<String>,
    duration_s: Option<f64>,
    phases: Vec<PhaseEntry>,
    first_error: Option<JsonEvent<'a>>,
}

#[derive(Serialize)]
pub struct PhaseEntry {
    name: String,
    duration_s: Option<f64>,
    held_by: Option<String>,
}

#[derive(Serialize)]
pub struct WorkerEntry<'a> {
    pub worker_id: String,
    pub name: Option<String>,
    pub source: Option<String>,
    pub event: &'static str,
    pub ts: Option<String>,
    pub back_at: Option<String>,
    pub jobs_failed: usize,
    pub last_lines: Vec<JsonEvent<'a>>,
}

#[derive(Serialize)]
pub struct GroupEntry {
    by: &'static str,
    key: String,
    count: usize,
    of: usize,
}

#[derive(Serialize)]
pub struct GapEntry<'a> {
    restarted_at: Option<String>,
    logged_during_gap: usize,
    last_lines: Vec<JsonEvent<'a>>,
    first_lines: Vec<JsonEvent<'a>>,
}

fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

pub fn worker_entry<'a>(
    d: &Departure,
    lines: &'a Lines,
    dir: &Directory,
    event_word: &'static str,
) -> WorkerEntry<'a> {
    let entry = dir.find(&d.worker);
    let last_lines = match (entry, event_word) {
        (Some(e), "disconnected" | "unregistered" | "coordinator_restarted") => lines
            .before(
                e.source_index,
                Timestamp(d.ts.0 - 120_000_000),
                Timestamp(d.ts.0 + 2_000_000),
                3,
            )
            .into_iter()
            .map(event)
            .collect(),
        _ => Vec::new(),
    };
    WorkerEntry {
        worker_id: json_id(&d.worker),
        name: entry.map(|e| e.name.clone()),
        source: entry.map(|e| e.source.clone()),
        event: event_word,
        ts: (event_word != "failures").then(|| time(d.ts)),
        back_at: d.back_at.map(time),
        jobs_failed: d.jobs_failed,
        last_lines,
    }
}

impl<'a> AlertRecord<'a> {
    pub fn new(s: &'a Story<'a>, lines: &'a Lines, dir: &'a Directory) -> AlertRecord<'a> {
        let jobs: Vec<JobEntry> = s
            .jobs
            .iter()
            .map(|j| {
                let key = id_key(&j.job.id.text);
                JobEntry {
                    job_id: json_id(&j.job.id),
                    job_kind: if is_execute(j.job) {
                        "execute"
                    } else {
                        "prove"
                    },
                    outcome: j.job.outcome(),
                    reason: j.job.reason.as_deref(),
                    worker_id: j.blamed.as_ref().map(json_id),
                    worker: j.blamed.as_ref().map(|w| dir.shown(w)),
                    started: j.job.start().map(time),
                    ended: j.job.ended.map(time),
                    duration_s: j.job.duration_s().map(round),
                    phases: j
                        .job
                        .phases
                        .iter()
                        .map(|p| PhaseEntry {
                            name: p.name.to_string(),
                            duration_s: match (p.start, p.end) {
                                (Some(a), Some(b)) => Some(round(b.seconds_since(a))),
                                _ => None,
                            },
                            held_by: p.held_by.as_ref().map(|w| json_id(&dir.full(w))),
                        })
                        .collect(),
                    first_error: lines.first_error(&key).map(event),
                }
            })
            .collect();
        let workers: Vec<WorkerEntry> = s
            .workers
            .iter()
            .map(|d| {
                let word = if s.rule.topic == crate::triage::rules::Topic::WorkerFailures {
                    "failures"
                } else {
                    d.change.word()
                };
                worker_entry(d, lines, dir, word)
            })
            .collect();
        let n = s.jobs.len();
        let mut group_list: Vec<GroupEntry> = Vec::new();
        if matches!(
            s.rule.topic,
            crate::triage::rules::Topic::Failures | crate::triage::rules::Topic::WorkerFailures
        ) {
            for (key, count) in groups(s.jobs.iter().map(|j| {
                j.job
                    .reason
                    .as_deref()
                    .map(reason_group)
                    .unwrap_or_else(|| "(no reason logged)".into())
            })) {
                group_list.push(GroupEntry {
                    by: "reason",
                    key,
                    count,
                    of: n,
                });
            }
            for (key, count) in groups(s.jobs.iter().map(|j| {
                j.blamed
                    .as_ref()
                    .map(json_id)
                    .unwrap_or_else(|| "(no worker)".into())
            })) {
                group_list.push(GroupEntry {
                    by: "worker",
                    key,
                    count,
                    of: n,
                });
            }
        }
        let coordinator = s.gap.map(|g| {
            let (last_lines, first_lines, during) = match g.source {
                Some(i) => (
                    lines
                        .before(i, Timestamp(g.down_from.0 - 600_000_000), g.down_from, 5)
                        .into_iter()
                        .map(event)
                        .collect(),
                    lines
                        .after(i, g.down_to, Timestamp(g.down_to.0 + 600_000_000), 5)
                        .into_iter()
                        .map(event)
                        .collect(),
                    lines.count_between(i, g.down_from, g.down_to),
                ),
                None => (Vec::new(), Vec::new(), 0),
            };
            GapEntry {
                restarted_at: g.restarted_at.map(time),
                logged_during_gap: during,
                last_lines,
                first_lines,
            }
        });
        let headline = crate::triage::render::headline(s, dir);
        AlertRecord {
            kind: "alert",
            schema: SCHEMA,
            alert: &s.rule.name,
            severity: s.rule.severity.as_deref(),
            summary: s.rule.summary.as_deref(),
            expr: &s.expr,
            corrected: s.corrected,
            evaluated_on: s.evaluated_on,
            labels: &s.firing.labels,
            active_from: ms_time(s.firing.active_from),
            from: ms_time(s.firing.from),
            to: (!s.firing.open).then(|| ms_time(s.firing.last)),
            peak: s.firing.peak.is_finite().then_some(s.firing.peak),
            explained_from: time(s.explained.0),
            explained_to: time(s.explained.1),
            headline,
            jobs,
            workers,
            groups: group_list,
            coordinator,
        }
    }
}

#[derive(Serialize)]
pub struct LintRecord<'a> {
    pub kind: &'static str,
    pub schema: u32,
    pub rule: &'a str,
    pub problem: &'a str,
    pub fix: Option<&'a str>,
    pub corrected_expr: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Disagreement<'a> {
    pub kind: &'static str,
    pub schema: u32,
    pub metric: &'static str,
    pub from: String,
    pub to: Option<String>,
    pub message: String,
    pub metrics_value: Option<f64>,
    pub logs_value: Option<f64>,
    pub workers: Vec<WorkerEntry<'a>>,
    pub jobs: Vec<String>,
}

#[derive(Serialize)]
pub struct ScrapeRecord {
    pub kind: &'static str,
    pub schema: u32,
    pub url: String,
    pub ts: String,
    pub workers_connected: Option<f64>,
    pub workers_connected_logs: Option<usize>,
    pub workers: Vec<ScrapeWorker>,
}

#[derive(Serialize)]
pub struct ScrapeWorker {
    pub worker_id: String,
    pub name: Option<String>,
    pub connected_logs: bool,
    pub failed: Option<f64>,
    pub failed_logs: usize,
}

#[derive(Serialize)]
pub struct SourceFailed {
    pub source: String,
    pub error: String,
}

#[derive(Serialize)]
pub struct Summary {
    pub kind: &'static str,
    pub schema: u32,
    pub since: String,
    pub until: String,
    pub step_s: f64,
    pub evaluated_on: &'static str,
    pub rules: usize,
    pub fired: Vec<String>,
    pub intervals: usize,
    pub corrected: usize,
    pub lints: usize,
    pub disagreements: usize,
    pub jobs_failed: usize,
    pub workers_disconnected: usize,
    pub sources_failed: Vec<SourceFailed>,
    pub queries_failed: Vec<SourceFailed>,
}

/// The worker IDs of a set of departures, for a summary count.
pub fn distinct_workers<'a>(ids: impl Iterator<Item = &'a IdRef>) -> usize {
    let mut seen: Vec<&IdRef> = Vec::new();
    for id in ids {
        if !seen
            .iter()
            .any(|s| crate::trail::streams::same_worker(s, id))
        {
            seen.push(id);
        }
    }
    seen.len()
}
