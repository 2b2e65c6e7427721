//! The cluster simulation: a scenario is built as timed items per host, sorted by true time, then
//! emitted through each host's tracing dispatcher while the ground truth is recorded.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use tracing::{Dispatch, Level};

use crate::clock::{self, fmt_ts, START_US};
use crate::emit::{self, Carrier, Format, Target};
use crate::prng::Rng;
use crate::sink::MemSink;
use crate::truth::*;
use crate::zfmt;

pub const COORD_URL: &str = "http://coordinator:50052";
const S: i64 = 1_000_000;
const MS: i64 = 1_000;
const END_US: i64 = 600 * S;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    Documented,
    Message,
}

pub struct ClusterSpec {
    pub name: &'static str,
    /// Formats of coordinator, worker-01..04 (a host switches to its next format at a restart).
    pub formats: [&'static [Format]; 5],
    pub shape: Shape,
    pub debug: bool,
    pub seed: u64,
    /// Which worker (0-based) runs as 2 MPI ranks (only printed by the zisk formats).
    pub mpi_worker: Option<usize>,
    /// All hosts restart (and switch format) during the quiet window.
    pub rolling_restart: bool,
}

pub fn specs() -> Vec<ClusterSpec> {
    use Format::*;
    let one = |f: &'static [Format]| [f, f, f, f, f];
    let mut v = Vec::new();
    let plain: [(&str, &'static [Format], Shape, bool); 8] = [
        ("json-documented", &[Json], Shape::Documented, false),
        ("json-message", &[Json], Shape::Message, false),
        ("full-documented", &[Full], Shape::Documented, true),
        ("full-message", &[Full], Shape::Message, false),
        ("compact-documented", &[Compact], Shape::Documented, false),
        ("compact-message", &[Compact], Shape::Message, true),
        ("pretty-documented", &[Pretty], Shape::Documented, false),
        ("pretty-message", &[Pretty], Shape::Message, false),
    ];
    for (i, (name, f, shape, debug)) in plain.into_iter().enumerate() {
        v.push(ClusterSpec {
            name,
            formats: one(f),
            shape,
            debug,
            seed: 1000 + i as u64,
            mpi_worker: None,
            rolling_restart: false,
        });
    }
    v.push(ClusterSpec {
        name: "zisk",
        formats: one(&[Zisk]),
        shape: Shape::Message,
        debug: false,
        seed: 2001,
        mpi_worker: Some(2),
        rolling_restart: false,
    });
    v.push(ClusterSpec {
        name: "zisk-ansi",
        formats: one(&[ZiskAnsi]),
        shape: Shape::Message,
        debug: true,
        seed: 2002,
        mpi_worker: Some(1),
        rolling_restart: false,
    });
    v.push(ClusterSpec {
        name: "mixed",
        formats: [
            &[Pretty, Zisk],
            &[Json, Compact],
            &[Full, Json],
            &[Zisk, Full],
            &[Compact, Pretty],
        ],
        shape: Shape::Documented,
        debug: false,
        seed: 3003,
        mpi_worker: None,
        rolling_restart: true,
    });
    v
}

// ---------------------------------------------------------------------------------------------
// Scenario items

#[derive(Clone, Copy, Debug)]
enum Mark {
    JobStart(usize),
    JobEnd(usize),
    PhaseStart(usize, Phase),
    PhaseEnd(usize, Phase),
}

#[derive(Clone, Debug)]
struct Log {
    level: Level,
    target: Target,
    msg: String,
    /// The same message with its own ANSI colours (used by the zisk-ansi format only).
    ansi: Option<String>,
    job: Option<usize>,
    worker: Option<usize>,
    phase: Option<Phase>,
    rank: u32,
    mark: Option<Mark>,
}

impl Log {
    fn job(&mut self, j: usize) -> &mut Self {
        self.job = Some(j);
        self
    }
    fn worker(&mut self, w: usize) -> &mut Self {
        self.worker = Some(w);
        self
    }
    fn phase(&mut self, p: Phase) -> &mut Self {
        self.phase = Some(p);
        self
    }
    fn mark(&mut self, m: Mark) -> &mut Self {
        self.mark = Some(m);
        self
    }
    fn ansi(&mut self, s: String) -> &mut Self {
        self.ansi = Some(s);
        self
    }
    fn rank(&mut self, r: u32) -> &mut Self {
        self.rank = r;
        self
    }
}

#[derive(Clone, Debug)]
enum Payload {
    Banner(Vec<String>),
    Log(Log),
    Restart,
}

#[derive(Clone, Debug)]
struct Item {
    t: i64,
    seq: u64,
    host: usize,
    payload: Payload,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fate {
    Complete,
    DropInProve(usize),
    ErrorInProve(usize),
    CancelInProve,
}

struct JobPlan {
    id: String,
    outcome: &'static str,
    reason: Option<String>,
    workers: Vec<usize>,
    exec_only: bool,
    hash: String,
}

pub struct WorkerPlan {
    pub id: String,
    pub cap: u32,
    pub skew_us: i64,
    pub ranks: u32,
    pub gpu: &'static str,
}

struct Scenario {
    rng: Rng,
    items: Vec<Item>,
    seq: u64,
    jobs: Vec<JobPlan>,
    workers: Vec<WorkerPlan>,
    /// (worker, job) pairs whose setup was already received.
    setups: HashSet<(usize, usize)>,
    connected: Vec<bool>,
    spec_mpi: bool,
    log_level: &'static str,
}

const COORD: usize = 0;
fn host_of(w: usize) -> usize {
    w + 1
}

impl Scenario {
    fn push(&mut self, t: i64, host: usize, level: Level, target: Target, msg: String) -> &mut Log {
        self.seq += 1;
        self.items.push(Item {
            t,
            seq: self.seq,
            host,
            payload: Payload::Log(Log {
                level,
                target,
                msg,
                ansi: None,
                job: None,
                worker: None,
                phase: None,
                rank: 0,
                mark: None,
            }),
        });
        match &mut self.items.last_mut().unwrap().payload {
            Payload::Log(l) => l,
            _ => unreachable!(),
        }
    }
    fn coord(&mut self, t: i64, level: Level, target: Target, msg: String) -> &mut Log {
        self.push(t, COORD, level, target, msg)
    }
    fn wk(&mut self, t: i64, w: usize, level: Level, target: Target, msg: String) -> &mut Log {
        self.push(t, host_of(w), level, target, msg)
    }
    fn other(&mut self, t: i64, host: usize, payload: Payload) {
        self.seq += 1;
        self.items.push(Item { t, seq: self.seq, host, payload });
    }
    fn jd(&self, j: usize) -> String {
        short("JobId", &self.jobs[j].id)
    }
    fn wd(&self, w: usize) -> String {
        short("WorkerId", &self.workers[w].id)
    }
    fn ms(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.range(lo * MS, hi * MS)
    }
    fn totals(&self) -> String {
        let n = self.connected.iter().filter(|c| **c).count();
        let cc: u32 =
            self.workers.iter().zip(&self.connected).filter(|(_, c)| **c).map(|(w, _)| w.cap).sum();
        format!("(total: {n} CC: {cc} ACC: {cc})")
    }

    fn banner(&mut self, t: i64, w: usize, version: &str) {
        let wp = &self.workers[w];
        let mut lines = vec![format!("ZisK Worker v{version}")];
        let mut kv = |k: &str, v: String| lines.push(format!("{k:>12} {v}"));
        kv("Worker ID", wp.id.clone());
        kv("Coordinator", COORD_URL.to_string());
        kv("Version", format!("{version} (git 3e1f0a7)"));
        kv("Capacity", format!("{}CU", wp.cap));
        kv("GPU", wp.gpu.to_string());
        if self.spec_mpi && wp.ranks > 1 {
            kv("MPI ranks", wp.ranks.to_string());
        }
        kv("Proving key", "/var/lib/zisk/provingKey".to_string());
        kv("Log level", self.log_level.to_string());
        self.other(t, host_of(w), Payload::Banner(lines));
    }

    /// Worker connects and registers; coordinator logs the registration.
    fn connect(&mut self, t: i64, w: usize, reconnect: bool) -> i64 {
        self.wk(t, w, Level::INFO, Target::WorkerNode, format!("Connecting to coordinator at {COORD_URL}"));
        let t1 = t + self.ms(8, 40);
        self.connected[w] = true;
        let (id, wd, totals) = (self.workers[w].id.clone(), self.wd(w), self.totals());
        if reconnect {
            self.coord(t1, Level::INFO, Target::CoordPool, format!("Reconnected worker: {wd} {totals}")).worker(w);
        } else {
            self.coord(t1, Level::INFO, Target::CoordPool, format!("{id} registered successfully")).worker(w);
            self.coord(t1 + 150, Level::INFO, Target::CoordPool, format!("Registered worker: {wd} {totals}"))
                .worker(w);
        }
        let cap = self.workers[w].cap;
        let t2 = t1 + self.ms(3, 12);
        self.wk(
            t2,
            w,
            Level::INFO,
            Target::WorkerNode,
            format!("Registration accepted: capacity {cap}CU, coordinator v0.15.0"),
        );
        let n = self.connected.iter().filter(|c| **c).count();
        self.coord(t2 + 400, Level::INFO, Target::CoordPool, format!("Worker {wd} ready (total: {n})")).worker(w);
        t2
    }

    fn disconnect(&mut self, t: i64, w: usize) {
        self.connected[w] = false;
        let (wd, totals) = (self.wd(w), self.totals());
        self.coord(t, Level::WARN, Target::CoordPool, format!("Worker {wd} disconnected")).worker(w);
        self.coord(t + 90, Level::INFO, Target::CoordPool, format!("Disconnected worker: {wd} {totals}")).worker(w);
    }

    fn coordinator_start(&mut self, t: i64) {
        use Target::CoordServer as T;
        self.coord(t, Level::INFO, T, "[Coordinator] Starting ZisK coordinator v0.15.0".into());
        self.coord(t + 700, Level::INFO, T, "[Coordinator] Loaded configuration from /etc/zisk/coordinator.toml".into());
        self.coord(t + 2_100, Level::INFO, T, "[Coordinator] Public API listening on 0.0.0.0:7001".into());
        self.coord(t + 2_300, Level::INFO, T, "[Coordinator] Worker service listening on 0.0.0.0:50052".into());
        self.coord(t + 2_500, Level::INFO, T, "[Coordinator] Metrics exposed on http://0.0.0.0:9090/metrics".into());
        self.coord(t + 2_600, Level::DEBUG, T, "[Coordinator] Job capacity policy: best-fit, min workers 1".into());
    }

    fn setup(&mut self, t: i64, w: usize, j: usize) -> i64 {
        if !self.setups.insert((w, j)) {
            return t;
        }
        let (full, hash) = (self.jobs[j].id.clone(), self.jobs[j].hash.clone());
        self.wk(t, w, Level::INFO, Target::WorkerService, format!("[Setup] job_id {full} Received setup for hash_id {hash}"))
            .job(j);
        let t1 = t + self.ms(150, 1400);
        let secs = (t1 - t) as f64 / S as f64;
        self.wk(
            t1,
            w,
            Level::INFO,
            Target::WorkerService,
            format!("[Setup] job_id {full} Completed setup for hash_id {hash} ({secs:.3}s)"),
        )
        .job(j);
        t1
    }

    /// Emits a worker-side line, duplicated on rank 1 for an MPI worker.
    fn wk_ranked(&mut self, t: i64, w: usize, level: Level, target: Target, msg: String, j: usize, p: Phase) {
        self.wk(t, w, level, target, msg.clone()).job(j).phase(p);
        if self.spec_mpi && self.workers[w].ranks > 1 {
            let dt = self.ms(1, 30);
            self.wk(t + dt, w, level, target, msg).job(j).phase(p).rank(1);
        }
    }

    fn cancel_workers(&mut self, t: i64, j: usize, ws: &[usize], reason: &str) {
        for &w in ws {
            let tw = t + self.ms(15, 80);
            let jd = self.jd(j);
            self.wk(tw, w, Level::WARN, Target::WorkerService, format!("Job {jd} cancelled: {reason}")).job(j);
            let tc = tw + self.ms(5, 30);
            let wd = self.wd(w);
            self.coord(tc, Level::INFO, Target::CoordCoordinator, format!("Worker {wd} acknowledged cancellation of job {jd}"))
                .job(j)
                .worker(w);
        }
    }

    /// A proving job: Contributions -> Prove -> Aggregate, with a fate.
    fn job(&mut self, j: usize, t0: i64, agg: usize, fate: Fate) {
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
                .phase(Contributions);
            let t2 = t1 + self.ms(2, 20);
            self.wk_ranked(t2, w, Level::INFO, Target::Worker, format!("Computing Contribution for {jd}"), j, Contributions);
            let witness = self.rng.frange(2.0, 6.0);
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
            self.wk_ranked(end, w, Level::INFO, Target::Worker, format!("Contribution computation successful for {jd}"), j, Contributions);
            ends.push((end + self.ms(4, 30), w, delay, witness));
        }
        ends.sort_by_key(|e| (e.0, e.1));
        for (k, &(t, w, delay, witness)) in ends.iter().enumerate() {
            let wd = self.wd(w);
            let phase = (t - p1) as f64 / S as f64;
            let asm = self.rng.frange(1.2, 4.0);
            let mhz = self.rng.range(480, 720);
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
                .phase(Contributions);
            if k + 1 == n {
                l.mark(Mark::PhaseEnd(j, Contributions));
            }
        }
        let p1_end = ends.last().unwrap().0;
        let p1_secs = (p1_end - p1) as f64 / S as f64;
        self.coord(p1_end + 900, Level::INFO, CC, format!("[Job] Contributions {jd}: {n} challenges aggregated in {:.3}s", 0.0009 * n as f64))
            .job(j)
            .phase(Contributions);
        // Phase 2.
        let p2 = p1_end + self.ms(10, 40);
        self.coord(p2, Level::INFO, CC, format!("[Phase2] Started with {n} workers for {jd}"))
            .job(j)
            .phase(Prove)
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
            self.wk_ranked(t1, w, Level::INFO, Target::Worker, format!("Computing Prove for {jd}"), j, Prove);
            let dur = self.ms(15_000, 38_000);
            pends.push((t1 + dur, w, t1));
        }
        // When does the fate strike?
        let cut = match fate {
            Fate::Complete => i64::MAX,
            Fate::DropInProve(w) | Fate::ErrorInProve(w) => {
                let &(end, _, st) = pends.iter().find(|p| p.1 == w).unwrap();
                st + (end - st) * self.rng.range(40, 70) / 100
            }
            Fate::CancelInProve => {
                let first = pends.iter().map(|p| p.0).min().unwrap();
                p2 + (first - p2) * self.rng.range(50, 85) / 100
            }
        };
        // Debug progress lines and the successes before the cut.
        pends.sort();
        let mut done = 0;
        for &(end, w, st) in &pends {
            let segs = self.rng.range(8, 24);
            for q in 1..=2 {
                let tq = st + (end - st) * q / 3;
                if tq < cut {
                    let k = segs * q / 3;
                    self.wk(tq, w, Level::DEBUG, Target::Worker, format!("Prove: {k}/{segs} segments generated for {jd}"))
                        .job(j)
                        .phase(Prove);
                }
            }
            if end >= cut {
                continue;
            }
            self.wk_ranked(end, w, Level::INFO, Target::Worker, format!("Prove computation successful for {jd}"), j, Prove);
            done += 1;
            let tc = end + self.ms(4, 30);
            let wd = self.wd(w);
            let secs = (tc - p2) as f64 / S as f64;
            let l = self
                .coord(tc, Level::INFO, CC, format!("[Phase2] {wd} finished phase 2 for {jd} ({done}/{n} workers done, {secs:.3}s)"))
                .job(j)
                .worker(w)
                .phase(Prove);
            if done == n {
                l.mark(Mark::PhaseEnd(j, Prove));
            }
            self.coord(tc + 60, Level::INFO, CC, format!("[Phase2 progress] Worker {wd} done. (duration: {:.3}s)", (end - st) as f64 / S as f64))
                .job(j)
                .worker(w)
                .phase(Prove);
        }
        let unfinished: Vec<usize> = pends.iter().filter(|p| p.0 >= cut).map(|p| p.1).collect();
        match fate {
            Fate::Complete => {}
            Fate::DropInProve(x) => {
                let wd = self.wd(x);
                self.wk(cut, x, Level::ERROR, Target::WorkerNode, "gRPC stream error: transport error: connection reset by peer".into());
                self.wk(cut + 300, x, Level::WARN, Target::WorkerNode, "Stream closed, will reconnect".into());
                self.wk(cut + 2_000, x, Level::WARN, Target::WorkerService, format!("Job {jd} cancelled: connection to coordinator lost"))
                    .job(j)
                    .phase(Prove);
                let tc = cut + self.ms(20, 60);
                self.coord(tc, Level::ERROR, CC, format!("Worker {wd} connection dropped while computing for job {jd}"))
                    .job(j)
                    .worker(x)
                    .phase(Prove);
                self.disconnect(tc + 500, x);
                let reason = "worker connection dropped during Prove";
                self.jobs[j].reason = Some(reason.into());
                self.coord(tc + 2_000, Level::ERROR, CC, format!("Failed job {jd} (reason: {reason})"))
                    .job(j)
                    .phase(Prove)
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
                self.wk(cut + 800, x, Level::ERROR, Target::WorkerService, format!("Prove computation failed for {jd}: {err}"))
                    .job(j)
                    .phase(Prove);
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
                    .mark(Mark::JobEnd(j));
                let others: Vec<usize> = unfinished.iter().copied().filter(|&w| w != x).collect();
                self.cancel_workers(tc + 1_600, j, &others, "job failed");
            }
            Fate::CancelInProve => {
                let reason = "cancelled by client request";
                self.jobs[j].reason = Some(reason.into());
                self.coord(cut, Level::INFO, Target::CoordServer, format!("Cancel request received for {jd}"))
                    .job(j);
                self.coord(cut + 1_200, Level::WARN, CC, format!("Cancelled job {jd}"))
                    .job(j)
                    .phase(Prove)
                    .mark(Mark::JobEnd(j));
                self.cancel_workers(cut + 1_300, j, &unfinished, reason);
            }
        }
        if fate != Fate::Complete {
            return;
        }
        let p2_end = pends.last().unwrap().0 + 40 * MS;
        let p2_secs = (p2_end - p2) as f64 / S as f64;
        let mhz = self.rng.frange(120.0, 260.0);
        self.coord(p2_end + 500, Level::INFO, CC, format!("[Job] Prove Performance {jd}: {mhz:.2} MHz over {n} workers"))
            .job(j)
            .phase(Prove);
        // Phase 3.
        let p3 = p2_end + self.ms(10, 30);
        let ad = self.wd(agg);
        self.coord(p3, Level::INFO, CC, format!("[Phase3] Assigned worker {ad} as aggregator for job {jd}"))
            .job(j)
            .worker(agg)
            .phase(Aggregate)
            .mark(Mark::PhaseStart(j, Aggregate));
        let t1 = p3 + self.ms(5, 30);
        self.wk(t1, agg, Level::INFO, Target::WorkerService, format!("Starting aggregation step for {jd}"))
            .job(j)
            .phase(Aggregate);
        self.wk(t1 + 300, agg, Level::DEBUG, Target::Worker, format!("Aggregating {n} partial proofs for {jd}"))
            .job(j)
            .phase(Aggregate);
        let t2 = t1 + self.ms(2_500, 7_000);
        self.wk(t2, agg, Level::INFO, Target::WorkerService, format!("Aggregation task completed for {jd}"))
            .job(j)
            .phase(Aggregate);
        let p3_end = t2 + self.ms(5, 25);
        let p3_secs = (p3_end - p3) as f64 / S as f64;
        self.coord(p3_end, Level::INFO, CC, format!("[Phase3] WorkerId {ad} done, phase 3 completed for {jd} ({p3_secs:.3}s)"))
            .job(j)
            .worker(agg)
            .phase(Aggregate)
            .mark(Mark::PhaseEnd(j, Aggregate));
        let total = (p3_end + 2 * MS - t0) as f64 / S as f64;
        let steps = dots(self.rng.range(50_000_000, 900_000_000) as u64);
        let inst = self.rng.range(120, 900);
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
        self.coord(p3_end + 2 * MS, Level::INFO, CC, plain).job(j).ansi(ansi).mark(Mark::JobEnd(j));
    }

    /// An execution-only job on one worker.
    fn exec_job(&mut self, j: usize, t0: i64) {
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
            .mark(Mark::PhaseStart(j, Phase::Execution));
        let delay = self.ms(3, 30);
        let ts = self.setup(p + delay, w, j);
        self.wk(ts + 2 * MS, w, Level::INFO, Target::Worker, format!("Computing Execution for {jd}"))
            .job(j)
            .phase(Phase::Execution);
        let end = ts + self.ms(5_000, 11_000);
        self.wk(end, w, Level::INFO, Target::Worker, format!("Execution computation successful for {jd}"))
            .job(j)
            .phase(Phase::Execution);
        let tc = end + self.ms(4, 20);
        let asm = self.rng.frange(2.0, 6.0);
        let mhz = self.rng.range(500, 700);
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
        .mark(Mark::PhaseEnd(j, Phase::Execution));
        let steps = dots(self.rng.range(20_000_000, 400_000_000) as u64);
        let header = format!("[Execution] Job {jd} completed successfully \u{2714}");
        let dur = format!("Duration: {:.3}s", (tc + MS - t0) as f64 / S as f64);
        let plain = format!("{header} {dur} Steps: {steps}");
        let ansi = format!("\x1b[32m{header}\x1b[0m \x1b[1m{dur}\x1b[0m Steps: {steps}");
        self.coord(tc + MS, Level::INFO, CC, plain).job(j).ansi(ansi).mark(Mark::JobEnd(j));
    }
}

/// 123456789 -> "123.456.789" (how the coordinator prints step counts).
pub fn dots(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

const SHORT_IDS: &[&str] = &["gpu-07", "h100-a", "prover3", "gpu-12", "node-b"];
const GPUS: &[&str] = &["NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB", "NVIDIA RTX 4090"];

fn build_scenario(spec: &ClusterSpec) -> Scenario {
    let mut rng = Rng::new(spec.seed);
    let short_at = rng.range(0, 3) as usize;
    let mut workers = Vec::new();
    let mut used = HashSet::new();
    for w in 0..4 {
        let id = if w == short_at { rng.pick(SHORT_IDS).to_string() } else { rng.uuid_v4() };
        assert!(used.insert(id.chars().take(8).collect::<String>()));
        let skew_us = rng.range(-400, 400) * MS + rng.range(0, 999);
        workers.push(WorkerPlan {
            id,
            cap: *rng.pick(&[16u32, 16, 32]),
            skew_us,
            ranks: if spec.mpi_worker == Some(w) { 2 } else { 1 },
            gpu: *rng.pick(GPUS),
        });
    }
    let mut sc = Scenario {
        rng,
        items: Vec::new(),
        seq: 0,
        jobs: Vec::new(),
        workers,
        setups: HashSet::new(),
        connected: vec![false; 4],
        spec_mpi: spec.mpi_worker.is_some(),
        log_level: if spec.debug { "debug" } else { "info" },
    };
    // Jobs: (start s, workers, fate/exec-only, outcome)
    let plan: [(i64, &[usize], Option<Fate>, &str); 9] = [
        (14, &[0, 1, 2, 3], Some(Fate::Complete), "completed"),
        (41, &[1, 2], Some(Fate::Complete), "completed"),
        (118, &[0], None, "completed"),
        (140, &[0, 1, 2, 3], Some(Fate::DropInProve(2)), "failed"),
        (250, &[0, 1, 3], Some(Fate::ErrorInProve(1)), "failed"),
        (320, &[0, 2, 3], Some(Fate::CancelInProve), "cancelled"),
        (345, &[0, 1, 2], Some(Fate::Complete), "completed"),
        (440, &[0, 1, 2, 3], Some(Fate::Complete), "completed"),
        (570, &[1, 3], Some(Fate::Complete), "completed"),
    ];
    let mut prefixes = HashSet::new();
    for (_, ws, fate, outcome) in plan.iter() {
        let id = loop {
            let id = sc.rng.uuid_v4();
            if prefixes.insert(id[..8].to_string()) {
                break id;
            }
        };
        let hash = sc.rng.hex(16);
        sc.jobs.push(JobPlan {
            id,
            outcome,
            reason: None,
            workers: ws.to_vec(),
            exec_only: fate.is_none(),
            hash,
        });
    }
    // Start-up.
    sc.coordinator_start(0);
    let mut starts: Vec<(i64, usize)> = (0..4).map(|w| (sc.ms(900, 4_000), w)).collect();
    starts.sort();
    for (t, w) in starts {
        sc.banner(t, w, "0.15.0");
        sc.connect(t + 200 * MS, w, false);
    }
    // Jobs.
    for (j, (start, ws, fate, _)) in plan.iter().enumerate() {
        let t0 = start * S + sc.ms(0, 900);
        match fate {
            None => sc.exec_job(j, t0),
            Some(f) => {
                let agg = ws[sc.rng.range(0, ws.len() as i64 - 1) as usize];
                sc.job(j, t0, agg, *f)
            }
        }
    }
    // Coordinator restart in the quiet window (all workers lose their stream and reconnect).
    let tr = 215 * S + sc.ms(0, 500);
    sc.coord(tr, Level::INFO, Target::CoordServer, "[Coordinator] Shutdown signal received, draining connections".into());
    sc.coord(tr + 400 * MS, Level::INFO, Target::CoordServer, "[Coordinator] Stopped".into());
    for w in 0..4 {
        let t = tr + sc.ms(405, 460);
        sc.wk(t, w, Level::WARN, Target::WorkerNode, "Stream closed, will reconnect".into());
        sc.connected[w] = false;
    }
    let tup = tr + 3 * S;
    sc.other(tup - 1, COORD, Payload::Restart);
    sc.coordinator_start(tup);
    sc.coord(tup + 3 * MS, Level::INFO, Target::CoordServer, "[Recovery] No in-flight jobs to recover".into());
    let mut recon: Vec<(i64, usize)> = (0..4).map(|w| (tup + sc.ms(800, 2_500), w)).collect();
    recon.sort();
    for (t, w) in recon {
        sc.wk(t - 400 * MS, w, Level::WARN, Target::WorkerNode, format!("Failed to connect to {COORD_URL}: transport error (retrying in 2s)"));
        if spec.rolling_restart {
            // Rolling upgrade: the worker process restarts (new banner, maybe new format).
            let tb = t - 300 * MS;
            sc.wk(tb - 50 * MS, w, Level::INFO, Target::Worker, "Received shutdown signal, exiting".into());
            sc.other(tb - 10 * MS, host_of(w), Payload::Restart);
            sc.banner(tb, w, "0.15.1");
            sc.connect(t, w, false);
        } else {
            sc.connect(t, w, true);
        }
    }
    // worker-02 process restart after job 5 failed (not in the rolling-restart cluster).
    if !spec.rolling_restart {
        let t = 305 * S + sc.ms(0, 800);
        sc.wk(t, 1, Level::INFO, Target::Worker, "Received shutdown signal, exiting".into());
        sc.disconnect(t + 30 * MS, 1);
        let tb = t + 4 * S;
        sc.banner(tb, 1, "0.15.0");
        sc.connect(tb + 200 * MS, 1, false);
    }
    // Job-less warnings/errors on workers while jobs run.
    let t = 170 * S + sc.ms(0, 4_000);
    sc.wk(t, 3, Level::WARN, Target::Worker, "GPU memory pressure high: 74.2 GiB / 80.0 GiB in use".into());
    let t = 380 * S + sc.ms(0, 4_000);
    sc.wk(t, 0, Level::ERROR, Target::Worker, "NCCL watchdog: collective timed out on device 1, retrying".into());
    sc.wk(t + 1_800 * MS, 0, Level::INFO, Target::Worker, "NCCL collective recovered on device 1".into());
    let t = 470 * S + sc.ms(0, 4_000);
    sc.wk(t, 2, Level::WARN, Target::Worker, "GPU memory pressure high: 77.9 GiB / 80.0 GiB in use".into());
    let t = 455 * S + sc.ms(0, 4_000);
    let wd = sc.wd(2);
    sc.coord(t, Level::WARN, Target::CoordPool, format!("Worker {wd} heartbeat late by 2.418s")).worker(2);
    // Heartbeats (debug only).
    for w in 0..4 {
        let mut t = 20 * S + sc.ms(0, 9_000);
        while t < END_US {
            let wd = sc.wd(w);
            sc.wk(t, w, Level::DEBUG, Target::WorkerNode, "Heartbeat sent".into());
            let lat = sc.ms(1, 9);
            sc.coord(t + lat, Level::DEBUG, Target::CoordPool, format!("Heartbeat from {wd} ({}ms)", lat / MS)).worker(w);
            t += 45 * S + sc.ms(0, 400);
        }
    }
    sc.items.retain(|i| i.t <= END_US);
    sc.items.sort_by_key(|i| (i.t, i.seq));
    sc
}

// ---------------------------------------------------------------------------------------------
// Emission

struct Host {
    file: String,
    role: &'static str,
    worker: Option<usize>,
    skew_us: i64,
    formats: Vec<Format>,
    cur: usize,
    sink: MemSink,
    dispatch: Dispatch,
}

pub struct ClusterOutput {
    pub files: BTreeMap<String, Vec<u8>>,
    pub events: Vec<EventRow>,
    pub truth: ClusterTruth,
}

pub fn run_cluster(spec: &ClusterSpec) -> ClusterOutput {
    let sc = build_scenario(spec);
    let max = if spec.debug { Level::DEBUG } else { Level::INFO };
    let mut crng = Rng::new(spec.seed ^ 0xC0FFEE);
    let coord_skew = crng.range(-60, 60) * MS + crng.range(0, 999);
    let mut hosts: Vec<Host> = Vec::new();
    for h in 0..5 {
        let (file, role, worker, skew) = if h == 0 {
            ("coordinator.log".to_string(), "coordinator", None, coord_skew)
        } else {
            (format!("worker-{h:02}.log"), "worker", Some(h - 1), sc.workers[h - 1].skew_us)
        };
        let sink = MemSink::default();
        let formats = spec.formats[h].to_vec();
        let dispatch = emit::dispatch(formats[0], sink.clone(), skew, max, spec.debug);
        hosts.push(Host { file, role, worker, skew_us: skew, formats, cur: 0, sink, dispatch });
    }
    let job_short: Vec<String> = sc.jobs.iter().map(|j| short("JobId", &j.id)).collect();
    let wk_short: Vec<String> = sc.workers.iter().map(|w| short("WorkerId", &w.id)).collect();
    let mut events = Vec::new();
    let mut marks: Vec<(Mark, String)> = Vec::new();
    for item in &sc.items {
        let host = &mut hosts[item.host];
        match &item.payload {
            Payload::Restart => {
                if host.cur + 1 < host.formats.len() {
                    host.cur += 1;
                    host.dispatch =
                        emit::dispatch(host.formats[host.cur], host.sink.clone(), host.skew_us, max, spec.debug);
                }
            }
            Payload::Banner(lines) => {
                for l in lines {
                    let line = host.sink.lock().lines + 1;
                    host.sink.write_raw(&format!("{l}\n"));
                    events.push(EventRow {
                        file: host.file.clone(),
                        line,
                        ts: None,
                        level: None,
                        target: None,
                        message: l.clone(),
                        job_id: None,
                        worker_id: Some(sc.workers[host.worker.unwrap()].id.clone()),
                        phase: None,
                        role: host.role,
                    });
                }
            }
            Payload::Log(l) => {
                if l.level > max {
                    continue;
                }
                let format = host.formats[host.cur];
                let documented = spec.shape == Shape::Documented && !format.is_zisk();
                let carrier = if !documented {
                    Carrier::Nothing
                } else {
                    let r = crng.f64();
                    if r < 0.2 {
                        Carrier::Nothing
                    } else if r < 0.55 || l.job.is_none() {
                        Carrier::Fields
                    } else if r < 0.8 {
                        Carrier::JobSpan
                    } else {
                        Carrier::JobPhaseSpans
                    }
                };
                // Structured worker_id: the named worker on the coordinator, the own ID on a worker
                // (a documented worker sometimes tags its own lines).
                let own = host.worker;
                let field_worker = match own {
                    None => l.worker,
                    Some(w) => {
                        if crng.chance(0.5) {
                            Some(w)
                        } else {
                            None
                        }
                    }
                };
                let job_full = l.job.map(|j| sc.jobs[j].id.as_str());
                let wk_full = field_worker.map(|w| sc.workers[w].id.as_str());
                let ts = fmt_ts(START_US + item.t + host.skew_us);
                clock::set_now(START_US + item.t);
                zfmt::set_rank(if format.is_zisk() && own.is_some_and(|w| sc.workers[w].ranks > 1) {
                    Some(l.rank)
                } else {
                    None
                });
                let text = if format == Format::ZiskAnsi { l.ansi.as_deref().unwrap_or(&l.msg) } else { &l.msg };
                let (len0, lines0) = {
                    let f = host.sink.lock();
                    (f.buf.len(), f.lines)
                };
                tracing::dispatcher::with_default(&host.dispatch, || {
                    emit::emit(l.target, l.level, carrier, job_full, wk_full, l.phase.map(Phase::name), text)
                });
                let line = {
                    let f = host.sink.lock();
                    let written = &f.buf[len0..];
                    assert!(!written.is_empty(), "event was filtered out: {}", l.msg);
                    let s = String::from_utf8_lossy(written);
                    assert!(strip_ansi(&s).contains(&ts), "timestamp {ts} not in {s:?}");
                    assert!(strip_ansi(&s).contains(&l.msg), "message not in {s:?}");
                    lines0 + 1 + written.iter().take_while(|&&b| b == b'\n').count()
                };
                // Ground truth.
                let mentioned: Vec<usize> = (0..sc.jobs.len())
                    .filter(|&j| l.msg.contains(&job_short[j]) || l.msg.contains(&sc.jobs[j].id))
                    .collect();
                assert!(mentioned.len() <= 1 && (mentioned.is_empty() || mentioned == [l.job.unwrap()]));
                let structured = carrier != Carrier::Nothing;
                let job = if !mentioned.is_empty() || (structured && l.job.is_some()) { l.job } else { None };
                let worker = match own {
                    Some(w) => Some(w),
                    None => {
                        let named: Vec<usize> = (0..4)
                            .filter(|&w| l.msg.contains(&wk_short[w]) || l.msg.contains(&sc.workers[w].id))
                            .collect();
                        assert!(named.len() <= 1);
                        assert!(named.is_empty() || Some(named[0]) == l.worker, "{}", l.msg);
                        if !named.is_empty() || (structured && l.worker.is_some()) {
                            l.worker
                        } else {
                            None
                        }
                    }
                };
                let phase = match (structured, l.phase) {
                    (true, Some(p)) => Some(p),
                    _ => phase_from_words(&l.msg),
                };
                let printed_target = !format.is_zisk() || spec.debug;
                if let Some(m) = l.mark {
                    marks.push((m, ts.clone()));
                }
                events.push(EventRow {
                    file: host.file.clone(),
                    line,
                    ts: Some(ts),
                    level: Some(zfmt::level_name(&l.level)),
                    target: printed_target.then(|| l.target.name()),
                    message: l.msg.clone(),
                    job_id: job.map(|j| sc.jobs[j].id.clone()),
                    worker_id: worker.map(|w| sc.workers[w].id.clone()),
                    phase: phase.map(Phase::name),
                    role: host.role,
                });
            }
        }
    }
    // Jobs truth.
    let mut jobs = Vec::new();
    for (j, jp) in sc.jobs.iter().enumerate() {
        let find = |f: &dyn Fn(&Mark) -> bool| marks.iter().find(|(m, _)| f(m)).map(|(_, t)| t.clone());
        let started = find(&|m| matches!(m, Mark::JobStart(x) if *x == j));
        let ended = find(&|m| matches!(m, Mark::JobEnd(x) if *x == j));
        let phase_list: &[Phase] =
            if jp.exec_only { &[Phase::Execution] } else { &[Phase::Contributions, Phase::Prove, Phase::Aggregate] };
        let mut phases = Vec::new();
        for &p in phase_list {
            let start = find(&|m| matches!(m, Mark::PhaseStart(x, q) if *x == j && *q == p));
            let end = find(&|m| matches!(m, Mark::PhaseEnd(x, q) if *x == j && *q == p));
            if start.is_some() {
                phases.push(PhaseTruth { name: p.name(), start, end });
            }
        }
        let first_error = events
            .iter()
            .filter(|e| e.level == Some("ERROR") && e.job_id.as_deref() == Some(jp.id.as_str()))
            .min_by(|a, b| (&a.ts, &a.file, a.line).cmp(&(&b.ts, &b.file, b.line)))
            .map(|e| FileLine { file: e.file.clone(), line: e.line });
        let outcome = if ended.is_some() { jp.outcome } else { "running" };
        jobs.push(JobTruth {
            job_id: jp.id.clone(),
            outcome,
            reason: if ended.is_some() { jp.reason.clone() } else { None },
            workers: jp.workers.iter().map(|&w| sc.workers[w].id.clone()).collect(),
            started,
            ended,
            phases,
            first_error,
        });
    }
    let names = |fs: &[Format]| fs.iter().map(|f| f.name()).collect::<Vec<_>>();
    let all_same = spec.formats.iter().all(|f| f.len() == 1 && f[0] == spec.formats[0][0]);
    let truth = ClusterTruth {
        cluster: spec.name.to_string(),
        format: if all_same { spec.formats[0][0].name() } else { "mixed" },
        shape: match spec.shape {
            Shape::Documented => "documented",
            Shape::Message => "message-only",
        },
        level: if spec.debug { "debug" } else { "info" },
        coordinator: "coordinator.log".into(),
        coordinator_skew_ms: coord_skew / MS,
        coordinator_formats: names(spec.formats[0]),
        workers: (0..4)
            .map(|w| WorkerTruth {
                worker_id: sc.workers[w].id.clone(),
                file: format!("worker-{:02}.log", w + 1),
                skew_ms: sc.workers[w].skew_us / MS,
                formats: names(spec.formats[w + 1]),
            })
            .collect(),
        jobs,
    };
    let mut files = BTreeMap::new();
    for h in hosts {
        let buf = std::mem::take(&mut h.sink.lock().buf);
        files.insert(h.file, buf);
    }
    // Stable order: by file, then line.
    events.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    ClusterOutput { files, events, truth }
}

pub fn write_cluster(out_dir: &Path, spec: &ClusterSpec) -> std::io::Result<ClusterOutput> {
    let out = run_cluster(spec);
    let dir = out_dir.join(spec.name);
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in &out.files {
        std::fs::write(dir.join(name), bytes)?;
    }
    let mut ev = String::new();
    for e in &out.events {
        ev.push_str(&serde_json::to_string(e).unwrap());
        ev.push('\n');
    }
    std::fs::write(dir.join("events.jsonl"), ev)?;
    let mut t = serde_json::to_string_pretty(&out.truth).unwrap();
    t.push('\n');
    std::fs::write(dir.join("truth.json"), t)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_are_deterministic_and_consistent() {
        for spec in specs() {
            let a = run_cluster(&spec);
            let b = run_cluster(&spec);
            assert_eq!(a.files, b.files, "{}", spec.name);
            for e in &a.events {
                let text = String::from_utf8_lossy(&a.files[&e.file]).into_owned();
                let line = strip_ansi(text.split('\n').nth(e.line - 1).unwrap());
                assert!(line.contains(&e.message), "{}: {} vs {line}", spec.name, e.message);
                if let Some(ts) = &e.ts {
                    assert!(line.contains(ts.as_str()));
                }
            }
            let outcomes: Vec<_> = a.truth.jobs.iter().map(|j| j.outcome).collect();
            for o in ["completed", "failed", "cancelled", "running"] {
                assert!(outcomes.contains(&o), "{} lacks a {o} job", spec.name);
            }
        }
        assert_eq!(dots(1234567), "1.234.567");
    }
}
