//! Derives job ID, worker ID and phase for an event: structured fields first, then the message
//! shapes the real coordinator and worker print, truncated IDs included. The phase is derived
//! twice: the release templates' own (`parse::templates`), and DOMAIN.md's loose words for
//! streams that never show a real release (the stream parser picks one).

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde_json::{Map, Value};

use crate::event::{IdRef, Phase};
use crate::parse::templates::{self, Matched};

// Searchers built once: `str::find` sets up a new two-way searcher on every call, which cost
// more than the search itself on short messages.
static JOB_ID_WRAP: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("JobId("));
static WORKER_ID_WRAP: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("WorkerId("));
static JOB_ID_WORDS: LazyLock<[Finder<'static>; 2]> =
    LazyLock::new(|| [Finder::new("job_id "), Finder::new("job_id=")]);
static WORKER_ID_WORDS: LazyLock<[Finder<'static>; 2]> =
    LazyLock::new(|| [Finder::new("worker_id "), Finder::new("worker_id=")]);

/// What an event's message and fields say about job, worker and phase.
#[derive(Debug, Default, PartialEq)]
pub struct Derived {
    pub job_id: Option<IdRef>,
    pub worker_id: Option<IdRef>,
    /// The `phase` field, else what DOMAIN.md's loose words imply.
    pub phase: Option<Phase>,
    /// The phase came from a structured field (it wins over every rule).
    pub field_phase: bool,
    /// The release template the message matches.
    pub matched: Option<Matched>,
}

/// Where derive reads an event's structured fields: its field map, or a line not yet built
/// into one.
pub trait StrFields {
    /// The field's value when it is a string.
    fn str_field(&self, key: &str) -> Option<Cow<'_, str>>;
}

impl StrFields for Map<String, Value> {
    fn str_field(&self, key: &str) -> Option<Cow<'_, str>> {
        self.get(key).and_then(Value::as_str).map(Cow::Borrowed)
    }
}

pub fn derive(message: &str, fields: &impl StrFields) -> Derived {
    with_ids(derive_phase(message, fields), message, fields)
}

/// [`derive_phase`]'s result completed with the job and worker IDs: [`derive`] in two steps,
/// for a caller that may not need the IDs once it knows the phase.
pub fn with_ids(phase: Derived, message: &str, fields: &impl StrFields) -> Derived {
    let mut out = Derived {
        job_id: field_id(fields, "job_id", "JobId("),
        worker_id: field_id(fields, "worker_id", "WorkerId("),
        ..phase
    };
    if out.job_id.is_none() || out.worker_id.is_none() {
        let ids = ids_in_message(message);
        if out.job_id.is_none() {
            out.job_id = ids.job;
        }
        if out.worker_id.is_none() {
            out.worker_id = ids.worker;
        }
    }
    out
}

/// What the phase hangs on, without the IDs: a `phase` field, else the message's template
/// and its loose words.
pub fn derive_phase(message: &str, fields: &impl StrFields) -> Derived {
    let field = fields
        .str_field("phase")
        .filter(|s| !s.is_empty())
        .map(|s| Phase::new(&s));
    let field_phase = field.is_some();
    Derived {
        phase: field.or_else(|| phase_from_message(message)),
        field_phase,
        matched: templates::lookup(message),
        ..Derived::default()
    }
}

fn field_id(fields: &impl StrFields, key: &str, wrapper: &str) -> Option<IdRef> {
    let value = fields.str_field(key)?;
    let text = value.trim();
    if text.is_empty() {
        return None;
    }
    // A field recorded with Debug formatting shows the wrapper type: `JobId(1a2b3c4d…)`.
    if let Some(inner) = text.strip_prefix(wrapper) {
        return wrapped_id(inner).map(|(id, _)| id);
    }
    Some(IdRef::full(text.trim_matches('"')))
}

#[derive(Debug, Default)]
pub struct MessageIds {
    pub job: Option<IdRef>,
    pub worker: Option<IdRef>,
}

/// Finds the first job and worker ID a message names.
pub fn ids_in_message(msg: &str) -> MessageIds {
    let mut ids = MessageIds::default();
    if let Some(pos) = JOB_ID_WRAP.find(msg.as_bytes()) {
        ids.job = wrapped_id(&msg[pos + 6..]).map(|(id, _)| id);
    }
    if let Some(pos) = WORKER_ID_WRAP.find(msg.as_bytes()) {
        ids.worker = wrapped_id(&msg[pos + 9..]).map(|(id, _)| id);
    }
    if ids.job.is_none() {
        ids.job = JOB_ID_WORDS.iter().find_map(|key| word_after(msg, key));
    }
    if ids.worker.is_none() {
        ids.worker = WORKER_ID_WORDS.iter().find_map(|key| word_after(msg, key));
    }
    if ids.worker.is_none() {
        // The coordinator names the registering worker whole when its ID changed:
        // `Worker ID mismatch: expected <full>, got <full>`.
        if let Some(rest) = msg.strip_prefix("Worker ID mismatch: expected ") {
            let id = rest.split(',').next().unwrap_or_default();
            if !id.is_empty() && !id.contains(' ') {
                ids.worker = Some(IdRef::full(id));
            }
        }
    }
    if ids.worker.is_none() {
        // v0.18's recovery handshake names the worker whole: `[Recovery] <id>: …`.
        if let Some((id, _)) = msg
            .strip_prefix("[Recovery] ")
            .and_then(|rest| rest.split_once(": "))
            .filter(|(id, _)| !id.is_empty() && !id.contains(' '))
        {
            ids.worker = Some(IdRef::full(id));
        }
    }
    if ids.worker.is_none() {
        if let Some(id) = msg.strip_suffix(" registered successfully") {
            let id = id.rsplit(' ').next().unwrap_or(id);
            if !id.is_empty() {
                ids.worker = Some(IdRef::full(id));
            }
        }
    }
    if ids.job.is_some() && ids.worker.is_some() {
        return ids;
    }
    let bytes = msg.as_bytes();
    for start in uuid_positions(bytes) {
        let uuid = &msg[start..start + 36];
        if names_a_worker(&msg[..start], &msg[start + 36..]) {
            if ids.worker.is_none() {
                ids.worker = Some(IdRef::full(uuid));
            }
        } else if ids.job.is_none() {
            ids.job = Some(IdRef::full(uuid));
        }
    }
    ids
}

/// The words around a bare UUID that make it a worker's rather than a job's.
fn names_a_worker(before: &str, after: &str) -> bool {
    let before = before.trim_end_matches([' ', ':']);
    after.starts_with(" registered")
        || before.ends_with("Worker")
        || before.ends_with("worker")
        || before.ends_with("Worker ID")
        || before.ends_with("worker_id")
}

/// The ID inside `JobId(…)`/`WorkerId(…)`, given the text after the opening parenthesis.
pub fn wrapped(inner: &str) -> Option<IdRef> {
    wrapped_id(inner).map(|(id, _)| id)
}

/// The ID inside `JobId(…)`/`WorkerId(…)` (after the opening parenthesis), and whether it
/// was cut short (`…` or `...` before the closing parenthesis).
fn wrapped_id(inner: &str) -> Option<(IdRef, usize)> {
    // memchr: `str::find` with a char searched byte by byte here, on every event.
    let end = memchr::memchr(b')', inner.as_bytes())?;
    let body = &inner[..end];
    let (text, truncated) = if let Some(t) = body.strip_suffix('…') {
        (t, true)
    } else if let Some(t) = body.strip_suffix("...") {
        (t, true)
    } else {
        (body, false)
    };
    let text = text.trim_matches('"');
    if text.is_empty() || text.contains(char::is_whitespace) {
        return None;
    }
    Some((
        IdRef {
            text: text.into(),
            truncated,
        },
        end + 1,
    ))
}

fn word_after(msg: &str, key: &Finder) -> Option<IdRef> {
    let pos = key.find(msg.as_bytes())?;
    let rest = msg[pos + key.needle().len()..].trim_start_matches('"');
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == ',' || c == ')' || c == ';')
        .unwrap_or(rest.len());
    let word = &rest[..end];
    if let Some(inner) = word
        .strip_prefix("JobId(")
        .or_else(|| word.strip_prefix("WorkerId("))
    {
        return wrapped_id(inner).map(|(id, _)| id);
    }
    (!word.is_empty()).then(|| IdRef::full(word))
}

/// Start offsets of every canonical 8-4-4-4-12 hex UUID in `s`.
pub fn uuid_positions(s: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'-', s).filter_map(move |dash| {
        let start = dash.checked_sub(8)?;
        (is_uuid_at(s, start) && (start == 0 || !s[start - 1].is_ascii_hexdigit())).then_some(start)
    })
}

pub fn is_uuid_at(s: &[u8], start: usize) -> bool {
    if s.len() < start + 36 {
        return false;
    }
    let u = &s[start..start + 36];
    let ok = u.iter().enumerate().all(|(i, &c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_hexdigit(),
    });
    ok && s
        .get(start + 36)
        .is_none_or(|c| !c.is_ascii_hexdigit() && *c != b'-')
}

pub fn is_uuid(s: &str) -> bool {
    s.len() == 36 && is_uuid_at(s.as_bytes(), 0)
}

/// The phase DOMAIN.md's loose words imply, for streams that show no real release: the
/// bracketed tags first, then the worker's words. First match wins.
type PhaseOf = fn() -> Phase;

const PHASE_WORDS: [(&str, PhaseOf); 10] = [
    ("[Phase1", Phase::contributions),
    ("[Phase2", Phase::prove),
    ("[Phase3", Phase::aggregate),
    ("[Execution]", Phase::execution),
    ("Contribution", Phase::contributions),
    ("ggregat", Phase::aggregate),
    ("recurser", Phase::aggregate),
    ("Prove", Phase::prove),
    ("proof", Phase::prove),
    ("Execution", Phase::execution),
];

/// The message words a line of `phase` shows (exact case): DOMAIN.md's words for it (the
/// release templates' tags all contain one), and the coordinator lines whose phase is the
/// job's (`Failed job`, `Cancelled job`) with those that move a job between phases, and the
/// early coordinator lines that show a real release (so that its lines are read by its rules).
pub fn phase_words(phase: &Phase) -> Vec<&'static str> {
    let words = PHASE_WORDS
        .iter()
        .filter(|(_, p)| p().matches(phase))
        .map(|(word, _)| *word);
    let job_phase = ["[Phase", "Assigned worker", "Failed job", "Cancelled job"];
    let release = ["registered successfully", "listening on"];
    words.chain(job_phase).chain(release).collect()
}

pub fn phase_from_message(msg: &str) -> Option<Phase> {
    static FINDERS: LazyLock<Vec<Finder<'static>>> =
        LazyLock::new(|| PHASE_WORDS.iter().map(|(w, _)| Finder::new(w)).collect());
    FINDERS
        .iter()
        .zip(PHASE_WORDS)
        .find(|(finder, _)| finder.find(msg.as_bytes()).is_some())
        .map(|(_, (_, phase))| phase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "1a2b3c4d-0000-4000-8000-00000000abcd";
    const WORKER: &str = "9f8e7d6c-1111-4111-8111-111111111111";

    fn msg(m: &str) -> Derived {
        derive(m, &Map::new())
    }

    #[test]
    fn truncated_ids_in_coordinator_messages() {
        let d = msg("[Phase2] WorkerId(9f8e7d6c…) finished phase 2 for JobId(1a2b3c4d…) (2 / 3 workers done, 4.1s)");
        assert_eq!(d.job_id, Some(IdRef::truncated("1a2b3c4d")));
        assert_eq!(d.worker_id, Some(IdRef::truncated("9f8e7d6c")));
        assert_eq!(d.phase, Some(Phase::prove()));
        let dots = msg("Cancelled job JobId(1a2b3c4d...)");
        assert_eq!(dots.job_id, Some(IdRef::truncated("1a2b3c4d")));
        let short = msg("Worker WorkerId(gpu-07) disconnected");
        assert_eq!(short.worker_id, Some(IdRef::full("gpu-07")));
    }

    #[test]
    fn full_ids_in_messages() {
        let d = msg(&format!(
            "[Setup] job_id {JOB} Received setup for hash_id abc"
        ));
        assert_eq!(d.job_id, Some(IdRef::full(JOB)));
        let r = msg(&format!("{WORKER} registered successfully"));
        assert_eq!(r.worker_id, Some(IdRef::full(WORKER)));
        assert_eq!(r.job_id, None);
        let both = msg(&format!(
            "Worker {WORKER} connection dropped while computing for job {JOB}"
        ));
        assert_eq!(both.worker_id, Some(IdRef::full(WORKER)));
        assert_eq!(both.job_id, Some(IdRef::full(JOB)));
    }

    #[test]
    fn full_worker_ids_the_releases_print() {
        let r = msg("[Recovery] gpu-node-02: running cluster cancellation handshake");
        assert_eq!(r.worker_id, Some(IdRef::full("gpu-node-02")));
        let m = msg("Worker ID mismatch: expected 9f8e7d6c5b4a39281706f5e4d3c2b1a0, got other");
        assert_eq!(
            m.worker_id,
            Some(IdRef::full("9f8e7d6c5b4a39281706f5e4d3c2b1a0"))
        );
        let b = msg("WorkerId(gpu-node…) registered successfully");
        assert_eq!(b.worker_id, Some(IdRef::truncated("gpu-node")));
    }

    #[test]
    fn structured_fields_win() {
        let mut f = Map::new();
        f.insert("job_id".into(), Value::String(JOB.into()));
        f.insert("phase".into(), Value::String("prove".into()));
        let d = derive("Computing Contribution for JobId(ffffffff…)", &f);
        assert_eq!(d.job_id, Some(IdRef::full(JOB)));
        assert_eq!(d.phase, Some(Phase::prove()));
    }

    #[test]
    fn phase_words() {
        assert_eq!(
            msg("Computing Contribution for JobId(1a2b3c4d…)").phase,
            Some(Phase::contributions())
        );
        assert_eq!(
            msg("Failed to generate proof for JobId(1a2b3c4d…): boom").phase,
            Some(Phase::prove())
        );
        assert_eq!(
            msg("Starting aggregation step for JobId(1a2b3c4d…)").phase,
            Some(Phase::aggregate())
        );
        assert_eq!(
            msg(
                "[Phase3] Assigned worker WorkerId(9f8e7d6c…) as recurser for job JobId(1a2b3c4d…)"
            )
            .phase,
            Some(Phase::aggregate())
        );
        assert_eq!(msg("Registration accepted: ok").phase, None);
        assert_eq!(
            super::phase_words(&Phase::prove())[..3],
            ["[Phase2", "Prove", "proof"]
        );
        assert_eq!(super::phase_words(&Phase::new("Setup")).len(), 6);
    }
}
