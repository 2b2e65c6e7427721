//! Drives the stages from sources to the output: starts every source (in parallel, so one slow
//! host does not hold up the others), collects their streams, and runs the merge.

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
    std::thread::scope(|scope| {
        for (s, req) in &sources {
            let set = set.clone();
            scope.spawn(move || {
                crate::progress::show(&format!("reading {}", s.source.name()));
                if let Err(e) = s.source.start(s.role, req, &set) {
                    report::source_failed(s.source.name(), &e);
                }
            });
        }
    });
    drop(set);
    crate::progress::clear();
    let initial: Vec<_> = added.try_iter().collect();
    merge::run(initial, added, follow, out);
    count
}
