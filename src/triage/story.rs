//! The story per firing interval: what in the logs explains it. Failure alerts list the jobs
//! that failed (reason, the worker blamed, the first error), grouped by reason and by worker;
//! fleet alerts the workers that left (their last lines, when they came back); latency alerts
//! the slowest jobs and who held each phase up; an unreachable coordinator its last and first
//! lines around the gap. Planned first (what to read), then told (records for the output).

use std::collections::{BTreeMap, HashMap};

use regex::Regex;
use std::sync::LazyLock;

use crate::config::Config;
use crate::event::{IdRef, Role};
use crate::metrics::derive::is_execute;
use crate::metrics::facts::{Change, CoordinatorLog};
use crate::metrics::vocab::outcome_of;
use crate::metrics::LogFacts;
use crate::time::Timestamp;
use crate::trail::record::{id_key, same_key, JobRecord};
use crate::trail::streams::same_worker;
use crate::trail::Outcome;
use crate::triage::directory::Directory;
use crate::triage::eval::{equality_matchers, selectors};
use crate::triage::evaluate::Fired;
use crate::triage::fire::Firing;
use crate::triage::reads::{Lines, Wants};
use crate::triage::rules::{Rule, Topic};

/// How far back a departed worker's last lines are looked for.
const LAST_LINES_US: i64 = 120_000_000;
/// Slack after a coordinator time for a worker's clock (skew, the 500 ms disconnect grace).
const SLACK_US: i64 = 2_000_000;
/// How many of the slowest jobs a latency alert lists.
const SLOWEST: usize = 5;
/// How far before a live alert went active its story looks (its history is not at hand).
pub const LIVE_LEAD_MS: i64 = 600_000;

/// One alert interval and what the logs say about it, before it is rendered.
pub struct Story<'r> {
    pub rule: &'r Rule,
    pub firing: Firing,
    pub expr: String,
    pub corrected: bool,
    pub evaluated_on: &'static str,
    pub explained: (Timestamp, Timestamp),
    pub jobs: Vec<JobStory<'r>>,
    pub workers: Vec<Departure>,
    pub gap: Option<Gap>,
}

pub struct JobStory<'r> {
    pub job: &'r JobRecord,
    pub blamed: Option<IdRef>,
}

/// A worker that left the pool during (or before, and stayed away into) an interval.
#[derive(Clone, Debug)]
pub struct Departure {
    pub worker: IdRef,
    pub change: Change,
    pub ts: Timestamp,
    pub back_at: Option<Timestamp>,
    /// Failed jobs blamed on it in the interval (worker-failure alerts).
    pub jobs_failed: usize,
}

/// The coordinator around a gap in its scrapes.
#[derive(Clone, Copy, Debug)]
pub struct Gap {
    pub down_from: Timestamp,
    pub down_to: Timestamp,
    /// The start of a new life during the gap (a restart), if the logs show one.
    pub restarted_at: Option<Timestamp>,
    /// The coordinator's source (its index in the configuration).
    pub source: Option<usize>,
}

fn ts_of_ms(ms: i64) -> Timestamp {
    Timestamp(ms * 1000)
}

/// Which outcome's jobs explain the alert: the alert's `outcome` label, else the rule's
/// `outcome=` matcher, else failures.
fn wanted_outcome(rule: &Rule, labels: &BTreeMap<String, String>) -> Outcome {
    if let Some(o) = labels.get("outcome").and_then(|o| outcome_of(o)) {
        return o;
    }
    selectors(&rule.parsed)
        .iter()
        .flat_map(|(vs, _)| equality_matchers(vs))
        .find(|(k, _)| *k == "outcome")
        .and_then(|(_, v)| outcome_of(v))
        .unwrap_or(Outcome::Failed)
}

/// The worker a failed job is blamed on: one the reason names, one a coordinator ERROR about
/// the job names, the worker whose own logs erred on it first, one whose `Worker … error:`
/// came just before the failure, the worker that held up a phase that timed out, or the
/// job's only worker.
pub fn blame(
    job: &JobRecord,
    log: &CoordinatorLog,
    lines: Option<&Lines>,
    dir: &Directory,
) -> Option<IdRef> {
    let key = id_key(&job.id.text);
    let own_logs = || {
        let e = lines?.first_worker_error(&key)?;
        dir.entries()
            .iter()
            .find(|d| config_label_matches(&d.name, &e.source))
            .map(|d| d.id.clone())
    };
    let named = job
        .reason
        .as_deref()
        .and_then(|r| crate::derive::ids_in_message(r).worker)
        .or_else(|| {
            log.worker_errors
                .iter()
                .find(|w| w.job.as_ref().is_some_and(|j| same_key(&j.text, &key)))
                .map(|w| w.worker.clone())
        })
        .or_else(own_logs)
        .or_else(|| {
            let end = job.ended?;
            log.worker_errors
                .iter()
                .rfind(|w| w.job.is_none() && w.ts <= end && end.0 - w.ts.0 <= SLACK_US)
                .map(|w| w.worker.clone())
        })
        .or_else(|| job.held_up())
        .or_else(|| (job.workers.len() == 1).then(|| job.workers[0].clone()))?;
    // A cut ID that two workers share (`WorkerId(gpu-node…)`) is the one whose own logs erred
    // on the job; failing that it stays the prefix as logged rather than a guess.
    if ambiguous(&named, dir) {
        return Some(
            own_logs()
                .filter(|w| same_worker(w, &named))
                .unwrap_or(named),
        );
    }
    Some(dir.full(&named))
}

/// A truncated ID that more than one known worker's ID begins with.
fn ambiguous(id: &IdRef, dir: &Directory) -> bool {
    let mut matches = dir.entries().iter().filter(|e| same_worker(&e.id, id));
    id.truncated
        && matches
            .next()
            .is_some_and(|a| matches.any(|b| b.id.text != a.id.text))
}

fn config_label_matches(name: &str, source: &str) -> bool {
    name == source
}

/// What every story reads from.
pub struct Ctx<'r> {
    pub facts: &'r LogFacts,
    pub until: Timestamp,
    pub dir: &'r Directory,
    pub config: &'r Config,
}

/// Plans a story: what it lists, and what lines it will quote.
pub fn plan<'r>(rule: &'r Rule, fired: &Fired, ctx: &Ctx<'r>, wants: &mut Wants) -> Story<'r> {
    let (facts, until, dir, config) = (ctx.facts, ctx.until, ctx.dir, ctx.config);
    let (firing, evaluated_on) = (fired.firing.clone(), fired.on);
    let live = evaluated_on == crate::triage::live::ON_ALERTMANAGER
        || evaluated_on == crate::triage::live::ON_PROMETHEUS_ALERTS;
    let lead = if live {
        rule.range_ms.max(LIVE_LEAD_MS)
    } else {
        rule.range_ms
    };
    let from = ts_of_ms(firing.active_from - lead);
    let to = if firing.open {
        until
    } else {
        ts_of_ms(firing.last)
    };
    let mut story = Story {
        rule,
        expr: fired.expr.clone(),
        corrected: fired.corrected,
        evaluated_on,
        explained: (from, to),
        jobs: Vec::new(),
        workers: Vec::new(),
        gap: None,
        firing,
    };
    match rule.topic {
        Topic::Failures | Topic::WorkerFailures => {
            let outcome = wanted_outcome(rule, &story.firing.labels);
            let kind = story.firing.labels.get("kind").cloned();
            let worker = story
                .firing
                .labels
                .get("worker_id")
                .map(|w| IdRef::full(w.as_str()));
            for job in ended_in(&facts.jobs, from, to) {
                if job.outcome() != outcome
                    || kind
                        .as_deref()
                        .is_some_and(|k| (k == "execute") != is_execute(job))
                {
                    continue;
                }
                if let Some(w) = &worker {
                    if !job
                        .workers
                        .iter()
                        .any(|jw| same_worker(jw, w) || same_worker(&dir.full(jw), w))
                    {
                        continue;
                    }
                }
                wants.jobs.insert(id_key(&job.id.text));
                story.jobs.push(JobStory { job, blamed: None });
            }
            if let Some(w) = worker {
                let failed = story.jobs.len();
                story.workers.push(Departure {
                    worker: dir.full(&w),
                    change: Change::Registered,
                    ts: from,
                    back_at: None,
                    jobs_failed: failed,
                });
                if let Some(e) = dir.find(&w) {
                    wants.window(e.source_index, from, to);
                }
            }
        }
        Topic::Latency => {
            let mut slow: Vec<&JobRecord> = ended_in(&facts.jobs, from, to).collect();
            slow.sort_by(|a, b| {
                b.duration_s()
                    .unwrap_or(0.0)
                    .total_cmp(&a.duration_s().unwrap_or(0.0))
            });
            for job in slow.into_iter().take(SLOWEST) {
                story.jobs.push(JobStory { job, blamed: None });
            }
        }
        Topic::Fleet => {
            let active = if live {
                from
            } else {
                ts_of_ms(story.firing.active_from)
            };
            story.workers = departures(&facts.coordinator, active, to, dir);
            for d in &story.workers {
                if let Some(e) = dir.find(&d.worker) {
                    wants.window(
                        e.source_index,
                        Timestamp(d.ts.0 - LAST_LINES_US),
                        Timestamp(d.ts.0 + SLACK_US),
                    );
                }
            }
        }
        Topic::Unreachable => {
            let down_from = ts_of_ms(story.firing.active_from);
            let restarted_at = facts.coordinator.lives.iter().map(|l| l.start).find(|&s| {
                s >= Timestamp(down_from.0 - 300_000_000) && s <= Timestamp(to.0 + 300_000_000)
            });
            let source = config
                .sources
                .iter()
                .position(|s| s.role == Some(Role::Coordinator));
            story.gap = Some(Gap {
                down_from,
                down_to: to,
                restarted_at,
                source,
            });
            if let Some(i) = source {
                wants.window(
                    i,
                    Timestamp(down_from.0 - 600_000_000),
                    Timestamp(to.0 + 600_000_000),
                );
            }
        }
        Topic::Other => {}
    }
    story
}

fn ended_in(
    jobs: &[JobRecord],
    from: Timestamp,
    to: Timestamp,
) -> impl Iterator<Item = &JobRecord> {
    jobs.iter()
        .filter(move |j| j.ended.is_some_and(|e| e >= from && e <= to))
}

/// Workers absent at some time in `[from, to]`: each one's departure that began the absence,
/// and when it came back.
pub fn departures(
    log: &CoordinatorLog,
    from: Timestamp,
    to: Timestamp,
    dir: &Directory,
) -> Vec<Departure> {
    let mut by_worker: Vec<(IdRef, Vec<(Timestamp, Change)>)> = Vec::new();
    for f in &log.fleet {
        match by_worker
            .iter_mut()
            .find(|(w, _)| same_worker(w, &f.worker))
        {
            Some((_, list)) => list.push((f.ts, f.change)),
            None => by_worker.push((f.worker.clone(), vec![(f.ts, f.change)])),
        }
    }
    let mut out = Vec::new();
    for (worker, list) in by_worker {
        for (i, &(ts, change)) in list.iter().enumerate() {
            if change.connects() || ts > to {
                continue;
            }
            let back_at = list[i + 1..]
                .iter()
                .find(|(_, c)| c.connects())
                .map(|(t, _)| *t);
            if back_at.is_some_and(|b| b < from) {
                continue;
            }
            // A second leave before coming back is the same absence.
            if list[..i]
                .iter()
                .rev()
                .take_while(|(_, c)| !c.connects())
                .next()
                .is_some()
            {
                continue;
            }
            out.push(Departure {
                worker: dir.full(&worker),
                change,
                ts,
                back_at,
                jobs_failed: 0,
            });
        }
    }
    out.sort_by_key(|d| d.ts);
    out
}

/// Fills in what needed the second read: blame and first errors.
pub fn complete(stories: &mut [Story], facts: &LogFacts, lines: &Lines, dir: &Directory) {
    for s in stories {
        if matches!(s.rule.topic, Topic::Failures | Topic::WorkerFailures) {
            for j in &mut s.jobs {
                j.blamed = blame(j.job, &facts.coordinator, Some(lines), dir);
            }
        }
    }
}

static IDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:WorkerId|JobId)\([^)]*\)|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32}\b")
        .expect("valid regex")
});

/// A reason with its IDs taken out, so that one cause on many jobs reads as one group.
pub fn reason_group(reason: &str) -> String {
    let r = IDS.replace_all(reason, "…");
    r.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Counts by key, largest first (ties by first seen).
pub fn groups<'a>(keys: impl Iterator<Item = String> + 'a) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for k in keys {
        match index.get(&k) {
            Some(&i) => counts[i].1 += 1,
            None => {
                index.insert(k.clone(), counts.len());
                counts.push((k, 1));
            }
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_group_without_their_ids() {
        assert_eq!(
            reason_group("Worker WorkerId(f38b6922…) connection dropped while computing for job JobId(7a3362a3…) in phase Prove"),
            "Worker … connection dropped while computing for job … in phase Prove"
        );
        let g = groups(["a", "b", "a"].iter().map(|s| s.to_string()));
        assert_eq!(g, [("a".to_string(), 2), ("b".to_string(), 1)]);
    }
}
