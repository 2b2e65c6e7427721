//! Writes a simulation's timeline through each host's formatter (tracing dispatchers into
//! in-memory files) and records the ground truth of every line as it is written.

use std::collections::BTreeMap;

use tracing::{Dispatch, Level};

use crate::clock::{self, fmt_ts, START_US};
use crate::emit::{self, Carrier, Format};
use crate::phases::LinePhases;
use crate::prng::Rng;
use crate::sink::MemSink;
use crate::timeline::{Item, Mark, Payload};
use crate::truth::*;
use crate::zfmt;

/// One host's output file and how its process logs.
pub struct HostSpec {
    pub file: String,
    pub role: &'static str,
    pub worker: Option<usize>,
    pub skew_us: i64,
    /// Formats in file order: a host switches to the next one at a restart.
    pub formats: Vec<Format>,
    pub max: Level,
    /// The rank format prints targets (a `-v` worker).
    pub show_target: bool,
    /// MPI processes (the rank format prints `[rank=N]` when more than one).
    pub ranks: u32,
    /// How the host's clock moves beyond its constant skew.
    pub clock: HostClock,
}

/// A host clock's drift and step, on top of its constant skew (the default: neither).
#[derive(Clone, Copy, Debug, Default)]
pub struct HostClock {
    /// Parts per million of true time elapsed since the simulation's start.
    pub drift_ppm: i64,
    /// At this true time (µs since the start) the clock is reset by this much (µs).
    pub step: Option<(i64, i64)>,
}

impl HostClock {
    /// What the clock adds to the constant skew at true time `t` (µs since the start).
    pub fn extra_us(&self, t: i64) -> i64 {
        let step = self.step.filter(|&(at, _)| t >= at).map_or(0, |(_, by)| by);
        t * self.drift_ppm / 1_000_000 + step
    }
}

pub struct EmitSpec<'a> {
    pub hosts: Vec<HostSpec>,
    /// DOMAIN.md's documented shape: structured fields and spans on some lines.
    pub documented: bool,
    pub seed: u64,
    pub job_ids: &'a [String],
    pub worker_ids: &'a [String],
}

/// A mark of the simulation with the time it happened and the time its line printed.
#[derive(Clone, Debug)]
#[allow(dead_code)] // read by tests and by metrics writers, not by the fixture files
pub struct SimEvent {
    /// True time, microseconds since the Unix epoch.
    pub true_us: i64,
    pub host: usize,
    pub ts: String,
    pub mark: Mark,
}

pub struct Emitted {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Ordered by file, then line.
    pub events: Vec<EventRow>,
    pub marks: Vec<SimEvent>,
}

struct Host {
    spec: HostSpec,
    cur: usize,
    sink: MemSink,
    dispatch: Dispatch,
}

fn dispatch_for(h: &HostSpec, cur: usize, sink: &MemSink) -> Dispatch {
    emit::dispatch(h.formats[cur], sink.clone(), h.skew_us, h.max, h.show_target)
}

/// Does `msg` name the ID (whole, or as `Kind(prefix…)`)?
fn names(msg: &str, kind: &str, id: &str) -> bool {
    msg.contains(id) || msg.contains(&short(kind, id))
}

pub fn emit_all(spec: EmitSpec<'_>, items: &[Item]) -> Emitted {
    let mut crng = Rng::new(spec.seed ^ 0xC0FFEE);
    // The legacy simulation drew the coordinator's skew from this generator first.
    let _ = (crng.range(-60, 60), crng.range(0, 999));
    let mut hosts: Vec<Host> = spec
        .hosts
        .into_iter()
        .map(|h| {
            let sink = MemSink::default();
            let dispatch = dispatch_for(&h, 0, &sink);
            Host { spec: h, cur: 0, sink, dispatch }
        })
        .collect();
    let mut truth = LinePhases::default();
    let mut events = Vec::new();
    let mut marks = Vec::new();
    for (order, item) in items.iter().enumerate() {
        let host = &mut hosts[item.host];
        let true_ts = fmt_ts(START_US + item.t);
        match &item.payload {
            Payload::Restart => {
                truth.restart(item.host);
                if host.cur + 1 < host.spec.formats.len() {
                    host.cur += 1;
                    host.dispatch = dispatch_for(&host.spec, host.cur, &host.sink);
                }
            }
            Payload::Banner(lines) => {
                truth.restart(item.host);
                for l in lines {
                    let line = host.sink.lock().lines + 1;
                    host.sink.write_raw(&format!("{l}\n"));
                    if l.trim().is_empty() {
                        // Blank lines are no events.
                        continue;
                    }
                    events.push(EventRow {
                        file: host.spec.file.clone(),
                        line,
                        ts: None,
                        level: None,
                        target: None,
                        message: strip_ansi(l),
                        job_id: None,
                        worker_id: host.spec.worker.map(|w| spec.worker_ids[w].clone()),
                        phase: None,
                        role: host.spec.role,
                        true_ts: true_ts.clone(),
                        order: order as u64,
                    });
                }
            }
            Payload::Log(l) => {
                if l.level > host.spec.max {
                    continue;
                }
                let format = host.spec.formats[host.cur];
                let documented = spec.documented && !format.is_zisk();
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
                // Structured worker_id: the named worker on the coordinator, the own ID on a
                // worker (a documented worker sometimes tags its own lines).
                let own = host.spec.worker;
                let field_worker = match own {
                    None => l.worker,
                    Some(w) => crng.chance(0.5).then_some(w),
                };
                let job_full = l.job.map(|j| spec.job_ids[j].as_str());
                let wk_full = field_worker.map(|w| spec.worker_ids[w].as_str());
                let extra = host.spec.clock.extra_us(item.t);
                let ts = fmt_ts(START_US + item.t + host.spec.skew_us + extra);
                clock::set_now(START_US + item.t);
                clock::set_extra(extra);
                let ranked = format.is_zisk() && host.spec.ranks > 1;
                zfmt::set_rank(ranked.then_some(l.rank));
                let text = if format.is_ansi() { l.ansi.as_deref().unwrap_or(&l.msg) } else { &l.msg };
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
                    let s = strip_ansi(&String::from_utf8_lossy(written));
                    assert!(s.contains(&ts), "timestamp {ts} not in {s:?}");
                    let first = l.msg.lines().next().unwrap_or("");
                    assert!(s.contains(first), "message not in {s:?}");
                    lines0 + 1 + written.iter().take_while(|&&b| b == b'\n').count()
                };
                let msg = strip_ansi(&l.msg);
                let mentioned: Vec<usize> =
                    (0..spec.job_ids.len()).filter(|&j| names(&msg, "JobId", &spec.job_ids[j])).collect();
                assert!(
                    mentioned.is_empty() || l.job.is_some_and(|j| mentioned.contains(&j)),
                    "{msg}: names {mentioned:?}, planned {:?}",
                    l.job
                );
                let structured = carrier != Carrier::Nothing;
                let job = if !mentioned.is_empty() || (structured && l.job.is_some()) { l.job } else { None };
                let worker = match own {
                    Some(w) => Some(w),
                    None => {
                        let named: Vec<usize> = (0..spec.worker_ids.len())
                            .filter(|&w| names(&msg, "WorkerId", &spec.worker_ids[w]))
                            .collect();
                        assert!(named.is_empty() || l.worker.is_some_and(|w| named.contains(&w)), "{msg}");
                        if !named.is_empty() || (structured && l.worker.is_some()) {
                            l.worker
                        } else {
                            None
                        }
                    }
                };
                let rule_phase = truth.line(item.host, own.is_some(), l);
                let phase = match (structured, l.phase) {
                    (true, Some(p)) => Some(p),
                    _ => rule_phase,
                };
                let printed_target = format.prints_target(host.spec.show_target);
                for &m in &l.marks {
                    marks.push(SimEvent { true_us: START_US + item.t, host: item.host, ts: ts.clone(), mark: m });
                }
                events.push(EventRow {
                    file: host.spec.file.clone(),
                    line,
                    ts: Some(ts),
                    level: Some(zfmt::level_name(&l.level)),
                    target: printed_target.then(|| l.target.name()),
                    message: msg,
                    job_id: job.map(|j| spec.job_ids[j].clone()),
                    worker_id: worker.map(|w| spec.worker_ids[w].clone()),
                    phase: phase.map(Phase::name),
                    role: host.spec.role,
                    true_ts,
                    order: order as u64,
                });
            }
        }
    }
    let mut files = BTreeMap::new();
    for h in hosts {
        let buf = std::mem::take(&mut h.sink.lock().buf);
        files.insert(h.spec.file, buf);
    }
    events.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Emitted { files, events, marks }
}

/// What the simulation planned for a job; the truth adds what its lines show.
pub struct JobPlan {
    pub id: String,
    pub kind: &'static str,
    pub outcome: &'static str,
    pub reason: Option<String>,
    pub workers: Vec<usize>,
    pub aggregator: Option<usize>,
    /// The phases the job's record lists, in order.
    pub phases: Vec<Phase>,
}

/// The jobs' truth from the marks their coordinator lines carry.
pub fn jobs_truth(plans: &[JobPlan], out: &Emitted, worker_ids: &[String]) -> Vec<JobTruth> {
    let marks = &out.marks;
    let find = |f: &dyn Fn(&Mark) -> bool| marks.iter().find(|m| f(&m.mark)).map(|m| m.ts.clone());
    let mut jobs = Vec::new();
    for (j, jp) in plans.iter().enumerate() {
        let started = find(&|m| *m == Mark::JobStart(j));
        let ended = find(&|m| *m == Mark::JobEnd(j));
        let figure = |p: Phase| {
            marks.iter().rev().find_map(|m| match m.mark {
                Mark::Figure(x, q, ms) if x == j && q == p => Some(ms as f64 / 1000.0),
                _ => None,
            })
        };
        let mut phases = Vec::new();
        for &p in &jp.phases {
            let Some(start) = find(&|m| *m == Mark::PhaseStart(j, p)) else {
                continue;
            };
            let end = find(&|m| *m == Mark::PhaseEnd(j, p)).or_else(|| ended.clone());
            let part: Vec<usize> =
                if p == Phase::Aggregate { jp.aggregator.into_iter().collect() } else { jp.workers.clone() };
            let workers = part
                .iter()
                .map(|&w| {
                    let start = Some(start.clone());
                    let end = find(&|m| *m == Mark::WorkerDone(j, w, p)).or_else(|| end.clone());
                    WorkerWindow { worker_id: worker_ids[w].clone(), start, end }
                })
                .collect();
            phases.push(PhaseTruth { name: p.name(), start: Some(start), end, coordinator_s: figure(p), workers });
        }
        let first_error = out
            .events
            .iter()
            .filter(|e| e.level == Some("ERROR") && e.job_id.as_deref() == Some(jp.id.as_str()))
            .min_by(|a, b| (&a.ts, &a.file, a.line).cmp(&(&b.ts, &b.file, b.line)))
            .map(|e| FileLine { file: e.file.clone(), line: e.line });
        let outcome = if ended.is_some() { jp.outcome } else { "running" };
        jobs.push(JobTruth {
            job_id: jp.id.clone(),
            job_kind: jp.kind,
            outcome,
            reason: if ended.is_some() { jp.reason.clone() } else { None },
            workers: jp.workers.iter().map(|&w| worker_ids[w].clone()).collect(),
            aggregator: jp.aggregator.map(|w| worker_ids[w].clone()),
            started,
            ended,
            phases,
            first_error,
        });
    }
    jobs
}
