//! The one-line text formats: tracing-subscriber's `full` and `compact`, and the format the real
//! ZisK coordinator and worker write today (`<ts> [rank=N] <target> <LEVEL>: <message>`).

use std::borrow::Cow;

use serde_json::{Map, Value};
use smallvec::SmallVec;

use super::ParsedLine;
use crate::event::Level;
use crate::time::Timestamp;

/// A field's value as the line shows it: turned into a JSON value only when the event is
/// built, so that reading one field does not build them all.
#[derive(Clone, Copy, Debug)]
pub enum FieldText<'a> {
    /// `key="..."`: a string in Rust's `{:?}` form (escapes undone when read).
    Quoted(&'a str),
    /// `key=token`: a number, a boolean, or else a string.
    Bare(&'a str),
    /// The ZisK format's `[rank=N]`: a number, or else a string.
    Rank(&'a str),
}

impl<'a> FieldText<'a> {
    pub fn to_value(self) -> Value {
        match self {
            FieldText::Quoted(s) => Value::String(unescape_debug(s).into_owned()),
            FieldText::Bare(s) => scalar(s),
            FieldText::Rank(s) => s
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(s.to_string())),
        }
    }

    /// The value when it is a string (what `Value::as_str` gives of [`FieldText::to_value`]).
    pub fn as_str(self) -> Option<Cow<'a, str>> {
        match self {
            FieldText::Quoted(s) => Some(unescape_debug(s)),
            FieldText::Bare(s) => typed_scalar(s).is_none().then_some(Cow::Borrowed(s)),
            FieldText::Rank(s) => s.parse::<i64>().is_err().then_some(Cow::Borrowed(s)),
        }
    }
}

/// What a one-line text event says, borrowed from its line.
#[derive(Debug)]
pub struct TextView<'a> {
    /// None for a line printed without its time (`LEVEL target: message`).
    pub ts: Option<Timestamp>,
    pub level: Level,
    pub target: Option<&'a str>,
    pub message: &'a str,
    /// Span fields (outermost span first), then the event's own: a later key wins.
    pub fields: FieldTexts<'a>,
}

/// A line's fields, on the stack for the usual few: the scan reads millions of lines, and an
/// allocation per line was a tenth of its time.
pub type FieldTexts<'a> = SmallVec<[(&'a str, FieldText<'a>); 8]>;

impl TextView<'_> {
    pub fn into_parsed(self) -> ParsedLine {
        let mut fields = Map::new();
        for (k, v) in self.fields {
            fields.insert(k.to_string(), v.to_value());
        }
        ParsedLine {
            ts: self.ts,
            level: Some(self.level),
            target: self.target.map(str::to_string),
            message: self.message.to_string(),
            fields: fields.into(),
            fields_in_raw: false,
        }
    }

    /// A field's value when it is a string (the last of that key).
    pub fn str_field(&self, key: &str) -> Option<Cow<'_, str>> {
        let (_, value) = self.fields.iter().rev().find(|(k, _)| *k == key)?;
        value.as_str()
    }
}

/// Parses a line (ANSI already removed) that starts with an RFC 3339 timestamp.
#[cfg(test)]
pub fn parse(line: &str) -> Option<ParsedLine> {
    view(line).map(TextView::into_parsed)
}

/// Reads a line (ANSI already removed) that starts with an RFC 3339 timestamp.
pub fn view(line: &str) -> Option<TextView<'_>> {
    let (ts, used) = Timestamp::parse_rfc3339_prefix(line.as_bytes())?;
    body(Some(ts), line[used..].trim_start_matches(' '))
}

/// Reads a line printed without its time, as journald's `-o cat` or a subscriber without a
/// timer shows it: `LEVEL: message`, `[rank=N] LEVEL: …`, `target LEVEL: …` (ZisK) or
/// `LEVEL target: message` (tracing's `full`/`compact`, which must then name a target).
pub fn untimed_view(line: &str) -> Option<TextView<'_>> {
    let view = body(None, line)?;
    let fmt_without_target =
        view.target.is_none() && level_word(line).is_some_and(|(_, after)| !after.starts_with(':'));
    (!fmt_without_target).then_some(view)
}

/// What follows the time (or starts a line without one).
fn body(ts: Option<Timestamp>, rest: &str) -> Option<TextView<'_>> {
    // full/compact: the level comes right after the time and is not followed by ':'.
    if let Some((level, after)) = level_word(rest) {
        if let Some(msg) = after.strip_prefix(':') {
            return Some(zisk_line(ts, level, None, msg, None));
        }
        if after.is_empty() || after.starts_with(' ') {
            return Some(fmt_line(ts, level, after.trim_start_matches(' ')));
        }
    }
    // ZisK: optional `[rank=N] `, optional `target `, then `LEVEL: `.
    let mut rest = rest;
    let mut rank = None;
    if let Some(r) = rest.strip_prefix("[rank=") {
        let end = r.find("] ")?;
        rank = Some(&r[..end]);
        rest = &r[end + 2..];
    }
    if let Some((level, after)) = level_word(rest) {
        let msg = after.strip_prefix(':')?;
        return Some(zisk_line(ts, level, None, msg, rank));
    }
    let space = rest.find(' ')?;
    let target = &rest[..space];
    if !is_target(target) {
        return None;
    }
    let (level, after) = level_word(&rest[space + 1..])?;
    let msg = after.strip_prefix(':')?;
    Some(zisk_line(ts, level, Some(target), msg, rank))
}

fn zisk_line<'a>(
    ts: Option<Timestamp>,
    level: Level,
    target: Option<&'a str>,
    msg: &'a str,
    rank: Option<&'a str>,
) -> TextView<'a> {
    TextView {
        ts,
        level,
        target,
        message: msg.strip_prefix(' ').unwrap_or(msg).trim_end(),
        fields: rank
            .map(|r| ("rank", FieldText::Rank(r)))
            .into_iter()
            .collect(),
    }
}

/// The body of a `full` or `compact` line after the level:
/// `[span{a=1}:span2{b=2}: | span:span2: ]target: message key=value ...`.
fn fmt_line(ts: Option<Timestamp>, level: Level, body: &str) -> TextView<'_> {
    let mut fields = FieldTexts::new();
    let (spans, target, rest) = split_prefix(body);
    for span in spans {
        if let Some(open) = memchr::memchr(b'{', span.as_bytes()) {
            let inner = span[open + 1..]
                .strip_suffix('}')
                .unwrap_or(&span[open + 1..]);
            split_trailing_fields(inner, &mut fields);
        }
    }
    let message = split_trailing_fields(rest, &mut fields);
    TextView {
        ts,
        level,
        target,
        message: message.trim_end(),
        fields,
    }
}

/// Splits the `spans: target: ` prefix off a full/compact body.
fn split_prefix(body: &str) -> (SpanItems<'_>, Option<&str>, &str) {
    let Some((seg1, after1)) = prefix_segment(body) else {
        return (SpanItems::new(), None, body);
    };
    if let Some((seg2, after2)) = prefix_segment(after1) {
        let seg1_is_spans = seg1.contains('{')
            || has_single_colon(seg1)
            || seg2.contains("::")
            || (seg2.starts_with("zisk") && !seg1.starts_with("zisk"));
        if seg1_is_spans {
            return (span_items(seg1), Some(seg2), after2);
        }
    }
    if seg1.contains('{') {
        // Spans but no target (with_target(false)).
        return (span_items(seg1), None, after1);
    }
    (SpanItems::new(), Some(seg1), after1)
}

/// One `xxx: ` segment where xxx is a module path or a span chain (no spaces outside braces).
/// Each state (a name, span fields in braces, a quoted value) has its own loop, so that a
/// byte costs one predictable test in the usual run of a state.
fn prefix_segment(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        // The bytes of a name run, looked up in a table: one load and one test each.
        while b.get(i).is_some_and(|&c| NAME_BYTES[c as usize]) {
            i += 1;
        }
        match *b.get(i)? {
            b'{' => i = after_braces(b, i)?,
            b':' if b.get(i + 1) == Some(&b' ') => return (i > 0).then(|| (&s[..i], &s[i + 2..])),
            b':' => i += 1,
            _ => return None,
        }
    }
}

/// The bytes of a module path or span name: ASCII letters and digits, `_`, `-` and `.`.
static NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
        c += 1;
    }
    table
};

/// Where the braces opened at `open` close (after the `}`); quoted values may hold braces.
fn after_braces(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => {
                i = after_quoted(b, i + 1)?;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Where the quoted value whose text starts at `start` ends (after its closing `"`).
fn after_quoted(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn has_single_colon(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len())
        .any(|i| b[i] == b':' && b.get(i + 1) != Some(&b':') && (i == 0 || b[i - 1] != b':'))
}

type SpanItems<'a> = SmallVec<[&'a str; 4]>;

/// `a{x=1}:b{y=2}` → [`a{x=1}`, `b{y=2}`]; single colons separate, `::` stays inside names.
fn span_items(seg: &str) -> SpanItems<'_> {
    let b = seg.as_bytes();
    let mut items = SpanItems::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'{' => {
                // To where the braces close (they nest), or the end.
                let mut depth = 1;
                i += 1;
                while depth > 0 {
                    let Some(k) = memchr::memchr2(b'{', b'}', &b[i..]) else {
                        i = b.len();
                        break;
                    };
                    depth = if b[i + k] == b'{' {
                        depth + 1
                    } else {
                        depth - 1
                    };
                    i += k + 1;
                }
            }
            b':' if b.get(i + 1) == Some(&b':') => i += 2,
            b':' => {
                items.push(&seg[start..i]);
                start = i + 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    if start < seg.len() {
        items.push(&seg[start..]);
    }
    items
}

fn is_target(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':' || c == b'-')
}

/// Reads a tracing level word (`INFO`, ` WARN`, `ERROR`...) at the start of `s`.
pub fn level_word(s: &str) -> Option<(Level, &str)> {
    for (word, level) in [
        ("INFO", Level::Info),
        ("WARN", Level::Warn),
        ("ERROR", Level::Error),
        ("DEBUG", Level::Debug),
        ("TRACE", Level::Trace),
    ] {
        if let Some(rest) = s.strip_prefix(word) {
            return Some((level, rest));
        }
    }
    None
}

/// Splits trailing ` key=value` pairs (tracing's default field formatting) off a message,
/// adding them to `fields` in their order; returns the message. Scans from the end so that
/// `=` inside the message itself is left alone.
pub fn split_trailing_fields<'a>(s: &'a str, fields: &mut FieldTexts<'a>) -> &'a str {
    let first = fields.len();
    let mut end = s.trim_end().len();
    let b = s.as_bytes();
    while let Some((value_start, value)) = value_before(s, end) {
        if value_start == 0 || b[value_start - 1] != b'=' {
            break;
        }
        let eq = value_start - 1;
        let key_start = key_start(b, eq);
        if key_start == eq || (key_start > 0 && b[key_start - 1] != b' ') {
            break;
        }
        fields.push((&s[key_start..eq], value));
        end = key_start.saturating_sub(1);
        if key_start == 0 {
            end = 0;
            break;
        }
    }
    fields[first..].reverse();
    &s[..end]
}

/// Where the field key that ends at `end` starts (keys are identifiers, dots allowed).
pub fn key_start(b: &[u8], end: usize) -> usize {
    let mut start = end;
    while start > 0
        && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_' || b[start - 1] == b'.')
    {
        start -= 1;
    }
    start
}

/// The field value that ends at `end`: a Debug-quoted string or a bare token.
fn value_before(s: &str, end: usize) -> Option<(usize, FieldText<'_>)> {
    let b = s.as_bytes();
    if end == 0 {
        return None;
    }
    if b[end - 1] == b'"' && end >= 2 {
        let mut i = end - 1;
        while let Some(quote) = memchr::memrchr(b'"', &b[..i]) {
            i = quote;
            let mut slashes = 0;
            while i > slashes && b[i - 1 - slashes] == b'\\' {
                slashes += 1;
            }
            if slashes % 2 == 0 {
                return Some((i, FieldText::Quoted(&s[i + 1..end - 1])));
            }
        }
        return None;
    }
    // memchr's searches: the standard library's byte search for a `char` is slower on the
    // short runs of every line.
    let token_start = memchr::memrchr(b' ', &b[..end]).map_or(0, |p| p + 1);
    // A bare value starts after the `=` that follows its key.
    let eq = memchr::memchr(b'=', &b[token_start..end])? + token_start;
    Some((eq + 1, FieldText::Bare(&s[eq + 1..end])))
}

/// A bare field value as JSON: numbers and booleans typed, the rest a string.
pub fn scalar(v: &str) -> Value {
    typed_scalar(v).unwrap_or_else(|| Value::String(v.to_string()))
}

/// A bare field value that is a number or a boolean.
fn typed_scalar(v: &str) -> Option<Value> {
    if let Ok(i) = v.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(f) = v.parse::<f64>() {
        if f.is_finite() && v.contains('.') {
            return Some(Value::from(f));
        }
    }
    match v {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        _ => None,
    }
}

/// Undoes Rust's `{:?}` string escaping.
pub fn unescape_debug(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('u') => {
                let hex: String = chars
                    .by_ref()
                    .skip_while(|&c| c == '{')
                    .take_while(|&c| c != '}')
                    .collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_with_spans_and_fields() {
        let p = parse(r#"2026-11-21T10:00:00.000001Z  INFO job{job_id="ab cd" phase=Prove}:step{n=2}: zisk_worker::prove: Computing Prove for JobId(1a2b3c4d…) took=1.5 ok=true"#).unwrap();
        assert_eq!(p.level, Some(Level::Info));
        assert_eq!(p.target.as_deref(), Some("zisk_worker::prove"));
        assert_eq!(p.message, "Computing Prove for JobId(1a2b3c4d…)");
        assert_eq!(p.fields["job_id"], "ab cd");
        assert_eq!(p.fields["phase"], "Prove");
        assert_eq!(p.fields["n"], 2);
        assert_eq!(p.fields["took"], 1.5);
        assert_eq!(p.fields["ok"], true);
    }

    #[test]
    fn span_values_may_quote_colons_braces_and_escaped_quotes() {
        let p = parse(r#"2026-11-21T10:00:00.000001Z  INFO job{note="say \"hi\": {now}" n=1}:step{k=v}: zisk_worker::prove: done x=1"#).unwrap();
        assert_eq!(p.target.as_deref(), Some("zisk_worker::prove"));
        assert_eq!(p.message, "done");
        assert_eq!(p.fields["note"], r#"say "hi": {now}"#);
        assert_eq!(p.fields["k"], "v");
        // Braces or a quote left open: no span prefix, the body is the message.
        for open in [
            r#"job{note="x}: zisk_worker: done"#,
            "job{n=1: zisk_worker: done",
        ] {
            let p = parse(&format!("2026-11-21T10:00:00.000001Z  INFO {open}")).unwrap();
            assert_eq!((p.target, p.message.as_str()), (None, open));
        }
    }

    #[test]
    fn compact_with_span_names() {
        let p = parse(
            "2026-11-21T10:00:00.000001Z  WARN job: zisk_coordinator: slow worker a=1 job_id=xyz",
        )
        .unwrap();
        assert_eq!(p.level, Some(Level::Warn));
        assert_eq!(p.target.as_deref(), Some("zisk_coordinator"));
        assert_eq!(p.message, "slow worker");
        assert_eq!(p.fields["job_id"], "xyz");
    }

    #[test]
    fn message_with_colon_is_not_a_target() {
        let p = parse("2026-11-21T10:00:00.000001Z ERROR zisk_worker: Prove computation failed for JobId(1a2b3c4d…): out of memory").unwrap();
        assert_eq!(p.target.as_deref(), Some("zisk_worker"));
        assert_eq!(
            p.message,
            "Prove computation failed for JobId(1a2b3c4d…): out of memory"
        );
    }

    #[test]
    fn zisk_shapes() {
        let p =
            parse("2026-11-21T10:00:00.123456Z INFO: [Job] Started JobId(1a2b3c4d…) successfully")
                .unwrap();
        assert_eq!(p.message, "[Job] Started JobId(1a2b3c4d…) successfully");
        assert_eq!(p.target, None);
        let r =
            parse("2026-11-21T10:00:00.123456Z [rank=1] zisk_worker::prover DEBUG: heartbeat a=b")
                .unwrap();
        assert_eq!(r.level, Some(Level::Debug));
        assert_eq!(r.target.as_deref(), Some("zisk_worker::prover"));
        assert_eq!(r.message, "heartbeat a=b");
        assert_eq!(r.fields["rank"], 1);
        let w = parse("2026-11-21T10:00:00.123456Z WARN: [Phase2] Worker x: slow").unwrap();
        assert_eq!(w.level, Some(Level::Warn));
    }

    #[test]
    fn lines_without_their_time_keep_their_level() {
        let p = untimed_view("WARN: [Monitor] Worker WorkerId(9f8e7d6c…) missed heartbeats")
            .unwrap()
            .into_parsed();
        assert_eq!((p.ts, p.level), (None, Some(Level::Warn)));
        let r = untimed_view("[rank=1] zisk_worker DEBUG: hello").unwrap();
        assert_eq!((r.level, r.target), (Level::Debug, Some("zisk_worker")));
        let f = untimed_view("ERROR zisk_worker::node: boom").unwrap();
        assert_eq!((f.level, f.message), (Level::Error, "boom"));
        for not in [
            "Caused by:",
            "ZisK Worker v0.18.0",
            "INFO without a target",
            "thread 'main' panicked",
        ] {
            assert!(untimed_view(not).is_none(), "{not}");
        }
    }

    #[test]
    fn not_a_log_line() {
        assert!(parse("2026-11-21T10:00:00.123456Z something else entirely").is_none());
        assert!(parse("   Worker ID 1a2b").is_none());
    }
}
