//! Puts a triage together and writes it: the stories of the firing intervals (with the one
//! read of the lines they quote), the lint, the disagreements between metrics and logs, the
//! live `/metrics` comparison, then the summary; as NDJSON or for a person.

use std::io::{self, Write};

use crate::config::Config;
use crate::metrics::derive::Derived;
use crate::metrics::series::Grid;
use crate::metrics::LogFacts;
use crate::prom::Client;
use crate::render::{write_ndjson, Format};
use crate::report;
use crate::time::Timestamp;
use crate::triage::compare::{self, Mismatch};
use crate::triage::directory::{json_id, Directory};
use crate::triage::evaluate::{Fired, QueryFailed};
use crate::triage::lint::Lint;
use crate::triage::reads::{self, Lines, Wants};
use crate::triage::records::{
    self, AlertRecord, Disagreement, LintRecord, ScrapeRecord, ScrapeWorker, SourceFailed, Summary,
    SCHEMA,
};
use crate::triage::render::{mark_of, write_story, Chart, WIDTH_COLUMNS};
use crate::triage::rules::{Rule, Topic};
use crate::triage::story::{self, Story};

/// A triage worked out: everything the output stage needs.
pub struct Triage<'a> {
    pub window: Grid,
    pub evaluated_on: &'static str,
    pub rules: &'a [Rule],
    pub lints: Vec<Lint>,
    pub fired: Vec<Fired>,
    pub failed: Vec<QueryFailed>,
    pub facts: &'a LogFacts,
    pub derived: &'a Derived,
    pub prometheus: Option<&'a Client>,
    pub metrics_page: Option<(Client, Result<crate::metrics::scrape::Scraped, String>)>,
}

fn ts(ms: i64) -> Timestamp {
    Timestamp(ms * 1000)
}

/// The real gauge and job counter, for the disagreements.
fn mismatches(t: &Triage, dir: &Directory) -> Vec<Mismatch> {
    let Some(p) = t.prometheus else {
        return Vec::new();
    };
    let g = t.window;
    let fetch = |q: &'static str| match Client::block(p.query_range(q, g.start, g.end, g.step)) {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => {
            report::problem(&p.name, &format!("{q}: {e}"));
            Vec::new()
        }
        Err(e) => {
            report::problem(&p.name, &e);
            Vec::new()
        }
    };
    let mut out = compare::gauge(
        &fetch("coordinator_workers_connected"),
        t.derived,
        t.facts,
        &g,
        dir,
    );
    out.extend(compare::job_counts(
        &fetch("coordinator_jobs_total"),
        t.facts,
        &g,
    ));
    out
}

pub fn write(config: &Config, t: &Triage, mut out: impl Write) -> io::Result<()> {
    let dir = Directory::new(config, t.facts);
    let until = ts(t.window.end);
    let mut wants = Wants::default();
    let ctx = story::Ctx {
        facts: t.facts,
        until,
        dir: &dir,
        config,
    };
    let mut stories: Vec<Story> = t
        .fired
        .iter()
        .map(|f| story::plan(&t.rules[f.rule], f, &ctx, &mut wants))
        .collect();
    let disagreements = mismatches(t, &dir);
    for m in &disagreements {
        for d in &m.workers {
            if let Some(e) = dir.find(&d.worker) {
                wants.window(
                    e.source_index,
                    Timestamp(d.ts.0 - 120_000_000),
                    Timestamp(d.ts.0 + 2_000_000),
                );
            }
        }
    }
    let lines = reads::read(config, &wants);
    story::complete(&mut stories, t.facts, &lines, &dir);
    if config.format == Format::Json {
        json(&mut out, t, &stories, &disagreements, &lines, &dir)
    } else {
        pretty(
            &mut out,
            t,
            &stories,
            &disagreements,
            &lines,
            &dir,
            config.color,
        )
    }?;
    out.flush()
}

fn disagreement_record<'a>(
    m: &'a Mismatch,
    lines: &'a Lines,
    dir: &'a Directory,
) -> Disagreement<'a> {
    Disagreement {
        kind: "disagreement",
        schema: SCHEMA,
        metric: m.metric,
        from: ts(m.from).to_string(),
        to: (!m.open).then(|| ts(m.to).to_string()),
        message: m.message.clone(),
        metrics_value: Some(m.metrics_value),
        logs_value: Some(m.logs_value),
        workers: m
            .workers
            .iter()
            .map(|d| records::worker_entry(d, lines, dir, d.change.word()))
            .collect(),
        jobs: m.jobs.clone(),
    }
}

fn scrape_record(t: &Triage, dir: &Directory) -> Option<ScrapeRecord> {
    let (client, page) = t.metrics_page.as_ref()?;
    let page = page.as_ref().ok()?;
    let now = t.window.end;
    let connected = t
        .derived
        .all()
        .find(|s| {
            s.labels
                .get("__name__")
                .is_some_and(|n| n == "coordinator_workers_connected")
        })
        .and_then(|s| s.at(now));
    // The logs' view of the coordinator's current life: who is connected, who failed jobs.
    let life_start = t
        .facts
        .coordinator
        .lives
        .last()
        .map_or(0, |l| l.start.as_micros() / 1000);
    let mut workers: Vec<ScrapeWorker> = Vec::new();
    let mut ids: Vec<crate::event::IdRef> = dir.entries().iter().map(|e| e.id.clone()).collect();
    for (w, _, _) in &page.worker_jobs {
        let id = dir.full(&crate::event::IdRef::full(w.as_str()));
        if !ids
            .iter()
            .any(|have| crate::trail::streams::same_worker(have, &id))
        {
            ids.push(id);
        }
    }
    for id in ids {
        let failed = page
            .worker_jobs
            .iter()
            .filter(|(w, o, _)| {
                *o == crate::trail::Outcome::Failed
                    && crate::trail::streams::same_worker(
                        &crate::event::IdRef::full(w.as_str()),
                        &id,
                    )
            })
            .map(|x| x.2)
            .reduce(|a, b| a + b);
        let failed_logs = t
            .facts
            .jobs
            .iter()
            .filter(|j| {
                j.outcome() == crate::trail::Outcome::Failed
                    && j.ended.is_some_and(|e| e.as_micros() / 1000 >= life_start)
            })
            .filter(|j| {
                j.workers
                    .iter()
                    .any(|w| crate::trail::streams::same_worker(&dir.full(w), &id))
            })
            .count();
        let connected_logs = story::departures(&t.facts.coordinator, ts(now), ts(now), dir)
            .iter()
            .all(|d| !crate::trail::streams::same_worker(&d.worker, &id));
        workers.push(ScrapeWorker {
            worker_id: json_id(&id),
            name: dir.find(&id).map(|e| e.name.clone()),
            connected_logs,
            failed,
            failed_logs,
        });
    }
    Some(ScrapeRecord {
        kind: "scrape",
        schema: SCHEMA,
        url: client.name.trim_start_matches("metrics ").to_string(),
        ts: Timestamp::now().to_string(),
        workers_connected: page.workers_connected,
        workers_connected_logs: connected.map(|c| c as usize),
        workers,
    })
}

fn summary(t: &Triage, stories: &[Story], disagreements: usize) -> Summary {
    let mut fired: Vec<String> = stories.iter().map(|s| s.rule.name.clone()).collect();
    fired.dedup();
    let g: &Grid = &t.window;
    let jobs_failed = t
        .facts
        .jobs
        .iter()
        .filter(|j| {
            j.outcome() == crate::trail::Outcome::Failed
                && j.ended.is_some_and(|e| e >= ts(g.start) && e <= ts(g.end))
        })
        .count();
    let dir = Directory::default();
    let gone = story::departures(&t.facts.coordinator, ts(g.start), ts(g.end), &dir);
    Summary {
        kind: "summary",
        schema: SCHEMA,
        since: ts(g.start).to_string(),
        until: ts(g.end).to_string(),
        step_s: g.step as f64 / 1000.0,
        evaluated_on: t.evaluated_on,
        rules: t.rules.len(),
        fired,
        intervals: stories.len(),
        corrected: stories.iter().filter(|s| s.corrected).count(),
        lints: t.lints.len(),
        disagreements,
        jobs_failed,
        workers_disconnected: records::distinct_workers(
            gone.iter()
                .filter(|d| d.ts >= ts(g.start))
                .map(|d| &d.worker),
        ),
        sources_failed: report::failures()
            .into_iter()
            .map(|(source, error)| SourceFailed { source, error })
            .collect(),
        queries_failed: t
            .failed
            .iter()
            .map(|f| SourceFailed {
                source: f.query.clone(),
                error: f.error.clone(),
            })
            .collect(),
    }
}

fn json(
    out: &mut dyn Write,
    t: &Triage,
    stories: &[Story],
    dis: &[Mismatch],
    lines: &Lines,
    dir: &Directory,
) -> io::Result<()> {
    let mut w = io::BufWriter::new(out);
    let lints: Vec<LintRecord> = t
        .lints
        .iter()
        .map(|l| LintRecord {
            kind: "lint",
            schema: SCHEMA,
            rule: &l.rule,
            problem: &l.problem,
            fix: l.fix.as_deref(),
            corrected_expr: match &l.correction {
                Some(crate::triage::lint::Correction::Expr(e)) => Some(e.as_str()),
                _ => None,
            },
        })
        .collect();
    write_ndjson(&mut w, &lints)?;
    let alerts: Vec<AlertRecord> = stories
        .iter()
        .map(|s| AlertRecord::new(s, lines, dir))
        .collect();
    write_ndjson(&mut w, &alerts)?;
    let d: Vec<Disagreement> = dis
        .iter()
        .map(|m| disagreement_record(m, lines, dir))
        .collect();
    write_ndjson(&mut w, &d)?;
    if let Some(s) = scrape_record(t, dir) {
        write_ndjson(&mut w, &[s])?;
    }
    write_ndjson(&mut w, &[summary(t, stories, dis.len())])?;
    w.flush()
}

/// The series a story's chart shows, per column of the window, and its log marks.
fn chart(s: &Story, t: &Triage, from: Timestamp, to: Timestamp) -> Chart {
    let cols = WIDTH_COLUMNS;
    let col_t =
        |i: usize| Timestamp(from.0 + (to.0 - from.0) * i as i64 / (cols as i64 - 1).max(1));
    let derived_at = |name: &str, i: usize| {
        t.derived
            .all()
            .find(|x| x.labels.get("__name__").is_some_and(|n| n == name))
            .and_then(|x| x.at(col_t(i).as_micros() / 1000))
    };
    let per_column = |pick: &dyn Fn(&crate::trail::record::JobRecord) -> Option<f64>,
                      sum: bool|
     -> Vec<Option<f64>> {
        let mut v = vec![Some(0.0); cols];
        for j in &t.facts.jobs {
            let Some(e) = j.ended else { continue };
            let Some(x) = pick(j) else { continue };
            if let Some(i) = crate::triage::render::column(e, from, to) {
                let c = v[i].get_or_insert(0.0);
                *c = if sum { *c + x } else { c.max(x) };
            }
        }
        v
    };
    let job_marks = |c: char| {
        s.jobs
            .iter()
            .filter_map(|j| Some((j.job.ended?, c)))
            .collect()
    };
    match s.rule.topic {
        Topic::Failures | Topic::WorkerFailures => Chart {
            label: "failed jobs",
            values: per_column(
                &|j| (j.outcome() == crate::trail::Outcome::Failed).then_some(1.0),
                true,
            ),
            marks: job_marks('x'),
        },
        Topic::Latency => Chart {
            label: "job secs",
            values: per_column(&|j| j.duration_s(), false),
            marks: job_marks('•'),
        },
        Topic::Fleet => Chart {
            label: "workers",
            values: (0..cols)
                .map(|i| derived_at("coordinator_workers_connected", i))
                .collect(),
            marks: s
                .workers
                .iter()
                .flat_map(|d| {
                    std::iter::once((d.ts, mark_of(d.change))).chain(d.back_at.map(|b| (b, '^')))
                })
                .collect(),
        },
        Topic::Unreachable => Chart {
            label: "up (logs)",
            values: (0..cols).map(|i| derived_at("up", i)).collect(),
            marks: s
                .gap
                .and_then(|g| g.restarted_at)
                .map(|r| vec![(r, '!')])
                .unwrap_or_default(),
        },
        Topic::Other => Chart {
            label: "",
            values: vec![None; cols],
            marks: Vec::new(),
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn pretty(
    out: &mut dyn Write,
    t: &Triage,
    stories: &[Story],
    dis: &[Mismatch],
    lines: &Lines,
    dir: &Directory,
    color: bool,
) -> io::Result<()> {
    let g = &t.window;
    let (from, to) = (ts(g.start), ts(g.end));
    let sum = summary(t, stories, dis.len());
    let on = match t.prometheus {
        Some(p) => p.name.clone(),
        None => t.evaluated_on.to_string(),
    };
    writeln!(
        out,
        "triage {} → {} on {on}: {} of {} rules fired ({} intervals), {} jobs failed in the window",
        from.to_datetime().format("%Y-%m-%d %H:%M:%S"),
        to.to_datetime().format("%H:%M:%S"),
        sum.fired.len(),
        t.rules.len(),
        stories.len(),
        sum.jobs_failed
    )?;
    for l in &t.lints {
        writeln!(out, "! {}: {}", l.rule, l.problem)?;
        if let Some(fix) = &l.fix {
            writeln!(out, "  fix: {fix}")?;
        }
    }
    writeln!(out)?;
    for s in stories {
        // Live alerts may have begun before the window: widen the axis to show them.
        let start = from.min(Timestamp(s.firing.active_from * 1000));
        write_story(
            out,
            s,
            &chart(s, t, start, to),
            (start, to),
            lines,
            dir,
            color,
        )?;
    }
    for m in dis {
        writeln!(
            out,
            "≠ {} {} → {}: {}",
            m.metric,
            ts(m.from).to_datetime().format("%H:%M:%S"),
            ts(m.to).to_datetime().format("%H:%M:%S"),
            m.message
        )?;
        for d in &m.workers {
            writeln!(
                out,
                "    {} {} {}",
                dir.shown(&d.worker),
                d.change.word(),
                d.ts.to_datetime().format("%H:%M:%S")
            )?;
        }
    }
    if let Some(s) = scrape_record(t, dir) {
        let show = |v: Option<f64>| {
            v.map(crate::metrics::openmetrics::value)
                .unwrap_or_else(|| "?".into())
        };
        writeln!(
            out,
            "/metrics {}: workers_connected {} (the logs: {})",
            s.url,
            show(s.workers_connected),
            s.workers_connected_logs
                .map_or("?".into(), |c| c.to_string())
        )?;
        for w in &s.workers {
            writeln!(
                out,
                "    {}  failed {} (logs: {}){}",
                w.name.clone().unwrap_or_else(|| w.worker_id.clone()),
                show(w.failed),
                w.failed_logs,
                if w.connected_logs {
                    ""
                } else {
                    "  disconnected in the logs"
                }
            )?;
        }
    }
    if stories.is_empty() {
        writeln!(out, "no rule fired in the window")?;
    }
    Ok(())
}
