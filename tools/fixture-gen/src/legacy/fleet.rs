//! The DOMAIN-shape scenario's state and its fleet lines: start-up banners, registration,
//! disconnection, the coordinator's start and the per-job setup a worker receives.

use std::collections::HashSet;

use tracing::Level;

use crate::emit::Target;
use crate::timeline::{host_of, Log, Mark, Payload, PhaseRule, Timeline, COORD, S};
use crate::truth::{short, Phase};
use crate::write::JobPlan;

pub const COORD_URL: &str = "http://coordinator:50052";

pub struct WorkerPlan {
    pub id: String,
    pub cap: u32,
    pub skew_us: i64,
    pub ranks: u32,
    pub gpu: &'static str,
}

pub struct Scenario {
    pub tl: Timeline,
    pub jobs: Vec<JobPlan>,
    /// Each job's program hash (its setup names it).
    pub hashes: Vec<String>,
    pub workers: Vec<WorkerPlan>,
    /// (worker, job) pairs whose setup was already received.
    pub setups: HashSet<(usize, usize)>,
    pub connected: Vec<bool>,
    pub spec_mpi: bool,
    pub log_level: &'static str,
}

impl Scenario {
    pub fn coord(&mut self, t: i64, level: Level, target: Target, msg: String) -> &mut Log {
        self.tl.push(t, COORD, level, target, msg)
    }
    pub fn wk(&mut self, t: i64, w: usize, level: Level, target: Target, msg: String) -> &mut Log {
        self.tl.push(t, host_of(w), level, target, msg)
    }
    pub fn jd(&self, j: usize) -> String {
        short("JobId", &self.jobs[j].id)
    }
    pub fn wd(&self, w: usize) -> String {
        short("WorkerId", &self.workers[w].id)
    }
    pub fn ms(&mut self, lo: i64, hi: i64) -> i64 {
        self.tl.ms(lo, hi)
    }
    fn totals(&self) -> String {
        let n = self.connected.iter().filter(|c| **c).count();
        let cc: u32 = self.workers.iter().zip(&self.connected).filter(|(_, c)| **c).map(|(w, _)| w.cap).sum();
        format!("(total: {n} CC: {cc} ACC: {cc})")
    }

    pub fn banner(&mut self, t: i64, w: usize, version: &str) {
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
        self.tl.other(t, host_of(w), Payload::Banner(lines));
    }

    /// Worker connects and registers; coordinator logs the registration.
    pub fn connect(&mut self, t: i64, w: usize, reconnect: bool) -> i64 {
        self.wk(t, w, Level::INFO, Target::WorkerNode, format!("Connecting to coordinator at {COORD_URL}"));
        let t1 = t + self.ms(8, 40);
        self.connected[w] = true;
        let (id, wd, totals) = (self.workers[w].id.clone(), self.wd(w), self.totals());
        if reconnect {
            self.coord(t1, Level::INFO, Target::CoordPool, format!("Reconnected worker: {wd} {totals}"))
                .worker(w)
                .mark(Mark::WorkerUp(w));
        } else {
            self.coord(t1, Level::INFO, Target::CoordPool, format!("{id} registered successfully"))
                .worker(w)
                .mark(Mark::WorkerUp(w));
            self.coord(t1 + 150, Level::INFO, Target::CoordPool, format!("Registered worker: {wd} {totals}")).worker(w);
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

    pub fn disconnect(&mut self, t: i64, w: usize) {
        self.connected[w] = false;
        let (wd, totals) = (self.wd(w), self.totals());
        self.coord(t, Level::WARN, Target::CoordPool, format!("Worker {wd} disconnected"))
            .worker(w)
            .mark(Mark::WorkerDown(w));
        self.coord(t + 90, Level::INFO, Target::CoordPool, format!("Disconnected worker: {wd} {totals}")).worker(w);
    }

    pub fn coordinator_start(&mut self, t: i64) {
        use Target::CoordServer as T;
        self.coord(t, Level::INFO, T, "[Coordinator] Starting ZisK coordinator v0.15.0".into())
            .mark(Mark::CoordinatorUp);
        self.coord(
            t + 700,
            Level::INFO,
            T,
            "[Coordinator] Loaded configuration from /etc/zisk/coordinator.toml".into(),
        );
        self.coord(t + 2_100, Level::INFO, T, "[Coordinator] Public API listening on 0.0.0.0:7001".into());
        self.coord(t + 2_300, Level::INFO, T, "[Coordinator] Worker service listening on 0.0.0.0:50052".into());
        self.coord(t + 2_500, Level::INFO, T, "[Coordinator] Metrics exposed on http://0.0.0.0:9090/metrics".into());
        self.coord(t + 2_600, Level::DEBUG, T, "[Coordinator] Job capacity policy: best-fit, min workers 1".into());
    }

    /// The worker receives the job's program (DOMAIN's setup names the prove job itself).
    pub fn setup(&mut self, t: i64, w: usize, j: usize) -> i64 {
        if !self.setups.insert((w, j)) {
            return t;
        }
        let (full, hash) = (self.jobs[j].id.clone(), self.hashes[j].clone());
        self.wk(
            t,
            w,
            Level::INFO,
            Target::WorkerService,
            format!("[Setup] job_id {full} Received setup for hash_id {hash}"),
        )
        .job(j)
        .rule(PhaseRule::Never);
        let t1 = t + self.ms(150, 1400);
        let secs = (t1 - t) as f64 / S as f64;
        self.wk(
            t1,
            w,
            Level::INFO,
            Target::WorkerService,
            format!("[Setup] job_id {full} Completed setup for hash_id {hash} ({secs:.3}s)"),
        )
        .job(j)
        .rule(PhaseRule::Never);
        t1
    }

    /// Emits a worker-side line that opens or closes the worker's window, duplicated on rank 1
    /// for an MPI worker.
    #[allow(clippy::too_many_arguments)]
    pub fn wk_ranked(
        &mut self,
        t: i64,
        w: usize,
        level: Level,
        target: Target,
        msg: String,
        j: usize,
        p: Phase,
        closes: bool,
    ) {
        let l = self.wk(t, w, level, target, msg.clone()).job(j).phase(p).tag(p);
        if closes {
            l.close(j);
        } else {
            l.open(j, p);
        }
        if self.spec_mpi && self.workers[w].ranks > 1 {
            let dt = self.ms(1, 30);
            self.wk(t + dt, w, level, target, msg).job(j).phase(p).tag(p).rank(1);
        }
    }

    pub fn cancel_workers(&mut self, t: i64, j: usize, ws: &[usize], reason: &str) {
        for &w in ws {
            let tw = t + self.ms(15, 80);
            let jd = self.jd(j);
            self.wk(tw, w, Level::WARN, Target::WorkerService, format!("Job {jd} cancelled: {reason}")).job(j).close(j);
            let tc = tw + self.ms(5, 30);
            let wd = self.wd(w);
            self.coord(
                tc,
                Level::INFO,
                Target::CoordCoordinator,
                format!("Worker {wd} acknowledged cancellation of job {jd}"),
            )
            .job(j)
            .worker(w);
        }
    }
}

pub const END_US: i64 = 600 * S;
