//! The seed's `coordinator_*` series derived from the coordinator's logs: jobs by kind and
//! outcome, job durations into the seed's buckets, active jobs, workers connected (the true
//! count, down on every disconnect), per-worker outcomes, and `up`. Each series is a step
//! function over the coordinator's lives; a restart resets it, as the exporter's would be.

use std::hash::Hash;

use rustc_hash::FxHashMap;

use crate::event::Phase;
use crate::metrics::facts::{CoordinatorLog, Life};
use crate::metrics::series::{labels, Grid, Labels, Series, NAME};
use crate::metrics::vocab::Vocabulary;
use crate::trail::record::{JobKind, JobRecord};

/// The buckets of `coordinator_job_duration_seconds` (seed and code agree).
pub const BUCKETS: [f64; 7] = [1.0, 2.0, 5.0, 10.0, 20.0, 60.0, 300.0];
/// The scrape job the seed's rules select (`up{job="zisk-coordinator"}`).
pub const SCRAPE_JOB: &str = "zisk-coordinator";
/// The instance label of derived series, so that a backfill never collides with real scrapes.
pub const INSTANCE: &str = "zisk-logs";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// A step function: its value changes at `changes`, and it exists only within `alive` (ms).
#[derive(Clone, Debug, Default)]
pub struct StepSeries {
    pub labels: Labels,
    pub changes: Vec<(i64, f64)>,
    pub alive: Vec<(i64, i64)>,
}

impl StepSeries {
    fn new(labels: Labels) -> StepSeries {
        StepSeries {
            labels,
            ..StepSeries::default()
        }
    }

    /// The value at `t`, or None where the series does not exist.
    pub fn at(&self, t: i64) -> Option<f64> {
        if !self.alive.iter().any(|&(s, e)| s <= t && t <= e) {
            return None;
        }
        let i = self.changes.partition_point(|&(ct, _)| ct <= t);
        i.checked_sub(1).map(|i| self.changes[i].1)
    }

    /// Its samples on a grid (where it exists).
    pub fn sample(&self, grid: &Grid) -> Series {
        let mut samples = Vec::new();
        let mut i = 0;
        for t in grid.times() {
            while i < self.changes.len() && self.changes[i].0 <= t {
                i += 1;
            }
            if i > 0 && self.alive.iter().any(|&(s, e)| s <= t && t <= e) {
                samples.push((t, self.changes[i - 1].1));
            }
        }
        Series {
            labels: self.labels.clone(),
            samples,
        }
    }

    fn set(&mut self, t: i64, v: f64) {
        match self.changes.last_mut() {
            Some(last) if last.0 == t => last.1 = v,
            _ => self.changes.push((t, v)),
        }
    }

    fn last(&self) -> f64 {
        self.changes.last().map_or(0.0, |c| c.1)
    }
}

/// One metric family: a name as `# TYPE` gives it, and its series (a histogram's in groups of
/// buckets, `_count`, `_sum` per label set).
#[derive(Clone, Debug)]
pub struct Family {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    pub series: Vec<StepSeries>,
}

/// All derived families.
pub struct Derived {
    pub families: Vec<Family>,
}

impl Derived {
    /// Every series whose name is `name`, sampled on `grid`.
    pub fn sampled(&self, name: &str, grid: &Grid) -> Vec<Series> {
        self.families
            .iter()
            .flat_map(|f| &f.series)
            .filter(|s| s.labels.get(NAME).is_some_and(|n| n == name))
            .map(|s| s.sample(grid))
            .collect()
    }

    pub fn all(&self) -> impl Iterator<Item = &StepSeries> {
        self.families.iter().flat_map(|f| &f.series)
    }
}

pub fn is_execute(job: &JobRecord) -> bool {
    job.phases.iter().any(|p| p.name == Phase::execution())
}

fn ms(t: crate::time::Timestamp) -> i64 {
    t.as_micros().div_euclid(1000)
}

fn with_target(mut l: Labels) -> Labels {
    l.insert("job".into(), SCRAPE_JOB.into());
    l.insert("instance".into(), INSTANCE.into());
    l
}

/// A counter of job ends per label set, reset at every life start.
struct Counters<K> {
    series: Vec<StepSeries>,
    /// Each label set's series by a small key (kind and outcome, worker and outcome): a day's
    /// job ends each look theirs up, and building and hashing a label set each time was most
    /// of the derivation.
    index: FxHashMap<K, usize>,
}

impl<K: Hash + Eq> Counters<K> {
    fn new(sets: Vec<(K, Labels)>) -> Counters<K> {
        let mut index = FxHashMap::default();
        let mut series = Vec::with_capacity(sets.len());
        for (key, l) in sets {
            index.entry(key).or_insert(series.len());
            series.push(StepSeries::new(l));
        }
        Counters { series, index }
    }
    fn find(&mut self, key: &K) -> Option<&mut StepSeries> {
        self.index.get(key).map(|&i| &mut self.series[i])
    }
}

/// The lives as ms ranges, the last one held open to `horizon`.
fn life_ranges(lives: &[Life], horizon: i64) -> Vec<(i64, i64)> {
    lives
        .iter()
        .map(|l| {
            let start = ms(l.start);
            (start, l.end.map_or(horizon.max(start), ms))
        })
        .collect()
}

/// Derives every family from the coordinator's log and its jobs, up to `horizon` (ms) for a
/// coordinator still running at the end of its logs.
pub fn derive(
    log: &CoordinatorLog,
    jobs: &[JobRecord],
    vocab: Vocabulary,
    horizon: i64,
) -> Derived {
    let lives = life_ranges(&log.lives, horizon);
    let life_of = |t: i64| lives.iter().position(|&(s, e)| s <= t && t <= e);
    // Setup and wrap jobs are not counted by the coordinator's job metrics.
    let counted = |j: &&JobRecord| matches!(j.job_kind(), JobKind::Prove | JobKind::Execute);
    let ended: Vec<(&JobRecord, i64, &'static str)> = jobs
        .iter()
        .filter(counted)
        .filter_map(|j| {
            let end = ms(j.ended?);
            Some((j, end, vocab.outcome(j.outcome())?))
        })
        .collect();

    // coordinator_jobs_total{kind, outcome}: every outcome of every kind seen, from zero.
    let mut kinds = vec![vocab.kind(false)];
    if ended.iter().any(|(j, _, _)| is_execute(j)) && !kinds.contains(&vocab.kind(true)) {
        kinds.push(vocab.kind(true));
    }
    let mut sets = Vec::new();
    for k in &kinds {
        for o in vocab.outcomes() {
            let l = labels("coordinator_jobs_total", [("kind", *k), ("outcome", o)]);
            sets.push(((*k, o), with_target(l)));
        }
    }
    let jobs_total = count_ends(sets, &ended, &lives, &life_of, |j, o| {
        vec![(vocab.kind(is_execute(j)), o)]
    });

    // coordinator_worker_jobs_total{worker_id, outcome}: each worker of a job at its end.
    // In the order first seen (a set beside the list: a day's jobs name a worker each time).
    let mut workers: Vec<String> = Vec::new();
    let mut seen: rustc_hash::FxHashSet<&str> = Default::default();
    for (j, _, _) in &ended {
        for w in &j.workers {
            if seen.insert(&w.text) {
                workers.push(w.text.to_string());
            }
        }
    }
    let mut sets = Vec::new();
    for w in &workers {
        for o in vocab.outcomes() {
            let l = labels(
                "coordinator_worker_jobs_total",
                [("worker_id", w.as_str()), ("outcome", o)],
            );
            sets.push(((w.as_str(), o), with_target(l)));
        }
    }
    let worker_jobs = count_ends(sets, &ended, &lives, &life_of, |j, o| {
        j.workers.iter().map(|w| (&*w.text, o)).collect()
    });

    let histogram = durations(&ended, &lives, &life_of, vocab);
    let active = active_jobs(jobs, &lives, &life_of);
    let connected = workers_connected(log, &lives);
    let up = up_series(&lives, horizon);

    Derived {
        families: vec![
            Family {
                name: "up",
                kind: Kind::Gauge,
                help: "1 while the coordinator ran (from its logs; 0 between a crash or stop and its next start)",
                series: vec![up],
            },
            Family {
                name: "coordinator_active_jobs",
                kind: Kind::Gauge,
                help: "Jobs running on the coordinator (from its logs)",
                series: vec![active],
            },
            Family {
                name: "coordinator_workers_connected",
                kind: Kind::Gauge,
                help: "Workers connected to the coordinator (from its logs: down on every disconnect)",
                series: vec![connected],
            },
            Family {
                name: "coordinator_jobs",
                kind: Kind::Counter,
                help: "Jobs ended, by kind and outcome (from the coordinator's logs)",
                series: jobs_total,
            },
            Family {
                name: "coordinator_worker_jobs",
                kind: Kind::Counter,
                help: "Job ends per worker, by outcome (from the coordinator's logs)",
                series: worker_jobs,
            },
            Family {
                name: "coordinator_job_duration_seconds",
                kind: Kind::Histogram,
                help: "Job duration from start to end, by outcome (from the coordinator's logs)",
                series: histogram,
            },
        ],
    }
}

/// Counters of job ends, one per label set of `sets` (by its key): `keys` gives the keys of
/// the sets a job end increments.
fn count_ends<'j, K: Hash + Eq>(
    sets: Vec<(K, Labels)>,
    ended: &[(&'j JobRecord, i64, &'static str)],
    lives: &[(i64, i64)],
    life_of: &dyn Fn(i64) -> Option<usize>,
    keys: impl Fn(&'j JobRecord, &'static str) -> Vec<K>,
) -> Vec<StepSeries> {
    let mut c = Counters::new(sets);
    let mut ends: Vec<&(&JobRecord, i64, &'static str)> = ended.iter().collect();
    ends.sort_by_key(|e| e.1);
    for s in &mut c.series {
        s.alive = lives.to_vec();
    }
    let mut by_time: Vec<(i64, K)> = Vec::new();
    for &&(j, end, o) in &ends {
        for l in keys(j, o) {
            by_time.push((end, l));
        }
    }
    // Increments interleave with the resets at life starts, so apply both in time order.
    let mut events: Vec<(i64, Option<K>)> = lives.iter().map(|&(s, _)| (s, None)).collect();
    events.extend(by_time.into_iter().map(|(t, l)| (t, Some(l))));
    events.sort_by_key(|e| (e.0, e.1.is_some()));
    for (t, l) in events {
        match l {
            None => c.series.iter_mut().for_each(|s| s.set(t, 0.0)),
            Some(l) if life_of(t).is_some() => {
                if let Some(s) = c.find(&l) {
                    let v = s.last() + 1.0;
                    s.set(t, v);
                }
            }
            Some(_) => {}
        }
    }
    c.series
}

fn durations(
    ended: &[(&JobRecord, i64, &'static str)],
    lives: &[(i64, i64)],
    life_of: &dyn Fn(i64) -> Option<usize>,
    vocab: Vocabulary,
) -> Vec<StepSeries> {
    let name = "coordinator_job_duration_seconds";
    let mut out = Vec::new();
    for o in vocab.outcomes() {
        let base = |n: &str, extra: Option<&str>| {
            let mut l = labels(n, [("outcome", o)]);
            if let Some(le) = extra {
                l.insert("le".into(), le.into());
            }
            with_target(l)
        };
        let mut group: Vec<StepSeries> = BUCKETS
            .iter()
            .map(|b| format!("{b}"))
            .chain(["+Inf".to_string()])
            .map(|le| StepSeries::new(base(&format!("{name}_bucket"), Some(&le))))
            .collect();
        group.push(StepSeries::new(base(&format!("{name}_count"), None)));
        group.push(StepSeries::new(base(&format!("{name}_sum"), None)));
        let mut events: Vec<(i64, Option<f64>)> = lives.iter().map(|&(s, _)| (s, None)).collect();
        events.extend(
            ended
                .iter()
                .filter(|e| e.2 == o && life_of(e.1).is_some())
                .map(|(j, t, _)| (*t, Some(j.duration_s().unwrap_or(0.0).max(0.0)))),
        );
        events.sort_by_key(|e| (e.0, e.1.is_some()));
        for s in &mut group {
            s.alive = lives.to_vec();
        }
        for (t, d) in events {
            let Some(d) = d else {
                group.iter_mut().for_each(|s| s.set(t, 0.0));
                continue;
            };
            let n = group.len();
            for (i, s) in group.iter_mut().enumerate() {
                let add = if i < BUCKETS.len() {
                    f64::from(u8::from(d <= BUCKETS[i]))
                } else if i == n - 1 {
                    d
                } else {
                    1.0
                };
                if add != 0.0 {
                    let v = s.last() + add;
                    s.set(t, v);
                }
            }
        }
        out.extend(group);
    }
    out
}

fn active_jobs(
    jobs: &[JobRecord],
    lives: &[(i64, i64)],
    life_of: &dyn Fn(i64) -> Option<usize>,
) -> StepSeries {
    let mut deltas: Vec<(i64, i32)> = lives.iter().map(|&(s, _)| (s, 0)).collect();
    for j in jobs {
        let Some(start) = j.started.map(ms) else {
            continue;
        };
        let Some(life) = life_of(start) else { continue };
        let life_end = lives[life].1;
        // A job its life never ended stops counting when the process does.
        let end = j
            .ended
            .map(ms)
            .filter(|&e| e <= life_end)
            .unwrap_or(life_end + 1);
        deltas.push((start, 1));
        deltas.push((end, -1));
    }
    deltas.sort();
    let mut s = StepSeries::new(with_target(labels("coordinator_active_jobs", [])));
    s.alive = lives.to_vec();
    let mut v = 0i64;
    for (t, d) in deltas {
        if d == 0 && lives.iter().any(|&(ls, _)| ls == t) {
            v = 0;
        }
        v = (v + d as i64).max(0);
        s.set(t, v as f64);
    }
    s
}

fn workers_connected(log: &CoordinatorLog, lives: &[(i64, i64)]) -> StepSeries {
    let seen_start = |t: i64| {
        lives
            .iter()
            .position(|&(s, e)| s <= t && t <= e)
            .and_then(|i| log.lives.get(i))
            .is_some_and(|l| l.seen_start)
    };
    let mut s = StepSeries::new(with_target(labels("coordinator_workers_connected", [])));
    s.alive = lives.to_vec();
    let mut connected: Vec<&str> = Vec::new();
    let mut marks: Vec<(i64, Option<usize>)> = lives.iter().map(|&(ls, _)| (ls, None)).collect();
    marks.extend(
        log.fleet
            .iter()
            .enumerate()
            .map(|(i, f)| (ms(f.ts), Some(i))),
    );
    marks.sort_by_key(|m| (m.0, m.1.is_some()));
    for (t, i) in marks {
        let Some(i) = i else {
            connected.clear();
            s.set(t, 0.0);
            continue;
        };
        let f = &log.fleet[i];
        let key = &*f.worker.text;
        if f.change.connects() {
            if !connected.contains(&key) {
                connected.push(key);
            }
        } else {
            connected.retain(|k| *k != key);
        }
        // Within a life whose start the logs show, every registration is in them; before
        // that, the pool's own count knows workers registered before the logs begin.
        let count = if seen_start(t) {
            connected.len()
        } else {
            f.total.unwrap_or(connected.len())
        };
        s.set(t, count as f64);
    }
    s
}

fn up_series(lives: &[(i64, i64)], horizon: i64) -> StepSeries {
    let mut s = StepSeries::new(with_target(labels("up", [])));
    let (Some(first), Some(last)) = (lives.first(), lives.last()) else {
        return s;
    };
    s.alive = vec![(first.0, horizon.max(last.1))];
    for (i, &(start, end)) in lives.iter().enumerate() {
        s.set(start, 1.0);
        // Down from just after its last line until the next start.
        if i + 1 < lives.len() || end < horizon {
            s.set(end + 1, 0.0);
        }
    }
    s
}
