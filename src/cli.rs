//! Command-line definitions (clap derive). Turned into a validated [`crate::config::Config`]
//! before anything runs, so every usage error is found up front.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{parse_job_query, parse_level, parse_regex, Config, SourceSpec};
use crate::event::{Phase, Role};
use crate::filter::{Filter, IdQuery};
use crate::render::Format;
use crate::source::SourceOptions;
use crate::time::Timestamp;
use crate::topology::{self, Topology};
use crate::trail::Outcome;

#[derive(Parser, Debug)]
#[command(
    name = "zisk-logs",
    version,
    about = "Investigate ZisK proving cluster logs: one job's trail across coordinator and workers",
    long_about = "Reads ZisK coordinator and worker logs from files, journald (local, over ssh, or journal \
folders), macOS launchd files, Docker Compose and Kubernetes, in every tracing format, and lines them up by time.\n\n\
SOURCE forms: file:PATH (file, folder or glob), journald:UNIT[@HOST], journald:UNIT?dir=DIR, \
journald:UNIT?file=PATH, launchd:[DIR], compose:[PROJECT/]SERVICE, docker:CONTAINER, \
k8s:NAMESPACE/SELECTOR[?context=..&container=..&previous=true]. A bare path is a file source."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Where the coordinator's logs are (replaces the topology file's coordinator)
    #[arg(long, global = true, value_name = "SOURCE")]
    pub coordinator: Option<String>,

    /// Where a worker's logs are; repeat for more (replaces the topology file's workers)
    #[arg(long, global = true, value_name = "SOURCE")]
    pub worker: Vec<String>,

    /// Topology file naming the sources (default: $ZISK_LOGS_CONFIG, ./zisk-logs.toml, $XDG_CONFIG_HOME/zisk-logs/config.toml)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format (default: pretty on a terminal, compact otherwise)
    #[arg(short = 'o', long, global = true, value_enum)]
    pub output: Option<Format>,

    /// When to colour pretty output (NO_COLOR is honoured by auto)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// With -o raw: write the lines' bytes even to a terminal (control characters unescaped)
    #[arg(long, global = true)]
    pub raw_bytes: bool,

    /// Extra ssh option for remote journald sources, passed as `-o OPTION` (repeatable)
    #[arg(long = "ssh-option", global = true, value_name = "OPTION")]
    pub ssh_option: Vec<String>,

    /// Most log streams followed at once (Kubernetes pods, containers)
    #[arg(long, global = true, value_name = "N", default_value_t = 50)]
    pub max_log_requests: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Show log events, filtered and merged by time from every source (or the files given)
    Tail(TailArgs),
    /// Show one job's whole trail: coordinator lines, then the workers it named, merged by time, with a summary
    Job(JobArgs),
    /// List the jobs found in the coordinator's logs
    Jobs(JobsArgs),
    /// List the workers known: where their logs are, when seen, their jobs and errors
    Workers(WorkersArgs),
    /// Derive the seed's coordinator_* series from the coordinator's logs (table, -o json, -o openmetrics for a backfill)
    Metrics(crate::commands::metrics::MetricsArgs),
    /// From an alert to the logs: when each alert rule fired (Prometheus, Alertmanager, or the logs) and what explains it
    Triage(crate::commands::triage::TriageArgs),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Filters shared by `tail` and `job`, combined with AND.
#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// Only this level and more severe (error, warn, info, debug, trace)
    #[arg(short = 'l', long, value_name = "LEVEL")]
    pub level: Option<String>,

    /// Only this phase (Contributions, Prove, Aggregate, Execution...; any case)
    #[arg(long, value_name = "NAME")]
    pub phase: Option<String>,

    /// Only lines about this job (full ID or a prefix of at least 4 characters)
    #[arg(long, value_name = "ID")]
    pub job: Option<String>,

    /// Only lines of or about this worker (full ID or prefix)
    #[arg(long = "worker-id", value_name = "ID")]
    pub worker_id: Option<String>,

    /// Only lines at or after this time (RFC 3339, a date, or an age like 10m, 2h, 3d)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only lines at or before this time (same forms as --since)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Only lines whose message matches this regular expression
    #[arg(short = 'g', long, value_name = "REGEX")]
    pub grep: Option<String>,
}

#[derive(Args, Debug)]
pub struct TailArgs {
    #[command(flatten)]
    pub filters: FilterArgs,

    /// Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// Show only the last N matching events (with -f: then follow; default with -f: 10)
    #[arg(short = 'n', long = "lines", value_name = "N")]
    pub lines: Option<usize>,

    /// Files, folders or globs to read instead of the configured sources ('-' for stdin)
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
}

#[derive(Args, Debug)]
pub struct JobArgs {
    /// The job: full ID or a unique prefix of at least 4 characters
    #[arg(value_name = "ID")]
    pub id: String,

    /// Narrow the trail: only this level and more severe
    #[arg(short = 'l', long, value_name = "LEVEL")]
    pub level: Option<String>,

    /// Narrow the trail: only this phase
    #[arg(long, value_name = "NAME")]
    pub phase: Option<String>,

    /// Narrow the trail: only lines whose message matches
    #[arg(short = 'g', long, value_name = "REGEX")]
    pub grep: Option<String>,

    /// Keep following a running job until it ends, then print the summary
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// Extra time read around the job on the workers, for clock skew between hosts
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub skew_margin: String,

    /// Only the summary, not the trail
    #[arg(long)]
    pub summary_only: bool,
}

#[derive(Args, Debug)]
pub struct JobsArgs {
    /// Only jobs started at or after this time
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only jobs with this outcome
    #[arg(long, value_enum)]
    pub outcome: Option<Outcome>,
}

#[derive(Args, Debug)]
pub struct WorkersArgs {}

// ----------------------------------------------------------------------------------------------
// Flags to the validated configuration.

impl GlobalArgs {
    /// The validated configuration these flags and the topology file give.
    pub fn config(&self) -> Result<Config, String> {
        let global = self;
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
            raw_escaped: stdout_tty && !global.raw_bytes,
            source_options,
        })
    }
}

impl FilterArgs {
    /// The event filter these flags give.
    pub fn filter(&self, now: Timestamp) -> Result<Filter, String> {
        let args = self;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_bytes_is_a_global_switch() {
        let cli = Cli::try_parse_from(["zisk-logs", "tail", "-o", "raw", "--raw-bytes", "x.log"])
            .unwrap();
        assert!(cli.global.raw_bytes);
        assert!(
            !Cli::try_parse_from(["zisk-logs", "tail"])
                .unwrap()
                .global
                .raw_bytes
        );
        assert!(Cli::try_parse_from(["zisk-logs", "tail", "--raw-bytes=yes"]).is_err());
    }
}
