//! The cheap byte test run on an event's raw text before it is parsed: events that cannot
//! match the filters are dropped without parsing. Exact by construction: a test only rejects
//! text that no parse could turn into a matching event (escapes and ANSI always pass).

use std::sync::Arc;

use aho_corasick::{packed, AhoCorasick, AhoCorasickKind, Input, Match, MatchKind, Span};

use super::lines::LineLiteral;
use super::Envelope;
use crate::event::{Level, Phase};
use crate::time::Timestamp;

/// A conjunction of groups; an event passes a group when one of the group's patterns occurs
/// in its raw text and that occurrence passes the pattern's check.
#[derive(Clone, Debug, Default)]
pub struct Prefilter {
    groups: Arc<Vec<Group>>,
    /// The group `and_phase` added: a worker's lines take its window's phase without showing
    /// it, so its streams drop that group (see [`Prefilter::without_phase`]).
    phase_group: Option<usize>,
    /// The phase `and_phase` asks for. Past the bytes, a line the scan parses whose phase
    /// cannot be it whatever the stream's state is passed over as this test's rejects are
    /// (see [`crate::parse::phases::never_of`]); a worker's streams keep it.
    phase: Option<Phase>,
}

#[derive(Debug)]
struct Group {
    ac: AhoCorasick,
    /// For several patterns, a SIMD (Teddy) search for the same patterns: it finds the same
    /// leftmost-first match, without the automaton's byte-by-byte walk from every start byte.
    packed: Option<packed::Searcher>,
    checks: Vec<Check>,
    /// The group's pattern, when it is one literal that is enough by itself.
    literal: Option<LineLiteral>,
    /// The envelope can supply what this group tests (then the text need not show it).
    bypass: Bypass,
}

#[derive(Debug, Clone)]
enum Check {
    /// The pattern itself is enough.
    Hit,
    /// The pattern is a window of `needle` (lower case) starting `at` bytes into it; the whole
    /// needle must occur there, ASCII case ignored.
    CiWord { needle: Box<[u8]>, at: usize },
    /// The pattern is a JSON key naming the level (`"level"`); its string value must parse to
    /// a level at least as severe as `max`.
    JsonLevel { max: Level },
    /// The pattern counts only on a line whose leading time (see [`leading_time`]) is within
    /// the window, or that shows none there: for lines read only for what they tell beside the
    /// output (a trail's other jobs' steps, whose pairs pin the clocks), which the selection
    /// takes only from that window. The read around it is minutes wider.
    Within {
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Bypass {
    Never,
    EnvelopeLevel,
    EnvelopeField(&'static str),
    EnvelopeLevelOrField(&'static str),
}

/// Text containing these always passes: a `\u` escape can spell anything in JSON, and ANSI
/// sequences are removed before parsing, so they can split any word.
fn always_passes(raw: &[u8]) -> bool {
    super::lines::hides_text(raw)
}

/// The patterns that show a level at least as severe as `max`.
fn level_patterns(group: GroupBuilder, max: Level) -> GroupBuilder {
    let words = [
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Trace,
    ];
    let group = words
        .iter()
        .filter(|l| **l <= max)
        .fold(group, |g, l| g.hit(l.as_str()));
    crate::parse::json::LEVEL_KEYS
        .iter()
        .fold(group, |g, k| g.json_level(k, max))
}

/// Builds one group; `Hit` patterns first, so that at one position they win over checks.
struct GroupBuilder {
    patterns: Vec<(Vec<u8>, Check)>,
}

impl Group {
    fn duplicate(&self) -> Group {
        Group {
            ac: self.ac.clone(),
            packed: self.packed.clone(),
            checks: self.checks.clone(),
            literal: self.literal.clone(),
            bypass: self.bypass,
        }
    }
}

impl GroupBuilder {
    fn new() -> GroupBuilder {
        GroupBuilder {
            patterns: Vec::new(),
        }
    }

    fn hit(mut self, literal: &str) -> GroupBuilder {
        if !literal.is_empty() {
            self.patterns
                .push((literal.as_bytes().to_vec(), Check::Hit));
        }
        self
    }

    /// `word` anywhere, ASCII case ignored: every case variant of a short window, then a check.
    fn ci_word(mut self, word: &str) -> GroupBuilder {
        let needle = word.to_ascii_lowercase().into_bytes();
        if needle.is_empty() {
            return self;
        }
        let window = needle.len().min(4);
        let at = 0;
        let letters: Vec<usize> = (0..window)
            .filter(|&i| needle[i].is_ascii_alphabetic())
            .collect();
        for mask in 0u32..(1 << letters.len()) {
            let mut variant = needle[at..at + window].to_vec();
            for (bit, &i) in letters.iter().enumerate() {
                if mask & (1 << bit) != 0 {
                    variant[i] = variant[i].to_ascii_uppercase();
                }
            }
            let check = if window == needle.len() {
                Check::Hit
            } else {
                Check::CiWord {
                    needle: needle.clone().into_boxed_slice(),
                    at,
                }
            };
            self.patterns.push((variant, check));
        }
        self
    }

    /// Each of `literals`, counted only on a line timed within `window` (see [`Check::Within`]).
    fn hits_within(
        mut self,
        literals: &[String],
        (since, until): (Option<Timestamp>, Option<Timestamp>),
    ) -> GroupBuilder {
        for literal in literals.iter().filter(|l| !l.is_empty()) {
            self.patterns
                .push((literal.as_bytes().to_vec(), Check::Within { since, until }));
        }
        self
    }

    fn json_level(mut self, key: &str, max: Level) -> GroupBuilder {
        self.patterns
            .push((format!("\"{key}\"").into_bytes(), Check::JsonLevel { max }));
        self
    }

    fn build(mut self, bypass: Bypass) -> Group {
        // Stable: Hit patterns keep their order ahead of the checked ones.
        self.patterns.sort_by_key(|(_, c)| !matches!(c, Check::Hit));
        let mut seen = std::collections::HashSet::new();
        self.patterns.retain(|(p, _)| seen.insert(p.clone()));
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::DFA))
            .build(self.patterns.iter().map(|(p, _)| p))
            .or_else(|_| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(self.patterns.iter().map(|(p, _)| p))
            })
            .expect("a few short literals always build");
        let packed = (self.patterns.len() > 1)
            .then(|| {
                packed::Config::new()
                    .match_kind(packed::MatchKind::LeftmostFirst)
                    .builder()
                    .extend(self.patterns.iter().map(|(p, _)| p))
                    .build()
            })
            .flatten();
        let literal = match &self.patterns[..] {
            [(pattern, Check::Hit)] => LineLiteral::new(pattern),
            _ => None,
        };
        Group {
            ac,
            packed,
            checks: self.patterns.into_iter().map(|(_, c)| c).collect(),
            literal,
            bypass,
        }
    }
}

impl Prefilter {
    /// Passes text containing any one of these literals (case-sensitive).
    pub fn any_of(literals: &[String]) -> Prefilter {
        Prefilter::default().and_any_of(literals)
    }

    /// [`Prefilter::any_of`], also passing a line timed within `window` (or untimed) that holds
    /// one of `also`.
    pub fn any_of_or_within(
        literals: &[String],
        also: &[String],
        window: (Option<Timestamp>, Option<Timestamp>),
    ) -> Prefilter {
        let group = literals
            .iter()
            .fold(GroupBuilder::new(), |g, l| g.hit(l))
            .hits_within(also, window)
            .build(Bypass::Never);
        Prefilter::default().and(group)
    }

    /// Also requires one of these literals (case-sensitive).
    pub fn and_any_of(self, literals: &[String]) -> Prefilter {
        let group = literals
            .iter()
            .fold(GroupBuilder::new(), |g, l| g.hit(l))
            .build(Bypass::Never);
        self.and(group)
    }

    /// Also requires what an event naming this job ID must show: the literal, or a `job_id`
    /// field from the envelope.
    pub fn and_job(self, literal: &str) -> Prefilter {
        let group = GroupBuilder::new()
            .hit(literal)
            .build(Bypass::EnvelopeField("job_id"));
        self.and(group)
    }

    /// Also requires what an event of this phase must show: the phase name in any case (a
    /// `phase` field), or one of the words the phase is derived from in messages.
    pub fn and_phase(self, phase: &str, words: &[&str]) -> Prefilter {
        let group = words
            .iter()
            .fold(GroupBuilder::new().ci_word(phase.trim()), |g, w| g.hit(w))
            .build(Bypass::EnvelopeField("phase"));
        let at = self.groups.len();
        let mut p = self.and(group);
        p.phase_group = Some(at);
        p.phase = Some(Phase::new(phase));
        p
    }

    /// The phase every event that passes must be of: the scan passes over a line it parses
    /// whose phase cannot be it.
    pub fn phase(&self) -> Option<&Phase> {
        self.phase.as_ref()
    }

    /// The same test without the phase group: for a worker's stream, whose lines inside a
    /// phase window carry the phase without naming it.
    pub fn without_phase(&self) -> Prefilter {
        let Some(at) = self.phase_group else {
            return self.clone();
        };
        let groups = self
            .groups
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != at)
            .map(|(_, g)| g.duplicate())
            .collect();
        Prefilter {
            groups: Arc::new(groups),
            phase_group: None,
            phase: self.phase.clone(),
        }
    }

    /// Also requires a level at least as severe as `max`: the upper-case level word the text
    /// formats print, or a JSON level key whose value parses to such a level.
    pub fn and_level(self, max: Level) -> Prefilter {
        if max == Level::Trace {
            return self;
        }
        let group = level_patterns(GroupBuilder::new(), max).build(Bypass::EnvelopeLevel);
        self.and(group)
    }

    /// Also requires that the event names this job (its literal) or has a level at least as
    /// severe as `max`: what the job trail keeps of a worker's lines.
    pub fn and_job_or_level(self, literal: &str, max: Level) -> Prefilter {
        let group = level_patterns(GroupBuilder::new().hit(literal), max)
            .build(Bypass::EnvelopeLevelOrField("job_id"));
        self.and(group)
    }

    /// [`Prefilter::and_job_or_level`], also passing a line timed within `window` (or untimed)
    /// that holds one of `also`.
    pub fn and_job_or_level_or(
        self,
        literal: &str,
        max: Level,
        also: &[String],
        window: (Option<Timestamp>, Option<Timestamp>),
    ) -> Prefilter {
        let group = level_patterns(GroupBuilder::new().hit(literal), max)
            .hits_within(also, window)
            .build(Bypass::EnvelopeLevelOrField("job_id"));
        self.and(group)
    }

    fn and(self, group: Group) -> Prefilter {
        let (phase_group, phase) = (self.phase_group, self.phase);
        let mut groups: Vec<Group> = Arc::try_unwrap(self.groups)
            .unwrap_or_else(|a| a.iter().map(Group::duplicate).collect());
        groups.push(group);
        Prefilter {
            groups: Arc::new(groups),
            phase_group,
            phase,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub fn may_match(&self, raw: &[u8]) -> bool {
        self.may_match_with(raw, &Envelope::default())
    }

    /// Like [`Prefilter::may_match`], for text that came with a backend's envelope.
    pub fn may_match_with(&self, raw: &[u8], envelope: &Envelope) -> bool {
        self.groups.is_empty()
            || always_passes(raw)
            || self
                .groups
                .iter()
                .all(|g| g.bypassed(envelope) || g.passes(raw))
    }

    /// [`Prefilter::may_match`] for text known to pass the first group.
    pub fn may_match_after_first(&self, raw: &[u8]) -> bool {
        self.groups.iter().skip(1).all(|g| g.passes(raw)) || always_passes(raw)
    }

    /// The first group's pattern, when it is one literal that is enough by itself: then a line
    /// may pass that group exactly when it holds the literal.
    pub fn first_literal(&self) -> Option<&LineLiteral> {
        self.groups.first().and_then(|g| g.literal.as_ref())
    }

    /// In `block` (whole lines), the first line at or after `from` that may pass the first
    /// group by its bytes, as its start and end (after its `\n`, or the block's end: the
    /// search found both, and the scan reads the line next); `None` when no line may. Lines
    /// before it cannot pass this prefilter, unless their bytes hide text from it (see
    /// [`super::lines::hides_text`]).
    pub fn next_candidate(&self, block: &[u8], from: usize) -> Option<(usize, usize)> {
        let Some(group) = self.groups.first() else {
            return (from < block.len()).then(|| (from, super::scan::line_end(block, from)));
        };
        let mut at = from;
        while at < block.len() {
            let m = group.find(block, at)?;
            let start = memchr::memrchr(b'\n', &block[..m.start()]).map_or(0, |p| p + 1);
            let end =
                memchr::memchr(b'\n', &block[m.start()..]).map_or(block.len(), |p| m.start() + p);
            if group.check(
                m.pattern().as_usize(),
                &block[start..end],
                m.start() - start,
            ) {
                return Some((start.max(from), (end + 1).min(block.len())));
            }
            at = m.start() + 1;
        }
        None
    }
}

impl Group {
    fn bypassed(&self, envelope: &Envelope) -> bool {
        match self.bypass {
            Bypass::Never => false,
            Bypass::EnvelopeLevel => envelope.level.is_some(),
            Bypass::EnvelopeField(key) => envelope
                .fields
                .as_ref()
                .is_some_and(|f| f.contains_key(key)),
            Bypass::EnvelopeLevelOrField(key) => {
                envelope.level.is_some()
                    || envelope
                        .fields
                        .as_ref()
                        .is_some_and(|f| f.contains_key(key))
            }
        }
    }

    /// The leftmost-first match of a pattern in `haystack` from `at` on.
    fn find(&self, haystack: &[u8], at: usize) -> Option<Match> {
        match &self.packed {
            Some(packed) => packed.find_in(haystack, Span::from(at..haystack.len())),
            None => self.ac.find(Input::new(haystack).span(at..haystack.len())),
        }
    }

    fn passes(&self, raw: &[u8]) -> bool {
        let mut at = 0;
        while at < raw.len() {
            let Some(m) = self.find(raw, at) else {
                return false;
            };
            if self.check(m.pattern().as_usize(), raw, m.start()) {
                return true;
            }
            at = m.start() + 1;
        }
        false
    }

    /// Does the occurrence of pattern `pattern` at `pos` in `text` count?
    fn check(&self, pattern: usize, text: &[u8], pos: usize) -> bool {
        match &self.checks[pattern] {
            Check::Hit => true,
            Check::CiWord { needle, at } => pos
                .checked_sub(*at)
                .and_then(|start| text.get(start..start + needle.len()))
                .is_some_and(|w| w.eq_ignore_ascii_case(needle)),
            Check::JsonLevel { max } => json_level_at_least(text, pos, *max),
            Check::Within { since, until } => leading_time(text)
                .is_none_or(|t| since.is_none_or(|s| t >= s) && until.is_none_or(|u| t <= u)),
        }
    }
}

/// The time a line begins with, read without parsing it: the text formats' leading RFC 3339
/// time, or a JSON line's first member when it is tracing's `"timestamp"`.
fn leading_time(line: &[u8]) -> Option<Timestamp> {
    let rest = line.strip_prefix(b"{\"timestamp\":\"").unwrap_or(line);
    Timestamp::parse_rfc3339_prefix(rest).map(|(t, _)| t)
}

/// At `pos` in `text` is a quoted key; is it followed by `: "<value>"` where the value parses
/// to a level at least as severe as `max`? Escaped or undecodable values count as yes.
fn json_level_at_least(text: &[u8], pos: usize, max: Level) -> bool {
    let Some(close) = memchr::memchr(b'"', &text[pos + 1..]) else {
        return false;
    };
    let mut i = pos + 1 + close + 1;
    let skip_ws = |i: &mut usize| {
        while text.get(*i).is_some_and(|c| b" \t\r\n".contains(c)) {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if text.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    skip_ws(&mut i);
    if text.get(i) != Some(&b'"') {
        return false;
    }
    let value_start = i + 1;
    let Some(end) = memchr::memchr2(b'"', b'\\', &text[value_start..]) else {
        return true;
    };
    if text[value_start + end] == b'\\' {
        return true;
    }
    match std::str::from_utf8(&text[value_start..value_start + end]) {
        Ok(v) => Level::parse(v).is_some_and(|l| l <= max),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_anded_and_words_ored() {
        let p = Prefilter::default()
            .and_job("1a2b3c4d")
            .and_phase("Prove", &["Prove", "proof", "[Phase2"]);
        assert!(p.may_match(b"x 1a2b3c4d proof"));
        assert!(p.may_match(b"x 1a2b3c4d phase=PROVE"));
        assert!(!p.may_match(b"x 1a2b3c4d Contributions"));
        assert!(!p.may_match(b"x Prove"));
        assert!(p.may_match(b"x 1a2b3c4d \x1b[1mPro\x1b[0mve"));
    }

    #[test]
    fn long_phase_names_are_matched_whole_in_any_case() {
        let p = Prefilter::default().and_phase("ContributionsInputsStream", &[]);
        assert!(p.may_match(b"phase: \"contributionsINPUTSstream\""));
        assert!(!p.may_match(b"phase: \"contributions\" cont cont"));
    }

    #[test]
    fn job_or_level_keeps_either_and_trusts_the_envelope() {
        let p = Prefilter::default().and_job_or_level("1a2b3c4d", Level::Warn);
        assert!(p.may_match(
            b"2026-11-21T10:00:00Z INFO: Computing Prove for JobId(1a2b3c4d\xe2\x80\xa6)"
        ));
        assert!(p.may_match(b"2026-11-21T10:00:00Z WARN: GPU memory pressure high"));
        assert!(p.may_match(br#"{"level":"ERROR","fields":{"message":"x"}}"#));
        assert!(!p.may_match(b"2026-11-21T10:00:00Z INFO: heartbeat"));
        let stamped = Envelope {
            level: Some(Level::Error),
            ..Envelope::default()
        };
        assert!(p.may_match_with(b"Main process exited, code=exited", &stamped));
    }

    #[test]
    fn literals_read_for_a_window_count_only_on_lines_timed_in_it() {
        let t = |s: &str| Timestamp::parse_rfc3339_prefix(s.as_bytes()).map(|(t, _)| t);
        let window = (t("2026-11-21T10:00:00Z"), t("2026-11-21T10:01:00Z"));
        let also = ["Computing Prove".to_string()];
        let p = Prefilter::default().and_job_or_level_or("1a2b3c4d", Level::Warn, &also, window);
        assert!(p.may_match(b"2026-11-21T10:00:30.5Z INFO: Computing Prove for JobId(99aa88bb)"));
        assert!(p.may_match(
            br#"{"timestamp":"2026-11-21T10:00:59Z","fields":{"message":"Computing Prove for x"}}"#
        ));
        // Outside the window: the line is kept only for what else it shows.
        assert!(!p.may_match(b"2026-11-21T10:05:00Z INFO: Computing Prove for JobId(99aa88bb)"));
        assert!(!p.may_match(
            br#"{"timestamp":"2026-11-21T09:59:00Z","fields":{"message":"Computing Prove for x"}}"#
        ));
        assert!(p.may_match(b"2026-11-21T10:05:00Z INFO: Computing Prove for JobId(1a2b3c4d)"));
        assert!(p.may_match(b"2026-11-21T10:05:00Z WARN: Computing Prove for JobId(99aa88bb)"));
        // No leading time to tell by (another key first, an envelope's time): it may pass.
        assert!(p.may_match(br#"{"level":"INFO","fields":{"message":"Computing Prove for x"}}"#));
        assert!(p.may_match(b"Computing Prove for JobId(99aa88bb)"));
        let block = b"2026-11-21T09:00:00Z INFO: Computing Prove\n2026-11-21T10:00:01Z INFO: Computing Prove\n";
        let q = Prefilter::any_of_or_within(&["1a2b3c4d".into()], &also, window);
        assert_eq!(q.next_candidate(block, 0).map(|c| c.0), Some(43));
    }

    #[test]
    fn levels_in_text_and_json() {
        let p = Prefilter::default().and_level(Level::Warn);
        assert!(p.may_match(b"2026-11-21T10:00:00Z  WARN x: y"));
        assert!(p.may_match(b"2026-11-21T10:00:00Z ERROR: y"));
        assert!(!p.may_match(b"2026-11-21T10:00:00Z  INFO x: warning"));
        assert!(p.may_match(br#"{"level":"warning","fields":{}}"#));
        assert!(p.may_match(br#"{"severity" : " e ","fields":{}}"#));
        assert!(p.may_match(br#"{"lvl":"Fatal"}"#));
        assert!(p.may_match(br#"{"level":"w\u0061rn"}"#));
        assert!(!p.may_match(br#"{"level":"INFO","fields":{"message":"warn level"}}"#));
        assert!(!p.may_match(br#"{"level":"debug","x":"level"}"#));
        let envelope = Envelope {
            level: Some(Level::Error),
            ..Envelope::default()
        };
        assert!(p.may_match_with(b"no level here", &envelope));
        assert!(Prefilter::default().and_level(Level::Trace).is_empty());
    }

    #[test]
    fn next_candidate_finds_the_first_line_that_may_pass() {
        let p = Prefilter::default().and_level(Level::Warn);
        let block = b"{\"level\":\"INFO\"}\n{\"level\":\"warn\"}\n{\"level\":\"INFO\"}\n";
        assert_eq!(p.next_candidate(block, 0), Some((17, 34)));
        assert_eq!(p.next_candidate(block, 34), None);
        let p = Prefilter::any_of(&["abc".into()]);
        assert_eq!(p.next_candidate(b"x\nyy abc\n", 0), Some((2, 9)));
        assert_eq!(p.next_candidate(b"x\nyy abc\n", 4), Some((4, 9)));
        assert_eq!(Prefilter::default().next_candidate(b"x\n", 0), Some((0, 2)));
    }
}
