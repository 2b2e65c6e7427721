//! The fleet as each release logs it: start-up banners, the coordinator's start, registration,
//! disconnection and reconnection, setup jobs, and the lines libraries print around the work
//! (proofman's timers, h2/hyper at `-v`), which name no job.

use tracing::Level;

use super::{secs, Release, Sim, COORD_URL};
use crate::emit::Target;
use crate::timeline::{host_of, Mark, Payload, PhaseRule, COORD, MS, S};
use crate::write::JobPlan;

/// The literal colour escape the v0.13–v0.17 banners wrap `ZisK zkVM` in, TTY or not.
const ZKVM_ESC: &str = "\x1b[38;2;10;191;131m";

impl Sim {
    /// The worker's `println!` banner (every MPI rank prints it), then its prover's start-up.
    pub fn worker_start(&mut self, t: i64, w: usize) {
        let ver = self.rel.version();
        let wk = &self.workers[w];
        let mut lines = Vec::new();
        if self.rel >= Release::V0_18 {
            lines.push(format!("ZisK Worker v{ver}"));
        } else {
            lines.push(String::new());
            lines.push(format!("{ZKVM_ESC}{:>12} {ver}\x1b[0m", "ZisK zkVM"));
            lines.push(format!("{:>12} Linux 6.8.0-49-generic (Ubuntu 24.04.1 LTS)", "System"));
            lines.push(format!("{:>12} {}", "Hostname", wk.host));
        }
        let kv = |lines: &mut Vec<String>, k: &str, v: String| lines.push(format!("{k:>12} {v}"));
        kv(&mut lines, "Command", format!("zisk-worker (ZisK Distributed Worker {ver})"));
        kv(&mut lines, "Worker ID", self.wd(w));
        kv(&mut lines, "Compute Cap", self.cap(wk.cap));
        kv(&mut lines, "Coordinator", COORD_URL.into());
        kv(&mut lines, "Environment", "production".into());
        let level = if wk.verbose { "debug" } else { "info" };
        let format = if self.rel == Release::V0_12 { wk.format.name() } else { "pretty" };
        kv(&mut lines, "Logging", format!("{level}/{format} "));
        if self.rel < Release::V0_18 {
            kv(&mut lines, "Elf", "/home/zisk/.zisk/cache/guest.elf".into());
            kv(&mut lines, "ASM runner", "/home/zisk/.zisk/cache/guest-mt.bin".into());
        }
        kv(&mut lines, "Proving Key", "/home/zisk/.zisk/provingKey".into());
        kv(&mut lines, "STD", "Standard mode".into());
        lines.push(String::new());
        let ranks = wk.ranks;
        if ranks > 1 {
            // mpirun --report-bindings, then each rank's banner.
            let host = wk.host.clone();
            let bind: Vec<String> = (0..ranks)
                .map(|r| {
                    format!("[{host}:{}] MCW rank {r} bound to socket {r}[core {}[hwt 0-1]]: [BB/../..]", 48211, r * 8)
                })
                .collect();
            self.tl.other(t - 40 * MS, host_of(w), Payload::Banner(bind));
            for r in 0..ranks {
                self.tl.other(t + r as i64 * 3 * MS, host_of(w), Payload::Banner(lines.clone()));
            }
        } else {
            self.tl.other(t, host_of(w), Payload::Banner(lines));
        }
        let t1 = t + self.ms(300, 900);
        for r in 0..ranks {
            self.lib(t1 + r as i64 * MS, w, r, Level::INFO, Target::Proofman, ">>> INITIALIZING_PROOFMAN".into());
            let d = self.ms(2_000, 5_000);
            let threads = self.tl.rng.range(16, 64);
            self.lib(t1 + d / 3, w, r, Level::INFO, Target::Proofman, format!("Using {threads} threads based on physical cores per process, considering there are {ranks} processes per node"));
            self.lib(t1 + d, w, r, Level::INFO, Target::Proofman, format!("<<< INITIALIZING_PROOFMAN ({}ms)", d / MS));
        }
    }

    /// The v0.12–v0.16 coordinator's banner; later coordinators print none.
    pub fn coordinator_start(&mut self, t: i64) {
        let ver = self.rel.version();
        if self.rel < Release::V0_17 {
            let lines = vec![
                String::new(),
                format!("{ZKVM_ESC}{:>12} {ver}\x1b[0m", "ZisK zkVM"),
                format!("{:>12} Linux 6.8.0-49-generic (Ubuntu 24.04.1 LTS)", "System"),
                format!("{:>12} zisk-coordinator", "Hostname"),
                format!("{:>12} zisk-coordinator (ZisK Distributed Coordinator {ver})", "Command"),
                format!("{:>12} production", "Environment"),
                format!("{:>12} info/json ", "Logging"),
                format!("{:>12} 0.0.0.0:50051", "Host/Port"),
                String::new(),
            ];
            self.tl.other(t, COORD, Payload::Banner(lines));
        }
        if self.rel >= Release::V0_17 {
            self.coord(t + 2 * MS, Level::INFO, "cluster coordinator listening on 0.0.0.0:50051".into())
                .mark(Mark::CoordinatorUp);
            self.coord(t + 3 * MS, Level::INFO, "metrics server listening on http://0.0.0.0:9090/metrics".into());
            self.coord(t + 4 * MS, Level::INFO, "zisk-coordinator listening on 0.0.0.0:7000".into());
        } else {
            self.coord(t + 2 * MS, Level::INFO, "Starting coordinator gRPC server on 0.0.0.0:50051".into())
                .mark(Mark::CoordinatorUp);
        }
    }

    /// The worker connects and registers (or re-registers after a dropped stream).
    pub fn connect(&mut self, t: i64, w: usize, reconnect: bool) -> i64 {
        self.node(t, w, Level::INFO, format!("Connecting to coordinator at {COORD_URL}"));
        if self.workers[w].verbose {
            self.lib(t + 2 * MS, w, 0, Level::DEBUG, Target::Hyper, "connecting to 10.0.3.2:50051".into());
            self.lib(t + 4 * MS, w, 0, Level::DEBUG, Target::Hyper, "connected to 10.0.3.2:50051".into());
        }
        let t1 = t + self.ms(8, 40);
        self.connected[w] = true;
        let (wd, totals) = (self.wd(w), self.totals());
        let action = if reconnect { "Reconnected" } else { "Registered" };
        if reconnect {
            self.reconnections += 1;
        } else {
            self.registrations += 1;
        }
        self.coord_pool(t1, Level::INFO, format!("{action} worker: {wd} {totals}")).worker(w).mark(Mark::WorkerUp(w));
        self.coord(t1 + 120, Level::INFO, format!("{wd} registered successfully")).worker(w);
        let t2 = t1 + self.ms(3, 12);
        let what = if reconnect { "Reconnection successful" } else { "Registration successful" };
        self.node(t2, w, Level::INFO, format!("Registration accepted: {what}"));
        if self.rel >= Release::V0_15 && !self.rel.current() {
            let totals = self.totals();
            self.coord_pool(t2 + 400, Level::INFO, format!("Worker {wd} available {totals}")).worker(w);
        }
        t2
    }

    /// The coordinator sees the worker's stream end.
    pub fn disconnect(&mut self, t: i64, w: usize, clean: bool) {
        self.connected[w] = false;
        let wd = self.wd(w);
        if clean {
            self.coord(t, Level::INFO, format!("Worker {wd} disconnected")).worker(w).mark(Mark::WorkerDown(w));
        } else {
            let status = "status: Unknown, message: \"h2 protocol error: error reading a body from connection\", details: [], metadata: MetadataMap { headers: {} }";
            self.coord(t, Level::ERROR, format!("Error receiving from {wd}: {status}"))
                .worker(w)
                .mark(Mark::WorkerDown(w));
        }
        if self.rel >= Release::V0_15 {
            let totals = self.totals();
            self.coord_pool(t + 510 * MS, Level::INFO, format!("Disconnected worker: {wd} {totals}")).worker(w);
        }
    }

    /// A setup job (v0.17+): the program sent to `ws` under a fresh job ID. `all_ack`: the
    /// coordinator tracks it (an API `setup()`), so it logs when every worker acknowledged.
    pub fn setup_job(&mut self, t: i64, ws: &[usize], all_ack: bool) -> i64 {
        let j = self.jobs.len();
        let id = self.tl.rng.uuid_v4();
        self.jobs.push(JobPlan {
            id: id.clone(),
            kind: "setup",
            outcome: "completed",
            reason: None,
            workers: ws.to_vec(),
            aggregator: None,
            phases: Vec::new(),
        });
        let hash = self.hash.clone();
        let mut acks: Vec<(i64, usize)> = Vec::new();
        for &w in ws {
            let tr = t + self.ms(5, 40);
            self.node(tr, w, Level::INFO, format!("[Setup] job_id {id} Received setup for hash_id {hash}"))
                .job(j)
                .rule(PhaseRule::Never);
            let tc = tr + self.ms(600, 2_500);
            self.node(tc, w, Level::INFO, format!("[Setup] job_id {id} Completed setup for hash_id {hash}"))
                .job(j)
                .rule(PhaseRule::Never);
            acks.push((tc + self.ms(3, 20), w));
        }
        acks.sort();
        let last = acks.last().map_or(t, |a| a.0);
        for (k, &(ta, w)) in acks.iter().enumerate() {
            let wd = self.wd(w);
            let l = self
                .coord(ta, Level::INFO, format!("[Setup] Worker {wd} completed setup for job_id {id} hash_id {hash}"))
                .job(j)
                .worker(w)
                .rule(PhaseRule::Never);
            if k == 0 {
                l.mark(Mark::JobStart(j));
            }
            if !all_ack && k + 1 == acks.len() {
                l.mark(Mark::JobEnd(j));
            }
            let state = if self.rel >= Release::V0_18 { "Ready" } else { "Idle" };
            self.coord(ta + 80, Level::INFO, format!("[Setup] Worker {wd} finished setup, now {state}")).worker(w);
        }
        if all_ack {
            self.coord(last + 300, Level::INFO, format!("[Setup] All workers acknowledged setup for job_id {id}"))
                .job(j)
                .rule(PhaseRule::Never)
                .mark(Mark::JobEnd(j));
        }
        last + 300
    }

    /// A worker whose stream dropped comes back: reconnection, the coordinator's directive to
    /// drop the stale job, v0.18's recovery handshake (the only lines with the worker's full
    /// ID), and the program set up again under a fresh setup job.
    pub fn come_back(&mut self, t: i64, w: usize, stale: Option<usize>) -> i64 {
        for k in 0..2 {
            self.node(t + k * 5 * S, w, Level::ERROR, "Connection failed: transport error".into());
        }
        let tr = t + 10 * S + self.ms(0, 400);
        let t2 = self.connect(tr, w, true);
        let wd = self.wd(w);
        let mut end = t2;
        if let (true, Some(j)) = (self.rel.current(), stale) {
            self.coord(t2 - 2 * MS, Level::INFO, format!("Reconnection of {wd}: directing cancellation of stale job"))
                .worker(w);
            self.node(t2 + 3 * MS, w, Level::INFO, "Coordinator directed cancellation of stale job".into()).close(j);
            end = t2 + 10 * MS;
        }
        if self.rel >= Release::V0_18 {
            let id = self.workers[w].id.clone();
            self.workers[w].full_id_logged = true;
            let th = end + self.ms(5, 30);
            self.node(th, w, Level::WARN, format!("[Recovery] {id}: running cluster cancellation handshake"));
            let td = th + self.ms(200, 900);
            self.node(td, w, Level::INFO, format!("[Recovery] {id}: cluster handshake done; signalling Ready"));
            let totals = self.totals();
            self.coord(td + 20 * MS, Level::INFO, format!("Worker {wd} Ready {totals}")).worker(w);
            end = td + 30 * MS;
        }
        if self.rel.current() {
            end = self.setup_job(end + 50 * MS, &[w], false);
        }
        end
    }

    /// Proofman's timer lines inside a phase (they name no job; some say "proof").
    pub fn proofman(&mut self, t0: i64, t1: i64, w: usize, names: &[&str]) {
        let ranks = self.ranks(w);
        let n = names.len() as i64;
        for (k, name) in names.iter().enumerate() {
            let a = t0 + (t1 - t0) * (2 * k as i64 + 1) / (2 * n + 1);
            let b = t0 + (t1 - t0) * (2 * k as i64 + 2) / (2 * n + 1);
            for r in 0..ranks {
                let dr = r as i64 * 2 * MS;
                self.lib(a + dr, w, r, Level::INFO, Target::Proofman, format!(">>> {name}"));
                self.lib(b + dr, w, r, Level::INFO, Target::Proofman, format!("<<< {name} ({}ms)", (b - a) / MS));
            }
        }
        if self.workers[w].verbose {
            let mut t = t0 + self.ms(200, 900);
            while t < t1 {
                self.lib(t, w, 0, Level::DEBUG, Target::H2, "send frame=Data { stream_id: StreamId(1) }".into());
                t += self.ms(1_500, 4_000);
            }
        }
    }

    /// What a verbose worker's gRPC stack logs while idle (no job, no phase).
    pub fn idle_noise(&mut self, from: i64, to: i64, w: usize) {
        if !self.workers[w].verbose {
            return;
        }
        let mut t = from;
        while t < to {
            self.lib(t, w, 0, Level::DEBUG, Target::Tonic, "ready to send Ping".into()).rule(PhaseRule::Context);
            t += self.ms(20_000, 40_000);
        }
    }

    /// The coordinator's summary lines after a finished prove job.
    pub fn uptime(&mut self, t: i64) {
        if !self.rel.current() {
            return;
        }
        let up = (t / S) as u64;
        self.coord(
            t,
            Level::INFO,
            format!("[Coordinator] Started at 2026-11-21 10:00:00 UTC \u{2014} Uptime: {}m {}s", up / 60, up % 60),
        );
        let (r, c) = (self.registrations, self.reconnections);
        self.coord(t + 1, Level::INFO, format!("[Coordinator] Registrations: {r} Reconnections: {c}"));
    }

    /// A `[Job] … Performance` line (jobs of more than one worker).
    pub fn performance(&mut self, t: i64, j: usize, what: &str, times: &[(usize, i64)], tag: crate::truth::Phase) {
        if times.len() < 2 {
            return;
        }
        let avg = times.iter().map(|x| x.1).sum::<i64>() / times.len() as i64;
        let best = *times.iter().min_by_key(|x| x.1).expect("times");
        let worst = *times.iter().max_by_key(|x| x.1).expect("times");
        let diff = (worst.1 - best.1) as f64 * 100.0 / worst.1.max(1) as f64;
        let jd = self.jd(j);
        let (bw, ww) = (self.wd(best.0), self.wd(worst.0));
        let for_job = if self.rel.current() { format!(" for {jd}") } else { String::new() };
        self.coord(
            t,
            Level::INFO,
            format!(
                "[Job] {what}{for_job} - Avg: {}s, Best: {bw} ({}s), Worst: {ww} ({}s), Diff: {diff:.1}%",
                secs(avg / MS),
                secs(best.1 / MS),
                secs(worst.1 / MS)
            ),
        )
        .job(j)
        .worker(best.0)
        .tag(tag);
    }
}
