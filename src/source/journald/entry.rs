//! Decoding `journalctl -o json` entries: byte-array and repeated values, the envelope (time,
//! priority as level, host, unit, PID) and what an entry says about pretty events and banners.

use serde_json::{Map, Value};

use super::{
    BANNER, DEFAULT_STDOUT_PRIORITY, F_CURSOR, F_HOSTNAME, F_MESSAGE, F_PID, F_PRIORITY,
    F_REALTIME, F_UNIT,
};
use crate::event::Level;
use crate::parse::Envelope;
use crate::time::Timestamp;

/// One journal entry, as far as we use it.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Entry {
    pub(super) message: Option<Vec<u8>>,
    /// MESSAGE was `null`: too large, which `--all` should prevent.
    pub(super) message_null: bool,
    pub(super) ts: Option<Timestamp>,
    pub(super) priority: Option<u8>,
    pub(super) host: Option<String>,
    pub(super) unit: Option<String>,
    pub(super) pid: Option<u64>,
    pub(super) cursor: Option<String>,
}

/// Decodes one line of `journalctl -o json`.
pub(crate) fn parse_entry(line: &[u8]) -> Result<Entry, String> {
    let map: Map<String, Value> =
        serde_json::from_slice(line).map_err(|e| format!("unreadable journalctl output: {e}"))?;
    let text = |k: &str| {
        map.get(k)
            .and_then(decode_value)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    Ok(Entry {
        message: map.get(F_MESSAGE).and_then(decode_value),
        message_null: map.get(F_MESSAGE).is_some_and(Value::is_null),
        ts: text(F_REALTIME)
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map(Timestamp),
        priority: text(F_PRIORITY).and_then(|s| s.trim().parse().ok()),
        host: text(F_HOSTNAME),
        unit: text(F_UNIT),
        pid: text(F_PID).and_then(|s| s.trim().parse().ok()),
        cursor: text(F_CURSOR),
    })
}

/// A value is a string, an array of bytes (control characters, invalid UTF-8), `null` (too
/// large), or, for a field given more than once, an array of those (the first is used).
fn decode_value(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Array(items) if items.iter().all(Value::is_u64) => Some(
            items
                .iter()
                .filter_map(Value::as_u64)
                .map(|b| b as u8)
                .collect(),
        ),
        Value::Array(items) => items.iter().find_map(decode_value),
        _ => None,
    }
}

impl Entry {
    pub(super) fn envelope(&self) -> Envelope {
        let mut fields = Map::new();
        if let Some(h) = &self.host {
            fields.insert(F_HOSTNAME.into(), Value::String(h.clone()));
        }
        if let Some(u) = &self.unit {
            fields.insert(F_UNIT.into(), Value::String(u.clone()));
        }
        if let Some(p) = self.pid {
            fields.insert(F_PID.into(), Value::from(p));
        }
        // journald stores PRIORITY 6 for every stdout line whatever it says: that is no level.
        let level = self
            .priority
            .filter(|&p| p != DEFAULT_STDOUT_PRIORITY)
            .map(Level::from_syslog_priority);
        Envelope {
            ts: self.ts,
            level,
            fields: Some(fields),
        }
    }

    pub(super) fn first_line(&self) -> &[u8] {
        let m = self.message.as_deref().unwrap_or_default();
        m.split(|&b| b == b'\n').next().unwrap_or_default()
    }

    /// Could this entry continue a pretty event begun in an earlier entry?
    pub(super) fn is_continuation(&self) -> bool {
        let clean =
            crate::parse::strip_ansi(&String::from_utf8_lossy(self.first_line())).into_owned();
        let trimmed = clean.trim_start_matches(' ');
        clean.len() - trimmed.len() >= 4
            && (trimmed.starts_with("at ") || trimmed.starts_with("in "))
    }

    /// Does this entry begin an event (for counting events in a `-n` window)?
    pub(super) fn starts_event(&self) -> bool {
        self.message.is_some()
            && !self.first_line().iter().all(u8::is_ascii_whitespace)
            && !self.is_continuation()
    }

    pub(super) fn is_banner(&self) -> bool {
        memchr::memmem::find(
            self.message.as_deref().unwrap_or_default(),
            BANNER.as_bytes(),
        )
        .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_decode_every_shape() {
        let e = parse_entry(br#"{"MESSAGE":[27,91,51,50,109,104,255],"__REALTIME_TIMESTAMP":"1705312801000000","_HOSTNAME":"hb","PRIORITY":"4","_PID":"100","__CURSOR":"s=1"}"#).unwrap();
        assert_eq!(e.message.as_deref(), Some(&b"\x1b[32mh\xff"[..]));
        assert_eq!(e.ts, Some(Timestamp(1705312801000000)));
        assert_eq!(
            (e.priority, e.pid, e.host.as_deref(), e.cursor.as_deref()),
            (Some(4), Some(100), Some("hb"), Some("s=1"))
        );
        assert_eq!(e.envelope().level, Some(Level::Warn));
        let e = parse_entry(br#"{"MESSAGE":null,"TAG":["a","b"]}"#).unwrap();
        assert!(e.message_null && e.message.is_none());
        let e = parse_entry(br#"{"MESSAGE":["first",[104,105]]}"#).unwrap();
        assert_eq!(e.message.as_deref(), Some(&b"first"[..]));
        let e = parse_entry(br#"{"__CURSOR":"x"}"#).unwrap();
        assert!(e.message.is_none() && !e.message_null);
        assert!(parse_entry(b"not json").is_err());
    }

    #[test]
    fn continuation_entries_are_recognised() {
        let e = |m: &str| Entry {
            message: Some(m.as_bytes().to_vec()),
            ..Entry::default()
        };
        assert!(e("    in zisk_worker::job with job_id: \"abc\"").is_continuation());
        assert!(!e("    in zisk_worker::job with job_id: \"abc\"").starts_event());
        assert!(e("  2026-11-21T10:00:00Z  INFO x: y").starts_event());
        assert!(!e("").starts_event());
    }
}
