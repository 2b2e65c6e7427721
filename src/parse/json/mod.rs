//! tracing-subscriber's `json` format, nested (`fields`, `span`, `spans`) and flattened, read
//! two ways: `fast` reads the shape tracing usually writes without serde (for the shown
//! outputs), `general` reads any JSON line with serde into a view of the event. The keys that
//! say what a member is are shared data here.

mod fast;
mod general;

pub use fast::{json_special_at, quick, LineFields, Quick, QuickLine};
#[cfg(test)]
pub use general::parse;
pub use general::{view, JsonView};

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

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::*;
    use crate::event::Level;
    use crate::parse::ParsedLine;
    use crate::time::Timestamp;
    use fast::{json_special_at_swar, DERIVED_KEYS};

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
            fields_in_raw: false,
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
        for entry in crate::parse::equivalence_tests::fixture_files() {
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
        for entry in crate::parse::equivalence_tests::fixture_files() {
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
