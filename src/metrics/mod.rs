//! Metrics: the seed's `coordinator_*` series derived from the coordinator's logs, written as
//! OpenMetrics for a backfill, and the Prometheus text format of a live `/metrics` scrape.

pub mod derive;
pub mod facts;
pub mod openmetrics;
pub mod scrape;
pub mod series;
pub mod vocab;

use crate::commands::jobs::{read_jobs_and_streams, FullIds};
use crate::config::Config;
use crate::trail::record::JobRecord;
use crate::trail::streams::StreamIndex;

/// What the logs say, read once for both `metrics` and `triage`.
pub struct LogFacts {
    pub jobs: Vec<JobRecord>,
    pub ids: FullIds,
    /// Which worker's logs are in which stream of which source.
    pub streams: StreamIndex,
    pub coordinator: facts::CoordinatorLog,
}

pub fn read_facts(config: &Config) -> Result<LogFacts, String> {
    let coordinator = facts::read(config)?;
    let (jobs, ids, mut streams) = read_jobs_and_streams(config)?;
    for (i, spec) in config.sources.iter().enumerate() {
        if let Some(id) = config.source_ids.get(&spec.spec) {
            streams.set_topology_id(i, id);
        }
    }
    Ok(LogFacts {
        jobs,
        ids,
        streams,
        coordinator,
    })
}
