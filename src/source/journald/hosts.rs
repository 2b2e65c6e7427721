//! One stream (and thread) per host: entries go to their host's stream, which turns their
//! MESSAGE into lines with the entry's envelope.

use std::collections::HashMap;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};

use super::entry::Entry;
use super::process::Runner;
use super::LIVE_IDLE;
use crate::event::Role;
use crate::source::{LineFeeder, ReadRequest, StreamSet};

pub(super) enum HostMsg {
    Entry(Entry),
    CaughtUp,
}

pub(super) struct Hosts {
    name: String,
    fixed_label: Option<Arc<str>>,
    role: Option<Role>,
    req: Arc<ReadRequest>,
    set: StreamSet,
    senders: HashMap<String, Sender<HostMsg>>,
    threads: Vec<JoinHandle<()>>,
}

impl Hosts {
    pub(super) fn new(
        runner: &Runner,
        role: Option<Role>,
        req: Arc<ReadRequest>,
        set: StreamSet,
    ) -> Hosts {
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

    pub(super) fn get(&mut self, host: Option<&str>) -> &Sender<HostMsg> {
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

    pub(super) fn send(&mut self, entry: Entry) -> bool {
        let host = entry.host.clone();
        self.get(host.as_deref())
            .send(HostMsg::Entry(entry))
            .is_ok()
    }

    pub(super) fn caught_up(&mut self) {
        for tx in self.senders.values() {
            let _ = tx.send(HostMsg::CaughtUp);
        }
    }

    /// Ends every stream and waits for its thread.
    pub(super) fn close(&mut self) {
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
