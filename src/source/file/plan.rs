//! Which files make one log: a path, folder or glob planned into groups, each a log's rotated,
//! compressed and daily files, oldest first, the live file last.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::io_reason;

/// The files of one log: rotations and archives oldest first, then the live file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileGroup {
    pub label: Arc<str>,
    pub files: Vec<PathBuf>,
}

impl FileGroup {
    /// The file that is still written to, which `-f` follows: the last one, when it is not an archive.
    pub(super) fn live(&self) -> Option<&Path> {
        self.files
            .last()
            .map(PathBuf::as_path)
            .filter(|p| rotation_key(p).1.is_none() && !is_compressed_name(p))
    }
}

/// Does `path` name an existing file or folder, or a glob that matches one?
pub fn names_something(path: &str) -> bool {
    Path::new(path).exists()
        || (path.contains(['*', '?', '['])
            && glob::glob(path).is_ok_and(|mut g| g.any(|p| p.is_ok())))
}

/// Expands a path, folder or glob into log groups.
pub fn plan(path: &str) -> Result<Vec<FileGroup>, String> {
    let mut files = Vec::new();
    if path.contains(['*', '?', '[']) {
        let entries = glob::glob(path).map_err(|e| format!("bad glob {path:?}: {e}"))?;
        // Folders the glob passes through that cannot be looked into: their files are missed.
        let mut unreadable = closed_folders(path);
        for entry in entries {
            match entry {
                Ok(p) if p.is_file() => files.push(p),
                Ok(_) => {}
                Err(e) => {
                    let said = (e.path().to_path_buf(), io_reason(e.error()));
                    if !unreadable.contains(&said) {
                        unreadable.push(said);
                    }
                }
            }
        }
        let unreadable: Vec<String> = unreadable
            .into_iter()
            .map(|(folder, why)| {
                format!(
                    "cannot read folder {}: {why}; its files are not read",
                    folder.display()
                )
            })
            .collect();
        if files.is_empty() {
            let why = unreadable
                .first()
                .map_or(String::new(), |u| format!(" ({u})"));
            return Err(format!("no file matches {path:?}{why}"));
        }
        for u in unreadable {
            crate::report::problem_once(path, &u);
        }
    } else {
        let p = Path::new(path);
        let meta =
            std::fs::metadata(p).map_err(|e| format!("cannot read {path}: {}", io_reason(&e)))?;
        if meta.is_dir() {
            let entries = std::fs::read_dir(p)
                .map_err(|e| format!("cannot list {path}: {}", io_reason(&e)))?;
            for entry in entries.flatten() {
                let file = entry.path();
                if file.is_file() && is_log_file(&file) {
                    files.push(file);
                }
            }
            if files.is_empty() {
                return Err(format!("no log files in folder {path}"));
            }
        } else {
            files.extend(rotated_siblings(p));
            files.push(p.to_path_buf());
        }
    }
    Ok(group_files(files))
}

/// Folders that the glob `pattern` passes through and this process may not look into (list,
/// where the next part of the pattern has wildcards; enter, where it names a file or folder):
/// the glob crate skips what is behind them without a word.
fn closed_folders(pattern: &str) -> Vec<(PathBuf, String)> {
    let mut closed = Vec::new();
    let mut below = Path::new(pattern);
    while let Some(folder) = below.parent().filter(|p| !p.as_os_str().is_empty()) {
        let wildcard = below
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains(['*', '?', '[']));
        let need = if wildcard {
            libc::R_OK | libc::X_OK
        } else {
            libc::X_OK
        };
        let folders = glob::glob(&folder.to_string_lossy()).into_iter().flatten();
        for f in folders.flatten().filter(|f| f.is_dir()) {
            if let Err(e) = may_access(&f, need) {
                closed.push((f, io_reason(&e)));
            }
        }
        below = folder;
    }
    closed
}

/// Whether this process (its effective user) may access `path` as `mode` asks.
fn may_access(path: &Path, mode: libc::c_int) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: a valid NUL-terminated path and plain integer arguments.
    match unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), mode, libc::AT_EACCESS) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

/// A live file named on its own is read with its rotations beside it (`x.log.1`, `x.log.2.gz`,
/// `x.log.2026-11-21`), as `tail -F` users and journalctl users expect; a rotation named on
/// its own is read alone.
fn rotated_siblings(live: &Path) -> Vec<PathBuf> {
    let (base, index, date) = rotation_key(live);
    if index.is_some() || date.is_some() || is_compressed_name(live) {
        return Vec::new();
    }
    let parent = live.parent().unwrap_or(Path::new(""));
    let listed = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let Ok(entries) = std::fs::read_dir(listed) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| parent.join(e.file_name()))
        .filter(|f| f.as_path() != live && f.is_file())
        .filter(|f| {
            let (b, i, d) = rotation_key(f);
            b == base && (i.is_some() || d.is_some())
        })
        .collect()
}

/// Groups files by the log they belong to and orders each group oldest first.
pub fn group_files(files: Vec<PathBuf>) -> Vec<FileGroup> {
    let mut groups: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for f in files {
        let base = rotation_key(&f).0;
        match groups.iter_mut().find(|(b, _)| *b == base) {
            Some((_, list)) => list.push(f),
            None => groups.push((base, vec![f])),
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    groups
        .into_iter()
        .map(|(base, mut list)| {
            list.sort_by_key(|p| {
                let (_, index, date) = rotation_key(p);
                // Dated files ascending; numbered rotations: higher is older; the live file last.
                (date, std::cmp::Reverse(index.map_or(-1, |i| i as i64)))
            });
            FileGroup {
                label: Arc::from(label_for(&base).as_str()),
                files: list,
            }
        })
        .collect()
}

/// `zisk-worker.log.2.gz` → (`zisk-worker.log`, Some(2), None);
/// `coordinator.log.2026-11-21` → (`coordinator.log`, None, Some("2026-11-21")).
fn rotation_key(p: &Path) -> (String, Option<u32>, Option<String>) {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut base = name.as_str();
    for ext in [".gz", ".bz2", ".xz", ".zst"] {
        if let Some(b) = base.strip_suffix(ext) {
            base = b;
            break;
        }
    }
    let mut index = None;
    let mut date = None;
    if let Some((stem, last)) = base.rsplit_once('.') {
        if !last.is_empty() && last.len() <= 4 && last.bytes().all(|c| c.is_ascii_digit()) {
            index = last.parse().ok();
            base = stem;
        } else if is_date(last) {
            date = Some(last.to_string());
            base = stem;
        }
    }
    let dir = p
        .parent()
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default();
    (format!("{dir}/{base}"), index, date)
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn label_for(base: &str) -> String {
    let name = base.rsplit('/').next().unwrap_or(base);
    name.strip_suffix(".log").unwrap_or(name).to_string()
}

fn is_compressed_name(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("gz" | "bz2" | "xz" | "zst")
    )
}

/// Folder entries worth reading: not hidden, not journald's binary files, not our own config.
fn is_log_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    !(name.starts_with('.')
        || name.ends_with(".journal")
        || name.ends_with(".journal~")
        || name.ends_with(".json") && !starts_with_a_json_line(p)
        || name.ends_with(".jsonl") && name.contains("events")
        || name.ends_with(".toml"))
}

/// A `.json` file in a folder is a log when its first line starts an object with its first
/// key (one event per line, as tracing's json format writes), not a document spread over
/// lines (`{` alone, as a pretty-printed file such as the fixtures' truth.json starts).
fn starts_with_a_json_line(p: &Path) -> bool {
    let mut head = [0u8; 64];
    let n = std::fs::File::open(p)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    head[..n].trim_ascii_start().starts_with(b"{\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_live_file_brings_its_rotations() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "coordinator.log",
            "coordinator.log.1",
            "coordinator.log.2.gz",
            "coordinator.logger",
            "worker.log.1",
        ] {
            std::fs::write(dir.path().join(name), "x\n").unwrap();
        }
        let live = dir.path().join("coordinator.log");
        let groups = plan(live.to_str().unwrap()).unwrap();
        assert_eq!(groups.len(), 1);
        let names: Vec<String> = groups[0]
            .files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "coordinator.log.2.gz",
                "coordinator.log.1",
                "coordinator.log"
            ]
        );
        // A rotation named on its own is read alone.
        let one = dir.path().join("coordinator.log.1");
        assert_eq!(plan(one.to_str().unwrap()).unwrap()[0].files, [one]);
    }

    #[test]
    fn rotations_are_grouped_oldest_first() {
        let files = [
            "d/zisk-worker.log",
            "d/zisk-worker.log.0.gz",
            "d/zisk-worker.log.2.bz2",
            "d/zisk-worker.log.1.gz",
            "d/other.log",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let groups = group_files(files);
        assert_eq!(groups.len(), 2);
        assert_eq!(&*groups[0].label, "other");
        let names: Vec<_> = groups[1]
            .files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "zisk-worker.log.2.bz2",
                "zisk-worker.log.1.gz",
                "zisk-worker.log.0.gz",
                "zisk-worker.log"
            ]
        );
        assert_eq!(groups[1].live(), Some(Path::new("d/zisk-worker.log")));
    }

    #[test]
    fn daily_files_in_date_order() {
        let files = [
            "l/c.log.2026-11-21",
            "l/c.log.2026-11-19",
            "l/c.log.2026-11-20",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let g = &group_files(files)[0];
        assert_eq!(g.files[0], PathBuf::from("l/c.log.2026-11-19"));
        assert_eq!(&*g.label, "c");
    }
}
