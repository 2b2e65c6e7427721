//! A prove job as the coordinator runs it: Contributions on every worker, Prove on every
//! worker, the aggregator assigned at the first Prove result (so Prove and Aggregate overlap)
//! and fed one aggregation step per proof; and the ways such a job ends.

use tracing::Level;

use super::{secs, Release, Sim};
use crate::timeline::{Mark, MS, S};
use crate::truth::Phase::{Aggregate, Contributions, Prove};
use crate::write::JobPlan;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fate {
    /// Completes (or is still running when the logs end).
    Complete,
    /// The worker's stream drops after the aggregator was assigned (v0.15+).
    DropInProve(usize),
    /// The worker's Contributions fail with an anyhow chain (`Caused by:`).
    ContribFailure(usize),
    /// The worker reports a failed Prove.
    ProveFailure(usize),
    /// The client cancels during Prove (v0.17+).
    CancelInProve,
    /// Aggregation outlasts the 100 s limit (v0.17+).
    AggTimeout,
    /// The worker hangs in Prove and misses its heartbeats (v0.17+).
    HeartbeatStall(usize),
    /// The aggregator reports a failed aggregation.
    AggFailure,
}

/// One worker's planned part of a phase.
#[derive(Clone, Copy)]
pub struct Part {
    pub w: usize,
    pub start: i64,
    pub end: i64,
    /// When the coordinator receives the result.
    pub arrival: i64,
}

/// anyhow's `{:?}` of the prover's error: its message, then the chain of causes.
const CAUSES: &str = "witness computation failed for instance 17 (Mem)\n\nCaused by:\n    0: allocating the Mem trace buffer\n    1: CUDA error: out of memory (device 0, requested 6.25 GiB)";

impl Sim {
    pub fn prove_job(&mut self, t0: i64, ws: &[usize], fate: Fate) -> i64 {
        let j = self.jobs.len();
        let id = loop {
            let id = self.tl.rng.uuid_v4();
            if self.jobs.iter().all(|x| x.id[..8] != id[..8]) {
                break id;
            }
        };
        let outcome = match fate {
            Fate::Complete => "completed",
            Fate::CancelInProve => "cancelled",
            _ => "failed",
        };
        self.jobs.push(JobPlan {
            id: id.clone(),
            kind: "prove",
            outcome,
            reason: None,
            workers: ws.to_vec(),
            aggregator: None,
            phases: vec![Contributions, Prove, Aggregate],
        });
        let (jd, n) = (self.jd(j), ws.len());
        let cap = self.cap(ws.iter().map(|&w| self.workers[w].cap).sum());
        let started = match self.rel {
            Release::V0_12 => format!("[Job Started] Inputs=/data/inputs/block-{j}.bin | Capacity={cap} | Workers={n} | {jd}"),
            Release::V0_15 => format!("[Job] Started {jd} successfully Inputs: InputsPath(/data/inputs/block-{j}.bin) Capacity: {cap} Workers: {n}"),
            _ => format!("[Job] Started {jd} successfully Capacity: {cap} Workers: {n}"),
        };
        self.coord(t0, Level::INFO, started).job(j).mark(Mark::JobStart(j));
        if self.rel.current() {
            let bytes = self.tl.rng.range(2_000, 90_000);
            self.coord(t0 + MS, Level::INFO, format!("Job {jd} using inline input data ({bytes} bytes)")).job(j);
        }
        let p1 = t0 + self.ms(2, 6);
        let p1_line = if self.rel == Release::V0_12 {
            format!("[Phase1 started] {jd} with {n} workers")
        } else {
            format!("[Phase1] Started with {n} workers for {jd}")
        };
        self.coord(p1, Level::INFO, p1_line).job(j).tag(Contributions).mark(Mark::PhaseStart(j, Contributions));
        // Contributions.
        let mut parts = Vec::new();
        for &w in ws {
            let start = p1 + self.ms(3, 40);
            let end = start + self.ms(6_000, 16_000);
            parts.push(Part { w, start, end, arrival: end + self.ms(4, 30) });
        }
        if let Fate::ContribFailure(x) = fate {
            return self.contrib_failure(j, p1, &parts, x);
        }
        for p in parts.clone() {
            self.contribution(j, p, None);
        }
        parts.sort_by_key(|p| p.arrival);
        for (k, p) in parts.iter().enumerate() {
            self.phase1_result(j, p1, k, n, p);
        }
        let last1 = parts.last().expect("workers").arrival;
        if self.rel.current() {
            self.coord(
                last1 + MS,
                Level::INFO,
                format!(
                    "Execution Summary: Main: {} | Rom: 1 | Mem: 4 | Binary: 3 | Total global instances: {}",
                    3 * n,
                    12 * n
                ),
            );
        }
        // Prove.
        let p2 = last1 + self.ms(10, 40);
        let p2_line = if self.rel == Release::V0_12 {
            format!("[Phase2 started] {jd} with {n} workers")
        } else {
            format!("[Phase2] Started with {n} workers for {jd}")
        };
        self.coord(p2, Level::INFO, p2_line).job(j).tag(Prove).mark(Mark::PhaseStart(j, Prove));
        let mut proves = Vec::new();
        for &w in ws {
            let start = p2 + self.ms(5, 40);
            let end = start + self.ms(15_000, 38_000);
            proves.push(Part { w, start, end, arrival: end + self.ms(4, 30) });
        }
        proves.sort_by_key(|p| p.arrival);
        // Where the fate strikes, and which worker it strikes.
        let (cut, struck) = match fate {
            Fate::CancelInProve => (p2 + (proves[0].end - p2) * self.tl.rng.range(50, 85) / 100, None),
            Fate::ProveFailure(x) => {
                let px = proves.iter().find(|p| p.w == x).expect("worker of the job");
                let cut = px.start + (px.end - px.start) / 2;
                (cut.min(proves[0].end - S), Some(x))
            }
            Fate::DropInProve(x) | Fate::HeartbeatStall(x) => {
                // After the first other result (the aggregator is assigned), well before x's end.
                let first = proves.iter().filter(|p| p.w != x).map(|p| p.arrival).min().expect("other workers");
                let px = proves.iter_mut().find(|p| p.w == x).expect("worker of the job");
                if px.end < first + 12 * S {
                    px.end = first + 12 * S;
                    px.arrival = px.end + 9 * MS;
                }
                proves.sort_by_key(|p| p.arrival);
                (first + self.ms(500, 3_000), Some(x))
            }
            _ => (i64::MAX, None),
        };
        // The other workers stop computing when the job ends under them.
        let stop_all = match fate {
            Fate::CancelInProve | Fate::ProveFailure(_) => cut,
            Fate::DropInProve(_) => cut + 500 * MS,
            _ => i64::MAX,
        };
        for p in proves.clone() {
            let stop = if Some(p.w) == struck { cut } else { stop_all };
            self.prove_part(j, p, stop);
        }
        let computing: Vec<usize> =
            proves.iter().filter(|p| Some(p.w) != struck && p.end >= stop_all).map(|p| p.w).collect();
        match fate {
            Fate::CancelInProve => return self.cancel(j, cut, ws),
            Fate::ProveFailure(x) => return self.prove_failure(j, cut, ws, x),
            _ => {}
        }
        let done: Vec<Part> = proves.iter().copied().filter(|p| struck != Some(p.w)).collect();
        let agg = done[0].w;
        self.jobs[j].aggregator = Some(agg);
        let ad = self.wd(agg);
        let assigned = if self.rel == Release::V0_12 {
            format!("Assigned worker {ad} as aggregator for job {jd}")
        } else {
            format!("[Phase3] Assigned worker {ad} as aggregator for job {jd}")
        };
        let a0 = done[0].arrival;
        self.coord(a0, Level::INFO, assigned).job(j).worker(agg).tag(Aggregate).mark(Mark::PhaseStart(j, Aggregate));
        let mut steps = Vec::new();
        let cut_results = if matches!(fate, Fate::DropInProve(_)) { cut } else { i64::MAX };
        for (k, p) in done.iter().enumerate() {
            if p.arrival >= cut_results {
                break;
            }
            let all_done = k + 1 == n;
            self.phase2_result(j, p2, k, n, p, p.w == agg, all_done);
            steps.push(p.arrival + self.ms(5, 30));
        }
        for (k, &ts) in steps.iter().enumerate() {
            let last = k + 1 == n;
            self.aggregation_step(j, agg, ts, last);
        }
        let after = *steps.last().expect("the aggregator's own step");
        match fate {
            Fate::DropInProve(x) => {
                let mut stopped = vec![agg];
                stopped.extend(computing.iter().copied().filter(|&w| w != agg));
                self.dropped(j, cut, &stopped, x)
            }
            Fate::HeartbeatStall(x) => self.stalled(j, cut, x, agg),
            Fate::AggTimeout => self.agg_timeout(j, a0, after, agg),
            Fate::AggFailure => {
                let t = after + self.ms(1_500, 4_000);
                self.agg_failure(j, t, agg)
            }
            _ => self.finish(j, t0, p1, last1, p2, done.last().expect("results").arrival, a0, after, agg),
        }
    }

    pub(super) fn contribution(&mut self, j: usize, p: Part, fail_at: Option<i64>) {
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
        let stop = fail_at.unwrap_or(p.end);
        self.proofman(tc + 5 * MS, stop - 5 * MS, w, &["EXECUTE", "WITNESS_GENERATION"]);
        if let Some(t) = fail_at {
            self.compute(t, w, 0, Level::ERROR, format!("Failed to generate proof for {jd}: {CAUSES}")).job(j);
            self.compute(
                t + 2 * MS,
                w,
                0,
                Level::ERROR,
                format!("Contribution computation failed for {jd}: Failed to generate proof"),
            )
            .job(j)
            .tag(Contributions)
            .close(j);
            return;
        }
        for r in (0..self.ranks(w)).rev() {
            let l = self
                .compute(
                    p.end - r as i64 * 2 * MS,
                    w,
                    r,
                    Level::INFO,
                    format!("Contribution computation successful for {jd}"),
                )
                .job(j)
                .tag(Contributions);
            if r == 0 {
                l.close(j);
            }
        }
    }

    fn phase1_result(&mut self, j: usize, p1: i64, k: usize, n: usize, p: &Part) {
        let (jd, wd) = (self.jd(j), self.wd(p.w));
        let ms = (p.arrival - p1) / MS;
        let msg = match self.rel {
            Release::V0_12 => format!("[Phase1 progress] {jd} with {}/{n} workers completed", k + 1),
            Release::V0_15 => {
                format!("[Phase1] {wd} finished phase 1 for {jd} ({}/{n} workers done, {}s)", k + 1, secs(ms))
            }
            _ => {
                let delay = self.tl.rng.range(1, 60);
                let witness = self.tl.rng.range(1_500, 6_000);
                let asm = self.tl.rng.range(1_000, 4_000);
                let mhz = self.tl.rng.frange(420.0, 720.0) as f32;
                format!(
                    "[Phase1] {wd} finished phase 1 for {jd} ({}/{n} workers done, Phase: {}s, Delay: {}s, Witness: {}s, Asm Execution: {}s at {mhz} MHz)",
                    k + 1,
                    secs(ms),
                    secs(delay),
                    secs(witness),
                    secs(asm)
                )
            }
        };
        let named = self.rel != Release::V0_12;
        let l = self.coord(p.arrival, Level::INFO, msg).job(j).tag(Contributions);
        if named {
            l.worker(p.w).mark(Mark::WorkerDone(j, p.w, Contributions));
        }
        if k + 1 == n {
            l.mark(Mark::PhaseEnd(j, Contributions));
            if named {
                l.mark(Mark::Figure(j, Contributions, ms));
            }
        }
    }

    /// One worker's Prove, its lines stopping at `stop` (a fate that strikes it).
    fn prove_part(&mut self, j: usize, p: Part, stop: i64) {
        let (jd, w) = (self.jd(j), p.w);
        self.node(p.start, w, Level::INFO, format!("Starting Prove for {jd}")).job(j).tag(Prove).open(j, Prove);
        let tc = p.start + self.ms(2, 20);
        for r in 0..self.ranks(w) {
            self.compute(tc + r as i64 * MS, w, r, Level::INFO, format!("Computing Prove for {jd}")).job(j).tag(Prove);
        }
        self.proofman(tc + 5 * MS, p.end.min(stop) - 5 * MS, w, &["GENERATING_PROOFS", "GENERATING_INNER_PROOFS"]);
        if p.end < stop {
            self.compute(p.end, w, 0, Level::INFO, format!("Prove computation successful for {jd}"))
                .job(j)
                .tag(Prove)
                .close(j);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn phase2_result(&mut self, j: usize, p2: i64, k: usize, n: usize, p: &Part, aggregator: bool, all_done: bool) {
        let (jd, wd) = (self.jd(j), self.wd(p.w));
        let ms = (p.arrival - p2) / MS;
        if !aggregator && self.rel.current() {
            let totals = self.totals();
            self.coord(p.arrival, Level::INFO, format!("Worker {wd} Ready {totals}")).worker(p.w);
        }
        let msg = if self.rel == Release::V0_12 {
            format!("[Phase2 progress] {jd} with {}/{n} workers completed", k + 1)
        } else {
            format!("[Phase2] {wd} finished phase 2 for {jd} ({} / {n} workers done, {}s)", k + 1, secs(ms))
        };
        let named = self.rel != Release::V0_12;
        let l = self.coord(p.arrival + 1, Level::INFO, msg).job(j).tag(Prove);
        if named {
            l.worker(p.w).mark(Mark::WorkerDone(j, p.w, Prove));
        }
        if all_done {
            l.mark(Mark::PhaseEnd(j, Prove));
            if named {
                l.mark(Mark::Figure(j, Prove, ms));
            }
        }
    }

    fn aggregation_step(&mut self, j: usize, agg: usize, t: i64, last: bool) {
        let jd = self.jd(j);
        self.compute(t, agg, 0, Level::INFO, format!("Starting aggregation step for {jd}"))
            .job(j)
            .tag(Aggregate)
            .open(j, Aggregate);
        let k = self.tl.rng.range(2, 6);
        let target = crate::emit::Target::Proofman;
        self.lib(t + 40 * MS, agg, 0, Level::INFO, target, format!("Received [{k}] aggregated proofs"));
        if last {
            let n = self.jobs[j].workers.len();
            self.lib(t + 90 * MS, agg, 0, Level::INFO, target, format!("Last proof received. [{n}] proofs were received and waiting for 1 aggregated proofs to be generated..."));
        }
    }

    /// A completed job: the aggregator's final proof, then the coordinator's summary lines.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        j: usize,
        t0: i64,
        p1: i64,
        last1: i64,
        p2: i64,
        last2: i64,
        a0: i64,
        after: i64,
        agg: usize,
    ) -> i64 {
        let (jd, ad) = (self.jd(j), self.wd(agg));
        let e3 = after + self.ms(2_500, 7_000);
        self.proofman(after + 200 * MS, e3 - 10 * MS, agg, &["GENERATE_VADCOP_FINAL_PROOF"]);
        self.compute(e3, agg, 0, Level::INFO, format!("Aggregation task completed for {jd}"))
            .job(j)
            .tag(Aggregate)
            .close(j);
        let tc = e3 + self.ms(5, 25);
        let (m1, m2, m3) = ((last1 - p1) / MS, (last2 - p2) / MS, (tc - a0) / MS);
        if self.rel.current() {
            let totals = self.totals();
            self.coord(tc, Level::INFO, format!("Worker {ad} Ready {totals}")).worker(agg);
        }
        if self.rel != Release::V0_12 {
            self.coord(
                tc + 1,
                Level::INFO,
                format!("[Phase3] WorkerId {ad} done, phase 3 completed for {jd} ({}s)", secs(m3)),
            )
            .job(j)
            .worker(agg)
            .tag(Aggregate)
            .mark(Mark::WorkerDone(j, agg, Aggregate))
            .mark(Mark::PhaseEnd(j, Aggregate))
            .mark(Mark::Figure(j, Aggregate, m3));
        }
        let tf = tc + 2 * MS;
        let total = secs((tf - t0) / MS);
        let cap = self.cap(self.jobs[j].workers.iter().map(|&w| self.workers[w].cap).sum());
        let steps = crate::legacy::dots(self.tl.rng.range(50_000_000, 900_000_000) as u64);
        let inst = self.tl.rng.range(120, 900);
        let split = format!("({}s+{}s+{}s)", secs(m1), secs(m2), secs(m3));
        let header = format!("[Job] Finished {jd} successfully \u{2714}");
        let (plain, ansi) = match self.rel {
            Release::V0_12 => (format!("[Job Finished] {jd} (duration: {total}s)"), None),
            Release::V0_15 => (format!("{header} Duration: {total}s {split} Steps: {steps} Inputs: InputsPath(/data/inputs/block-{j}.bin), Capacity: {cap} "), None),
            _ => {
                let plain = format!("{header} Duration: {total}s {split} Steps: {steps} Instances: {inst} Capacity: {cap}");
                let ansi = format!("\x1b[32m{header}\x1b[0m \x1b[1mDuration: {total}s\x1b[0m {split} \x1b[1mSteps: {steps}\x1b[0m Instances: {inst} Capacity: {cap}");
                (plain, Some(ansi))
            }
        };
        let v12 = self.rel == Release::V0_12;
        let l = self.coord(tf, Level::INFO, plain).job(j).mark(Mark::JobEnd(j));
        if let Some(a) = ansi {
            l.ansi(a);
        }
        if v12 {
            l.mark(Mark::PhaseEnd(j, Aggregate));
        } else {
            for (p, ms) in [(Contributions, m1), (Prove, m2), (Aggregate, m3)] {
                l.mark(Mark::Figure(j, p, ms));
            }
        }
        if self.rel == Release::V0_15 {
            self.coord(tf + 1, Level::INFO, format!("[Job] Summary for {jd}")).job(j);
            for (k, w) in self.jobs[j].workers.clone().into_iter().enumerate() {
                let wd = self.wd(w);
                let ms = self.tl.rng.range(6_000, 30_000);
                self.coord(
                    tf + 2 + k as i64,
                    Level::INFO,
                    format!(
                        "[Job] Prove {wd} - Duration: {ms}ms, Success: true, End Time: 2026-11-21 10:{:02}:00.000 UTC",
                        tf / S / 60
                    ),
                )
                .worker(w)
                .tag(Prove);
            }
        }
        if self.rel.current() {
            let times: Vec<(usize, i64)> =
                self.jobs[j].workers.iter().map(|&w| (w, self.tl.rng.range(5_000, 30_000) * MS)).collect();
            self.performance(tf + 3, j, "Contributions Performance", &times, Contributions);
            let times: Vec<(usize, i64)> =
                self.jobs[j].workers.iter().map(|&w| (w, self.tl.rng.range(15_000, 38_000) * MS)).collect();
            self.performance(tf + 4, j, "Prove Performance", &times, Prove);
            self.uptime(tf + 5);
        }
        tf
    }
}
