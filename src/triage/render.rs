//! Pretty triage output for a person paged at night: per alert a short story (a headline, the
//! jobs or workers behind it, the command to read next) and the headline series as a terminal
//! sparkline over the window, with the firing interval and the log events on the same axis.

use std::io::{self, Write};

use owo_colors::OwoColorize;

use crate::event::Event;
use crate::metrics::facts::Change;
use crate::render::sanitize;
use crate::time::Timestamp;
use crate::triage::directory::Directory;
use crate::triage::reads::Lines;
use crate::triage::rules::Topic;
use crate::triage::story::{groups, reason_group, Story};

/// Columns of a sparkline.
pub const WIDTH_COLUMNS: usize = 60;
const WIDTH: usize = WIDTH_COLUMNS;
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn clock(t: Timestamp) -> String {
    t.to_datetime().format("%H:%M:%S").to_string()
}

fn span(from: Timestamp, to: Timestamp) -> String {
    let s = ((to.0 - from.0) / 1_000_000).max(0);
    match s {
        s if s >= 3600 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

/// One line that says what explains the interval.
pub fn headline(s: &Story, dir: &Directory) -> String {
    match s.rule.topic {
        Topic::Failures | Topic::WorkerFailures => {
            let n = s.jobs.len();
            if n == 0 {
                return "no job ended that way in the logs over the interval (logs lost or not shipped?)".into();
            }
            let by_worker = groups(s.jobs.iter().map(|j| j.blamed.as_ref().map(|w| dir.shown(w)).unwrap_or_default()));
            let (top, count) = &by_worker[0];
            let reasons = groups(
                s.jobs
                    .iter()
                    .filter(|j| j.blamed.as_ref().map(|w| dir.shown(w)).unwrap_or_default() == *top)
                    .map(|j| j.job.reason.as_deref().map(reason_group).unwrap_or_default()),
            );
            let reason = reasons.first().map(|r| r.0.clone()).unwrap_or_default();
            let noun = if n == 1 { "failure" } else { "failures" };
            if top.is_empty() {
                format!("{n} {noun}, none blamed on a worker: {reason}")
            } else {
                format!("{count} of {n} {noun} on {top}: {reason}")
            }
        }
        Topic::Fleet => {
            if s.workers.is_empty() {
                return "no worker left the pool in the logs over the interval".into();
            }
            let away: Vec<String> = s
                .workers
                .iter()
                .map(|d| {
                    let back = d.back_at.map_or("not back".to_string(), |b| format!("back {}", clock(b)));
                    format!("{} {} {} ({back})", dir.shown(&d.worker), d.change.word(), clock(d.ts))
                })
                .collect();
            format!("{} worker(s) left: {}", s.workers.len(), away.join(", "))
        }
        Topic::Latency => match s.jobs.first() {
            Some(j) => {
                let slowest_phase = j
                    .job
                    .phases
                    .iter()
                    .filter_map(|p| Some((p, p.end?.seconds_since(p.start?))))
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                let held = slowest_phase
                    .map(|(p, d)| {
                        let by = p.held_by.as_ref().map(|w| format!(" held up by {}", dir.shown(w))).unwrap_or_default();
                        format!(", {} {d:.1}s{by}", sanitize(&p.name.to_string()))
                    })
                    .unwrap_or_default();
                format!(
                    "slowest job {} took {:.1}s{held}",
                    sanitize(&j.job.id.text),
                    j.job.duration_s().unwrap_or(0.0)
                )
            }
            None => "no job ended in the logs over the interval".into(),
        },
        Topic::Unreachable => match s.gap {
            Some(g) if g.restarted_at.is_some() => format!(
                "the coordinator restarted at {}",
                clock(g.restarted_at.unwrap_or_default())
            ),
            Some(_) => "no restart in the coordinator's logs: if it kept logging, Prometheus could not reach it (network, port, TLS)".into(),
            None => String::new(),
        },
        Topic::Other => String::new(),
    }
}

/// A row of `WIDTH` bars for values per column (None: no data).
pub fn sparkline(values: &[Option<f64>]) -> String {
    let max = values.iter().flatten().cloned().fold(0.0, f64::max);
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if max <= 0.0 => BARS[0],
            Some(v) => {
                BARS[((v / max) * (BARS.len() - 1) as f64)
                    .round()
                    .clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

/// The column of time `t` in a window of `WIDTH` columns.
pub fn column(t: Timestamp, from: Timestamp, to: Timestamp) -> Option<usize> {
    if t < from || t > to || to <= from {
        return None;
    }
    Some((((t.0 - from.0) as f64 / (to.0 - from.0) as f64) * (WIDTH - 1) as f64).round() as usize)
}

/// What the pretty view draws for one story: the series, its label, and the log marks.
pub struct Chart {
    pub label: &'static str,
    pub values: Vec<Option<f64>>,
    pub marks: Vec<(Timestamp, char)>,
}

pub fn write_story(
    out: &mut dyn Write,
    s: &Story,
    chart: &Chart,
    window: (Timestamp, Timestamp),
    lines: &Lines,
    dir: &Directory,
    color: bool,
) -> io::Result<()> {
    let title = format!("{} {}", if s.firing.open { "▶" } else { "■" }, s.rule.name);
    let sev = s.rule.severity.clone().unwrap_or_default();
    let title = match (color, sev.as_str()) {
        (true, "page" | "critical") => title.red().bold().to_string(),
        (true, _) => title.yellow().bold().to_string(),
        _ => title,
    };
    let from = Timestamp(s.firing.from * 1000);
    let to = Timestamp(s.firing.last * 1000);
    let until = if s.firing.open {
        "still firing".to_string()
    } else {
        format!("→ {}", clock(to))
    };
    write!(
        out,
        "{title}  {sev}  fired {} {until} ({})",
        clock(from),
        span(from, to)
    )?;
    if !s.firing.labels.is_empty() {
        let l: Vec<String> = s
            .firing
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        write!(out, "  {{{}}}", sanitize(&l.join(",")))?;
    }
    writeln!(out)?;
    if let Some(summary) = &s.rule.summary {
        writeln!(out, "  {}", sanitize(summary))?;
    }
    let corrected = if s.corrected {
        format!("  [corrected; evaluated on {}]", s.evaluated_on)
    } else {
        String::new()
    };
    writeln!(
        out,
        "  {}{corrected}",
        sanitize(&s.expr.split_whitespace().collect::<Vec<_>>().join(" "))
    )?;
    let head = headline(s, dir);
    if !head.is_empty() {
        writeln!(out, "  {}", sanitize(&head))?;
    }
    // The dashboard view: series, firing span, log events, one time axis.
    let mut firing = vec!['·'; WIDTH];
    if let (Some(a), b) = (
        column(Timestamp(s.firing.active_from * 1000), window.0, window.1).or(Some(0)),
        column(to, window.0, window.1).unwrap_or(WIDTH - 1),
    ) {
        let a = if Timestamp(s.firing.active_from * 1000) < window.0 {
            0
        } else {
            a
        };
        for (i, c) in firing.iter_mut().enumerate() {
            if i >= a && i <= b {
                *c = if i < column(from, window.0, window.1).unwrap_or(0) {
                    '░'
                } else {
                    '━'
                };
            }
        }
    }
    let mut marks = vec![' '; WIDTH];
    for (t, c) in &chart.marks {
        if let Some(i) = column(*t, window.0, window.1) {
            marks[i] = *c;
        }
    }
    writeln!(out, "  {:<12}{}", chart.label, sparkline(&chart.values))?;
    writeln!(
        out,
        "  {:<12}{}",
        "firing",
        firing.iter().collect::<String>()
    )?;
    if chart
        .marks
        .iter()
        .any(|m| column(m.0, window.0, window.1).is_some())
    {
        writeln!(out, "  {:<12}{}", "logs", marks.iter().collect::<String>())?;
    }
    let (a, b) = (clock(window.0), clock(window.1));
    writeln!(
        out,
        "  {:<12}{a}{}{b}",
        "",
        " ".repeat(WIDTH.saturating_sub(a.len() + b.len()))
    )?;
    match s.rule.topic {
        Topic::Failures | Topic::WorkerFailures | Topic::Latency => {
            for j in &s.jobs {
                // A failure names whom it is blamed on; a slow job who held its slowest phase up.
                let slowest = j
                    .job
                    .phases
                    .iter()
                    .filter_map(|p| Some((p, p.end?.seconds_since(p.start?))))
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                let who = match (s.rule.topic, slowest) {
                    (Topic::Latency, Some((p, d))) => format!(
                        "{} {d:.1}s held up by {}",
                        sanitize(&p.name.to_string()),
                        p.held_by
                            .as_ref()
                            .map(|w| dir.shown(w))
                            .unwrap_or_else(|| "?".into())
                    ),
                    _ => j
                        .blamed
                        .as_ref()
                        .map(|w| dir.shown(w))
                        .unwrap_or_else(|| "-".into()),
                };
                let when = j.job.ended.map(clock).unwrap_or_default();
                let dur = j
                    .job
                    .duration_s()
                    .map(|d| format!("{d:.1}s"))
                    .unwrap_or_default();
                let reason = j.job.reason.as_deref().map(sanitize).unwrap_or_default();
                writeln!(
                    out,
                    "    {}  {when}  {dur:>8}  {who}  {reason}",
                    j.job.id.text
                )?;
                if let Some(e) = lines.first_error(&crate::trail::record::id_key(&j.job.id.text)) {
                    writeln!(out, "      first error: {}", quote(e))?;
                }
            }
            if let Some(j) = s.jobs.first() {
                writeln!(out, "  → zisk-logs job {}", sanitize(&j.job.id.text))?;
            }
        }
        Topic::Fleet => {
            for d in &s.workers {
                let back = d
                    .back_at
                    .map_or("not back".to_string(), |b| format!("back {}", clock(b)));
                writeln!(
                    out,
                    "    {}  {} {}  ({back})",
                    dir.shown(&d.worker),
                    d.change.word(),
                    clock(d.ts)
                )?;
                if let Some(e) = dir.find(&d.worker) {
                    for l in lines.before(
                        e.source_index,
                        Timestamp(d.ts.0 - 120_000_000),
                        Timestamp(d.ts.0 + 2_000_000),
                        3,
                    ) {
                        writeln!(out, "      {}", quote(l))?;
                    }
                }
            }
        }
        Topic::Unreachable => {
            if let Some(g) = s.gap {
                if let Some(i) = g.source {
                    let last =
                        lines.before(i, Timestamp(g.down_from.0 - 600_000_000), g.down_from, 5);
                    if !last.is_empty() {
                        writeln!(out, "    last lines before:")?;
                    }
                    for l in last {
                        writeln!(out, "      {}", quote(l))?;
                    }
                    let n = lines.count_between(i, g.down_from, g.down_to);
                    if n > 0 {
                        writeln!(out, "    the coordinator logged {n} lines during the gap")?;
                    }
                    for l in lines.after(i, g.down_to, Timestamp(g.down_to.0 + 600_000_000), 3) {
                        writeln!(out, "      after: {}", quote(l))?;
                    }
                }
            }
        }
        Topic::Other => {}
    }
    writeln!(out)
}

fn quote(e: &Event) -> String {
    let t =
        e.ts.map(|t| t.to_datetime().format("%H:%M:%S%.3f").to_string())
            .unwrap_or_default();
    let level = e.level.map(|l| l.as_str()).unwrap_or("");
    let msg: String = e.message.chars().take(160).collect();
    format!("{}  {t}  {level} {}", sanitize(&e.source), sanitize(&msg))
}

/// The marks a story's topic puts on the log row.
pub fn mark_of(change: Change) -> char {
    if change.connects() {
        '^'
    } else {
        'v'
    }
}
