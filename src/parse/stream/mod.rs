//! The stream parser: one stream's lines (and the blocks the scan marked) into events, in order.

use std::borrow::Cow;
use std::sync::Arc;

#[cfg(test)]
use super::scan::scan_block;
use super::scan::{line_end, Ahead, ParsedAhead, ScannedBlock};
use super::view::{parse_single_line, strip_line_ending};
use super::{
    banner_id, lines, pretty, strip_ansi, DataProblems, Envelope, Keep, ParsedLine, Prefilter,
    MAX_LINE_BYTES,
};
use crate::derive::{derive, Derived};
use crate::event::{Event, IdRef, Origin, Role};
use crate::time::Timestamp;

mod held;

use held::banner_line;

/// An event's line as read: its bytes (none for [`Keep::Facts`] when parsed ahead), and
/// whether it is a JSON object.
struct Line {
    raw: Vec<u8>,
    json: bool,
}

impl Line {
    fn of(raw: Vec<u8>) -> Line {
        let json = raw.first() == Some(&b'{');
        Line { raw, json }
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
    keep: Keep,
    /// The worker ID the last start-up banner named.
    banner_worker: Option<IdRef>,
    /// The last timed text event, held while untimed lines may continue it (anyhow's
    /// `Caused by:` chain, a panic): ZisK writes a multi-line message as is.
    open: Option<Event>,
    /// Blank lines seen since: kept only if a continuation follows.
    open_blanks: usize,
    /// The held event reached the cap: its further lines are dropped.
    open_cut: bool,
    /// The last timed line was skipped by the prefilter: its continuation lines go with it.
    open_skipped: bool,
    /// What a line's phase hangs on: the release, the worker's window, the jobs' phases.
    phases: super::phases::PhaseState,
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
    /// The pending event reached [`MAX_LINE_BYTES`] and went out: its further continuation
    /// lines are dropped, so that one runaway event cannot exhaust memory.
    cutting_event: bool,
    /// Blank lines are events (`-o raw` shows the lines as read).
    blank_lines: bool,
    pub problems: DataProblems,
}

impl StreamParser {
    pub fn new(
        label: Arc<str>,
        role: Option<Role>,
        path: Option<Arc<str>>,
        prefilter: Prefilter,
    ) -> StreamParser {
        // A worker's lines inside a phase window carry its phase without naming it.
        let prefilter = if role == Some(Role::Worker) {
            prefilter.without_phase()
        } else {
            prefilter
        };
        StreamParser {
            label,
            role,
            path,
            prefilter,
            keep: Keep::Everything,
            banner_worker: None,
            phases: super::phases::PhaseState::default(),
            open: None,
            open_blanks: 0,
            open_cut: false,
            open_skipped: false,
            last_ts: None,
            skipped: Vec::new(),
            skipped_envelope_ts: None,
            has_skipped: false,
            seq: 0,
            pending: None,
            leading: Vec::new(),
            own_timed: false,
            cutting_event: false,
            blank_lines: false,
            problems: DataProblems::default(),
        }
    }

    /// Events for a consumer that reads only what `keep` says.
    pub fn keeping(mut self, keep: Keep) -> StreamParser {
        self.keep = keep;
        self
    }

    /// Blank lines become events (untimed, empty), for a consumer that shows lines as read.
    pub fn keeping_blank_lines(mut self, blank_lines: bool) -> StreamParser {
        self.blank_lines = blank_lines;
        self
    }

    pub fn keep(&self) -> Keep {
        self.keep
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

    /// [`StreamParser::push`], with what the scan (on another thread) found when it parsed
    /// the line ahead: `Some(None)` when the line did not parse.
    fn push_inner(
        &mut self,
        line: &[u8],
        line_no: u64,
        envelope: Envelope,
        parsed_ahead: Option<Option<Ahead>>,
        out: &mut dyn FnMut(Event),
    ) {
        let parsed_ahead = match parsed_ahead {
            Some(Some(Ahead::NotSelected { ts, json })) => {
                // What emitting it would have done, the filters then dropping it: a text
                // line's continuation lines go with it; after a JSON line there are none.
                self.finish_pending(out);
                // Numbered as the event was: a live merge breaks ties by the number.
                self.seq += 1;
                self.timed_line_skipped(ts, out);
                self.open_skipped = !json;
                return;
            }
            Some(Some(Ahead::Event(ahead))) => {
                // The scan parsed it because it is shaped like an event (so neither blank nor
                // pretty), plain valid UTF-8 and passes the prefilter: the checks below would
                // all let it through. Its bytes are not read again here: another thread read
                // them last, and touching them was a cache miss per event.
                self.finish_pending(out);
                let ParsedAhead {
                    parsed,
                    derived,
                    raw,
                    json,
                } = ahead;
                let line = Line { raw, json };
                self.emit(
                    Some(parsed),
                    Some(derived),
                    "",
                    line,
                    line_no,
                    envelope,
                    out,
                );
                return;
            }
            Some(None) => Some(None),
            None => None,
        };
        // The line as read keeps a `\r` before its newline (`-o raw` shows it); the text
        // parsed does not.
        let as_read = line.strip_suffix(b"\n").unwrap_or(line);
        let line = strip_line_ending(line);
        let line = if line.len() > MAX_LINE_BYTES {
            self.problems.cut_lines += 1;
            self.problems.first_cut_line.get_or_insert(line_no);
            &line[..MAX_LINE_BYTES]
        } else {
            line
        };
        let as_read = if as_read.len() == line.len() + 1 {
            as_read
        } else {
            line
        };
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            // Blank lines separate pretty events; they are events only for `-o raw`.
            self.finish_pending(out);
            self.cutting_event = false;
            if self.blank_lines {
                let line = Line::of(as_read.to_vec());
                self.emit(None, None, "", line, line_no, envelope, out);
            } else {
                self.open_blanks += 1;
            }
            return;
        }
        // A line shaped like an event is neither a continuation nor a pretty header: when it
        // cannot pass the prefilter, it is not even decoded (its bad UTF-8 is never shown).
        if line.first().is_some_and(|&b| lines::event_shaped_start(b))
            && !self.prefilter.may_match_with(line, &envelope)
        {
            self.finish_pending(out);
            self.skip(line, envelope.ts, out);
            return;
        }
        let text = self.decode(line, line_no);
        let clean = strip_ansi(&text);
        if let Some(pending) = self
            .pending
            .as_mut()
            .filter(|_| pretty::is_continuation(&clean))
        {
            if pending.raw.len() + 1 + line.len() > MAX_LINE_BYTES {
                self.problems.cut_events += 1;
                self.problems.first_cut_event.get_or_insert(pending.line_no);
                self.finish_pending(out);
                self.cutting_event = true;
                return;
            }
            pending.raw.push(b'\n');
            pending.raw.extend_from_slice(line);
            pretty::apply_continuation(&clean, &mut pending.parsed.fields);
            return;
        }
        if self.cutting_event && pretty::is_continuation(&clean) {
            return;
        }
        self.cutting_event = false;
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
        let parsed = parsed_ahead.unwrap_or_else(|| parse_single_line(&clean));
        // A backend's entry with a level of its own (journald's PRIORITY) is an event.
        let continues = parsed.is_none()
            && envelope.level.is_none()
            && (self.open.is_some() || self.open_skipped)
            && !line.first().is_some_and(|&b| lines::event_shaped_start(b))
            && !banner_line(&clean);
        if continues {
            self.continue_open(line, &clean);
            return;
        }
        let line = Line::of(as_read.to_vec());
        self.emit(parsed, None, &clean, line, line_no, envelope, out);
    }

    /// [`scan_block`] then [`StreamParser::apply_block`], on one block.
    #[cfg(test)]
    pub fn push_block(
        &mut self,
        block: &[u8],
        first_line_no: u64,
        out: &mut dyn FnMut(Event),
    ) -> u64 {
        let scanned = scan_block(&self.prefilter, self.keep, block);
        self.apply_block(block, scanned, first_line_no, out)
    }

    /// Feeds a block of whole lines (`\n`-terminated; the last may lack its newline), the first
    /// being line `first_line_no`, as `scanned` ([`super::scan_block`]'s result for it, perhaps
    /// from another thread) says; returns how many lines it held. The same as pushing each
    /// line: the marked lines are pushed (with what the scan parsed), and the lines between
    /// them are passed over in bulk.
    pub fn apply_block(
        &mut self,
        block: &[u8],
        scanned: ScannedBlock,
        first_line_no: u64,
        out: &mut dyn FnMut(Event),
    ) -> u64 {
        let mut part_line_no = first_line_no;
        for (range, scan) in scanned.parts {
            let part = &block[range];
            // The part's line at `pos` is its line number `next`.
            let (mut pos, mut next) = (0, part_line_no);
            for mark in scan.marks {
                if mark.at > pos {
                    let rest = self.skip_run(&part[pos..mark.at], next, out);
                    // Lines of the run this thread has not read yet: only the last one
                    // counts, and only when the next event carries no time of its own
                    // (emitting a timed event forgets the skipped line).
                    let timed_next = matches!(&mark.parsed, Some(Some(a)) if a.ts().is_some());
                    if let Some(rest) = rest.filter(|_| !timed_next) {
                        self.skip_last_line(&part[pos + rest..mark.at], out);
                    }
                }
                let line_no = part_line_no + mark.line;
                self.push_inner(
                    &part[mark.at..mark.end],
                    line_no,
                    Envelope::default(),
                    mark.parsed,
                    out,
                );
                (pos, next) = (mark.end, line_no + 1);
            }
            if pos < part.len() {
                if let Some(rest) = self.skip_run(&part[pos..], next, out) {
                    self.skip_last_line(&part[pos + rest..], out);
                }
            }
            part_line_no += scan.lines;
        }
        part_line_no - first_line_no
    }

    pub fn prefilter(&self) -> &Prefilter {
        &self.prefilter
    }

    /// Whole lines shaped like events that cannot pass the prefilter (the first being line
    /// `line_no`). While the parser's state asks to see them (a pretty event may still
    /// continue, untimed lines wait for a time), they are pushed one by one, as
    /// [`StreamParser::push`] would treat them. Returns where the lines it did not push start:
    /// of those only the last is kept, for its time (see [`StreamParser::skip_last_line`]).
    fn skip_run(
        &mut self,
        run: &[u8],
        mut line_no: u64,
        out: &mut dyn FnMut(Event),
    ) -> Option<usize> {
        let mut pos = 0;
        while pos < run.len()
            && (self.pending.is_some() || !self.leading.is_empty() || !self.own_timed)
        {
            let end = line_end(run, pos);
            self.push(&run[pos..end], line_no, Envelope::default(), out);
            (pos, line_no) = (end, line_no + 1);
        }
        (pos < run.len()).then_some(pos)
    }

    /// Keeps the last of the whole lines in `rest`, as skipping them one by one would.
    fn skip_last_line(&mut self, rest: &[u8], out: &mut dyn FnMut(Event)) {
        let body = rest.strip_suffix(b"\n").unwrap_or(rest);
        let last = memchr::memrchr(b'\n', body).map_or(0, |i| i + 1);
        self.skip(strip_line_ending(&rest[last..]), None, out);
    }

    /// Ends the stream (or a pause in a followed one): emits whatever is still held.
    pub fn flush(&mut self, out: &mut dyn FnMut(Event)) {
        self.finish_pending(out);
        self.release_open(out);
        for e in self.leading.drain(..) {
            out(e);
        }
    }

    fn finish_pending(&mut self, out: &mut dyn FnMut(Event)) {
        if let Some(p) = self.pending.take() {
            if self.prefilter.may_match_with(&p.raw, &p.envelope) {
                let clean = String::new();
                self.emit(
                    Some(p.parsed),
                    None,
                    &clean,
                    Line::of(p.raw),
                    p.line_no,
                    p.envelope,
                    out,
                );
            } else if let Some(ts) = p.parsed.ts {
                self.timed_line_skipped(ts, out);
            }
        }
    }

    /// A line the prefilter rejected. Parsing it only for its time would cost what the
    /// prefilter saves, so the line is kept and parsed only if an untimed event follows
    /// (or, at the start of a stream, untimed lines wait for the first time).
    fn skip(&mut self, line: &[u8], envelope_ts: Option<Timestamp>, out: &mut dyn FnMut(Event)) {
        self.release_open(out);
        self.open_skipped = true;
        self.skipped.clear();
        self.skipped
            .extend_from_slice(&line[..line.len().min(MAX_LINE_BYTES)]);
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
        self.release_open(out);
        self.open_skipped = true;
        self.has_skipped = false;
        self.last_ts = Some(ts);
        self.own_timed = true;
        for mut early in self.leading.drain(..) {
            early.sort_ts = ts;
            out(early);
        }
    }

    fn decode<'a>(&mut self, line: &'a [u8], line_no: u64) -> Cow<'a, str> {
        match simdutf8::basic::from_utf8(line) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => {
                self.problems.invalid_utf8_lines += 1;
                self.problems.first_invalid_utf8_line.get_or_insert(line_no);
                String::from_utf8_lossy(line)
            }
        }
    }

    /// Turns a parsed line into an event; `derived` is what [`derive`] made of it already
    /// (then the envelope must bring no fields, which could change it).
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        parsed: Option<ParsedLine>,
        derived: Option<Derived>,
        clean: &str,
        line: Line,
        line_no: u64,
        envelope: Envelope,
        out: &mut dyn FnMut(Event),
    ) {
        let Line { raw, json } = line;
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
        debug_assert!(derived.is_none() || envelope.fields.is_none());
        if let Some(extra) = envelope.fields {
            for (k, v) in extra {
                fields.entry(k).or_insert(v);
            }
        }
        let derived = derived.unwrap_or_else(|| derive(&parsed.message, &*fields));
        let own_ts = parsed.ts;
        if own_ts.is_none() {
            // Whether the banner is over, and the time before this line, may hang on a
            // skipped line.
            self.skipped_ts();
        }
        let ts = own_ts.or(envelope.ts);
        let phase = self.phases.resolve(&derived);
        let template = derived.matched.map(|m| m.row);
        let worker_id = self.own_worker(derived.worker_id, template);
        self.seq += 1;
        let event = Event {
            ts,
            sort_ts: ts.or(self.last_ts).unwrap_or(Timestamp::MIN),
            level: parsed.level.or(envelope.level),
            target: parsed.target,
            message: parsed.message,
            fields,
            fields_in_raw: parsed.fields_in_raw,
            job_id: derived.job_id,
            worker_id,
            phase,
            template,
            release: self.phases.is_real(),
            source: self.label.clone(),
            role: self.role,
            // Only JSON output shows where a line was read; a path shared by every event
            // costs two threads an atomic counter each.
            origin: (self.keep.origin())
                .then_some(self.path.as_ref())
                .flatten()
                .map(|p| Origin {
                    path: p.clone(),
                    line: line_no,
                }),
            raw,
            context: false,
            seq: self.seq,
            shift_us: None,
        };
        // Lines without a time of their own before the first one with it (a start-up banner)
        // are held, so that the banner's worker ID reaches the lines above it; an envelope
        // time (journald, Docker, the kubelet) does not end the banner.
        let hold = own_ts.is_none() && !self.own_timed && self.leading.len() < 10_000;
        self.open_skipped = false;
        match ts {
            _ if hold => self.leading.push(event),
            Some(ts) => {
                self.release_open(out);
                self.last_ts = Some(ts);
                self.has_skipped = false;
                self.own_timed |= own_ts.is_some();
                // Held lines sort with the first line that carries its own time, even when a
                // backend stamped them: their envelope time may come from another clock.
                for mut early in self.leading.drain(..) {
                    early.sort_ts = ts;
                    out(early);
                }
                // A text line's message may go on over untimed lines; a JSON line's cannot.
                if own_ts.is_some() && !json {
                    self.open_blanks = 0;
                    self.open_cut = false;
                    self.open = Some(event);
                } else {
                    out(event);
                }
            }
            None => {
                self.release_open(out);
                // Past the cap the held lines go first, in order (they were read first).
                for early in self.leading.drain(..) {
                    out(early);
                }
                out(event);
            }
        }
    }
}

#[cfg(test)]
mod tests;
