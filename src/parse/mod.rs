//! Turns the physical lines of one stream into events: `stream` is the parser (every line's
//! format detected, since a stream may switch after a restart; pretty continuation lines joined;
//! the worker ID a start-up banner announces kept; untimed lines ordered after the event before
//! them), `scan` the vectorised stateless scan of whole blocks ahead of it, `view` what one line
//! says, and `json`, `text`, `pretty` the formats.

#[cfg(test)]
pub(crate) mod equivalence_tests;
mod json;
mod lines;
mod phases;
mod prefilter;
mod pretty;
mod scan;
mod stream;
pub mod templates;
mod text;
mod view;

pub use json::{json_special_at, LineFields};
pub use lines::{count_newlines, find_odd_line};
pub use prefilter::Prefilter;
pub use scan::{scan_block, ScannedBlock};
pub use stream::StreamParser;
pub use view::strip_ansi;

use serde_json::{Map, Value};

use crate::event::{Fields, IdRef, Level};
use crate::time::Timestamp;
use view::{parse_single_line, strip_line_ending};

/// What one line (or one pretty event) says, before IDs and phase are derived.
#[derive(Debug, Default)]
pub struct ParsedLine {
    pub ts: Option<Timestamp>,
    pub level: Option<Level>,
    pub target: Option<String>,
    pub message: String,
    pub fields: Fields,
    /// `fields` and `target` were left in the line (see [`Keep::Json`]).
    pub fields_in_raw: bool,
}

/// What a backend knows about a line besides its text (journald's envelope, Docker's time).
#[derive(Clone, Debug, Default)]
pub struct Envelope {
    pub ts: Option<Timestamp>,
    pub level: Option<Level>,
    /// Backend fields (host, unit, PID...), added under the event's fields.
    pub fields: Option<Map<String, Value>>,
}

/// What the consumer of a stream's events reads of them. The raw, compact and pretty outputs
/// read only the line, its time, level, IDs and phase, and some read its message: the
/// lines the scan parses ahead are then read for just that, without building their fields
/// and target, and no event carries its origin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Keep {
    /// Everything (the job trail).
    #[default]
    Everything,
    /// Everything, for the JSON output: a JSON line of the usual shape (see [`json::quick`])
    /// keeps its fields and target in the line ([`crate::event::Event::fields_in_raw`]),
    /// copied from it when written, instead of being parsed into a map.
    Json,
    Shown {
        /// The message is read.
        message: bool,
    },
    /// Everything but the lines themselves, for the passes that tally what lines say and show
    /// none (the jobs pass over a whole history): a line parsed ahead keeps no copy of its
    /// bytes, and no event carries its origin.
    Facts,
}

impl Keep {
    /// The consumer shows where each line was read (the JSON output, the job trail).
    pub fn origin(self) -> bool {
        matches!(self, Keep::Everything | Keep::Json)
    }

    /// The consumer shows a line's bytes (`Event::raw`).
    pub fn bytes(self) -> bool {
        self != Keep::Facts
    }
}

/// Lines longer than this are cut (and reported) so that one runaway line cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Problems with the data itself, counted per stream and reported once at its end.
#[derive(Debug, Default, Clone)]
pub struct DataProblems {
    pub invalid_utf8_lines: u64,
    pub first_invalid_utf8_line: Option<u64>,
    pub cut_lines: u64,
    pub first_cut_line: Option<u64>,
    pub cut_events: u64,
    pub first_cut_event: Option<u64>,
}

impl DataProblems {
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.invalid_utf8_lines > 0 {
            out.push(format!(
                "{} line(s) with invalid UTF-8 (first at line {}), shown with U+FFFD",
                self.invalid_utf8_lines,
                self.first_invalid_utf8_line.unwrap_or(0)
            ));
        }
        if self.cut_lines > 0 {
            out.push(format!(
                "{} line(s) longer than {} MiB cut short (first at line {})",
                self.cut_lines,
                MAX_LINE_BYTES >> 20,
                self.first_cut_line.unwrap_or(0)
            ));
        }
        if self.cut_events > 0 {
            out.push(format!(
                "{} multi-line event(s) longer than {} MiB cut short (first at line {})",
                self.cut_events,
                MAX_LINE_BYTES >> 20,
                self.first_cut_event.unwrap_or(0)
            ));
        }
        out
    }
}

/// A JSON line's event as the general path reads it (`None` when it is not one).
pub fn json_line(line: &str) -> Option<ParsedLine> {
    json::view(line).map(json::JsonView::into_parsed)
}

/// Reads into the event the fields and target a [`Keep::Json`] read left in its line: it is
/// then the event [`Keep::Everything`] makes of the line.
pub fn fill_fields(e: &mut crate::event::Event) {
    if !e.fields_in_raw {
        return;
    }
    let parsed = json_line(&e.raw_lossy()).unwrap_or_default();
    e.fields = parsed.fields;
    e.target = parsed.target;
    e.fields_in_raw = false;
}

/// The worker ID a start-up banner line names.
/// Releases print it as `WorkerId(xxxxxxxx…)` (truncated) or `WorkerId(<id>)` (8 characters
/// or fewer, or v0.12's whole ID); DOMAIN.md's banner shows the bare ID.
fn banner_id(message: &str) -> Option<IdRef> {
    let id = message.trim_start().strip_prefix("Worker ID")?.trim();
    if id.is_empty() || id.contains(char::is_whitespace) {
        return None;
    }
    match id.strip_prefix("WorkerId(") {
        Some(inner) => crate::derive::wrapped(inner),
        None => Some(IdRef::full(id)),
    }
}

/// The worker a start-up banner's `Worker ID` line names (`None` for other lines).
pub fn banner_line_id(line: &[u8]) -> Option<IdRef> {
    banner_id(&strip_ansi(&String::from_utf8_lossy(strip_line_ending(
        line,
    ))))
}

/// The time a line carries itself, in any format (for finding a time in a file by bisection).
pub fn line_time(line: &[u8]) -> Option<Timestamp> {
    let text = String::from_utf8_lossy(strip_line_ending(line));
    let clean = strip_ansi(&text);
    if pretty::is_header(&clean) {
        return pretty::parse_header(&clean).and_then(|p| p.ts);
    }
    parse_single_line(&clean).and_then(|p| p.ts)
}
