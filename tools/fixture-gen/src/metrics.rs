//! The coordinator's `/metrics` as a Prometheus scraping every 5 s would have stored it, written
//! as OpenMetrics with a timestamp on every sample (`metrics.om`, the input of `promtool tsdb
//! create-blocks-from openmetrics`). Built from the simulation's marks in true time (Prometheus'
//! clock), so it agrees with the logs: every job end counted, every registration and disconnect.
//!
//! Two exporters, as ZISK-SOURCE.md §4 and the operator guide describe them:
//! - `Code` (v0.13+): `outcome` is `success|failure|cancelled`, `kind` is always `prove`, and
//!   `coordinator_workers_connected` goes up when an unknown worker ID registers and never down
//!   on a disconnect.
//! - `Seed` (the guide's documented shape, ≤ v0.12): `completed|failed|cancelled`,
//!   `kind` `prove|execute`, and a gauge that is the true count.
//!
//! Setup and wrap jobs are not client jobs: the job counters, the histogram and
//! `coordinator_active_jobs` count prove and execute jobs only.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::clock::START_US;
use crate::output::ClusterOutput;
use crate::timeline::Mark;

pub const SCRAPE_MS: i64 = 5_000;
const BUCKETS: [f64; 7] = [1.0, 2.0, 5.0, 10.0, 20.0, 60.0, 300.0];
/// Scrapes go on this long after the cluster's last line.
const TAIL_MS: i64 = 60_000;
const TARGET: &str = "job=\"zisk-coordinator\",instance=\"coordinator:9090\"";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exporter {
    Code,
    Seed,
}

impl Exporter {
    /// The exporter a cluster's coordinator runs: the documented shape and v0.12 speak the
    /// guide's vocabulary, every later release the code's.
    pub fn of(out: &ClusterOutput) -> Exporter {
        let t = &out.truth;
        if t.shape == "documented" || t.release == "0.12.0" {
            Exporter::Seed
        } else {
            Exporter::Code
        }
    }

    fn outcome(self, truth: &str) -> Option<&'static str> {
        Some(match (self, truth) {
            (Exporter::Code, "completed") => "success",
            (Exporter::Code, "failed") => "failure",
            (Exporter::Seed, "completed") => "completed",
            (Exporter::Seed, "failed") => "failed",
            (_, "cancelled") => "cancelled",
            _ => return None,
        })
    }

    fn outcomes(self) -> [&'static str; 3] {
        ["completed", "failed", "cancelled"].map(|o| self.outcome(o).expect("terminal outcome"))
    }

    fn kind(self, job_kind: &str) -> &'static str {
        match (self, job_kind) {
            (Exporter::Seed, "execute") => "execute",
            _ => "prove",
        }
    }
}

/// What changes the exporter's state, in true time (ms since the epoch).
enum Change {
    Up,
    Down,
    JobStart,
    JobEnd { kind: &'static str, outcome: &'static str, secs: f64, workers: Vec<String> },
    Register(String),
    Disconnect(String),
}

/// The exporter's state in one coordinator life.
#[derive(Default)]
struct State {
    jobs: BTreeMap<(&'static str, &'static str), u64>,
    worker_jobs: BTreeMap<(String, &'static str), u64>,
    /// Per outcome: bucket counts (cumulative when written), count, sum.
    durations: BTreeMap<&'static str, ([u64; 7], u64, f64)>,
    active: i64,
    known: BTreeSet<String>,
    connected: BTreeSet<String>,
}

/// The cluster's scrapes as OpenMetrics text.
pub fn openmetrics(out: &ClusterOutput, exporter: Exporter) -> String {
    let changes = changes(out, exporter);
    let last = out.events.iter().map(|e| true_ms(&e.true_ts)).max().unwrap_or(START_US / 1000);
    let first = changes.first().map_or(last, |c| c.0);
    let start = first.div_euclid(SCRAPE_MS) * SCRAPE_MS + SCRAPE_MS;
    let end = last + TAIL_MS;

    // Every label set any life ever shows, so each series starts from zero.
    let kinds: BTreeSet<&'static str> = out
        .truth
        .jobs
        .iter()
        .filter(|j| matches!(j.job_kind, "prove" | "execute"))
        .map(|j| exporter.kind(j.job_kind))
        .collect();
    let workers: BTreeSet<String> = out
        .truth
        .jobs
        .iter()
        .filter(|j| matches!(j.job_kind, "prove" | "execute") && j.ended.is_some())
        .flat_map(|j| j.workers.iter().cloned())
        .collect();

    let mut fam = Families::default();
    let mut state: Option<State> = None;
    let mut i = 0;
    let mut t = start;
    while t <= end {
        while i < changes.len() && changes[i].0 <= t {
            apply(&mut state, &changes[i].1, exporter);
            i += 1;
        }
        let ts = format!("{}.{:03}", t.div_euclid(1000), t.rem_euclid(1000));
        fam.push("up", format!("up{{{TARGET}}} {} {ts}", u8::from(state.is_some())));
        if let Some(s) = &state {
            scrape(&mut fam, s, &ts, &kinds, &workers, exporter);
        }
        t += SCRAPE_MS;
    }
    fam.text()
}

fn true_ms(ts: &str) -> i64 {
    let us = crate::clock::parse_ts(ts).expect("the generator's own timestamps");
    us.div_euclid(1000)
}

fn changes(out: &ClusterOutput, exporter: Exporter) -> Vec<(i64, Change)> {
    let mut v = Vec::new();
    for m in &out.marks {
        let t = m.true_us.div_euclid(1000);
        let job = |j: usize| &out.truth.jobs[j];
        let counted = |j: usize| matches!(job(j).job_kind, "prove" | "execute");
        let change = match m.mark {
            Mark::CoordinatorUp => Change::Up,
            Mark::CoordinatorDown => Change::Down,
            Mark::JobStart(j) if counted(j) => Change::JobStart,
            Mark::JobEnd(j) if counted(j) => {
                let Some(outcome) = exporter.outcome(job(j).outcome) else { continue };
                let start = out.marks.iter().find(|s| s.mark == Mark::JobStart(j)).map_or(m.true_us, |s| s.true_us);
                Change::JobEnd {
                    kind: exporter.kind(job(j).job_kind),
                    outcome,
                    secs: (m.true_us - start) as f64 / 1e6,
                    workers: job(j).workers.clone(),
                }
            }
            Mark::WorkerUp(w) => Change::Register(out.truth.workers[w].worker_id.clone()),
            Mark::WorkerDown(w) => Change::Disconnect(out.truth.workers[w].worker_id.clone()),
            _ => continue,
        };
        v.push((t, change));
    }
    v.sort_by_key(|c| c.0);
    v
}

fn apply(state: &mut Option<State>, c: &Change, exporter: Exporter) {
    match c {
        Change::Up => *state = Some(State::default()),
        Change::Down => *state = None,
        _ => {}
    }
    let Some(s) = state else { return };
    match c {
        Change::Up | Change::Down => {}
        Change::JobStart => s.active += 1,
        Change::JobEnd { kind, outcome, secs, workers } => {
            s.active -= 1;
            *s.jobs.entry((kind, outcome)).or_default() += 1;
            for w in workers {
                *s.worker_jobs.entry((w.clone(), outcome)).or_default() += 1;
            }
            let d = s.durations.entry(outcome).or_default();
            if let Some(b) = BUCKETS.iter().position(|&b| *secs <= b) {
                d.0[b] += 1;
            }
            d.1 += 1;
            d.2 += secs;
        }
        Change::Register(w) => {
            s.known.insert(w.clone());
            s.connected.insert(w.clone());
        }
        Change::Disconnect(w) => {
            s.connected.remove(w);
        }
    }
    if exporter == Exporter::Code {
        // Up when an unknown ID registers, never down on a disconnect (workers_pool.rs).
        s.connected.clone_from(&s.known);
    }
}

fn scrape(
    fam: &mut Families,
    s: &State,
    ts: &str,
    kinds: &BTreeSet<&'static str>,
    workers: &BTreeSet<String>,
    exporter: Exporter,
) {
    fam.push("coordinator_active_jobs", format!("coordinator_active_jobs{{{TARGET}}} {} {ts}", s.active));
    fam.push(
        "coordinator_workers_connected",
        format!("coordinator_workers_connected{{{TARGET}}} {} {ts}", s.connected.len()),
    );
    for k in kinds {
        for o in exporter.outcomes() {
            let v = s.jobs.get(&(*k, o)).copied().unwrap_or(0);
            fam.push(
                "coordinator_jobs",
                format!("coordinator_jobs_total{{{TARGET},kind=\"{k}\",outcome=\"{o}\"}} {v} {ts}"),
            );
        }
    }
    for w in workers {
        for o in exporter.outcomes() {
            let v = s.worker_jobs.get(&(w.clone(), o)).copied().unwrap_or(0);
            fam.push(
                "coordinator_worker_jobs",
                format!("coordinator_worker_jobs_total{{{TARGET},worker_id=\"{w}\",outcome=\"{o}\"}} {v} {ts}"),
            );
        }
    }
    for o in exporter.outcomes() {
        let (buckets, count, sum) = s.durations.get(o).copied().unwrap_or_default();
        let name = "coordinator_job_duration_seconds";
        let mut cum = 0;
        for (b, n) in BUCKETS.iter().zip(buckets) {
            cum += n;
            fam.push(name, format!("{name}_bucket{{{TARGET},outcome=\"{o}\",le=\"{b}\"}} {cum} {ts}"));
        }
        fam.push(name, format!("{name}_bucket{{{TARGET},outcome=\"{o}\",le=\"+Inf\"}} {count} {ts}"));
        fam.push(name, format!("{name}_count{{{TARGET},outcome=\"{o}\"}} {count} {ts}"));
        fam.push(name, format!("{name}_sum{{{TARGET},outcome=\"{o}\"}} {sum} {ts}"));
    }
}

/// Writes the text gzipped (the scrapes compress twentyfold; promtool wants them plain, so a
/// reader gunzips them first).
pub fn write_gz(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(path)?, flate2::Compression::best());
    gz.write_all(text.as_bytes())?;
    gz.finish()?.sync_all()
}

/// Samples by family, each family written whole (OpenMetrics keeps a family contiguous).
#[derive(Default)]
struct Families {
    order: Vec<&'static str>,
    samples: BTreeMap<&'static str, Vec<String>>,
}

impl Families {
    fn push(&mut self, family: &'static str, line: String) {
        if !self.samples.contains_key(family) {
            self.order.push(family);
        }
        self.samples.entry(family).or_default().push(line);
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for f in &self.order {
            let kind = match *f {
                "coordinator_jobs" | "coordinator_worker_jobs" => "counter",
                "coordinator_job_duration_seconds" => "histogram",
                _ => "gauge",
            };
            let _ = writeln!(out, "# TYPE {f} {kind}");
            for l in &self.samples[f] {
                out.push_str(l);
                out.push('\n');
            }
        }
        out.push_str("# EOF\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `coordinator_workers_connected` values of one text, in scrape order.
    fn gauge(om: &str) -> Vec<u64> {
        om.lines()
            .filter(|l| l.starts_with("coordinator_workers_connected{"))
            .map(|l| l.split(' ').nth(1).unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn the_codes_gauge_never_falls_on_a_disconnect_and_the_guides_does() {
        let legacy = crate::legacy::specs();
        let documented = legacy.iter().find(|s| s.name == "json-documented").unwrap();
        let out = crate::legacy::run_cluster(documented);
        assert_eq!(Exporter::of(&out), Exporter::Seed);
        let seed = gauge(&openmetrics(&out, Exporter::Seed));
        assert!(seed.windows(2).any(|w| w[1] < w[0]), "the true count falls: {seed:?}");

        let release = crate::release::specs().into_iter().find(|s| s.name == "v0.18").unwrap();
        let out = crate::release::run_cluster(&release);
        assert_eq!(Exporter::of(&out), Exporter::Code);
        let om = openmetrics(&out, Exporter::Code);
        let code = gauge(&om);
        assert!(code.windows(2).all(|w| w[1] >= w[0]), "one life, never lowered: {code:?}");
        assert!(om.contains("outcome=\"failure\"") && !om.contains("outcome=\"failed\""));
        assert!(om.ends_with("# EOF\n"));
    }

    #[test]
    fn every_counted_job_end_is_in_the_last_scrape() {
        let release = crate::release::specs().into_iter().find(|s| s.name == "v0.17").unwrap();
        let out = crate::release::run_cluster(&release);
        let om = openmetrics(&out, Exporter::Code);
        let ended =
            out.truth.jobs.iter().filter(|j| matches!(j.job_kind, "prove" | "execute") && j.ended.is_some()).count()
                as u64;
        let mut last: BTreeMap<&str, u64> = BTreeMap::new();
        for l in om.lines().filter(|l| l.starts_with("coordinator_jobs_total{")) {
            let (series, rest) = l.split_once("} ").unwrap();
            last.insert(series, rest.split(' ').next().unwrap().parse().unwrap());
        }
        assert_eq!(last.values().sum::<u64>(), ended);
    }
}
