//! Issue 20, defect 10: a 300-pod selector must fit in tens of MB. `tail` over 300 files
//! reads them on a small pool of threads in turns; what each stream holds between its turns
//! is its parser's state and a few small batches, whatever the number of streams.

use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{line_reader, sample_peaks, zl};

const FILES: usize = 300;
const LINES: usize = 600;

/// A tracing-JSON line of file `f`, its `n`th: times interleave across files, one microsecond
/// apart, so the merged order is fixed.
fn line(f: usize, n: usize) -> (u64, String) {
    let us = (n * FILES + f) as u64;
    let ts = format!(
        "2026-11-21T10:{:02}:{:02}.{:06}Z",
        us / 60_000_000,
        us / 1_000_000 % 60,
        us % 1_000_000
    );
    let text = format!(
        "{{\"timestamp\":\"{ts}\",\"level\":\"INFO\",\"fields\":{{\"message\":\"[Phase2] JobId(4f3c2a1b-{f:04}-4e0e-9a9a-0123456789ab) step {n} proving segment {n} of instance {f} done\",\"worker_id\":\"worker-{f:03}\"}},\"target\":\"zisk_worker::worker_service\"}}"
    );
    (us, text)
}

/// `FILES` files of `lines` lines each (see [`line`]) in `dir`: their paths, and every line
/// with its time, in merged order.
fn write_files(dir: &std::path::Path, lines: usize) -> (Vec<PathBuf>, Vec<(u64, String)>) {
    let mut all = Vec::new();
    let mut paths = Vec::new();
    for f in 0..FILES {
        let path = dir.join(format!("worker-{f:03}.log"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for n in 0..lines {
            let (us, text) = line(f, n);
            writeln!(file, "{text}").unwrap();
            all.push((us, text));
        }
        paths.push(path);
    }
    all.sort();
    (paths, all)
}

/// 300 files of 600 lines each: every line comes out once, in true merged order, and the
/// process peaks under 100 MiB (a debug build; a thread per stream peaked at over 200 MiB).
#[test]
fn three_hundred_files_are_merged_in_tens_of_megabytes() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, all) = write_files(dir.path(), LINES);
    let mut child = zl()
        .args(["-o", "raw", "tail"])
        .args(&paths)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read from /proc while the child runs: the kernel's figure at its end (`wait4`'s
    // `ru_maxrss`) also counts the test process's own memory, shared until it ran the binary.
    let peaks = sample_peaks(child.id());
    let mut err = child.stderr.take().unwrap();
    let reading_err = std::thread::spawn(move || std::io::read_to_string(&mut err).unwrap());
    let stdout = std::io::read_to_string(child.stdout.take().unwrap()).unwrap();
    let stderr = reading_err.join().unwrap();
    let peak = peaks.join().unwrap().rss_kib;
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}: {stderr}");
    let got: Vec<&str> = stdout.lines().collect();
    assert_eq!(got.len(), FILES * LINES, "{stderr}");
    let first_wrong = got.iter().zip(&all).position(|(g, (_, want))| g != want);
    assert_eq!(first_wrong, None, "lines out of merged order");
    assert!(peak > 0, "the child's memory was never read");
    assert!(
        peak < 100 * 1024,
        "peak resident memory {peak} KiB for {FILES} files"
    );
}

/// The same with `-f`: 300 followed files are read and then polled in turns on the reader
/// pool, not on a thread (and an allocator heap) each. Every line of history comes out once,
/// in merged order; a line appended to 20 of the files then comes out once each; and the
/// process stays under 100 MiB and well under a thread per file (a thread each, in a debug
/// build: 307 threads, 187 MiB).
#[test]
fn three_hundred_followed_files_share_a_few_threads() {
    const HISTORY: usize = 200;
    const APPENDED_TO: usize = 20;
    let message = |text: &str| {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["fields"]["message"].as_str().unwrap().to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    let (paths, lines) = write_files(dir.path(), HISTORY);
    let history: Vec<String> = lines.iter().map(|(_, text)| message(text)).collect();
    let mut child = zl()
        .args(["-o", "json", "tail", "-f", "-n", "1000000"])
        .args(&paths)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let peaks = sample_peaks(child.id());
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut text);
        text
    });
    let rx = line_reader(&mut child);
    let printed = |v: String| -> String {
        let v: serde_json::Value = serde_json::from_str(&v).unwrap();
        v["message"].as_str().unwrap_or_default().to_string()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut got = Vec::new();
    while got.len() < history.len() {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(l) => got.push(printed(l)),
            Err(_) => break,
        }
    }
    let appended: Vec<String> = (0..FILES)
        .step_by(FILES / APPENDED_TO)
        .map(|f| {
            let (_, text) = line(f, HISTORY);
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&paths[f])
                .unwrap();
            writeln!(file, "{text}").unwrap();
            message(&text)
        })
        .collect();
    let mut live = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !appended.iter().all(|a| live.contains(a)) {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(l) => live.push(printed(l)),
            Err(_) => break,
        }
    }
    // A line printed twice would come now.
    while let Ok(l) = rx.recv_timeout(Duration::from_secs(1)) {
        live.push(printed(l));
    }
    let _ = child.kill();
    let _ = child.wait();
    let peaks = peaks.join().unwrap();
    let stderr = stderr.join().unwrap();
    println!(
        "{FILES} followed files: peak {} KiB resident, {} threads",
        peaks.rss_kib, peaks.threads
    );
    assert_eq!(got.len(), history.len(), "history lines; {stderr}");
    let first_wrong = got.iter().zip(&history).position(|(g, want)| g != want);
    assert_eq!(first_wrong, None, "history out of merged order");
    live.sort();
    let mut want = appended.clone();
    want.sort();
    assert_eq!(live, want, "each appended line once; {stderr}");
    assert!(peaks.rss_kib > 0, "the child's memory was never read");
    assert!(
        peaks.rss_kib < 100 * 1024,
        "peak resident memory {} KiB for {FILES} followed files",
        peaks.rss_kib
    );
    assert!(
        peaks.threads < 40,
        "{} threads for {FILES} followed files",
        peaks.threads
    );
}

/// Once the small files are read, the large one is left alone: its rest is read on threads of
/// its own from the line its last piece ended in (`file::pooled`). Every line of it comes out
/// once, in order, with its own line number: lines of a piece and longer than one, and a last
/// line without its newline.
#[test]
fn a_large_file_left_alone_keeps_every_line_and_its_number() {
    const SMALL: usize = 8;
    const LARGE_LINES: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let ts = |us: usize| {
        format!(
            "2026-11-21T10:{:02}:{:02}.{:06}Z",
            us / 60_000_000,
            us / 1_000_000 % 60,
            us % 1_000_000
        )
    };
    for f in 0..SMALL {
        let mut text = String::new();
        for n in 0..40 {
            text += &format!("{} INFO: small {f} line {n}\n", ts(n * 10 + f + 1));
        }
        std::fs::write(dir.path().join(format!("small-{f}.log")), text).unwrap();
    }
    let mut large =
        std::io::BufWriter::new(std::fs::File::create(dir.path().join("large.log")).unwrap());
    let mut messages = Vec::new();
    for n in 0..LARGE_LINES {
        // Past the middle, one line longer than a piece of the pool's reads.
        let pad = if n == LARGE_LINES * 3 / 4 {
            300_000
        } else {
            180
        };
        let message = format!("large line {n} {}", "x".repeat(pad));
        let end = if n + 1 == LARGE_LINES { "" } else { "\n" };
        write!(large, "{} INFO: {message}{end}", ts(n * 10)).unwrap();
        messages.push(message);
    }
    drop(large);
    let out = zl()
        .args(["-o", "json", "tail"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut got = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let path = e["origin"]["path"].as_str().unwrap_or("");
        if path.ends_with("large.log") {
            let no = e["origin"]["line"].as_u64().unwrap();
            got.push((no, e["message"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(got.len(), LARGE_LINES, "{stderr}");
    for (i, (no, message)) in got.iter().enumerate() {
        assert_eq!(*no, i as u64 + 1, "line {i}'s number");
        assert_eq!(message, &messages[i], "line {}", i + 1);
    }
}
