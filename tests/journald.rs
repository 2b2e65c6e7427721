//! `journald:` sources against real journal files (written in journal export format, converted
//! by `systemd-journal-remote`, read by the real `journalctl`), locally and through a real
//! `sshd` on 127.0.0.1; the fixture clusters must give the same events as their plain files.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, LazyLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::formats::{cluster_sources, truth, truth_events, truth_jobs};
use crate::util::*;

const JOURNAL_REMOTE: &str = "/lib/systemd/systemd-journal-remote";
const SSHD: &str = "/usr/sbin/sshd";

/// journalctl and systemd-journal-remote are present (fails under CI=true when not).
fn journal_tools() -> bool {
    require("program `journalctl`", have_program("journalctl"))
        && require(
            &format!("program `{JOURNAL_REMOTE}` (Debian package systemd-journal-remote)"),
            have_program(JOURNAL_REMOTE),
        )
}

/// One entry to write.
pub struct JEntry {
    pub ts_us: i64,
    pub host: String,
    pub unit: String,
    pub priority: u8,
    pub message: Vec<u8>,
}

impl JEntry {
    pub fn new(ts_us: i64, host: &str, unit: &str, message: impl Into<Vec<u8>>) -> JEntry {
        JEntry {
            ts_us,
            host: host.into(),
            unit: unit.into(),
            priority: 6,
            message: message.into(),
        }
    }
}

/// Journal export format; MESSAGE always binary-safe, the rest as text fields.
fn export(entries: &[JEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let boot: String = format!(
            "{:032x}",
            e.host
                .bytes()
                .fold(7u128, |h, b| h.wrapping_mul(31).wrapping_add(b as u128))
        );
        let boot = &boot[boot.len() - 32..];
        write!(
            out,
            "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID={boot}\n_HOSTNAME={}\n_SYSTEMD_UNIT={}\n_PID=4242\nPRIORITY={}\nSYSLOG_IDENTIFIER=zisk\n",
            e.ts_us,
            e.ts_us - 1_700_000_000_000_000,
            e.host,
            e.unit,
            e.priority
        )
        .unwrap();
        out.extend_from_slice(b"MESSAGE\n");
        out.extend_from_slice(&(e.message.len() as u64).to_le_bytes());
        out.extend_from_slice(&e.message);
        out.extend_from_slice(b"\n\n");
    }
    out
}

/// Writes (or appends to) `dir/NAME.journal` with systemd-journal-remote.
pub fn write_journal(dir: &Path, name: &str, entries: &[JEntry]) {
    let mut child = Command::new(JOURNAL_REMOTE)
        .arg("-o")
        .arg(dir.join(format!("{name}.journal")))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run systemd-journal-remote");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&export(entries))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "systemd-journal-remote: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

static ANSI: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\x1b\[[0-9;]*[A-Za-z]").unwrap());
static RFC3339: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)").unwrap()
});

fn strip_ansi(s: &str) -> String {
    ANSI.replace_all(s, "").into_owned()
}

/// The time in a log line's text, in µs.
fn text_time(line: &str) -> Option<i64> {
    let m = RFC3339.find(&strip_ansi(line))?.as_str().to_string();
    chrono::DateTime::parse_from_rfc3339(&m)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// A fixture cluster as journald would store it: one journal file per host (named like the
/// log file, as `_HOSTNAME`), one entry per line, the reception time just after the text's.
pub fn cluster_journal(cluster: &str, dir: &Path) {
    let base = crate::util::cluster(cluster);
    let t = truth(cluster);
    let mut files = vec![(
        t["coordinator"].as_str().unwrap().to_string(),
        "zisk-coordinator.service",
    )];
    for w in t["workers"].as_array().unwrap() {
        files.push((
            w["file"].as_str().unwrap().to_string(),
            "zisk-worker.service",
        ));
    }
    for (file, unit) in files {
        let text = std::fs::read(base.join(&file)).unwrap();
        let host = file.trim_end_matches(".log");
        let lines: Vec<&[u8]> = text
            .strip_suffix(b"\n")
            .unwrap_or(&text)
            .split(|&b| b == b'\n')
            .collect();
        let first = lines
            .iter()
            .find_map(|l| text_time(&String::from_utf8_lossy(l)))
            .unwrap();
        let mut prev = first - 1000;
        let entries: Vec<JEntry> = lines
            .iter()
            .map(|l| {
                let ts = text_time(&String::from_utf8_lossy(l))
                    .map_or(prev + 1, |t| (t + 20).max(prev + 1));
                prev = ts;
                JEntry::new(ts, host, unit, l.to_vec())
            })
            .collect();
        write_journal(dir, host, &entries);
    }
}

/// What must agree between backends for every event.
/// A line without a time of its own has none in a file, and journald's reception time from a
/// journal: that time is only compared where the text has one.
pub fn event_keys(events: &[Value], with_source: bool) -> Vec<String> {
    let mut keys: Vec<String> = events
        .iter()
        .map(|e| {
            let ts = if e["raw"].as_str().is_some_and(|r| text_time(r).is_some()) {
                e["ts"].clone()
            } else {
                Value::Null
            };
            let mut k = serde_json::json!([
                ts,
                e["level"],
                e["message"],
                e["job_id"],
                e["phase"],
                e["worker_id"],
                e["role"]
            ]);
            if with_source {
                k.as_array_mut().unwrap().push(e["source"].clone());
            }
            k.to_string()
        })
        .collect();
    keys.sort();
    keys
}

pub fn assert_same(what: &str, want: &[String], got: &[String]) {
    if want != got {
        let missing: Vec<_> = want.iter().filter(|k| !got.contains(k)).take(3).collect();
        let extra: Vec<_> = got.iter().filter(|k| !want.contains(k)).take(3).collect();
        panic!(
            "{what}: {} events from files, {} here\nmissing: {missing:#?}\nextra: {extra:#?}",
            want.len(),
            got.len()
        );
    }
}

fn tail_json(sources: &[String], extra: &[&str], ssh: &[String]) -> Run {
    let mut cmd = zl();
    cmd.args(sources)
        .args(ssh)
        .args(["tail", "-o", "json"])
        .args(extra);
    run(&mut cmd)
}

fn journald_sources(dir: &Path, host: Option<&str>) -> Vec<String> {
    let at = host.map(|h| format!("@{h}")).unwrap_or_default();
    vec![
        "--coordinator".into(),
        format!("journald:zisk-coordinator{at}?dir={}", dir.display()),
        "--worker".into(),
        format!("journald:zisk-worker{at}?dir={}", dir.display()),
    ]
}

/// The filters compared: none, a job (grep pushdown), phase, level, since (time pushdown with
/// the banner fetched separately), and the last events (`-n` pushdown).
fn variants(cluster: &str) -> Vec<Vec<String>> {
    let job = truth_jobs(cluster)[0].clone();
    let events = truth_events(cluster);
    let mid = events
        .iter()
        .filter_map(|e| e["ts"].as_str())
        .nth(events.len() / 2)
        .unwrap()
        .to_string();
    vec![
        vec![],
        vec!["--job".into(), job.clone()],
        vec!["--job".into(), job[..6].to_string()],
        vec!["--phase".into(), "prove".into()],
        vec!["--level".into(), "warn".into()],
        vec!["--since".into(), mid.clone()],
        vec!["--until".into(), mid],
        vec!["-n".into(), "7".into()],
    ]
}

fn compare_cluster(
    cluster: &str,
    dir: &Path,
    host: Option<&str>,
    ssh: &[String],
    variants: &[Vec<String>],
) {
    for extra in variants {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let started = Instant::now();
        let files = tail_json(&cluster_sources(cluster), &extra, &[]);
        let files_took = started.elapsed();
        let journal = tail_json(&journald_sources(dir, host), &extra, ssh);
        eprintln!(
            "{cluster} {extra:?}: files {files_took:?}, journal {:?}",
            started.elapsed() - files_took
        );
        let what = format!(
            "{cluster} {extra:?} via {}",
            host.unwrap_or("local journalctl")
        );
        assert_eq!(
            journal.code, files.code,
            "{what}: exit code; stderr: {}",
            journal.stderr
        );
        assert!(journal.stderr.is_empty(), "{what}: {}", journal.stderr);
        let (want, got) = (ndjson(&files.stdout), ndjson(&journal.stdout));
        assert!(
            !want.is_empty() || extra.contains(&"--until"),
            "{what}: the files gave nothing to compare"
        );
        assert_same(&what, &event_keys(&want, true), &event_keys(&got, true));
    }
}

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
    assert_eq!(find("first")["level"], "DEBUG");
    assert_eq!(find("second line")["level"], Value::Null);
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

// ----------------------------------------------------------------------------------------------
// Through a real sshd.

struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.to_string()).status();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A throwaway sshd on 127.0.0.1 accepting one user key; killed on drop.
struct Sshd {
    _dir: tempfile::TempDir,
    child: Child,
    port: u16,
    key: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    fn start() -> Option<Sshd> {
        let root = run(Command::new("id").arg("-u")).stdout.trim() == "0";
        if !require(
            &format!("`{SSHD}` (Debian package openssh-server), ssh, ssh-keygen and root"),
            have_program(SSHD) && have_program("ssh") && have_program("ssh-keygen") && root,
        ) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for key in ["host_key", "user_key"] {
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(d.join(key))
                .status()
                .unwrap();
            assert!(ok.success());
        }
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nAuthorizedKeysFile {ak}\nPidFile none\nStrictModes no\nUsePAM no\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nLogLevel ERROR\n",
            hk = d.join("host_key").display(),
            ak = d.join("authorized_keys").display()
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(d.join("sshd_config"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not start listening on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let key = d.join("user_key");
        Some(Sshd {
            _dir: dir,
            child,
            port,
            key,
        })
    }

    fn options(&self) -> Vec<String> {
        [
            format!("Port={}", self.port),
            format!("IdentityFile={}", self.key.display()),
            "StrictHostKeyChecking=no".into(),
            "UserKnownHostsFile=/dev/null".into(),
            "LogLevel=ERROR".into(),
        ]
        .iter()
        .flat_map(|o| ["--ssh-option".to_string(), o.clone()])
        .collect()
    }
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

/// Reads the child's stdout on a thread so the test can wait for lines with a deadline.
pub fn line_reader(child: &mut Child) -> mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = mpsc::channel();
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

pub fn wait_for(rx: &mpsc::Receiver<String>, seen: &mut Vec<String>, want: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !seen.iter().any(|l| l.contains(want)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => seen.push(l),
            Err(_) => panic!("timed out waiting for {want:?}; saw {seen:#?}"),
        }
    }
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
