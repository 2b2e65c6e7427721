//! The output stage: pretty (coloured, for people), compact (one plain line), raw (the lines as
//! read) and json (NDJSON with a fixed schema). Generic over `Write`, so every format is tested
//! by writing into a buffer. Log content never reaches the terminal with its escape sequences.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::ops::Bound;

use owo_colors::{AnsiColors, OwoColorize};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::event::{Event, IdRef, Level};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Pretty,
    Compact,
    Raw,
    Json,
}

/// Resolves IDs a line shows truncated to the full ID, once any line has shown the full one.
#[derive(Default)]
pub struct IdBook {
    full_jobs: BTreeSet<String>,
}

impl IdBook {
    pub fn learn(&mut self, id: &IdRef) {
        // Checked first: most events name a job already known, and cloning is per event.
        if !id.truncated && id.text.len() > 8 && !self.full_jobs.contains(&id.text) {
            self.full_jobs.insert(id.text.clone());
        }
    }

    pub fn resolve(&self, id: &IdRef) -> IdRef {
        if !id.truncated {
            return id.clone();
        }
        let mut candidates = self
            .full_jobs
            .range::<str, _>((Bound::Included(id.text.as_str()), Bound::Unbounded))
            .take_while(|f| f.starts_with(&id.text));
        match (candidates.next(), candidates.next()) {
            (Some(full), None) => IdRef::full(full.clone()),
            _ => id.clone(),
        }
    }
}

pub struct Renderer<W: Write> {
    out: W,
    format: Format,
    color: bool,
    pub ids: IdBook,
    label_width: usize,
}

impl<W: Write> Renderer<W> {
    pub fn new(out: W, format: Format, color: bool) -> Renderer<W> {
        Renderer {
            out,
            format,
            color,
            ids: IdBook::default(),
            label_width: 10,
        }
    }

    pub fn event(&mut self, e: &Event) -> io::Result<()> {
        match self.format {
            Format::Raw => {
                self.out.write_all(&e.raw)?;
                self.out.write_all(b"\n")
            }
            Format::Json => {
                // Only the JSON output resolves truncated IDs.
                if let Some(id) = &e.job_id {
                    self.ids.learn(id);
                }
                let job = e.job_id.as_ref().map(|id| self.ids.resolve(id).display());
                serde_json::to_writer(&mut self.out, &JsonEvent::new(e, job))?;
                self.out.write_all(b"\n")
            }
            Format::Compact => self.compact(e),
            Format::Pretty => self.pretty(e),
        }
    }

    /// Writes a line of text that is not an event (a summary), as is.
    pub fn text(&mut self, s: &str) -> io::Result<()> {
        self.out.write_all(s.as_bytes())
    }

    pub fn json_value<T: Serialize>(&mut self, v: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, v)?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn color(&self) -> bool {
        self.color
    }

    fn compact(&mut self, e: &Event) -> io::Result<()> {
        let ts =
            e.ts.map(|t| t.to_string())
                .unwrap_or_else(|| "-".repeat(27));
        let level = e.level.map_or("-", Level::as_str);
        write!(self.out, "{ts} {} {level:<5}", sanitize(&e.source))?;
        if e.context {
            write!(self.out, " (context)")?;
        }
        if let Some(p) = &e.phase {
            write!(self.out, " [{p}]")?;
        }
        if let Some(j) = &e.job_id {
            write!(self.out, " [job {}]", short_id(j))?;
        }
        writeln!(self.out, " {}", sanitize(&one_line(&e.message)))
    }

    fn pretty(&mut self, e: &Event) -> io::Result<()> {
        let ts = match e.ts {
            Some(t) => t.to_datetime().format("%m-%d %H:%M:%S%.3f").to_string(),
            None => " ".repeat(18),
        };
        let label = sanitize(&e.source);
        self.label_width = self.label_width.max(label.chars().count()).min(28);
        let label = format!("{label:<width$}", width = self.label_width);
        let level = format!("{:<5}", e.level.map_or("", Level::as_str));
        let phase = e
            .phase
            .as_ref()
            .map(|p| format!(" {:<9}", short_phase(p.as_str())))
            .unwrap_or_else(|| " ".repeat(10));
        let job = e
            .job_id
            .as_ref()
            .map(|j| format!(" {:<9}", short_id(j)))
            .unwrap_or_else(|| " ".repeat(10));
        let message = sanitize(&e.message);
        let mut lines = message.split('\n');
        let first = lines.next().unwrap_or("");
        if self.color {
            let level = match e.level {
                Some(Level::Error) => level.red().bold().to_string(),
                Some(Level::Warn) => level.yellow().to_string(),
                Some(Level::Info) => level.green().to_string(),
                Some(Level::Debug) => level.blue().to_string(),
                Some(Level::Trace) => level.magenta().to_string(),
                None => level,
            };
            let marker = if e.context {
                "~".dimmed().to_string()
            } else {
                " ".to_string()
            };
            write!(
                self.out,
                "{} {}{} {}{}{} {}",
                ts.dimmed(),
                marker,
                label.color(label_color(&e.source)),
                level,
                phase.cyan(),
                job.dimmed(),
                first
            )?;
        } else {
            let marker = if e.context { "~" } else { " " };
            write!(self.out, "{ts} {marker}{label} {level}{phase}{job} {first}")?;
        }
        writeln!(self.out)?;
        let indent = " ".repeat(20);
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

/// A stable colour for a source label, as stern colours pods.
pub fn label_color(label: &str) -> AnsiColors {
    const PALETTE: [AnsiColors; 8] = [
        AnsiColors::Cyan,
        AnsiColors::Magenta,
        AnsiColors::Blue,
        AnsiColors::Yellow,
        AnsiColors::BrightCyan,
        AnsiColors::BrightMagenta,
        AnsiColors::BrightBlue,
        AnsiColors::Green,
    ];
    let hash = label.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    PALETTE[(hash % PALETTE.len() as u64) as usize]
}

/// Makes text safe for a terminal: control characters (ESC, CR, BEL, C1 controls...) are shown
/// as visible escapes instead of being interpreted. Newlines and tabs are kept.
pub fn sanitize(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| (c.is_control() && c != '\n' && c != '\t') || c == '\u{2028}' || c == '\u{2029}';
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The NDJSON event object; key order is part of the schema.
#[derive(Serialize)]
pub struct JsonEvent<'a> {
    kind: &'static str,
    ts: Option<String>,
    level: Option<&'static str>,
    source: &'a str,
    role: Option<&'static str>,
    worker_id: Option<String>,
    job_id: Option<String>,
    phase: Option<&'a str>,
    target: Option<&'a str>,
    message: &'a str,
    fields: &'a Map<String, Value>,
    raw: std::borrow::Cow<'a, str>,
    origin: Option<JsonOrigin<'a>>,
    context: bool,
}

#[derive(Serialize)]
struct JsonOrigin<'a> {
    path: &'a str,
    line: u64,
}

impl<'a> JsonEvent<'a> {
    pub fn new(e: &'a Event, job_id: Option<String>) -> JsonEvent<'a> {
        JsonEvent {
            kind: "event",
            ts: e.ts.map(|t| t.to_string()),
            level: e.level.map(Level::as_str),
            source: &e.source,
            role: e.role.map(|r| r.as_str()),
            worker_id: e.worker_id.as_ref().map(IdRef::display),
            job_id,
            phase: e.phase.as_ref().map(|p| p.as_str()),
            target: e.target.as_deref(),
            message: &e.message,
            fields: &e.fields,
            raw: e.raw_lossy(),
            origin: e.origin.as_ref().map(|o| JsonOrigin {
                path: &o.path,
                line: o.line,
            }),
            context: e.context,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_escapes_control_characters() {
        assert_eq!(sanitize("a\x1b[31mb\rc"), "a\\u{1b}[31mb\\u{d}c");
        assert_eq!(sanitize("tab\tok\nline"), "tab\tok\nline");
        assert_eq!(sanitize("c1 \u{9b}31m"), "c1 \\u{9b}31m");
    }

    #[test]
    fn id_book_resolves_unique_prefixes_only() {
        let mut book = IdBook::default();
        book.learn(&IdRef::full("1a2b3c4d-0000-4000-8000-00000000abcd"));
        assert_eq!(
            book.resolve(&IdRef::truncated("1a2b3c4d")).text,
            "1a2b3c4d-0000-4000-8000-00000000abcd"
        );
        book.learn(&IdRef::full("1a2b3c4d-ffff-4000-8000-00000000abcd"));
        assert!(book.resolve(&IdRef::truncated("1a2b3c4d")).truncated);
    }
}
