//! Drives the stages from sources to the output: starts every source (in parallel, so one slow
//! host does not hold up the others), collects their streams, and runs the merge.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::config::SourceSpec;
use crate::event::Role;
use crate::merge::{self, Merged};
use crate::report;
use crate::source::{self, ReadRequest, Source, SourceOptions, StreamSet};

/// A source ready to start, with the role its events get.
pub struct RoleSource {
    pub role: Option<Role>,
    pub source: Box<dyn Source>,
}

/// Opens SOURCE strings; a malformed one is a usage error, reported before anything is read.
pub fn open_sources(
    specs: &[SourceSpec],
    options: &SourceOptions,
) -> Result<Vec<RoleSource>, String> {
    specs.iter().map(|s| open_source(s, options)).collect()
}

/// Opens one SOURCE with its role (opening only parses the SOURCE; reading starts later, so a
/// source may be opened again for another pass).
pub fn open_source(spec: &SourceSpec, options: &SourceOptions) -> Result<RoleSource, String> {
    Ok(RoleSource {
        role: spec.role,
        source: source::open(&spec.spec, options)?,
    })
}

/// What a SOURCE reads, for finding one named twice: a file's canonical path (`a.log`,
/// `./a.log` and `file:a.log` are one), else the SOURCE as written.
pub fn source_key(spec: &str) -> String {
    let path = spec.strip_prefix("file:").unwrap_or(spec);
    std::fs::canonicalize(path).map_or_else(|_| spec.to_string(), |p| p.display().to_string())
}

/// The items with the same [`source_key`] kept once, the first; each one dropped is a notice
/// (its lines would otherwise be shown twice).
pub fn once_each<T>(items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|item| {
            let k = key(item);
            let first = seen.insert(k.clone());
            if !first {
                report::notice(&format!("{k}: named more than once, read once"));
            }
            first
        })
        .collect()
}

/// Threads that start the sources: a slow one (a host over ssh, an API) does not hold up the
/// others, and hundreds of files do not start hundreds of threads, each with an allocator
/// heap of its own that the streams' parsers would keep.
const STARTERS: usize = 8;

/// Reads every source through the merge into `out`. Returns how many sources were started.
pub fn read(
    sources: Vec<RoleSource>,
    req: ReadRequest,
    out: &mut dyn FnMut(Merged) -> bool,
) -> usize {
    let follow = req.follow;
    let req = Arc::new(req);
    read_each(
        sources.into_iter().map(|s| (s, req.clone())).collect(),
        follow,
        out,
    )
}

/// Like [`read`], with a request of its own for each source (the job trail selects differently
/// on the coordinator and on each worker source). Returns how many sources were started.
pub fn read_each(
    sources: Vec<(RoleSource, Arc<ReadRequest>)>,
    follow: bool,
    out: &mut dyn FnMut(Merged) -> bool,
) -> usize {
    let count = sources.len();
    let (set, added) = StreamSet::new();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..count.min(STARTERS) {
            let (set, next, sources) = (set.clone(), &next, &sources);
            scope.spawn(move || {
                while let Some((s, req)) = sources.get(next.fetch_add(1, Ordering::Relaxed)) {
                    crate::progress::show(&format!("reading {}", s.source.name()));
                    if let Err(e) = s.source.start(s.role, req, &set) {
                        report::source_failed(s.source.name(), &e);
                    }
                }
            });
        }
    });
    set.start_pooled();
    drop(set);
    crate::progress::clear();
    let initial: Vec<_> = added.try_iter().collect();
    merge::run(initial, added, follow, out);
    count
}
