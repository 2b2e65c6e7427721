//! Integration tests: one binary (as ripgrep does), each module exercising the real `zisk-logs`
//! binary against real inputs: fixture files, journal files, containers, an API server.

#[macro_use]
mod util;

mod docker;
mod formats;
mod generated_metrics;
mod hostile;
mod journald;
mod k8s;
mod launchd;
mod prom_harness;
mod prometheus;
mod tail;
mod topology;
mod trail;
mod triage;
