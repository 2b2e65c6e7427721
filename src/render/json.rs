//! The NDJSON event (docs/SCHEMA.md), written without serde's per-byte escaping of strings
//! that need none; a JSON line whose fields were left in it ([`Event::fields_in_raw`]) has
//! its target and fields copied from the line, as written, instead of from a parsed map.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::event::{Event, Level};
use crate::parse::LineFields;

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
    raw: Cow<'a, str>,
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

/// Where an event's target and fields are written from.
enum Shown<'e> {
    Parsed(Option<&'e str>, &'e Map<String, Value>),
    /// Copied from the JSON line (read into the writer's [`LineFields`]).
    Line(Option<&'e str>, &'e str),
    /// A line the copy cannot read, parsed by the general path here.
    Reparsed(crate::parse::ParsedLine),
}

/// Writes what serializing [`JsonEvent`] writes; `job` is the job ID as shown (resolved).
pub(super) fn write_json_event(
    out: &mut Vec<u8>,
    e: &Event,
    job: Option<&str>,
    around: bool,
    late: bool,
    line_fields: &mut LineFields,
) -> io::Result<()> {
    let raw = e.raw_lossy();
    let shown = if e.fields_in_raw {
        match line_fields.read(&raw) {
            Some(target) => Shown::Line(target, &raw),
            None => Shown::Reparsed(crate::parse::json_line(&raw).unwrap_or_default()),
        }
    } else {
        Shown::Parsed(e.target.as_deref(), &e.fields)
    };
    out.write_all(b"{\"kind\":\"event\",\"ts\":")?;
    write_json_time(out, e.ts)?;
    out.write_all(b",\"ts_aligned\":")?;
    write_json_time(out, e.ts_aligned())?;
    out.write_all(b",\"level\":")?;
    write_json_opt(out, e.level.map(Level::as_str))?;
    out.write_all(b",\"source\":")?;
    write_json_str(out, &e.source)?;
    out.write_all(b",\"role\":")?;
    write_json_opt(out, e.role.map(|r| r.as_str()))?;
    out.write_all(b",\"worker_id\":")?;
    write_json_opt(out, e.worker_id.as_ref().map(|w| &*w.text))?;
    out.write_all(b",\"job_id\":")?;
    write_json_opt(out, job)?;
    out.write_all(b",\"phase\":")?;
    write_json_opt(out, e.phase.as_ref().map(|p| p.as_str()))?;
    out.write_all(b",\"target\":")?;
    write_json_opt(
        out,
        match &shown {
            Shown::Parsed(target, _) | Shown::Line(target, _) => *target,
            Shown::Reparsed(parsed) => parsed.target.as_deref(),
        },
    )?;
    out.write_all(b",\"message\":")?;
    write_json_str(out, &e.message)?;
    out.write_all(b",\"fields\":")?;
    match &shown {
        Shown::Parsed(_, fields) => write_json_fields(out, fields)?,
        Shown::Line(_, line) => write_line_fields(out, line_fields, line)?,
        Shown::Reparsed(parsed) => write_json_fields(out, &parsed.fields)?,
    }
    out.write_all(b",\"raw\":")?;
    write_json_str(out, &raw)?;
    out.write_all(b",\"origin\":")?;
    match &e.origin {
        Some(o) => {
            out.write_all(b"{\"path\":")?;
            write_json_str(out, &o.path)?;
            write!(out, ",\"line\":{}}}", o.line)?;
        }
        None => out.write_all(b"null")?,
    }
    out.write_all(match (e.context, around) {
        (false, false) => b",\"context\":false,\"around\":false",
        (false, true) => b",\"context\":false,\"around\":true",
        (true, false) => b",\"context\":true,\"around\":false",
        (true, true) => b",\"context\":true,\"around\":true",
    })?;
    out.write_all(if late {
        b",\"late\":true}"
    } else {
        b",\"late\":false}"
    })
}

fn write_json_time(out: &mut Vec<u8>, t: Option<crate::time::Timestamp>) -> io::Result<()> {
    // RFC 3339 digits and separators: nothing to escape.
    match t.map(|t| (t, t.rfc3339())) {
        Some((_, Some(text))) => {
            out.write_all(b"\"")?;
            out.write_all(&text)?;
            out.write_all(b"\"")
        }
        Some((t, None)) => write!(out, "\"{t}\""),
        None => out.write_all(b"null"),
    }
}

/// The fields object, its keys and string values through [`write_json_str`].
fn write_json_fields(out: &mut Vec<u8>, fields: &Map<String, Value>) -> io::Result<()> {
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

/// The fields object copied from the line. Its keys and strings hold nothing to escape (the
/// usual shape), so they are written as the line writes them; so are `true`, `false`, `null`
/// and integers serde writes back the same. Other numbers, and objects and arrays, go
/// through serde, as the general path's `Value` does.
fn write_line_fields(out: &mut Vec<u8>, fields: &LineFields, line: &str) -> io::Result<()> {
    out.write_all(b"{")?;
    for (i, (key, value)) in fields.iter(line).enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"\"")?;
        out.write_all(key.as_bytes())?;
        out.write_all(b"\":")?;
        if written_as_is(value) {
            out.write_all(value.as_bytes())?;
        } else {
            let value: Value = serde_json::from_str(value)?;
            serde_json::to_writer(&mut *out, &value)?;
        }
    }
    out.write_all(b"}")
}

/// A value serde writes back as the line wrote it: a string without escapes, a literal, or
/// an integer that is neither `-0` (a float to serde) nor long enough to overflow 64 bits.
fn written_as_is(value: &str) -> bool {
    match value.as_bytes() {
        [b'"' | b't' | b'f' | b'n', ..] => true,
        [b'-', b'0', ..] => false,
        digits => {
            let digits = digits.strip_prefix(b"-").unwrap_or(digits);
            (1..=18).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
        }
    }
}

fn write_json_opt(out: &mut Vec<u8>, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => write_json_str(out, s),
        None => out.write_all(b"null"),
    }
}

/// A JSON string, escaped as serde_json escapes it: the runs between bytes that need it are
/// copied as they are (serde_json looks up every byte in a table; a JSON line written as
/// `raw` has a quote every few bytes, but long runs between them), into room reserved once.
pub(super) fn write_json_str(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut rest = s.as_bytes();
    out.reserve(rest.len() + 2);
    out.push(b'"');
    while let Some(at) = crate::parse::json_special_at(rest) {
        out.extend_from_slice(&rest[..at]);
        let c = rest[at];
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 15)],
            ]),
        }
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::IdRef;

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
                fields_in_raw: false,
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
                write_json_event(
                    &mut ours,
                    &e,
                    job.as_ref().map(|j| &*j.text),
                    false,
                    false,
                    &mut LineFields::default(),
                )
                .unwrap();
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
}
