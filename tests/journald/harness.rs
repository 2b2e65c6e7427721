//! The journald tests' harness: journal files written in export format and converted by
//! `systemd-journal-remote`, event comparisons, a real `sshd` on 127.0.0.1, and a child's
//! output read with deadlines.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::formats::{cluster_sources, truth, truth_events, truth_jobs};
use crate::util::*;

pub const JOURNAL_REMOTE: &str = "/lib/systemd/systemd-journal-remote";
pub const SSHD: &str = "/usr/sbin/sshd";

/// journalctl and systemd-journal-remote are present (fails under CI=true when not).
pub fn journal_tools() -> bool {
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
pub fn export(entries: &[JEntry]) -> Vec<u8> {
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

pub static ANSI: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\x1b\[[0-9;]*[A-Za-z]").unwrap());
pub static RFC3339: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)").unwrap()
});

pub fn strip_ansi(s: &str) -> String {
    ANSI.replace_all(s, "").into_owned()
}

/// The time in a log line's text, in µs.
pub fn text_time(line: &str) -> Option<i64> {
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

/// `tail -o json` in logged-time order: backends are compared line for line, and which
/// truncated IDs the JSON resolves depends on the order (clock alignment is tested apart).
pub fn tail_json(sources: &[String], extra: &[&str], ssh: &[String]) -> Run {
    let mut cmd = zl();
    cmd.args(sources)
        .args(ssh)
        .args(["tail", "-o", "json", "--align", "off"])
        .args(extra);
    run(&mut cmd)
}

pub fn journald_sources(dir: &Path, host: Option<&str>) -> Vec<String> {
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
pub fn variants(cluster: &str) -> Vec<Vec<String>> {
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

pub fn compare_cluster(
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

// ----------------------------------------------------------------------------------------------
// Through a real sshd.

pub struct KillOnDrop(pub u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // Quietly: the daemon may have ended already.
        let _ = Command::new("kill")
            .arg(self.0.to_string())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A throwaway sshd on 127.0.0.1 accepting one user key; killed on drop.
pub struct Sshd {
    pub _dir: tempfile::TempDir,
    pub child: Child,
    pub port: u16,
    pub key: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    pub fn start() -> Option<Sshd> {
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

    pub fn options(&self) -> Vec<String> {
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
