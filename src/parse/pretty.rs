//! tracing-subscriber's multi-line `pretty` format: a header line, then `at file:line` and
//! `in span with fields` continuation lines that belong to the same event.

use serde_json::{Map, Value};

use super::text::{key_start, level_word, scalar, unescape_debug};
use super::ParsedLine;
use crate::time::Timestamp;

/// Is this (ANSI-free) line the first line of a pretty event? `  <timestamp>  LEVEL ...`
pub fn is_header(line: &str) -> bool {
    line.starts_with("  ") && line.as_bytes().get(2).is_some_and(u8::is_ascii_digit)
}

/// Is this (ANSI-free) line an `at`/`in` continuation of the pretty event above it?
pub fn is_continuation(line: &str) -> bool {
    let trimmed = line.trim_start_matches(' ');
    line.len() - trimmed.len() >= 4 && (trimmed.starts_with("at ") || trimmed.starts_with("in "))
}

pub fn parse_header(line: &str) -> Option<ParsedLine> {
    let (ts, used) = Timestamp::parse_rfc3339_prefix(&line.as_bytes()[2..])?;
    let rest = line[2 + used..].trim_start_matches(' ');
    let (level, after) = level_word(rest)?;
    let body = after.trim_start_matches(' ');
    let (target, body) = match body.find(": ") {
        Some(p) if is_path(&body[..p]) => (Some(body[..p].to_string()), &body[p + 2..]),
        _ => (None, body),
    };
    let (message, pairs) = split_pretty_fields(body);
    let mut fields = Map::new();
    for (k, v) in pairs {
        fields.insert(k, v);
    }
    Some(ParsedLine {
        ts: Some(ts),
        level: Some(level),
        target,
        message: message.to_string(),
        fields: fields.into(),
        fields_in_raw: false,
    })
}

/// Adds what a continuation line says: span fields from `in name with k: v, ...`,
/// source location from `at file:line`. Event fields already present win.
pub fn apply_continuation(line: &str, fields: &mut Map<String, Value>) {
    let trimmed = line.trim_start_matches(' ');
    if let Some(span) = trimmed.strip_prefix("in ") {
        if let Some((_, with)) = span.split_once(" with ") {
            let (_, pairs) = split_pretty_fields(&format!(", {with}"));
            for (k, v) in pairs {
                fields.entry(k).or_insert(v);
            }
        }
    } else if let Some(at) = trimmed.strip_prefix("at ") {
        let location = at.split(" on ").next().unwrap_or(at);
        if let Some((file, line_no)) = location.rsplit_once(':') {
            fields
                .entry("filename")
                .or_insert_with(|| Value::String(file.to_string()));
            if let Ok(n) = line_no.parse::<u64>() {
                fields.entry("line_number").or_insert(Value::from(n));
            }
        }
    }
}

fn is_path(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':' || c == b'-')
}

/// Splits trailing `, key: value` pairs (pretty's field formatting) off a message.
fn split_pretty_fields(s: &str) -> (&str, Vec<(String, Value)>) {
    let mut end = s.trim_end().len();
    let mut pairs = Vec::new();
    let b = s.as_bytes();
    loop {
        let body = &s[..end];
        let (value_start, value) = if body.ends_with('"') {
            let Some(open) = quoted_start(body) else {
                break;
            };
            (
                open,
                Value::String(unescape_debug(&body[open + 1..end - 1]).into_owned()),
            )
        } else {
            let start = body.rfind(": ").map_or(0, |p| p + 2);
            let v = &body[start..];
            if v.contains(", ") {
                break;
            }
            (start, scalar(v))
        };
        // Compared as bytes: the two bytes before may be the end of a multi-byte character.
        if value_start < 2 || &b[value_start - 2..value_start] != b": " {
            break;
        }
        let key_end = value_start - 2;
        let key_start = key_start(b, key_end);
        if key_start == key_end {
            break;
        }
        if key_start >= 2 && &b[key_start - 2..key_start] == b", " {
            pairs.push((s[key_start..key_end].to_string(), value));
            end = key_start - 2;
        } else if key_start == 0 {
            pairs.push((s[key_start..key_end].to_string(), value));
            end = 0;
            break;
        } else {
            break;
        }
    }
    pairs.reverse();
    (&s[..end], pairs)
}

fn quoted_start(body: &str) -> Option<usize> {
    let b = body.as_bytes();
    let mut i = b.len() - 1;
    while i > 0 {
        i -= 1;
        if b[i] == b'"' {
            let mut slashes = 0;
            while i > slashes && b[i - 1 - slashes] == b'\\' {
                slashes += 1;
            }
            if slashes % 2 == 0 {
                return Some(i);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Level;

    #[test]
    fn header_and_continuations() {
        let h = "  2026-11-21T10:00:00.000001Z  INFO zisk_worker::prove: Computing Prove for JobId(1a2b3c4d…), phase: \"Prove\", n: 3";
        assert!(is_header(h));
        let mut p = parse_header(h).unwrap();
        assert_eq!(p.level, Some(Level::Info));
        assert_eq!(p.target.as_deref(), Some("zisk_worker::prove"));
        assert_eq!(p.message, "Computing Prove for JobId(1a2b3c4d…)");
        assert_eq!(p.fields["phase"], "Prove");
        assert_eq!(p.fields["n"], 3);
        assert!(is_continuation(
            "    at src/prove.rs:42 on tokio-runtime-worker"
        ));
        apply_continuation(
            "    at src/prove.rs:42 on tokio-runtime-worker",
            &mut p.fields,
        );
        apply_continuation(
            "    in zisk_worker::job with job_id: \"abc\", phase: \"Aggregate\"",
            &mut p.fields,
        );
        assert_eq!(p.fields["job_id"], "abc");
        assert_eq!(
            p.fields["phase"], "Prove",
            "event field wins over span field"
        );
        assert_eq!(p.fields["line_number"], 42);
        assert!(!is_continuation("   Worker ID abc"));
    }

    /// Issue 20, defect 2: a multi-byte character just before `key: value` (the byte two
    /// before the key is inside `→`).
    #[test]
    fn non_ascii_before_a_field_is_not_cut_inside_a_character() {
        let h = "  2026-11-21T10:00:01.000000Z  INFO zisk_worker::worker: Phase → Prove: done";
        let p = parse_header(h).unwrap();
        assert_eq!(p.message, "Phase → Prove: done");
        for tail in [
            "é: x",
            "→k: v",
            "a, → k: v",
            "«k»: \"v\"",
            "→: 1",
            "ü, k: 1",
        ] {
            let line = format!("  2026-11-21T10:00:01Z  INFO t: m {tail}");
            assert!(parse_header(&line).is_some(), "{line}");
        }
    }
}
