//! The job drawn in the terminal: one row for the coordinator's phases and one per worker, on a
//! shared time axis, with errors (`X`), disconnects (`!`) and cancellations (`~`) marked.

use std::io::{self, Write};

use owo_colors::{AnsiColors, OwoColorize};

use crate::escape::sanitize_line;
use crate::event::{Event, Level, Phase, Role};
use crate::time::Timestamp;
use crate::trail::record::JobRecord;
use crate::trail::stitch::WorkerTie;
use crate::trail::streams::same_worker;

const LABEL: usize = 22;

/// The legend's entries, wrapped to the width.
const LEGEND: [&str; 7] = [
    "C Contributions",
    "P Prove",
    "A Aggregate",
    "E Execution",
    "X error",
    "! disconnect",
    "~ cancelled",
];

fn phase_char(p: &Phase) -> (char, AnsiColors) {
    match p.as_str() {
        "Contributions" | "ContributionsInputsStream" | "ContributionsHintsStream" => {
            ('C', AnsiColors::Cyan)
        }
        "Prove" => ('P', AnsiColors::Blue),
        "Aggregate" => ('A', AnsiColors::Magenta),
        "Execution" => ('E', AnsiColors::Green),
        _ => ('#', AnsiColors::White),
    }
}

struct Row {
    label: String,
    cells: Vec<(char, Option<AnsiColors>)>,
}

impl Row {
    fn new(label: &str, n: usize) -> Row {
        Row {
            label: sanitize_line(label).chars().take(LABEL - 1).collect(),
            cells: vec![('·', None); n],
        }
    }
}

struct Axis {
    t0: Timestamp,
    t1: Timestamp,
    n: usize,
}

impl Axis {
    fn col(&self, t: Timestamp) -> usize {
        let span = (self.t1.0 - self.t0.0).max(1) as f64;
        let x = ((t.0 - self.t0.0) as f64 / span * (self.n - 1) as f64).round();
        x.clamp(0.0, (self.n - 1) as f64) as usize
    }

    /// Marks the cells from `from` to `to`, in either order: a clock stepped back can log a
    /// phase's end before its start.
    fn fill(&self, row: &mut Row, from: Timestamp, to: Timestamp, c: char, color: AnsiColors) {
        let (a, b) = (self.col(from), self.col(to));
        for cell in &mut row.cells[a.min(b)..=a.max(b)] {
            *cell = (c, Some(color));
        }
    }

    fn mark(&self, row: &mut Row, at: Timestamp, c: char) {
        let i = self.col(at);
        row.cells[i] = (c, Some(AnsiColors::Red));
    }
}

/// The mark an event puts on a worker's row, if any.
fn mark_of(e: &Event) -> Option<char> {
    let m = e.message.as_str();
    if m.contains("disconnected") || m.contains("connection dropped") || m.contains("Stream closed")
    {
        Some('!')
    } else if e.level == Some(Level::Error) {
        Some('X')
    } else if m.contains("cancelled") || m.contains("cancellation") {
        Some('~')
    } else {
        None
    }
}

pub fn write(
    out: &mut dyn Write,
    record: &JobRecord,
    events: &[Event],
    workers: &[WorkerTie],
    color: bool,
    width: usize,
) -> io::Result<()> {
    let times: Vec<Timestamp> = events.iter().filter_map(|e| e.ts).collect();
    let Some(t0) = record.start().or_else(|| times.iter().min().copied()) else {
        return Ok(());
    };
    let t1 = record
        .ended
        .or_else(|| times.iter().max().copied())
        .filter(|&t| t > t0)
        .unwrap_or(Timestamp(t0.0 + 1_000_000));
    let n = width.saturating_sub(LABEL + 2).max(20);
    let axis = Axis { t0, t1, n };
    let mut rows = Vec::new();
    let mut coord = Row::new("coordinator", n);
    for p in &record.phases {
        if let Some(s) = p.start {
            let (c, col) = phase_char(&p.name);
            axis.fill(&mut coord, s, p.end.unwrap_or(t1), c, col);
        }
    }
    if let Some(end) = record.ended {
        if record.outcome() != crate::trail::Outcome::Completed {
            axis.mark(&mut coord, end, 'X');
        }
    }
    rows.push(coord);
    for w in workers {
        let name =
            crate::trail::streams::display_name(w.streams.first().map(|(_, l)| &**l), &w.id.text);
        let mut row = Row::new(&crate::escape::sanitize_line(&name), n);
        let mine: Vec<&Event> = events
            .iter()
            .filter(|e| {
                e.role == Some(Role::Worker)
                    && e.worker_id
                        .as_ref()
                        .is_some_and(|id| same_worker(id, &w.id))
            })
            .collect();
        let mut spans: Vec<(Phase, Timestamp, Timestamp)> = Vec::new();
        for e in mine.iter().filter(|e| !e.context) {
            let (Some(p), Some(t)) = (&e.phase, e.ts) else {
                continue;
            };
            match spans.iter_mut().find(|(q, _, _)| q == p) {
                Some(s) => {
                    s.1 = s.1.min(t);
                    s.2 = s.2.max(t);
                }
                None => spans.push((p.clone(), t, t)),
            }
        }
        for (p, s, e) in &spans {
            let (c, col) = phase_char(p);
            axis.fill(&mut row, *s, *e, c, col);
        }
        let about_worker = events.iter().filter(|e| {
            e.role == Some(Role::Coordinator)
                && e.worker_id
                    .as_ref()
                    .is_some_and(|id| same_worker(id, &w.id))
        });
        for e in mine.iter().copied().chain(about_worker) {
            if let (Some(c), Some(t)) = (mark_of(e), e.ts) {
                axis.mark(&mut row, t, c);
            }
        }
        rows.push(row);
    }
    writeln!(out)?;
    for row in rows {
        let label = format!("{:<LABEL$}", row.label);
        write!(out, "  {label}")?;
        if !color {
            writeln!(
                out,
                "{}",
                row.cells.iter().map(|(c, _)| *c).collect::<String>()
            )?;
            continue;
        }
        // Runs of one colour are written as one coloured piece.
        let mut i = 0;
        while i < row.cells.len() {
            let col = row.cells[i].1;
            let run: String = row.cells[i..]
                .iter()
                .take_while(|(_, c)| *c == col)
                .map(|(c, _)| *c)
                .collect();
            i += run.chars().count();
            match col {
                Some(col) => write!(out, "{}", run.color(col))?,
                None => write!(out, "{}", run.dimmed())?,
            }
        }
        writeln!(out)?;
    }
    let left = crate::zone::clock(t0);
    let right = format!("+{:.1}s", t1.seconds_since(t0));
    let gap = n.saturating_sub(left.chars().count() + right.chars().count());
    writeln!(out, "  {:<LABEL$}{left}{}{right}", "", " ".repeat(gap))?;
    let mut line = String::new();
    for entry in LEGEND {
        if !line.is_empty() && LABEL + 2 + line.len() + 2 + entry.chars().count() > width {
            writeln!(out, "  {:<LABEL$}{line}", "")?;
            line.clear();
        }
        if !line.is_empty() {
            line.push_str("  ");
        }
        line.push_str(entry);
    }
    writeln!(out, "  {:<LABEL$}{line}", "")
}
