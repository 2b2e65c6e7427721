//! Integration tests: one binary (as ripgrep does), each module exercising the real `zisk-logs`
//! binary against real inputs: fixture files, journal files, containers, an API server.

#[macro_use]
mod util;

mod choices;
mod completion;
mod docker;
mod doctor;
mod follow_rotation;
mod formats;
mod generated_metrics;
mod grep;
mod help;
mod hostile;
mod io_errors;
mod journald;
mod k8s;
mod launchd;
mod many_sources;
mod prom_harness;
mod prometheus;
mod releases;
mod rotated;
mod tail;
mod terminal;
mod times;
mod tmux;
mod topology;
mod trail;
mod triage;
