//! The fast paths (prefilter, bulk skipping in blocks) must give exactly the events the plain
//! line-by-line parse followed by the filter gives: checked on every fixture cluster and on
//! inputs made to trip them (banners, untimed lines, pretty events, ANSI, escapes, bad UTF-8).

use std::sync::Arc;

use super::view::LineView;
use super::{Envelope, Keep, Prefilter, StreamParser};
use crate::derive::{derive, derive_phase};
use crate::event::{Event, IdRef, Level, Phase, Role};
use crate::filter::{Filter, IdQuery};

/// What a reader of the output could tell apart.
fn key(e: &Event) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}|{}",
        e.ts,
        e.sort_ts,
        e.level,
        e.job_id,
        e.worker_id.as_ref().map(IdRef::display),
        e.phase,
        e.origin.as_ref().map(|o| o.line),
        e.target,
        e.message,
        serde_json::to_string(&e.fields).unwrap(),
        String::from_utf8_lossy(&e.raw)
    )
}

fn parser(prefilter: Prefilter) -> StreamParser {
    StreamParser::new(
        Arc::from("s"),
        Some(Role::Worker),
        Some(Arc::from("f")),
        prefilter,
    )
}

/// The reference: every line parsed (then filtered by the caller).
fn slow(input: &[u8]) -> (Vec<Event>, u64) {
    let mut p = parser(Prefilter::default());
    let mut out = Vec::new();
    let mut sink = |e: Event| out.push(e);
    for (i, line) in input.split_inclusive(|&b| b == b'\n').enumerate() {
        p.push(line, i as u64 + 1, Envelope::default(), &mut sink);
    }
    p.flush(&mut sink);
    (out, p.problems.invalid_utf8_lines)
}

/// What raw output reads of an event (its line, and its place in time).
fn raw_key(e: &Event) -> String {
    format!(
        "{:?}|{:?}|{}",
        e.ts,
        e.sort_ts,
        String::from_utf8_lossy(&e.raw)
    )
}

/// What the compact and pretty outputs read of an event.
fn shown_key(e: &Event) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}",
        e.ts,
        e.sort_ts,
        e.level,
        e.job_id,
        e.phase,
        e.message,
        String::from_utf8_lossy(&e.raw)
    )
}

/// The events for raw output that a filter selects.
fn raw_keep(filter: &Filter) -> Keep {
    Keep::Shown {
        message: filter.grep.is_some(),
    }
}

/// The fast path: prefilter, line by line or in blocks of whole lines cut every `cut` bytes,
/// each event read as `key` reads it.
fn fast(
    input: &[u8],
    filter: &Filter,
    cut: Option<usize>,
    keep: Keep,
    key: fn(&Event) -> String,
) -> (Vec<String>, u64) {
    let mut p = parser(filter.prefilter()).keeping(keep);
    let mut out = Vec::new();
    feed(&mut p, input, cut, &mut |e: Event| {
        if filter.matches(&e) {
            out.push(key(&e))
        }
    });
    (out, p.problems.invalid_utf8_lines)
}

/// Feeds `input` to `p` as the readers do: line by line (`cut` None) or in blocks of whole
/// lines cut every `cut` bytes; then flushes.
pub(crate) fn feed(
    p: &mut StreamParser,
    input: &[u8],
    cut: Option<usize>,
    sink: &mut dyn FnMut(Event),
) {
    match cut {
        None => {
            for (i, line) in input.split_inclusive(|&b| b == b'\n').enumerate() {
                p.push(line, i as u64 + 1, Envelope::default(), sink);
            }
        }
        Some(cut) => {
            let (mut pos, mut line_no) = (0, 1);
            while pos < input.len() {
                let target = (pos + cut).min(input.len());
                let end = match memchr::memchr(b'\n', &input[target.saturating_sub(1)..]) {
                    Some(i) => target.saturating_sub(1) + i + 1,
                    None => input.len(),
                };
                line_no += p.push_block(&input[pos..end], line_no, sink);
                pos = end;
            }
        }
    }
    p.flush(sink);
}

/// The fixtures folder, every file below it at any depth.
pub(crate) fn fixture_files() -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(std::path::Path::new(FIXTURES), &mut files);
    files
}

pub(crate) const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

fn filters(job: &str) -> Vec<Filter> {
    let mut all = Vec::new();
    for level in [None, Some(Level::Warn), Some(Level::Info)] {
        for phase in [None, Some("Prove"), Some("aggregate"), Some("Setup")] {
            for job in [None, Some(job)] {
                if level.is_none() && phase.is_none() && job.is_none() {
                    continue;
                }
                all.push(Filter {
                    level,
                    phase: phase.map(Phase::new),
                    job: job.map(|j| IdQuery::parse(j).unwrap()),
                    ..Filter::default()
                });
            }
        }
    }
    all
}

fn check(input: &[u8], job: &str, what: &str) {
    let (all, invalid) = slow(input);
    for filter in filters(job) {
        let want = (
            all.iter()
                .filter(|e| filter.matches(e))
                .map(key)
                .collect::<Vec<_>>(),
            invalid,
        );
        // Bad UTF-8 is counted in the lines that are shown (or parsed), the same on every path.
        let line_by_line = fast(input, &filter, None, Keep::Everything, key).1;
        assert!(
            line_by_line <= want.1,
            "{what}: invalid UTF-8 count, {filter:?}"
        );
        let want_raw: Vec<_> = all
            .iter()
            .filter(|e| filter.matches(e))
            .map(raw_key)
            .collect();
        let want_shown: Vec<_> = all
            .iter()
            .filter(|e| filter.matches(e))
            .map(shown_key)
            .collect();
        for cut in [None, Some(1), Some(4096), Some(usize::MAX / 2)] {
            // Raw output: the lines parsed ahead are read only for the filters.
            let raw = fast(input, &filter, cut, raw_keep(&filter), raw_key);
            assert!(
                raw.0 == want_raw,
                "{what}: raw output, {filter:?}, cut {cut:?}: {} events, want {}; first difference: {:?}",
                raw.0.len(),
                want_raw.len(),
                raw.0.iter().zip(&want_raw).find(|(a, b)| a != b)
            );
            // Compact and pretty output: IDs and message too.
            let keep = Keep::Shown { message: true };
            let shown = fast(input, &filter, cut, keep, shown_key);
            assert!(
                shown.0 == want_shown,
                "{what}: compact output, {filter:?}, cut {cut:?}: first difference: {:?}",
                shown.0.iter().zip(&want_shown).find(|(a, b)| a != b)
            );
            let got = fast(input, &filter, cut, Keep::Everything, key);
            assert_eq!(
                got.1, line_by_line,
                "{what}: invalid UTF-8 count, {filter:?}, cut {cut:?}"
            );
            assert!(
                got.0 == want.0,
                "{what}: {filter:?}, cut {cut:?}: {} events, want {}; first difference: {:?}",
                got.0.len(),
                want.0.len(),
                got.0.iter().zip(&want.0).find(|(a, b)| a != b)
            );
        }
    }
}

/// A fixture cluster's folders, each with the ID of its second job and its log files.
fn fixture_clusters() -> Vec<(String, String, Vec<std::path::PathBuf>)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/clusters");
    let mut clusters = Vec::new();
    for cluster in std::fs::read_dir(root).unwrap() {
        let dir = cluster.unwrap().path();
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
        let job = truth["jobs"][1]["job_id"].as_str().unwrap().to_string();
        let mut logs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|f| f.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        logs.sort();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        clusters.push((name, job, logs));
    }
    clusters
}

#[test]
fn fixture_clusters_give_the_same_events() {
    let mut files = 0;
    for (_, job, logs) in fixture_clusters() {
        for path in logs {
            let input = std::fs::read(&path).unwrap();
            check(&input, &job, &path.display().to_string());
            files += 1;
        }
    }
    assert!(files >= 55, "read {files} fixture files");
}

#[test]
fn streams_longer_than_one_candidate_search_give_the_same_events() {
    // A cluster's files one after another, twice over: several of the stretches the
    // scan searches for candidates at a time, with the job's lines in some and not others.
    let picked = ["full-documented", "json-documented", "zisk-ansi"];
    let clusters = fixture_clusters();
    for (name, job, logs) in clusters.iter().filter(|c| picked.contains(&c.0.as_str())) {
        let mut input = Vec::new();
        for _ in 0..2 {
            for log in logs {
                input.extend_from_slice(&std::fs::read(log).unwrap());
            }
        }
        assert!(
            input.len() > 2 * super::scan::STRETCH,
            "{name}: {} bytes",
            input.len()
        );
        check(&input, job, name);
    }
    assert_eq!(
        clusters
            .iter()
            .filter(|c| picked.contains(&c.0.as_str()))
            .count(),
        picked.len()
    );
}

/// Deriving IDs and phase from a line not yet built into an event gives what deriving them
/// from the built event gives.
fn check_derive_from_view(input: &[u8], what: &str) -> usize {
    let mut seen = 0;
    for line in input.split(|&b| b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        let text = super::strip_ansi(text);
        let Some(view) = LineView::of(&text) else {
            continue;
        };
        let message = view.message().into_owned();
        let from_view = derive(&message, &view);
        let phase = derive_phase(&message, &view).phase;
        let (ts, level) = (view.ts(), view.level());
        let built = view.into_parsed();
        assert_eq!(message, built.message, "{what}: {text}");
        assert_eq!((ts, level), (built.ts, built.level), "{what}: {text}");
        let from_event = derive(&built.message, &*built.fields);
        assert_eq!(from_view, from_event, "{what}: {text}");
        assert_eq!(phase, from_event.phase, "{what}: {text}");
        seen += 1;
    }
    seen
}

#[test]
fn fields_read_from_a_line_are_the_fields_of_its_event() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/clusters");
    let mut lines = 0;
    for cluster in std::fs::read_dir(root).unwrap() {
        for file in std::fs::read_dir(cluster.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "log") {
                let input = std::fs::read(&path).unwrap();
                lines += check_derive_from_view(&input, &path.display().to_string());
            }
        }
    }
    assert!(lines > 1000, "read {lines} lines");
    // Clashes, escapes and values that are not strings.
    let awkward = [
        r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":{"message":"m","phase":"Prove"},"span":{"phase":"Aggregate","name":"p"},"spans":[{"phase":"Execution","job_id":"j-1","name":"p"}]}"#,
        r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","msg":"flat","phase":"Aggregate","job_id":7,"fields":{"phase":"Prove"}}"#,
        r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":{"msg":"first","message":"second","job_id":"JobId(1a2b3c4d…)"}}"#,
        r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","fields":{"message":{"a":1}},"worker_id":"w\u0031","phase":true}"#,
        r#"{"timestamp":"2026-11-21T10:00:00Z","level":"INFO","message":"m","spans":[{"job_id":"a","name":"x"},{"job_id":"b","name":"y"}]}"#,
        "2026-11-21T10:00:00.000001Z  INFO job{job_id=\"ab \\\"cd\"}:phase{phase=Prove}: zisk_worker: m phase=Aggregate",
        "2026-11-21T10:00:00.000001Z  INFO job{job_id=12}: zisk_worker: m worker_id=1.5 phase=true",
        "2026-11-21T10:00:00.000001Z  INFO zisk_worker: Prove for JobId(1a2b3c4d…) job_id=\"\" phase=\"\"",
        "2026-11-21T10:00:00.000001Z [rank=x] zisk_worker::p INFO: proof for WorkerId(gpu-07)",
    ]
    .join("\n");
    assert_eq!(check_derive_from_view(awkward.as_bytes(), "awkward"), 9);
}

#[test]
fn awkward_inputs_give_the_same_events() {
    let job = "1a2b3c4d-0000-4000-8000-00000000abcd";
    let input = [
        "ZisK Worker v0.15.0",
        "   Worker ID 9f8e7d6c-1111-4111-8111-111111111111",
        "thread 'main' panicked while proving",
        "2026-11-21T10:00:00.000001Z INFO: Computing Contribution for JobId(ffffffff…)",
        "2026-11-21T10:00:01.000001Z INFO: not Prove related",
        "untimed Prove line after a skipped one",
        "2026-11-21T10:00:02.000001Z something that does not parse",
        "untimed proof line after a line that does not parse",
        r#"{"timestamp":"2026-11-21T10:00:03Z","level":"w","fields":{"message":"lower-case level","phase":"PROVE"}}"#,
        r#"{"timestamp":"2026-11-21T10:00:04Z","level":"INFO","fields":{"message":"esc\u0061ped","job_id":"1a2b3c4d-0000-4000-8000-00000000abcd"}}"#,
        r#"{"timestamp":"2026-11-21T10:00:05Z","level" : " Error ","fields":{"message":"spaced"}}"#,
        r#"{"timestamp":"2026-11-21T10:00:06Z","level":"INFO","fields":{"message":"Pro"#,
        "",
        "  2026-11-21T10:00:07.000001Z  WARN zisk_worker: slow, n: 1",
        "    at src/a.rs:1 on main",
        "    in zisk_worker::job with job_id: \"1a2b3c4d-0000-4000-8000-00000000abcd\", phase: \"Prove\"",
        "",
        "  2026-11-21T10:00:08.000001Z  INFO zisk_worker: quiet",
        "    in zisk_worker::job with phase: \"Aggregate\"",
        "2026-11-21T10:00:09.000001Z \x1b[33mWARN\x1b[0m: [Phase2] Pro\x1b[1mve\x1b[0m for JobId(1a2b3c4d…)",
        "2026-11-21T10:00:10.000001Z ERROR: bad \u{fffd} byte follows",
        "untimed tail line about Prove",
        "ZisK Worker v0.15.1",
        "   Worker ID gpu-07",
        "2026-11-21T10:00:11.000001Z  WARN zisk_worker: Prove again job_id=1a2b3c4d-0000-4000-8000-00000000abcd",
    ]
    .join("\n");
    let mut bytes = input.into_bytes();
    // One line with invalid UTF-8 among lines the prefilter skips.
    bytes.extend_from_slice(b"\n2026-11-21T10:00:12.000001Z INFO: raw \xff byte\n");
    bytes.extend_from_slice(
        b"2026-11-21T10:00:13.000001Z INFO: crlf line\r\nuntimed Prove at the end",
    );
    check(&bytes, job, "awkward");
    // The same, with timed lines first so that no untimed line leads.
    let mut timed_first = b"2026-11-21T09:59:59.000001Z INFO: hello\n".to_vec();
    timed_first.extend_from_slice(&bytes);
    check(&timed_first, job, "awkward, timed first");
    // Large enough that blocks are scanned in two parts on two threads.
    let many = timed_first.repeat(1 + super::scan::SPLIT_MIN / timed_first.len());
    assert_eq!(
        super::scan_block(&Prefilter::default(), Keep::Everything, &many)
            .parts
            .len(),
        2
    );
    check(&many, job, "awkward, repeated");
}
