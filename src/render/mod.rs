//! The output stage: pretty (coloured, for people), compact (one plain line), raw (the lines as
//! read) and json (NDJSON with a fixed schema). Generic over `Write`, so every format is tested
//! by writing into a buffer. Log content never reaches the terminal with its escape sequences.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::ops::Bound;

use owo_colors::OwoColorize;
use serde::Serialize;

pub use crate::escape::sanitize;
use crate::escape::sanitize_line;
use crate::event::{Event, IdRef, Level};
use crate::palette::{level_style, SourcePalette};

#[cfg(test)]
mod equivalence_tests;
mod json;

pub use json::JsonEvent;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Pretty,
    Compact,
    Raw,
    Json,
    /// OpenMetrics text (`metrics` only)
    Openmetrics,
}

/// Resolves IDs a line shows truncated to the full ID, once any line has shown the full one.
#[derive(Default)]
pub struct IdBook {
    full_jobs: BTreeSet<String>,
}

impl IdBook {
    pub fn learn(&mut self, id: &IdRef) {
        // Checked first: most events name a job already known, and cloning is per event.
        if !id.truncated && id.text.len() > 8 && !self.full_jobs.contains(&*id.text) {
            self.full_jobs.insert(id.text.to_string());
        }
    }

    pub fn resolve(&self, id: &IdRef) -> IdRef {
        match self.resolved(id) {
            Some(full) => IdRef::full(full),
            None => id.clone(),
        }
    }

    /// The ID's text as JSON shows it: the full ID when one alone starts with a truncated one.
    fn resolved_text<'a>(&'a self, id: &'a IdRef) -> &'a str {
        self.resolved(id).unwrap_or(&id.text)
    }

    /// The one full ID a truncated one is the start of.
    fn resolved(&self, id: &IdRef) -> Option<&str> {
        if !id.truncated {
            return None;
        }
        let mut candidates = self
            .full_jobs
            .range::<str, _>((Bound::Included(&*id.text), Bound::Unbounded))
            .take_while(|f| f.starts_with(&*id.text));
        match (candidates.next(), candidates.next()) {
            (Some(full), None) => Some(full),
            _ => None,
        }
    }
}

pub struct Renderer<W: Write> {
    out: W,
    format: Format,
    color: bool,
    pub ids: IdBook,
    label_width: usize,
    palette: SourcePalette,
    /// The `-g` patterns, whose matches are highlighted in colour output.
    highlight: Option<regex::Regex>,
    raw_escaped: bool,
    /// JSON events not yet written: they go out in blocks of [`JSON_BLOCK`] bytes.
    json_block: Vec<u8>,
    /// Where the fields of the JSON line being written are (kept for its allocation).
    line_fields: crate::parse::LineFields,
}

/// JSON output is written in blocks this large: as large as the `BufWriter` below, which then
/// passes them on without copying them.
const JSON_BLOCK: usize = 64 * 1024;

impl<W: Write> Renderer<W> {
    pub fn new(out: W, format: Format, color: bool) -> Renderer<W> {
        Renderer {
            out,
            format,
            color,
            ids: IdBook::default(),
            label_width: 10,
            palette: SourcePalette::default(),
            highlight: None,
            raw_escaped: false,
            json_block: Vec::new(),
            line_fields: Default::default(),
        }
    }

    /// `-o raw` to a terminal: control characters are shown escaped, as in every other mode.
    pub fn escape_raw(mut self, escaped: bool) -> Renderer<W> {
        self.raw_escaped = escaped;
        self
    }

    pub fn event(&mut self, e: &Event) -> io::Result<()> {
        self.event_around(e, false)
    }

    /// Highlights what these patterns match in messages, when in colour.
    pub fn highlight(&mut self, patterns: Option<regex::Regex>) {
        self.highlight = patterns;
    }

    /// An event; `around`: shown only as a line around a match (`-A/-B/-C`).
    pub fn event_around(&mut self, e: &Event, around: bool) -> io::Result<()> {
        self.event_marked(e, around, false)
    }

    /// An event; `late`: followed live, it came after lines aligned later than itself were
    /// printed (pretty marks it `!`, compact `(late)`, JSON `"late":true`).
    pub fn event_marked(&mut self, e: &Event, around: bool, late: bool) -> io::Result<()> {
        match self.format {
            Format::Raw if self.raw_escaped => {
                self.out.write_all(&crate::escape::sanitize_bytes(&e.raw))?;
                self.out.write_all(b"\n")
            }
            Format::Raw => {
                self.out.write_all(&e.raw)?;
                self.out.write_all(b"\n")
            }
            Format::Json => {
                // Only the JSON output resolves truncated IDs.
                if let Some(id) = &e.job_id {
                    self.ids.learn(id);
                }
                let job = e.job_id.as_ref().map(|id| self.ids.resolved_text(id));
                let block = &mut self.json_block;
                json::write_json_event(block, e, job, around, late, &mut self.line_fields)?;
                block.push(b'\n');
                if block.len() >= JSON_BLOCK {
                    self.write_json_block()?;
                }
                Ok(())
            }
            Format::Compact | Format::Openmetrics => self.compact(e, around, late),
            Format::Pretty => self.pretty(e, around, late),
        }
    }

    /// Writes a line of text that is not an event (a summary), as is.
    pub fn text(&mut self, s: &str) -> io::Result<()> {
        self.write_json_block()?;
        self.out.write_all(s.as_bytes())
    }

    pub fn json_value<T: Serialize>(&mut self, v: &T) -> io::Result<()> {
        self.write_json_block()?;
        serde_json::to_writer(&mut self.out, v)?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.write_json_block()?;
        self.out.flush()
    }

    /// Writes the JSON events held in the block (whole events: the escaping net on stdout
    /// needs whole characters).
    fn write_json_block(&mut self) -> io::Result<()> {
        if self.json_block.is_empty() {
            return Ok(());
        }
        let written = self.out.write_all(&self.json_block);
        // Cleared even when the write failed: those events are not written again.
        self.json_block.clear();
        written
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn color(&self) -> bool {
        self.color
    }

    /// The message, its pattern matches in reverse video when in colour.
    fn marked<'m>(&self, message: &'m str) -> std::borrow::Cow<'m, str> {
        match &self.highlight {
            Some(re) if self.color && re.is_match(message) => re
                .replace_all(message, |c: &regex::Captures| {
                    (&c[0]).reversed().to_string()
                })
                .into_owned()
                .into(),
            _ => message.into(),
        }
    }

    fn compact(&mut self, e: &Event, around: bool, late: bool) -> io::Result<()> {
        let ts =
            e.ts.map(|t| t.to_string())
                .unwrap_or_else(|| "-".repeat(27));
        let level = format!("{:<5}", e.level.map_or("-", Level::as_str));
        let source = sanitize_line(&e.source);
        if self.color {
            let source = self.palette.paint(&e.source, &source);
            let level = level.style(level_style(e.level));
            write!(self.out, "{ts} {source} {level}")?;
        } else {
            write!(self.out, "{ts} {source} {level}")?;
        }
        if e.context {
            write!(self.out, " (context)")?;
        }
        if around {
            write!(self.out, " (around)")?;
        }
        if late {
            write!(self.out, " (late)")?;
        }
        if let Some(p) = &e.phase {
            write!(self.out, " [{}]", sanitize_line(p.as_str()))?;
        }
        if let Some(j) = &e.job_id {
            write!(self.out, " [job {}]", sanitize_line(&short_id(j)))?;
        }
        let message = sanitize(&one_line(&e.message)).into_owned();
        writeln!(self.out, " {}", self.marked(&message))
    }

    fn pretty(&mut self, e: &Event, around: bool, late: bool) -> io::Result<()> {
        // The aligned time when the host's offset is known; `*` marks a line moved over a
        // second, `!` a live line printed after its place.
        let ts = match e.ts_aligned().or(e.ts) {
            Some(t) => crate::zone::line_time(t),
            None => " ".repeat(24),
        };
        let moved = if late {
            "!"
        } else if e.shift_us.is_some_and(|s| s.abs() > MOVED_US) {
            "*"
        } else {
            " "
        };
        let label = sanitize_line(&e.source);
        self.label_width = self.label_width.max(label.chars().count()).min(28);
        let label = format!("{label:<width$}", width = self.label_width);
        let level = format!("{:<5}", e.level.map_or("", Level::as_str));
        let phase = e
            .phase
            .as_ref()
            .map(|p| format!(" {:<9}", sanitize_line(short_phase(p.as_str()))))
            .unwrap_or_else(|| " ".repeat(10));
        let job = e
            .job_id
            .as_ref()
            .map(|j| format!(" {:<9}", sanitize_line(&short_id(j))))
            .unwrap_or_else(|| " ".repeat(10));
        let message = sanitize(&e.message).into_owned();
        let message = self.marked(&message).into_owned();
        let mut lines = message.split('\n');
        let first = lines.next().unwrap_or("");
        if self.color {
            let level = level.style(level_style(e.level)).to_string();
            let label = self.palette.paint(&e.source, &label);
            let marker = match (e.context, around) {
                (_, true) => "-".dimmed().to_string(),
                (true, false) => "~".dimmed().to_string(),
                (false, false) => " ".to_string(),
            };
            write!(
                self.out,
                "{}{moved}{}{} {}{}{} {}",
                ts.dimmed(),
                marker,
                label,
                level,
                phase.cyan(),
                job.dimmed(),
                first
            )?;
        } else {
            let marker = match (e.context, around) {
                (_, true) => "-",
                (true, false) => "~",
                (false, false) => " ",
            };
            write!(
                self.out,
                "{ts}{moved}{marker}{label} {level}{phase}{job} {first}"
            )?;
        }
        writeln!(self.out)?;
        let indent = " ".repeat(26);
        for more in lines {
            writeln!(self.out, "{indent}{more}")?;
        }
        // Pretty-format continuation lines (`at`, `in span with ...`) beneath, dimmed.
        for raw_line in e.raw.split(|&b| b == b'\n').skip(1) {
            let text = String::from_utf8_lossy(raw_line);
            let text = crate::parse::strip_ansi(&text);
            let text = sanitize(text.trim());
            if self.color {
                writeln!(self.out, "{indent}{}", text.dimmed())?;
            } else {
                writeln!(self.out, "{indent}{text}")?;
            }
        }
        Ok(())
    }
}

impl<W: Write> Drop for Renderer<W> {
    /// The events still held are written (a command that did not flush loses no output).
    fn drop(&mut self) {
        let _ = self.write_json_block();
    }
}

/// A line whose time alignment moved it by more than this is marked in pretty output.
const MOVED_US: i64 = 1_000_000;

fn one_line(s: &str) -> String {
    s.replace('\n', "⏎")
}

fn short_id(id: &IdRef) -> String {
    id.text.chars().take(8).collect()
}

fn short_phase(p: &str) -> &str {
    match p {
        "Contributions" => "Contrib",
        "ContributionsInputsStream" => "Inputs",
        "ContributionsHintsStream" => "Hints",
        other => other,
    }
}

/// Writes rows as NDJSON, one object per line (`jobs`, `workers` with `-o json`).
pub fn write_ndjson<T: Serialize>(out: &mut impl Write, rows: &[T]) -> io::Result<()> {
    rows.iter().try_for_each(|row| {
        serde_json::to_writer(&mut *out, row)?;
        out.write_all(b"\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_book_resolves_unique_prefixes_only() {
        let mut book = IdBook::default();
        book.learn(&IdRef::full("1a2b3c4d-0000-4000-8000-00000000abcd"));
        assert_eq!(
            &*book.resolve(&IdRef::truncated("1a2b3c4d")).text,
            "1a2b3c4d-0000-4000-8000-00000000abcd"
        );
        book.learn(&IdRef::full("1a2b3c4d-ffff-4000-8000-00000000abcd"));
        assert!(book.resolve(&IdRef::truncated("1a2b3c4d")).truncated);
    }
}
