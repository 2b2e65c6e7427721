//! The fast path: the shape tracing usually writes (no escapes, no repeated keys, plain numbers,
//! shallow nesting) read without serde for the shown outputs, and the vectorised search for a
//! byte that ends or escapes a JSON string. Anything else is left to the general path.

use std::ops::Range;

use super::{ENVELOPE_KEYS, LEVEL_KEYS, MESSAGE_KEYS, TIME_KEYS};
use crate::event::Level;
use crate::time::Timestamp;

/// Where the first byte that ends or escapes a JSON string's text is (`"`, `\\`, or a
/// control character, which JSON does not allow unescaped). Sixteen bytes at a time with
/// SSE2 (part of every x86-64), else eight at a time in a machine word.
pub fn json_special_at(b: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut at = 0;
        while at + 16 <= b.len() {
            // SAFETY: the 16 bytes read are within `b`.
            let found = unsafe { json_special_mask_sse2(b.as_ptr().add(at)) };
            if found != 0 {
                return Some(at + found.trailing_zeros() as usize);
            }
            at += 16;
        }
        json_special_at_swar(&b[at..]).map(|i| at + i)
    }
    #[cfg(not(target_arch = "x86_64"))]
    json_special_at_swar(b)
}

/// A bit per byte of the 16 at `p` that ends or escapes a JSON string.
#[cfg(target_arch = "x86_64")]
#[inline]
unsafe fn json_special_mask_sse2(p: *const u8) -> u32 {
    use std::arch::x86_64::*;
    let x = _mm_loadu_si128(p.cast());
    // A byte below 0x20 is its own minimum with 0x1f.
    let control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
    let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
    let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
    _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) as u32
}

/// [`json_special_at`] eight bytes at a time: such a byte shows in the high bit of its lane,
/// and the lowest lane shown is always a real one (a lane above one can show only by a
/// borrow from it).
pub(super) fn json_special_at_swar(b: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let zero_lane = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut chunks = b.chunks_exact(8);
    for (i, chunk) in (&mut chunks).enumerate() {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let found =
            control | zero_lane(x ^ (ONES * b'"' as u64)) | zero_lane(x ^ (ONES * b'\\' as u64));
        if found != 0 {
            return Some(i * 8 + found.trailing_zeros() as usize / 8);
        }
    }
    let tail = b.len() - chunks.remainder().len();
    (chunks.remainder().iter())
        .position(|&c| c < 0x20 || c == b'"' || c == b'\\')
        .map(|p| tail + p)
}

/// What the shown outputs read of a JSON line (see [`crate::parse::Keep`]), read by a scanner for
/// the shape tracing writes, without serde: no escapes, no repeated keys, plain numbers,
/// shallow nesting. `None` for a line with anything else, which serde then reads.
pub enum Quick<'a> {
    /// Valid JSON, but no time or level: not an event.
    NotEvent,
    Event(QuickLine<'a>),
}

/// The time, level and message of a JSON event, and the values that derive reads.
pub struct QuickLine<'a> {
    pub ts: Option<Timestamp>,
    pub level: Option<Level>,
    pub message: &'a str,
    /// For `job_id`, `worker_id` and `phase`: the place that wins a clash (flattened
    /// members, then `fields`, `span`, `spans`, and a later span over an earlier one), and
    /// its value.
    derived: DerivedValues<'a>,
}

#[derive(Clone, Copy)]
enum QuickValue<'a> {
    Str(&'a str),
    Other,
}

pub(super) const DERIVED_KEYS: [&str; 3] = ["job_id", "worker_id", "phase"];
type DerivedValues<'a> = [Option<(usize, QuickValue<'a>)>; 3];
const FLAT: usize = 0;
const FIELDS: usize = 1;
const SPAN: usize = 2;
const SPANS: usize = 3;
/// Deeper values are left to serde (whose own limit is 128).
const QUICK_DEPTH: usize = 32;

impl<'a> QuickLine<'a> {
    /// A field's value when it is a string (the one that wins on a clash).
    pub fn str_field(&self, key: &str) -> Option<&'a str> {
        let i = DERIVED_KEYS.iter().position(|k| *k == key)?;
        self.derived[i]?.1.str()
    }
}

/// Reads a JSON line as [`Quick`] says, or gives `None` for serde to read it.
pub fn quick(line: &str) -> Option<Quick<'_>> {
    let mut r = QuickReader {
        text: line,
        at: 0,
        depth: 0,
    };
    let mut headers: [Option<&str>; 8] = [None; 8];
    let header_keys = TIME_KEYS.iter().chain(&LEVEL_KEYS).chain(&["target"]);
    let mut derived = [None; 3];
    let mut field_message = None;
    let mut flat_message = None;
    r.object(|r, key| {
        if let Some(h) = header_keys.clone().position(|k| *k == key) {
            headers[h] = r.value()?.str();
            return Some(());
        }
        match key {
            "fields" if r.peek() == Some(b'{') => r.object(|r, key| {
                if MESSAGE_KEYS.contains(&key) && field_message.is_none() {
                    field_message = Some(r.value()?.str()?);
                } else {
                    r.keep(&mut derived, FIELDS, key)?;
                }
                Some(())
            }),
            "span" if r.peek() == Some(b'{') => r.span(&mut derived, SPAN),
            "spans" if r.peek() == Some(b'[') => r.array(|r| {
                if r.peek() == Some(b'{') {
                    r.span(&mut derived, SPANS)
                } else {
                    r.value().map(drop)
                }
            }),
            _ if MESSAGE_KEYS.contains(&key) => {
                // With two, which is the message hangs on the order serde leaves them in.
                if flat_message.is_some() {
                    return None;
                }
                flat_message = Some(r.value()?.str()?);
                Some(())
            }
            _ if ENVELOPE_KEYS.contains(&key) => r.value().map(drop),
            _ => r.keep(&mut derived, FLAT, key),
        }
    })?;
    r.ws();
    if r.at != line.len() {
        return None;
    }
    // The first key present, in the order of the list, then read (as the serde path does).
    let first = |range: std::ops::Range<usize>| headers[range].iter().flatten().next().copied();
    let ts = first(0..TIME_KEYS.len())
        .and_then(|s| Timestamp::parse_rfc3339_prefix(s.as_bytes()).map(|(t, _)| t));
    let levels = TIME_KEYS.len()..TIME_KEYS.len() + LEVEL_KEYS.len();
    let level = first(levels).and_then(Level::parse);
    if ts.is_none() && level.is_none() {
        return Some(Quick::NotEvent);
    }
    Some(Quick::Event(QuickLine {
        ts,
        level,
        message: field_message.or(flat_message).unwrap_or(""),
        derived,
    }))
}

/// Where a JSON line of the usual shape keeps its target and fields, for the JSON output to
/// copy them from the line: the fields in the order the general path gives them (span fields
/// of `spans`, then `span`, then the event's `fields` without its message, then the flattened
/// members), a key seen again keeping its first place and taking its later value.
#[derive(Default)]
pub struct LineFields {
    /// Key and value (as written) as byte ranges of the line.
    entries: Vec<(Range<usize>, Range<usize>)>,
}

/// A line with more fields is left to the general path: each key is looked for among those
/// before it.
const MAX_LINE_FIELDS: usize = 64;

impl LineFields {
    /// Reads `line`'s target (when a string) and fields; `None` when the line is not of the
    /// shape [`quick`] reads (or has more than [`MAX_LINE_FIELDS`] fields): the general path
    /// reads it then.
    pub fn read<'a>(&mut self, line: &'a str) -> Option<Option<&'a str>> {
        self.entries.clear();
        let mut r = QuickReader {
            text: line,
            at: 0,
            depth: 0,
        };
        // The top-level members in document order (an object of the usual shape has at most 16).
        let mut top: [(&str, Range<usize>); 16] = Default::default();
        let mut members = 0;
        r.object(|r, key| {
            let value = r.value_range()?;
            top[members] = (key, value);
            members += 1;
            Some(())
        })?;
        r.ws();
        if r.at != line.len() {
            return None;
        }
        let top = &mut top[..members];
        let value_of = |top: &[(&str, Range<usize>)], key: &str| {
            top.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
        };
        let opens = |v: &Range<usize>, b: u8| line.as_bytes()[v.start] == b;
        let target = value_of(top, "target")
            .filter(|v| opens(v, b'"'))
            .map(|v| &line[v.start + 1..v.end - 1]);
        let at = |start: usize| QuickReader {
            text: line,
            at: start,
            depth: 1,
        };
        if let Some(spans) = value_of(top, "spans").filter(|v| opens(v, b'[')) {
            at(spans.start).array(|r| {
                if r.peek() == Some(b'{') {
                    self.span(r)
                } else {
                    r.value().map(drop)
                }
            })?;
        }
        if let Some(span) = value_of(top, "span").filter(|v| opens(v, b'{')) {
            self.span(&mut at(span.start))?;
        }
        let mut field_message = false;
        if let Some(fields) = value_of(top, "fields").filter(|v| opens(v, b'{')) {
            at(fields.start).object(|r, key| {
                if MESSAGE_KEYS.contains(&key) && !field_message {
                    field_message = true;
                    return r.value()?.str().map(drop);
                }
                let value = r.value_range()?;
                self.put(line, key, value)
            })?;
        }
        // The flattened members, in the order the general path leaves them: it takes out
        // `spans`, `span` and `fields` by swapping the last member into their place.
        let mut order: [usize; 16] = std::array::from_fn(|i| i);
        let mut left = members;
        for envelope in ["spans", "span", "fields"] {
            if let Some(i) = order[..left].iter().position(|&m| top[m].0 == envelope) {
                order.swap(i, left - 1);
                left -= 1;
            }
        }
        let mut flat_message = field_message;
        for &m in &order[..left] {
            let (key, value) = top[m].clone();
            if MESSAGE_KEYS.contains(&key) && !flat_message {
                // The message, when `fields` holds none.
                flat_message = true;
                if !opens(&value, b'"') {
                    return None;
                }
                continue;
            }
            let header = TIME_KEYS.contains(&key) || LEVEL_KEYS.contains(&key);
            if !header && !ENVELOPE_KEYS.contains(&key) {
                self.put(line, key, value)?;
            }
        }
        Some(target)
    }

    /// Each field's key and value as the line writes them (the value's JSON text).
    pub fn iter<'l>(&'l self, line: &'l str) -> impl Iterator<Item = (&'l str, &'l str)> + 'l {
        self.entries
            .iter()
            .map(move |(k, v)| (&line[k.clone()], &line[v.clone()]))
    }

    /// A span object's members but `name`.
    fn span(&mut self, r: &mut QuickReader<'_>) -> Option<()> {
        let line = r.text;
        r.object(|r, key| {
            let value = r.value_range()?;
            if key == "name" {
                return Some(());
            }
            self.put(line, key, value)
        })
    }

    fn put(&mut self, line: &str, key: &str, value: Range<usize>) -> Option<()> {
        let start = key.as_ptr() as usize - line.as_ptr() as usize;
        let key = start..start + key.len();
        let same =
            |(k, _): &&mut (Range<usize>, Range<usize>)| line[k.clone()] == line[key.clone()];
        if let Some(entry) = self.entries.iter_mut().find(same) {
            entry.1 = value;
        } else if self.entries.len() == MAX_LINE_FIELDS {
            return None;
        } else {
            self.entries.push((key, value));
        }
        Some(())
    }
}

struct QuickReader<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
}

impl<'a> QuickReader<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn ws(&mut self) {
        while matches!(
            self.bytes().get(self.at),
            Some(b' ' | b'\t' | b'\n' | b'\r')
        ) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes().get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// A string without escapes or control characters (serde rejects the latter).
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let end = start + json_special_at(&self.bytes()[start..])?;
        if self.bytes()[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        Some(&self.text[start..end])
    }

    /// `{ "key": value, ... }`, each value read by `member`. A repeated key, or more keys
    /// than it keeps track of, is left to serde.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        let mut seen = [""; 16];
        let mut keys = 0;
        self.list(b'{', b'}', |r| {
            let key = r.string()?;
            if keys == seen.len() || seen[..keys].contains(&key) {
                return None;
            }
            seen[keys] = key;
            keys += 1;
            r.eat(b':')?;
            member(r, key)
        })
    }

    fn array(&mut self, element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.list(b'[', b']', element)
    }

    /// `open item, item, ... close` (or `open close`), each item read by `item`.
    fn list(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.nest(|r| {
            r.eat(open)?;
            if r.peek()? == close {
                r.at += 1;
                return Some(());
            }
            loop {
                item(r)?;
                match r.peek()? {
                    b',' => r.at += 1,
                    c if c == close => {
                        r.at += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        })
    }

    fn nest(&mut self, inner: impl FnOnce(&mut Self) -> Option<()>) -> Option<()> {
        if self.depth == QUICK_DEPTH {
            return None;
        }
        self.depth += 1;
        let done = inner(self);
        self.depth -= 1;
        done
    }

    /// A span object: its members but `name`, into the `place` column (a later span's
    /// value replaces an earlier one's, as in the serde path).
    fn span(&mut self, derived: &mut DerivedValues<'a>, place: usize) -> Option<()> {
        self.object(|r, key| {
            if key == "name" {
                return r.value().map(drop);
            }
            r.keep(derived, place, key)
        })
    }

    /// A member's value, kept when derive reads its key.
    fn keep(&mut self, derived: &mut DerivedValues<'a>, place: usize, key: &str) -> Option<()> {
        let value = self.value()?;
        if let Some(i) = DERIVED_KEYS.iter().position(|k| *k == key) {
            if derived[i].is_none_or(|(won, _)| place <= won) {
                derived[i] = Some((place, value));
            }
        }
        Some(())
    }

    /// Where the next value is, checked as [`QuickReader::value`] checks it.
    fn value_range(&mut self) -> Option<Range<usize>> {
        self.ws();
        let start = self.at;
        self.value()?;
        Some(start..self.at)
    }

    /// Any value, checked as serde would; strings are kept, the rest only checked.
    fn value(&mut self) -> Option<QuickValue<'a>> {
        match self.peek()? {
            b'"' => self.string().map(QuickValue::Str),
            b'{' => self
                .object(|r, _| r.value().map(drop))
                .map(|()| QuickValue::Other),
            b'[' => self
                .array(|r| r.value().map(drop))
                .map(|()| QuickValue::Other),
            b't' => self.word("true"),
            b'f' => self.word("false"),
            b'n' => self.word("null"),
            _ => self.number(),
        }
    }

    fn word(&mut self, word: &str) -> Option<QuickValue<'a>> {
        self.text[self.at..].starts_with(word).then(|| {
            self.at += word.len();
            QuickValue::Other
        })
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?`; exponents and very long numbers (which serde may find
    /// out of range) are left to serde.
    fn number(&mut self) -> Option<QuickValue<'a>> {
        let b = self.bytes();
        let start = self.at;
        let mut i = start + usize::from(b.get(start) == Some(&b'-'));
        let digits = |i: usize| {
            b[i.min(b.len())..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count()
        };
        let int = digits(i);
        if int == 0 || (int > 1 && b[i] == b'0') {
            return None;
        }
        i += int;
        if b.get(i) == Some(&b'.') {
            let frac = digits(i + 1);
            if frac == 0 {
                return None;
            }
            i += 1 + frac;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) || i - start > 300 {
            return None;
        }
        self.at = i;
        Some(QuickValue::Other)
    }
}

impl<'a> QuickValue<'a> {
    fn str(self) -> Option<&'a str> {
        match self {
            QuickValue::Str(s) => Some(s),
            QuickValue::Other => None,
        }
    }
}
