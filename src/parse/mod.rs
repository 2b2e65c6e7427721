//! Turns the physical lines of one stream into events: detects the format of every line (a
//! stream may switch format after a restart), joins pretty continuation lines, keeps the
//! worker ID a start-up banner announces, and orders untimed lines after the event before them.

#[cfg(test)]
mod equivalence_tests;
mod json;
mod prefilter;
mod pretty;
mod text;

pub use prefilter::Prefilter;

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::derive::derive;
use crate::event::{Event, IdRef, Level, Origin, Role};
use crate::time::Timestamp;

/// What one line (or one pretty event) says, before IDs and phase are derived.
#[derive(Debug, Default)]
pub struct ParsedLine {
    pub ts: Option<Timestamp>,
    pub level: Option<Level>,
    pub target: Option<String>,
    pub message: String,
    pub fields: Map<String, Value>,
}

/// What a backend knows about a line besides its text (journald's envelope, Docker's time).
#[derive(Clone, Debug, Default)]
pub struct Envelope {
    pub ts: Option<Timestamp>,
    pub level: Option<Level>,
    /// Backend fields (host, unit, PID...), added under the event's fields.
    pub fields: Option<Map<String, Value>>,
}

/// Lines longer than this are cut (and reported) so that one runaway line cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Problems with the data itself, counted per stream and reported once at its end.
#[derive(Debug, Default, Clone)]
pub struct DataProblems {
    pub invalid_utf8_lines: u64,
    pub first_invalid_utf8_line: Option<u64>,
    pub cut_lines: u64,
    pub first_cut_line: Option<u64>,
}

impl DataProblems {
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.invalid_utf8_lines > 0 {
            out.push(format!(
                "{} line(s) with invalid UTF-8 (first at line {}), shown with U+FFFD",
                self.invalid_utf8_lines,
                self.first_invalid_utf8_line.unwrap_or(0)
            ));
        }
        if self.cut_lines > 0 {
            out.push(format!(
                "{} line(s) longer than {} MiB cut short (first at line {})",
                self.cut_lines,
                MAX_LINE_BYTES >> 20,
                self.first_cut_line.unwrap_or(0)
            ));
        }
        out
    }
}

/// A pretty event whose continuation lines may still follow.
struct Pending {
    raw: Vec<u8>,
    line_no: u64,
    parsed: ParsedLine,
    envelope: Envelope,
}

/// Parser state for one stream of lines from one source label.
pub struct StreamParser {
    label: Arc<str>,
    role: Option<Role>,
    path: Option<Arc<str>>,
    prefilter: Prefilter,
    /// The worker ID the last start-up banner named.
    banner_worker: Option<IdRef>,
    last_ts: Option<Timestamp>,
    /// The last line the prefilter skipped since `last_ts` was set, and its envelope time:
    /// its time is read only when an untimed event needs it (see [`StreamParser::skip`]).
    skipped: Vec<u8>,
    skipped_envelope_ts: Option<Timestamp>,
    has_skipped: bool,
    seq: u64,
    pending: Option<Pending>,
    /// Untimed lines not yet passed on: those before any timed line take the time of the
    /// first timed event; later ones keep the time of the event before them.
    leading: Vec<Event>,
    /// A line with its own time was seen (a backend's envelope time does not count), so the
    /// start-up banner is over.
    own_timed: bool,
    pub problems: DataProblems,
}

impl StreamParser {
    pub fn new(
        label: Arc<str>,
        role: Option<Role>,
        path: Option<Arc<str>>,
        prefilter: Prefilter,
    ) -> StreamParser {
        StreamParser {
            label,
            role,
            path,
            prefilter,
            banner_worker: None,
            last_ts: None,
            skipped: Vec::new(),
            skipped_envelope_ts: None,
            has_skipped: false,
            seq: 0,
            pending: None,
            leading: Vec::new(),
            own_timed: false,
            problems: DataProblems::default(),
        }
    }

    pub fn label(&self) -> &Arc<str> {
        &self.label
    }

    /// The file now being read (a stream may span several rotated files).
    pub fn set_path(&mut self, path: Option<Arc<str>>) {
        self.path = path;
    }

    /// Feeds one physical line (without its line ending). Finished events go to `out`.
    pub fn push(
        &mut self,
        line: &[u8],
        line_no: u64,
        envelope: Envelope,
        out: &mut dyn FnMut(Event),
    ) {
        self.push_inner(line, line_no, envelope, None, out)
    }

    /// [`StreamParser::push`], with the line's `parse_single_line` result when it was parsed
    /// ahead (on another thread).
    fn push_inner(
        &mut self,
        line: &[u8],
        line_no: u64,
        envelope: Envelope,
        parsed_ahead: Option<Option<ParsedLine>>,
        out: &mut dyn FnMut(Event),
    ) {
        let line = strip_line_ending(line);
        let line = if line.len() > MAX_LINE_BYTES {
            self.problems.cut_lines += 1;
            self.problems.first_cut_line.get_or_insert(line_no);
            &line[..MAX_LINE_BYTES]
        } else {
            line
        };
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            // Blank lines separate pretty events; they are not events.
            self.finish_pending(out);
            return;
        }
        let text = self.decode(line, line_no);
        let clean = strip_ansi(&text);
        if let Some(pending) = self
            .pending
            .as_mut()
            .filter(|_| pretty::is_continuation(&clean))
        {
            pending.raw.push(b'\n');
            pending.raw.extend_from_slice(line);
            pretty::apply_continuation(&clean, &mut pending.parsed.fields);
            return;
        }
        self.finish_pending(out);
        if pretty::is_header(&clean) {
            if let Some(parsed) = pretty::parse_header(&clean) {
                self.pending = Some(Pending {
                    raw: line.to_vec(),
                    line_no,
                    parsed,
                    envelope,
                });
                return;
            }
        }
        let could_be_event = matches!(clean.as_bytes().first(), Some(b'{') | Some(b'0'..=b'9'));
        if could_be_event && !self.prefilter.may_match_with(line, &envelope) {
            self.skip(line, envelope.ts, out);
            return;
        }
        let parsed = parsed_ahead.unwrap_or_else(|| parse_single_line(&clean));
        let raw = line.to_vec();
        self.emit(parsed, &clean, raw, line_no, envelope, out);
    }

    /// Feeds a block of whole lines (`\n`-terminated; the last may lack its newline), the first
    /// being line `first_line_no`; returns how many lines it held. The same as pushing each
    /// line, but runs of lines that cannot pass the prefilter are passed over in bulk: one
    /// search over the block finds the next line that may pass.
    pub fn push_block(
        &mut self,
        block: &[u8],
        first_line_no: u64,
        out: &mut dyn FnMut(Event),
    ) -> u64 {
        let mut pos = 0;
        let mut line_no = first_line_no;
        let bulk = self.prefilter.can_skip_in(block);
        let mut ahead = parse_ahead(&self.prefilter, block, bulk)
            .into_iter()
            .peekable();
        while pos < block.len() {
            if bulk && self.pending.is_none() && self.leading.is_empty() {
                let next = self
                    .prefilter
                    .next_candidate(block, pos)
                    .unwrap_or(block.len());
                if next > pos {
                    self.skip_run(&block[pos..next], &mut line_no, out);
                    pos = next;
                    continue;
                }
            }
            let end = memchr::memchr(b'\n', &block[pos..]).map_or(block.len(), |i| pos + i + 1);
            let parsed = ahead.next_if(|(at, _)| *at == pos).map(|(_, p)| p);
            self.push_inner(&block[pos..end], line_no, Envelope::default(), parsed, out);
            line_no += 1;
            pos = end;
        }
        line_no - first_line_no
    }

    /// Whole lines none of which can pass the prefilter: lines shaped like events are skipped
    /// (only the last one is kept, for its time); any other line is pushed as usual.
    fn skip_run(&mut self, run: &[u8], line_no: &mut u64, out: &mut dyn FnMut(Event)) {
        let valid_utf8 = std::str::from_utf8(run).is_ok();
        let mut last_skipped: Option<&[u8]> = None;
        let mut pos = 0;
        while pos < run.len() {
            let end = memchr::memchr(b'\n', &run[pos..]).map_or(run.len(), |i| pos + i + 1);
            let line = &run[pos..end];
            let skippable = matches!(line.first(), Some(b'{' | b'0'..=b'9'))
                && line.len() <= MAX_LINE_BYTES
                && self.pending.is_none()
                && self.leading.is_empty();
            if skippable {
                if !valid_utf8 && std::str::from_utf8(line).is_err() {
                    self.problems.invalid_utf8_lines += 1;
                    self.problems
                        .first_invalid_utf8_line
                        .get_or_insert(*line_no);
                }
                last_skipped = Some(line);
            } else {
                if let Some(l) = last_skipped.take() {
                    self.skip(strip_line_ending(l), None, out);
                }
                self.push(line, *line_no, Envelope::default(), out);
            }
            *line_no += 1;
            pos = end;
        }
        if let Some(l) = last_skipped {
            self.skip(strip_line_ending(l), None, out);
        }
    }

    /// Ends the stream (or a pause in a followed one): emits whatever is still held.
    pub fn flush(&mut self, out: &mut dyn FnMut(Event)) {
        self.finish_pending(out);
        for e in self.leading.drain(..) {
            out(e);
        }
    }

    fn finish_pending(&mut self, out: &mut dyn FnMut(Event)) {
        if let Some(p) = self.pending.take() {
            if self.prefilter.may_match_with(&p.raw, &p.envelope) {
                let clean = String::new();
                self.emit(Some(p.parsed), &clean, p.raw, p.line_no, p.envelope, out);
            } else if let Some(ts) = p.parsed.ts {
                self.timed_line_skipped(ts, out);
            }
        }
    }

    /// A line the prefilter rejected. Parsing it only for its time would cost what the
    /// prefilter saves, so the line is kept and parsed only if an untimed event follows
    /// (or, at the start of a stream, untimed lines wait for the first time).
    fn skip(&mut self, line: &[u8], envelope_ts: Option<Timestamp>, out: &mut dyn FnMut(Event)) {
        self.skipped.clear();
        self.skipped.extend_from_slice(line);
        self.skipped_envelope_ts = envelope_ts;
        self.has_skipped = true;
        // Until a line with its own time, lines are held for the banner: settle it now.
        if !self.leading.is_empty() || !self.own_timed {
            if let Some(own) = self.skipped_ts() {
                self.timed_line_skipped(own, out);
            }
        }
    }

    /// Reads the kept skipped line: its time (or its envelope's) becomes `last_ts`, as emitting
    /// it would have made it; returns the line's own time. A skipped line that turns out not
    /// to parse leaves `last_ts` as it was.
    fn skipped_ts(&mut self) -> Option<Timestamp> {
        if !self.has_skipped {
            return None;
        }
        self.has_skipped = false;
        let own = {
            let text = String::from_utf8_lossy(&self.skipped);
            parse_single_line(&strip_ansi(&text)).and_then(|p| p.ts)
        };
        // An envelope time alone counts only once the banner is over (else the line is held).
        self.own_timed |= own.is_some();
        let envelope_ts = self.skipped_envelope_ts.filter(|_| self.own_timed);
        if let Some(ts) = own.or(envelope_ts) {
            self.last_ts = Some(ts);
        }
        own
    }

    /// What emitting a timed event that the filters then drop would have done.
    fn timed_line_skipped(&mut self, ts: Timestamp, out: &mut dyn FnMut(Event)) {
        self.has_skipped = false;
        self.last_ts = Some(ts);
        self.own_timed = true;
        for mut early in self.leading.drain(..) {
            early.sort_ts = ts;
            out(early);
        }
    }

    fn decode<'a>(&mut self, line: &'a [u8], line_no: u64) -> Cow<'a, str> {
        match std::str::from_utf8(line) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                self.problems.invalid_utf8_lines += 1;
                self.problems.first_invalid_utf8_line.get_or_insert(line_no);
                String::from_utf8_lossy(line)
            }
        }
    }

    fn emit(
        &mut self,
        parsed: Option<ParsedLine>,
        clean: &str,
        raw: Vec<u8>,
        line_no: u64,
        envelope: Envelope,
        out: &mut dyn FnMut(Event),
    ) {
        let parsed = match parsed {
            Some(p) => p,
            None => {
                let message = clean.trim_end().to_string();
                self.read_banner(&message);
                ParsedLine {
                    message,
                    ..ParsedLine::default()
                }
            }
        };
        let mut fields = parsed.fields;
        if let Some(extra) = envelope.fields {
            for (k, v) in extra {
                fields.entry(k).or_insert(v);
            }
        }
        let derived = derive(&parsed.message, &fields);
        let own_ts = parsed.ts;
        if own_ts.is_none() {
            // Whether the banner is over, and the time before this line, may hang on a
            // skipped line.
            self.skipped_ts();
        }
        let ts = own_ts.or(envelope.ts);
        let worker_id = derived.worker_id.or_else(|| self.banner_worker.clone());
        self.seq += 1;
        let event = Event {
            ts,
            sort_ts: ts.or(self.last_ts).unwrap_or(Timestamp::MIN),
            level: parsed.level.or(envelope.level),
            target: parsed.target,
            message: parsed.message,
            fields,
            job_id: derived.job_id,
            worker_id,
            phase: derived.phase,
            source: self.label.clone(),
            role: self.role,
            origin: self.path.as_ref().map(|p| Origin {
                path: p.clone(),
                line: line_no,
            }),
            raw,
            context: false,
            seq: self.seq,
        };
        // Lines without a time of their own before the first one with it (a start-up banner)
        // are held, so that the banner's worker ID reaches the lines above it; an envelope
        // time (journald, Docker, the kubelet) does not end the banner.
        let hold = own_ts.is_none() && !self.own_timed && self.leading.len() < 10_000;
        match ts {
            _ if hold => self.leading.push(event),
            Some(ts) => {
                self.last_ts = Some(ts);
                self.has_skipped = false;
                self.own_timed |= own_ts.is_some();
                // Held lines sort with the first line that carries its own time, even when a
                // backend stamped them: their envelope time may come from another clock.
                for mut early in self.leading.drain(..) {
                    early.sort_ts = ts;
                    out(early);
                }
                out(event);
            }
            None => out(event),
        }
    }

    /// The worker's start-up banner (`   Worker ID <id>`) ties this stream to a worker.
    fn read_banner(&mut self, message: &str) {
        if let Some(id) = message.trim_start().strip_prefix("Worker ID") {
            let id = id.trim();
            if !id.is_empty() && !id.contains(char::is_whitespace) {
                let id = IdRef::full(id);
                // The banner lines above this one belong to the same worker.
                for early in self.leading.iter_mut() {
                    early.worker_id = Some(id.clone());
                }
                self.banner_worker = Some(id);
            }
        }
    }
}

/// Fewest lines to parse in a block before a second thread helps.
const PARSE_AHEAD_MIN: usize = 256;

/// Lines of `block` that [`StreamParser::push`] will certainly hand to `parse_single_line`
/// whatever the parser's state (shaped like an event, plain valid UTF-8 without ANSI, passing
/// the prefilter), parsed on two threads: (offset of the line, result), in order. Empty when
/// there are too few to be worth a thread.
fn parse_ahead(
    prefilter: &Prefilter,
    block: &[u8],
    bulk: bool,
) -> Vec<(usize, Option<ParsedLine>)> {
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut pos = 0;
    while pos < block.len() {
        if bulk {
            match prefilter.next_candidate(block, pos) {
                Some(next) => pos = next,
                None => break,
            }
        }
        let end = memchr::memchr(b'\n', &block[pos..]).map_or(block.len(), |i| pos + i + 1);
        let line = strip_line_ending(&block[pos..end]);
        if matches!(line.first(), Some(b'{' | b'0'..=b'9'))
            && line.len() <= MAX_LINE_BYTES
            && memchr::memchr(0x1b, line).is_none()
            && prefilter.may_match(line)
        {
            if let Ok(text) = std::str::from_utf8(line) {
                lines.push((pos, text));
            }
        }
        pos = end;
    }
    if lines.len() < PARSE_AHEAD_MIN {
        return Vec::new();
    }
    let (first, second) = lines.split_at(lines.len() / 2);
    let parse = |part: &[(usize, &str)]| -> Vec<(usize, Option<ParsedLine>)> {
        part.iter()
            .map(|(at, text)| (*at, parse_single_line(text)))
            .collect()
    };
    std::thread::scope(|scope| {
        let helper = scope.spawn(|| parse(second));
        let mut all = parse(first);
        match helper.join() {
            Ok(rest) => all.extend(rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        all
    })
}

fn parse_single_line(clean: &str) -> Option<ParsedLine> {
    match clean.as_bytes().first()? {
        b'{' => json::parse(clean),
        b'0'..=b'9' => text::parse(clean),
        _ => None,
    }
}

fn strip_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Removes ANSI escape sequences (CSI, OSC and two-byte escapes).
pub fn strip_ansi(s: &str) -> Cow<'_, str> {
    if !s.contains('\x1b') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' {
                        break;
                    }
                    if c == '\x1b' {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(lines: &[&str]) -> Vec<Event> {
        let mut p = StreamParser::new(
            Arc::from("w1"),
            Some(Role::Worker),
            Some(Arc::from("w1.log")),
            Prefilter::default(),
        );
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            p.push(l.as_bytes(), i as u64 + 1, Envelope::default(), &mut |e| {
                out.push(e)
            });
        }
        p.flush(&mut |e| out.push(e));
        out
    }

    #[test]
    fn banner_sets_worker_and_orders_before_first_event() {
        let ev = parse_all(&[
            "ZisK Worker v0.15.0",
            "   Worker ID 9f8e7d6c-1111-4111-8111-111111111111",
            "2026-11-21T10:00:00.000001Z INFO: Computing Prove for JobId(1a2b3c4d…)",
        ]);
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0].level, None);
        assert_eq!(ev[0].sort_ts, ev[2].sort_ts);
        assert_eq!(
            ev[2].worker_id.as_ref().unwrap().text,
            "9f8e7d6c-1111-4111-8111-111111111111"
        );
        assert_eq!(ev[2].job_id, Some(IdRef::truncated("1a2b3c4d")));
        assert_eq!(ev[2].origin.as_ref().unwrap().line, 3);
    }

    #[test]
    fn banner_stamped_by_the_backend_still_names_the_worker_above_it() {
        let mut p = StreamParser::new(
            Arc::from("c"),
            Some(Role::Worker),
            None,
            Prefilter::default(),
        );
        let mut ev = Vec::new();
        let stamped = |us| Envelope {
            ts: Some(Timestamp(us)),
            ..Envelope::default()
        };
        for (i, l) in [
            "ZisK Worker v0.15.0",
            "   Worker ID w-1",
            "2026-11-21T10:00:00.000001Z INFO: up",
        ]
        .iter()
        .enumerate()
        {
            p.push(
                l.as_bytes(),
                i as u64 + 1,
                stamped(9_000_000_000_000_000),
                &mut |e| ev.push(e),
            );
        }
        p.flush(&mut |e| ev.push(e));
        assert_eq!(ev.len(), 3);
        assert!(ev
            .iter()
            .all(|e| e.worker_id.as_ref().is_some_and(|w| w.text == "w-1")));
        assert_eq!(ev[0].ts, Some(Timestamp(9_000_000_000_000_000)));
        assert_eq!(ev[0].sort_ts, ev[2].sort_ts);
    }

    #[test]
    fn pretty_lines_join_and_formats_switch() {
        let ev = parse_all(&[
            "  2026-11-21T10:00:00.000001Z  WARN zisk_worker: slow, n: 1",
            "    at src/a.rs:1 on main",
            "    in zisk_worker::job with job_id: \"abc\"",
            "",
            "2026-11-21T10:00:01.000001Z  INFO zisk_worker: next",
            "{\"timestamp\":\"2026-11-21T10:00:02Z\",\"level\":\"ERROR\",\"fields\":{\"message\":\"json now\"}}",
            "thread 'main' panicked at src/x.rs:1:1:",
        ]);
        assert_eq!(ev.len(), 4);
        assert_eq!(ev[0].raw.split(|&b| b == b'\n').count(), 3);
        assert_eq!(ev[0].job_id, Some(IdRef::full("abc")));
        assert_eq!(ev[1].message, "next");
        assert_eq!(ev[2].level, Some(Level::Error));
        assert_eq!(ev[3].level, None);
        assert_eq!(ev[3].sort_ts, ev[2].ts.unwrap());
    }

    #[test]
    fn ansi_is_removed_from_the_message_but_kept_raw() {
        let ev = parse_all(&[
            "\x1b[2m2026-11-21T10:00:00.000001Z\x1b[0m \x1b[32mINFO\x1b[0m: \x1b[32mdone ✔\x1b[0m",
        ]);
        assert_eq!(ev[0].message, "done ✔");
        assert!(ev[0].raw.contains(&0x1b));
    }
}
