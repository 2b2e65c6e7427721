//! zisk-logs as a library: the stages a line goes through (`source → parse → derive → filter →
//! merge → trail → render`, see docs/ARCHITECTURE.md) and the commands built on them, so that
//! parsers and stages can be tested and fuzzed as units. `main.rs` is the binary over it.

pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod derive;
pub mod escape;
pub mod event;
pub mod filter;
pub mod fit;
#[cfg(any(test, feature = "fuzz-targets"))]
pub mod fuzz;
pub mod merge;
pub mod metrics;
pub mod pager;
pub mod palette;
pub mod parse;
pub mod progress;
pub mod prom;
pub mod read;
pub mod render;
pub mod report;
pub mod source;
pub mod terminal;
pub mod time;
pub mod topology;
pub mod trail;
pub mod triage;
pub mod when;
pub mod zone;
