//! The topology file: where the coordinator's and the workers' logs are (SOURCE strings), and
//! worker IDs set by hand. Found by `--config`, `$ZISK_LOGS_CONFIG`, `./zisk-logs.toml`, then
//! `$XDG_CONFIG_HOME/zisk-logs/config.toml`; a bad file is reported with its line.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::source::{self, SourceOptions};

/// One source named by the topology file.
#[derive(Clone, Debug, PartialEq)]
pub struct TopoSource {
    pub source: String,
    /// A worker ID set by the operator (`id = "gpu-01"`): every stream of this source is that worker.
    pub id: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Topology {
    pub coordinator: Option<TopoSource>,
    pub workers: Vec<TopoSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    coordinator: Option<EntryToml>,
    #[serde(default)]
    workers: Vec<EntryToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryToml {
    source: Spanned<String>,
    id: Option<Spanned<String>>,
}

/// Where the topology came from: the file, and whether the user asked for it by name
/// (a named file must exist; the default places are only read when present).
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub path: PathBuf,
    pub explicit: bool,
}

/// The lookup order of the issue: `--config`, `ZISK_LOGS_CONFIG`, `./zisk-logs.toml`,
/// `$XDG_CONFIG_HOME/zisk-logs/config.toml` (`~/.config` when XDG_CONFIG_HOME is unset).
pub fn locate(explicit: Option<&Path>) -> Option<Located> {
    if let Some(p) = explicit {
        return Some(Located {
            path: p.to_path_buf(),
            explicit: true,
        });
    }
    if let Some(p) = std::env::var_os("ZISK_LOGS_CONFIG").filter(|v| !v.is_empty()) {
        return Some(Located {
            path: PathBuf::from(p),
            explicit: true,
        });
    }
    let local = PathBuf::from("zisk-logs.toml");
    if local.is_file() {
        return Some(Located {
            path: local,
            explicit: false,
        });
    }
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let user = xdg.join("zisk-logs").join("config.toml");
    user.is_file().then_some(Located {
        path: user,
        explicit: false,
    })
}

/// Reads and checks a topology file. Relative `file:` paths are taken from the file's own
/// folder (as Compose does), so a topology works from any current directory.
pub fn load(path: &Path, options: &SourceOptions) -> Result<Topology, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("topology file {shown}: cannot read: {e}"))?;
    let mut topo = parse(&text, &shown.to_string(), options)?;
    let base = path.parent().unwrap_or(Path::new(""));
    for s in topo.coordinator.iter_mut().chain(topo.workers.iter_mut()) {
        s.source = relative_to(base, &s.source);
    }
    Ok(topo)
}

/// `file:logs/w.log` in a file under `/etc/zisk` → `file:/etc/zisk/logs/w.log`; so are the
/// folders of `journald:UNIT?dir=` and `?file=` and `launchd:DIR`; other forms unchanged.
fn relative_to(base: &Path, spec: &str) -> String {
    let (prefix, path) = match spec.split_once(':') {
        Some(("file", rest)) => ("file:", rest),
        Some(("launchd", "")) => return spec.to_string(),
        Some(("launchd", dir)) => ("launchd:", dir),
        Some(("journald", rest)) => {
            let located = ["?dir=", "?file="]
                .iter()
                .find_map(|key| rest.split_once(key).map(|(unit, p)| (unit, *key, p)));
            return match located {
                Some((unit, key, p)) => format!("journald:{unit}{key}{}", joined(base, p)),
                None => spec.to_string(),
            };
        }
        Some((scheme, _)) if ["compose", "docker", "k8s"].contains(&scheme) => {
            return spec.to_string()
        }
        _ => ("", spec),
    };
    format!("{prefix}{}", joined(base, path))
}

/// `path` taken from `base` when it is relative (`-`, stdin, stays).
fn joined(base: &Path, path: &str) -> String {
    if path == "-" || Path::new(path).is_absolute() || base.as_os_str().is_empty() {
        return path.to_string();
    }
    base.join(path).display().to_string()
}

/// Parses topology text; `name` is used in messages (`FILE:LINE: what was expected`).
pub fn parse(text: &str, name: &str, options: &SourceOptions) -> Result<Topology, String> {
    let file: FileToml = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| format!(":{}", line_of(text, s.start))).unwrap_or_default();
        let message = e.message().trim_end();
        format!("topology file {name}{at}: {message} (a topology file has `[coordinator] source = \"SOURCE\"` and `[[workers]] source = \"SOURCE\"`, optional `id = \"WORKER-ID\"`)")
    })?;
    let check = |entry: EntryToml, what: &str| -> Result<TopoSource, String> {
        let line = line_of(text, entry.source.span().start);
        let spec = entry.source.into_inner();
        source::open(&spec, options)
            .map_err(|e| format!("topology file {name}:{line}: {what} source: {e}"))?;
        let id = match entry.id {
            Some(id)
                if id.get_ref().trim().is_empty() || id.get_ref().contains(char::is_whitespace) =>
            {
                let line = line_of(text, id.span().start);
                return Err(format!(
                    "topology file {name}:{line}: expected a worker ID without spaces, found {:?}",
                    id.get_ref()
                ));
            }
            Some(id) => Some(id.into_inner()),
            None => None,
        };
        Ok(TopoSource { source: spec, id })
    };
    let coordinator = file
        .coordinator
        .map(|c| check(c, "coordinator"))
        .transpose()?;
    let workers = file
        .workers
        .into_iter()
        .map(|w| check(w, "worker"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Topology {
        coordinator,
        workers,
    })
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Topology, String> {
        parse(text, "t.toml", &SourceOptions::default())
    }

    #[test]
    fn reads_sources_and_ids() {
        let t = p("[coordinator]\nsource = \"file:c.log\"\n\n[[workers]]\nsource = \"w1.log\"\n\n[[workers]]\nsource = \"file:w2.log\"\nid = \"gpu-01\"\n").unwrap();
        assert_eq!(t.coordinator.unwrap().source, "file:c.log");
        assert_eq!(t.workers.len(), 2);
        assert_eq!(t.workers[1].id.as_deref(), Some("gpu-01"));
    }

    #[test]
    fn relative_files_are_taken_from_the_topology_folder() {
        assert_eq!(
            relative_to(Path::new("fixtures"), "file:clusters/a.log"),
            "file:fixtures/clusters/a.log"
        );
        assert_eq!(
            relative_to(Path::new("fixtures"), "b.log"),
            "fixtures/b.log"
        );
        assert_eq!(
            relative_to(Path::new("fixtures"), "/var/log/b.log"),
            "/var/log/b.log"
        );
        assert_eq!(
            relative_to(Path::new("fixtures"), "journald:zisk-worker@h"),
            "journald:zisk-worker@h"
        );
        assert_eq!(relative_to(Path::new(""), "file:a.log"), "file:a.log");
        // Issue 20, defect 17: journal folders and launchd folders too.
        let base = Path::new("/etc/zisk");
        assert_eq!(
            relative_to(base, "journald:zisk-worker?dir=journal/remote"),
            "journald:zisk-worker?dir=/etc/zisk/journal/remote"
        );
        assert_eq!(
            relative_to(base, "journald:zc@h?file=j/system.journal"),
            "journald:zc@h?file=/etc/zisk/j/system.journal"
        );
        assert_eq!(
            relative_to(base, "journald:zc?dir=/var/log/journal"),
            "journald:zc?dir=/var/log/journal"
        );
        assert_eq!(relative_to(base, "launchd:logs"), "launchd:/etc/zisk/logs");
        assert_eq!(relative_to(base, "launchd:"), "launchd:");
    }

    #[test]
    fn errors_name_the_line() {
        let e =
            p("[coordinator]\nsource = \"c.log\"\n\n[[workers]]\nsauce = \"w.log\"\n").unwrap_err();
        assert!(e.starts_with("topology file t.toml:5:"), "{e}");
        let e = p("[coordinator]\nsource = 12\n").unwrap_err();
        assert!(e.starts_with("topology file t.toml:2:"), "{e}");
        let e = p("[coordinator]\nsource = \"file:\"\n").unwrap_err();
        assert!(
            e.starts_with("topology file t.toml:2: coordinator source"),
            "{e}"
        );
        let e = p("[[workers]]\nsource = \"w.log\"\nid = \"a b\"\n").unwrap_err();
        assert!(e.starts_with("topology file t.toml:3:"), "{e}");
    }
}
