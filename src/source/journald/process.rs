//! Running journalctl (or ssh): the child killed on drop and at exit, stderr drained on the
//! side and turned into one clear line, a query read entry by entry, the host list, `--grep`
//! support.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::thread::JoinHandle;

use super::command::{command_line, journalctl_args, Query};
use super::entry::{parse_entry, Entry};
use super::{Location, Target, F_HOSTNAME};
use crate::report;

/// Child processes still running, killed when zisk-logs exits (see [`kill_children`]).
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Kills journalctl/ssh children that are still running (called before the process exits,
/// when reader threads are not unwound).
pub fn kill_children() {
    let pids = std::mem::take(&mut *CHILDREN.lock().unwrap_or_else(|e| e.into_inner()));
    for pid in pids {
        let _ = Command::new("kill")
            .arg(pid.to_string())
            .stderr(Stdio::null())
            .status();
    }
}

/// A running child: killed and reaped on drop.
struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<Vec<String>>>,
}

impl Running {
    /// Waits for the exit; returns the exit code (None: killed by a signal) and stderr's lines.
    fn finish(mut self) -> (Option<i32>, Vec<String>) {
        let code = self.child.wait().ok().and_then(|s| s.code());
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        (code, stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let pid = self.child.id();
        CHILDREN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|&p| p != pid);
    }
}

/// What one finished query gave.
pub(super) struct Outcome {
    pub(super) entries: usize,
    pub(super) last_cursor: Option<String>,
}

pub(super) struct Runner {
    pub(super) name: String,
    pub(super) target: Target,
    pub(super) ssh_options: Vec<String>,
}

impl Runner {
    fn spawn(&self, args: &[String]) -> Result<Running, String> {
        let argv = command_line(self.target.host.as_deref(), &self.ssh_options, args);
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .env("SYSTEMD_COLORS", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound if self.target.host.is_some() => "ssh not found: install an OpenSSH client".to_string(),
                std::io::ErrorKind::NotFound => "journalctl not found: this host has no systemd journal tools (Debian package systemd)".to_string(),
                _ => format!("cannot run {}: {e}", argv[0]),
            })?;
        CHILDREN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(child.id());
        let stdout = BufReader::with_capacity(256 * 1024, child.stdout.take().expect("piped"));
        let mut err = child.stderr.take().expect("piped");
        // Drained on the side so a chatty stderr cannot block the child.
        let stderr = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .take(50)
                .map(String::from)
                .collect()
        });
        Ok(Running {
            child,
            stdout,
            stderr: Some(stderr),
        })
    }

    /// Runs a query to its end, calling `each` for every entry (false stops early).
    pub(super) fn query(
        &self,
        q: &Query,
        each: &mut dyn FnMut(Entry) -> bool,
    ) -> Result<Outcome, String> {
        let mut running = self.spawn(&journalctl_args(&self.target, q))?;
        let mut outcome = Outcome {
            entries: 0,
            last_cursor: None,
        };
        let mut line = Vec::new();
        let mut null_reported = false;
        loop {
            line.clear();
            match running.stdout.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(format!("reading journalctl output: {e}")),
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let entry = match parse_entry(&line) {
                Ok(e) => e,
                Err(e) => {
                    report::problem(&self.name, &e);
                    continue;
                }
            };
            if entry.message_null && !null_reported {
                null_reported = true;
                report::problem(&self.name, "journalctl gave a MESSAGE as null (too large) despite --all; such entries are skipped");
            }
            outcome.entries += 1;
            outcome.last_cursor = entry.cursor.clone().or(outcome.last_cursor);
            if !each(entry) {
                return Ok(outcome);
            }
        }
        let (code, stderr) = running.finish();
        match code {
            Some(0) => {}
            // --grep with no match exits 1 and says nothing.
            Some(1) if q.grep.is_some() && stderr.is_empty() => {}
            _ => return Err(explain_failure(&self.target, code, &stderr)),
        }
        for line in &stderr {
            if line.contains("not seeing messages from other users") {
                let msg = permission_message();
                if outcome.entries == 0 {
                    return Err(msg);
                }
                report::problem(&self.name, &msg);
            } else if !line.starts_with("Hint:")
                && !line.contains("Pass -q to")
                && !line.starts_with("Users in groups")
            {
                report::problem(&self.name, line);
            }
        }
        Ok(outcome)
    }

    /// `journalctl -F _HOSTNAME` on the folder or file: the hosts whose streams to open.
    pub(super) fn list_hosts(&self) -> Result<Vec<String>, String> {
        let mut args: Vec<String> = vec!["--no-pager".into()];
        match &self.target.location {
            Location::Dir(d) => args.push(format!("--directory={d}")),
            Location::File(f) => args.push(format!("--file={f}")),
            Location::System => {}
        }
        args.push(format!("--field={F_HOSTNAME}"));
        let mut running = self.spawn(&args)?;
        let mut out = String::new();
        let _ = running.stdout.read_to_string(&mut out);
        let (code, stderr) = running.finish();
        if code != Some(0) {
            return Err(explain_failure(&self.target, code, &stderr));
        }
        let mut hosts: Vec<String> = out
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        if hosts.is_empty() {
            // No stream would be opened and nothing said: say why here, once.
            let place = match &self.target.location {
                Location::Dir(d) => format!("folder {d}"),
                Location::File(f) => format!("file {f}"),
                Location::System => "the system journal".into(),
            };
            return Err(if stderr.iter().any(|l| l.contains("No journal files")) {
                format!("no journal files in {place} (journalctl reads *.journal files there)")
            } else {
                format!("the journal files in {place} hold no entries")
            });
        }
        hosts.sort();
        Ok(hosts)
    }

    /// Does this host's journalctl support `--grep` (built with PCRE2)? Asked once per host.
    pub(super) fn grep_supported(&self) -> bool {
        static KNOWN: Mutex<Vec<(Option<String>, bool)>> = Mutex::new(Vec::new());
        let key = self.target.host.clone();
        if let Some((_, ok)) = KNOWN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(k, _)| *k == key)
        {
            return *ok;
        }
        let ok = self
            .spawn(&["--version".to_string()])
            .ok()
            .map(|mut r| {
                let mut out = String::new();
                let _ = r.stdout.read_to_string(&mut out);
                let (code, _) = r.finish();
                code == Some(0) && out.contains("+PCRE2")
            })
            .unwrap_or(false);
        KNOWN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((key, ok));
        ok
    }
}

fn permission_message() -> String {
    "permission denied: this user sees only its own journal entries; add it to the systemd-journal group (usermod -aG systemd-journal USER, then log in again) or use sudo".into()
}

/// One clear line from a failed journalctl or ssh.
fn explain_failure(target: &Target, code: Option<i32>, stderr: &[String]) -> String {
    let all = stderr.join(" ");
    let last = stderr
        .iter()
        .rev()
        .find(|l| {
            ![
                "Warning: Permanently added",
                "Hint:",
                "Users in groups",
                "Pass -q",
            ]
            .iter()
            .any(|n| l.starts_with(n))
        })
        .cloned()
        .unwrap_or_default();
    if let Some(host) = &target.host {
        if code == Some(255) {
            let hint = if all.contains("Host key verification failed")
                || all.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
            {
                " (the host key is unknown or has changed: connect once with ssh to check it, or pass --ssh-option StrictHostKeyChecking=accept-new)"
            } else if all.contains("Permission denied") {
                " (ssh runs in batch mode, without password prompts: use a key from ssh-agent or --ssh-option IdentityFile=KEY)"
            } else {
                ""
            };
            let what = if last.is_empty() {
                "no message".to_string()
            } else {
                last
            };
            return format!("ssh to {host} failed: {what}{hint}");
        }
        if code == Some(127) || all.contains("command not found") {
            return format!("journalctl not found on {host}");
        }
    }
    if all.contains("insufficient permissions")
        || all.contains("not seeing messages from other users")
    {
        return permission_message();
    }
    match code {
        Some(c) if !last.is_empty() => format!("journalctl failed (exit {c}): {last}"),
        Some(c) => format!("journalctl failed (exit {c})"),
        None => "journalctl was killed by a signal".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_become_one_clear_line() {
        let t = Target::parse("z@h").unwrap();
        let m = explain_failure(
            &t,
            Some(255),
            &["ssh: connect to host h port 1: Connection refused".into()],
        );
        assert_eq!(
            m,
            "ssh to h failed: ssh: connect to host h port 1: Connection refused"
        );
        assert!(
            explain_failure(&t, Some(255), &["Host key verification failed.".into()])
                .contains("StrictHostKeyChecking")
        );
        assert_eq!(
            explain_failure(
                &t,
                Some(127),
                &["bash: line 1: journalctl: command not found".into()]
            ),
            "journalctl not found on h"
        );
        let local = Target::parse("z?dir=/nope").unwrap();
        assert_eq!(
            explain_failure(
                &local,
                Some(1),
                &["Failed to open /nope: No such file or directory".into()]
            ),
            "journalctl failed (exit 1): Failed to open /nope: No such file or directory"
        );
    }
}
