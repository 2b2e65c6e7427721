//! The DOMAIN-shape scenario's jobs: a proving job (Contributions, Prove, Aggregate) with its
//! fate, and an execution-only job.

use tracing::Level;

use super::fleet::Scenario;
use crate::emit::Target;
use crate::timeline::{Mark, PhaseRule, MS, S};
use crate::truth::Phase;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fate {
    Complete,
    DropInProve(usize),
    ErrorInProve(usize),
    CancelInProve,
}

impl Scenario {
    /// A proving job: Contributions -> Prove -> Aggregate, with a fate.
    pub fn job(&mut self, j: usize, t0: i64, agg: usize, fate: Fate) {
        use Phase::*;
        use Target::CoordCoordinator as CC;
        let ws = self.jobs[j].workers.clone();
        let n = ws.len();
        let jd = self.jd(j);
        let cap: u32 = ws.iter().map(|&w| self.workers[w].cap).sum();
        self.coord(t0, Level::INFO, CC, format!("[Job] Started {jd} successfully Capacity: {cap}CU Workers: {n}"))
            .job(j)
            .mark(Mark::JobStart(j));
        self.coord(t0 + 300, Level::DEBUG, CC, format!("Selected {n} workers for {jd} (required capacity {cap}CU)"))
            .job(j);
        let p1 = t0 + self.ms(2, 6);
        self.coord(p1, Level::INFO, CC, format!("[Phase1] Started with {n} workers for {jd}"))
            .job(j)
            .phase(Contributions)
            .tag(Contributions)
            .mark(Mark::PhaseStart(j, Contributions));
        // Phase 1 per worker.
        let mut ends = Vec::new();
        for &w in &ws {
            let wd = self.wd(w);
            let td = p1 + 200 + 83 * w as i64;
            self.coord(td, Level::DEBUG, CC, format!("Dispatching Contributions task to {wd} for {jd}"))
                .job(j)
                .worker(w)
                .phase(Contributions);
            let delay = self.ms(4, 45);
            let ts = self.setup(p1 + delay, w, j);
            let t1 = ts + self.ms(1, 5);
            self.wk(t1, w, Level::INFO, Target::WorkerService, format!("Starting Partial Contribution for {jd}"))
                .job(j)
                .phase(Contributions)
                .tag(Contributions)
                .open(j, Contributions);
            let t2 = t1 + self.ms(2, 20);
            self.wk_ranked(
                t2,
                w,
                Level::INFO,
                Target::Worker,
                format!("Computing Contribution for {jd}"),
                j,
                Contributions,
                false,
            );
            let witness = self.tl.rng.frange(2.0, 6.0);
            self.wk(
                t2 + (witness * S as f64) as i64,
                w,
                Level::DEBUG,
                Target::Worker,
                format!("Witness generation for {jd} took {witness:.3}s"),
            )
            .job(j)
            .phase(Contributions);
            let end = t2 + self.ms(6_000, 16_000);
            self.wk_ranked(
                end,
                w,
                Level::INFO,
                Target::Worker,
                format!("Contribution computation successful for {jd}"),
                j,
                Contributions,
                true,
            );
            ends.push((end + self.ms(4, 30), w, delay, witness));
        }
        ends.sort_by_key(|e| (e.0, e.1));
        for (k, &(t, w, delay, witness)) in ends.iter().enumerate() {
            let wd = self.wd(w);
            let phase = (t - p1) as f64 / S as f64;
            let asm = self.tl.rng.frange(1.2, 4.0);
            let mhz = self.tl.rng.range(480, 720);
            let l = self
                .coord(
                    t,
                    Level::INFO,
                    CC,
                    format!(
                        "[Phase1] {wd} finished phase 1 for {jd} ({}/{n} workers done, Phase: {phase:.3}s, Delay: {:.3}s, Witness: {witness:.3}s, Asm Execution: {asm:.3}s at {mhz} MHz)",
                        k + 1,
                        delay as f64 / S as f64
                    ),
                )
                .job(j)
                .worker(w)
                .phase(Contributions)
                .tag(Contributions)
                .mark(Mark::WorkerDone(j, w, Contributions));
            if k + 1 == n {
                l.mark(Mark::PhaseEnd(j, Contributions)).mark(Mark::Figure(j, Contributions, (t - p1) / MS));
            }
        }
        let p1_end = ends.last().unwrap().0;
        let p1_secs = (p1_end - p1) as f64 / S as f64;
        self.coord(
            p1_end + 900,
            Level::INFO,
            CC,
            format!("[Job] Contributions {jd}: {n} challenges aggregated in {:.3}s", 0.0009 * n as f64),
        )
        .job(j)
        .phase(Contributions)
        .tag(Contributions);
        // Phase 2.
        let p2 = p1_end + self.ms(10, 40);
        self.coord(p2, Level::INFO, CC, format!("[Phase2] Started with {n} workers for {jd}"))
            .job(j)
            .phase(Prove)
            .tag(Prove)
            .mark(Mark::PhaseStart(j, Prove));
        let mut pends = Vec::new();
        for &w in &ws {
            let wd = self.wd(w);
            let td = p2 + 250 + 91 * w as i64;
            self.coord(td, Level::DEBUG, CC, format!("Dispatching Prove task to {wd} for {jd}"))
                .job(j)
                .worker(w)
                .phase(Prove);
            let t1 = p2 + self.ms(5, 40);
            self.wk_ranked(t1, w, Level::INFO, Target::Worker, format!("Computing Prove for {jd}"), j, Prove, false);
            let dur = self.ms(15_000, 38_000);
            pends.push((t1 + dur, w, t1));
        }
        // When does the fate strike?
        let cut = match fate {
            Fate::Complete => i64::MAX,
            Fate::DropInProve(w) | Fate::ErrorInProve(w) => {
                let &(end, _, st) = pends.iter().find(|p| p.1 == w).unwrap();
                st + (end - st) * self.tl.rng.range(40, 70) / 100
            }
            Fate::CancelInProve => {
                let first = pends.iter().map(|p| p.0).min().unwrap();
                p2 + (first - p2) * self.tl.rng.range(50, 85) / 100
            }
        };
        // Debug progress lines and the successes before the cut.
        pends.sort();
        let mut done = 0;
        for &(end, w, st) in &pends {
            let segs = self.tl.rng.range(8, 24);
            for q in 1..=2 {
                let tq = st + (end - st) * q / 3;
                if tq < cut {
                    let k = segs * q / 3;
                    self.wk(
                        tq,
                        w,
                        Level::DEBUG,
                        Target::Worker,
                        format!("Prove: {k}/{segs} segments generated for {jd}"),
                    )
                    .job(j)
                    .phase(Prove);
                }
            }
            if end >= cut {
                continue;
            }
            self.wk_ranked(
                end,
                w,
                Level::INFO,
                Target::Worker,
                format!("Prove computation successful for {jd}"),
                j,
                Prove,
                true,
            );
            done += 1;
            let tc = end + self.ms(4, 30);
            let wd = self.wd(w);
            let secs = (tc - p2) as f64 / S as f64;
            let l = self
                .coord(
                    tc,
                    Level::INFO,
                    CC,
                    format!("[Phase2] {wd} finished phase 2 for {jd} ({done}/{n} workers done, {secs:.3}s)"),
                )
                .job(j)
                .worker(w)
                .phase(Prove)
                .tag(Prove)
                .mark(Mark::WorkerDone(j, w, Prove));
            if done == n {
                l.mark(Mark::PhaseEnd(j, Prove)).mark(Mark::Figure(j, Prove, (tc - p2) / MS));
            }
            self.coord(
                tc + 60,
                Level::INFO,
                CC,
                format!("[Phase2 progress] Worker {wd} done. (duration: {:.3}s)", (end - st) as f64 / S as f64),
            )
            .job(j)
            .worker(w)
            .phase(Prove)
            .tag(Prove);
        }
        let unfinished: Vec<usize> = pends.iter().filter(|p| p.0 >= cut).map(|p| p.1).collect();
        match fate {
            Fate::Complete => {}
            Fate::DropInProve(x) => {
                let wd = self.wd(x);
                self.wk(
                    cut,
                    x,
                    Level::ERROR,
                    Target::WorkerNode,
                    "gRPC stream error: transport error: connection reset by peer".into(),
                );
                self.wk(cut + 300, x, Level::WARN, Target::WorkerNode, "Stream closed, will reconnect".into());
                self.wk(
                    cut + 2_000,
                    x,
                    Level::WARN,
                    Target::WorkerService,
                    format!("Job {jd} cancelled: connection to coordinator lost"),
                )
                .job(j)
                .phase(Prove)
                .close(j);
                let tc = cut + self.ms(20, 60);
                self.coord(
                    tc,
                    Level::ERROR,
                    CC,
                    format!("Worker {wd} connection dropped while computing for job {jd}"),
                )
                .job(j)
                .worker(x)
                .phase(Prove);
                self.disconnect(tc + 500, x);
                let reason = "worker connection dropped during Prove";
                self.jobs[j].reason = Some(reason.into());
                self.coord(tc + 2_000, Level::ERROR, CC, format!("Failed job {jd} (reason: {reason})"))
                    .job(j)
                    .phase(Prove)
                    .rule(PhaseRule::JobPhase)
                    .mark(Mark::JobEnd(j));
                let others: Vec<usize> = unfinished.iter().copied().filter(|&w| w != x).collect();
                self.cancel_workers(tc + 2_100, j, &others, "job failed");
                let tr = cut + self.ms(3_000, 5_000);
                self.connect(tr, x, true);
            }
            Fate::ErrorInProve(x) => {
                let wd = self.wd(x);
                let err = "CUDA error: out of memory (device 0, requested 6.25 GiB)";
                self.wk(cut, x, Level::ERROR, Target::Worker, format!("Failed to generate proof for {jd}: {err}"))
                    .job(j)
                    .phase(Prove);
                self.wk(
                    cut + 800,
                    x,
                    Level::ERROR,
                    Target::WorkerService,
                    format!("Prove computation failed for {jd}: {err}"),
                )
                .job(j)
                .phase(Prove)
                .tag(Prove)
                .close(j);
                let tc = cut + self.ms(20, 60);
                self.coord(tc, Level::ERROR, CC, format!("Worker {wd} error: Prove computation failed: {err}"))
                    .job(j)
                    .worker(x)
                    .phase(Prove);
                let reason = format!("Prove failed on 1 worker: {err}");
                self.jobs[j].reason = Some(reason.clone());
                self.coord(tc + 1_500, Level::ERROR, CC, format!("Failed job {jd} (reason: {reason})"))
                    .job(j)
                    .phase(Prove)
                    .rule(PhaseRule::JobPhase)
                    .mark(Mark::JobEnd(j));
                let others: Vec<usize> = unfinished.iter().copied().filter(|&w| w != x).collect();
                self.cancel_workers(tc + 1_600, j, &others, "job failed");
            }
            Fate::CancelInProve => {
                let reason = "cancelled by client request";
                self.jobs[j].reason = Some(reason.into());
                self.coord(cut, Level::INFO, Target::CoordServer, format!("Cancel request received for {jd}")).job(j);
                self.coord(cut + 1_200, Level::WARN, CC, format!("Cancelled job {jd}"))
                    .job(j)
                    .phase(Prove)
                    .rule(PhaseRule::JobPhase)
                    .mark(Mark::JobEnd(j));
                self.cancel_workers(cut + 1_300, j, &unfinished, reason);
            }
        }
        if fate != Fate::Complete {
            return;
        }
        let p2_end = pends.last().unwrap().0 + 40 * MS;
        let p2_secs = (p2_end - p2) as f64 / S as f64;
        let mhz = self.tl.rng.frange(120.0, 260.0);
        self.coord(
            p2_end + 500,
            Level::INFO,
            CC,
            format!("[Job] Prove Performance {jd}: {mhz:.2} MHz over {n} workers"),
        )
        .job(j)
        .phase(Prove)
        .tag(Prove);
        // Phase 3.
        let p3 = p2_end + self.ms(10, 30);
        let ad = self.wd(agg);
        self.jobs[j].aggregator = Some(agg);
        self.coord(p3, Level::INFO, CC, format!("[Phase3] Assigned worker {ad} as aggregator for job {jd}"))
            .job(j)
            .worker(agg)
            .phase(Aggregate)
            .tag(Aggregate)
            .mark(Mark::PhaseStart(j, Aggregate));
        let t1 = p3 + self.ms(5, 30);
        self.wk(t1, agg, Level::INFO, Target::WorkerService, format!("Starting aggregation step for {jd}"))
            .job(j)
            .phase(Aggregate)
            .tag(Aggregate)
            .open(j, Aggregate);
        self.wk(t1 + 300, agg, Level::DEBUG, Target::Worker, format!("Aggregating {n} partial proofs for {jd}"))
            .job(j)
            .phase(Aggregate);
        let t2 = t1 + self.ms(2_500, 7_000);
        self.wk(t2, agg, Level::INFO, Target::WorkerService, format!("Aggregation task completed for {jd}"))
            .job(j)
            .phase(Aggregate)
            .tag(Aggregate)
            .close(j);
        let p3_end = t2 + self.ms(5, 25);
        let p3_secs = (p3_end - p3) as f64 / S as f64;
        self.coord(
            p3_end,
            Level::INFO,
            CC,
            format!("[Phase3] WorkerId {ad} done, phase 3 completed for {jd} ({p3_secs:.3}s)"),
        )
        .job(j)
        .worker(agg)
        .phase(Aggregate)
        .tag(Aggregate)
        .mark(Mark::WorkerDone(j, agg, Aggregate))
        .mark(Mark::PhaseEnd(j, Aggregate));
        let total = (p3_end + 2 * MS - t0) as f64 / S as f64;
        let steps = dots(self.tl.rng.range(50_000_000, 900_000_000) as u64);
        let inst = self.tl.rng.range(120, 900);
        let header = format!("[Job] Finished {jd} successfully \u{2714}");
        let dur = format!("Duration: {total:.3}s");
        let split = format!("({p1_secs:.3}s+{p2_secs:.3}s+{p3_secs:.3}s)");
        let stp = format!("Steps: {steps}");
        let ins = format!("Instances: {inst}");
        let capx = format!("Capacity: {cap}CU");
        let plain = format!("{header} {dur} {split} {stp} {ins} {capx}");
        let ansi = format!(
            "\x1b[32m{header}\x1b[0m \x1b[1m{dur}\x1b[0m {split} \x1b[1m{stp}\x1b[0m \x1b[1m{ins}\x1b[0m {capx}"
        );
        let figures = [(Contributions, p1_secs), (Prove, p2_secs), (Aggregate, p3_secs)];
        let l = self.coord(p3_end + 2 * MS, Level::INFO, CC, plain).job(j).ansi(ansi).mark(Mark::JobEnd(j));
        for (p, secs) in figures {
            l.mark(Mark::Figure(j, p, (secs * 1000.0).round() as i64));
        }
    }

    /// An execution-only job on one worker.
    pub fn exec_job(&mut self, j: usize, t0: i64) {
        use Target::CoordCoordinator as CC;
        let w = self.jobs[j].workers[0];
        let (jd, wd) = (self.jd(j), self.wd(w));
        let cap = self.workers[w].cap;
        self.coord(t0, Level::INFO, CC, format!("[Job] Started {jd} successfully Capacity: {cap}CU Workers: 1"))
            .job(j)
            .mark(Mark::JobStart(j));
        let p = t0 + 3 * MS;
        self.coord(p, Level::INFO, CC, format!("[Execution] Started with 1 workers for {jd}"))
            .job(j)
            .phase(Phase::Execution)
            .tag(Phase::Execution)
            .mark(Mark::PhaseStart(j, Phase::Execution));
        let delay = self.ms(3, 30);
        let ts = self.setup(p + delay, w, j);
        self.wk(ts + 2 * MS, w, Level::INFO, Target::Worker, format!("Computing Execution for {jd}"))
            .job(j)
            .phase(Phase::Execution)
            .tag(Phase::Execution)
            .open(j, Phase::Execution);
        let end = ts + self.ms(5_000, 11_000);
        self.wk(end, w, Level::INFO, Target::Worker, format!("Execution computation successful for {jd}"))
            .job(j)
            .phase(Phase::Execution)
            .tag(Phase::Execution)
            .close(j);
        let tc = end + self.ms(4, 20);
        let asm = self.tl.rng.frange(2.0, 6.0);
        let mhz = self.tl.rng.range(500, 700);
        self.coord(
            tc,
            Level::INFO,
            CC,
            format!(
                "[Execution] {wd} finished execution for {jd} (1/1 workers done, Phase: {:.3}s, Delay: {:.3}s, Asm Execution: {asm:.3}s at {mhz} MHz)",
                (tc - p) as f64 / S as f64,
                delay as f64 / S as f64
            ),
        )
        .job(j)
        .worker(w)
        .phase(Phase::Execution)
        .tag(Phase::Execution)
        .mark(Mark::WorkerDone(j, w, Phase::Execution))
        .mark(Mark::PhaseEnd(j, Phase::Execution))
        .mark(Mark::Figure(j, Phase::Execution, (tc - p) / MS));
        let steps = dots(self.tl.rng.range(20_000_000, 400_000_000) as u64);
        let header = format!("[Execution] Job {jd} completed successfully \u{2714}");
        let dur = format!("Duration: {:.3}s", (tc + MS - t0) as f64 / S as f64);
        let plain = format!("{header} {dur} Steps: {steps}");
        let ansi = format!("\x1b[32m{header}\x1b[0m \x1b[1m{dur}\x1b[0m Steps: {steps}");
        self.coord(tc + MS, Level::INFO, CC, plain).job(j).ansi(ansi).tag(Phase::Execution).mark(Mark::JobEnd(j));
    }
}

/// 123456789 -> "123.456.789" (how the coordinator prints step counts).
pub fn dots(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}
