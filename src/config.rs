//! Turns parsed arguments into a validated configuration: sources with their roles, filters,
//! output format and colour. Everything that can fail on bad input fails here, once.

use std::collections::HashMap;
use std::io::IsTerminal;

use regex::Regex;

use crate::cli::{ColorChoice, FilterArgs, GlobalArgs};
use crate::event::{Level, Phase, Role};
use crate::filter::{Filter, IdQuery};
use crate::render::Format;
use crate::source::SourceOptions;
use crate::time::Timestamp;
use crate::topology::{self, Topology};

/// A SOURCE and the role of its logs.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceSpec {
    pub spec: String,
    pub role: Option<Role>,
}

pub struct Config {
    pub sources: Vec<SourceSpec>,
    /// Worker IDs the topology file sets by hand, by SOURCE string.
    pub source_ids: HashMap<String, String>,
    pub format: Format,
    pub color: bool,
    pub source_options: SourceOptions,
}

impl Config {
    pub fn from_args(global: &GlobalArgs) -> Result<Config, String> {
        let stdout_tty = std::io::stdout().is_terminal();
        let format = global.output.unwrap_or(if stdout_tty {
            Format::Pretty
        } else {
            Format::Compact
        });
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let source_options = SourceOptions {
            ssh_options: global.ssh_option.clone(),
            max_streams: global.max_log_requests.max(1),
        };
        // `--coordinator` and `--worker` each replace the file's entries; with both given the
        // file is not needed, unless named with --config.
        let both_given = global.coordinator.is_some() && !global.worker.is_empty();
        let located = if both_given && global.config.is_none() {
            None
        } else {
            topology::locate(global.config.as_deref())
        };
        let topo = match &located {
            Some(l) if !l.explicit || l.path.exists() => topology::load(&l.path, &source_options)?,
            Some(l) => return Err(format!("topology file {}: no such file", l.path.display())),
            None => Topology::default(),
        };
        let mut sources = Vec::new();
        let mut source_ids = HashMap::new();
        match (&global.coordinator, &topo.coordinator) {
            (Some(c), _) => sources.push(SourceSpec {
                spec: c.clone(),
                role: Some(Role::Coordinator),
            }),
            (None, Some(c)) => sources.push(SourceSpec {
                spec: c.source.clone(),
                role: Some(Role::Coordinator),
            }),
            (None, None) => {}
        }
        if global.worker.is_empty() {
            for w in &topo.workers {
                sources.push(SourceSpec {
                    spec: w.source.clone(),
                    role: Some(Role::Worker),
                });
                if let Some(id) = &w.id {
                    source_ids.insert(w.source.clone(), id.clone());
                }
            }
        } else {
            for w in &global.worker {
                sources.push(SourceSpec {
                    spec: w.clone(),
                    role: Some(Role::Worker),
                });
            }
        }
        Ok(Config {
            sources,
            source_ids,
            format,
            color,
            source_options,
        })
    }
}

/// Builds the event filter from the filter flags.
pub fn build_filter(args: &FilterArgs, now: Timestamp) -> Result<Filter, String> {
    Ok(Filter {
        level: args.level.as_deref().map(parse_level).transpose()?,
        phase: args.phase.as_deref().map(Phase::new),
        job: args.job.as_deref().map(parse_job_query).transpose()?,
        worker: args.worker_id.as_deref().map(IdQuery::parse).transpose()?,
        since: args
            .since
            .as_deref()
            .map(|s| Timestamp::parse_user(s, now))
            .transpose()
            .map_err(|e| format!("--since: {e}"))?,
        until: args
            .until
            .as_deref()
            .map(|s| Timestamp::parse_user(s, now))
            .transpose()
            .map_err(|e| format!("--until: {e}"))?,
        grep: args.grep.as_deref().map(parse_regex).transpose()?,
    })
}

pub fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s)
        .ok_or_else(|| format!("unknown level {s:?}: expected error, warn, info, debug or trace"))
}

pub fn parse_job_query(s: &str) -> Result<IdQuery, String> {
    let q = IdQuery::parse(s)?;
    if q.as_str().chars().count() < IdQuery::MIN_PREFIX {
        return Err(format!(
            "job ID {s:?} is too short: give the full ID or at least {} characters",
            IdQuery::MIN_PREFIX
        ));
    }
    Ok(q)
}

pub fn parse_regex(s: &str) -> Result<Regex, String> {
    Regex::new(s).map_err(|e| format!("--grep: bad regular expression: {e}"))
}
