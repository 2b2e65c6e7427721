//! The truth's phase of each line, from the simulation's own state as the lines are emitted in
//! true order: the phase a line's tag or wording names; for a coordinator line that ends a job,
//! the phase the job is in; for a worker's other lines (those naming no other job), the phase of
//! the job the worker is computing at that moment (its phase window); else none.

use std::collections::HashMap;

use crate::timeline::{Log, Mark, PhaseRule, Window};
use crate::truth::Phase;

#[derive(Default)]
pub struct LinePhases {
    /// The phase each running job is in (the last one its coordinator started).
    job_phase: HashMap<usize, Phase>,
    /// The (job, phase) each worker host is computing.
    windows: HashMap<usize, (usize, Phase)>,
}

impl LinePhases {
    /// The line's phase, then the line's effects on the state.
    pub fn line(&mut self, host: usize, worker_host: bool, l: &Log) -> Option<Phase> {
        let phase = match l.rule {
            PhaseRule::Tag(p) => Some(p),
            PhaseRule::Never => None,
            PhaseRule::JobPhase => l.job.and_then(|j| self.job_phase.get(&j).copied()),
            PhaseRule::Context if worker_host => match self.windows.get(&host) {
                Some(&(job, p)) if l.job.is_none_or(|j| j == job) => Some(p),
                _ => None,
            },
            PhaseRule::Context => None,
        };
        for m in &l.marks {
            match *m {
                Mark::PhaseStart(j, p) => {
                    self.job_phase.insert(j, p);
                }
                Mark::JobEnd(j) => {
                    self.job_phase.remove(&j);
                }
                _ => {}
            }
        }
        match l.window {
            Some(Window::Open(j, p)) => {
                self.windows.insert(host, (j, p));
            }
            Some(Window::Close(j)) if self.windows.get(&host).is_some_and(|w| w.0 == j) => {
                self.windows.remove(&host);
            }
            Some(Window::Close(_)) => {}
            None => {}
        }
        phase
    }

    /// A restarted process computes nothing.
    pub fn restart(&mut self, host: usize) {
        self.windows.remove(&host);
    }
}
