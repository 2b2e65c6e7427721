//! What one line says, borrowed from it (JSON or text), and the line cleaning every format
//! shares: line endings and ANSI escapes.

use std::borrow::Cow;

use super::{json, text, ParsedLine};
use crate::derive::StrFields;
use crate::event::Level;
use crate::time::Timestamp;

pub(super) fn parse_single_line(clean: &str) -> Option<ParsedLine> {
    LineView::of(clean).map(LineView::into_parsed)
}

/// What one line says, borrowed from it: built into a [`ParsedLine`], or read only for the
/// parts a lean consumer needs (see [`super::Keep`]).
pub(super) enum LineView<'a> {
    Json(json::JsonView<'a>),
    Text(text::TextView<'a>),
}

impl<'a> LineView<'a> {
    pub(super) fn of(clean: &'a str) -> Option<LineView<'a>> {
        match clean.as_bytes().first()? {
            b'{' => json::view(clean).map(LineView::Json),
            b'0'..=b'9' => text::view(clean).map(LineView::Text),
            b'A'..=b'Z' | b'a'..=b'z' | b'[' => text::untimed_view(clean).map(LineView::Text),
            _ => None,
        }
    }

    pub(super) fn into_parsed(self) -> ParsedLine {
        match self {
            LineView::Json(v) => v.into_parsed(),
            LineView::Text(v) => v.into_parsed(),
        }
    }

    pub(super) fn ts(&self) -> Option<Timestamp> {
        match self {
            LineView::Json(v) => v.ts,
            LineView::Text(v) => v.ts,
        }
    }

    pub(super) fn level(&self) -> Option<Level> {
        match self {
            LineView::Json(v) => v.level,
            LineView::Text(v) => Some(v.level),
        }
    }

    pub(super) fn message(&self) -> Cow<'_, str> {
        match self {
            LineView::Json(v) => v.message(),
            LineView::Text(v) => Cow::Borrowed(v.message),
        }
    }
}

impl StrFields for json::QuickLine<'_> {
    fn str_field(&self, key: &str) -> Option<Cow<'_, str>> {
        json::QuickLine::str_field(self, key).map(Cow::Borrowed)
    }
}

impl StrFields for LineView<'_> {
    fn str_field(&self, key: &str) -> Option<Cow<'_, str>> {
        match self {
            LineView::Json(v) => v.str_field(key).map(Cow::Borrowed),
            LineView::Text(v) => v.str_field(key),
        }
    }
}

pub(super) fn strip_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Removes ANSI escape sequences (CSI, OSC and two-byte escapes).
pub fn strip_ansi(s: &str) -> Cow<'_, str> {
    if !s.contains('\x1b') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' {
                        break;
                    }
                    if c == '\x1b' {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Cow::Owned(out)
}
