//! Corpus mode: large benchmark inputs streamed to disk with flat memory, written through the
//! same tracing-subscriber formatters as the fixtures.
//!
//! Jobs start every few simulated seconds and overlap; each job's events are generated when it
//! starts and merged with the other in-flight jobs through a small time-ordered heap.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io;
use std::path::Path;

use tracing::{Dispatch, Level};

use crate::clock::{self, START_US};
use crate::emit::{self, Carrier, Format, Target};
use crate::legacy::{dots, COORD_URL};
use crate::prng::Rng;
use crate::sink::FileSink;
use crate::truth::{short, Phase};

const S: i64 = 1_000_000;
const MS: i64 = 1_000;

struct Ev {
    t: i64,
    seq: u64,
    /// 0: coordinator, 1..: worker index + 1.
    host: usize,
    level: Level,
    target: Target,
    msg: String,
    job: Option<u32>,
    worker: Option<u32>,
    phase: Option<Phase>,
}

impl PartialEq for Ev {
    fn eq(&self, o: &Self) -> bool {
        (self.t, self.seq) == (o.t, o.seq)
    }
}
impl Eq for Ev {}
impl PartialOrd for Ev {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ev {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.t, self.seq).cmp(&(o.t, o.seq))
    }
}

struct Gen {
    rng: Rng,
    seq: u64,
    heap: BinaryHeap<Reverse<Ev>>,
    workers: Vec<String>,
    worker_short: Vec<String>,
    jobs: Vec<String>,
    /// Worker lines go to their own files (cluster mode) or are not generated (single file).
    worker_files: bool,
}

impl Gen {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        t: i64,
        host: usize,
        level: Level,
        target: Target,
        msg: String,
        job: Option<u32>,
        worker: Option<u32>,
        phase: Option<Phase>,
    ) {
        if host > 0 && !self.worker_files {
            return;
        }
        self.seq += 1;
        self.heap.push(Reverse(Ev { t, seq: self.seq, host, level, target, msg, job, worker, phase }));
    }
    fn ms(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.range(lo * MS, hi * MS)
    }

    /// Generates one whole job starting at `t0`.
    fn job(&mut self, t0: i64) {
        use Phase::*;
        use Target::CoordCoordinator as CC;
        let j = self.jobs.len() as u32;
        let id = self.rng.uuid_v4();
        let jd = short("JobId", &id);
        self.jobs.push(id.clone());
        let nw = self.workers.len();
        let n = if self.worker_files { self.rng.range(8, 24.min(nw as i64)) } else { self.rng.range(4, 12) } as usize;
        let first = self.rng.range(0, nw as i64 - 1) as usize;
        let ws: Vec<u32> = (0..n).map(|k| ((first + k * 3) % nw) as u32).collect();
        let cap = 16 * n;
        let (jj, pp) = (Some(j), Some(Prove));
        let fail = self.rng.chance(0.08);
        self.push(
            t0,
            0,
            Level::INFO,
            CC,
            format!("[Job] Started {jd} successfully Capacity: {cap}CU Workers: {n}"),
            jj,
            None,
            None,
        );
        for &w in &ws {
            let wd = &self.worker_short[w as usize];
            let m = format!("[Job] {jd} assigned to {wd} (16CU)");
            self.push(t0 + 100 + 37 * w as i64, 0, Level::INFO, Target::CoordPool, m, jj, Some(w), None);
        }
        let p1 = t0 + 2 * MS;
        self.push(
            p1,
            0,
            Level::INFO,
            CC,
            format!("[Phase1] Started with {n} workers for {jd}"),
            jj,
            None,
            Some(Contributions),
        );
        let hash = self.rng.hex(16);
        let mut ends = Vec::new();
        for &w in &ws {
            let h = w as usize + 1;
            let ts = p1 + self.ms(3, 40);
            self.push(
                ts,
                h,
                Level::INFO,
                Target::WorkerService,
                format!("[Setup] job_id {id} Received setup for hash_id {hash}"),
                jj,
                Some(w),
                None,
            );
            let t1 = ts + self.ms(150, 900);
            self.push(
                t1,
                h,
                Level::INFO,
                Target::WorkerService,
                format!("Starting Partial Contribution for {jd}"),
                jj,
                Some(w),
                Some(Contributions),
            );
            self.push(
                t1 + 9 * MS,
                h,
                Level::INFO,
                Target::Worker,
                format!("Computing Contribution for {jd}"),
                jj,
                Some(w),
                Some(Contributions),
            );
            let end = t1 + self.ms(5_000, 15_000);
            self.push(
                end,
                h,
                Level::INFO,
                Target::Worker,
                format!("Contribution computation successful for {jd}"),
                jj,
                Some(w),
                Some(Contributions),
            );
            ends.push((end + self.ms(4, 30), w));
        }
        ends.sort();
        for (k, &(t, w)) in ends.iter().enumerate() {
            let wd = self.worker_short[w as usize].clone();
            let m = format!(
                "[Phase1] {wd} finished phase 1 for {jd} ({}/{n} workers done, Phase: {:.3}s, Delay: 0.0{:02}s, Witness: {:.3}s, Asm Execution: {:.3}s at {} MHz)",
                k + 1,
                (t - p1) as f64 / S as f64,
                self.rng.range(1, 60),
                self.rng.frange(2.0, 6.0),
                self.rng.frange(1.0, 4.0),
                self.rng.range(480, 720)
            );
            self.push(t, 0, Level::INFO, CC, m, jj, Some(w), Some(Contributions));
        }
        let p2 = ends.last().unwrap().0 + 20 * MS;
        self.push(
            p2 - 10 * MS,
            0,
            Level::INFO,
            CC,
            format!("[Job] Contributions {jd}: {n} challenges aggregated in 0.004s"),
            jj,
            None,
            Some(Contributions),
        );
        self.push(p2, 0, Level::INFO, CC, format!("[Phase2] Started with {n} workers for {jd}"), jj, None, pp);
        let mut pends = Vec::new();
        for &w in &ws {
            let h = w as usize + 1;
            let st = p2 + self.ms(5, 40);
            self.push(st, h, Level::INFO, Target::Worker, format!("Computing Prove for {jd}"), jj, Some(w), pp);
            let end = st + self.ms(15_000, 35_000);
            let segs = self.rng.range(8, 24);
            for q in 1..=3 {
                let m = format!("Prove: {}/{segs} segments generated for {jd}", segs * q / 4);
                self.push(st + (end - st) * q / 4, h, Level::INFO, Target::Worker, m, jj, Some(w), pp);
            }
            if self.rng.chance(0.3) {
                let m = format!("GPU memory pressure high: {:.1} GiB / 80.0 GiB in use", self.rng.frange(70.0, 79.5));
                self.push(st + (end - st) / 2, h, Level::WARN, Target::Worker, m, None, Some(w), None);
            }
            pends.push((end, w, st));
        }
        pends.sort();
        let cut = if fail { pends[n / 2].0 - 1 } else { i64::MAX };
        for (k, &(end, w, st)) in pends.iter().enumerate() {
            let wd = self.worker_short[w as usize].clone();
            if self.rng.chance(0.35) {
                let m = format!(
                    "[Phase2] Worker {wd} slow: no progress report for {jd} in {:.3}s",
                    self.rng.frange(5.0, 12.0)
                );
                self.push(st + (end - st) * 2 / 3, 0, Level::WARN, CC, m, jj, Some(w), pp);
            }
            if self.rng.chance(0.12) {
                let m = format!("Worker {wd} heartbeat late by {:.3}s", self.rng.frange(1.0, 4.0));
                self.push(st + (end - st) / 3, 0, Level::WARN, Target::CoordPool, m, None, Some(w), None);
            }
            if end >= cut {
                continue;
            }
            self.push(
                end,
                w as usize + 1,
                Level::INFO,
                Target::Worker,
                format!("Prove computation successful for {jd}"),
                jj,
                Some(w),
                pp,
            );
            let m = format!(
                "[Phase2] {wd} finished phase 2 for {jd} ({}/{n} workers done, {:.3}s)",
                k + 1,
                (end - p2) as f64 / S as f64
            );
            self.push(end + 10 * MS, 0, Level::INFO, CC, m, jj, Some(w), pp);
            let m = format!("[Phase2 progress] Worker {wd} done. (duration: {:.3}s)", (end - st) as f64 / S as f64);
            self.push(end + 11 * MS, 0, Level::INFO, CC, m, jj, Some(w), pp);
        }
        if fail {
            let (_, w, _) = pends[n / 2];
            let wd = self.worker_short[w as usize].clone();
            let err = "CUDA error: out of memory (device 0)";
            self.push(
                cut,
                w as usize + 1,
                Level::ERROR,
                Target::WorkerService,
                format!("Prove computation failed for {jd}: {err}"),
                jj,
                Some(w),
                pp,
            );
            self.push(
                cut + 30 * MS,
                0,
                Level::ERROR,
                CC,
                format!("Worker {wd} error: Prove computation failed: {err}"),
                jj,
                Some(w),
                pp,
            );
            self.push(
                cut + 40 * MS,
                0,
                Level::ERROR,
                CC,
                format!("Failed job {jd} (reason: Prove failed on 1 worker: {err})"),
                jj,
                None,
                pp,
            );
            for &(end, w2, _) in &pends[n / 2 + 1..] {
                let _ = end;
                let wd2 = self.worker_short[w2 as usize].clone();
                self.push(
                    cut + 60 * MS,
                    w2 as usize + 1,
                    Level::WARN,
                    Target::WorkerService,
                    format!("Job {jd} cancelled: job failed"),
                    jj,
                    Some(w2),
                    None,
                );
                self.push(
                    cut + 90 * MS,
                    0,
                    Level::INFO,
                    CC,
                    format!("Worker {wd2} acknowledged cancellation of job {jd}"),
                    jj,
                    Some(w2),
                    None,
                );
            }
            return;
        }
        let p3 = pends.last().unwrap().0 + 50 * MS;
        let mhz = self.rng.frange(120.0, 260.0);
        self.push(
            p3 - 20 * MS,
            0,
            Level::INFO,
            CC,
            format!("[Job] Prove Performance {jd}: {mhz:.2} MHz over {n} workers"),
            jj,
            None,
            pp,
        );
        let agg = ws[0];
        let ad = self.worker_short[agg as usize].clone();
        self.push(
            p3,
            0,
            Level::INFO,
            CC,
            format!("[Phase3] Assigned worker {ad} as aggregator for job {jd}"),
            jj,
            Some(agg),
            Some(Aggregate),
        );
        self.push(
            p3 + 10 * MS,
            agg as usize + 1,
            Level::INFO,
            Target::WorkerService,
            format!("Starting aggregation step for {jd}"),
            jj,
            Some(agg),
            Some(Aggregate),
        );
        let e3 = p3 + self.ms(2_500, 6_000);
        self.push(
            e3,
            agg as usize + 1,
            Level::INFO,
            Target::WorkerService,
            format!("Aggregation task completed for {jd}"),
            jj,
            Some(agg),
            Some(Aggregate),
        );
        let m =
            format!("[Phase3] WorkerId {ad} done, phase 3 completed for {jd} ({:.3}s)", (e3 - p3) as f64 / S as f64);
        self.push(e3 + 10 * MS, 0, Level::INFO, CC, m, jj, Some(agg), Some(Aggregate));
        let m = format!(
            "[Job] Finished {jd} successfully \u{2714} Duration: {:.3}s ({:.3}s+{:.3}s+{:.3}s) Steps: {} Instances: {} Capacity: {cap}CU",
            (e3 + 12 * MS - t0) as f64 / S as f64,
            (p2 - p1) as f64 / S as f64,
            (p3 - p2) as f64 / S as f64,
            (e3 - p3) as f64 / S as f64,
            dots(self.rng.range(50_000_000, 900_000_000) as u64),
            self.rng.range(120, 900)
        );
        self.push(e3 + 12 * MS, 0, Level::INFO, CC, m, jj, None, None);
    }
}

struct Out {
    sink: FileSink,
    dispatch: Dispatch,
}

pub fn run(format: Format, target_bytes: u64, out: &Path, workers: usize) -> io::Result<String> {
    let cluster = workers > 0;
    let nw = if cluster { workers } else { 64 };
    let mut rng = Rng::new(0xC0_4B_05 ^ target_bytes ^ (nw as u64) << 40);
    let mut wids = Vec::new();
    for k in 0..nw {
        wids.push(if k % 16 == 7 { format!("gpu-{k:02}") } else { rng.uuid_v4() });
    }
    let documented = !format.is_zisk();
    let mut outs = Vec::new();
    let mut skews = Vec::new();
    if cluster {
        std::fs::create_dir_all(out)?;
    }
    for h in 0..=if cluster { nw } else { 0 } {
        let path = if !cluster {
            out.to_path_buf()
        } else if h == 0 {
            out.join("coordinator.log")
        } else {
            out.join(format!("worker-{h:03}.log"))
        };
        let skew = if h == 0 { 0 } else { rng.range(-400, 400) * MS };
        let sink = FileSink::create(&path)?;
        if h > 0 {
            let id = &wids[h - 1];
            let mut b = String::from("ZisK Worker v0.15.0\n");
            for (k, v) in [
                ("Worker ID", id.as_str()),
                ("Coordinator", COORD_URL),
                ("Version", "0.15.0 (git 3e1f0a7)"),
                ("Capacity", "16CU"),
                ("Log level", "info"),
            ] {
                b.push_str(&format!("{k:>12} {v}\n"));
            }
            sink.write_raw(&b);
        }
        let dispatch = emit::dispatch(format, sink.clone(), skew, Level::INFO, false);
        outs.push(Out { sink, dispatch });
        skews.push(skew);
    }
    let mut g = Gen {
        rng: Rng::new(rng.next_u64()),
        seq: 0,
        heap: BinaryHeap::new(),
        worker_short: wids.iter().map(|w| short("WorkerId", w)).collect(),
        workers: wids,
        jobs: Vec::new(),
        worker_files: cluster,
    };
    let mut crng = Rng::new(rng.next_u64());
    let mut job_lines: HashMap<u32, u64> = HashMap::new();
    let mut job_start_bytes: Vec<u64> = Vec::new();
    let mut last_bytes: Vec<u64> = outs.iter().map(|o| o.sink.bytes()).collect();
    let mut total: u64 = last_bytes.iter().sum();
    let mut next_job = 5 * S;
    let gap = if cluster { 4 * S } else { 9 * S };
    loop {
        // Start every job whose start time has come before the next pending event.
        while g.heap.peek().is_none_or(|Reverse(e)| e.t >= next_job) {
            job_start_bytes.push(total);
            g.job(next_job);
            next_job += g.rng.range(gap / 2, gap * 3 / 2);
        }
        let Reverse(ev) = g.heap.pop().unwrap();
        let o = &outs[ev.host];
        let carrier = if !documented {
            Carrier::Nothing
        } else {
            // Production JSON: most job lines sit inside the job/phase spans.
            let r = crng.f64();
            if r < 0.1 {
                Carrier::Nothing
            } else if r < 0.3 || ev.job.is_none() {
                Carrier::Fields
            } else if r < 0.5 {
                Carrier::JobSpan
            } else {
                Carrier::JobPhaseSpans
            }
        };
        let job = ev.job.map(|j| g.jobs[j as usize].as_str());
        let wk = ev.worker.map(|w| g.workers[w as usize].as_str());
        clock::set_now(START_US + ev.t);
        tracing::dispatcher::with_default(&o.dispatch, || {
            emit::emit(ev.target, ev.level, carrier, job, wk, ev.phase.map(Phase::name), &ev.msg)
        });
        let now_bytes = o.sink.bytes();
        total += now_bytes - last_bytes[ev.host];
        last_bytes[ev.host] = now_bytes;
        // Same rule as the fixtures' job_id: a structured field/span, or the ID in the message
        // (corpus messages name only their own job: truncated, or in full on `[Setup]` lines).
        if let Some(j) = ev.job {
            let named = ev.msg.contains("JobId(") || ev.msg.starts_with("[Setup]");
            if named || carrier != Carrier::Nothing {
                *job_lines.entry(j).or_default() += 1;
            }
        }
        if total >= target_bytes {
            break;
        }
    }
    let mut lines = 0;
    for o in &outs {
        o.sink.finish()?;
        lines += o.sink.lines();
    }
    // The job that started closest to the middle of the corpus.
    let mid = total / 2;
    let j = (0..job_start_bytes.len()).min_by_key(|&j| job_start_bytes[j].abs_diff(mid)).unwrap();
    let _ = &skews;
    Ok(serde_json::json!({
        "job_id": g.jobs[j],
        "lines": job_lines.get(&(j as u32)).copied().unwrap_or(0),
        "total_lines": lines,
        "total_bytes": total,
        "jobs": g.jobs.len(),
    })
    .to_string())
}
