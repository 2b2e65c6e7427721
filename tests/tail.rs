//! `zisk-logs tail` over files and stdin: exit codes, bad input, follow, output schema.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use crate::util::*;

const JOB: &str = "1a2b3c4d-0000-4000-8000-00000000abcd";
const OTHER_JOB: &str = "99999999-0000-4000-8000-000000000000";

fn zisk_line(sec: u32, level: &str, msg: &str) -> String {
    format!("2026-11-21T10:00:{sec:02}.000000Z {level}: {msg}\n")
}

/// The time `secs` seconds after 2026-11-21T10:00:00Z, as the ZisK format prints it.
fn time_after_ten(secs: u32) -> String {
    let t = 10 * 3600 + secs;
    let (day, h, m, s) = (21 + t / 86_400, (t / 3600) % 24, (t / 60) % 60, t % 60);
    format!("2026-11-{day}T{h:02}:{m:02}:{s:02}.000000Z")
}

fn sample_log() -> String {
    let mut s = String::new();
    s += &zisk_line(
        1,
        "INFO",
        "[Job] Started JobId(1a2b3c4d…) successfully Capacity: 10 Workers: 2",
    );
    s += &zisk_line(
        2,
        "INFO",
        "[Phase2] Started with 2 workers for JobId(1a2b3c4d…)",
    );
    s += &zisk_line(
        3,
        "WARN",
        "[Job] Started JobId(99999999…) successfully Capacity: 1 Workers: 1",
    );
    s += &zisk_line(
        4,
        "ERROR",
        &format!("Failed job {JOB} (reason: worker dropped)"),
    );
    s
}

fn write(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn exit_codes_say_matched_nothing_and_usage() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(&dir, "c.log", sample_log().as_bytes());
    let hit = run(zl().args(["tail", "-o", "raw", "--job", JOB, &log]));
    assert_eq!(hit.code, 0, "{}", hit.stderr);
    assert_eq!(hit.stdout.lines().count(), 3);
    let none = run(zl().args(["tail", "--job", "deadbeef", &log]));
    assert_eq!(none.code, 1);
    assert!(none.stdout.is_empty());
    let usage = run(zl().args(["tail", "--level", "loud", &log]));
    assert_eq!(usage.code, 2);
    assert!(usage.stderr.contains("unknown level"), "{}", usage.stderr);
    let short = run(zl().args(["tail", "--job", "1a2", &log]));
    assert_eq!(short.code, 2);
    let missing = run(zl().args(["tail", "/nonexistent/zisk.log"]));
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("/nonexistent/zisk.log") && missing.stderr.contains("no such file"),
        "{}",
        missing.stderr
    );
    assert!(!missing.stderr.contains("panicked"));
}

#[test]
fn a_missing_source_beside_a_good_one_exits_3_and_prints_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(&dir, "c.log", sample_log().as_bytes());
    let r = run(zl().args(["tail", "-o", "raw", &log, "/nonexistent/w.log"]));
    assert_eq!(r.code, 3);
    assert_eq!(r.stdout.lines().count(), 4);
    assert_eq!(
        r.stderr.lines().count(),
        1,
        "one line per problem: {}",
        r.stderr
    );
}

#[test]
fn filters_level_phase_grep_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(&dir, "c.log", sample_log().as_bytes());
    let lines = |args: &[&str]| {
        let mut all = vec!["tail", "-o", "json"];
        all.extend_from_slice(args);
        all.push(&log);
        ndjson(&run(zl().args(&all)).stdout)
            .iter()
            .map(|v| v["message"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&["--level", "warn"]).len(), 2);
    assert_eq!(lines(&["--level", "ERROR"]).len(), 1);
    assert_eq!(
        lines(&["--phase", "prove"]),
        ["[Phase2] Started with 2 workers for JobId(1a2b3c4d…)"]
    );
    assert_eq!(lines(&["-g", "^Failed job"]).len(), 1);
    assert_eq!(lines(&["--since", "2026-11-21T10:00:03Z"]).len(), 2);
    assert_eq!(lines(&["--until", "2026-11-21T10:00:01.5Z"]).len(), 1);
    assert_eq!(lines(&["--job", "99999999", "--level", "warn"]).len(), 1);
    assert_eq!(
        lines(&["--job", OTHER_JOB]).len(),
        1,
        "a full ID matches its truncated form"
    );
}

#[test]
fn json_output_has_exactly_the_schema_keys() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(&dir, "coord.log", sample_log().as_bytes());
    let r = run(zl().args(["tail", "-o", "json", "--job", JOB, &log]));
    let events = ndjson(&r.stdout);
    let keys: Vec<_> = events[0].as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "kind",
            "ts",
            "ts_aligned",
            "level",
            "source",
            "role",
            "worker_id",
            "job_id",
            "phase",
            "target",
            "message",
            "fields",
            "raw",
            "origin",
            "context",
            "around",
            "late"
        ]
    );
    assert_eq!(events[0]["kind"], "event");
    assert_eq!(events[0]["source"], "coord");
    assert_eq!(events[0]["origin"]["line"], 1);
    assert_eq!(events[0]["ts"], "2026-11-21T10:00:01.000000Z");
    // The full ID typed names the truncated lines too.
    assert!(events.iter().all(|e| e["job_id"] == JOB), "{events:?}");
    // Without it, lines before the first full mention show what they show.
    let all = ndjson(&run(zl().args(["tail", "-o", "json", &log])).stdout);
    assert_eq!(
        all[0]["job_id"], "1a2b3c4d",
        "as logged, without the ellipsis"
    );
    assert_eq!(all[3]["job_id"], JOB);
    assert_eq!(events[0]["context"], false);
}

#[test]
fn roles_come_from_the_option_that_named_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let c = write(&dir, "c.log", sample_log().as_bytes());
    let w = write(&dir, "w.log", b"   Worker ID gpu-07\n2026-11-21T10:00:02.500000Z INFO: Computing Prove for JobId(1a2b3c4d\xe2\x80\xa6)\n");
    let r = run(zl().args([
        "--coordinator",
        &c,
        "--worker",
        &format!("file:{w}"),
        "tail",
        "-o",
        "json",
        "--job",
        JOB,
    ]));
    let ev = ndjson(&r.stdout);
    let roles: Vec<_> = ev.iter().map(|e| e["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        ["coordinator", "coordinator", "worker", "coordinator"],
        "merged by time"
    );
    assert_eq!(ev[2]["worker_id"], "gpu-07");
    let by_worker = run(zl().args([
        "--coordinator",
        &c,
        "--worker",
        &w,
        "tail",
        "-o",
        "raw",
        "--worker-id",
        "gpu-07",
    ]));
    assert!(by_worker.stdout.contains("Computing Prove"));
}

#[test]
fn bad_input_is_reported_and_the_rest_still_prints() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    data.extend_from_slice(zisk_line(1, "INFO", "before").as_bytes());
    data.extend_from_slice(b"2026-11-21T10:00:02.000000Z INFO: bad \xff\xfe bytes\n");
    data.extend_from_slice(b"2026-11-21T10:00:03.000000Z INFO: huge ");
    data.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    data.push(b'\n');
    data.extend_from_slice(zisk_line(4, "INFO", "after").as_bytes());
    let log = write(&dir, "bad.log", &data);
    let r = run(zl().args(["tail", "-o", "json", &log]));
    assert_eq!(r.code, 3, "problems are reported in the exit code");
    let ev = ndjson(&r.stdout);
    let messages: Vec<_> = ev
        .iter()
        .map(|e| {
            e["message"]
                .as_str()
                .unwrap()
                .chars()
                .take(10)
                .collect::<String>()
        })
        .collect();
    assert_eq!(
        messages,
        ["before", "bad \u{fffd}\u{fffd} byt", "huge xxxxx", "after"]
    );
    assert!(ev[2]["message"].as_str().unwrap().len() <= 1 << 20);
    assert!(
        r.stderr.contains("bad.log")
            && r.stderr.contains("invalid UTF-8")
            && r.stderr.contains("line 2"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("cut short") && r.stderr.contains("line 3"),
        "{}",
        r.stderr
    );
    // -o raw gives the original bytes back.
    let raw = std::process::Command::new(env!("CARGO_BIN_EXE_zisk-logs"))
        .args(["tail", "-o", "raw", "-g", "bad", &log])
        .output()
        .unwrap();
    assert!(raw.stdout.windows(2).any(|w| w == b"\xff\xfe"));
}

#[test]
fn gzip_and_bzip2_are_read_and_a_truncated_archive_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(sample_log().as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(zisk_line(5, "INFO", "from bz2").as_bytes())
        .unwrap();
    let bz = bz.finish().unwrap();
    write(&dir, "zisk-coordinator.log.1.gz", &gz);
    write(&dir, "zisk-coordinator.log.0.bz2", &bz);
    write(
        &dir,
        "zisk-coordinator.log",
        zisk_line(6, "INFO", "live").as_bytes(),
    );
    let r = run(zl().args(["tail", "-o", "json", dir.path().to_str().unwrap()]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ev = ndjson(&r.stdout);
    assert_eq!(ev.len(), 6);
    assert_eq!(ev[4]["message"], "from bz2");
    assert_eq!(ev[5]["message"], "live");
    assert!(
        ev.iter().all(|e| e["source"] == "zisk-coordinator"),
        "rotations are one log"
    );

    let cut = write(&dir, "cut.log.gz", &gz[..gz.len() * 2 / 3]);
    let r = run(zl().args(["tail", "-o", "raw", &cut]));
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("cut.log.gz") && r.stderr.contains("truncated or corrupt archive"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn stdin_is_read_when_piped() {
    let mut child = zl()
        .args(["tail", "-o", "raw", "--phase", "Prove"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sample_log().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    let dash = zl()
        .args(["tail", "-o", "raw", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut dash = dash;
    dash.stdin
        .take()
        .unwrap()
        .write_all(sample_log().as_bytes())
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&dash.wait_with_output().unwrap().stdout)
            .lines()
            .count(),
        4
    );
}

#[test]
fn last_n_events() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(&dir, "c.log", sample_log().as_bytes());
    let r = run(zl().args(["tail", "-o", "raw", "-n", "2", &log]));
    let lines: Vec<_> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].contains("Failed job"));
    let r = run(zl().args(["tail", "-o", "raw", "-n", "1", "--level", "warn", &log]));
    assert!(r.stdout.contains("Failed job") && r.stdout.lines().count() == 1);
}

#[test]
fn pretty_output_never_writes_escape_sequences_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(
        &dir,
        "c.log",
        b"2026-11-21T10:00:01.000000Z INFO: evil \x1b]0;pwned\x07 title \x1b[2J clear \r return\n",
    );
    for color in ["always", "never"] {
        let r = std::process::Command::new(env!("CARGO_BIN_EXE_zisk-logs"))
            .args(["tail", "-o", "pretty", "--color", color, &log])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&r.stdout);
        assert!(
            !out.contains("\x1b]") && !out.contains("\x1b[2J") && !out.contains('\r'),
            "{out:?}"
        );
        assert!(out.contains("evil"));
    }
    let compact = std::process::Command::new(env!("CARGO_BIN_EXE_zisk-logs"))
        .args(["tail", "-o", "compact", "-g", "evil", "/dev/null", &log])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&compact.stdout).contains('\x1b'));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let big: String = (0..20_000)
        .map(|i| zisk_line((i % 60) as u32, "INFO", &format!("line {i}")))
        .collect();
    let log = write(&dir, "big.log", big.as_bytes());
    let mut child = zl()
        .args(["tail", "-o", "raw", &log])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn follow_survives_rotation_and_truncation_without_loss_or_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zisk-worker.log");
    let append = |i: usize| {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(zisk_line((i % 60) as u32, "INFO", &format!("line {i}")).as_bytes())
            .unwrap();
    };
    append(0);
    let mut child = zl()
        .args(["tail", "-f", "-o", "raw", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = line_reader(&mut child);
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "line 0", Duration::from_secs(10));
    for i in 1..50 {
        append(i);
    }
    wait_for(&rx, &mut seen, "line 49", Duration::from_secs(10));
    // newsyslog: the old file moves to .0 (a writer may still append to it), a new file takes the name.
    std::fs::rename(&path, dir.path().join("zisk-worker.log.0")).unwrap();
    {
        let mut old = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("zisk-worker.log.0"))
            .unwrap();
        old.write_all(zisk_line(50, "INFO", "line 50").as_bytes())
            .unwrap();
    }
    for i in 51..80 {
        append(i);
    }
    wait_for(&rx, &mut seen, "line 79", Duration::from_secs(10));
    // Truncation in place (copytruncate style).
    std::fs::write(&path, "").unwrap();
    for i in 80..90 {
        append(i);
    }
    wait_for(&rx, &mut seen, "line 89", Duration::from_secs(10));
    child.kill().unwrap();
    let _ = child.wait();
    let numbers: Vec<usize> = seen
        .iter()
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    assert_eq!(
        numbers,
        (0..90).collect::<Vec<_>>(),
        "every line exactly once, in order"
    );
}

#[test]
fn follow_shows_an_appended_line_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.log");
    std::fs::write(&path, sample_log()).unwrap();
    let mut child = zl()
        .args(["tail", "-f", "-n", "1", "-o", "raw", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = line_reader(&mut child);
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "Failed job", Duration::from_secs(10));
    assert_eq!(seen.len(), 1, "-n 1 shows one line of history: {seen:?}");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(zisk_line(9, "INFO", "appended").as_bytes())
        .unwrap();
    wait_for(&rx, &mut seen, "appended", Duration::from_secs(10));
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn completions_are_current() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = run(zl().args(["completions", shell]));
        assert_eq!(r.code, 0);
        let file = root().join("completions").join(match shell {
            "bash" => "zisk-logs.bash",
            "zsh" => "_zisk-logs",
            "fish" => "zisk-logs.fish",
            "elvish" => "zisk-logs.elv",
            _ => "_zisk-logs.ps1",
        });
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            committed == r.stdout,
            "{} is out of date: run scripts/gen-completions.sh",
            file.display()
        );
    }
}

/// Runs `tail ARGS` on the log through stdin (read front to back, no seeking): the reference
/// for a file read that seeks.
fn tail_via_stdin(args: &[&str], log: &[u8]) -> Run {
    let mut child = zl()
        .arg("tail")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let log = log.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&log));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What two reads of the same lines must agree on (the source label and path differ).
fn comparable(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.as_object_mut().unwrap().remove("source");
            e["origin"]["path"] = serde_json::Value::Null;
            e.to_string()
        })
        .collect()
}

#[test]
fn a_time_window_in_a_large_file_is_found_by_bisection_with_the_same_result() {
    // A worker that restarts under a new ID halfway, untimed lines here and there: ~6 MB.
    let mut log = String::from("ZisK Worker v0.15.0\n   Worker ID first-id\n");
    for i in 0..60_000u32 {
        if i == 30_000 {
            log += "ZisK Worker v0.15.0\n   Worker ID second-id\n";
        }
        let ts = time_after_ten(i);
        log += &format!("{ts} INFO: [Phase2] Computing Prove for JobId(1a2b3c4d…) step {i}\n");
        if i % 997 == 0 {
            log += "untimed continuation of the line above\n";
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "worker.log", log.as_bytes());
    // Before the restart, just after the start, and after the restart.
    for (since, until, worker) in [
        ("2026-11-21T15:00:00Z", "2026-11-21T15:10:00Z", "first-id"),
        ("2026-11-21T10:30:00Z", "2026-11-21T10:31:00Z", "first-id"),
        ("2026-11-22T01:00:00Z", "2026-11-22T01:05:00Z", "second-id"),
    ] {
        let args = ["--since", since, "--until", until, "-o", "json"];
        let from_file = run(zl().arg("tail").args(args).arg(&file));
        let reference = tail_via_stdin(&args, log.as_bytes());
        assert_eq!(from_file.code, reference.code, "{}", from_file.stderr);
        let (got, want) = (ndjson(&from_file.stdout), ndjson(&reference.stdout));
        assert_eq!(
            comparable(&got),
            comparable(&want),
            "window {since} .. {until}"
        );
        assert!(
            got.len() > 50,
            "window {since} .. {until}: {} events",
            got.len()
        );
        assert!(got[0]["origin"]["line"].as_u64().unwrap() > 1000);
        assert!(got.iter().all(|e| e["worker_id"] == worker), "{}", got[0]);
    }
}

#[test]
fn a_file_mapped_window_by_window_reads_as_stdin_does() {
    // ~10 MB: three 4 MiB windows scanned ahead on the pool, which must still come out in
    // the file's order. Banners and untimed lines straddle the window edges somewhere.
    let mut log = String::new();
    for i in 0..96_000u32 {
        if i % 30_000 == 0 {
            log += &format!("ZisK Worker v0.15.0\n   Worker ID worker-{i}\n");
        }
        let ts = time_after_ten(i);
        let phase = if i % 3 == 0 { "Prove" } else { "Contributions" };
        log += &format!("{ts} INFO: [Job] {phase} for JobId(1a2b3c4d…) step {i}\n");
        if i % 1013 == 0 {
            log += "untimed continuation of the line above\n";
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "worker.log", log.as_bytes());
    for args in [&["-o", "json"][..], &["--phase", "Prove", "-o", "json"]] {
        let from_file = run(zl().arg("tail").args(args).arg(&file));
        let reference = tail_via_stdin(args, log.as_bytes());
        assert_eq!(from_file.code, reference.code, "{}", from_file.stderr);
        let (got, want) = (ndjson(&from_file.stdout), ndjson(&reference.stdout));
        assert!(got.len() > 30_000, "{args:?}: {} events", got.len());
        assert_eq!(comparable(&got), comparable(&want), "{args:?}");
        let last = got.last().unwrap();
        assert_eq!(last["worker_id"], "worker-90000", "{last}");
    }
}
