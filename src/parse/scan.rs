//! The vectorised block scan: a stateless pass over a block of whole lines, on two threads when
//! it is large, that marks the lines the parser must see and parses ahead those certain to be
//! wanted, so the stream parser skips the rest without reading them.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::phases;
use super::view::{strip_line_ending, LineView};
use super::{json, lines, Keep, ParsedLine, Prefilter, MAX_LINE_BYTES};
use crate::derive::{derive_phase, with_ids, Derived, StrFields};
use crate::event::{Level, Phase};
use crate::time::Timestamp;

/// Blocks at least this large are scanned in two parts, the second on another thread.
pub(super) const SPLIT_MIN: usize = 256 * 1024;

/// A line a stateless scan found that the parser must see (every other line is shaped like an
/// event and cannot pass the prefilter).
pub(super) struct Mark {
    /// Offset of the line in its part, and its index among the part's lines.
    pub(super) at: usize,
    pub(super) line: u64,
    /// Where the line ends (after its `\n`).
    pub(super) end: usize,
    /// The line parsed, when that was certain to be asked for (`Some(None)`: it did not parse).
    pub(super) parsed: Option<Option<Ahead>>,
}

/// What the scan made of a line it parsed.
// Inline as `ParsedAhead` was before: boxing it would be an allocation per line parsed.
#[allow(clippy::large_enum_variant)]
pub(super) enum Ahead {
    Event(ParsedAhead),
    /// A timed line `--phase` cannot select whatever the stream's state, which changes no
    /// state ([`phases::never_of`]): the parser passes it over as the prefilter's rejects, and
    /// its IDs are not read.
    NotSelected {
        ts: Timestamp,
        json: bool,
    },
}

impl Ahead {
    pub(super) fn ts(&self) -> Option<Timestamp> {
        match self {
            Ahead::Event(a) => a.parsed.ts,
            Ahead::NotSelected { ts, .. } => Some(*ts),
        }
    }
}

/// A line the scan parsed, with the IDs and phase derived from it and its bytes: the work
/// per event that does not hang on the stream's state, done on the scanning threads.
pub(super) struct ParsedAhead {
    pub(super) parsed: ParsedLine,
    pub(super) derived: Derived,
    /// The line's bytes; empty when the consumer shows none ([`Keep::Facts`]).
    pub(super) raw: Vec<u8>,
    /// The line is a JSON object (no untimed line can go on with it).
    pub(super) json: bool,
}

impl Ahead {
    /// `want`: the phase every selected event has (`--phase`), if any.
    fn parse(text: &str, keep: Keep, want: Option<&Phase>) -> Option<Ahead> {
        let json = text.starts_with('{');
        let made = match keep {
            Keep::Json => match json.then(|| json::quick(text)).flatten() {
                Some(json::Quick::NotEvent) => return None,
                Some(json::Quick::Event(line)) => {
                    shown(line.ts, line.level, line.message, &line, true, want).map(
                        |(mut parsed, derived)| {
                            parsed.fields_in_raw = true;
                            (parsed, derived)
                        },
                    )
                }
                None => everything(text, want)?,
            },
            Keep::Everything | Keep::Facts => everything(text, want)?,
            // JSON lines of the usual shape are read without serde (see [`json::quick`]).
            Keep::Shown { message } => {
                match json.then(|| json::quick(text)).flatten() {
                    Some(json::Quick::NotEvent) => return None,
                    Some(json::Quick::Event(line)) => {
                        shown(line.ts, line.level, line.message, &line, message, want)
                    }
                    // The view is read where it lies: it is a few hundred bytes (a text
                    // line's fields are on the stack), and moving it out was a copy per line.
                    None => match &LineView::of(text) {
                        Some(view) => {
                            let line_message = view.message();
                            shown(view.ts(), view.level(), &line_message, view, message, want)
                        }
                        None => return None,
                    },
                }
            }
        };
        Some(match made {
            Ok((parsed, derived)) => Ahead::Event(ParsedAhead {
                parsed,
                derived,
                raw: if keep.bytes() {
                    text.as_bytes().to_vec()
                } else {
                    Vec::new()
                },
                json,
            }),
            Err(ts) => Ahead::NotSelected { ts, json },
        })
    }
}

/// The line's phase and what it hangs on; `Err` with the line's time when the line is timed
/// and `want` is a phase it cannot have ([`phases::never_of`]), so it will be passed over.
fn phase_or_time(
    ts: Option<Timestamp>,
    text: &str,
    fields: &impl StrFields,
    want: Option<&Phase>,
) -> Result<Derived, Timestamp> {
    let derived = derive_phase(text, fields);
    match (ts, want) {
        (Some(ts), Some(want)) if phases::never_of(&derived, want) => Err(ts),
        _ => Ok(derived),
    }
}

/// A line parsed whole, its IDs and phase derived (`Err`: see [`phase_or_time`]).
fn everything(
    text: &str,
    want: Option<&Phase>,
) -> Option<Result<(ParsedLine, Derived), Timestamp>> {
    let view = LineView::of(text)?;
    let phase = match phase_or_time(view.ts(), &view.message(), &view, want) {
        Ok(phase) => phase,
        Err(ts) => return Some(Err(ts)),
    };
    let parsed = view.into_parsed();
    let derived = with_ids(phase, &parsed.message, &*parsed.fields);
    Some(Ok((parsed, derived)))
}

/// What the shown outputs read of a line (see [`Keep::Shown`]; `Err`: see [`phase_or_time`]).
fn shown(
    ts: Option<Timestamp>,
    level: Option<Level>,
    text: &str,
    fields: &impl StrFields,
    message: bool,
    want: Option<&Phase>,
) -> Result<(ParsedLine, Derived), Timestamp> {
    // The IDs are read even when not shown: a worker's phase window is kept per job.
    let derived = with_ids(phase_or_time(ts, text, fields, want)?, text, fields);
    let parsed = ParsedLine {
        ts,
        level,
        message: if message {
            text.to_string()
        } else {
            String::new()
        },
        ..ParsedLine::default()
    };
    Ok((parsed, derived))
}

/// What scanning one part of a block found: the lines to push, and how many lines it holds.
pub(super) struct Scan {
    pub(super) marks: Vec<Mark>,
    pub(super) lines: u64,
}

/// What a stateless scan of a block of whole lines found, part by part (ranges of the block).
pub struct ScannedBlock {
    pub(super) parts: Vec<(std::ops::Range<usize>, Scan)>,
}

impl ScannedBlock {
    /// Bytes of the lines the scan parsed ahead, whose parsed form it holds until applied.
    pub fn parsed_ahead_bytes(&self) -> usize {
        let marks = self.parts.iter().flat_map(|(_, scan)| &scan.marks);
        marks
            .filter(|m| matches!(m.parsed, Some(Some(Ahead::Event(_)))))
            .map(|m| m.end - m.at)
            .sum()
    }
}

/// Scans a block of whole lines, in two parts cut at a line end when it is large.
pub fn scan_block(prefilter: &Prefilter, keep: Keep, block: &[u8]) -> ScannedBlock {
    let half = block.len() / 2;
    let cut = if block.len() >= SPLIT_MIN {
        memchr::memchr(b'\n', &block[half..]).map(|i| half + i + 1)
    } else {
        None
    };
    let parts = match cut {
        Some(cut) if cut < block.len() => {
            let (first, second) = block.split_at(cut);
            // On rayon's pool, not a thread per block: a new thread costs a spawn, and its
            // allocator heap starts on fresh pages the kernel must zero.
            let (a, b) = rayon::join(
                || scan_part(prefilter, keep, first),
                || scan_part(prefilter, keep, second),
            );
            vec![(0..cut, a), (cut..block.len(), b)]
        }
        _ => vec![(0..block.len(), scan_part(prefilter, keep, block))],
    };
    ScannedBlock { parts }
}

/// Marks the lines of `part` the parser must see: those that may pass the prefilter, those
/// whose bytes hide what they say from it (ANSI, JSON escapes), and those not shaped like an
/// event (banners, pretty events, untimed text, over-long lines). Lines certain to be parsed whatever the
/// parser's state (shaped like an event, plain valid UTF-8 without ANSI, passing the whole
/// prefilter) are parsed now.
fn scan_part(prefilter: &Prefilter, keep: Keep, part: &[u8]) -> Scan {
    let skipping = !prefilter.is_empty();
    // Candidates are searched a stretch at a time, so that the lines passed over on the way
    // to one are still in cache when they are checked for odd lines: the next candidate in
    // the stretch searched, and where that stretch ends (a line start). A search from inside
    // the last stretch stays in it: finding a stretch's end touches memory far ahead.
    let search = |from: usize, searched: usize| {
        let reach = if from < searched {
            searched
        } else {
            stretch_end(part, from)
        };
        (prefilter.next_candidate(&part[..reach], from), reach)
    };
    // A first group of one literal is searched for in the pass that finds odd lines instead.
    let literal = prefilter.first_literal();
    // The next line that may pass: its start and its end, as the search found them (the end
    // is not looked for again).
    let (mut candidate, mut searched) = if skipping && literal.is_none() {
        search(0, 0)
    } else {
        (Some((0, line_end(part, 0))), part.len())
    };
    let mut marks = Vec::with_capacity(mark_capacity(part.len()));
    let (mut pos, mut line) = (0, 0);
    while pos < part.len() {
        if let Some(literal) = literal {
            let first_end = line_end(part, pos);
            let first = &part[pos..first_end];
            candidate = literal.occurs_in(first).then_some((pos, first_end));
            if candidate.is_none()
                && lines::event_shaped_start(first[0])
                && !lines::hides_text(first)
            {
                let (newlines, odd) = literal.find_odd_or_literal_line(&part[pos..]);
                line += newlines;
                match odd {
                    Some(at) => pos += at,
                    None => {
                        line += u64::from(!part.ends_with(b"\n"));
                        pos = part.len();
                    }
                }
                continue;
            }
        } else if candidate.is_none() && pos >= searched {
            (candidate, searched) = search(pos, searched);
        }
        let run_end = if skipping && literal.is_none() {
            candidate.map_or(searched, |(start, _)| start)
        } else {
            pos
        };
        if run_end > pos
            && lines::event_shaped_start(part[pos])
            && !lines::hides_text(&part[pos..line_end(part, pos)])
        {
            // Lines the prefilter passes over, up to the next candidate or odd line.
            let (newlines, odd) = lines::find_odd_line(&part[pos..run_end]);
            line += newlines;
            match odd {
                Some(at) => pos += at,
                None => {
                    if run_end == part.len() && !part.ends_with(b"\n") {
                        line += 1;
                    }
                    pos = run_end;
                }
            }
            continue;
        }
        let end = match candidate {
            Some((start, end)) if start == pos => end,
            _ => line_end(part, pos),
        };
        let text = strip_line_ending(&part[pos..end]);
        let shaped = matches!(text.first(), Some(&b) if lines::event_shaped_start(b))
            && text.len() <= MAX_LINE_BYTES;
        // The candidate search found the first group in this line: not searched again.
        let passes_first = skipping && candidate.is_some_and(|(start, _)| start == pos);
        if skipping && literal.is_none() && candidate.is_some_and(|(start, _)| start < end) {
            (candidate, searched) = search(end, searched);
        }
        let may_match = || {
            if passes_first {
                prefilter.may_match_after_first(text)
            } else {
                prefilter.may_match(text)
            }
        };
        // Invalid UTF-8 is left to the parser, which counts it. Validated with SIMD: std's
        // check was 4% of a `--phase` scan, which parses most of what it reads.
        let parsed = (shaped && memchr::memchr(0x1b, text).is_none() && may_match())
            .then(|| simdutf8::basic::from_utf8(text).ok())
            .flatten()
            .map(|text| {
                let mut ahead = Ahead::parse(text, keep, prefilter.phase());
                // As the stream parser keeps it: the line as read, `\r` and all.
                if let Some(Ahead::Event(ahead)) = ahead.as_mut() {
                    if part[pos..end].ends_with(b"\r\n") || part[pos..end].ends_with(b"\r") {
                        ahead.raw.push(b'\r');
                    }
                }
                ahead
            });
        marks.push(Mark {
            at: pos,
            line,
            end,
            parsed,
        });
        pos = end;
        line += 1;
    }
    record_mark_density(marks.len(), part.len());
    Scan { marks, lines: line }
}

/// How many lines per 64 KiB the last large part scanned marked: the next part's marks are
/// allocated at once instead of grown, since growing copies every mark (a few hundred bytes
/// each) again. Only a hint: parts of other streams may have other densities.
static MARKS_PER_64K: AtomicUsize = AtomicUsize::new(0);

fn mark_capacity(part_len: usize) -> usize {
    let density = MARKS_PER_64K.load(Ordering::Relaxed);
    // An eighth more than last time, and never more than a line per 16 bytes.
    ((density + density / 8 + 1).saturating_mul(part_len) >> 16).min(part_len / 16)
}

fn record_mark_density(marks: usize, part_len: usize) {
    if part_len >= 1 << 16 {
        MARKS_PER_64K.store((marks << 16) / part_len, Ordering::Relaxed);
    }
}

/// How far one candidate search reaches: within a core's own cache.
pub(super) const STRETCH: usize = 64 << 10;

/// The first line start at least [`STRETCH`] bytes after `from` (or the end of `part`).
fn stretch_end(part: &[u8], from: usize) -> usize {
    match from + STRETCH {
        want if want >= part.len() => part.len(),
        want => line_end(part, want),
    }
}

/// The end of the line starting at `pos` (after its `\n`, or the end of `buf`).
pub(super) fn line_end(buf: &[u8], pos: usize) -> usize {
    memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |i| pos + i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ahead(prefilter: &Prefilter, keep: Keep, line: &str) -> Option<Ahead> {
        let mut marks = scan_part(prefilter, keep, line.as_bytes()).marks;
        assert_eq!(marks.len(), 1, "{line}");
        marks.remove(0).parsed.flatten()
    }

    #[test]
    fn lines_phase_cannot_select_are_not_read_for_their_ids() {
        let words = crate::derive::phase_words(&Phase::prove());
        let prove = Prefilter::default().and_phase("Prove", &words);
        let other = "2026-11-21T10:00:10.984215Z INFO: [Phase1] WorkerId(1be3c5f6…) finished phase 1 for JobId(2382adac…) (1/8 workers done, Phase: 5.982s)";
        let started = "2026-11-21T10:00:05.002000Z INFO: [Phase1] Started with 8 workers for JobId(2382adac…)";
        let proving = "2026-11-21T10:00:20.984215Z INFO: [Phase2] WorkerId(1be3c5f6…) finished phase 2 for JobId(2382adac…) (1/8 workers done, 4.1s)";
        for keep in [Keep::Json, Keep::Shown { message: false }, Keep::Everything] {
            assert!(matches!(
                ahead(&prove, keep, other),
                Some(Ahead::NotSelected { json: false, .. })
            ));
            // A phase starting moves the job: read whole, as is a line of the phase.
            assert!(matches!(
                ahead(&prove, keep, started),
                Some(Ahead::Event(_))
            ));
            assert!(
                matches!(ahead(&prove, keep, proving), Some(Ahead::Event(a)) if a.derived.job_id.is_some())
            );
        }
        let json = r#"{"timestamp":"2026-11-21T10:00:10Z","level":"INFO","fields":{"message":"[Phase1] WorkerId(1be3c5f6…) finished phase 1 for JobId(2382adac…) (1/8 workers done)"}}"#;
        assert!(matches!(
            ahead(&prove, Keep::Json, json),
            Some(Ahead::NotSelected { json: true, .. })
        ));
        // Without --phase every line is read whole.
        let level = Prefilter::default().and_level(Level::Info);
        assert!(matches!(
            ahead(&level, Keep::Json, other),
            Some(Ahead::Event(_))
        ));
    }

    #[test]
    fn a_line_with_an_escape_byte_is_left_to_the_parser() {
        let any = Prefilter::default();
        let json_ok =
            r#"{"timestamp":"2026-11-21T10:00:10Z","level":"INFO","fields":{"message":"plain"}}"#;
        let in_string = json_ok.replace("plain", "\x1b[31mred\x1b[0m");
        let as_space = json_ok.replace(r#","fields""#, "\x1b,\"fields\"");
        let text = "2026-11-21T10:00:10Z INFO: \x1b[31mred\x1b[0m";
        for keep in [Keep::Json, Keep::Shown { message: true }, Keep::Everything] {
            let parsed = |line: &str| {
                let mut marks = scan_part(&any, keep, line.as_bytes()).marks;
                marks.remove(0).parsed
            };
            assert!(matches!(parsed(json_ok), Some(Some(Ahead::Event(_)))));
            for line in [in_string.as_str(), as_space.as_str(), text] {
                assert!(parsed(line).is_none(), "{keep:?} {line:?}");
            }
        }
    }
}
