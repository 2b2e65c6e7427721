//! What a job's summary says about its workers' clocks: each worker's estimated offset from
//! the coordinator (JSON `clock_offset_ms`, `clock_offset_uncertainty_ms`), and findings for
//! an offset over a second, a step, or a step all workers share (the coordinator's clock).

use crate::clock::{Clock, StreamOffset};
use crate::time::Timestamp;
use crate::trail::stitch::WorkerTie;
use crate::trail::summary::{Finding, SummaryWorker};

/// A worker's clock as its best-paired stream shows it, with that stream's label (the host).
fn offset_of<'a>(clock: &Clock, w: &'a WorkerTie) -> Option<(&'a str, StreamOffset)> {
    w.streams
        .iter()
        .filter_map(|(_, label)| Some((&**label, clock.summary_of(label)?)))
        .max_by_key(|(_, o)| o.pairs)
}

/// Fills the rows' clock fields (rows are in the order of `workers`) and returns the findings.
pub fn report(clock: &Clock, workers: &[WorkerTie], rows: &mut [SummaryWorker]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut steps: Vec<(Timestamp, i64)> = Vec::new();
    let mut stepped = 0;
    let mut paired = 0;
    for (w, row) in workers.iter().zip(rows.iter_mut()) {
        let Some((host, o)) = offset_of(clock, w) else {
            continue;
        };
        paired += 1;
        row.clock_offset_ms = Some(o.offset_ms());
        row.clock_offset_uncertainty_ms = o.uncertainty_ms();
        let id = Some(w.id.text.to_string());
        if let Some(message) = o.finding(host) {
            findings.push(Finding {
                kind: "clock_offset",
                message,
                worker_id: id.clone(),
            });
        }
        if !o.steps.is_empty() {
            stepped += 1;
        }
        for message in o.step_findings(host) {
            findings.push(Finding {
                kind: "clock_step",
                message,
                worker_id: id.clone(),
            });
        }
        steps.extend(o.steps.iter().copied());
    }
    if let Some(jump) = shared_step(&steps, stepped, paired) {
        findings.push(Finding {
            kind: "clock_step",
            message: format!(
                "the coordinator's clock stepped by {:+.1} s (every worker's offset moved together)",
                -jump as f64 / 1e6
            ),
            worker_id: None,
        });
    }
    findings
}

/// Every paired worker (two or more) stepped once, at about the same time by about the same
/// amount: the step was the coordinator's.
fn shared_step(steps: &[(Timestamp, i64)], stepped: usize, paired: usize) -> Option<i64> {
    if paired < 2 || stepped != paired || steps.len() != paired {
        return None;
    }
    let (t0, j0) = steps[0];
    let close = steps.iter().all(|&(t, j)| {
        (t.0 - t0.0).abs() <= 60_000_000
            && (j - j0).abs() <= j0.abs() / 5
            && j.signum() == j0.signum()
    });
    close.then_some(j0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_every_worker_shares_is_the_coordinators() {
        let at = |s: i64| Timestamp(s * 1_000_000);
        // Both workers' offsets jumped by about -5 s within a few seconds: the coordinator
        // stepped +5 s.
        let both = [(at(100), -5_000_000), (at(103), -4_990_000)];
        assert_eq!(shared_step(&both, 2, 2), Some(-5_000_000));
        // One worker stepped, the other did not: that worker's own clock.
        assert_eq!(shared_step(&both[..1], 1, 2), None);
        // Far apart in time or in size: two separate events.
        assert_eq!(
            shared_step(&[(at(100), -5_000_000), (at(900), -5_000_000)], 2, 2),
            None
        );
        assert_eq!(
            shared_step(&[(at(100), -5_000_000), (at(101), 5_000_000)], 2, 2),
            None
        );
        // A single worker is no evidence about the coordinator.
        assert_eq!(shared_step(&both[..1], 1, 1), None);
    }
}
