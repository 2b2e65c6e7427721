//! The `journald:` source: drives `journalctl -o json --all` (locally, over ssh, or on a folder or
//! file of journal files), turns each entry's MESSAGE into lines with the entry's time, priority,
//! host, unit and PID as the envelope, and gives every host its own stream.
//!
//! Pushdown (what journalctl filters for us) and why the result does not change with it:
//! - The unit: `_SYSTEMD_UNIT=U + _PID=1 UNIT=U`, the program's own output plus systemd's
//!   messages about the unit (start, stop, exit status), as `-u` does without its coredump and
//!   authorised-daemon terms.
//! - `--level` is never pushed to `-p`: ZisK writes to stdout, so journald stores PRIORITY 6
//!   for every line, WARN and ERROR lines included; `-p warning` would drop them. PRIORITY is
//!   only the level of lines whose text has none, and then only when it is not that default 6
//!   (which says nothing about the line), so an unparsed line has no level here as in a file;
//!   systemd's own messages about the unit (exit status: 4 or 3) keep theirs.
//! - `--since`/`--until` are pushed as `@EPOCH`, widened by [`TIME_MARGIN_SECS`], because the
//!   filter applies to the time in the text (a little before journald's reception time) and a
//!   pretty event's continuation entries must not lose their header. Lines before the window
//!   still matter for one thing: the worker's start-up banner (`Worker ID ...`) names the
//!   worker of the lines after it, so the last banner before the window is fetched with a
//!   second, grep-narrowed query and fed first. Without `--grep` support, since is not pushed.
//! - `--job`: `--grep` with a widened pattern (the job literal, any line starting with
//!   whitespace or empty — pretty headers and their `in span with job_id` continuations — and
//!   banner lines), case-sensitive, the literal escaped.
//! - `-n` (only set when nothing is filtered): the last `4N+64` entries; if they hold fewer
//!   than N whole events (pretty events span entries) everything is read instead. Leading
//!   continuation entries whose header is outside the window are dropped, and the banner
//!   before the window is fetched as for `--since`.
//!
//! Follow: history is read first (then `caught_up`), then `journalctl -f --after-cursor=LAST`
//! (with `-m` on folders and files, so every host is followed, BACKENDS A.5), deduplicated by
//! `__CURSOR`.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use serde_json::{Map, Value};

use super::{LineFeeder, ReadRequest, Source, SourceOptions, StreamSet};
use crate::event::{Level, Role};
use crate::parse::Envelope;
use crate::report;
use crate::time::Timestamp;

const F_MESSAGE: &str = "MESSAGE";
const F_REALTIME: &str = "__REALTIME_TIMESTAMP";
const F_CURSOR: &str = "__CURSOR";
const F_HOSTNAME: &str = "_HOSTNAME";
const F_UNIT: &str = "_SYSTEMD_UNIT";
const F_PID: &str = "_PID";
const F_PRIORITY: &str = "PRIORITY";

/// How far pushed-down `--since`/`--until` are widened (see the module comment).
const TIME_MARGIN_SECS: i64 = 300;
/// While following, a host's held pretty event is emitted after this long without new entries.
const LIVE_IDLE: Duration = Duration::from_millis(150);
/// The PRIORITY journald gives every line a service writes to stdout or stderr (info).
const DEFAULT_STDOUT_PRIORITY: u8 = 6;
/// What a worker's start-up banner line contains.
const BANNER: &str = "Worker ID";

/// Where the journal is read.
#[derive(Clone, Debug, PartialEq)]
pub enum Location {
    /// The system journal of the host (local or over ssh).
    System,
    /// `?dir=DIR`: a folder of journal files, typically many hosts'.
    Dir(String),
    /// `?file=PATH`: one journal file.
    File(String),
}

/// A parsed `journald:UNIT[@HOST][?dir=DIR|?file=PATH]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The full unit name (`.service` added when no type was given).
    pub unit: String,
    /// `HOST`, `user@host` or an ssh alias, reached with ssh.
    pub host: Option<String>,
    pub location: Location,
}

impl Target {
    /// `UNIT@HOST` splits at the first `@`, except after `.service@` (template units such as
    /// `zisk-worker@1.service@host` must spell out `.service`); `?dir=`/`?file=` follow.
    pub fn parse(rest: &str) -> Result<Target, String> {
        let (target, query) = match rest.split_once('?') {
            Some((t, q)) => (t, Some(q)),
            None => (rest, None),
        };
        let location = match query {
            None => Location::System,
            Some(q) => match q.split_once('=') {
                Some(("dir", v)) if !v.is_empty() => Location::Dir(v.to_string()),
                Some(("file", v)) if !v.is_empty() => Location::File(v.to_string()),
                _ => {
                    return Err(format!(
                        "unknown option {q:?}: expected ?dir=FOLDER or ?file=PATH"
                    ))
                }
            },
        };
        let (unit, host) = if let Some(i) = target.find(".service@") {
            (
                &target[..i + ".service".len()],
                Some(&target[i + ".service@".len()..]),
            )
        } else if target.ends_with(".service") {
            (target, None)
        } else {
            match target.split_once('@') {
                Some((u, h)) => (u, Some(h)),
                None => (target, None),
            }
        };
        if unit.is_empty() {
            return Err("no unit name".into());
        }
        if host.is_some_and(str::is_empty) {
            return Err("nothing after '@': expected a host".into());
        }
        let unit = if unit.contains('.') {
            unit.to_string()
        } else {
            format!("{unit}.service")
        };
        Ok(Target {
            unit,
            host: host.map(str::to_string),
            location,
        })
    }

    fn many_hosts(&self) -> bool {
        self.location != Location::System
    }

    /// The stream label when there is one host: the ssh host (without `user@`), else the unit.
    fn fixed_label(&self) -> String {
        match &self.host {
            Some(h) => h.rsplit('@').next().unwrap_or(h).to_string(),
            None => self
                .unit
                .strip_suffix(".service")
                .unwrap_or(&self.unit)
                .to_string(),
        }
    }

    fn describe(&self) -> String {
        let mut s = format!("unit {}", self.unit);
        match &self.location {
            Location::System => {}
            Location::Dir(d) => s.push_str(&format!(" in folder {d}")),
            Location::File(f) => s.push_str(&format!(" in file {f}")),
        }
        if let Some(h) = &self.host {
            s.push_str(&format!(" on {h}"));
        }
        s
    }
}

pub fn open(spec: &str, rest: &str, options: &SourceOptions) -> Result<Box<dyn Source>, String> {
    let target = Target::parse(rest).map_err(|e| format!("source {spec:?}: {e}"))?;
    Ok(Box::new(JournaldSource {
        name: spec.to_string(),
        target,
        ssh_options: options.ssh_options.clone(),
    }))
}

pub struct JournaldSource {
    name: String,
    target: Target,
    ssh_options: Vec<String>,
}

impl Source for JournaldSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn start(
        &self,
        role: Option<Role>,
        req: &Arc<ReadRequest>,
        set: &StreamSet,
    ) -> Result<(), String> {
        let runner = Runner {
            name: self.name.clone(),
            target: self.target.clone(),
            ssh_options: self.ssh_options.clone(),
        };
        let mut hosts = Hosts::new(&runner, role, req.clone(), set.clone());
        if runner.target.many_hosts() {
            // Every host's stream must exist before history is merged: ask for the host names.
            for host in runner.list_hosts()? {
                hosts.get(Some(&host));
            }
        } else {
            hosts.get(None);
        }
        let req = req.clone();
        std::thread::spawn(move || runner.run(&req, &mut hosts));
        Ok(())
    }
}

// ----------------------------------------------------------------------------------------------
// The journalctl command, as data.

/// One journalctl invocation's options besides the unit and location.
#[derive(Clone, Debug, Default, PartialEq)]
struct Query {
    since_secs: Option<i64>,
    until_secs: Option<i64>,
    /// `--lines=N`; None is `--lines=all` (so `-f` does not imply 10).
    lines: Option<usize>,
    grep: Option<String>,
    follow: bool,
    after_cursor: Option<String>,
}

/// The arguments after `journalctl`.
fn journalctl_args(target: &Target, q: &Query) -> Vec<String> {
    let mut a: Vec<String> = ["--output=json", "--all", "--no-pager"]
        .map(String::from)
        .to_vec();
    match &target.location {
        Location::System => {}
        Location::Dir(d) => a.push(format!("--directory={d}")),
        Location::File(f) => a.push(format!("--file={f}")),
    }
    if let Some(s) = q.since_secs {
        a.push(format!("--since=@{s}"));
    }
    if let Some(u) = q.until_secs {
        a.push(format!("--until=@{u}"));
    }
    a.push(match q.lines {
        Some(n) => format!("--lines={n}"),
        None => "--lines=all".into(),
    });
    if let Some(g) = &q.grep {
        a.push("--case-sensitive=yes".into());
        a.push(format!("--grep={g}"));
    }
    if q.follow {
        if target.many_hosts() {
            a.push("--merge".into());
        }
        a.push("--follow".into());
    }
    if let Some(c) = &q.after_cursor {
        a.push(format!("--after-cursor={c}"));
    }
    a.extend(unit_matches(&target.unit));
    a
}

fn unit_matches(unit: &str) -> Vec<String> {
    vec![
        format!("{F_UNIT}={unit}"),
        "+".into(),
        "_PID=1".into(),
        format!("UNIT={unit}"),
    ]
}

/// Quotes one word for a POSIX shell: ssh joins the remote command into one string that the
/// remote user's shell runs.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The local argv: `journalctl ARGS`, or `ssh -o BatchMode=yes [-o OPT]... -- HOST 'journalctl' 'ARG'...`.
fn command_line(host: Option<&str>, ssh_options: &[String], args: &[String]) -> Vec<String> {
    let Some(host) = host else {
        let mut v = vec!["journalctl".to_string()];
        v.extend(args.iter().cloned());
        return v;
    };
    let mut v: Vec<String> = vec!["ssh".into(), "-o".into(), "BatchMode=yes".into()];
    for o in ssh_options {
        v.push("-o".into());
        v.push(o.clone());
    }
    // ssh takes the first value given for an option, so the user's win over these defaults.
    v.extend(["-o", "ConnectTimeout=10", "-T", "--"].map(String::from));
    v.push(host.to_string());
    let remote: Vec<String> = std::iter::once("journalctl")
        .chain(args.iter().map(String::as_str))
        .map(shell_quote)
        .collect();
    v.push(remote.join(" "));
    v
}

/// A PCRE pattern matching `s` literally.
fn pcre_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if c.is_ascii() && !c.is_ascii_alphanumeric() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The `--grep` pattern for a job literal that keeps every entry the parser needs to build the
/// same events: the literal, pretty headers and continuations (leading whitespace), blank
/// lines (which end a pretty event) and banner lines.
fn job_grep_pattern(literal: &str) -> String {
    format!(r"(?m)^\s|^$|{BANNER}|{}", pcre_escape(literal))
}

// ----------------------------------------------------------------------------------------------
// Decoding entries.

/// One journal entry, as far as we use it.
#[derive(Debug, Default, PartialEq)]
struct Entry {
    message: Option<Vec<u8>>,
    /// MESSAGE was `null`: too large, which `--all` should prevent.
    message_null: bool,
    ts: Option<Timestamp>,
    priority: Option<u8>,
    host: Option<String>,
    unit: Option<String>,
    pid: Option<u64>,
    cursor: Option<String>,
}

/// Decodes one line of `journalctl -o json`.
fn parse_entry(line: &[u8]) -> Result<Entry, String> {
    let map: Map<String, Value> =
        serde_json::from_slice(line).map_err(|e| format!("unreadable journalctl output: {e}"))?;
    let text = |k: &str| {
        map.get(k)
            .and_then(decode_value)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    Ok(Entry {
        message: map.get(F_MESSAGE).and_then(decode_value),
        message_null: map.get(F_MESSAGE).is_some_and(Value::is_null),
        ts: text(F_REALTIME)
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map(Timestamp),
        priority: text(F_PRIORITY).and_then(|s| s.trim().parse().ok()),
        host: text(F_HOSTNAME),
        unit: text(F_UNIT),
        pid: text(F_PID).and_then(|s| s.trim().parse().ok()),
        cursor: text(F_CURSOR),
    })
}

/// A value is a string, an array of bytes (control characters, invalid UTF-8), `null` (too
/// large), or, for a field given more than once, an array of those (the first is used).
fn decode_value(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Array(items) if items.iter().all(Value::is_u64) => Some(
            items
                .iter()
                .filter_map(Value::as_u64)
                .map(|b| b as u8)
                .collect(),
        ),
        Value::Array(items) => items.iter().find_map(decode_value),
        _ => None,
    }
}

impl Entry {
    fn envelope(&self) -> Envelope {
        let mut fields = Map::new();
        if let Some(h) = &self.host {
            fields.insert(F_HOSTNAME.into(), Value::String(h.clone()));
        }
        if let Some(u) = &self.unit {
            fields.insert(F_UNIT.into(), Value::String(u.clone()));
        }
        if let Some(p) = self.pid {
            fields.insert(F_PID.into(), Value::from(p));
        }
        // journald stores PRIORITY 6 for every stdout line whatever it says: that is no level.
        let level = self
            .priority
            .filter(|&p| p != DEFAULT_STDOUT_PRIORITY)
            .map(Level::from_syslog_priority);
        Envelope {
            ts: self.ts,
            level,
            fields: Some(fields),
        }
    }

    fn first_line(&self) -> &[u8] {
        let m = self.message.as_deref().unwrap_or_default();
        m.split(|&b| b == b'\n').next().unwrap_or_default()
    }

    /// Could this entry continue a pretty event begun in an earlier entry?
    fn is_continuation(&self) -> bool {
        let clean =
            crate::parse::strip_ansi(&String::from_utf8_lossy(self.first_line())).into_owned();
        let trimmed = clean.trim_start_matches(' ');
        clean.len() - trimmed.len() >= 4
            && (trimmed.starts_with("at ") || trimmed.starts_with("in "))
    }

    /// Does this entry begin an event (for counting events in a `-n` window)?
    fn starts_event(&self) -> bool {
        self.message.is_some()
            && !self.first_line().iter().all(u8::is_ascii_whitespace)
            && !self.is_continuation()
    }

    fn is_banner(&self) -> bool {
        memchr::memmem::find(
            self.message.as_deref().unwrap_or_default(),
            BANNER.as_bytes(),
        )
        .is_some()
    }
}

// ----------------------------------------------------------------------------------------------
// Hosts: one stream (and thread) per host.

enum HostMsg {
    Entry(Entry),
    CaughtUp,
}

struct Hosts {
    name: String,
    fixed_label: Option<Arc<str>>,
    role: Option<Role>,
    req: Arc<ReadRequest>,
    set: StreamSet,
    senders: HashMap<String, Sender<HostMsg>>,
    threads: Vec<JoinHandle<()>>,
}

impl Hosts {
    fn new(runner: &Runner, role: Option<Role>, req: Arc<ReadRequest>, set: StreamSet) -> Hosts {
        let fixed_label =
            (!runner.target.many_hosts()).then(|| Arc::from(runner.target.fixed_label().as_str()));
        Hosts {
            name: runner.name.clone(),
            fixed_label,
            role,
            req,
            set,
            senders: HashMap::new(),
            threads: Vec::new(),
        }
    }

    fn get(&mut self, host: Option<&str>) -> &Sender<HostMsg> {
        let label: Arc<str> = match (&self.fixed_label, host) {
            (Some(l), _) => l.clone(),
            (None, Some(h)) => Arc::from(h),
            (None, None) => Arc::from("unknown-host"),
        };
        if !self.senders.contains_key(&*label) {
            let feeder = LineFeeder::new(&self.set, &self.req, label.clone(), self.role, None);
            let (tx, rx) = unbounded();
            let what = format!("{} ({label})", self.name);
            self.threads
                .push(std::thread::spawn(move || host_loop(feeder, rx, &what)));
            self.senders.insert(label.to_string(), tx);
        }
        &self.senders[&*label]
    }

    fn send(&mut self, entry: Entry) -> bool {
        let host = entry.host.clone();
        self.get(host.as_deref())
            .send(HostMsg::Entry(entry))
            .is_ok()
    }

    fn caught_up(&mut self) {
        for tx in self.senders.values() {
            let _ = tx.send(HostMsg::CaughtUp);
        }
    }

    /// Ends every stream and waits for its thread.
    fn close(&mut self) {
        self.senders.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Feeds one host's entries into its stream. Unbounded input, so one host waiting for the merge
/// never holds up the others (which would deadlock the merge).
fn host_loop(mut feeder: LineFeeder, rx: Receiver<HostMsg>, what: &str) {
    let mut line_no = 0u64;
    let mut live = false;
    let mut held = false;
    let mut leading = true;
    loop {
        let msg = if live {
            rx.recv_timeout(LIVE_IDLE)
        } else {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match msg {
            Ok(HostMsg::Entry(entry)) => {
                let mut envelope = entry.envelope();
                if leading {
                    // Until the first line that can carry its own time (a start-up banner), lines
                    // are untimed as in a file, so the parser dates them and ties them to the
                    // worker the banner names, as it does for files.
                    if could_be_timed(entry.first_line()) {
                        leading = false;
                    } else {
                        envelope.ts = None;
                    }
                }
                let message = entry.message.unwrap_or_default();
                for line in message.split(|&b| b == b'\n') {
                    line_no += 1;
                    if !feeder.line(line, line_no, envelope.clone()) {
                        return;
                    }
                }
                held = true;
                if rx.is_empty() && !feeder.sink.flush() {
                    return;
                }
            }
            Ok(HostMsg::CaughtUp) => {
                feeder.report_data_problems(what);
                if !feeder.caught_up() {
                    return;
                }
                live = true;
                held = false;
            }
            Err(RecvTimeoutError::Timeout) => {
                if held {
                    feeder.report_data_problems(what);
                    if !feeder.flush() {
                        return;
                    }
                    held = false;
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                feeder.report_data_problems(what);
                feeder.flush();
                return;
            }
        }
    }
}

/// Could the parser find a time in this line (text, JSON or pretty format)?
fn could_be_timed(line: &[u8]) -> bool {
    let text = String::from_utf8_lossy(line);
    let clean = crate::parse::strip_ansi(&text);
    matches!(
        clean.trim_start().as_bytes().first(),
        Some(b'0'..=b'9' | b'{')
    )
}

// ----------------------------------------------------------------------------------------------
// Running journalctl.

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
struct Outcome {
    entries: usize,
    last_cursor: Option<String>,
}

struct Runner {
    name: String,
    target: Target,
    ssh_options: Vec<String>,
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
    fn query(&self, q: &Query, each: &mut dyn FnMut(Entry) -> bool) -> Result<Outcome, String> {
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
    fn list_hosts(&self) -> Result<Vec<String>, String> {
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
        hosts.sort();
        Ok(hosts)
    }

    /// Does this host's journalctl support `--grep` (built with PCRE2)? Asked once per host.
    fn grep_supported(&self) -> bool {
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

    fn run(&self, req: &ReadRequest, hosts: &mut Hosts) {
        let (pushed, last_cursor, history_entries) = match self.history(req, hosts) {
            Ok(v) => v,
            Err(e) => {
                report::source_failed(&self.name, &e);
                hosts.caught_up();
                hosts.close();
                return;
            }
        };
        if history_entries == 0 {
            self.check_not_empty(&pushed);
        }
        hosts.caught_up();
        if !req.follow {
            hosts.close();
            return;
        }
        let q = Query {
            follow: true,
            after_cursor: last_cursor.clone(),
            lines: None,
            since_secs: if last_cursor.is_none() {
                pushed.since_secs
            } else {
                None
            },
            until_secs: pushed.until_secs,
            grep: pushed.grep.clone(),
        };
        let result = self.query(&q, &mut |entry| {
            // --after-cursor may print the cursor's own entry again (BACKENDS A.4).
            if entry.cursor.is_some() && entry.cursor == last_cursor {
                return true;
            }
            hosts.send(entry)
        });
        if let Err(e) = result {
            report::source_failed(&self.name, &format!("following stopped: {e}"));
        }
        hosts.close();
    }

    /// Reads the history into the host streams. Returns the query pushed down (for follow and
    /// for the emptiness check), the last cursor and how many entries the main query gave.
    fn history(
        &self,
        req: &ReadRequest,
        hosts: &mut Hosts,
    ) -> Result<(Query, Option<String>, usize), String> {
        if let Some(n) = req
            .tail_lines
            .filter(|_| req.since.is_none() && req.until.is_none() && req.grep_literal.is_none())
        {
            if let Some(done) = self.history_window(n, hosts)? {
                return Ok(done);
            }
        }
        let grep_ok = (req.since.is_some() || req.grep_literal.is_some()) && self.grep_supported();
        let mut q = Query::default();
        if grep_ok {
            q.grep = req.grep_literal.as_deref().map(job_grep_pattern);
            q.since_secs = req.since.map(|s| s.secs_floor() - TIME_MARGIN_SECS);
        }
        q.until_secs = req.until.map(|u| u.secs_floor() + 1 + TIME_MARGIN_SECS);
        let mut fed = HashSet::new();
        if let Some(since) = q.since_secs {
            fed = self.feed_banners_before(since, hosts)?;
        }
        let out = self.query(&q, &mut |entry| {
            if entry.cursor.as_ref().is_some_and(|c| fed.contains(c)) {
                return true;
            }
            hosts.send(entry)
        })?;
        Ok((q, out.last_cursor, out.entries))
    }

    /// `-n`: reads the last entries only, when they hold N whole events; None means read all.
    fn history_window(
        &self,
        n: usize,
        hosts: &mut Hosts,
    ) -> Result<Option<(Query, Option<String>, usize)>, String> {
        let want = n.saturating_mul(4).saturating_add(64);
        let q = Query {
            lines: Some(want),
            ..Query::default()
        };
        let mut window = Vec::new();
        let out = self.query(&q, &mut |e| {
            window.push(e);
            true
        })?;
        let whole_journal = window.len() < want;
        if !whole_journal {
            // Per host, entries before its first event start belong to a header outside the window.
            let mut started: HashSet<Option<String>> = HashSet::new();
            window.retain(|e| {
                if started.contains(&e.host) {
                    return true;
                }
                if e.starts_event() {
                    started.insert(e.host.clone());
                    return true;
                }
                false
            });
            let events = window.iter().filter(|e| e.starts_event()).count();
            if events < n || !self.grep_supported() {
                return Ok(None);
            }
            let first = window
                .iter()
                .filter_map(|e| e.ts)
                .min()
                .map_or(0, |t| t.secs_floor() + 1);
            let in_window: HashSet<&String> =
                window.iter().filter_map(|e| e.cursor.as_ref()).collect();
            let first_per_host: HashMap<&Option<String>, Timestamp> =
                window.iter().fold(HashMap::new(), |mut m, e| {
                    if let Some(ts) = e.ts {
                        m.entry(&e.host).or_insert(ts);
                    }
                    m
                });
            let mut banners: HashMap<Option<String>, Entry> = HashMap::new();
            self.query(
                &Query {
                    until_secs: Some(first),
                    grep: Some(BANNER.into()),
                    ..Query::default()
                },
                &mut |e| {
                    let before = match (first_per_host.get(&e.host), e.ts) {
                        (Some(first), Some(ts)) => ts <= *first,
                        _ => false,
                    };
                    if before
                        && e.is_banner()
                        && !e.cursor.as_ref().is_some_and(|c| in_window.contains(c))
                    {
                        banners.insert(e.host.clone(), e);
                    }
                    true
                },
            )?;
            for (_, b) in banners {
                hosts.send(b);
            }
        }
        let count = window.len();
        for e in window {
            if !hosts.send(e) {
                break;
            }
        }
        Ok(Some((q, out.last_cursor, count)))
    }

    /// Feeds each host's last banner entry before `until_secs`; returns their cursors.
    fn feed_banners_before(
        &self,
        until_secs: i64,
        hosts: &mut Hosts,
    ) -> Result<HashSet<String>, String> {
        let mut banners: HashMap<Option<String>, Entry> = HashMap::new();
        self.query(
            &Query {
                until_secs: Some(until_secs),
                grep: Some(BANNER.into()),
                ..Query::default()
            },
            &mut |e| {
                if e.is_banner() {
                    banners.insert(e.host.clone(), e);
                }
                true
            },
        )?;
        let mut fed = HashSet::new();
        for (_, b) in banners {
            if let Some(c) = &b.cursor {
                fed.insert(c.clone());
            }
            hosts.send(b);
        }
        Ok(fed)
    }

    /// Nothing came back: say so when the unit has no entries at all (journalctl says nothing).
    fn check_not_empty(&self, pushed: &Query) {
        let any = if *pushed == (Query::default()) {
            false
        } else {
            match self.query(
                &Query {
                    lines: Some(1),
                    ..Query::default()
                },
                &mut |_| true,
            ) {
                Ok(o) => o.entries > 0,
                Err(_) => return,
            }
        };
        if !any {
            report::source_failed(
                &self.name,
                &format!(
                    "no journal entries for {} (check the unit name: systemctl list-units 'zisk*')",
                    self.target.describe()
                ),
            );
        }
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
    fn targets_parse() {
        let t = Target::parse("zisk-worker").unwrap();
        assert_eq!(
            (t.unit.as_str(), t.host.as_deref(), &t.location),
            ("zisk-worker.service", None, &Location::System)
        );
        let t = Target::parse("zisk-worker@me@gpu-01?dir=/var/log/journal/remote").unwrap();
        assert_eq!(
            (t.unit.as_str(), t.host.as_deref()),
            ("zisk-worker.service", Some("me@gpu-01"))
        );
        assert_eq!(t.location, Location::Dir("/var/log/journal/remote".into()));
        assert_eq!(t.fixed_label(), "gpu-01");
        let t = Target::parse("zisk-worker@1.service@gpu").unwrap();
        assert_eq!(
            (t.unit.as_str(), t.host.as_deref()),
            ("zisk-worker@1.service", Some("gpu"))
        );
        let t = Target::parse("zisk-worker@1.service").unwrap();
        assert_eq!((t.unit.as_str(), t.host), ("zisk-worker@1.service", None));
        let t = Target::parse("z.service?file=/j/system@abc.journal").unwrap();
        assert_eq!(t.location, Location::File("/j/system@abc.journal".into()));
        assert!(Target::parse("z?bogus=1").is_err());
        assert!(Target::parse("z@").is_err());
        assert!(Target::parse("@h").is_err());
    }

    #[test]
    fn journalctl_command_is_data() {
        let t = Target::parse("zc?dir=/d").unwrap();
        let q = Query {
            since_secs: Some(100),
            grep: Some("x".into()),
            follow: true,
            after_cursor: Some("c".into()),
            ..Query::default()
        };
        assert_eq!(
            journalctl_args(&t, &q),
            [
                "--output=json",
                "--all",
                "--no-pager",
                "--directory=/d",
                "--since=@100",
                "--lines=all",
                "--case-sensitive=yes",
                "--grep=x",
                "--merge",
                "--follow",
                "--after-cursor=c",
                "_SYSTEMD_UNIT=zc.service",
                "+",
                "_PID=1",
                "UNIT=zc.service"
            ]
        );
    }

    #[test]
    fn remote_arguments_are_quoted_for_the_remote_shell() {
        let argv = command_line(
            Some("me@h"),
            &["Port=2222".into()],
            &["--grep=a'b; $(rm -rf /) c".into()],
        );
        assert_eq!(
            &argv[..8],
            [
                "ssh",
                "-o",
                "BatchMode=yes",
                "-o",
                "Port=2222",
                "-o",
                "ConnectTimeout=10",
                "-T"
            ]
        );
        assert_eq!(&argv[8..10], ["--", "me@h"]);
        assert_eq!(argv[10], r#"'journalctl' '--grep=a'\''b; $(rm -rf /) c'"#);
        assert_eq!(argv.len(), 11);
    }

    #[test]
    fn grep_pattern_escapes_the_literal() {
        assert_eq!(pcre_escape("a.b(c)"), r"a\.b\(c\)");
        assert_eq!(
            job_grep_pattern("1a2b3c4d"),
            r"(?m)^\s|^$|Worker ID|1a2b3c4d"
        );
    }

    #[test]
    fn entries_decode_every_shape() {
        let e = parse_entry(br#"{"MESSAGE":[27,91,51,50,109,104,255],"__REALTIME_TIMESTAMP":"1705312801000000","_HOSTNAME":"hb","PRIORITY":"4","_PID":"100","__CURSOR":"s=1"}"#).unwrap();
        assert_eq!(e.message.as_deref(), Some(&b"\x1b[32mh\xff"[..]));
        assert_eq!(e.ts, Some(Timestamp(1705312801000000)));
        assert_eq!(
            (e.priority, e.pid, e.host.as_deref(), e.cursor.as_deref()),
            (Some(4), Some(100), Some("hb"), Some("s=1"))
        );
        assert_eq!(e.envelope().level, Some(Level::Warn));
        let e = parse_entry(br#"{"MESSAGE":null,"TAG":["a","b"]}"#).unwrap();
        assert!(e.message_null && e.message.is_none());
        let e = parse_entry(br#"{"MESSAGE":["first",[104,105]]}"#).unwrap();
        assert_eq!(e.message.as_deref(), Some(&b"first"[..]));
        let e = parse_entry(br#"{"__CURSOR":"x"}"#).unwrap();
        assert!(e.message.is_none() && !e.message_null);
        assert!(parse_entry(b"not json").is_err());
    }

    #[test]
    fn continuation_entries_are_recognised() {
        let e = |m: &str| Entry {
            message: Some(m.as_bytes().to_vec()),
            ..Entry::default()
        };
        assert!(e("    in zisk_worker::job with job_id: \"abc\"").is_continuation());
        assert!(!e("    in zisk_worker::job with job_id: \"abc\"").starts_event());
        assert!(e("  2026-11-21T10:00:00Z  INFO x: y").starts_event());
        assert!(!e("").starts_event());
    }

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
