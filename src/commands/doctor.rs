//! `zisk-logs doctor`: is every configured source reachable, and if not, why; with
//! `--prometheus`, that Prometheus too. One row per check (table, or NDJSON `kind:"doctor"`).

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use clap::Args;
use serde::Serialize;

use crate::config::{Config, SourceSpec};
use crate::event::Event;
use crate::fit::{write_table, Cell, Column};
use crate::merge::Merged;
use crate::parse::{Keep, Prefilter};
use crate::prom::{Auth, Client};
use crate::render::Format;
use crate::report;
use crate::source::ReadRequest;
use crate::time::Timestamp;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Also check this Prometheus (its HTTP API answers, and how many `up` series it holds)
    #[arg(long, env = "ZISK_LOGS_PROMETHEUS", value_name = "URL")]
    pub prometheus: Option<String>,
}

/// One check; key order is part of the schema (docs/SCHEMA.md, "doctor row").
#[derive(Serialize)]
struct DoctorRow {
    kind: &'static str,
    schema: u32,
    check: &'static str,
    source: String,
    role: Option<&'static str>,
    reachable: bool,
    streams: usize,
    lines: usize,
    last_line: Option<String>,
    reason: Option<String>,
}

pub fn run(config: &Config, args: &DoctorArgs, mut out: impl Write) -> Result<i32, String> {
    if config.sources.is_empty() && args.prometheus.is_none() {
        return Err("nothing to check: pass --coordinator/--worker, use a topology file (--config), or --prometheus URL".into());
    }
    let mut rows: Vec<DoctorRow> = config
        .sources
        .iter()
        .map(|s| check_source(config, s))
        .collect();
    if let Some(url) = &args.prometheus {
        rows.push(check_prometheus(url));
    }
    let result = if config.format == Format::Json {
        crate::render::write_ndjson(&mut out, &rows)
    } else {
        table(&mut out, &rows, config)
    };
    match result.and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            report::problem("output", &e.to_string())
        }
        _ => {}
    }
    let failed = rows.iter().filter(|r| !r.reachable).count();
    Ok(match failed {
        0 => 0,
        n if n == rows.len() => 2,
        _ => 3,
    })
}

/// Reads the source's last line of each stream: that it can be read at all, how many streams
/// (files, hosts, containers, pods) it has, and when it last logged.
fn check_source(config: &Config, spec: &SourceSpec) -> DoctorRow {
    let mut row = DoctorRow {
        kind: "doctor",
        schema: 1,
        check: "source",
        source: spec.spec.clone(),
        role: spec.role.map(|r| r.as_str()),
        reachable: false,
        streams: 0,
        lines: 0,
        last_line: None,
        reason: None,
    };
    let source = match crate::read::open_source(spec, &config.source_options) {
        Ok(s) => s,
        Err(e) => {
            row.reason = Some(e);
            return row;
        }
    };
    let failures_before = report::failures().len();
    let streams: Arc<Mutex<Vec<Arc<str>>>> = Arc::default();
    let lines = Arc::new(AtomicUsize::new(0));
    let (seen_streams, seen_lines) = (streams.clone(), lines.clone());
    let req = ReadRequest {
        since: None,
        until: None,
        follow: false,
        tail_lines: Some(1),
        grep_literal: None,
        prefilter: Prefilter::default(),
        keep: Keep::Shown { message: false },
        blank_lines: false,
        select: Arc::new(move |e: &Event| {
            seen_lines.fetch_add(1, Ordering::Relaxed);
            let mut s = seen_streams.lock().unwrap_or_else(|p| p.into_inner());
            if !s.contains(&e.source) {
                s.push(e.source.clone());
            }
            true
        }),
    };
    let mut last: Option<Timestamp> = None;
    crate::read::read(vec![source], req, &mut |m| {
        if let Merged::Event(e) = m {
            last = last.max(e.ts);
        }
        true
    });
    let failures = report::failures();
    let failed: Vec<&(String, String)> = failures[failures_before..].iter().collect();
    row.streams = streams.lock().unwrap_or_else(|p| p.into_inner()).len();
    row.lines = lines.load(Ordering::Relaxed);
    row.last_line = last.map(|t| t.to_string());
    row.reachable = failed.is_empty();
    row.reason = match (failed.first(), row.lines) {
        (Some((_, why)), _) => Some(why.clone()),
        (None, 0) => Some("reachable, but it holds no log lines".into()),
        (None, _) => None,
    };
    row
}

fn check_prometheus(url: &str) -> DoctorRow {
    let mut row = DoctorRow {
        kind: "doctor",
        schema: 1,
        check: "prometheus",
        source: url.to_string(),
        role: None,
        reachable: false,
        streams: 0,
        lines: 0,
        last_line: None,
        reason: None,
    };
    let client = match Client::new("prometheus", url, &Auth::default()) {
        Ok(c) => c,
        Err(e) => {
            row.reason = Some(e);
            return row;
        }
    };
    let now = Timestamp::now().as_micros() / 1000;
    match Client::block(client.series("up", now - 300_000, now)) {
        Ok(Ok(series)) => {
            row.reachable = true;
            row.streams = series.len();
            if series.is_empty() {
                row.reason =
                    Some("reachable, but no target was scraped in the last 5 minutes".into());
            }
        }
        Ok(Err(e)) => row.reason = Some(e.to_string()),
        Err(e) => row.reason = Some(e),
    }
    row
}

fn table(out: &mut dyn Write, rows: &[DoctorRow], config: &Config) -> std::io::Result<()> {
    let columns = [
        Column::left("SOURCE", 16, 1).keep_end(),
        Column::left("ROLE", 4, 9),
        Column::left("STATUS", 6, 9),
        Column::right("STREAMS", 7, 9),
        Column::left("LAST LINE", 9, 0),
        Column::left("WHY", 10, 2),
    ];
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            let (status, color) = if r.reachable {
                ("ok", owo_colors::AnsiColors::Green)
            } else {
                ("FAILED", owo_colors::AnsiColors::Red)
            };
            let last = match r
                .last_line
                .as_deref()
                .and_then(|t| Timestamp::parse_rfc3339_prefix(t.as_bytes()).map(|(t, _)| t))
            {
                Some(t) => {
                    let (full, short) = crate::zone::table_time(t);
                    Cell::new(full).short(short)
                }
                None => Cell::new("-").short("-"),
            };
            vec![
                Cell::new(crate::render::sanitize(&r.source)),
                Cell::new(r.role.unwrap_or(r.check)),
                Cell::new(status).color(Some(color)),
                Cell::new(r.streams.to_string()),
                last,
                Cell::new(
                    r.reason
                        .as_deref()
                        .map(crate::render::sanitize)
                        .unwrap_or_default(),
                ),
            ]
        })
        .collect();
    write_table(out, &columns, &cells, config.fit_width(), config.color)
}
