//! Triage: from an alert to the logs. Rules (built in or from a rule file), their evaluation
//! (on a Prometheus or on series derived from the logs), their lint, and the story per alert.

pub mod compare;
pub mod directory;
pub mod eval;
pub mod evaluate;
pub mod fire;
pub mod lint;
pub mod live;
pub mod output;
pub mod reads;
pub mod records;
pub mod render;
pub mod rules;
pub mod story;
