//! The DOMAIN-shape scenario: four workers, nine jobs over ten simulated minutes, a
//! coordinator restart, a worker restart, and job-less warnings.

use std::collections::HashSet;

use tracing::Level;

use super::fleet::{Scenario, WorkerPlan, COORD_URL, END_US};
use super::jobs::Fate;
use super::ClusterSpec;
use crate::emit::Target;
use crate::prng::Rng;
use crate::timeline::{host_of, Mark, Payload, Timeline, COORD, MS, S};
use crate::truth::Phase;
use crate::write::JobPlan;

const SHORT_IDS: &[&str] = &["gpu-07", "h100-a", "prover3", "gpu-12", "node-b"];
const GPUS: &[&str] = &["NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB", "NVIDIA RTX 4090"];

#[allow(clippy::explicit_auto_deref)]
pub fn build(spec: &ClusterSpec) -> Scenario {
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
        tl: Timeline::new(rng),
        jobs: Vec::new(),
        hashes: Vec::new(),
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
            let id = sc.tl.rng.uuid_v4();
            if prefixes.insert(id[..8].to_string()) {
                break id;
            }
        };
        let hash = sc.tl.rng.hex(16);
        let phases = if fate.is_none() {
            vec![Phase::Execution]
        } else {
            vec![Phase::Contributions, Phase::Prove, Phase::Aggregate]
        };
        sc.hashes.push(hash);
        sc.jobs.push(JobPlan {
            id,
            kind: if fate.is_none() { "execute" } else { "prove" },
            outcome,
            reason: None,
            workers: ws.to_vec(),
            aggregator: None,
            phases,
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
                let agg = ws[sc.tl.rng.range(0, ws.len() as i64 - 1) as usize];
                sc.job(j, t0, agg, *f)
            }
        }
    }
    // Coordinator restart in the quiet window (all workers lose their stream and reconnect).
    let tr = 215 * S + sc.ms(0, 500);
    sc.coord(
        tr,
        Level::INFO,
        Target::CoordServer,
        "[Coordinator] Shutdown signal received, draining connections".into(),
    );
    sc.coord(tr + 400 * MS, Level::INFO, Target::CoordServer, "[Coordinator] Stopped".into())
        .mark(Mark::CoordinatorDown);
    for w in 0..4 {
        let t = tr + sc.ms(405, 460);
        sc.wk(t, w, Level::WARN, Target::WorkerNode, "Stream closed, will reconnect".into());
        sc.connected[w] = false;
    }
    let tup = tr + 3 * S;
    sc.tl.other(tup - 1, COORD, Payload::Restart);
    sc.coordinator_start(tup);
    sc.coord(tup + 3 * MS, Level::INFO, Target::CoordServer, "[Recovery] No in-flight jobs to recover".into());
    let mut recon: Vec<(i64, usize)> = (0..4).map(|w| (tup + sc.ms(800, 2_500), w)).collect();
    recon.sort();
    for (t, w) in recon {
        sc.wk(
            t - 400 * MS,
            w,
            Level::WARN,
            Target::WorkerNode,
            format!("Failed to connect to {COORD_URL}: transport error (retrying in 2s)"),
        );
        if spec.rolling_restart {
            // Rolling upgrade: the worker process restarts (new banner, maybe new format).
            let tb = t - 300 * MS;
            sc.wk(tb - 50 * MS, w, Level::INFO, Target::Worker, "Received shutdown signal, exiting".into());
            sc.tl.other(tb - 10 * MS, host_of(w), Payload::Restart);
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
            sc.coord(t + lat, Level::DEBUG, Target::CoordPool, format!("Heartbeat from {wd} ({}ms)", lat / MS))
                .worker(w);
            t += 45 * S + sc.ms(0, 400);
        }
    }
    sc
}
