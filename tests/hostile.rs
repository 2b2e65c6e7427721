//! Issue 20 (parse, render and trail half): hostile log content, each defect's reproduction as
//! a test against the real binary. Terminal output is read through a real pseudo-terminal.

use std::path::PathBuf;

use crate::util::{have_program, ndjson, require, run, zl};

/// Writes `text` to `name` in a fresh temporary folder.
fn log_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// Fails if `out` holds anything a terminal would act on or that hides or reorders text: an
/// ESC that does not start a colour (SGR) sequence, another C0 control but newline and tab,
/// DEL, a C1 control, or a bidi/format character.
fn assert_terminal_safe(what: &str, out: &str) {
    for (i, c) in out.char_indices() {
        if c == '\u{1b}' {
            let rest = &out[i + 1..];
            let sgr = rest.strip_prefix('[').is_some_and(|r| {
                let params = r.bytes().take_while(|b| b.is_ascii_digit() || *b == b';');
                r.as_bytes().get(params.count()) == Some(&b'm')
            });
            assert!(
                sgr,
                "{what}: a raw escape sequence at {i}: {:?}",
                &out[i..(i + 20).min(out.len())]
            );
            continue;
        }
        let bad = matches!(c,
            '\0'..='\u{8}' | '\u{b}'..='\u{1a}' | '\u{1c}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
            | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            | '\u{feff}');
        assert!(!bad, "{what}: raw {c:?} at {i} in {out:?}");
    }
}

/// The issue's reproductions: escapes in a phase field, a `JobId(…)`, a `job_id` word and
/// field, 8-bit C1 controls, and bidi overrides in a message and a failure reason.
const HOSTILE: &str = concat!(
    r#"{"timestamp":"2026-11-21T10:00:04.000000Z","level":"INFO","fields":{"message":"[Phase2] Started","phase":"\u001b]52;c;cHduZWQ=\u0007\u001b[2J"},"target":"c"}"#,
    "\n",
    r#"{"timestamp":"2026-11-21T10:00:05.000000Z","level":"INFO","fields":{"message":"[Job] Started JobId(\u001b]0;x\u0007…) successfully Workers: 1"},"target":"c"}"#,
    "\n",
    r#"{"timestamp":"2026-11-21T10:00:06.000000Z","level":"INFO","fields":{"message":"[Setup] job_id \u001b[2J\u001b]0;t\u0007abcd Received setup"},"target":"c"}"#,
    "\n",
    r#"{"timestamp":"2026-11-21T10:00:07.000000Z","level":"WARN","fields":{"message":"field id","job_id":"\u001b]0;title\u0007\u009b2J\u009d0;x"},"target":"c"}"#,
    "\n",
    r#"{"timestamp":"2026-11-21T10:00:08.000000Z","level":"INFO","fields":{"message":"c1 \u009b2J and \u009d0;x\u009c in the message, \u202eevil\u202c \u2066iso\u2069 \u200f"},"target":"c"}"#,
    "\n",
    r#"{"timestamp":"2026-11-21T10:00:09.000000Z","level":"INFO","fields":{"message":"[Job] Started JobId(deadbeef-0000-4000-8000-000000000001) successfully Workers: 1"},"target":"c"}"#,
    "\n",
    r#"{"timestamp":"2026-11-21T10:00:10.000000Z","level":"ERROR","fields":{"message":"Failed job JobId(deadbeef-0000-4000-8000-000000000001) (reason: \u202egnp.exe\u001b[2J\u009b1m)","worker_id":"w\u001b]0;x\u0007\u202e1"},"target":"c"}"#,
    "\n",
);

#[test]
fn log_content_never_reaches_the_terminal_raw_in_any_renderer() {
    let (_dir, path) = log_file("coordinator.log", HOSTILE);
    let p = path.to_str().unwrap();
    for args in [
        vec!["-o", "compact", "tail", p],
        vec!["-o", "pretty", "--color", "never", "tail", p],
        vec!["-o", "pretty", "--color", "always", "tail", p],
        vec!["-o", "json", "tail", p],
        vec!["--coordinator", p, "--worker", p, "jobs"],
        vec!["--coordinator", p, "--worker", p, "-o", "json", "jobs"],
        vec!["--coordinator", p, "--worker", p, "workers"],
        vec![
            "--coordinator",
            p,
            "--worker",
            p,
            "--color",
            "always",
            "-o",
            "pretty",
            "job",
            "deadbeef",
        ],
        vec![
            "--coordinator",
            p,
            "--worker",
            p,
            "-o",
            "compact",
            "job",
            "deadbeef",
        ],
        vec![
            "--coordinator",
            p,
            "--worker",
            p,
            "-o",
            "json",
            "job",
            "deadbeef",
        ],
    ] {
        let r = run(zl().args(&args));
        assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.stderr);
        assert!(!r.stdout.is_empty(), "{args:?} printed nothing");
        assert_terminal_safe(&format!("{args:?}"), &r.stdout);
        assert_terminal_safe(&format!("{args:?} stderr"), &r.stderr);
    }
    // The escapes are shown, not lost: an operator can still read what the log held.
    let r = run(zl().args(["-o", "compact", "tail", p]));
    assert!(
        r.stdout.contains(r"[\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J]"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(r"\u{202e}evil\u{202c}"), "{}", r.stdout);
    let jobs = run(zl().args(["--coordinator", p, "--worker", p, "jobs"]));
    assert!(
        jobs.stdout.contains(r"\u{202e}gnp.exe\u{1b}[2J\u{9b}1m"),
        "{}",
        jobs.stdout
    );
    // JSON keeps the values: the same strings when read back, escaped as JSON escapes them.
    let json = run(zl().args(["-o", "json", "tail", p]));
    let events = ndjson(&json.stdout);
    assert_eq!(
        events[0]["phase"], "\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J",
        "{}",
        json.stdout
    );
    assert!(events[4]["message"]
        .as_str()
        .unwrap()
        .contains("\u{9b}2J and \u{9d}0;x\u{9c}"));
}

/// The coordinator's clock stepped back: a phase's end is logged before its start.
#[test]
fn a_phase_that_ends_before_it_starts_is_drawn() {
    let text = "\
2026-11-21T10:00:10.000000Z  INFO zisk_coordinator::coordinator: [Job] Started JobId(5fad9dbd-0000-4000-8000-000000000001) successfully Capacity: 16CU Workers: 1
2026-11-21T10:00:20.000000Z  INFO zisk_coordinator::coordinator: [Phase1] Started with 1 workers for JobId(5fad9dbd…)
2026-11-21T10:00:12.000000Z  INFO zisk_coordinator::coordinator: [Phase1] WorkerId(prover3) finished phase 1 for JobId(5fad9dbd…) (1/1 workers done, Phase: 2.0s)
2026-11-21T10:00:30.000000Z  ERROR zisk_coordinator::coordinator: Failed job JobId(5fad9dbd…) (reason: boom)
";
    let (_dir, path) = log_file("coordinator.log", text);
    let p = path.to_str().unwrap();
    let r = run(zl().args([
        "--coordinator",
        p,
        "--worker",
        p,
        "-o",
        "pretty",
        "--color",
        "never",
        "job",
        "5fad9dbd",
    ]));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("coordinator   "), "{}", r.stdout);
    assert!(r.stdout.contains("CCC"), "no phase drawn: {}", r.stdout);
}

/// An ID longer than `format!`'s widest width (65,535) in the `jobs` and `workers` tables.
#[test]
fn ids_longer_than_any_format_width_are_printed_whole() {
    let long = "a".repeat(70_000);
    let text = format!(
        "2026-11-21T10:00:10.000000Z  INFO zisk_coordinator::coordinator: [Job] Started JobId({long}) successfully Workers: 1\n\
         2026-11-21T10:00:11.000000Z  INFO zisk_coordinator::workers_pool: {long} registered successfully\n"
    );
    let (_dir, path) = log_file("coordinator.log", &text);
    let p = path.to_str().unwrap();
    for cmd in ["jobs", "workers"] {
        let r = run(zl().args(["--coordinator", p, "--worker", p, "-o", "compact", cmd]));
        assert_eq!(r.code, 0, "{cmd}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{cmd}: {}", r.stderr);
        assert!(
            r.stdout.contains(&long),
            "{cmd}: the ID is not printed whole"
        );
        // The header is padded to the capped column, not to the long ID.
        assert!(r.stdout.lines().next().unwrap().len() < 200, "{cmd}");
    }
}

/// The issue's line: a multi-byte character just before `key: value` in a pretty header. Every
/// event of the file is read, the ones before it too, beside another source.
#[test]
fn a_pretty_header_with_non_ascii_before_a_field_is_read() {
    let text = concat!(
        "  2026-11-21T10:00:00.000000Z  INFO zisk_worker::worker: before\n",
        "    at src/worker.rs:1 on main\n",
        "\n",
        "  2026-11-21T10:00:01.000000Z  INFO zisk_worker::worker: Phase → Prove: done\n",
        "\n",
        "  2026-11-21T10:00:02.000000Z  INFO zisk_worker::worker: after, n: 1\n",
    );
    let (dir, path) = log_file("worker.log", text);
    let other = dir.path().join("other.log");
    std::fs::write(&other, "2026-11-21T10:00:03Z  INFO x: other source\n").unwrap();
    let r = run(zl().args(["-o", "json", "tail"]).arg(&path).arg(&other));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let messages: Vec<_> = ndjson(&r.stdout)
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        messages,
        ["before", "Phase → Prove: done", "after", "other source"]
    );
}

/// More untimed lines than the parser holds for a start-up banner (10,000): in order, from a
/// pipe and from a file, whole and with `-n`.
#[test]
fn untimed_lines_keep_their_order_past_the_banner_hold() {
    let text: String = (1..=15_000)
        .map(|i| format!("plain untimed line {i}\n"))
        .collect();
    let (_dir, path) = log_file("plain.log", &text);
    let piped = |args: &[&str]| {
        let mut child = zl()
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = text.clone();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            stdin.write_all(input.as_bytes()).unwrap();
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(piped(&["tail", "-o", "raw"]), text);
    assert_eq!(
        piped(&["tail", "-o", "raw", "-n", "3"]),
        "plain untimed line 14998\nplain untimed line 14999\nplain untimed line 15000\n"
    );
    let file = run(zl().args(["-o", "raw", "tail"]).arg(&path));
    assert_eq!(file.stdout, text);
}

/// `jounrald:…` and `kafka:…` are usage errors (exit 2) suggesting the nearest kind; a real
/// path with ':' still reads.
#[test]
fn unknown_source_kinds_are_usage_errors() {
    let r = run(zl().args([
        "--coordinator",
        "jounrald:zisk-coordinator",
        "--worker",
        "x",
        "jobs",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("did you mean journald:zisk-coordinator?"),
        "{}",
        r.stderr
    );
    let r = run(zl().args(["--coordinator", "kafka:zisk", "--worker", "x", "tail"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("unknown kind \"kafka\""), "{}", r.stderr);
    let (_dir, path) = log_file("host:9000.log", "2026-11-21T10:00:00Z  INFO x: here\n");
    let p = path.to_str().unwrap();
    let r = run(zl().args(["--coordinator", p, "--worker", p, "-o", "raw", "tail"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("here"));
}

/// A pretty header followed by endless continuation lines: the event is cut at 1 MiB like a
/// line (with a notice naming the source and line), and memory stays flat while they go on.
#[test]
fn a_runaway_pretty_event_is_cut_and_memory_stays_flat() {
    use std::io::Write;
    let mut child = zl()
        .args(["-o", "raw", "tail"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"  2026-11-21T10:00:00.000000Z  INFO zisk_worker::worker: runaway\n")
        .unwrap();
    let block = "    at src/worker.rs:12 on main\n".repeat(10_000);
    // 128 MiB of continuation lines; the pipe holds 64 KiB, so when the writes return the
    // tool has read nearly all of them.
    for _ in 0..400 {
        stdin.write_all(block.as_bytes()).unwrap();
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    stdin
        .write_all(b"  2026-11-21T10:00:01.000000Z  INFO zisk_worker::worker: after\n")
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(peak_kib < 100 * 1024, "peak {peak_kib} KiB");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr
            .contains("stdin: 1 multi-line event(s) longer than 1 MiB cut short (first at line 1)"),
        "{stderr}"
    );
    let events: Vec<&str> = stdout.split("\n  2026").collect();
    assert_eq!(events.len(), 2, "the event after it is read");
    assert!(events[0].len() <= 1 << 20 && events[0].len() > (1 << 20) - 100);
    assert!(events[1].ends_with("after\n"));
}

/// `--since @nan` and impossible dates are usage errors; a log time without a zone is read as
/// UTC (as `--since` reads one), not left untimed.
#[test]
fn impossible_times_are_refused_and_zoneless_log_times_are_utc() {
    let (_dir, path) = log_file(
        "app.log",
        "2026-11-21T10:00:00.250 INFO app: zone-less json-less line\n\
         {\"timestamp\":\"2026-11-21 10:00:01\",\"level\":\"WARN\",\"fields\":{\"message\":\"zone-less json\"}}\n",
    );
    for bad in ["@nan", "2026-02-31", "2026-11-21T10:00:00+99:99"] {
        let r = run(zl().args(["tail", "--since", bad]).arg(&path));
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(r.stderr.contains("--since"), "{bad}: {}", r.stderr);
    }
    let r = run(zl()
        .args(["-o", "json", "tail", "--since", "2026-11-21T10:00:00.100Z"])
        .arg(&path));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ts: Vec<_> = ndjson(&r.stdout).iter().map(|e| e["ts"].clone()).collect();
    assert_eq!(
        ts,
        ["2026-11-21T10:00:00.250000Z", "2026-11-21T10:00:01.000000Z"]
    );
}

/// A 54 KB pattern of bounded repetitions: at the regex crate's default lazy-DFA cache it
/// fell back to the NFA simulation on nearly every line (minutes on a few MB). Measured in CPU
/// seconds of the tool (bash's `time`), so a busy machine does not decide it.
#[test]
fn a_long_pattern_of_bounded_repetitions_runs_in_seconds() {
    let mut seed = 1u64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut parts = Vec::new();
    while parts.iter().map(String::len).sum::<usize>() < 54_000 {
        let first = (b'a' + next(16) as u8) as char;
        let stop = ['x', 'y', 'z', 'q', ':'][next(5) as usize];
        parts.push(format!(
            "{first}[a-z0-9 ]{{{},{}}}{stop}[0-9]{{{}}}",
            1 + next(10),
            20 + next(21),
            2 + next(3)
        ));
    }
    let pattern = parts.join("|");
    let log =
        std::fs::read_to_string(crate::util::cluster("compact-message").join("coordinator.log"))
            .unwrap();
    // CPU seconds of the tool (bash's `time`) over the log's first `lines` lines.
    let cpu = |lines: usize| -> f64 {
        let text: String = log.lines().take(lines).map(|l| format!("{l}\n")).collect();
        let (_dir, path) = log_file("c.log", &text);
        let out = std::process::Command::new("bash")
            .args(["-c", "TIMEFORMAT=%U; time \"$@\" >/dev/null", "bash"])
            .arg(env!("CARGO_BIN_EXE_zisk-logs"))
            .args(["-o", "raw", "tail", "-g", &pattern])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        stderr
            .trim()
            .lines()
            .last()
            .unwrap()
            .parse()
            .expect("bash time")
    };
    // Compared with the same pattern over a tenth of the lines, so that the machine's speed does
    // not decide it: compiling the pattern costs the same; with the default cache, each line
    // cost about 12 ms more (7.4 s against 1.1 s over 600 lines).
    let (few, many) = (cpu(60), cpu(600));
    eprintln!("{few} CPU seconds over 60 lines, {many} over 600");
    assert!(
        many < 2.0 * few + 0.3,
        "{many} CPU seconds over 600 lines, {few} over 60"
    );
}

/// A folder holding `*.json` log files (one event per line) reads them; a pretty-printed JSON
/// document beside them is not a log.
#[test]
fn a_folder_reads_its_json_log_files() {
    let (dir, _) = log_file(
        "worker.json",
        "{\"timestamp\":\"2026-11-21T10:00:00Z\",\"level\":\"INFO\",\"fields\":{\"message\":\"from json\"}}\n",
    );
    std::fs::write(
        dir.path().join("notes.json"),
        "{\n  \"not\": \"a log\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("plain.log"),
        "2026-11-21T10:00:01Z  INFO x: from log\n",
    )
    .unwrap();
    let r = run(zl().args(["-o", "compact", "tail"]).arg(dir.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("from json") && r.stdout.contains("from log"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("not"), "{}", r.stdout);
}

/// The same file named twice (even spelled differently) is read once, with a notice.
#[test]
fn a_source_named_twice_is_read_once_with_a_notice() {
    let (dir, path) = log_file("a.log", "2026-11-21T10:00:00Z  INFO x: once\n");
    let again = dir.path().join(".").join("a.log");
    let r = run(zl().args(["-o", "raw", "tail"]).arg(&path).arg(&again));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "2026-11-21T10:00:00Z  INFO x: once\n");
    assert!(
        r.stderr.contains("named more than once, read once"),
        "{}",
        r.stderr
    );
    let p = path.to_str().unwrap();
    let r = run(zl().args([
        "--coordinator",
        p,
        "--worker",
        &format!("file:{p}"),
        "-o",
        "raw",
        "tail",
    ]));
    assert_eq!(
        r.stdout, "2026-11-21T10:00:00Z  INFO x: once\n",
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("named more than once"), "{}", r.stderr);
}

/// A file whose clock stepped back: `--since` finds the lines after the step as from stdin,
/// with a notice that the file was read whole.
#[test]
fn since_on_a_file_whose_clock_stepped_back_finds_the_lines() {
    let mut text = String::new();
    for day in ["2026-12-01", "2026-11-21"] {
        for i in 0..30_000 {
            text.push_str(&format!(
                "{day}T10:{:02}:{:02}.000000Z  INFO app: line {i}\n",
                i / 600,
                i / 10 % 60
            ));
        }
    }
    let (_dir, path) = log_file("stepped.log", &text);
    let r = run(zl()
        .args(["-o", "raw", "tail", "--since", "2026-11-30"])
        .arg(&path));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 30_000);
    assert!(r
        .stdout
        .starts_with("2026-12-01T10:00:00.000000Z  INFO app: line 0\n"));
    assert!(r.stderr.contains("lines out of time order"), "{}", r.stderr);
}
/// `-o raw` writes the lines as read into a pipe (blank lines and `\r` kept) and escapes
/// control characters on a terminal unless `--raw-bytes` asks for the bytes.
#[test]
fn raw_output_keeps_bytes_in_a_pipe_and_escapes_them_on_a_terminal() {
    let text = "first\r\n\nafter a blank \u{1b}]0;x\u{7} \u{9b}2J\n\n\nlast\n";
    let (_dir, path) = log_file("plain.log", text);
    let p = path.to_str().unwrap();
    let piped = zl().args(["-o", "raw", "tail", p]).output().unwrap();
    assert_eq!(String::from_utf8(piped.stdout).unwrap(), text);
    if !require("script (util-linux)", have_program("script")) {
        return;
    }
    let on_tty = |extra: &str| {
        let bin = env!("CARGO_BIN_EXE_zisk-logs");
        let cmd = format!("{bin} -o raw --no-pager {extra} tail {p} 2>/dev/null");
        let out = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("XDG_CONFIG_HOME", "/nonexistent-zisk-logs-test")
            .env_remove("ZISK_LOGS_CONFIG")
            .output()
            .unwrap();
        assert!(out.status.success(), "{extra}: {out:?}");
        // The terminal turns each newline into CR LF.
        String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
    };
    let escaped = on_tty("");
    assert_eq!(
        escaped,
        "first\\u{d}\n\nafter a blank \\u{1b}]0;x\\u{7} \\u{9b}2J\n\n\nlast\n"
    );
    assert_terminal_safe("raw on a terminal", &escaped);
    let bytes = on_tty("--raw-bytes");
    assert!(bytes.contains("\u{1b}]0;x\u{7}"), "{bytes:?}");
}
