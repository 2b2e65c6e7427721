//! Command-line definitions (clap derive). Turned into a validated [`crate::config::Config`]
//! before anything runs, so every usage error is found up front.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::render::Format;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Completed,
    Failed,
    Cancelled,
    Running,
    Unknown,
}
