//! Command-line definitions (clap derive). Turned into a validated [`crate::config::Config`]
//! before anything runs, so every usage error is found up front.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{parse_job_query, parse_level, parse_phase, Config, SourceSpec};
use crate::event::Role;
use crate::filter::{Filter, IdQuery};
use crate::render::Format;
use crate::source::SourceOptions;
use crate::terminal::Terminal;
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
k8s:NAMESPACE/SELECTOR[?context=..&container=..&previous=true]. A bare path is a file source.",
    after_help = EXAMPLES_AND_EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Shown after `--help`, and in the man page.
const EXAMPLES_AND_EXIT_CODES: &str = "\
Examples:
  zisk-logs job 7a3362a3                    one job's summary, timeline and trail (paged)
  zisk-logs jobs --outcome failed -n 5      the five most recent failed jobs
  zisk-logs tail --level warn --since -1h   warnings and errors of the last hour
  zisk-logs tail -f --phase prove           follow, only the Prove phase
  zisk-logs --config fixtures/zisk-logs.toml workers

Exit status:
  0  something matched and was printed
  1  nothing matched
  2  usage error, or no source could be read
  3  something was printed, but a source could not be read

Environment: ZISK_LOGS_CONFIG (topology file), ZISK_LOGS_PAGER and PAGER (pager; empty or
`cat` for none), LESS (default FRSXMK), NO_COLOR, TZ (show times in that zone), COLUMNS (width
when the terminal does not say).";

#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
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

    /// Do not page output ($ZISK_LOGS_PAGER, then $PAGER, else less; never in a pipe or with -f)
    #[arg(long, global = true)]
    pub no_pager: bool,

    /// Do not fit tables, the summary and the timeline to the terminal's width
    #[arg(long, global = true)]
    pub no_trunc: bool,

    /// Show times in the local zone (also when TZ is set); default UTC
    #[arg(long, global = true)]
    pub local: bool,
}

/// `--align`: order lines of several hosts by aligned time (each worker's clock offset from
/// the coordinator, estimated from their lines about the same job step), or by logged time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Align {
    Auto,
    Off,
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
    #[command(
        after_help = "Examples:
  zisk-logs tail --phase prove -g 'out of memory'
  zisk-logs tail -f -n 20 --worker-id worker-02
  zisk-logs tail --since yesterday --until today --level error
  zisk-logs tail /var/log/zisk/coordinator.log   (a file: its rotations are read too)",
        after_long_help = "Examples:
  zisk-logs tail --phase prove -g 'out of memory'
  zisk-logs tail -f -n 20 --worker-id worker-02
  zisk-logs tail --since yesterday --until today --level error
  zisk-logs tail /var/log/zisk/coordinator.log   (a file: its rotations are read too)

Aligned times: with a coordinator and worker sources, lines are merged by aligned time \
(logged time minus the worker's clock offset from the coordinator's, estimated from lines \
whose true order is known; see `zisk-logs job --help`), and --since/--until select on \
aligned time: a window is the same instant on every host. With -f a live line is held back \
at most --align-hold for other hosts' lines aligned before it; one later than its place \
prints at once, marked ! (JSON \"late\":true). --align off: logged times throughout."
    )]
    Tail(TailArgs),
    /// Show one job's whole trail: coordinator lines, then the workers it named, merged by time, with a summary
    #[command(
        after_help = "Examples:
  zisk-logs job 7a3362a3                            summary, timeline, then the trail (paged)
  zisk-logs job 7a3362a3 --summary-only --no-pager
  zisk-logs job 7a33 --level warn -o json | jq .",
        after_long_help = "Examples:
  zisk-logs job 7a3362a3                            summary, timeline, then the trail (paged)
  zisk-logs job 7a3362a3 --summary-only --no-pager
  zisk-logs job 7a33 --level warn -o json | jq .

Aligned times: each worker's clock offset from the coordinator's is estimated \
from lines whose true order is known (a dispatch before its receipt, a result before its \
acknowledgement), and the trail is ordered by logged time minus that offset. Pretty output \
prints aligned times and marks with * a line moved by more than a second; -o json keeps `ts` \
as logged and adds `ts_aligned` (null when the offset is unknown). Offsets over a second are \
findings in the summary; such a worker's window is moved by its offset."
    )]
    Job(JobArgs),
    /// List the jobs found in the coordinator's logs
    #[command(after_help = "Examples:
  zisk-logs jobs --outcome failed,cancelled --since today
  zisk-logs jobs --sort duration -n 5                the five longest
  zisk-logs jobs --worker-id worker-02 -o json")]
    Jobs(JobsArgs),
    /// List the workers known: where their logs are, when seen, their jobs and errors
    Workers(WorkersArgs),
    /// Derive the seed's coordinator_* series from the coordinator's logs (table, -o json, -o openmetrics for a backfill)
    Metrics(crate::commands::metrics::MetricsArgs),
    /// From an alert to the logs: when each alert rule fired (Prometheus, Alertmanager, or the logs) and what explains it
    Triage(crate::commands::triage::TriageArgs),
    /// Check every configured source (and a Prometheus): what is reachable, and why not
    #[command(after_help = "Exit status: 0 all reachable, 3 some not, 2 none.")]
    Doctor(crate::commands::doctor::DoctorArgs),
    /// Print the manual page (roff): zisk-logs man | man -l -
    Man,
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

    /// Only this phase: Execution, Contributions, Prove, Aggregate, ContributionsInputsStream, ContributionsHintsStream (any case; Phase1-3 too)
    #[arg(long, value_name = "NAME")]
    pub phase: Option<String>,

    /// Only lines about this job (full ID or a prefix of at least 4 characters)
    #[arg(long, value_name = "ID")]
    pub job: Option<String>,

    /// Only lines of or about this worker: its ID (full or a prefix) or its source label as shown (worker-02)
    #[arg(long = "worker-id", value_name = "ID")]
    pub worker_id: Option<String>,

    /// Only lines at or after this time (today, yesterday, -1h, 10 min ago, 1h30m, 2026-11-21 10:00, RFC 3339)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,

    /// Only lines at or before this time (same forms as --since; +10m is ahead of now)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,

    #[command(flatten)]
    pub patterns: PatternArgs,
}

/// What a message must (not) match, as grep and ripgrep users say it.
#[derive(Args, Debug, Clone, Default)]
pub struct PatternArgs {
    /// Only lines whose message matches this regular expression (repeat: any one matches)
    #[arg(short = 'g', long, value_name = "REGEX")]
    pub grep: Vec<String>,

    /// Match -g and --exclude patterns in any case
    #[arg(short = 'i', long)]
    pub ignore_case: bool,

    /// Match in any case when a pattern has no upper-case letter (ripgrep's -S)
    #[arg(short = 'S', long)]
    pub smart_case: bool,

    /// Only lines whose message matches none of the -g patterns
    #[arg(short = 'v', long, requires = "grep")]
    pub invert_match: bool,

    /// Leave out lines whose message matches this regular expression (repeatable)
    #[arg(long, value_name = "REGEX")]
    pub exclude: Vec<String>,
}

#[derive(Args, Debug)]
pub struct TailArgs {
    #[command(flatten)]
    pub filters: FilterArgs,

    /// Show N lines after each line -g selects (over the merged stream; marked "around" in JSON)
    #[arg(short = 'A', long = "after-context", value_name = "N")]
    pub after: Option<usize>,

    /// Show N lines before each line -g selects
    #[arg(short = 'B', long = "before-context", value_name = "N")]
    pub before: Option<usize>,

    /// Show N lines before and after each line -g selects
    #[arg(short = 'C', long = "context", value_name = "N")]
    pub context: Option<usize>,

    /// Keep reading as logs grow (files across rotation and truncation, journals, containers, pods)
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// Show only the last N matching events (default: all of them; with -f: the last 10, then follow)
    #[arg(short = 'n', long = "lines", value_name = "N")]
    pub lines: Option<usize>,

    /// Merge the coordinator's and workers' lines by aligned time (worker clocks corrected by
    /// their offset, estimated from lines about the same job step) or by logged time (off)
    #[arg(long, value_enum, default_value_t = Align::Auto, value_name = "WHEN")]
    pub align: Align,

    /// With -f, the most a live line is held back for other hosts' lines aligned before it
    /// (default 2s; held only as long as the largest worker offset); a line later than its
    /// place prints at once, marked !
    #[arg(long, value_name = "DURATION")]
    pub align_hold: Option<String>,

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

    #[command(flatten)]
    pub patterns: PatternArgs,

    /// Keep following a running job until it ends, then print the summary
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// Order the trail by aligned time (worker clocks corrected by their offset from the
    /// coordinator's, estimated from lines about the same step) or by logged time (off)
    #[arg(long, value_enum, default_value_t = Align::Auto, value_name = "WHEN")]
    pub align: Align,

    /// Extra time read around the job on the workers (default 30s, and windows moved by each
    /// worker's estimated clock offset); given, it is the fixed margin and nothing is moved
    #[arg(long, value_name = "DURATION")]
    pub skew_margin: Option<String>,

    /// Only the summary, not the trail
    #[arg(long)]
    pub summary_only: bool,
}

#[derive(Args, Debug)]
pub struct JobsArgs {
    /// Only jobs started at or after this time (same forms as tail --since)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,

    /// Only jobs started at or before this time
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,

    /// Only jobs with one of these outcomes (repeat, or a comma-separated list; any case)
    #[arg(long, value_enum, ignore_case = true, value_delimiter = ',')]
    pub outcome: Vec<Outcome>,

    /// Only jobs of this kind (proofs, execution-only jobs, program setups, wraps)
    #[arg(long, value_enum, ignore_case = true, value_name = "KIND")]
    pub job_kind: Option<crate::trail::record::JobKind>,

    /// Only jobs this worker took part in: its ID (full or a prefix) or its source label (worker-02)
    #[arg(long = "worker-id", value_name = "ID")]
    pub worker_id: Option<String>,

    /// Order of the rows (the last rows are the most recent, longest, ...)
    #[arg(long, value_enum, ignore_case = true, default_value_t = JobSort::Started)]
    pub sort: JobSort,

    /// Only the last N rows (after sorting: the N most recent by default)
    #[arg(short = 'n', long = "lines", value_name = "N")]
    pub lines: Option<usize>,
}

/// The orders of `jobs --sort`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum JobSort {
    /// By start, oldest first
    Started,
    /// By duration, shortest first (running jobs last)
    Duration,
    /// By outcome, then start
    Outcome,
    /// By job ID
    Id,
    /// By the number of workers, then start
    Workers,
}

#[derive(Args, Debug)]
pub struct WorkersArgs {}

// ----------------------------------------------------------------------------------------------
// Flags to the validated configuration.

impl GlobalArgs {
    /// The validated configuration these flags and the topology file give.
    pub fn config(&self) -> Result<Config, String> {
        let global = self;
        let terminal = Terminal::on_stdout();
        let stdout_tty = terminal.is_some();
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
            terminal,
            truncate: !global.no_trunc,
        })
    }
}

impl FilterArgs {
    /// The event filter these flags give.
    pub fn filter(&self, now: Timestamp) -> Result<Filter, String> {
        let args = self;
        let time = |s: &Option<String>, flag: &str| {
            s.as_deref()
                .map(|s| crate::when::parse(s, now))
                .transpose()
                .map_err(|e| format!("{flag}: {e}"))
        };
        let since = time(&args.since, "--since")?;
        let until = time(&args.until, "--until")?;
        crate::when::check_range(since, until)?;
        Ok(Filter {
            level: args.level.as_deref().map(parse_level).transpose()?,
            phase: args.phase.as_deref().map(parse_phase).transpose()?,
            job: args.job.as_deref().map(parse_job_query).transpose()?,
            worker: args.worker_id.as_deref().map(IdQuery::parse).transpose()?,
            since,
            until,
            ..args.patterns.filter()?
        })
    }
}

impl PatternArgs {
    /// A filter holding only the patterns.
    pub fn filter(&self) -> Result<Filter, String> {
        let caseless = |pattern: &str| {
            self.ignore_case || (self.smart_case && !pattern.chars().any(char::is_uppercase))
        };
        Ok(Filter {
            grep: any_of(&self.grep, caseless, "--grep")?,
            invert: self.invert_match,
            exclude: any_of(&self.exclude, caseless, "--exclude")?,
            ..Filter::default()
        })
    }
}

/// One regular expression matching where any of `patterns` does.
fn any_of(
    patterns: &[String],
    caseless: impl Fn(&str) -> bool,
    flag: &str,
) -> Result<Option<regex::Regex>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let joined = patterns
        .iter()
        .map(|p| {
            crate::config::parse_regex(p, flag)?;
            Ok(if caseless(p) {
                format!("(?i:{p})")
            } else {
                format!("(?:{p})")
            })
        })
        .collect::<Result<Vec<_>, String>>()?
        .join("|");
    crate::config::parse_regex(&joined, flag).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn terminal_flags_parse_anywhere_on_the_line() {
        let cli = Cli::try_parse_from(["zisk-logs", "jobs", "--no-pager", "--no-trunc", "--local"])
            .unwrap();
        assert!(cli.global.no_pager && cli.global.no_trunc && cli.global.local);
        let cli = Cli::try_parse_from(["zisk-logs", "--no-pager", "job", "7a3362a3"]).unwrap();
        assert!(cli.global.no_pager && !cli.global.no_trunc && !cli.global.local);
    }

    #[test]
    fn times_may_start_with_a_hyphen() {
        let cli = Cli::try_parse_from(["zisk-logs", "tail", "--since", "-1h", "--until", "-10m"])
            .unwrap();
        let Command::Tail(t) = cli.command else {
            panic!("tail")
        };
        assert_eq!(t.filters.since.as_deref(), Some("-1h"));
        assert_eq!(t.filters.until.as_deref(), Some("-10m"));
        let cli = Cli::try_parse_from(["zisk-logs", "jobs", "--since", "-2d", "--until", "today"])
            .unwrap();
        let Command::Jobs(j) = cli.command else {
            panic!("jobs")
        };
        assert_eq!(
            (j.since.as_deref(), j.until.as_deref()),
            (Some("-2d"), Some("today"))
        );
    }

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
