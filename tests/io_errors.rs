//! Inputs that cannot be read as a plain file would be (issue 20): files that exist but cannot
//! be opened, too many open files, unreadable folders in a glob, FIFOs and pipes, a FIFO
//! without a writer, a journal folder without journals, a mebibyte line before a time window.
//! Each is reported once, naming the source, while the other sources go on.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::*;

/// A line timed `i` seconds after 10:00.
fn line(i: u32, msg: &str) -> String {
    let (h, m, s) = (10 + i / 3600, i / 60 % 60, i % 60);
    format!("2026-11-21T{h:02}:{m:02}:{s:02}.000000Z INFO: {msg}\n")
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// A temporary folder that an unprivileged user can enter (tempdir makes it 0700).
fn open_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `zisk-logs` run as the unprivileged user `nobody` (tests run as root, who may open
/// anything): through `setpriv` when we are root, directly otherwise.
fn zl_unprivileged() -> Option<Command> {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        return Some(zl());
    }
    if !require("program `setpriv` (util-linux)", have_program("setpriv")) {
        return None;
    }
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_zisk-logs"))
        .env_remove("ZISK_LOGS_CONFIG")
        .env_remove("NO_COLOR")
        .env("XDG_CONFIG_HOME", "/nonexistent-zisk-logs-test")
        .current_dir("/")
        .stdin(Stdio::null());
    Some(cmd)
}

/// `zisk-logs` started by `sh` after `ulimit -n LIMIT`.
fn zl_with_fd_limit(limit: u32) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_zisk-logs"))
        .env_remove("ZISK_LOGS_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-zisk-logs-test")
        .stdin(Stdio::null());
    cmd
}

/// A running `tail -f`: its stdout lines and stderr lines as they come.
struct Following {
    child: Child,
    out: mpsc::Receiver<String>,
    err: mpsc::Receiver<String>,
    seen: Vec<String>,
    said: Vec<String>,
}

impl Following {
    fn start(cmd: &mut Command) -> Following {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = |r: Box<dyn std::io::Read + Send>| {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for l in BufReader::new(r).lines().map_while(Result::ok) {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
            });
            rx
        };
        let out = lines(Box::new(child.stdout.take().unwrap()));
        let err = lines(Box::new(child.stderr.take().unwrap()));
        Following {
            child,
            out,
            err,
            seen: Vec::new(),
            said: Vec::new(),
        }
    }

    /// Waits until a printed line contains `want`.
    fn wait_for(&mut self, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.seen.iter().any(|l| l.contains(want)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.out.recv_timeout(left) {
                Ok(l) => self.seen.push(l),
                Err(_) => {
                    let said = self.stderr();
                    panic!(
                        "timed out waiting for {want:?}; saw {:?}; stderr {said:?}",
                        self.seen
                    )
                }
            }
        }
    }

    /// Waits until stderr has said something containing `want`.
    fn wait_for_notice(&mut self, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.said.iter().any(|l| l.contains(want)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.err.recv_timeout(left) {
                Ok(l) => self.said.push(l),
                Err(_) => panic!(
                    "timed out waiting for {want:?} on stderr; saw {:?}",
                    self.said
                ),
            }
        }
    }

    fn stderr(&mut self) -> Vec<String> {
        self.said.extend(self.err.try_iter());
        self.said.clone()
    }

    fn still_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Ends the child; returns its stderr.
    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.said.extend(self.err.iter());
        std::mem::take(&mut self.said)
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|l| l.contains(needle)).count()
}

#[test]
fn follow_goes_on_when_a_file_exists_but_cannot_be_opened() {
    let Some(mut cmd) = zl_unprivileged() else {
        return;
    };
    let dir = open_dir();
    let (a, b, s) = (
        dir.path().join("a.log"),
        dir.path().join("b.log"),
        dir.path().join("s.log"),
    );
    append(&a, &line(0, "a 0"));
    append(&b, &line(0, "b 0"));
    std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o000)).unwrap();
    // A socket: nobody can open it, not even root.
    let _socket = std::os::unix::net::UnixListener::bind(&s).unwrap();
    let mut f = Following::start(cmd.args(["tail", "-f", "-o", "raw"]).args([&a, &b, &s]));
    f.wait_for("a 0");
    f.wait_for_notice("b.log: cannot open: permission denied");
    f.wait_for_notice("s.log: cannot open");
    append(&a, &line(1, "a 1"));
    f.wait_for("a 1");
    // Readable again: its lines come, and reading goes on.
    std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o644)).unwrap();
    f.wait_for("b 0");
    append(&b, &line(2, "b 2"));
    f.wait_for("b 2");
    assert!(f.still_running(), "stderr: {:?}", f.stderr());
    let err = f.stop();
    assert_eq!(count(&err, "b.log: cannot open"), 1, "said once: {err:?}");
    assert_eq!(count(&err, "s.log: cannot open"), 1, "said once: {err:?}");
    assert_eq!(count(&err, "b.log: can be opened now"), 1, "{err:?}");
    assert!(!err.iter().any(|l| l.contains("overflow")), "{err:?}");
}

#[test]
fn too_many_open_files_is_reported_per_source_and_the_rest_is_read() {
    let dir = open_dir();
    let files: Vec<PathBuf> = (0..80)
        .map(|i| {
            let p = dir.path().join(format!("w{i:02}.log"));
            append(&p, &line(i, &format!("file {i:02} first")));
            p
        })
        .collect();
    // History: the files that could not be opened are named, the rest printed, exit 3.
    let r = run(zl_with_fd_limit(48)
        .args(["tail", "-o", "raw"])
        .args(&files));
    // (Whether any open fails depends on how many readers are still running.)
    let failed = r.stderr.matches("too many open files").count();
    let printed = r.stdout.lines().count();
    assert_eq!(r.code, if failed > 0 { 3 } else { 0 }, "{}", r.stderr);
    assert_eq!(printed + failed, files.len(), "{}", r.stderr);
    // Following: the same, and the process keeps following what it opened.
    let mut cmd = zl_with_fd_limit(48);
    let mut f = Following::start(cmd.args(["tail", "-f", "-o", "raw"]).args(&files));
    f.wait_for_notice("too many open files");
    f.wait_for(" first");
    std::thread::sleep(Duration::from_millis(500));
    let opened = f.seen[0].clone();
    let i: usize = opened.split("file ").nth(1).unwrap()[..2].parse().unwrap();
    append(&files[i], &line(99, &format!("file {i:02} more")));
    f.wait_for(&format!("file {i:02} more"));
    assert!(f.still_running(), "stderr: {:?}", f.stderr());
    let err = f.stop();
    assert!(err.iter().all(|l| !l.contains("overflow")), "{err:?}");
}

#[test]
fn a_mebibyte_line_before_a_time_window_is_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.log");
    // One line of 1.5 MiB (its only newline its last byte), then 100,000 timed lines: the
    // window is found by bisection past it, and the lines before are counted, not read.
    let mut log = format!(
        "2026-11-21T09:59:59.000000Z INFO: big {}\n",
        "x".repeat(3 << 19)
    );
    for i in 0..100_000u32 {
        log += &line(i / 10, &format!("step {i}"));
    }
    std::fs::write(&path, &log).unwrap();
    let r = run(zl()
        .args(["tail", "-o", "raw", "--since", "2026-11-21T12:13:20Z"])
        .arg(&path));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 20_000, "{}", r.stderr);
    assert!(lines[0].ends_with("step 80000"), "{}", lines[0]);
    // JSON output names each line's number: the long line was counted.
    let r = run(zl()
        .args([
            "tail",
            "-o",
            "json",
            "-n",
            "1",
            "--since",
            "2026-11-21T12:13:20Z",
        ])
        .arg(&path));
    assert_eq!(
        ndjson(&r.stdout)[0]["origin"]["line"],
        100_001,
        "{}",
        r.stderr
    );
}

#[test]
fn a_glob_through_an_unreadable_folder_says_so_and_exits_3() {
    let Some(mut cmd) = zl_unprivileged() else {
        return;
    };
    let dir = open_dir();
    for sub in ["ok", "locked"] {
        let d = dir.path().join(sub);
        std::fs::create_dir(&d).unwrap();
        append(&d.join("w.log"), &line(0, &format!("in {sub}")));
    }
    let locked = dir.path().join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let glob = format!("{}/*/w.log", dir.path().display());
    let r = run(cmd.args(["tail", "-o", "raw", &glob]));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stdout.contains("in ok"), "{}", r.stdout);
    let said: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(said.len(), 1, "one message: {said:?}");
    assert!(
        said[0].contains(&format!("cannot read folder {}", locked.display()))
            && said[0].contains("permission denied"),
        "{said:?}"
    );
}

#[test]
fn fifos_process_substitution_and_piped_dev_stdin_are_read_without_seeking() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..2_000).map(|i| line(i, &format!("piped {i}"))).collect();
    let gz = dir.path().join("c.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let plain = dir.path().join("c.log");
    std::fs::write(&plain, &text).unwrap();
    for source in [&plain, &gz] {
        // A FIFO with a writer.
        let fifo = dir.path().join("p");
        let _ = std::fs::remove_file(&fifo);
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let mut writer = Command::new("sh")
            .arg("-c")
            .arg("exec cat \"$0\" > \"$1\"")
            .args([source, &fifo])
            .spawn()
            .unwrap();
        let r = run(zl().args(["tail", "-o", "raw"]).arg(&fifo));
        writer.wait().unwrap();
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, text, "{}", source.display());
        // Piped into /dev/stdin, and a /dev/fd pipe as `<(…)` gives.
        let r = run(Command::new("sh")
            .arg("-c")
            .arg("cat \"$1\" | \"$0\" tail -o raw /dev/stdin")
            .arg(env!("CARGO_BIN_EXE_zisk-logs"))
            .arg(source));
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, text.as_str()),
            "{}",
            r.stderr
        );
        require_program!("bash");
        let r = run(Command::new("bash")
            .arg("-c")
            .arg("\"$0\" tail -o raw <(cat \"$1\")")
            .arg(env!("CARGO_BIN_EXE_zisk-logs"))
            .arg(source));
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, text.as_str()),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn a_fifo_without_a_writer_holds_back_no_other_source() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("p.log");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let file = dir.path().join("c.log");
    append(&file, &line(0, "from the file"));
    // Without -f: the file is printed at once; the FIFO's lines when its writer comes.
    let mut f = Following::start(zl().args(["tail", "-o", "raw"]).args([&fifo, &file]));
    f.wait_for("from the file");
    f.wait_for_notice("p.log: a FIFO without a writer");
    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    w.write_all(line(1, "from the fifo").as_bytes()).unwrap();
    f.wait_for("from the fifo");
    drop(w);
    let status = f.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{:?}", f.stderr());
    // With -f: the file is followed meanwhile.
    let mut f = Following::start(zl().args(["tail", "-f", "-o", "raw"]).args([&fifo, &file]));
    f.wait_for("from the file");
    append(&file, &line(2, "appended"));
    f.wait_for("appended");
    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    w.write_all(line(3, "late fifo").as_bytes()).unwrap();
    f.wait_for("late fifo");
    assert!(f.still_running());
}

#[test]
fn a_journal_folder_without_journals_is_one_clear_message() {
    require_program!("journalctl");
    let dir = tempfile::tempdir().unwrap();
    let source = format!("journald:zisk-worker?dir={}", dir.path().display());
    // Several times: the message must not depend on which thread finishes first.
    for _ in 0..5 {
        let r = run(zl().args(["tail", "-o", "raw", "--worker", &source]));
        assert_eq!(r.code, 2, "{}", r.stderr);
        let said: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].contains(&source) && said[0].contains("no journal files in"),
            "{said:?}"
        );
        assert!(!r.stderr.contains("killed by a signal"), "{}", r.stderr);
    }
    let mut f = Following::start(zl().args(["tail", "-f", "-o", "raw", "--worker", &source]));
    f.wait_for_notice("no journal files in");
    let status = f.child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "{:?}", f.stderr());
}
