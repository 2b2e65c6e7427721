//! tracing-subscriber's `json` format: nested (`fields`, `span`, `spans`) and flattened.

use std::borrow::Cow;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::ParsedLine;
use crate::event::Level;
use crate::time::Timestamp;

/// Keys that describe the event rather than being its fields. Data, not code: other emitters
/// that use `time`/`msg` are read the same way.
const TIME_KEYS: [&str; 4] = ["timestamp", "time", "ts", "@timestamp"];
pub(crate) const LEVEL_KEYS: [&str; 3] = ["level", "lvl", "severity"];
const MESSAGE_KEYS: [&str; 2] = ["message", "msg"];
const ENVELOPE_KEYS: [&str; 7] = [
    "target",
    "span",
    "spans",
    "fields",
    "threadName",
    "threadId",
    "filename",
];

/// Members by key in document order. A repeated key keeps its first position and its last
/// value, as `serde_json::Map` (with `preserve_order`) does.
type Entries<'a, T> = Vec<(Cow<'a, str>, T)>;

fn put<'a, T>(entries: &mut Entries<'a, T>, key: Cow<'a, str>, value: T) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => entries.push((key, value)),
    }
}

/// A top-level member's value, as far as the event needs it. Every value is parsed (so
/// invalid JSON anywhere fails the line, as parsing it into a `Value` would), but only the
/// fields become `Value`s: the line is read in one pass, borrowing its strings.
enum Member<'a> {
    /// A time, level or target key (read only when it is a string).
    Header(Field<'a>),
    /// `fields`: its members, when it is an object.
    Fields(Option<Entries<'a, Field<'a>>>),
    /// `span` or `spans`: the span fields (every member of each span object but `name`).
    Spans(Entries<'a, Field<'a>>),
    Other(Field<'a>),
}

/// A field's value: a string stays borrowed from the line (unless it holds escapes) until it
/// is kept, so the values that are dropped or replaced are never copied.
enum Field<'a> {
    Str(Cow<'a, str>),
    Other(Value),
}

impl Field<'_> {
    fn into_value(self) -> Value {
        match self {
            Field::Str(s) => Value::String(s.into_owned()),
            Field::Other(v) => v,
        }
    }

    /// A message's text: a string as is, any other value as JSON.
    fn into_text(self) -> String {
        match self {
            Field::Str(s) => s.into_owned(),
            Field::Other(v) => v.to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Field<'de>, E> {
                Ok(Field::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Field<'de>, E> {
                Ok(Field::Other(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Field<'de>, E> {
                Ok(Field::Other(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Field<'de>, E> {
                Ok(Field::Other(Value::from(v)))
            }
            fn visit_unit<E>(self) -> Result<Field<'de>, E> {
                Ok(Field::Other(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field<'de>, A::Error> {
                let seq = serde::de::value::SeqAccessDeserializer::new(seq);
                Value::deserialize(seq).map(Field::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field<'de>, A::Error> {
                let map = serde::de::value::MapAccessDeserializer::new(map);
                Value::deserialize(map).map(Field::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A line's top-level members.
struct Line<'a>(Entries<'a, Member<'a>>);

impl<'de> Deserialize<'de> for Line<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Line<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Line<'de>, A::Error> {
                let mut members = Vec::with_capacity(8);
                while let Some(Key(k)) = map.next_key()? {
                    let member = match k.as_ref() {
                        "fields" => Member::Fields(map.next_value::<Fields>()?.0),
                        "span" | "spans" => {
                            let mut spans = Vec::new();
                            let list = k == "spans";
                            map.next_value_seed(SpanFields {
                                into: &mut spans,
                                list,
                            })?;
                            Member::Spans(spans)
                        }
                        key if is_header_key(key) => Member::Header(map.next_value()?),
                        _ => Member::Other(map.next_value()?),
                    };
                    put(&mut members, k, member);
                }
                Ok(Line(members))
            }
        }
        d.deserialize_map(V)
    }
}

/// Visitor methods for the values a visitor takes but has no use for: they are parsed (so
/// checked), and give the visitor's default.
macro_rules! other_scalars_give_default {
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
}

/// Parses a sequence or map a visitor has no use for (checking it, as a `Value` would).
fn check_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<(), A::Error> {
    Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(drop)
}

fn check_map<'de, A: MapAccess<'de>>(map: A) -> Result<(), A::Error> {
    Value::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(drop)
}

/// A key, borrowed from the line unless it holds escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// `fields`: its members when it is an object.
struct Fields<'a>(Option<Entries<'a, Field<'a>>>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Entries<'de, Field<'de>>>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(4);
                while let Some(Key(k)) = map.next_key()? {
                    let v = map.next_value()?;
                    put(&mut fields, k, v);
                }
                Ok(Some(fields))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                check_seq(seq).map(|()| None)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(None)
            }
            other_scalars_give_default!();
        }
        d.deserialize_any(V).map(Fields)
    }
}

/// `span` (one span) or `spans` (a list of them): each span object's members but its `name`
/// are added in turn; any other value adds nothing.
struct SpanFields<'s, 'a> {
    into: &'s mut Entries<'a, Field<'a>>,
    list: bool,
}

impl<'de> DeserializeSeed<'de> for SpanFields<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SpanFields<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if !self.list {
            return check_seq(seq);
        }
        let into = self.into;
        while seq
            .next_element_seed(SpanFields {
                into: &mut *into,
                list: false,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.list {
            return check_map(map);
        }
        while let Some(Key(k)) = map.next_key()? {
            let v: Field = map.next_value()?;
            if k != "name" {
                put(self.into, k, v);
            }
        }
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    other_scalars_give_default!();
}

fn is_header_key(key: &str) -> bool {
    TIME_KEYS.contains(&key) || LEVEL_KEYS.contains(&key) || key == "target"
}

#[cfg(test)]
pub fn parse(line: &str) -> Option<ParsedLine> {
    view(line).map(JsonView::into_parsed)
}

/// What a JSON event line says, borrowed from the line: its members sorted into where an
/// event's parts come from.
pub struct JsonView<'a> {
    pub ts: Option<Timestamp>,
    pub level: Option<Level>,
    target: Option<Cow<'a, str>>,
    message: Option<Field<'a>>,
    /// The fields of `spans`, then of `span`, then the event's own `fields` (the message
    /// taken out), then the flattened variant's members: a later key wins.
    spans: Entries<'a, Field<'a>>,
    span: Entries<'a, Field<'a>>,
    event_fields: Entries<'a, Field<'a>>,
    flattened: Entries<'a, Member<'a>>,
}

/// Reads a JSON line; `None` when it is not a JSON event.
pub fn view(line: &str) -> Option<JsonView<'_>> {
    view_line(line).ok().flatten()
}

/// What `serde_json::from_str::<Value>` and then reading the object gives (the reference
/// in the tests), from one pass over the line.
fn view_line(line: &str) -> Result<Option<JsonView<'_>>, serde_json::Error> {
    let Line(mut members) = serde_json::from_str(line)?;
    let text = |keys: &[&str]| {
        keys.iter().find_map(|key| {
            members
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, m)| match m {
                    Member::Header(Field::Str(s)) => Some(s),
                    _ => None,
                })
        })
    };
    let ts = text(&TIME_KEYS)
        .and_then(|s| Timestamp::parse_rfc3339_prefix(s.as_bytes()).map(|(t, _)| t));
    let level = text(&LEVEL_KEYS).and_then(|s| Level::parse(s));
    let target = text(&["target"]).cloned();
    if ts.is_none() && level.is_none() {
        // Some other JSON document, not a log event: an unparsed line either way.
        return Ok(None);
    }

    // `Map::remove` is a swap-remove with `preserve_order`: the order of the members left
    // (the flattened variant's fields) follows it.
    let mut remove = |key: &str| {
        let i = members.iter().position(|(k, _)| k == key)?;
        Some(members.swap_remove(i).1)
    };
    let span_fields = |member| match member {
        Some(Member::Spans(fields)) => fields,
        _ => Vec::new(),
    };
    let spans = span_fields(remove("spans"));
    let span = span_fields(remove("span"));
    let mut event_fields = match remove("fields") {
        Some(Member::Fields(Some(fields))) => fields,
        _ => Vec::new(),
    };
    // The first message key of `fields`, else of the flattened members, is the message.
    let is_message = |k: &Cow<str>| MESSAGE_KEYS.contains(&k.as_ref());
    let message = match event_fields.iter().position(|(k, _)| is_message(k)) {
        Some(i) => Some(event_fields.remove(i).1),
        None => members
            .iter()
            .position(|(k, m)| is_message(k) && matches!(m, Member::Other(_)))
            .map(|i| match members.remove(i).1 {
                Member::Other(v) => v,
                _ => unreachable!("matched above"),
            }),
    };
    Ok(Some(JsonView {
        ts,
        level,
        target,
        message,
        spans,
        span,
        event_fields,
        flattened: members,
    }))
}

impl<'a> JsonView<'a> {
    /// The flattened variant's fields: every member that is not envelope.
    fn flattened_fields(&self) -> impl Iterator<Item = (&Cow<'a, str>, &Field<'a>)> {
        self.flattened.iter().filter_map(|(k, m)| match m {
            Member::Other(v) if !ENVELOPE_KEYS.contains(&k.as_ref()) => Some((k, v)),
            _ => None,
        })
    }

    /// The message's text: a string as is, any other value as JSON.
    pub fn message(&self) -> Cow<'_, str> {
        match &self.message {
            Some(Field::Str(s)) => Cow::Borrowed(s.as_ref()),
            Some(Field::Other(v)) => Cow::Owned(v.to_string()),
            None => Cow::Borrowed(""),
        }
    }

    /// A field's value when it is a string (the one that wins on a clash).
    pub fn str_field(&self, key: &str) -> Option<&str> {
        fn find<'e, 'a>(entries: &'e Entries<'a, Field<'a>>, key: &str) -> Option<&'e Field<'a>> {
            entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
        }
        let value = self
            .flattened_fields()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .or_else(|| find(&self.event_fields, key))
            .or_else(|| find(&self.span, key))
            .or_else(|| find(&self.spans, key))?;
        match value {
            Field::Str(s) => Some(s),
            Field::Other(_) => None,
        }
    }

    pub fn into_parsed(self) -> ParsedLine {
        let mut fields = Map::new();
        // Span fields first (outermost to innermost), so event fields win on a clash.
        for (k, v) in self
            .spans
            .into_iter()
            .chain(self.span)
            .chain(self.event_fields)
        {
            fields.insert(k.into_owned(), v.into_value());
        }
        // Flattened variant: everything that is not envelope is a field.
        for (k, member) in self.flattened {
            let Member::Other(v) = member else {
                continue;
            };
            if ENVELOPE_KEYS.contains(&k.as_ref()) {
                continue;
            }
            fields.insert(k.into_owned(), v.into_value());
        }
        ParsedLine {
            ts: self.ts,
            level: self.level,
            target: self.target.map(Cow::into_owned),
            message: self.message.map(Field::into_text).unwrap_or_default(),
            fields: fields.into(),
        }
    }
}

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
fn json_special_at_swar(b: &[u8]) -> Option<usize> {
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

/// What the shown outputs read of a JSON line (see [`super::Keep`]), read by a scanner for
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

const DERIVED_KEYS: [&str; 3] = ["job_id", "worker_id", "phase"];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_with_spans() {
        let p = parse(r#"{"timestamp":"2026-11-21T10:00:00.000001Z","level":"WARN","fields":{"message":"slow","phase":"Prove"},"target":"zisk_coordinator","span":{"job_id":"abc","name":"job"},"spans":[{"job_id":"abc","name":"job"}],"threadId":"ThreadId(2)"}"#).unwrap();
        assert_eq!(p.level, Some(Level::Warn));
        assert_eq!(p.message, "slow");
        assert_eq!(p.fields["phase"], "Prove");
        assert_eq!(p.fields["job_id"], "abc");
        assert!(!p.fields.contains_key("name"));
        assert!(!p.fields.contains_key("threadId"));
    }

    #[test]
    fn flattened() {
        let p = parse(r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","message":"hi","job_id":"x","target":"t"}"#).unwrap();
        assert_eq!(p.message, "hi");
        assert_eq!(p.fields["job_id"], "x");
    }

    fn merge_span(fields: &mut Map<String, Value>, span: Value) {
        if let Value::Object(span) = span {
            for (k, v) in span {
                if k != "name" {
                    fields.insert(k, v);
                }
            }
        }
    }

    fn value_text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// The parse as it was first written (a whole `Value`), kept as the reference.
    fn reference(line: &str) -> Option<ParsedLine> {
        let Value::Object(mut obj) = serde_json::from_str::<Value>(line).ok()? else {
            return None;
        };
        let ts = TIME_KEYS
            .iter()
            .find_map(|k| obj.get(*k).and_then(Value::as_str))
            .and_then(|s| Timestamp::parse_rfc3339_prefix(s.as_bytes()).map(|(t, _)| t));
        let level = LEVEL_KEYS
            .iter()
            .find_map(|k| obj.get(*k).and_then(Value::as_str))
            .and_then(Level::parse);
        if ts.is_none() && level.is_none() {
            return None;
        }
        let target = obj
            .get("target")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut fields = Map::new();
        if let Some(Value::Array(spans)) = obj.remove("spans") {
            for span in spans {
                merge_span(&mut fields, span);
            }
        }
        if let Some(span) = obj.remove("span") {
            merge_span(&mut fields, span);
        }
        let mut message = None;
        if let Some(Value::Object(event_fields)) = obj.remove("fields") {
            for (k, v) in event_fields {
                if message.is_none() && MESSAGE_KEYS.contains(&k.as_str()) {
                    message = Some(value_text(&v));
                    continue;
                }
                fields.insert(k, v);
            }
        }
        for (k, v) in obj {
            let key = k.as_str();
            if TIME_KEYS.contains(&key) || LEVEL_KEYS.contains(&key) || ENVELOPE_KEYS.contains(&key)
            {
                continue;
            }
            if message.is_none() && MESSAGE_KEYS.contains(&key) {
                message = Some(value_text(&v));
                continue;
            }
            fields.insert(k, v);
        }
        Some(ParsedLine {
            ts,
            level,
            target,
            message: message.unwrap_or_default(),
            fields: fields.into(),
        })
    }

    #[test]
    fn same_as_the_value_based_parse() {
        let lines = [
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":{"message":"a","x":1,"message":"b"},"target":"t"}"#,
            r#"{"b":1,"fields":{"k":2},"a":2,"span":{"name":"s","job_id":"j"},"c":3,"spans":[{"name":"s","z":1}],"time":"2026-11-21T10:00:00Z","msg":"m","message":"n"}"#,
            r#"{"ts":5,"time":"2026-11-21T10:00:00+01:00","lvl":"w","level":7,"target":3}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","le\u0076el":"ERROR","fields":{"message":"esc\"aped \u00e9 \\ "}}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","threadId":1e400}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":[1,2],"spans":{"a":1},"span":"x"}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":{"message":{"nested":[1,{"a":null}]}}}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","timestamp":"2026-11-21T11:00:00Z","level":"INFO"}"#,
            r#"{"a":1} trailing"#,
            r#"{"a":1e400}"#,
            r#"{"level":"INFO","x":"\ud800"}"#,
            r#"[1,2]"#,
            r#"{"level":"INFO""#,
            r#"{}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","spans":[{"a":1,"b":2,"a":3},5,"s",[1,{"x":2}],null,true,-1,1.5,18446744073709551616],"span":{"b":"q","name":"n"},"fields":{"a":"f"}}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","spans":[{"name":1e400}]}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","span":{"a":"\ud800"},"fields":{"a":1}}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","spans":[[1e400]]}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","spans":"x","span":[1],"z":{"q":[1]}}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","span":{"k\u0061":"v","ka":"w"},"message":{"m":1},"threadName":"\ud800"}"#,
            r#"{"fields":{"message":"a"},"level":"INFO","fields":{"x":1},"time":"2026-11-21T10:00:00Z","span":{"a":1},"spans":[{"c":3}],"span":{"b":2},"q":1,"r":2}"#,
            r#"{"level":{"x":[1]},"lvl":"WARN","target":["t"],"fields":"s","spans":{"a":1},"msg":null,"message":"later"}"#,
            r#"{"level":"INFO","fields":{"message":1.5e3,"msg":"m"},"span":null,"spans":[[],{}]}"#,
        ];
        for line in lines {
            let (got, want) = (parse(line), reference(line));
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "{line}");
        }
    }

    /// Every JSON line of the fixtures, whole and cut short at several places.
    #[test]
    fn same_as_the_value_based_parse_on_the_fixtures() {
        let mut checked = 0;
        for entry in walk(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures"
        ))) {
            let text = String::from_utf8_lossy(&std::fs::read(entry).unwrap()).into_owned();
            for line in text.lines().filter(|l| l.starts_with('{')) {
                let cuts = [line.len(), line.len() - 1, line.len() / 2, line.len() / 3];
                for cut in cuts.into_iter().filter(|&c| line.is_char_boundary(c)) {
                    let line = &line[..cut];
                    assert_eq!(
                        format!("{:?}", parse(line)),
                        format!("{:?}", reference(line)),
                        "{line}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "only {checked} JSON lines in the fixtures");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
        files
    }

    /// When the quick reader reads a line, it reads what the serde path reads; returns
    /// whether it read it.
    fn quick_agrees(line: &str) -> bool {
        let Some(quick) = quick(line) else {
            return false;
        };
        let view = view(line);
        match quick {
            Quick::NotEvent => assert!(view.is_none(), "not an event by quick: {line}"),
            Quick::Event(q) => {
                let v = view.unwrap_or_else(|| panic!("an event by quick only: {line}"));
                assert_eq!((q.ts, q.level), (v.ts, v.level), "{line}");
                assert_eq!(q.message, v.message(), "{line}");
                for key in DERIVED_KEYS {
                    assert_eq!(q.str_field(key), v.str_field(key), "{key}: {line}");
                }
            }
        }
        true
    }

    #[test]
    fn the_quick_reader_reads_what_serde_reads() {
        let mut read = 0;
        let mut lines = 0;
        for entry in walk(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures"
        ))) {
            let text = String::from_utf8_lossy(&std::fs::read(entry).unwrap()).into_owned();
            for line in text.lines().filter(|l| l.starts_with('{')) {
                // Whole, and cut at every byte: a cut line is never read as JSON.
                read += usize::from(quick_agrees(line));
                lines += 1;
                for cut in (1..line.len())
                    .filter(|&c| line.is_char_boundary(c))
                    .step_by(7)
                {
                    assert!(!quick_agrees(&line[..cut]) || line[..cut].trim_end() == line);
                }
            }
        }
        assert!(read * 10 >= lines * 9, "quick read {read} of {lines} lines");
        let shapes = [
            // Clashes between places, and which one wins.
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":{"message":"m","phase":"Prove"},"span":{"phase":"Aggregate","name":"p"},"spans":[{"phase":"Execution","job_id":"a","name":"p"},{"job_id":"b"}]}"#,
            r#"{"time":"2026-11-21T10:00:00Z","lvl":"w","msg":"flat","phase":"Aggregate","job_id":7,"fields":{"phase":"Prove","job_id":"j"}}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":{"msg":"first","message":"second","worker_id":null}}"#,
            r#"{"ts":5,"time":"2026-11-21T10:00:00+01:00","lvl":"w","level":7,"target":3}"#,
            r#"{"timestamp":"2026","level":"nope","message":"x"}"#,
            r#" { "timestamp" : "2026-11-21T10:00:00Z" , "level" :"INFO", "fields" : { } , "spans" : [ ] } "#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":[1,{"a":[true,false,null,-0.5,0,12]}],"spans":{"a":1},"span":"x"}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","spans":[5,"s",[1],null,{"phase":"Prove","name":"n"}],"threadName":"t"}"#,
            r#"{"a":1}"#,
            r#"{}"#,
            // Shapes the quick reader leaves to serde (it must not read them).
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":{"message":"esc"aped"}}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","timestamp":"2026-11-21T11:00:00Z","level":"INFO"}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":{"a":1,"a":2}}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","threadId":1e400}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","n":01}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","n":1.}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":{"message":{"m":1}}}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","message":"a","msg":"b"}"#,
            r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","x":"tab	inside"}"#,
            r#"{"a":1} trailing"#,
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":tru}"#,
            r#"{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#,
        ];
        let read: Vec<bool> = shapes.iter().map(|l| quick_agrees(l)).collect();
        assert!(read[..10].iter().all(|&r| r), "{read:?}");
        assert!(read[10..].iter().all(|&r| !r), "{read:?}");
        // The byte search behind it, at every lane of both searches (and none in high bytes).
        for len in [7, 24, 40] {
            for at in 0..len {
                for byte in [b'"', b'\\', 0, 0x1f] {
                    let mut text = vec![0xe2; len];
                    text[at] = byte;
                    text[len - 1] = b'"';
                    assert_eq!(json_special_at(&text), Some(at), "{byte} at {at} of {len}");
                    assert_eq!(
                        json_special_at_swar(&text),
                        Some(at),
                        "{byte} at {at} of {len}"
                    );
                }
            }
        }
        assert_eq!(json_special_at(&[b' '; 40]), None);
    }

    #[test]
    fn other_json_is_not_an_event() {
        assert!(parse(r#"{"a":1}"#).is_none());
        assert!(parse(r#"{"timestamp": "2026"#).is_none());
    }
}
