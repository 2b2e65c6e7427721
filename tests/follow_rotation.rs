//! `tail -f` through log rotation under load (issue 20): a writer numbers its lines and rotates
//! its file in each of the usual ways while `zisk-logs tail -f` follows it; every line must come
//! out exactly once. CI runs [`ROTATIONS_IN_CI`] rotations of each kind; `scripts/soak-follow.sh`
//! runs the same test with `SOAK_ROTATIONS=100` (or more) and prints the figures.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::util::*;

const ROTATIONS_IN_CI: usize = 5;
/// Lines written between two rotations, a few per millisecond.
const LINES_PER_ROUND: usize = 300;
/// The longest a writer waits for its lines to be printed before it truncates its file.
const WAIT_FOR_READER: Duration = Duration::from_secs(10);

/// How far the follower has printed each writer's lines: the highest number seen, plus one.
type Printed = Arc<Vec<AtomicUsize>>;

/// The quiet a lossless truncation in place needs: a file truncated before its last lines were
/// read loses them, whatever reads it. Waits until line `next - 1` of writer `kind` is printed.
fn wait_until_printed(printed: &Printed, kind: usize, next: usize) {
    let deadline = Instant::now() + WAIT_FOR_READER;
    while printed[kind].load(Ordering::Relaxed) < next && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// logrotate `create`: the file is renamed and a new one created, and the program goes on
    /// writing the old one for a second before it reopens its log.
    RenameCreateLateWrites,
    /// logrotate `copytruncate` while the program is quiet (until its lines were read).
    CopyTruncateWithPause,
    /// The file is deleted and created again; the program writes the deleted one a little longer.
    DeleteRecreate,
    /// Truncated in place (once its lines were read) and at once written past its old size
    /// (faster than a poll).
    TruncateRefill,
}

const KINDS: [Kind; 4] = [
    Kind::RenameCreateLateWrites,
    Kind::CopyTruncateWithPause,
    Kind::DeleteRecreate,
    Kind::TruncateRefill,
];

fn rotations() -> usize {
    std::env::var("SOAK_ROTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROTATIONS_IN_CI)
}

/// Line `n` of writer `kind`: a time that grows with `n`, and the number last.
fn numbered(kind: usize, n: usize) -> String {
    let ms = n as u64;
    let (h, m, s, f) = (
        10 + ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000,
    );
    format!("2026-11-21T{h:02}:{m:02}:{s:02}.{f:03}000Z INFO: writer k{kind} n {n}\n")
}

fn append_to(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

/// Writes `count` numbered lines from `*next` on, a few per millisecond.
fn write_lines(out: &mut File, kind: usize, next: &mut usize, count: usize) {
    for _ in 0..count {
        out.write_all(numbered(kind, *next).as_bytes()).unwrap();
        *next += 1;
        if next.is_multiple_of(4) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Writes `for_how_long` worth of numbered lines.
fn write_for(out: &mut File, kind: usize, next: &mut usize, for_how_long: Duration) {
    let end = Instant::now() + for_how_long;
    while Instant::now() < end {
        write_lines(out, kind, next, 4);
    }
}

/// The program writing `path` and rotating it `rounds` times; returns how many lines it wrote.
fn writer(kind: Kind, index: usize, path: &Path, rounds: usize, printed: &Printed) -> usize {
    let rotated = path.with_extension("log.1");
    let mut out = append_to(path);
    let mut next = 1; // line 0 is written before the follower starts
    for _ in 0..rounds {
        write_lines(&mut out, index, &mut next, LINES_PER_ROUND);
        match kind {
            Kind::RenameCreateLateWrites => {
                std::fs::rename(path, &rotated).unwrap();
                File::create(path).unwrap();
                write_for(&mut out, index, &mut next, Duration::from_secs(1));
                out = append_to(path);
            }
            Kind::CopyTruncateWithPause => {
                wait_until_printed(printed, index, next);
                std::fs::copy(path, &rotated).unwrap();
                out.set_len(0).unwrap();
            }
            Kind::DeleteRecreate => {
                std::fs::remove_file(path).unwrap();
                write_for(&mut out, index, &mut next, Duration::from_millis(200));
                out = append_to(path);
            }
            Kind::TruncateRefill => {
                wait_until_printed(printed, index, next);
                let old = out.metadata().unwrap().len() as usize;
                out.set_len(0).unwrap();
                // Past the old size in one write, well within a poll.
                let mut refill = String::new();
                while refill.len() <= old {
                    refill += &numbered(index, next);
                    next += 1;
                }
                out.write_all(refill.as_bytes()).unwrap();
            }
        }
    }
    write_lines(&mut out, index, &mut next, 10);
    next
}

/// What the follower printed for one writer: numbers lost and numbers printed twice or more.
#[derive(Debug, Default)]
struct Tally {
    written: usize,
    lost: usize,
    repeated: usize,
    /// The first runs of numbers lost, for a diagnosis.
    first_lost: Vec<std::ops::Range<usize>>,
}

/// `… writer kK n N` → (K, N).
fn writer_and_number(line: &str) -> Option<(usize, usize)> {
    let (_, rest) = line.split_once("writer k")?;
    let (k, n) = rest.split_once(" n ")?;
    Some((k.parse().ok()?, n.trim().parse().ok()?))
}

fn tally(printed: &[String], kind: usize, written: usize) -> Tally {
    let tag = format!("writer k{kind} n ");
    let mut seen: HashMap<usize, usize> = HashMap::new();
    for l in printed {
        if let Some(n) = l.split(&tag).nth(1).and_then(|n| n.trim().parse().ok()) {
            *seen.entry(n).or_default() += 1;
        }
    }
    let mut first_lost: Vec<std::ops::Range<usize>> = Vec::new();
    for n in (0..written).filter(|n| !seen.contains_key(n)) {
        let len = first_lost.len();
        match first_lost.last_mut() {
            Some(run) if run.end == n => run.end += 1,
            _ if len == 5 => break,
            _ => first_lost.push(n..n + 1),
        }
    }
    Tally {
        written,
        lost: (0..written).filter(|n| !seen.contains_key(n)).count(),
        repeated: seen.values().map(|c| c - 1).sum(),
        first_lost,
    }
}

/// Follows `paths` while `write` runs; returns stdout and stderr lines once every writer's
/// last line has been printed (or a deadline passed).
fn follow_while<F: FnOnce(&Printed) -> Vec<usize>>(
    paths: &[PathBuf],
    write: F,
) -> (Vec<usize>, Vec<String>, Vec<String>) {
    // Every file's line 0 is history: all of it is shown, not the last ten lines.
    let mut child = zl()
        .args(["tail", "-f", "-n", "1000", "-o", "raw"])
        .args(paths)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let printed_so_far: Printed = Arc::new((0..paths.len()).map(|_| AtomicUsize::new(0)).collect());
    let progress = printed_so_far.clone();
    std::thread::spawn(move || {
        for l in stdout.lines().map_while(Result::ok) {
            if let Some((k, n)) = writer_and_number(&l) {
                progress
                    .get(k)
                    .map(|p| p.fetch_max(n + 1, Ordering::Relaxed));
            }
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let mut printed = Vec::new();
    // Receives lines until each of `wanted` has been printed or `limit` has passed.
    let receive_until = |mut wanted: Vec<String>, limit: Duration, printed: &mut Vec<String>| {
        let deadline = Instant::now() + limit;
        while !wanted.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(l) = rx.recv_timeout(left) else {
                return false;
            };
            wanted.retain(|w| !l.ends_with(w.as_str()));
            printed.push(l);
        }
        true
    };
    // Everyone's line 0 first: the follower is reading.
    let firsts = (0..paths.len()).map(|k| format!("k{k} n 0")).collect();
    if !receive_until(firsts, Duration::from_secs(20), &mut printed) {
        panic!("the follower did not start: {printed:?}");
    }
    let written = write(&printed_so_far);
    let lasts = written
        .iter()
        .enumerate()
        .map(|(k, n)| format!("k{k} n {}", n - 1))
        .collect();
    receive_until(lasts, Duration::from_secs(60), &mut printed);
    // Anything printed twice comes now, if at all.
    let settle = Instant::now() + Duration::from_millis(1500);
    while let Ok(l) = rx.recv_timeout(settle.saturating_duration_since(Instant::now())) {
        printed.push(l);
    }
    let _ = child.kill();
    let _ = child.wait();
    (written, printed, errors.join().unwrap())
}

fn start_files(dir: &Path, count: usize) -> Vec<PathBuf> {
    (0..count)
        .map(|k| {
            let p = dir.join(format!("w{k}.log"));
            std::fs::write(&p, numbered(k, 0)).unwrap();
            p
        })
        .collect()
}

#[test]
fn follow_loses_and_repeats_nothing_through_every_kind_of_rotation() {
    every_kind_of_rotation(0);
}

/// The same beside a dozen quiet files: with more than a few streams, the followed files are
/// polled in turns on the reader pool rather than on threads of their own.
#[test]
fn follow_in_turns_loses_and_repeats_nothing_through_every_kind_of_rotation() {
    every_kind_of_rotation(12);
}

/// Each kind of rotation [`rotations`] times while `quiet` more files are followed.
fn every_kind_of_rotation(quiet: usize) {
    let rounds = rotations();
    let dir = tempfile::tempdir().unwrap();
    let paths = start_files(dir.path(), KINDS.len() + quiet);
    let started = Instant::now();
    let (written, printed, stderr) = follow_while(&paths, |printed| {
        std::thread::scope(|s| {
            let handles: Vec<_> = KINDS
                .iter()
                .zip(&paths)
                .enumerate()
                .map(|(i, (kind, path))| s.spawn(move || writer(*kind, i, path, rounds, printed)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    });
    let mut failures = Vec::new();
    for (i, kind) in KINDS.iter().enumerate() {
        let t = tally(&printed, i, written[i]);
        println!(
            "{kind:?}: {rounds} rotations, {} lines written, {} lost (first runs {:?}), {} repeated",
            t.written, t.lost, t.first_lost, t.repeated
        );
        if t.lost > 0 || t.repeated > 0 {
            failures.push(format!("{kind:?}: {t:?}"));
        }
    }
    println!(
        "{} lines in {:.1} s beside {quiet} quiet files; notices: {}",
        written.iter().sum::<usize>(),
        started.elapsed().as_secs_f64(),
        stderr.len()
    );
    assert!(failures.is_empty(), "{failures:?}\nstderr: {stderr:?}");
    // Truncations in place are said; renames and deletions are ordinary and quiet.
    for name in ["w1.log", "w3.log"] {
        let said = stderr
            .iter()
            .filter(|l| l.contains(name) && l.contains("truncated"))
            .count();
        assert_eq!(said, rounds, "{name}: {stderr:?}");
    }
    assert!(
        !stderr
            .iter()
            .any(|l| l.contains("w0.log") || l.contains("w2.log")),
        "{stderr:?}"
    );
}

#[test]
fn copytruncate_under_continuous_writes_is_noticed() {
    let rounds = rotations().min(20);
    let dir = tempfile::tempdir().unwrap();
    let paths = start_files(dir.path(), 1);
    let path = paths[0].clone();
    let (written, printed, stderr) = follow_while(&paths, |_| {
        let mut out = append_to(&path);
        let mut next = 1;
        for _ in 0..rounds {
            write_lines(&mut out, 0, &mut next, LINES_PER_ROUND);
            // No pause: lines written between the copy and the truncation are in neither file.
            std::fs::copy(&path, path.with_extension("log.1")).unwrap();
            write_lines(&mut out, 0, &mut next, 8);
            out.set_len(0).unwrap();
        }
        write_lines(&mut out, 0, &mut next, 10);
        vec![next]
    });
    let t = tally(&printed, 0, written[0]);
    println!(
        "copytruncate under continuous writes: {rounds} rotations, {} lines, {} lost, {} repeated",
        t.written, t.lost, t.repeated
    );
    assert_eq!(t.repeated, 0, "{stderr:?}");
    let said = stderr.iter().filter(|l| l.contains("truncated")).count();
    assert_eq!(said, rounds, "every truncation is said: {stderr:?}");
}
