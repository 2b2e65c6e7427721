//! `zisk-logs metrics`: the seed's `coordinator_*` series derived from the coordinator's logs,
//! as a table, NDJSON rows, or OpenMetrics text to backfill a Prometheus after the fact.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use crate::config::Config;
use crate::escape::{column_width, pad, sanitize_line};
use crate::metrics::derive::{derive, Derived, Kind};
use crate::metrics::series::{Grid, NAME};
use crate::metrics::vocab::Vocabulary;
use crate::metrics::{openmetrics, read_facts};
use crate::render::Format;
use crate::report;
use crate::time::{parse_age, Timestamp};

#[derive(Args, Debug)]
pub struct MetricsArgs {
    /// Start of the series (default: the coordinator's first line)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,

    /// End of the series (default: the coordinator's last line)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,

    /// Time between samples, as a scrape interval (default 5s, the seed's)
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub step: String,

    /// Label values: the seed's (completed|failed|cancelled) or the coordinator code's (success|failure|cancelled)
    #[arg(long, value_enum, default_value_t = Vocabulary::Seed)]
    pub labels: Vocabulary,
}

#[derive(Serialize)]
struct MetricRow {
    kind: &'static str,
    schema: u32,
    metric: String,
    #[serde(rename = "type")]
    metric_type: &'static str,
    labels: serde_json::Map<String, serde_json::Value>,
    value: Option<f64>,
    increase: Option<f64>,
    at: String,
}

/// `--step`: a duration like 5s or 1m, in ms (at least 1 ms).
pub fn parse_step(s: &str, flag: &str) -> Result<i64, String> {
    match parse_age(s.trim()) {
        Some(us) if us >= 1000 => Ok(us / 1000),
        _ => Err(format!(
            "{flag}: expected a duration like 5s, 15s or 1m, found {s:?}"
        )),
    }
}

/// The most steps `triage`'s window may hold: rules are evaluated at every step, and
/// Prometheus answers at most 11,000 points per query, so a longer window is split into that
/// many more requests. A week at 5 s is 120,960 steps. (`metrics` has no such bound: a
/// backfill of months is what it is for.)
pub const MAX_STEPS: usize = 200_000;

/// A usage error for a window of more than [`MAX_STEPS`] steps (a typo such as `--since 2020`).
pub fn check_steps(grid: &Grid) -> Result<(), String> {
    if grid.len() <= MAX_STEPS {
        return Ok(());
    }
    Err(format!(
        "--since/--until: the window holds {} steps of {} ms, more than {MAX_STEPS}: narrow the window or pass a larger --step",
        grid.len(),
        grid.step
    ))
}

pub fn parse_time(
    s: Option<&str>,
    flag: &str,
    now: Timestamp,
) -> Result<Option<Timestamp>, String> {
    s.map(|s| crate::when::parse(s, now))
        .transpose()
        .map_err(|e| format!("{flag}: {e}"))
}

pub fn run(config: &Config, args: &MetricsArgs, mut out: impl Write) -> Result<i32, String> {
    let now = Timestamp::now();
    let step = parse_step(&args.step, "--step")?;
    let since = parse_time(args.since.as_deref(), "--since", now)?;
    let until = parse_time(args.until.as_deref(), "--until", now)?;
    let facts = read_facts(config)?;
    let sources = config.sources.len();
    let (Some(first), Some(last)) = (facts.coordinator.first, facts.coordinator.last) else {
        report::notice("the coordinator's logs have no timed lines: no series to derive");
        return Ok(report::exit_code(false, sources).max(1));
    };
    let from = since.unwrap_or(first).as_micros() / 1000;
    let to = until.unwrap_or(last).as_micros() / 1000;
    if to < from {
        return Err("--until is before --since".into());
    }
    let derived = derive(&facts.coordinator, &facts.jobs, args.labels, to);
    let grid = Grid::aligned(from + step - 1, to, step);
    let result = match config.format {
        Format::Openmetrics => openmetrics::write(&mut out, &derived, &grid),
        Format::Json => crate::render::write_ndjson(&mut out, &rows(&derived, &grid)),
        _ => table(&mut out, &rows(&derived, &grid)),
    };
    match result.and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            report::problem("output", &e.to_string())
        }
        _ => {}
    }
    Ok(report::exit_code(true, sources))
}

/// One row per series (a histogram's `_count` and `_sum`, not its buckets): its value at the
/// window's end and its increase over the window.
fn rows(derived: &Derived, grid: &Grid) -> Vec<MetricRow> {
    let at = Timestamp(grid.end * 1000).to_string();
    let mut rows = Vec::new();
    for f in &derived.families {
        for s in &f.series {
            if s.labels.contains_key("le") {
                continue;
            }
            let sampled = s.sample(grid);
            let increase = (f.kind != Kind::Gauge).then(|| {
                sampled.samples.windows(2).fold(0.0, |acc, w| {
                    // A drop is a restart: the counter began again from zero.
                    acc + if w[1].1 >= w[0].1 {
                        w[1].1 - w[0].1
                    } else {
                        w[1].1
                    }
                })
            });
            let labels = s
                .labels
                .iter()
                .filter(|(k, _)| k.as_str() != NAME)
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            rows.push(MetricRow {
                kind: "metric",
                schema: 1,
                metric: s.labels.get(NAME).cloned().unwrap_or_default(),
                metric_type: match f.kind {
                    Kind::Counter => "counter",
                    Kind::Gauge => "gauge",
                    Kind::Histogram => "histogram",
                },
                labels,
                value: sampled.samples.last().map(|s| s.1),
                increase,
                at: at.clone(),
            });
        }
    }
    rows
}

fn table(out: &mut dyn Write, rows: &[MetricRow]) -> std::io::Result<()> {
    let shown = |r: &MetricRow| {
        r.labels
            .iter()
            .filter(|(k, _)| k.as_str() != "job" && k.as_str() != "instance")
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let labels: Vec<String> = rows
        .iter()
        .map(|r| sanitize_line(&shown(r)).into_owned())
        .collect();
    let name_w = column_width(rows.iter().map(|r| r.metric.as_str()), 6);
    let label_w = column_width(labels.iter().map(String::as_str), 6);
    writeln!(
        out,
        "{}  {}  {:>10}  {:>10}",
        pad("METRIC", name_w),
        pad("LABELS", label_w),
        "VALUE",
        "INCREASE"
    )?;
    for (r, shown) in rows.iter().zip(&labels) {
        let num = |v: Option<f64>| v.map(openmetrics::value).unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{}  {}  {:>10}  {:>10}",
            pad(&r.metric, name_w),
            pad(shown, label_w),
            num(r.value),
            num(r.increase.map(|v| (v * 1000.0).round() / 1000.0)),
        )?;
    }
    Ok(())
}
