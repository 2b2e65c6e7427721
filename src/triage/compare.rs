//! Metrics against logs, where both exist: a `coordinator_workers_connected` the logs
//! contradict (workers gone while the gauge stays up), job ends the metrics count and the logs
//! lack (lost or unshipped logs) or the reverse, and a live `/metrics` against the logs.

use crate::metrics::derive::Derived;
use crate::metrics::series::{Grid, Series};
use crate::metrics::vocab::outcome_of;
use crate::metrics::LogFacts;
use crate::time::Timestamp;
use crate::trail::Outcome;
use crate::triage::directory::Directory;
use crate::triage::story::{departures, Departure};

/// A run of steps where the metrics and the logs disagree.
pub struct Mismatch {
    pub metric: &'static str,
    pub from: i64,
    pub to: i64,
    pub open: bool,
    pub metrics_value: f64,
    pub logs_value: f64,
    pub message: String,
    pub workers: Vec<Departure>,
    pub jobs: Vec<String>,
}

fn runs(steps: &[(i64, bool)], step: i64) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &(t, bad) in steps {
        if !bad {
            continue;
        }
        match out.last_mut() {
            Some(r) if t - r.1 <= step => r.1 = t,
            _ => out.push((t, t)),
        }
    }
    out
}

/// Where the real gauge shows more workers than the logs have connected.
pub fn gauge(
    real: &[Series],
    derived: &Derived,
    facts: &LogFacts,
    grid: &Grid,
    dir: &Directory,
) -> Vec<Mismatch> {
    let Some(logs) = derived.all().find(|s| {
        s.labels
            .get("__name__")
            .is_some_and(|n| n == "coordinator_workers_connected")
    }) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in real {
        let steps: Vec<(i64, bool, f64, f64)> = s
            .samples
            .iter()
            .filter_map(|&(t, v)| logs.at(t).map(|l| (t, v > l, v, l)))
            .collect();
        let flags: Vec<(i64, bool)> = steps.iter().map(|s| (s.0, s.1)).collect();
        for (from, to) in runs(&flags, grid.step) {
            let in_run = steps.iter().filter(|s| s.0 >= from && s.0 <= to);
            let metrics_value = in_run
                .clone()
                .map(|s| s.2)
                .fold(f64::NEG_INFINITY, f64::max);
            let logs_value = in_run.map(|s| s.3).fold(f64::INFINITY, f64::min);
            let workers = departures(
                &facts.coordinator,
                Timestamp(from * 1000),
                Timestamp(to * 1000),
                dir,
            );
            let gone = workers
                .iter()
                .filter(|d| d.back_at.is_none_or(|b| b.0 > to * 1000))
                .count();
            out.push(Mismatch {
                metric: "coordinator_workers_connected",
                from,
                to,
                open: to >= grid.end,
                metrics_value,
                logs_value,
                message: format!(
                    "the gauge says {} workers connected, the coordinator's logs {}: {gone} disconnected and the exporter did not count them down",
                    crate::metrics::openmetrics::value(metrics_value),
                    crate::metrics::openmetrics::value(logs_value)
                ),
                workers,
                jobs: Vec::new(),
            });
        }
    }
    out
}

/// Cumulative increments of a counter over the grid, from its first step: resets count from
/// zero, and a series that appears after the first step began at zero (the exporter creates a
/// labelled series only at its first increment).
fn increments(s: &Series, grid: &Grid) -> Vec<(i64, f64)> {
    let mut out = Vec::new();
    let mut total = 0.0;
    let mut prev: Option<f64> = None;
    for &(t, v) in &s.samples {
        let before = prev.unwrap_or(if t > grid.start { 0.0 } else { v });
        total += if v >= before { v - before } else { v };
        prev = Some(v);
        out.push((t, total));
    }
    out
}

/// Where the metrics count job ends (per outcome) that the logs do not, or the reverse.
pub fn job_counts(real: &[Series], facts: &LogFacts, grid: &Grid) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for outcome in [Outcome::Completed, Outcome::Failed, Outcome::Cancelled] {
        let series: Vec<&Series> = real
            .iter()
            .filter(|s| s.labels.get("outcome").and_then(|o| outcome_of(o)) == Some(outcome))
            .collect();
        if series.is_empty() {
            continue;
        }
        // The metrics' count at each step, summed over kinds.
        let mut metric: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
        for s in &series {
            for (t, v) in increments(s, grid) {
                *metric.entry(t).or_default() += v;
            }
        }
        let ends: Vec<(i64, String)> = {
            let mut e: Vec<(i64, String)> = facts
                .jobs
                .iter()
                .filter(|j| j.outcome() == outcome)
                .filter_map(|j| Some((j.ended?.as_micros() / 1000, j.id.text.to_string())))
                .filter(|(t, _)| *t > grid.start && *t <= grid.end)
                .collect();
            e.sort();
            e
        };
        let logs_at = |t: i64| ends.partition_point(|(e, _)| *e <= t) as f64;
        // One step of slack either way: a scrape and a log line never share a clock tick.
        let steps: Vec<(i64, bool)> = metric
            .iter()
            .map(|(&t, &m)| (t, m < logs_at(t - grid.step) || m > logs_at(t + grid.step)))
            .collect();
        for (from, to) in runs(&steps, grid.step) {
            let m = metric.range(..=to).next_back().map_or(0.0, |x| *x.1)
                - metric.range(..from).next_back().map_or(0.0, |x| *x.1);
            let l = logs_at(to) - logs_at(from - grid.step);
            let word = crate::metrics::vocab::Vocabulary::Seed
                .outcome(outcome)
                .unwrap_or_default();
            let message = if m > l {
                format!(
                    "the metrics count {m} {word} jobs here, the logs {l}: lost or unshipped logs"
                )
            } else {
                format!("the logs show {l} {word} jobs here, the metrics count {m}: the exporter missed them (or another coordinator's logs are mixed in)")
            };
            out.push(Mismatch {
                metric: "coordinator_jobs_total",
                from,
                to,
                open: false,
                metrics_value: m,
                logs_value: l,
                message,
                workers: Vec::new(),
                jobs: ends
                    .iter()
                    .filter(|(t, _)| *t >= from - grid.step && *t <= to)
                    .map(|(_, id)| id.clone())
                    .collect(),
            });
        }
    }
    out
}
