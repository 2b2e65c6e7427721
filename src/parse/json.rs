//! tracing-subscriber's `json` format: nested (`fields`, `span`, `spans`) and flattened.

use std::borrow::Cow;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
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

/// One JSON object's members in document order, values unparsed. A repeated key keeps its
/// first position and its last value, as `serde_json::Map` (with `preserve_order`) does.
type Members<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

/// The members of the object `text` holds; `Ok(None)` for text that is not an object.
fn members(text: &str) -> Result<Option<Members<'_>>, serde_json::Error> {
    if !text.trim_start().starts_with('{') {
        return Ok(None);
    }
    let Object(members) = serde_json::from_str(text)?;
    Ok(Some(members))
}

struct Object<'a>(Members<'a>);

impl<'de> Deserialize<'de> for Object<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Object<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object<'de>, A::Error> {
                let mut members: Members<'de> = Vec::with_capacity(8);
                while let Some(Key(k)) = map.next_key()? {
                    let v: &'de RawValue = map.next_value()?;
                    match members.iter_mut().find(|(key, _)| *key == k) {
                        Some(slot) => slot.1 = v,
                        None => members.push((k, v)),
                    }
                }
                Ok(Object(members))
            }
        }
        d.deserialize_map(V)
    }
}

/// A key or string, borrowed from the line unless it holds escapes.
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

/// A member's value as a string, if it is one; other values are checked to be valid JSON
/// (as parsing the whole line into a `Value` would) and give `Ok(None)`.
fn string_value(raw: &RawValue) -> Result<Option<Cow<'_, str>>, serde_json::Error> {
    let text = raw.get();
    if text.starts_with('"') {
        let Key(s) = serde_json::from_str(text)?;
        Ok(Some(s))
    } else {
        serde_json::from_str::<Value>(text)?;
        Ok(None)
    }
}

fn value(raw: &RawValue) -> Result<Value, serde_json::Error> {
    serde_json::from_str(raw.get())
}

fn is_header_key(key: &str) -> bool {
    TIME_KEYS.contains(&key) || LEVEL_KEYS.contains(&key) || key == "target"
}

pub fn parse(line: &str) -> Option<ParsedLine> {
    parse_members(line).ok().flatten()
}

/// What `serde_json::from_str::<Value>` and then reading the object gives, without building
/// a `Value` for the envelope: only the fields become values. Every member is decoded or
/// converted, so invalid JSON anywhere fails the line as before.
fn parse_members(line: &str) -> Result<Option<ParsedLine>, serde_json::Error> {
    let Some(mut obj) = members(line)? else {
        return Ok(None);
    };
    let mut strings: Vec<Option<Cow<str>>> = Vec::with_capacity(obj.len());
    for (k, v) in &obj {
        strings.push(if is_header_key(k) {
            string_value(v)?
        } else {
            None
        });
    }
    let get = |keys: &[&str]| {
        keys.iter().find_map(|key| {
            obj.iter()
                .position(|(k, _)| k == key)
                .and_then(|i| strings[i].as_deref())
        })
    };
    let ts =
        get(&TIME_KEYS).and_then(|s| Timestamp::parse_rfc3339_prefix(s.as_bytes()).map(|(t, _)| t));
    let level = get(&LEVEL_KEYS).and_then(Level::parse);
    let target = get(&["target"]).map(str::to_string);
    drop(strings);
    if ts.is_none() && level.is_none() {
        // Some other JSON document, not a log event: an unparsed line either way.
        return Ok(None);
    }

    let mut fields = Map::new();
    // `Map::remove` is a swap-remove with `preserve_order`: the order of the members left
    // (the flattened variant's fields) follows it.
    let mut remove = |key: &str| {
        let i = obj.iter().position(|(k, _)| k == key)?;
        Some(obj.swap_remove(i).1)
    };
    let spans = remove("spans");
    let span = remove("span");
    let event_fields = remove("fields");
    // Span fields first (outermost to innermost), so event fields win on a clash.
    if let Some(spans) = spans {
        if let Value::Array(spans) = value(spans)? {
            for span in spans {
                merge_span(&mut fields, span);
            }
        }
    }
    if let Some(span) = span {
        merge_span(&mut fields, value(span)?);
    }
    let mut message = None;
    if let Some(raw) = event_fields {
        match members(raw.get())? {
            Some(event_fields) => {
                for (k, v) in event_fields {
                    if message.is_none() && MESSAGE_KEYS.contains(&k.as_ref()) {
                        message = Some(match string_value(v)? {
                            Some(s) => s.into_owned(),
                            None => value(v)?.to_string(),
                        });
                        continue;
                    }
                    fields.insert(k.into_owned(), value(v)?);
                }
            }
            None => {
                value(raw)?;
            }
        }
    }
    // Flattened variant: everything that is not envelope is a field.
    for (k, v) in obj {
        if is_header_key(&k) {
            continue;
        }
        let v = value(v)?;
        if ENVELOPE_KEYS.contains(&k.as_ref()) {
            continue;
        }
        if message.is_none() && MESSAGE_KEYS.contains(&k.as_ref()) {
            message = Some(value_text(&v));
            continue;
        }
        fields.insert(k.into_owned(), v);
    }
    Ok(Some(ParsedLine {
        ts,
        level,
        target,
        message: message.unwrap_or_default(),
        fields,
    }))
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
            fields,
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
        ];
        for line in lines {
            let (got, want) = (parse(line), reference(line));
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "{line}");
        }
    }

    #[test]
    fn other_json_is_not_an_event() {
        assert!(parse(r#"{"a":1}"#).is_none());
        assert!(parse(r#"{"timestamp": "2026"#).is_none());
    }
}
