//! Shared test helpers: run the binary, find fixtures, require external tools.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("fixtures")
}

pub fn cluster(name: &str) -> PathBuf {
    fixtures().join("clusters").join(name)
}

/// A `zisk-logs` command with a clean environment for what we read (no user topology file,
/// no colour unless asked) and stdin closed.
pub fn zl() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zisk-logs"));
    cmd.env_remove("ZISK_LOGS_CONFIG")
        .env_remove("NO_COLOR")
        .env("XDG_CONFIG_HOME", "/nonexistent-zisk-logs-test")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null());
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run zisk-logs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Parses NDJSON output into values.
pub fn ndjson(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// The generator's ground truth in a cluster folder: every event it wrote (`events.jsonl`), by
/// (file, line).
pub fn generated_events(
    dir: &std::path::Path,
) -> std::collections::BTreeMap<(String, u64), serde_json::Value> {
    ndjson(&std::fs::read_to_string(dir.join("events.jsonl")).unwrap())
        .into_iter()
        .map(|e| {
            let key = (
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
            );
            (key, e)
        })
        .collect()
}

/// Reads the child's stdout on a thread so the test can wait for lines with a deadline.
pub fn line_reader(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits until a line containing `want` has been printed (`seen` keeps every line so far);
/// returns that line.
pub fn wait_for(
    rx: &std::sync::mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    want: &str,
    limit: std::time::Duration,
) -> String {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(l) = seen.iter().find(|l| l.contains(want)) {
            return l.clone();
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => seen.push(l),
            Err(_) => panic!("timed out waiting for {want:?}; saw {seen:#?}"),
        }
    }
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Returns false (after printing why) when a tool or daemon a test needs is missing outside
/// CI; under CI=true a missing tool fails the test instead: no silent skips.
pub fn require(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    if in_ci() {
        panic!("{what} is required under CI=true but is not available");
    }
    eprintln!("SKIPPED: {what} is not available on this machine");
    false
}

/// Is `program` on PATH (or an absolute path that exists)?
pub fn have_program(program: &str) -> bool {
    if Path::new(program).is_absolute() {
        return Path::new(program).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Skips (or fails under CI) the calling test when `program` is missing.
#[macro_export]
macro_rules! require_program {
    ($program:expr) => {
        if !$crate::util::require(
            &format!("program `{}`", $program),
            $crate::util::have_program($program),
        ) {
            return;
        }
    };
}

/// A job summary's workers as (worker_id, found), sorted, for comparing summaries.
pub fn summary_workers(summary: &serde_json::Value) -> Vec<(String, bool)> {
    let mut workers: Vec<(String, bool)> = summary["workers"]
        .as_array()
        .expect("summary workers")
        .iter()
        .map(|w| {
            (
                w["worker_id"].as_str().unwrap_or_default().to_string(),
                w["found"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    workers.sort();
    workers
}

/// The most memory (peak RSS, `VmHWM`) and threads a running child had, sampled from
/// /proc/PID/status until it ends.
#[derive(Clone, Copy, Debug, Default)]
pub struct Peaks {
    pub rss_kib: u64,
    pub threads: u64,
}

/// Samples a child's /proc/PID/status every few milliseconds on a thread; `join` for the peaks
/// once the child has been waited for (or killed).
pub fn sample_peaks(pid: u32) -> std::thread::JoinHandle<Peaks> {
    std::thread::spawn(move || {
        let path = format!("/proc/{pid}/status");
        let mut peaks = Peaks::default();
        // Gone (reaped) or a zombie (no memory left to tell): the child has ended.
        while let Ok(status) = std::fs::read_to_string(&path) {
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            };
            let Some(rss) = field("VmHWM:") else { break };
            peaks.rss_kib = peaks.rss_kib.max(rss);
            peaks.threads = peaks.threads.max(field("Threads:").unwrap_or(0));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        peaks
    })
}
