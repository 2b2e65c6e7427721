//! Issue 20, defect 10: a 300-pod selector must fit in tens of MB. `tail` over 300 files
//! reads them on a small pool of threads in turns; what each stream holds between its turns
//! is its parser's state and a few small batches, whatever the number of streams.

use std::io::Write;
use std::process::Stdio;

use crate::util::zl;

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

/// The child's peak resident memory so far (KiB), or `None` once it has exited. Read from
/// /proc while it runs: the kernel's figure at its end (`wait4`'s `ru_maxrss`) also counts
/// the test process's own memory, which the child shared until it ran the binary.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// 300 files of 600 lines each: every line comes out once, in true merged order, and the
/// process peaks under 100 MiB (a debug build; a thread per stream peaked at over 200 MiB).
#[test]
fn three_hundred_files_are_merged_in_tens_of_megabytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    let mut paths = Vec::new();
    for f in 0..FILES {
        let path = dir.path().join(format!("worker-{f:03}.log"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for n in 0..LINES {
            let (us, text) = line(f, n);
            writeln!(file, "{text}").unwrap();
            all.push((us, text));
        }
        paths.push(path);
    }
    all.sort();
    let mut child = zl()
        .args(["-o", "raw", "tail"])
        .args(&paths)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let mut peak = 0;
    std::thread::scope(|s| {
        let mut err = child.stderr.take().unwrap();
        let reading_err = s.spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut err, &mut text).unwrap();
            text
        });
        let sampling = s.spawn(move || {
            let mut peak = 0;
            while let Some(kib) = peak_kib(pid) {
                peak = peak.max(kib);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            peak
        });
        std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
        stderr = reading_err.join().unwrap();
        peak = sampling.join().unwrap();
    });
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
