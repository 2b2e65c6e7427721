//! tracing-subscriber's `json` format: nested (`fields`, `span`, `spans`) and flattened.

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

pub fn parse(line: &str) -> Option<ParsedLine> {
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
        // Some other JSON document, not a log event: keep it as an unparsed line.
        return None;
    }
    let target = obj
        .get("target")
        .and_then(Value::as_str)
        .map(str::to_string);

    let mut fields = Map::new();
    // Span fields first (outermost to innermost), so event fields win on a clash.
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
    // Flattened variant: everything that is not envelope is a field.
    for (k, v) in obj {
        let key = k.as_str();
        if TIME_KEYS.contains(&key) || LEVEL_KEYS.contains(&key) || ENVELOPE_KEYS.contains(&key) {
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

    #[test]
    fn other_json_is_not_an_event() {
        assert!(parse(r#"{"a":1}"#).is_none());
        assert!(parse(r#"{"timestamp": "2026"#).is_none());
    }
}
