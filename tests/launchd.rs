//! `launchd:` sources: fixture clusters laid out as launchd + newsyslog leave them (compressed
//! archives, "turned over" lines) give the same events as the plain files; a corrupt archive is
//! reported and the rest read; `tail -f` follows newsyslog rotations without loss or repeats.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::formats::{cluster_sources, truth, truth_jobs};
use crate::journald::{assert_same, event_keys};
use crate::util::*;
use crate::util::{line_reader, wait_for};

const TURNOVER: &str =
    "Nov 21 10:30:00 mac-01 newsyslog[812]: logfile turned over due to size>102400K";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Splits a log into `.2.bz2`, `.1.gz`, `.0` (not compressed yet) and the live file, each
/// archive ending and each newer file starting with newsyslog's line.
fn lay_out(log: &[u8], folder: &Path, name: &str) {
    std::fs::create_dir_all(folder).unwrap();
    let lines: Vec<&[u8]> = log.split_inclusive(|&b| b == b'\n').collect();
    let q = lines.len() / 4;
    let part = |i: usize| {
        let mut v = Vec::new();
        if i > 0 {
            v.extend_from_slice(format!("{TURNOVER}\n").as_bytes());
        }
        let end = if i == 3 { lines.len() } else { (i + 1) * q };
        v.extend(lines[i * q..end].concat());
        if i < 3 {
            v.extend_from_slice(format!("{TURNOVER}\n").as_bytes());
        }
        v
    };
    let base = folder.join(format!("{name}.log"));
    std::fs::write(format!("{}.2.bz2", base.display()), bzip2(&part(0))).unwrap();
    std::fs::write(format!("{}.1.gz", base.display()), gzip(&part(1))).unwrap();
    std::fs::write(format!("{}.0", base.display()), part(2)).unwrap();
    std::fs::write(&base, part(3)).unwrap();
}

/// One launchd DIR per host, as each macOS machine has its own /var/log.
fn cluster_launchd(cluster: &str, root: &Path) -> Vec<String> {
    let base = crate::util::cluster(cluster);
    let t = truth(cluster);
    let coord = root.join("coordinator");
    lay_out(
        &std::fs::read(base.join(t["coordinator"].as_str().unwrap())).unwrap(),
        &coord.join("zisk-coordinator"),
        "zisk-coordinator",
    );
    let mut args = vec![
        "--coordinator".to_string(),
        format!("launchd:{}", coord.display()),
    ];
    for w in t["workers"].as_array().unwrap() {
        let file = w["file"].as_str().unwrap();
        let dir = root.join(file.trim_end_matches(".log"));
        lay_out(
            &std::fs::read(base.join(file)).unwrap(),
            &dir.join("zisk-worker"),
            "zisk-worker",
        );
        args.extend(["--worker".to_string(), format!("launchd:{}", dir.display())]);
    }
    args
}

/// Logged-time order: the backends are compared, and all launchd workers share one label.
fn tail_json(sources: &[String], extra: &[&str]) -> Run {
    run(zl()
        .args(sources)
        .args(["tail", "-o", "json", "--align", "off"])
        .args(extra))
}

#[test]
fn rotated_compressed_launchd_files_give_the_same_events_as_plain_files() {
    for cluster in ["zisk", "pretty-documented", "json-documented"] {
        let root = tempfile::tempdir().unwrap();
        let launchd = cluster_launchd(cluster, root.path());
        let job = truth_jobs(cluster)[0].clone();
        for extra in [
            vec![],
            vec!["--job", job.as_str()],
            vec!["--phase", "prove"],
            vec!["--level", "warn"],
        ] {
            let (files, ours) = (
                tail_json(&cluster_sources(cluster), &extra),
                tail_json(&launchd, &extra),
            );
            let what = format!("{cluster} {extra:?} via launchd");
            assert_eq!(ours.code, files.code, "{what}: {}", ours.stderr);
            assert!(ours.stderr.is_empty(), "{what}: {}", ours.stderr);
            assert!(
                !ours.stdout.contains("turned over"),
                "{what}: newsyslog lines shown"
            );
            // The labels are the log names (every worker is `zisk-worker`), so compare without them.
            assert_same(
                &what,
                &event_keys(&ndjson(&files.stdout), false),
                &event_keys(&ndjson(&ours.stdout), false),
            );
        }
    }
}

#[test]
fn a_corrupt_archive_is_reported_and_the_rest_is_read() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("zisk-worker");
    let log = std::fs::read(crate::util::cluster("zisk").join("worker-01.log")).unwrap();
    lay_out(&log, &folder, "zisk-worker");
    let archive = folder.join("zisk-worker.log.1.gz");
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&archive, &bytes[..bytes.len() / 2]).unwrap();
    let src = format!("launchd:{}", root.path().display());
    let r = tail_json(&["--worker".into(), src], &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("zisk-worker.log.1.gz: truncated or corrupt archive after line"),
        "{}",
        r.stderr
    );
    let events = ndjson(&r.stdout);
    let live_last = String::from_utf8_lossy(&log)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .to_string();
    assert!(
        events
            .iter()
            .any(|e| live_last.contains(e["message"].as_str().unwrap())),
        "the live file's last line is missing"
    );

    // No log at all for the role: one clear line, exit 2.
    let r = tail_json(
        &[
            "--coordinator".into(),
            format!("launchd:{}", root.path().display()),
        ],
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("zisk-coordinator/zisk-coordinator.log (nor newsyslog archives of it)"),
        "{}",
        r.stderr
    );
}

/// Rotates like newsyslog with Z: "turned over" into the old file, `ln` to `.0` (older archives
/// shifted first), a new file with the same line renamed over the name, then `gzip -f .0`.
fn newsyslog_rotate(folder: &Path) {
    let live = folder.join("zisk-worker.log");
    for i in (0..3).rev() {
        let from = folder.join(format!("zisk-worker.log.{i}.gz"));
        if from.exists() {
            std::fs::rename(&from, folder.join(format!("zisk-worker.log.{}.gz", i + 1))).unwrap();
        }
    }
    append(&live, TURNOVER);
    std::fs::hard_link(&live, folder.join("zisk-worker.log.0")).unwrap();
    let tmp = folder.join("zisk-worker.log.zAb12C");
    std::fs::write(&tmp, format!("{TURNOVER}\n")).unwrap();
    std::fs::rename(&tmp, &live).unwrap();
    let ok = Command::new("gzip")
        .arg("-f")
        .arg(folder.join("zisk-worker.log.0"))
        .status()
        .unwrap();
    assert!(ok.success());
}

fn append(path: &Path, line: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(format!("{line}\n").as_bytes()).unwrap();
}

fn numbered(i: usize) -> String {
    format!(
        "2026-11-21T10:{:02}:{:02}.000000Z INFO: line {i:04} of the rotation test",
        i / 60,
        i % 60
    )
}

#[test]
fn follow_survives_newsyslog_rotation_and_truncation_without_loss_or_repeats() {
    require_program!("gzip");
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("zisk-worker");
    std::fs::create_dir(&folder).unwrap();
    let live = folder.join("zisk-worker.log");
    for i in 0..5 {
        append(&live, &numbered(i));
    }
    let mut child = zl()
        .args([
            "--worker",
            &format!("launchd:{}", root.path().display()),
            "tail",
            "-f",
            "-n",
            "1000",
            "-o",
            "raw",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = line_reader(&mut child);
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "line 0004", Duration::from_secs(20));
    let mut i = 5;
    for _ in 0..3 {
        for _ in 0..20 {
            append(&live, &numbered(i));
            i += 1;
        }
        newsyslog_rotate(&folder);
        for _ in 0..5 {
            append(&live, &numbered(i));
            i += 1;
        }
        wait_for(
            &rx,
            &mut seen,
            &format!("line {:04}", i - 1),
            Duration::from_secs(20),
        );
    }
    // Truncation (copy-truncate style) while following.
    std::fs::write(&live, "").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..3 {
        append(&live, &numbered(i));
        i += 1;
    }
    wait_for(
        &rx,
        &mut seen,
        &format!("line {:04}", i - 1),
        Duration::from_secs(20),
    );
    let _ = child.kill();
    let _ = child.wait();
    for n in 0..i {
        let want = format!("line {n:04} ");
        assert_eq!(
            seen.iter().filter(|l| l.contains(&want)).count(),
            1,
            "{want}: {seen:#?}"
        );
    }
    assert!(!seen.iter().any(|l| l.contains("turned over")), "{seen:#?}");
    assert_eq!(seen.len(), i, "{seen:#?}");
}
