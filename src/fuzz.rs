//! Fuzz targets: every parser that reads untrusted bytes, as plain functions of one input, with
//! a seeded mutator. `examples/fuzz.rs` (scripts/fuzz.sh) runs them for a given time; the tests
//! here run the saved corpora (`fuzz/corpus/<target>/`) and a short mutation pass. Built only
//! for tests and the `fuzz-targets` feature.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::escape::{Guard, Net};
use crate::event::{Event, Level, Phase, Role};
use crate::filter::Filter;
use crate::parse::{scan_block, Envelope, Keep, Prefilter, StreamParser};
use crate::render::{Format, Renderer};
use crate::time::Timestamp;

/// A target: its name (its corpus folder) and the function that reads one input.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, in the order the script lists them.
pub const TARGETS: [Target; 10] = [
    ("lines", lines),
    ("stream", stream),
    ("blocks", blocks),
    ("journald", journald),
    ("docker", docker),
    ("k8s", k8s),
    ("prom", prom),
    ("rules", rules),
    ("time", time),
    ("topology", topology),
];

/// Each line alone: the format detector and every line format (json, full, compact, ZisK,
/// pretty headers, banners), then every renderer on what it made.
fn lines(data: &[u8]) {
    for line in data.split(|&b| b == b'\n') {
        let _ = crate::parse::line_time(line);
        let _ = crate::parse::banner_line_id(line);
        let mut events = Vec::new();
        let mut parser = parser(Keep::Everything);
        parser.push(line, 1, Envelope::default(), &mut |e| events.push(e));
        parser.flush(&mut |e| events.push(e));
        render_all(&events);
    }
}

/// A whole stream line by line: pretty joining, banners, untimed lines held, line caps.
fn stream(data: &[u8]) {
    let mut events = Vec::new();
    let mut parser = parser(Keep::Everything).keeping_blank_lines(data.first() == Some(&b' '));
    for (i, line) in data.split_inclusive(|&b| b == b'\n').enumerate() {
        parser.push(line, i as u64 + 1, Envelope::default(), &mut |e| {
            events.push(e)
        });
    }
    parser.flush(&mut |e| events.push(e));
    render_all(&events);
}

/// The block path: the two-thread scan with a prefilter (chosen by the first byte), then the
/// stream parser applying what it found.
fn blocks(data: &[u8]) {
    let filter = Filter {
        level: (data.first().is_some_and(|b| b & 1 == 1)).then_some(Level::Warn),
        phase: (data.first().is_some_and(|b| b & 2 == 2)).then(Phase::prove),
        ..Filter::default()
    };
    let keep = match data.first().map(|b| b >> 2 & 3) {
        Some(1) => Keep::Shown { message: true },
        Some(2) => Keep::Shown { message: false },
        // JSON output: the fields of lines of the usual shape copied from the line.
        Some(3) => Keep::Json,
        _ => Keep::Everything,
    };
    let prefilter = filter.prefilter();
    let mut parser =
        StreamParser::new(Arc::from("fuzz"), Some(Role::Worker), None, prefilter).keeping(keep);
    let scanned = scan_block(parser.prefilter(), keep, data);
    let mut events = Vec::new();
    parser.apply_block(data, scanned, 1, &mut |e| events.push(e));
    parser.flush(&mut |e| events.push(e));
    render_all(&events);
}

/// journald's JSON envelope (`journalctl -o json`), one entry per line.
fn journald(data: &[u8]) {
    for line in data.split(|&b| b == b'\n') {
        let _ = crate::source::journald::parse_entry(line);
    }
}

/// Docker's log messages: the `timestamps=true` prefix, TTY items, the daemon's error frames,
/// and the joiner of 16 KiB partial messages (stream chosen by each message's first byte).
fn docker(data: &[u8]) {
    use crate::source::docker::{daemon_error, split_prefix, split_tty_item, LineJoiner, Stream};
    let _ = daemon_error(data);
    let mut joiner = LineJoiner::default();
    let mut lines = 0usize;
    for msg in data.split(|&b| b == 0) {
        let (ts, text) = split_prefix(msg);
        let ts = ts.map(|t| Timestamp(t / 1000));
        let stream = match msg.first() {
            Some(b) if b & 1 == 1 => Stream::Stderr,
            _ => Stream::Stdout,
        };
        for item in split_tty_item(text) {
            joiner.push(stream, ts, item, &mut |_, _| lines += 1);
        }
    }
    joiner.finish(&mut |_, _| lines += 1);
}

/// The kubelet's log stream: its time prefix and the resume bookkeeping.
fn k8s(data: &[u8]) {
    let mut position = crate::source::k8s::Position::default();
    for line in data.split(|&b| b == b'\n') {
        let (ts, _) = crate::source::k8s::split_kubelet_ts(line);
        position.admit(ts);
        if line.first() == Some(&b'R') {
            position.resume();
        }
    }
}

/// Prometheus's answers (query_range matrices, series lists, the running configuration's YAML)
/// and a scraped `/metrics` page.
fn prom(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    crate::prom::read_responses(&text);
    let _ = crate::metrics::scrape::parse(&text);
}

/// A Prometheus rule file, as `triage --rules` reads it (YAML, PromQL in each rule).
fn rules(data: &[u8]) {
    let _ = crate::triage::rules::parse(&String::from_utf8_lossy(data), "fuzz.yml");
}

/// The times a log line starts with and the times an operator types.
fn time(data: &[u8]) {
    let _ = Timestamp::parse_rfc3339_prefix(data);
    let now = Timestamp(1_795_000_000_000_000);
    for part in String::from_utf8_lossy(data).split('\n') {
        let _ = Timestamp::parse_user(part, now);
        if let Ok(t) = Timestamp::parse_user(part, now) {
            let _ = t.to_string();
        }
    }
}

/// A topology file (TOML naming the sources).
fn topology(data: &[u8]) {
    let options = crate::source::SourceOptions::default();
    let _ = crate::topology::parse(&String::from_utf8_lossy(data), "fuzz.toml", &options);
}

fn parser(keep: Keep) -> StreamParser {
    StreamParser::new(
        Arc::from("fuzz"),
        Some(Role::Worker),
        Some(Arc::from("fuzz.log")),
        Prefilter::default(),
    )
    .keeping(keep)
}

/// Every renderer on the events; the text ones must leave nothing a terminal would act on.
fn render_all(events: &[Event]) {
    for (format, color) in [
        (Format::Pretty, true),
        (Format::Pretty, false),
        (Format::Compact, false),
        (Format::Json, false),
    ] {
        let mut out = Vec::new();
        {
            let net = if format == Format::Json {
                Net::Json
            } else {
                Net::Text
            };
            let mut renderer = Renderer::new(Guard::new(&mut out, net), format, color);
            for e in events {
                renderer.event(e).expect("writing to memory");
            }
            renderer.flush().expect("writing to memory");
        }
        let text = String::from_utf8(out).expect("renderers write UTF-8");
        assert_terminal_safe(&text);
        if format == Format::Json {
            for line in text.lines() {
                serde_json::from_str::<serde_json::Value>(line).expect("JSON output reads back");
            }
        }
    }
}

/// No ESC but one starting a colour, no other unsafe character (see [`crate::escape`]).
fn assert_terminal_safe(text: &str) {
    for (i, c) in text.char_indices() {
        if c == '\u{1b}' {
            let sgr = text[i + 1..].strip_prefix('[').is_some_and(|r| {
                let n = r.bytes().take_while(|b| b.is_ascii_digit() || *b == b';');
                r.as_bytes().get(n.count()) == Some(&b'm')
            });
            assert!(sgr, "a raw escape sequence in {text:?}");
        } else {
            assert!(!crate::escape::is_unsafe(c), "raw {c:?} in {text:?}");
        }
    }
}

/// A small, fast generator (xorshift), so that a seed replays a run exactly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to the parsers, for insertions.
const TOKENS: [&[u8]; 24] = [
    b"\n",
    b"\r\n",
    b" ",
    b"  ",
    b"    at ",
    b"    in ",
    b": ",
    b", ",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"\x1b[31m",
    b"\x1b]0;x\x07",
    "\u{9b}".as_bytes(),
    "\u{202e}".as_bytes(),
    "→".as_bytes(),
    b"\xff",
    b"2026-11-21T10:00:00.000001Z",
    b" INFO ",
    b"ERROR",
    b"JobId(",
    b"job_id ",
    b"[Phase2] ",
];

/// One mutation of `input` (with another corpus entry `other` for splicing).
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            2 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            3 if !other.is_empty() => {
                let from = rng.below(other.len());
                let to = (from + 1 + rng.below(256)).min(other.len());
                out.splice(at..at, other[from..to].iter().copied());
            }
            4 if !out.is_empty() => {
                // Repeat a slice: long lines, deep nesting, many continuation lines.
                let from = rng.below(out.len());
                let to = (from + 1 + rng.below(64)).min(out.len());
                let piece = out[from..to].to_vec();
                for _ in 0..rng.below(32) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
            5 => out.insert(at, rng.next_u64() as u8),
            _ if !out.is_empty() => out.truncate(at),
            _ => {}
        }
    }
    out.truncate(1 << 16);
    out
}

/// The saved inputs of a target: `fuzz/corpus/<name>/*`.
pub fn corpus(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every saved input of every target runs clean, and each target has some.
    #[test]
    fn the_saved_corpora_run_clean() {
        for (name, target) in TARGETS {
            let inputs = corpus(name);
            assert!(!inputs.is_empty(), "fuzz/corpus/{name} is empty");
            for (path, input) in inputs {
                let run = std::panic::catch_unwind(|| target(&input));
                assert!(run.is_ok(), "{name}: {} fails", path.display());
            }
        }
    }

    /// A short seeded mutation pass over each corpus (the long runs are scripts/fuzz.sh).
    #[test]
    fn a_short_mutation_pass_runs_clean() {
        for (name, target) in TARGETS {
            let inputs = corpus(name);
            let mut rng = Rng::new(name.len() as u64);
            for _ in 0..300 {
                let a = &inputs[rng.below(inputs.len())].1;
                let b = &inputs[rng.below(inputs.len())].1;
                let input = mutate(&mut rng, a, b);
                let run = std::panic::catch_unwind(|| target(&input));
                assert!(
                    run.is_ok(),
                    "{name} fails on {:?}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }
}
