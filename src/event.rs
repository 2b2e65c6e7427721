//! The one event model every input shape is parsed into, and the small types it is made of.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, LazyLock};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::time::Timestamp;

/// Severity, most severe first, so `level <= threshold` means "at least this severe".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }

    /// Parses the names tracing prints and the names operators type (case-insensitive,
    /// syslog words too, so `--level err` and `--level warning` work like journalctl's `-p`).
    pub fn parse(s: &str) -> Option<Level> {
        // Compared in place: every JSON line's level is read, and an uppercased copy of each
        // was an allocation per line. tracing's own names first.
        const NAMES: [(&str, Level); 17] = [
            ("INFO", Level::Info),
            ("WARN", Level::Warn),
            ("ERROR", Level::Error),
            ("DEBUG", Level::Debug),
            ("TRACE", Level::Trace),
            ("ERR", Level::Error),
            ("E", Level::Error),
            ("CRIT", Level::Error),
            ("ALERT", Level::Error),
            ("EMERG", Level::Error),
            ("FATAL", Level::Error),
            ("WARNING", Level::Warn),
            ("W", Level::Warn),
            ("I", Level::Info),
            ("NOTICE", Level::Info),
            ("D", Level::Debug),
            ("T", Level::Trace),
        ];
        let s = s.trim();
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, level)| level)
    }

    /// syslog PRIORITY 0–7 as journald stores it.
    pub fn from_syslog_priority(p: u8) -> Level {
        match p {
            0..=3 => Level::Error,
            4 => Level::Warn,
            5 | 6 => Level::Info,
            _ => Level::Debug,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job phase. A newtype over the name, so a phase that a newer ZisK adds is carried through
/// instead of breaking the tool; the known ones are spelled canonically.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phase(PhaseName);

/// Known names are static, so that copying a phase into every event touches no shared
/// counter (an `Arc` to a known name was one cache line for all threads to fight over).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PhaseName {
    Known(&'static str),
    Other(Arc<str>),
}

impl Phase {
    pub const KNOWN: [&'static str; 6] = [
        "Contributions",
        "Prove",
        "Aggregate",
        "Execution",
        "ContributionsInputsStream",
        "ContributionsHintsStream",
    ];

    /// Canonicalises case for known names ("prove" → "Prove"); keeps others as given.
    pub fn new(name: &str) -> Phase {
        let name = name.trim();
        match Phase::KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)) {
            Some(known) => Phase(PhaseName::Known(known)),
            None => Phase(PhaseName::Other(Arc::from(name))),
        }
    }

    pub const fn contributions() -> Phase {
        Phase(PhaseName::Known(Phase::KNOWN[0]))
    }
    pub const fn prove() -> Phase {
        Phase(PhaseName::Known(Phase::KNOWN[1]))
    }
    pub const fn aggregate() -> Phase {
        Phase(PhaseName::Known(Phase::KNOWN[2]))
    }
    pub const fn execution() -> Phase {
        Phase(PhaseName::Known(Phase::KNOWN[3]))
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            PhaseName::Known(name) => name,
            PhaseName::Other(name) => name,
        }
    }

    pub fn matches(&self, other: &Phase) -> bool {
        match (&self.0, &other.0) {
            // Known names are spelled canonically.
            (PhaseName::Known(a), PhaseName::Known(b)) => std::ptr::eq(*a, *b) || a == b,
            _ => self.as_str().eq_ignore_ascii_case(other.as_str()),
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which side of the cluster a source belongs to: decided by the option that named the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Coordinator,
    Worker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Worker => "worker",
        }
    }
}

/// IDs print truncated to their first 8 characters, so that is what two forms of one ID share:
/// the ID's key, borrowed (a history's every line looks one up, few are stored).
pub fn id_key_of(id: &str) -> &str {
    // Most IDs are ASCII (hex, host names): their key is their first 8 bytes.
    match id.as_bytes().get(..8) {
        Some(head) if head.is_ascii() => &id[..8],
        _ => match id.char_indices().nth(8) {
            Some((end, _)) => &id[..end],
            None => id,
        },
    }
}

/// An ID's key ([`id_key_of`]) as one word, when it is its first 8 bytes (they are ASCII:
/// nearly every ID): two keys compare, and hash, as a word instead of strings.
pub fn key_word(id: &str) -> Option<u64> {
    id.as_bytes()
        .first_chunk::<8>()
        .filter(|head| head.is_ascii())
        .map(|head| u64::from_le_bytes(*head))
}

/// Places by ID key. A key that is a [`key_word`] is kept as that word, looked up without
/// following a pointer to compare strings: the jobs pass looks one up for every coordinator
/// line and every worker's line naming a job.
#[derive(Clone, Debug, Default)]
pub struct KeyIndex {
    words: rustc_hash::FxHashMap<u64, usize>,
    others: rustc_hash::FxHashMap<Box<str>, usize>,
}

impl KeyIndex {
    pub fn get(&self, key: &str) -> Option<usize> {
        match key_word(key) {
            Some(word) => self.words.get(&word).copied(),
            None => self.others.get(key).copied(),
        }
    }

    pub fn insert(&mut self, key: &str, place: usize) {
        match key_word(key) {
            Some(word) => self.words.insert(word, place),
            None => self.others.insert(key.into(), place),
        };
    }
}

/// An ID as a line shows it: whole, or cut to its first characters (`JobId(1a2b3c4d…)`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdRef {
    /// Boxed, not a `String`: two IDs travel in every event, and the capacity word was 16
    /// of its bytes.
    pub text: Box<str>,
    pub truncated: bool,
}

impl IdRef {
    pub fn full(text: impl Into<Box<str>>) -> IdRef {
        IdRef {
            text: text.into(),
            truncated: false,
        }
    }
    #[cfg(test)]
    pub fn truncated(text: impl Into<Box<str>>) -> IdRef {
        IdRef {
            text: text.into(),
            truncated: true,
        }
    }

    /// Does the ID the user typed (full, or a prefix) name the same ID as this one?
    /// A truncated ID shows only a prefix, so the shorter of the two must prefix the longer.
    pub fn matches_query(&self, query: &str) -> bool {
        if self.truncated {
            if query.len() >= self.text.len() {
                query.starts_with(&*self.text)
            } else {
                self.text.starts_with(query)
            }
        } else {
            self.text.starts_with(query)
        }
    }

    /// The form shown to users: the full ID, or the prefix followed by `…`.
    pub fn display(&self) -> String {
        if self.truncated {
            format!("{}…", self.text)
        } else {
            self.text.to_string()
        }
    }
}

/// An event's fields. The map is boxed: most events the shown outputs read have none, and an
/// empty map still took 72 of an event's bytes, copied with it between threads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields(Option<Box<Map<String, Value>>>);

impl Deref for Fields {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
        self.0.as_deref().unwrap_or(&EMPTY)
    }
}

impl DerefMut for Fields {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        self.0.get_or_insert_with(Box::default)
    }
}

impl From<Map<String, Value>> for Fields {
    fn from(map: Map<String, Value>) -> Fields {
        Fields((!map.is_empty()).then(|| Box::new(map)))
    }
}

impl Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

/// Where an event was read: a file and the 1-based line its first physical line was on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub path: Arc<str>,
    pub line: u64,
}

/// One log event, whatever shape it arrived in.
#[derive(Clone, Debug)]
pub struct Event {
    /// The event's own time, or the backend's envelope time when the line carries none.
    pub ts: Option<Timestamp>,
    /// The time used to order the event: `ts`, or for an untimed line the time of the event before it.
    pub sort_ts: Timestamp,
    pub level: Option<Level>,
    pub target: Option<String>,
    /// The message with ANSI escapes removed.
    pub message: String,
    /// Event fields and span fields together (event fields win on a clash).
    pub fields: Fields,
    /// `fields` and `target` were left unparsed: they are those of the JSON line in `raw`,
    /// read from it by the JSON output (see [`crate::parse::Keep::Json`]).
    pub fields_in_raw: bool,
    pub job_id: Option<IdRef>,
    pub worker_id: Option<IdRef>,
    pub phase: Option<Phase>,
    /// The release template the message matches (what it says about a job or worker).
    pub template: Option<&'static crate::parse::templates::Template>,
    /// Its stream showed a real release (not DOMAIN.md's documented shape).
    pub release: bool,
    /// Label of the source (host, pod/container, file stem) the event came from.
    pub source: Arc<str>,
    pub role: Option<Role>,
    pub origin: Option<Origin>,
    /// Every physical line of the event as read, ANSI included, joined with `\n`.
    pub raw: Vec<u8>,
    /// Shown to explain a job without naming it (job trail only).
    pub context: bool,
    /// Position within its stream, to keep stream order among equal times.
    pub seq: u64,
    /// The host's estimated clock offset, subtracted from `ts` to give the aligned time
    /// (`clock::aligned_key`); None when unknown or alignment is off.
    pub shift_us: Option<i64>,
}

#[cfg(test)]
impl Event {
    /// A line of `source` saying `message` (its raw bytes), nothing derived from it: tests
    /// set the fields they need over it.
    pub fn test_line(source: &str, ts: Option<Timestamp>, message: &str) -> Event {
        Event {
            ts,
            sort_ts: ts.unwrap_or_default(),
            level: None,
            target: None,
            message: message.into(),
            fields: Default::default(),
            fields_in_raw: false,
            job_id: None,
            worker_id: None,
            phase: None,
            template: None,
            release: false,
            source: Arc::from(source),
            role: None,
            origin: None,
            raw: message.as_bytes().to_vec(),
            context: false,
            seq: 0,
            shift_us: None,
        }
    }
}

impl Event {
    /// The logged time corrected by the host's clock offset, when one is known.
    pub fn ts_aligned(&self) -> Option<Timestamp> {
        Some(Timestamp(self.ts?.0.saturating_sub(self.shift_us?)))
    }

    pub fn raw_lossy(&self) -> std::borrow::Cow<'_, str> {
        // `from_utf8` checks ASCII a word at a time; the lossy walk goes byte by byte.
        match std::str::from_utf8(&self.raw) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&self.raw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_read_in_any_case_with_syslog_words() {
        for (text, level) in [
            ("INFO", Some(Level::Info)),
            ("warn", Some(Level::Warn)),
            (" Warning ", Some(Level::Warn)),
            ("err", Some(Level::Error)),
            ("Crit", Some(Level::Error)),
            ("fatal", Some(Level::Error)),
            ("notice", Some(Level::Info)),
            ("d", Some(Level::Debug)),
            ("TRACE", Some(Level::Trace)),
            ("", None),
            ("verbose", None),
            ("INFOS", None),
        ] {
            assert_eq!(Level::parse(text), level, "{text:?}");
        }
    }
}
