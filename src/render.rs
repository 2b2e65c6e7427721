//! The output stage: pretty (coloured, for people), compact (one plain line), raw (the lines as
//! read) and json (NDJSON with a fixed schema). Generic over `Write`, so every format is tested
//! by writing into a buffer. Log content never reaches the terminal with its escape sequences.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::ops::Bound;

use owo_colors::OwoColorize;
use serde::Serialize;
use serde_json::{Map, Value};

pub use crate::escape::sanitize;
use crate::escape::sanitize_line;
use crate::event::{Event, IdRef, Level};
use crate::palette::{level_style, SourcePalette};

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
        if !id.truncated {
            return id.clone();
        }
        let mut candidates = self
            .full_jobs
            .range::<str, _>((Bound::Included(&*id.text), Bound::Unbounded))
            .take_while(|f| f.starts_with(&*id.text));
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
    palette: SourcePalette,
    /// The `-g` patterns, whose matches are highlighted in colour output.
    highlight: Option<regex::Regex>,
    raw_escaped: bool,
}

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
                let job = e.job_id.as_ref().map(|id| self.ids.resolve(id));
                write_json_event(&mut self.out, e, job.as_ref(), around, late)?;
                self.out.write_all(b"\n")
            }
            Format::Compact | Format::Openmetrics => self.compact(e, around, late),
            Format::Pretty => self.pretty(e, around, late),
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

/// The NDJSON event object; key order is part of the schema.
#[derive(Serialize)]
pub struct JsonEvent<'a> {
    kind: &'static str,
    ts: Option<String>,
    ts_aligned: Option<String>,
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
    around: bool,
    late: bool,
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
            ts_aligned: e.ts_aligned().map(|t| t.to_string()),
            level: e.level.map(Level::as_str),
            source: &e.source,
            role: e.role.map(|r| r.as_str()),
            worker_id: e.worker_id.as_ref().map(|w| w.text.to_string()),
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
            around: false,
            late: false,
        }
    }
}

/// Writes what serializing [`JsonEvent`] writes, without serde's per-byte escaping of
/// strings that need none (a line is written twice, as message and raw, for every event).
fn write_json_event(
    out: &mut impl Write,
    e: &Event,
    job: Option<&IdRef>,
    around: bool,
    late: bool,
) -> io::Result<()> {
    out.write_all(b"{\"kind\":\"event\",\"ts\":")?;
    match e.ts {
        // RFC 3339 digits and separators: nothing to escape.
        Some(t) => write!(out, "\"{t}\"")?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b",\"ts_aligned\":")?;
    match e.ts_aligned() {
        Some(t) => write!(out, "\"{t}\"")?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b",\"level\":")?;
    write_json_opt(out, e.level.map(Level::as_str))?;
    out.write_all(b",\"source\":")?;
    write_json_str(out, &e.source)?;
    out.write_all(b",\"role\":")?;
    write_json_opt(out, e.role.map(|r| r.as_str()))?;
    out.write_all(b",\"worker_id\":")?;
    write_json_id(out, e.worker_id.as_ref())?;
    out.write_all(b",\"job_id\":")?;
    write_json_id(out, job)?;
    out.write_all(b",\"phase\":")?;
    write_json_opt(out, e.phase.as_ref().map(|p| p.as_str()))?;
    out.write_all(b",\"target\":")?;
    write_json_opt(out, e.target.as_deref())?;
    out.write_all(b",\"message\":")?;
    write_json_str(out, &e.message)?;
    out.write_all(b",\"fields\":")?;
    write_json_fields(out, &e.fields)?;
    out.write_all(b",\"raw\":")?;
    write_json_str(out, &e.raw_lossy())?;
    out.write_all(b",\"origin\":")?;
    match &e.origin {
        Some(o) => {
            out.write_all(b"{\"path\":")?;
            write_json_str(out, &o.path)?;
            write!(out, ",\"line\":{}}}", o.line)?;
        }
        None => out.write_all(b"null")?,
    }
    write!(
        out,
        ",\"context\":{},\"around\":{around},\"late\":{late}}}",
        e.context
    )
}

/// The fields object, its keys and string values through [`write_json_str`].
fn write_json_fields(out: &mut impl Write, fields: &Map<String, Value>) -> io::Result<()> {
    out.write_all(b"{")?;
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_json_str(out, key)?;
        out.write_all(b":")?;
        match value {
            Value::String(s) => write_json_str(out, s)?,
            other => serde_json::to_writer(&mut *out, other)?,
        }
    }
    out.write_all(b"}")
}

fn write_json_opt(out: &mut impl Write, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => write_json_str(out, s),
        None => out.write_all(b"null"),
    }
}

/// An ID as JSON gives it (docs/SCHEMA.md): the full ID, or the prefix as logged without the
/// ellipsis a truncated one prints with.
fn write_json_id(out: &mut impl Write, id: Option<&IdRef>) -> io::Result<()> {
    match id {
        Some(id) => write_json_str(out, &id.text),
        None => out.write_all(b"null"),
    }
}

/// A JSON string, escaped as serde_json escapes it: the runs between bytes that need it are
/// written as they are (serde_json looks up every byte in a table; a JSON line written as
/// `raw` has a quote every few bytes, but long runs between them).
fn write_json_str(out: &mut impl Write, s: &str) -> io::Result<()> {
    let mut rest = s.as_bytes();
    out.write_all(b"\"")?;
    while let Some(at) = crate::parse::json_special_at(rest) {
        out.write_all(&rest[..at])?;
        match rest[at] {
            b'"' => out.write_all(b"\\\"")?,
            b'\\' => out.write_all(b"\\\\")?,
            b'\n' => out.write_all(b"\\n")?,
            b'\r' => out.write_all(b"\\r")?,
            b'\t' => out.write_all(b"\\t")?,
            0x08 => out.write_all(b"\\b")?,
            0x0c => out.write_all(b"\\f")?,
            c => write!(out, "\\u{c:04x}")?,
        }
        rest = &rest[at + 1..];
    }
    out.write_all(rest)?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events whose strings need every kind of escaping, and none.
    fn events_to_escape() -> Vec<Event> {
        let texts = [
            "plain text, nothing to escape: long enough for several lanes",
            "quote \" and backslash \\ here",
            "\u{1b}[31mred\u{1b}[0m tab\t newline\n cr\r bell\u{7} del\u{7f} nul\u{0} bs\u{8} ff\u{c}",
            r#"{"timestamp":"2026-11-21T10:00:05Z","fields":{"message":"a \"quoted\" word"}}"#,
            "non-ASCII é … ✔ and a lone control at the end\u{1f}",
            "",
            "short\"",
        ];
        let mut events = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let mut fields = Map::new();
            fields.insert("k".into(), Value::String(text.to_string()));
            fields.insert("n".into(), Value::from(i));
            fields.insert(
                format!("key {text}"),
                serde_json::json!({"in": [text, i, null]}),
            );
            let id = |t: &str, truncated| IdRef {
                text: t.into(),
                truncated,
            };
            events.push(Event {
                ts: (i % 2 == 0)
                    .then_some(crate::time::Timestamp(1_795_000_000_000_000 + i as i64)),
                sort_ts: crate::time::Timestamp(0),
                level: (i % 3 != 0).then_some(Level::Warn),
                target: (i % 2 == 1).then(|| text.to_string()),
                message: text.to_string(),
                fields: fields.into(),
                job_id: Some(id(text, i % 2 == 0)),
                worker_id: (i % 3 != 1).then(|| id(text, i % 2 == 1)),
                phase: (i % 2 == 0).then(|| crate::event::Phase::new(text)),
                template: None,
                release: false,
                source: std::sync::Arc::from(*text),
                role: (i % 2 == 0).then_some(crate::event::Role::Worker),
                origin: (i % 2 == 1).then(|| crate::event::Origin {
                    path: std::sync::Arc::from(*text),
                    line: i as u64,
                }),
                raw: if i == 4 {
                    b"invalid \xff utf-8".to_vec()
                } else {
                    text.as_bytes().to_vec()
                },
                context: i % 2 == 0,
                seq: i as u64,
                shift_us: None,
            });
        }
        events
    }

    #[test]
    fn json_output_is_what_serde_writes() {
        for e in events_to_escape() {
            for job in [e.job_id.clone(), None] {
                let mut ours = Vec::new();
                write_json_event(&mut ours, &e, job.as_ref(), false, false).unwrap();
                let serde = serde_json::to_string(&JsonEvent::new(
                    &e,
                    job.as_ref().map(|j| j.text.to_string()),
                ))
                .unwrap();
                assert_eq!(String::from_utf8(ours).unwrap(), serde);
            }
        }
        // Every lane position of every byte that needs escaping is seen.
        for at in 0..24 {
            for byte in [b'"', b'\\', 0, 0x1f] {
                let mut text = vec![b'a'; 24];
                text[at] = byte;
                assert!(
                    crate::parse::json_special_at(&text).is_some(),
                    "{byte} at {at}"
                );
            }
            let clean: Vec<u8> = (0x20..0x7f)
                .chain(0x80..=0xff)
                .cycle()
                .skip(at)
                .take(200)
                .collect();
            let clean: Vec<u8> = clean
                .into_iter()
                .filter(|&c| c != b'"' && c != b'\\')
                .collect();
            assert!(crate::parse::json_special_at(&clean).is_none());
        }
    }

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
