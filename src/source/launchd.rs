//! The `launchd:[DIR]` source: macOS flat files written by launchd (StandardOutPath) and rotated
//! by newsyslog: `DIR/zisk-coordinator/zisk-coordinator.log` for the coordinator role,
//! `DIR/zisk-worker/zisk-worker.log` for a worker (DIR defaults to /var/log), with their
//! archives `NAME.log.0[.gz|.bz2]`, `NAME.log.1.gz` ... (0 newest) read oldest first through the
//! file source's reader, and the live file followed across rotation and truncation.
//!
//! newsyslog writes `<date> <host> newsyslog[<pid>]: logfile turned over ...` at the end of every
//! archive and the start of every new file; those lines are not the program's and are dropped.
//!
//! Known limit (BACKENDS B.3): launchd keeps writing to the descriptor it opened, so after a
//! rotation the job writes into the archive until it restarts; what it writes after the archive
//! is compressed is lost on disk, and no reader can show it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::file::{group_files, start_group, FileGroup};
use super::{LineFeeder, ReadRequest, Source, SourceOptions, StreamSet};
use crate::event::Role;

const DEFAULT_DIR: &str = "/var/log";

pub fn open(spec: &str, rest: &str, _options: &SourceOptions) -> Result<Box<dyn Source>, String> {
    let dir = if rest.is_empty() { DEFAULT_DIR } else { rest };
    Ok(Box::new(LaunchdSource {
        name: spec.to_string(),
        dir: PathBuf::from(dir),
    }))
}

pub struct LaunchdSource {
    name: String,
    dir: PathBuf,
}

impl Source for LaunchdSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn start(
        &self,
        role: Option<Role>,
        req: &Arc<ReadRequest>,
        set: &StreamSet,
    ) -> Result<(), String> {
        // Without a role (a bare `launchd:` source), read both logs.
        let roles = match role {
            Some(r) => vec![r],
            None => vec![Role::Coordinator, Role::Worker],
        };
        let mut groups = Vec::new();
        for r in roles {
            match plan(&self.dir, r, req.follow) {
                Ok(g) => groups.push((r, g)),
                Err(e) if role.is_none() => crate::report::problem(&self.name, &e),
                Err(e) => return Err(e),
            }
        }
        if groups.is_empty() {
            return Err(format!(
                "no zisk-coordinator or zisk-worker logs under {}",
                self.dir.display()
            ));
        }
        for (r, group) in groups {
            let mut feeder = LineFeeder::new(set, req, group.label.clone(), Some(r), None);
            feeder.drop_line = Some(is_turnover_line);
            start_group(group, feeder, req, set);
        }
        Ok(())
    }
}

/// The log's name for a role: the folder and the file stem are the same.
fn log_name(role: Role) -> &'static str {
    match role {
        Role::Coordinator => "zisk-coordinator",
        Role::Worker => "zisk-worker",
    }
}

/// The live file and its newsyslog archives, oldest first. When following, the live file is
/// included even if it does not exist yet (it is waited for).
fn plan(dir: &Path, role: Role, follow: bool) -> Result<FileGroup, String> {
    let name = log_name(role);
    let folder = dir.join(name);
    let live_name = format!("{name}.log");
    let live = folder.join(&live_name);
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&folder) {
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if is_rotation_of(&file_name, &live_name) && entry.path().is_file() {
                files.push(entry.path());
            }
        }
    }
    if !files.contains(&live) && (follow || files.is_empty()) {
        if !follow {
            return Err(format!(
                "no {} (nor newsyslog archives of it)",
                live.display()
            ));
        }
        files.push(live);
    }
    let mut groups = group_files(files);
    Ok(groups.remove(0))
}

/// `name.log`, `name.log.N`, `name.log.N.gz|.bz2|.xz|.zst`.
fn is_rotation_of(file_name: &str, live_name: &str) -> bool {
    let Some(rest) = file_name.strip_prefix(live_name) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix('.') else {
        return false;
    };
    let (number, ext) = rest.split_once('.').unwrap_or((rest, ""));
    !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && ["", "gz", "bz2", "xz", "zst"].contains(&ext)
}

/// `Jan 15 10:00:00 host newsyslog[123]: logfile turned over due to size>100K`.
fn is_turnover_line(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let Some(at) = memchr::memmem::find(line, b" newsyslog[") else {
        return false;
    };
    let looks_dated = line.len() > 15
        && line[..3].iter().all(u8::is_ascii_alphabetic)
        && line[3] == b' '
        && line[9] == b':';
    looks_dated && at > 15 && memchr::memmem::find(&line[at..], b"]: logfile turned over").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_names() {
        for ok in [
            "zisk-worker.log",
            "zisk-worker.log.0",
            "zisk-worker.log.0.gz",
            "zisk-worker.log.12.bz2",
        ] {
            assert!(is_rotation_of(ok, "zisk-worker.log"), "{ok}");
        }
        for no in [
            "zisk-worker.log.bak",
            "zisk-worker.log.0.tmp",
            "zisk-worker.logx",
            "zisk-worker.log.zAbc123",
            "zisk-worker.log.",
        ] {
            assert!(!is_rotation_of(no, "zisk-worker.log"), "{no}");
        }
    }

    #[test]
    fn turnover_lines_are_recognised() {
        assert!(is_turnover_line(
            b"Jan 15 10:00:00 mac-01 newsyslog[812]: logfile turned over due to size>102400K"
        ));
        assert!(is_turnover_line(
            b"Nov  3 09:30:00 mac-01 newsyslog[1]: logfile turned over\n"
        ));
        assert!(!is_turnover_line(
            b"2026-11-21T10:00:00Z INFO: newsyslog[1]: logfile turned over"
        ));
        assert!(!is_turnover_line(
            b"Jan 15 10:00:00 mac-01 zisk-worker[3]: started"
        ));
    }

    #[test]
    fn plan_orders_archives_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("zisk-worker");
        std::fs::create_dir(&folder).unwrap();
        for f in [
            "zisk-worker.log",
            "zisk-worker.log.0",
            "zisk-worker.log.1.gz",
            "zisk-worker.log.2.bz2",
            "other.log",
        ] {
            std::fs::write(folder.join(f), "x\n").unwrap();
        }
        let g = plan(dir.path(), Role::Worker, false).unwrap();
        let names: Vec<_> = g
            .files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "zisk-worker.log.2.bz2",
                "zisk-worker.log.1.gz",
                "zisk-worker.log.0",
                "zisk-worker.log"
            ]
        );
        assert_eq!(&*g.label, "zisk-worker");
        assert!(plan(dir.path(), Role::Coordinator, false).is_err());
        assert_eq!(
            plan(dir.path(), Role::Coordinator, true)
                .unwrap()
                .files
                .len(),
            1
        );
    }
}
