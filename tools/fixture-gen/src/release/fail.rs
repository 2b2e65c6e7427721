//! The ways a prove job fails or is cancelled, as each release logs them: the coordinator's
//! reason and terminal line, the workers told to stop, and the struck worker's own lines.

use tracing::Level;

use super::prove::Part;
use super::{Release, Sim};
use crate::timeline::{Mark, PhaseRule, MS, S};
use crate::truth::Phase::{Aggregate, Contributions, Prove};

impl Sim {
    /// The other workers of a failing job are released and told to stop.
    fn release_others(&mut self, j: usize, t: i64, computing: &[usize], reason: &str) {
        let full = self.jobs[j].id.clone();
        for &w in computing {
            if self.rel.current() {
                let (wd, totals) = (self.wd(w), self.totals());
                self.coord(t, Level::INFO, format!("Worker {wd} ready {totals}")).worker(w);
            }
            let tw = t + self.ms(15, 80);
            self.node(tw, w, Level::INFO, format!("Job {full} cancelled: {reason}")).job(j).close(j);
            if self.rel.current() {
                let (wd, jd) = (self.wd(w), self.jd(j));
                let ta = tw + self.ms(5, 30);
                self.coord(ta, Level::INFO, format!("Worker {wd} acknowledged cancellation of job {jd}"))
                    .job(j)
                    .worker(w);
            }
        }
    }

    /// The terminal line of a failure (`named`: the worker its reason names).
    fn failed(&mut self, j: usize, t: i64, reason: String, named: Option<usize>) {
        let jd = self.jd(j);
        let freed = if self.rel == Release::V0_12 {
            format!(" and freed {} workers", self.jobs[j].workers.len())
        } else {
            String::new()
        };
        self.jobs[j].reason = Some(reason.clone());
        let l = self
            .coord(t, Level::ERROR, format!("Failed job {jd} (reason: {reason}){freed}"))
            .job(j)
            .rule(PhaseRule::JobPhase)
            .mark(Mark::JobEnd(j));
        if let Some(w) = named {
            l.worker(w);
        }
    }

    /// The task-failure reason and the error the coordinator logs after it, per release.
    fn task_failure(&mut self, j: usize, t: i64, x: usize, detail: &str, others: &[usize]) -> i64 {
        let (jd, wd) = (self.jd(j), self.wd(x));
        let (reason, after) = if self.rel.current() {
            (
                format!("Task execution failed on worker {wd}: {detail}"),
                format!("Error handling worker {wd}: Worker error: Worker {wd} failed task for job {jd}: {detail}"),
            )
        } else {
            (
                "Task execution failed".to_string(),
                format!(
                    "Error handling worker {wd}: Worker error: Worker {wd} failed to execute task for {jd}: {detail}"
                ),
            )
        };
        self.release_others(j, t, others, &reason);
        let named = self.rel.current().then_some(x);
        self.failed(j, t + 2 * MS, reason, named);
        self.coord(t + 3 * MS, Level::ERROR, after).job(j).worker(x);
        t + 3 * MS
    }

    pub(super) fn contrib_failure(&mut self, j: usize, p1: i64, parts: &[Part], x: usize) -> i64 {
        let first_other = parts.iter().filter(|p| p.w != x).map(|p| p.end).min().unwrap_or(i64::MAX);
        let px = *parts.iter().find(|p| p.w == x).expect("worker of the job");
        let fail = (px.start + 2 * S).min(first_other - 2 * S).max(p1 + S);
        for p in parts {
            if p.w == x {
                self.contribution(j, *p, Some(fail));
            } else {
                self.contribution_cut(j, *p, fail + 200 * MS);
            }
        }
        let others: Vec<usize> = parts.iter().map(|p| p.w).filter(|&w| w != x).collect();
        let t = fail + self.ms(4, 30);
        self.task_failure(j, t, x, "Failed to generate proof", &others)
    }

    /// A Contribution cut short by another worker's failure (its end comes as a cancellation).
    fn contribution_cut(&mut self, j: usize, p: Part, until: i64) {
        let (jd, full, w) = (self.jd(j), self.jobs[j].id.clone(), p.w);
        self.node(p.start, w, Level::INFO, format!("Starting Partial Contribution for {full}"))
            .job(j)
            .tag(Contributions)
            .open(j, Contributions);
        let tc = p.start + self.ms(2, 20);
        for r in 0..self.ranks(w) {
            self.compute(tc + r as i64 * MS, w, r, Level::INFO, format!("Computing Contribution for {jd}"))
                .job(j)
                .tag(Contributions);
        }
        self.proofman(tc + 5 * MS, until - 300 * MS, w, &["EXECUTE"]);
    }

    pub(super) fn prove_failure(&mut self, j: usize, cut: i64, ws: &[usize], x: usize) -> i64 {
        let jd = self.jd(j);
        let err = "CUDA error: an illegal memory access was encountered";
        self.compute(cut, x, 0, Level::ERROR, format!("Prove computation failed for {jd}: {err}"))
            .job(j)
            .tag(Prove)
            .close(j);
        let others: Vec<usize> = ws.iter().copied().filter(|&w| w != x).collect();
        let t = cut + self.ms(4, 30);
        self.task_failure(j, t, x, err, &others)
    }

    pub(super) fn cancel(&mut self, j: usize, cut: i64, ws: &[usize]) -> i64 {
        let jd = self.jd(j);
        for &w in ws {
            let (wd, totals) = (self.wd(w), self.totals());
            self.coord(cut, Level::INFO, format!("Worker {wd} parked in SettingUp pending tear-down {totals}"))
                .worker(w);
        }
        self.jobs[j].reason = None;
        self.coord(cut + 2 * MS, Level::INFO, format!("Cancelled job {jd}"))
            .job(j)
            .rule(PhaseRule::JobPhase)
            .mark(Mark::JobEnd(j));
        let full = self.jobs[j].id.clone();
        let mut last = cut;
        for &w in ws {
            let tw = cut + self.ms(15, 80);
            self.node(tw, w, Level::INFO, format!("Job {full} cancelled: cancelled by client")).job(j).close(j);
            let wd = self.wd(w);
            last = last.max(tw + 20 * MS);
            let ta = tw + self.ms(5, 15);
            self.coord(ta, Level::INFO, format!("Worker {wd} acknowledged cancellation of job {jd}")).job(j).worker(w);
        }
        last
    }

    /// Worker x's stream breaks during Prove; the coordinator fails the job and stops the
    /// workers still at work on it (`stopped`).
    pub(super) fn dropped(&mut self, j: usize, cut: i64, stopped: &[usize], x: usize) -> i64 {
        let (jd, wd) = (self.jd(j), self.wd(x));
        let status = "status: Unavailable, message: \"error reading a body from connection\", details: [], metadata: MetadataMap { headers: {} }";
        self.node(cut, x, Level::ERROR, format!("Error receiving message from coordinator: {status}"));
        self.node(cut + MS, x, Level::INFO, "Stream closed, will reconnect".into());
        let tc = cut + 40 * MS;
        self.disconnect(tc, x, false);
        let (what, reason) = if self.rel.current() {
            ("connection dropped", format!("Worker {wd} connection dropped"))
        } else {
            ("disconnected", format!("Worker {wd} disconnected"))
        };
        self.coord(
            tc + 500 * MS,
            Level::ERROR,
            format!("Worker {wd} {what} while computing for job {jd} in phase Prove"),
        )
        .job(j)
        .worker(x)
        .tag(Prove);
        if !self.rel.current() {
            self.coord(tc + 501 * MS, Level::ERROR, format!("Marking job {jd} as failed due to worker disconnection"))
                .job(j);
        }
        self.release_others(j, tc + 502 * MS, stopped, &reason);
        self.failed(j, tc + 504 * MS, reason, Some(x));
        if self.rel >= Release::V0_18 {
            self.coord(
                tc + 505 * MS,
                Level::INFO,
                format!("[Recovery] Worker {wd} entered SettingUp pending recovery completion"),
            )
            .worker(x);
        }
        let back = self.come_back(cut + 2 * S, x, Some(j));
        if !self.rel.current() {
            // Nothing told the worker to stop: it finishes and its result is ignored.
            let end = back + self.ms(1_000, 3_000);
            self.compute(end, x, 0, Level::INFO, format!("Prove computation successful for {jd}"))
                .job(j)
                .tag(Prove)
                .close(j);
            return end;
        }
        back
    }

    /// Worker x hangs during Prove: no heartbeat for 90 s, the monitor fails the job.
    pub(super) fn stalled(&mut self, j: usize, cut: i64, x: usize, agg: usize) -> i64 {
        let (jd, wd) = (self.jd(j), self.wd(x));
        let tm = cut + 90 * S + self.ms(0, 5_000);
        let reason = format!("[Monitor] Worker {wd} missed heartbeats for job {jd}");
        self.coord(tm, Level::WARN, reason.clone()).job(j).worker(x);
        self.release_others(j, tm + MS, &[agg, x], &reason);
        self.failed(j, tm + 3 * MS, reason, Some(x));
        tm + S
    }

    /// Aggregation outlasts its limit.
    pub(super) fn agg_timeout(&mut self, j: usize, a0: i64, after: i64, agg: usize) -> i64 {
        let jd = self.jd(j);
        let limit = 100;
        let elapsed = limit + self.tl.rng.range(1, 5);
        let tm = a0 + elapsed * S + self.ms(0, 900);
        self.proofman(after + 200 * MS, tm - S, agg, &["GENERATE_VADCOP_FINAL_PROOF", "GENERATE_RECURSIVEF"]);
        let reason = format!("[Monitor] Phase Aggregate timed out for job {jd} ({elapsed}s > {limit}s)");
        self.coord(tm, Level::WARN, reason.clone()).job(j).tag(Aggregate);
        self.release_others(j, tm + MS, &[agg], &reason);
        self.failed(j, tm + 3 * MS, reason, None);
        tm + S
    }

    pub(super) fn agg_failure(&mut self, j: usize, t: i64, agg: usize) -> i64 {
        let (jd, ad) = (self.jd(j), self.wd(agg));
        self.proofman(t - 1_200 * MS, t - 100 * MS, agg, &["GENERATE_VADCOP_FINAL_PROOF"]);
        self.compute(
            t,
            agg,
            0,
            Level::ERROR,
            format!("Aggregation failed for {jd}: recursive2 witness generation failed: invalid proof from instance 3"),
        )
        .job(j)
        .tag(Aggregate)
        .close(j);
        let tc = t + self.ms(4, 30);
        let reason = format!("Aggregation failed in job {jd}");
        self.failed(j, tc, reason.clone(), None);
        self.coord(tc + MS, Level::ERROR, format!("Error handling worker {ad}: Internal service error: {reason}"))
            .job(j)
            .worker(agg);
        tc + MS
    }
}
