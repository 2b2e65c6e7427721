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
        files.extend(entries.filter_map(Result::ok).filter(|p| p.is_file()));
        if files.is_empty() {
            return Err(format!("no file matches {path:?}"));
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
            files.push(p.to_path_buf());
        }
    }
    Ok(group_files(files))
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
