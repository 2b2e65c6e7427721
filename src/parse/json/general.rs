//! The general path: any JSON line read with serde in one pass, borrowing its strings, into a
//! [`JsonView`] of where the event's time, level, message and fields come from.

use std::borrow::Cow;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{ENVELOPE_KEYS, LEVEL_KEYS, MESSAGE_KEYS, TIME_KEYS};
use crate::event::Level;
use crate::parse::ParsedLine;
use crate::time::Timestamp;

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
            fields_in_raw: false,
        }
    }
}
