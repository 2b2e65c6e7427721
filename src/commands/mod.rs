//! One module per subcommand; each returns the process exit code.

pub mod completions;
pub mod doctor;
pub mod job;
pub mod jobs;
pub mod man;
pub mod metrics;
pub mod tail;
pub mod triage;
pub mod workers;
