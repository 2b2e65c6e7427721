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

mod command;
mod entry;
mod history;
mod hosts;
mod process;

#[cfg(any(test, feature = "fuzz-targets"))]
pub(crate) use entry::parse_entry;
pub use process::kill_children;

use std::sync::Arc;
use std::time::Duration;

use hosts::Hosts;
use process::Runner;

use super::{ReadRequest, Source, SourceOptions, StreamSet};
use crate::event::Role;

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
}
