//! The two label vocabularies of the coordinator's metrics: the seed's documentation
//! (`outcome` = completed|failed|cancelled, `kind` = prove|execute) and the code's exporter
//! (success|failure|cancelled, `kind` always prove). Both map to the tool's outcomes.

use crate::trail::Outcome;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Vocabulary {
    /// The seed's documentation: completed, failed, cancelled (its rules and dashboard use it)
    Seed,
    /// The coordinator's exporter since v0.13: success, failure, cancelled
    Code,
}

impl Vocabulary {
    /// The `outcome` label value for a terminal outcome; None for one no counter counts.
    pub fn outcome(self, o: Outcome) -> Option<&'static str> {
        match (self, o) {
            (Vocabulary::Seed, Outcome::Completed) => Some("completed"),
            (Vocabulary::Seed, Outcome::Failed) => Some("failed"),
            (Vocabulary::Code, Outcome::Completed) => Some("success"),
            (Vocabulary::Code, Outcome::Failed) => Some("failure"),
            (_, Outcome::Cancelled) => Some("cancelled"),
            _ => None,
        }
    }

    /// The `kind` label of `coordinator_jobs_total`: the code labels every job `prove`.
    pub fn kind(self, execute: bool) -> &'static str {
        match (self, execute) {
            (Vocabulary::Seed, true) => "execute",
            _ => "prove",
        }
    }

    pub fn outcomes(self) -> [&'static str; 3] {
        [Outcome::Completed, Outcome::Failed, Outcome::Cancelled]
            .map(|o| self.outcome(o).unwrap_or_default())
    }
}

/// The tool's outcome for an `outcome` label value of either vocabulary.
pub fn outcome_of(label: &str) -> Option<Outcome> {
    match label {
        "completed" | "success" => Some(Outcome::Completed),
        "failed" | "failure" => Some(Outcome::Failed),
        "cancelled" => Some(Outcome::Cancelled),
        _ => None,
    }
}

/// The other vocabulary's word for the same outcome (`failed` ↔ `failure`), for rule fixes.
pub fn counterpart(label: &str) -> Option<&'static str> {
    match label {
        "completed" => Some("success"),
        "success" => Some("completed"),
        "failed" => Some("failure"),
        "failure" => Some("failed"),
        _ => None,
    }
}

/// Which vocabulary a set of `outcome` values seen in the metrics speaks, if either.
pub fn spoken<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Vocabulary> {
    let mut found = None;
    for v in values {
        match v {
            "success" | "failure" => return Some(Vocabulary::Code),
            "completed" | "failed" => found = Some(Vocabulary::Seed),
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_vocabularies_map_to_the_tools_outcomes() {
        for v in [Vocabulary::Seed, Vocabulary::Code] {
            for o in [Outcome::Completed, Outcome::Failed, Outcome::Cancelled] {
                assert_eq!(outcome_of(v.outcome(o).unwrap()), Some(o));
            }
        }
        assert_eq!(counterpart("failed"), Some("failure"));
        assert_eq!(spoken(["cancelled", "failure"]), Some(Vocabulary::Code));
        assert_eq!(spoken(["completed"]), Some(Vocabulary::Seed));
        assert_eq!(spoken(["cancelled"]), None);
    }
}
