//! `journald:` sources against real journal files (written in journal export format, converted
//! by `systemd-journal-remote`, read by the real `journalctl`), locally and through a real
//! `sshd` on 127.0.0.1; the fixture clusters must give the same events as their plain files.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::formats::{cluster_sources, truth_jobs};
use crate::util::*;

mod harness;

pub use harness::*;

#[test]
fn journal_files_give_the_same_events_as_plain_files() {
    if !journal_tools() {
        return;
    }
    for cluster in ["zisk", "zisk-ansi", "json-documented", "pretty-documented"] {
        let dir = tempfile::tempdir().unwrap();
        cluster_journal(cluster, dir.path());
        compare_cluster(cluster, dir.path(), None, &[], &variants(cluster));
    }
}

/// Hosts a and b in one folder, every shape journalctl gives a MESSAGE.
fn odd_journal(dir: &Path) {
    let t0 = 1_795_000_000_000_000i64; // 2026-11-18
    let at = |s: i64| {
        chrono::DateTime::from_timestamp_micros(t0 + s * 1_000_000)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string()
    };
    let u = "odd.service";
    let mut a = vec![
        JEntry::new(t0, "hosta", u, format!("{} INFO: plain line", at(0))),
        JEntry::new(
            t0 + 1_000_000,
            "hosta",
            u,
            format!(
                "\x1b[2m{}\x1b[0m \x1b[33mWARN\x1b[0m: \x1b[33mcoloured\x1b[0m",
                at(1)
            ),
        ),
        JEntry::new(
            t0 + 2_000_000,
            "hosta",
            u,
            [
                format!("{} ERROR: bad ", at(2)).as_bytes(),
                b"\xff\xfe",
                b" bytes",
            ]
            .concat(),
        ),
        JEntry::new(
            t0 + 3_000_000,
            "hosta",
            u,
            format!("{} INFO: {}", at(3), "L".repeat(102_400)),
        ),
        JEntry::new(
            t0 + 4_000_000,
            "hosta",
            u,
            format!("{} DEBUG: first\nsecond line", at(4)),
        ),
        JEntry::new(
            t0 + 5_000_000,
            "hosta",
            u,
            format!("  {}  WARN zisk_worker::job: slow proof", at(5)),
        ),
        JEntry::new(t0 + 5_000_001, "hosta", u, "    at src/job.rs:42"),
        JEntry::new(
            t0 + 5_000_002,
            "hosta",
            u,
            "    in zisk_worker::job with job_id: \"1a2b3c4d-0000-4000-8000-00000000abcd\"",
        ),
        JEntry::new(t0 + 5_000_003, "hosta", u, ""),
    ];
    for (i, level) in ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
        .iter()
        .enumerate()
    {
        a.push(JEntry::new(
            t0 + (6 + i as i64) * 1_000_000,
            "hosta",
            u,
            format!("{} {level}: level {level}", at(6 + i as i64)),
        ));
    }
    for (i, p) in [3u8, 4, 6, 7].iter().enumerate() {
        let mut e = JEntry::new(
            t0 + (11 + i as i64) * 1_000_000,
            "hosta",
            u,
            format!("untimed priority {p}"),
        );
        e.priority = *p;
        a.push(e);
    }
    write_journal(dir, "remote-hosta", &a);
    let b: Vec<JEntry> = (0..3)
        .map(|i| {
            JEntry::new(
                t0 + i * 1_000_000 + 500_000,
                "hostb",
                u,
                format!("{} INFO: from b {i}", at(i)),
            )
        })
        .collect();
    write_journal(dir, "remote-hostb", &b);
}

#[test]
fn every_message_shape_hosts_levels_and_split_pretty_events() {
    if !journal_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    odd_journal(dir.path());
    let src = vec![
        "--worker".to_string(),
        format!("journald:odd?dir={}", dir.path().display()),
    ];
    let r = tail_json(&src, &[], &[]);
    // The invalid UTF-8 is reported (exit 3), the rest shown.
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("invalid UTF-8") && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
    let ev = ndjson(&r.stdout);
    let msg = |i: usize| ev[i]["message"].as_str().unwrap().to_string();
    let sources: Vec<_> = ev.iter().map(|e| e["source"].as_str().unwrap()).collect();
    assert_eq!(sources.iter().filter(|s| **s == "hostb").count(), 3);
    assert_eq!(
        sources.iter().filter(|s| **s == "hosta").count(),
        ev.len() - 3
    );
    let find = |needle: &str| {
        ev.iter()
            .find(|e| e["message"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?}"))
    };
    let coloured = find("coloured");
    assert_eq!(
        (coloured["message"].as_str(), coloured["level"].as_str()),
        (Some("coloured"), Some("WARN"))
    );
    assert!(coloured["raw"].as_str().unwrap().contains('\u{1b}'));
    assert!(find("bad ")["message"]
        .as_str()
        .unwrap()
        .contains('\u{fffd}'));
    assert_eq!(find("LLLL")["message"].as_str().unwrap().len(), 102_400);
    // A multi-line message's untimed lines belong to its event (ZisK writes them as is).
    assert_eq!(find("first")["level"], "DEBUG");
    assert_eq!(find("first")["message"], "first\nsecond line");
    let slow = find("slow proof");
    assert_eq!(
        (slow["level"].as_str(), slow["job_id"].as_str()),
        (Some("WARN"), Some("1a2b3c4d-0000-4000-8000-00000000abcd"))
    );
    assert_eq!(slow["raw"].as_str().unwrap().lines().count(), 3);
    assert_eq!(slow["fields"]["_HOSTNAME"], "hosta");
    assert_eq!(slow["fields"]["_PID"], 4242);
    for level in ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] {
        assert_eq!(find(&format!("level {level}"))["level"], level);
    }
    // PRIORITY is the level of a line without one, except journald's stdout default (6).
    for (p, level) in [(3, "ERROR"), (4, "WARN"), (7, "DEBUG")] {
        assert_eq!(find(&format!("untimed priority {p}"))["level"], level);
    }
    assert_eq!(find("untimed priority 6")["level"], Value::Null);
    let times: Vec<_> = ev.iter().map(|e| e["ts"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(msg(0).contains("plain line"));

    // --job through --grep: the job ID is only on a continuation entry of a split pretty event.
    let r = tail_json(&src, &["--job", "1a2b3c4d"], &[]);
    let ev = ndjson(&r.stdout);
    assert_eq!(ev.len(), 1, "{}", r.stdout);
    assert_eq!(ev[0]["message"], "slow proof");
    // --level error gets the text's ERROR lines and the PRIORITY 3 line, never by -p.
    let r = tail_json(&src, &["--level", "error"], &[]);
    let msgs: Vec<_> = ndjson(&r.stdout)
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
}

#[test]
fn follow_covers_every_host_of_a_folder() {
    if !journal_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t0 = 1_795_000_000_000_000i64;
    let line = |host: &str, s: i64, what: &str| {
        JEntry::new(
            t0 + s * 1_000_000,
            host,
            "zw.service",
            format!("2026-11-18T10:00:{s:02}.000000Z INFO: {what} {host} {s}"),
        )
    };
    write_journal(
        dir.path(),
        "remote-a",
        &[line("a", 0, "history"), line("a", 1, "history")],
    );
    write_journal(dir.path(), "remote-b", &[line("b", 2, "history")]);
    let mut child = zl()
        .args([
            "--worker",
            &format!("journald:zw?dir={}", dir.path().display()),
            "tail",
            "-f",
            "-o",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = KillOnDrop(child.id());
    let rx = line_reader(&mut child);
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "history b 2", Duration::from_secs(20));
    write_journal(dir.path(), "remote-a", &[line("a", 3, "live")]);
    write_journal(dir.path(), "remote-b", &[line("b", 4, "live")]);
    wait_for(&rx, &mut seen, "live a 3", Duration::from_secs(20));
    wait_for(&rx, &mut seen, "live b 4", Duration::from_secs(20));
    write_journal(dir.path(), "remote-b", &[line("b", 5, "live")]);
    wait_for(&rx, &mut seen, "live b 5", Duration::from_secs(20));
    for want in [
        "history a 0",
        "history a 1",
        "history b 2",
        "live a 3",
        "live b 4",
        "live b 5",
    ] {
        assert_eq!(
            seen.iter().filter(|l| l.contains(want)).count(),
            1,
            "{want}: {seen:#?}"
        );
    }
    assert_eq!(seen.len(), 6, "{seen:#?}");
}

#[test]
fn missing_journalctl_no_such_unit_and_no_permission_are_clear() {
    if !journal_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    odd_journal(dir.path());
    let good = crate::util::cluster("zisk")
        .join("coordinator.log")
        .display()
        .to_string();
    let jsrc = format!("journald:odd?dir={}", dir.path().display());

    let r = run(zl().env("PATH", "/nonexistent").args([
        "--coordinator",
        &good,
        "--worker",
        &jsrc,
        "tail",
    ]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stderr.trim(), format!("zisk-logs: {jsrc}: journalctl not found: this host has no systemd journal tools (Debian package systemd)"));
    assert!(r.stdout.lines().count() > 100);

    let nounit = format!("journald:nope?dir={}", dir.path().display());
    let r = run(zl().args(["--worker", &nounit, "tail"]));
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.trim(), format!("zisk-logs: {nounit}: no journal entries for unit nope.service in folder {} (check the unit name: systemctl list-units 'zisk*')", dir.path().display()));
    // The same with pushdown (--job): journalctl says nothing either way.
    let r = run(zl().args(["--worker", &nounit, "tail", "--job", "1a2b3c4d"]));
    assert!(
        r.stderr
            .contains("no journal entries for unit nope.service"),
        "{}",
        r.stderr
    );

    // Not in systemd-journal: journal files are root's, mode 0640; read as nobody.
    let root = run(Command::new("id").arg("-u")).stdout.trim() == "0";
    if !require(
        "root (to read as user nobody) and setpriv",
        root && have_program("setpriv"),
    ) {
        return;
    }
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let r = run(Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_zisk-logs"),
            "--coordinator",
            &good,
            "--worker",
            &jsrc,
            "tail",
        ])
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .current_dir("/")
        .stdin(Stdio::null()));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.starts_with(&format!("zisk-logs: {jsrc}: permission denied: this user sees only its own journal entries; add it to the systemd-journal group")), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[test]
fn remote_journal_over_ssh_gives_the_same_events() {
    if !journal_tools() {
        return;
    }
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    cluster_journal("pretty-documented", dir.path());
    let job = truth_jobs("pretty-documented")[1].clone();
    let variants = vec![
        vec![],
        vec!["--job".to_string(), job],
        vec!["-n".to_string(), "5".to_string()],
    ];
    compare_cluster(
        "pretty-documented",
        dir.path(),
        Some("127.0.0.1"),
        &sshd.options(),
        &variants,
    );
}

#[test]
fn ssh_failures_are_one_line_and_other_sources_go_on() {
    if !journal_tools() {
        return;
    }
    let Some(sshd) = Sshd::start() else { return };
    let good = crate::util::cluster("zisk")
        .join("coordinator.log")
        .display()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    odd_journal(dir.path());
    let remote = format!("journald:odd@127.0.0.1?dir={}", dir.path().display());

    // A closed port.
    let closed = free_port();
    let r = run(zl().args([
        "--coordinator",
        &good,
        "--worker",
        &remote,
        "--ssh-option",
        &format!("Port={closed}"),
        "tail",
    ]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stderr.trim(), format!("zisk-logs: {remote}: ssh to 127.0.0.1 failed: ssh: connect to host 127.0.0.1 port {closed}: Connection refused"));
    assert!(r.stdout.lines().count() > 100);

    // An unknown host key with strict checking (batch mode never asks).
    let strict = [
        "--ssh-option".to_string(),
        format!("Port={}", sshd.port),
        "--ssh-option".into(),
        format!("IdentityFile={}", sshd.key.display()),
        "--ssh-option".into(),
        "UserKnownHostsFile=/dev/null".into(),
        "--ssh-option".into(),
        "StrictHostKeyChecking=yes".into(),
    ];
    let r = run(zl().args(["--worker", &remote]).args(&strict).arg("tail"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.trim().starts_with(&format!(
            "zisk-logs: {remote}: ssh to 127.0.0.1 failed: Host key verification failed."
        )),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);

    // Quotes, spaces, `;` and `$(...)` in a unit name and a job ID reach journalctl as data.
    let mark = dir.path().join("mark");
    let evil_unit = format!(
        "odd'; touch {m}; echo '$(touch {m}) \"x\"",
        m = mark.display()
    );
    let evil = format!(
        "journald:{evil_unit}@127.0.0.1?dir={}",
        dir.path().display()
    );
    let r = run(zl().args(["--worker", &evil]).args(sshd.options()).args([
        "tail",
        "--job",
        &format!("a'b; $(touch {})", mark.display()),
    ]));
    assert!(!mark.exists(), "a remote shell ran part of an argument");
    assert!(
        r.stderr.contains("no journal entries for unit"),
        "{}",
        r.stderr
    );
    let local = format!("journald:{evil_unit}?dir={}", dir.path().display());
    let r = run(zl().args(["--worker", &local, "tail"]));
    assert!(!mark.exists());
    assert!(
        r.stderr.contains("no journal entries for unit"),
        "{}",
        r.stderr
    );
    // And the good remote source works with the same options.
    let r = run(zl()
        .args(["--worker", &remote])
        .args(sshd.options())
        .args(["tail", "-o", "json", "--level", "warn"]));
    assert!(
        ndjson(&r.stdout)
            .iter()
            .any(|e| e["message"] == "slow proof"),
        "{} {}",
        r.stdout,
        r.stderr
    );
}

/// `job` works on any backend: the trail and summary read from journal files (one worker
/// source holding every worker host) equal those read from the plain files.
#[test]
fn job_trail_through_journald_equals_the_trail_from_files() {
    if !journal_tools() {
        return;
    }
    for cluster in ["zisk", "pretty-message"] {
        let dir = tempfile::tempdir().unwrap();
        cluster_journal(cluster, dir.path());
        for job in truth_jobs(cluster) {
            let trail = |sources: Vec<String>| {
                let mut cmd = zl();
                cmd.args(sources).args(["-o", "json", "job", &job]);
                let r = run(&mut cmd);
                assert_eq!(r.code, 0, "{cluster} {job}: {}", r.stderr);
                let mut events = ndjson(&r.stdout);
                let summary = events.pop().unwrap();
                assert_eq!(summary["kind"], "summary");
                let lines: Vec<Value> = events
                    .into_iter()
                    .filter(|e| e["context"] == false)
                    .collect();
                (event_keys(&lines, false), summary)
            };
            let (file_lines, file_summary) = trail(cluster_sources(cluster));
            let (journal_lines, journal_summary) = trail(journald_sources(dir.path(), None));
            assert_same(
                &format!("{cluster} job {job} via journald"),
                &file_lines,
                &journal_lines,
            );
            for key in ["job_id", "outcome", "reason", "started", "ended"] {
                assert_eq!(
                    journal_summary[key], file_summary[key],
                    "{cluster} {job}: summary {key}"
                );
            }
            assert_eq!(
                summary_workers(&journal_summary),
                summary_workers(&file_summary),
                "{cluster} {job}: workers"
            );
            assert!(
                summary_workers(&journal_summary).iter().all(|(_, f)| *f),
                "{cluster} {job}: every worker's logs found"
            );
        }
    }
}
