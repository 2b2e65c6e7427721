//! A line's phase as the coordinator runs it, per stream: the tag its template carries; for the
//! coordinator's `Failed job`/`Cancelled job`, the phase the job is in (the last it started);
//! for a worker's other lines (naming no other job), the phase of the job that worker is
//! computing (its window, opened by `Starting …`/`Computing …`, closed by a result, a failure,
//! a cancellation or a restart). Streams that never show a line only a real release logs
//! (DOMAIN.md's documented shape) keep the loose-word phase.

use std::collections::HashMap;

use crate::derive::Derived;
use crate::event::{IdRef, Phase};
use crate::parse::templates::{Carries, Says, Template};

/// Jobs the coordinator is running at once: more than this and the oldest are forgotten.
const MAX_RUNNING: usize = 4096;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhaseState {
    /// The stream showed a line only a real release logs.
    real: bool,
    /// The (job key, phase) the worker is computing.
    window: Option<(String, Phase)>,
    /// The phase each running job is in, by job key.
    job_phase: HashMap<String, Phase>,
}

/// A job's first 8 characters, borrowed: every event's job is looked up, few are stored.
fn key(id: &IdRef) -> &str {
    crate::event::id_key_of(&id.text)
}

impl PhaseState {
    /// The stream is a real release's (a banner or a line only releases print).
    pub fn mark_real(&mut self) {
        self.real = true;
    }

    /// The stream showed a real release.
    pub fn is_real(&self) -> bool {
        self.real
    }

    /// The process restarted: it computes nothing.
    pub fn restart(&mut self) {
        self.window = None;
    }

    /// The phase of a line, then the line's effect on the state.
    pub fn resolve(&mut self, d: &Derived) -> Option<Phase> {
        let job = d.job_id.as_ref().map(key);
        if d.matched.as_ref().is_some_and(|m| m.row.real) {
            self.real = true;
        }
        let phase = if d.field_phase || !self.real {
            d.phase.clone()
        } else {
            match d.matched.as_ref().map(|m| (m, m.row.carries)) {
                Some((m, Carries::Tag(_) | Carries::Named)) => m.tagged(),
                Some((_, Carries::JobPhase)) => job.and_then(|j| self.job_phase.get(j).cloned()),
                Some((_, Carries::Never)) => None,
                Some((_, Carries::Window)) | None => match (&self.window, &job) {
                    (Some((open, p)), Some(j)) if open == j => Some(p.clone()),
                    (Some((_, p)), None) => Some(p.clone()),
                    _ => None,
                },
            }
        };
        if let Some(m) = &d.matched {
            match m.row.says {
                Says::PhaseStarted | Says::AggregatorAssigned => {
                    if let (Some(j), Some(p)) = (job, m.tagged()) {
                        if self.job_phase.len() >= MAX_RUNNING && !self.job_phase.contains_key(j) {
                            self.job_phase.clear();
                        }
                        self.job_phase.insert(j.to_string(), p);
                    }
                }
                Says::JobCompleted | Says::JobFailed | Says::JobCancelled => {
                    if let Some(j) = job {
                        self.job_phase.remove(j);
                    }
                }
                Says::Opens => {
                    if let (Some(j), Some(p)) = (job, m.tagged()) {
                        self.window = Some((j.to_string(), p));
                    }
                }
                Says::Closes
                    if job.is_none() || self.window.as_ref().map(|w| w.0.as_str()) == job =>
                {
                    self.window = None;
                }
                _ => {}
            }
        }
        phase
    }
}

/// Whether a row's line may change a stream's [`PhaseState`] (the rows `resolve` acts on, and
/// the rows that show a real release).
fn changes_state(row: &Template) -> bool {
    row.real
        || matches!(
            row.says,
            Says::PhaseStarted
                | Says::AggregatorAssigned
                | Says::JobCompleted
                | Says::JobFailed
                | Says::JobCancelled
                | Says::Opens
                | Says::Closes
        )
}

/// Whatever the stream's state, the line's phase is not `want`, and the line changes no state:
/// a line `--phase want` cannot select and that no later line's phase hangs on. Its row fixes
/// its phase (a tag, a named phase, or none), so neither the worker's window nor a job's phase
/// can make it `want`; nor can the field or the loose words.
pub fn never_of(d: &Derived, want: &Phase) -> bool {
    let Some(m) = &d.matched else {
        // No row: the window's phase, which may be `want`.
        return false;
    };
    let by_row = match m.row.carries {
        Carries::Tag(_) | Carries::Named => m.tagged(),
        Carries::Never => None,
        Carries::JobPhase | Carries::Window => return false,
    };
    let is_want = |p: &Option<Phase>| p.as_ref().is_some_and(|p| p.matches(want));
    !changes_state(m.row) && !is_want(&by_row) && !is_want(&d.phase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive::derive;
    use serde_json::Map;

    fn phases(lines: &[&str]) -> Vec<Option<String>> {
        let mut state = PhaseState::default();
        lines
            .iter()
            .map(|l| {
                state
                    .resolve(&derive(l, &Map::new()))
                    .map(|p| p.to_string())
            })
            .collect()
    }

    #[test]
    fn a_worker_line_takes_its_window_and_loose_words_do_not_count() {
        let got = phases(&[
            ">>> INITIALIZING_PROOFMAN",
            "Starting Partial Contribution for 1a2b3c4d-0000-4000-8000-00000000abcd",
            ">>> WITNESS_GENERATION",
            "Contribution computation successful for JobId(1a2b3c4d…)",
            "Starting Prove for JobId(1a2b3c4d…)",
            ">>> GENERATING_INNER_PROOFS",
            "Computing Contribution for JobId(99999999…)",
            "Prove computation successful for JobId(1a2b3c4d…)",
            "Last proof received. [4] proofs were received",
        ]);
        let want = [
            None,
            Some("Contributions"),
            Some("Contributions"),
            Some("Contributions"),
            Some("Prove"),
            Some("Prove"),
            Some("Contributions"),
            Some("Prove"),
            Some("Contributions"),
        ];
        let want: Vec<Option<String>> = want.iter().map(|p| p.map(String::from)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn failed_and_cancelled_jobs_take_the_phase_they_were_in() {
        let got = phases(&[
            "cluster coordinator listening on 0.0.0.0:50051",
            "[Phase1] Started with 2 workers for JobId(1a2b3c4d…)",
            "[Phase2] Started with 2 workers for JobId(1a2b3c4d…)",
            "[Phase3] Assigned worker WorkerId(9f8e7d6c…) as aggregator for job JobId(1a2b3c4d…)",
            "Error handling worker WorkerId(9f8e7d6c…): Internal service error: Aggregation failed in job JobId(1a2b3c4d…)",
            "Failed job JobId(1a2b3c4d…) (reason: Aggregation failed in job JobId(1a2b3c4d…))",
            "Cancelled job JobId(1a2b3c4d…)",
        ]);
        assert_eq!(got[4], None);
        assert_eq!(got[5].as_deref(), Some("Aggregate"));
        assert_eq!(got[6], None, "the job ended: no phase left");
    }

    #[test]
    fn a_line_never_of_a_phase_is_not_of_it_in_any_state_and_changes_none() {
        // Every row, as a line, in every state a stream can be in for its job.
        let line = |text: &str| {
            text.replace("{J}", "JobId(1a2b3c4d…)")
                .replace("{uuid}", "1a2b3c4d-0000-4000-8000-00000000abcd")
                .replace("{W}", "WorkerId(9f8e7d6c…)")
                .replace("{id}", "9f8e7d6c5b4a39281706f5e4d3c2b1a0")
                .replace("{*}", "7 (x: 1.5s)")
        };
        let mut states = Vec::new();
        for real in [false, true] {
            for want in Phase::KNOWN.map(Phase::new) {
                let window = Some(("1a2b3c4d".to_string(), want.clone()));
                let job_phase = HashMap::from([("1a2b3c4d".to_string(), want)]);
                states.push(PhaseState {
                    real,
                    window,
                    job_phase,
                });
            }
        }
        let mut never = 0;
        for row in crate::parse::templates::all_rows() {
            for named in Phase::KNOWN {
                let d = derive(&line(&row.text.replace("{P}", named)), &Map::new());
                for want in Phase::KNOWN.map(Phase::new) {
                    if !never_of(&d, &want) {
                        continue;
                    }
                    never += 1;
                    for state in &states {
                        let mut after = state.clone();
                        let got = after.resolve(&d);
                        assert!(
                            !got.is_some_and(|p| p.matches(&want)),
                            "{:?} is {want} in {state:?}",
                            row.text
                        );
                        assert_eq!(&after, state, "{:?} changed the state", row.text);
                    }
                }
            }
        }
        assert!(
            never > 100,
            "only {never} (row, phase) pairs never of the phase"
        );
        // A line no row matches takes the window's phase: never ruled out.
        let d = derive(">>> GENERATING_INNER_PROOFS", &Map::new());
        assert!(!never_of(&d, &Phase::prove()));
    }

    #[test]
    fn documented_streams_keep_their_words() {
        // No line only a release prints: DOMAIN.md's shape, phase from its words.
        let got = phases(&["Failed to generate proof for JobId(1a2b3c4d…): boom"]);
        assert_eq!(got, [Some("Prove".to_string())]);
    }
}
