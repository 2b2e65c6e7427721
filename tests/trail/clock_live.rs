//! Aligned time where `tail` selects and follows: live lines of two hosts (a worker 1.5 s
//! ahead) written to real files while `tail -f` reads them, and `--since/--until` on aligned
//! time over a cluster whose worker is 90 s ahead.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::util::{line_reader, wait_for, zl};

/// How long a live line may take to show.
const LIVE: Duration = Duration::from_secs(20);

const JOB: &str = "JobId(aaaaaaaa…)";
/// The worker's clock is this far ahead of the coordinator's (µs).
const AHEAD_US: i64 = 1_500_000;

/// `2026-11-21T10:<min>:<sec>Z` as the releases log it, `us` microseconds after 10:00:00.
fn at(us: i64) -> String {
    let s = us.div_euclid(1_000_000);
    format!(
        "2026-11-21T10:{:02}:{:02}.{:06}Z",
        s / 60,
        s % 60,
        us.rem_euclid(1_000_000)
    )
}

fn coordinator_line(true_us: i64, msg: &str) -> String {
    format!("{} INFO: {msg}\n", at(true_us))
}

fn worker_line(true_us: i64, msg: &str) -> String {
    format!("{} INFO: {msg}\n", at(true_us + AHEAD_US))
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Waits for a printed line holding `want`; returns it.
fn position(seen: &[String], want: &str) -> usize {
    seen.iter().position(|l| l.contains(want)).unwrap()
}

/// The mark after the time column (`2026-11-21 10:01:00.200Z`): `*` moved, `!` late.
fn mark(line: &str) -> Option<&str> {
    line.get(24..25)
}

#[test]
fn follow_holds_live_lines_for_the_host_behind_and_marks_one_past_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = dir.path().join("coordinator.log");
    let worker = dir.path().join("worker.log");
    // History: one job step each way pins the worker's offset to [1.495 s, 1.510 s].
    let mut c = coordinator_line(
        1_000_000,
        &format!("[Phase2] Started with 1 workers for {JOB}"),
    );
    c += &coordinator_line(
        9_010_000,
        &format!(
            "[Phase2] WorkerId(w1234567…) finished phase 2 for {JOB} (1 / 1 workers done, 8.010s)"
        ),
    );
    std::fs::write(&coordinator, c).unwrap();
    let mut w = String::from("   Worker ID WorkerId(w1234567…)\n");
    w += &worker_line(1_010_000, &format!("Computing Prove for {JOB}"));
    w += &worker_line(
        9_005_000,
        &format!("Prove computation successful for {JOB}"),
    );
    std::fs::write(&worker, w).unwrap();
    let mut child = zl()
        .args(["--color", "never", "-o", "pretty", "--coordinator"])
        .arg(&coordinator)
        .arg("--worker")
        .arg(&worker)
        .args(["tail", "-f", "-n", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = line_reader(&mut child);
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "finished phase 2", LIVE);
    // Live: the coordinator's line (true 60.4 s) is written before the worker's (true 60.2 s,
    // logged 61.7 s): the worker's is printed first, at its aligned time.
    append(
        &coordinator,
        &coordinator_line(60_400_000, "live coordinator one"),
    );
    std::thread::sleep(Duration::from_millis(150));
    append(&worker, &worker_line(60_200_000, "live worker one"));
    wait_for(&rx, &mut seen, "live coordinator one", LIVE);
    let early = wait_for(&rx, &mut seen, "live worker one", LIVE);
    assert!(
        position(&seen, "live worker one") < position(&seen, "live coordinator one"),
        "{seen:#?}"
    );
    // Shown at its aligned time (within the offset's ±7.5 ms), not the 10:01:01.7 it logged.
    assert!(
        early.starts_with("2026-11-21 10:01:00.19") || early.starts_with("2026-11-21 10:01:00.20"),
        "{early}"
    );
    assert_eq!(mark(&early), Some("*"), "{early}");
    // A worker line that comes after a coordinator line aligned later has been printed is
    // printed at once, after it, marked.
    append(
        &coordinator,
        &coordinator_line(61_000_000, "live coordinator two"),
    );
    wait_for(&rx, &mut seen, "live coordinator two", LIVE);
    append(&worker, &worker_line(60_900_000, "live worker two"));
    let late = wait_for(&rx, &mut seen, "live worker two", LIVE);
    assert!(
        position(&seen, "live coordinator two") < position(&seen, "live worker two"),
        "{seen:#?}"
    );
    assert_eq!(mark(&late), Some("!"), "{late}");
    child.kill().unwrap();
    let _ = child.wait();
}

/// A line of the cluster: (file, line number).
type Line = (String, u64);
/// A line and when it was logged by the coordinator's clock (µs).
type Timed = (String, u64, i64);

/// `--since 10:04 --until 10:07` over `fixtures/skew/offset-90s` (prover-a1 90 s ahead, h100-a
/// 47.5 s behind): (file, line) of the lines printed, and the cluster's events by the
/// coordinator's clock at the instant each was logged (its true time plus the coordinator's skew).
fn window_read(extra: &[&str]) -> (Vec<Line>, Vec<Timed>) {
    let dir = crate::util::fixtures().join("skew").join("offset-90s");
    let t = super::check::truth(&dir);
    let skew = (t["coordinator_skew_ms"].as_f64().unwrap() * 1000.0) as i64;
    let r = crate::util::run(
        zl().arg("--config")
            .arg(dir.join("zisk-logs.toml"))
            .args(["-o", "json", "tail", "--since", "2026-11-21T10:04:00Z"])
            .args(["--until", "2026-11-21T10:07:00Z"])
            .args(extra),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let printed = crate::util::ndjson(&r.stdout)
        .iter()
        .filter(|e| !e["origin"].is_null())
        .map(super::check::origin)
        .collect();
    let text = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let events = crate::util::ndjson(&text)
        .into_iter()
        .filter_map(|e| {
            let us = chrono::DateTime::parse_from_rfc3339(e["true_ts"].as_str()?)
                .ok()?
                .timestamp_micros();
            Some((
                e["file"].as_str()?.to_string(),
                e["line"].as_u64()?,
                us + skew,
            ))
        })
        .collect();
    (printed, events)
}

#[test]
fn since_and_until_select_the_same_instant_on_every_host() {
    let (since, until) = (
        chrono::DateTime::parse_from_rfc3339("2026-11-21T10:04:00Z")
            .unwrap()
            .timestamp_micros(),
        chrono::DateTime::parse_from_rfc3339("2026-11-21T10:07:00Z")
            .unwrap()
            .timestamp_micros(),
    );
    // A second's slack at the edges: offsets are estimated to milliseconds, and a worker with
    // no pairs is selected on its logged time (these are all well under a second off).
    let slack = 1_000_000;
    let (printed, events) = window_read(&[]);
    let when: std::collections::HashMap<(String, u64), i64> = events
        .iter()
        .map(|(f, l, t)| ((f.clone(), *l), *t))
        .collect();
    for key in &printed {
        if let Some(&t) = when.get(key) {
            assert!(
                t >= since - slack && t <= until + slack,
                "{key:?} printed, logged at {t} by the coordinator's clock"
            );
        }
    }
    let inside: Vec<&(String, u64, i64)> = events
        .iter()
        .filter(|(_, _, t)| *t >= since + slack && *t <= until - slack)
        .collect();
    for (f, l, _) in &inside {
        assert!(
            printed.contains(&(f.clone(), *l)),
            "{f}:{l} is inside the window and was not printed"
        );
    }
    // The hosts far off have lines inside the window (the check above is not empty for them).
    for far in ["prover-a1.log", "h100-a.log"] {
        assert!(inside.iter().any(|(f, _, _)| f == far), "{far}");
    }
    // With alignment off, the window is each host's own clock: prover-a1's lines of 90 s
    // before it are printed.
    let (logged, _) = window_read(&["--align", "off"]);
    assert!(
        logged
            .iter()
            .any(|k| k.0 == "prover-a1.log" && when.get(k).is_some_and(|t| *t < since - slack)),
        "{logged:?}"
    );
}
