//! Metrics: the seed's `coordinator_*` series derived from the coordinator's logs, written as
//! OpenMetrics for a backfill, and the Prometheus text format of a live `/metrics` scrape.

pub mod derive;
pub mod facts;
pub mod openmetrics;
pub mod scrape;
pub mod series;
pub mod vocab;

use crate::config::Config;
use crate::trail::history::{self, FullIds, History};
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

/// Reads the logs once: the coordinator for its jobs and, on the way, its fleet and lives; the
/// workers for which of them each holds.
pub fn read_facts(config: &Config) -> Result<LogFacts, String> {
    let gatherer = facts::Gatherer::default();
    let History {
        jobs,
        ids,
        mut streams,
    } = history::read(config, Some(gatherer.tap()))?;
    for (i, spec) in config.sources.iter().enumerate() {
        if let Some(id) = config.source_ids.get(&spec.spec) {
            streams.set_topology_id(i, id);
        }
    }
    Ok(LogFacts {
        jobs,
        ids,
        streams,
        coordinator: gatherer.finish(),
    })
}
