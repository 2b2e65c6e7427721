//! Clusters that log as the real ZisK releases do (`../shared/ZISK-SOURCE.md`): the rank format
//! of v0.13+ (truncated IDs, full UUIDs where the code prints them, overlapping Prove and
//! Aggregate, `Caused by:` chains, the failure vocabulary, setup and wrap jobs, `-v` workers
//! under MPI) and v0.12's stock tracing formats with full IDs.

mod fail;
mod fleet;
mod prove;
mod scenario;

use tracing::Level;

use crate::emit::{Format, Target};
use crate::output::ClusterOutput;
#[cfg(test)]
use crate::timeline::Mark;
use crate::timeline::{host_of, Log, Timeline, COORD, MS};
use crate::truth::*;
use crate::write::{emit_all, jobs_truth, EmitSpec, HostClock, HostSpec, JobPlan};

/// A release family: the shapes its code logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Release {
    /// ≤ v0.12: stock tracing formats, full IDs, `[Job Started]`/`[PhaseN started]` wording.
    V0_12,
    /// v0.13–v0.16: the rank format, `[Job] Started … Inputs:`, `ZisK zkVM` banners.
    V0_15,
    /// v0.17: today's wording, setup/wrap/execute jobs, the monitor; still `ZisK zkVM`.
    V0_17,
    /// v0.18 and main: `ZisK Worker v…` banner, `[Recovery]` families.
    V0_18,
}

impl Release {
    pub fn version(self) -> &'static str {
        match self {
            Release::V0_12 => "0.12.0",
            Release::V0_15 => "0.15.0",
            Release::V0_17 => "0.17.0",
            Release::V0_18 => "0.18.0",
        }
    }
    /// IDs print as their first 8 characters (since v0.13).
    pub fn truncates(self) -> bool {
        self >= Release::V0_15
    }
    /// Setup, wrap and execution-only jobs, client cancellation, the phase monitor.
    pub fn current(self) -> bool {
        self >= Release::V0_17
    }
}

pub struct ClusterSpec {
    pub name: &'static str,
    pub release: Release,
    pub seed: u64,
    /// Workers (by index) whose clocks the cluster sets: a constant skew (µs), drift, a step.
    pub clocks: Vec<(usize, Option<i64>, HostClock)>,
}

impl ClusterSpec {
    fn clock_of(&self, w: usize) -> HostClock {
        self.clocks.iter().find(|c| c.0 == w).map_or_else(HostClock::default, |c| c.2)
    }
}

/// Clusters with clocks far off (`fixture-gen skew`, `fixtures/skew/`): the v0.18 scenario
/// with one or two workers 5 s or 90 s off, a clock that steps once, clocks that drift.
pub fn skew_specs() -> Vec<ClusterSpec> {
    let none = HostClock::default();
    let s = 1_000_000;
    let spec = |name, clocks| ClusterSpec { name, release: Release::V0_18, seed: 4018, clocks };
    vec![
        spec("offset-5s", vec![(0, Some(5 * s + 123_456), none), (4, Some(-5 * s - 7_000), none)]),
        spec("offset-90s", vec![(0, Some(90 * s + 250_000), none), (5, Some(-47 * s - 500_000), none)]),
        spec("step", vec![(3, None, HostClock { drift_ppm: 0, step: Some((360 * s, 4 * s)) })]),
        spec(
            "drift",
            vec![
                (0, None, HostClock { drift_ppm: 400, step: None }),
                (5, None, HostClock { drift_ppm: -300, step: None }),
            ],
        ),
    ]
}

pub fn specs() -> Vec<ClusterSpec> {
    vec![
        ClusterSpec { name: "v0.18", release: Release::V0_18, seed: 4018, clocks: Vec::new() },
        ClusterSpec { name: "v0.17", release: Release::V0_17, seed: 4017, clocks: Vec::new() },
        ClusterSpec { name: "v0.15", release: Release::V0_15, seed: 4015, clocks: Vec::new() },
        ClusterSpec { name: "v0.12", release: Release::V0_12, seed: 4012, clocks: Vec::new() },
    ]
}

pub struct Worker {
    pub id: String,
    pub host: String,
    pub cap: u32,
    pub skew_us: i64,
    pub ranks: u32,
    /// Started with `-v`: DEBUG for every crate, targets printed.
    pub verbose: bool,
    pub format: Format,
    /// Some line prints the worker's ID whole (`[Recovery] <id>:`).
    pub full_id_logged: bool,
}

pub struct Sim {
    pub rel: Release,
    pub tl: Timeline,
    pub workers: Vec<Worker>,
    pub jobs: Vec<JobPlan>,
    pub connected: Vec<bool>,
    /// The guest program every job proves (its setup names it).
    pub hash: String,
    pub registrations: u32,
    pub reconnections: u32,
    pub coord_skew_us: i64,
}

pub const COORD_URL: &str = "http://zisk-coordinator:50051";

impl Sim {
    pub fn coord(&mut self, t: i64, level: Level, msg: String) -> &mut Log {
        let target = if self.rel == Release::V0_12 { Target::DistCoordinator } else { Target::ClusterCoordinator };
        self.tl.push(t, COORD, level, target, msg)
    }
    pub fn coord_pool(&mut self, t: i64, level: Level, msg: String) -> &mut Log {
        let target = if self.rel == Release::V0_12 { Target::DistPool } else { Target::ClusterCoordinator };
        self.tl.push(t, COORD, level, target, msg)
    }
    /// A line of the worker's gRPC node (rank 0 only).
    pub fn node(&mut self, t: i64, w: usize, level: Level, msg: String) -> &mut Log {
        let target = if self.rel == Release::V0_12 { Target::DistWorkerNode } else { Target::ClusterWorkerNode };
        self.tl.push(t, host_of(w), level, target, msg)
    }
    /// A line of the worker's compute code on one rank.
    pub fn compute(&mut self, t: i64, w: usize, rank: u32, level: Level, msg: String) -> &mut Log {
        let target = if self.rel == Release::V0_12 { Target::DistWorker } else { Target::ClusterWorker };
        self.tl.push(t, host_of(w), level, target, msg).rank(rank)
    }
    pub fn lib(&mut self, t: i64, w: usize, rank: u32, level: Level, target: Target, msg: String) -> &mut Log {
        self.tl.push(t, host_of(w), level, target, msg).rank(rank)
    }
    pub fn ms(&mut self, lo: i64, hi: i64) -> i64 {
        self.tl.ms(lo, hi)
    }
    /// `JobId(…)` as this release prints it.
    pub fn jd(&self, j: usize) -> String {
        self.id_display("JobId", &self.jobs[j].id)
    }
    pub fn wd(&self, w: usize) -> String {
        self.id_display("WorkerId", &self.workers[w].id)
    }
    fn id_display(&self, kind: &str, id: &str) -> String {
        if self.rel.truncates() {
            short(kind, id)
        } else {
            format!("{kind}({id})")
        }
    }
    pub fn cap(&self, units: u32) -> String {
        if self.rel == Release::V0_12 {
            format!("{units} CU")
        } else {
            format!("{units}CU")
        }
    }
    /// The pool's counts after a change: `(total: n CC: … ACC: …)`.
    pub fn totals(&self) -> String {
        let n = self.connected.iter().filter(|c| **c).count();
        if self.rel == Release::V0_12 {
            return format!("(total: {n})");
        }
        let cc: u32 = self.workers.iter().zip(&self.connected).filter(|(_, c)| **c).map(|(w, _)| w.cap).sum();
        format!("(total: {n} CC: {} ACC: {})", self.cap(cc), self.cap(cc))
    }
    /// A worker's ranks that run the compute code.
    pub fn ranks(&self, w: usize) -> u32 {
        self.workers[w].ranks
    }
}

/// Seconds with 3 decimals, from milliseconds (so that the truth holds the printed figure).
pub fn secs(ms: i64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

pub fn run_cluster(spec: &ClusterSpec) -> ClusterOutput {
    let mut sim = scenario::build(spec);
    for &(w, skew, _) in &spec.clocks {
        if let Some(skew) = skew {
            sim.workers[w].skew_us = skew;
        }
    }
    let coord_format = if spec.release == Release::V0_12 { Format::Json } else { Format::Zisk };
    let coord_skew = sim.coord_skew_us;
    let mut hosts = vec![HostSpec {
        file: "coordinator.log".into(),
        role: "coordinator",
        worker: None,
        skew_us: coord_skew,
        formats: vec![coord_format],
        max: Level::INFO,
        show_target: false,
        ranks: 1,
        clock: HostClock::default(),
    }];
    for (w, wk) in sim.workers.iter().enumerate() {
        hosts.push(HostSpec {
            file: format!("{}.log", wk.host),
            role: "worker",
            worker: Some(w),
            skew_us: wk.skew_us,
            formats: vec![wk.format],
            max: if wk.verbose { Level::DEBUG } else { Level::INFO },
            show_target: wk.verbose,
            ranks: wk.ranks,
            clock: spec.clock_of(w),
        });
    }
    let job_ids: Vec<String> = sim.jobs.iter().map(|j| j.id.clone()).collect();
    let worker_ids: Vec<String> = sim.workers.iter().map(|w| w.id.clone()).collect();
    let emit = EmitSpec { hosts, documented: false, seed: spec.seed, job_ids: &job_ids, worker_ids: &worker_ids };
    let items = sim.tl.finish(scenario::END_US);
    let out = emit_all(emit, &items);
    let jobs = jobs_truth(&sim.jobs, &out, &worker_ids);
    let truth = ClusterTruth {
        cluster: spec.name.to_string(),
        release: spec.release.version(),
        format: coord_format.name(),
        shape: "message-only",
        level: "info",
        coordinator: "coordinator.log".into(),
        coordinator_skew_ms: coord_skew / MS,
        coordinator_formats: vec![coord_format.name()],
        workers: sim
            .workers
            .iter()
            .map(|w| WorkerTruth {
                worker_id: w.id.clone(),
                logged_id: if w.full_id_logged || !spec.release.truncates() {
                    w.id.clone()
                } else {
                    w.id.chars().take(8).collect()
                },
                file: format!("{}.log", w.host),
                skew_ms: w.skew_us / MS,
                formats: vec![w.format.name()],
            })
            .collect(),
        jobs,
    };
    let mut files = out.files;
    files.insert("zisk-logs.toml".into(), topology(sim.rel, &sim.workers).into_bytes());
    ClusterOutput { files, events: out.events, truth, marks: out.marks }
}

/// A topology file naming the cluster's files (no IDs: the logs must tell the workers apart).
fn topology(rel: Release, workers: &[Worker]) -> String {
    let mut s = format!(
        "# A ZisK v{} cluster as fixture-gen writes it.\n\n[coordinator]\nsource = \"file:coordinator.log\"\n",
        rel.version()
    );
    for w in workers {
        s.push_str(&format!("\n[[workers]]\nsource = \"file:{}.log\"\n", w.host));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_clusters_are_deterministic_and_their_lines_are_where_the_truth_says() {
        for spec in specs() {
            let a = run_cluster(&spec);
            let b = run_cluster(&spec);
            assert_eq!(a.files, b.files, "{}", spec.name);
            for e in &a.events {
                let text = String::from_utf8_lossy(&a.files[&e.file]).into_owned();
                let line = strip_ansi(text.split('\n').nth(e.line - 1).unwrap());
                let first = e.message.lines().next().unwrap_or("");
                // JSON escapes quotes in the message.
                let json_first = serde_json::to_string(first).unwrap();
                let json_first = &json_first[1..json_first.len() - 1];
                assert!(line.contains(first) || line.contains(json_first), "{}: {first} vs {line}", spec.name);
                if let Some(ts) = &e.ts {
                    assert!(line.contains(ts.as_str()));
                }
            }
            let outcomes: Vec<_> = a.truth.jobs.iter().map(|j| j.outcome).collect();
            for o in ["completed", "failed", "running"] {
                assert!(outcomes.contains(&o), "{} lacks a {o} job", spec.name);
            }
            if spec.release.current() {
                for k in ["setup", "wrap", "execute"] {
                    assert!(a.truth.jobs.iter().any(|j| j.job_kind == k), "{} lacks a {k} job", spec.name);
                }
                assert!(outcomes.contains(&"cancelled"));
            }
        }
    }

    #[test]
    fn phases_overlap_and_words_do_not_make_a_phase() {
        let out = run_cluster(&specs()[0]);
        let overlap = out.truth.jobs.iter().any(|j| {
            let p = |n: &str| j.phases.iter().find(|p| p.name == n);
            matches!((p("Prove"), p("Aggregate")), (Some(pr), Some(ag)) if ag.start < pr.end)
        });
        assert!(overlap, "a job whose Aggregate starts before its Prove ends");
        let phase_of = |needle: &str| -> Vec<Option<&str>> {
            out.events.iter().filter(|e| e.message.contains(needle)).map(|e| e.phase).collect()
        };
        // Proofman's lines name no job: their phase is the worker's window.
        assert!(phase_of(">>> GENERATE_VADCOP_FINAL_PROOF").iter().all(|p| *p == Some("Aggregate")));
        assert!(phase_of(">>> GENERATING_INNER_PROOFS").iter().all(|p| *p == Some("Prove")));
        assert!(phase_of("GENERATING_WRAPPER_SNARK_PROOF").iter().all(|p| p.is_none()));
        assert!(phase_of("INITIALIZING_PROOFMAN").iter().all(|p| p.is_none()));
        // A failure line belongs to the phase the job was in.
        assert!(phase_of("Failed job").iter().all(|p| p.is_some()));
        // Colliding operator IDs print alike; the truth keeps them apart.
        let logged: Vec<&str> = out.truth.workers.iter().map(|w| w.logged_id.as_str()).collect();
        assert!(logged.contains(&"gpu-node") && logged.contains(&"gpu-node-02"), "{logged:?}");
    }

    #[test]
    fn marks_give_every_job_and_worker_event_in_true_time() {
        let out = run_cluster(&specs()[0]);
        for (j, job) in out.truth.jobs.iter().enumerate() {
            let at = |m: Mark| out.marks.iter().find(|e| e.mark == m).map(|e| e.true_us);
            let start = at(Mark::JobStart(j)).expect("every job starts");
            if job.ended.is_some() {
                assert!(at(Mark::JobEnd(j)).expect("an ended job has its end") >= start);
            }
        }
        for w in 0..6 {
            assert!(out.marks.iter().any(|e| e.mark == Mark::WorkerUp(w) && e.host == 0));
        }
    }
}
