//! The release clusters' twelve minutes: six workers (auto IDs, two operator IDs that share
//! their first 8 characters, a short operator ID, a `-v` worker under MPI), the program's
//! setup, prove jobs with every failure the release can log, an execution-only job, a wrap
//! job, a worker restart, and a job still running at the end.

use tracing::Level;

use super::prove::Fate;
use super::{secs, Release, Sim, Worker};
use crate::emit::Format;
use crate::prng::Rng;
use crate::timeline::{host_of, Mark, Payload, PhaseRule, Timeline, MS, S};
use crate::truth::Phase;
use crate::write::JobPlan;

pub const END_US: i64 = 720 * S;

pub fn build(spec: &super::ClusterSpec) -> Sim {
    let rel = spec.release;
    let mut rng = Rng::new(spec.seed);
    let auto = |rng: &mut Rng| {
        let hex = rng.hex(32);
        if rel == Release::V0_12 {
            format!("worker-{hex}")
        } else {
            hex
        }
    };
    let v12 = rel == Release::V0_12;
    let plan: [(&str, Option<&str>, u32, bool, Format); 6] = [
        ("prover-a1", None, 1, false, Format::Json),
        ("gpu-node-01", Some("gpu-node-01"), 1, false, Format::Json),
        ("gpu-node-02", Some("gpu-node-02"), 1, false, Format::Compact),
        ("prover-mpi", None, if v12 { 1 } else { 2 }, !v12, Format::Json),
        ("prover-b7", None, 1, false, Format::Pretty),
        ("h100-a", Some("h100-a"), 1, false, Format::Json),
    ];
    let mut workers = Vec::new();
    for (host, op, ranks, verbose, format) in plan {
        let id = op.map_or_else(|| auto(&mut rng), str::to_string);
        workers.push(Worker {
            id,
            host: host.to_string(),
            cap: *rng.pick(&[16u32, 16, 32]),
            skew_us: rng.range(-400, 400) * MS + rng.range(0, 999),
            ranks,
            verbose,
            format: if v12 { format } else { Format::Zisk },
            full_id_logged: false,
        });
    }
    let hash = rng.hex(64);
    let mut sim = Sim {
        rel,
        tl: Timeline::new(rng),
        workers,
        jobs: Vec::new(),
        connected: vec![false; 6],
        hash,
        registrations: 0,
        reconnections: 0,
        coord_skew_us: 0,
    };
    sim.coord_skew_us = sim.tl.rng.range(-60, 60) * MS + sim.tl.rng.range(0, 999);
    sim.coordinator_start(0);
    let mut starts: Vec<(i64, usize)> = (0..6).map(|w| (sim.ms(900, 4_000), w)).collect();
    starts.sort();
    for (t, w) in starts {
        sim.worker_start(t, w);
        sim.connect(t + 5 * S, w, false);
    }
    let current = rel.current();
    if current {
        sim.setup_job(11 * S, &[0, 1, 2, 3, 4, 5], true);
    }
    let at = |s: i64, sim: &mut Sim| s * S + sim.ms(0, 900);
    let t = at(14, &mut sim);
    sim.prove_job(t, &[0, 1, 2, 3], Fate::Complete);
    let t = at(20, &mut sim);
    sim.prove_job(t, &[4, 5], Fate::Complete);
    let t = at(90, &mut sim);
    if current {
        sim.execute_job(t, 0);
    } else {
        sim.prove_job(t, &[0], Fate::Complete);
    }
    let t = at(95, &mut sim);
    let fate = if v12 { Fate::ProveFailure(2) } else { Fate::DropInProve(2) };
    sim.prove_job(t, &[1, 2, 3, 4], fate);
    let t = at(180, &mut sim);
    sim.prove_job(t, &[0, 1, 5], Fate::ContribFailure(1));
    let t = at(230, &mut sim);
    sim.prove_job(t, &[2, 3, 4], if current { Fate::CancelInProve } else { Fate::ProveFailure(3) });
    let t = at(280, &mut sim);
    sim.prove_job(t, &[0, 1, 2, 3, 4, 5], Fate::Complete);
    let t = at(350, &mut sim);
    sim.prove_job(t, &[0, 3], if current { Fate::AggTimeout } else { Fate::Complete });
    let t = at(360, &mut sim);
    sim.prove_job(t, &[1, 2], if current { Fate::HeartbeatStall(2) } else { Fate::Complete });
    if current {
        let t = at(480, &mut sim);
        sim.wrap_job(t, 4);
    }
    if !v12 {
        let t = at(490, &mut sim);
        sim.restart(t, 5);
    }
    let t = at(520, &mut sim);
    sim.prove_job(t, &[1, 2, 4, 5], Fate::AggFailure);
    let t = at(600, &mut sim);
    sim.prove_job(t, &[0, 1, 2, 3, 4, 5], Fate::Complete);
    let t = at(690, &mut sim);
    sim.prove_job(t, &[3, 4], Fate::Complete);
    sim.idle_noise(6 * S, END_US, 3);
    sim
}

impl Sim {
    /// An execution-only job (v0.17+): the coordinator starts it as Phase1, the worker runs it
    /// as Execution, and reports back without a line of its own.
    fn execute_job(&mut self, t0: i64, w: usize) -> i64 {
        let j = self.jobs.len();
        let id = self.tl.rng.uuid_v4();
        self.jobs.push(JobPlan {
            id: id.clone(),
            kind: "execute",
            outcome: "completed",
            reason: None,
            workers: vec![w],
            aggregator: None,
            phases: vec![Phase::Execution],
        });
        let (jd, wd) = (self.jd(j), self.wd(w));
        let cap = self.cap(self.workers[w].cap);
        self.coord(t0, Level::INFO, format!("[Job] Started {jd} successfully Capacity: {cap} Workers: 1"))
            .job(j)
            .mark(Mark::JobStart(j));
        let p = t0 + 3 * MS;
        self.coord(p, Level::INFO, format!("[Phase1] Started with 1 workers for {jd}"))
            .job(j)
            .tag(Phase::Contributions)
            .mark(Mark::PhaseStart(j, Phase::Execution));
        let ts = p + self.ms(3, 30);
        self.node(ts, w, Level::INFO, format!("Starting Execution-only for {id}"))
            .job(j)
            .tag(Phase::Execution)
            .open(j, Phase::Execution);
        self.compute(ts + 2 * MS, w, 0, Level::INFO, format!("Computing Execution (execution-only) for {jd}"))
            .job(j)
            .tag(Phase::Execution);
        let end = ts + self.ms(5_000, 11_000);
        self.proofman(ts + 10 * MS, end, w, &["EXECUTE"]);
        let tc = end + self.ms(4, 20);
        let ms = (tc - p) / MS;
        let asm = self.tl.rng.range(2_000, 6_000);
        let mhz = self.tl.rng.frange(500.0, 700.0) as f32;
        self.coord(
            tc,
            Level::INFO,
            format!("[Execution] {wd} finished execution for {jd} (1/1 workers done, Phase: {}s, Asm Execution: {}s at {mhz} MHz)", secs(ms), secs(asm)),
        )
        .job(j)
        .worker(w)
        .tag(Phase::Execution)
        .mark(Mark::WorkerDone(j, w, Phase::Execution))
        .mark(Mark::PhaseEnd(j, Phase::Execution))
        .mark(Mark::Figure(j, Phase::Execution, ms));
        let steps = crate::legacy::dots(self.tl.rng.range(20_000_000, 400_000_000) as u64);
        let header = format!("[Execution] Job {jd} completed successfully \u{2714}");
        let dur = format!("Duration: {}s", secs((tc + MS - t0) / MS));
        self.coord(tc + MS, Level::INFO, format!("{header} {dur} Steps: {steps} Instances: 37 Capacity: {cap}"))
            .job(j)
            .tag(Phase::Execution)
            .mark(Mark::JobEnd(j))
            .ansi(format!("\x1b[32m{header}\x1b[0m \x1b[1m{dur}\x1b[0m Steps: {steps} Instances: 37 Capacity: {cap}"));
        tc + MS
    }

    /// A wrap job (v0.17+): its own job ID, one worker, no phases.
    fn wrap_job(&mut self, t0: i64, w: usize) -> i64 {
        let j = self.jobs.len();
        let id = self.tl.rng.uuid_v4();
        self.jobs.push(JobPlan {
            id,
            kind: "wrap",
            outcome: "completed",
            reason: None,
            workers: vec![w],
            aggregator: None,
            phases: Vec::new(),
        });
        let (jd, wd) = (self.jd(j), self.wd(w));
        self.coord(t0, Level::INFO, format!("[Wrap] Job {jd} started on worker {wd}"))
            .job(j)
            .worker(w)
            .rule(PhaseRule::Never)
            .mark(Mark::JobStart(j));
        let end = t0 + self.ms(8_000, 20_000);
        self.proofman(t0 + 30 * MS, end, w, &["GENERATING_WRAPPER_SNARK_PROOF"]);
        self.coord(end + 20 * MS, Level::INFO, format!("[Wrap] Job {jd} completed successfully"))
            .job(j)
            .rule(PhaseRule::Never)
            .mark(Mark::JobEnd(j));
        end
    }

    /// The worker's process restarts (SIGTERM, a new banner, registration again).
    fn restart(&mut self, t: i64, w: usize) -> i64 {
        self.node(t, w, Level::INFO, "Received SIGTERM, shutting down gracefully".into());
        self.disconnect(t + 15 * MS, w, true);
        self.tl.other(t + 40 * MS, host_of(w), Payload::Restart);
        let tb = t + 3 * S;
        self.worker_start(tb, w);
        let t2 = self.connect(tb + 5 * S, w, true);
        if self.rel.current() {
            return self.setup_job(t2 + 50 * MS, &[w], false);
        }
        t2
    }
}
