//! What the coordinator's lines say over time, beyond its jobs: the fleet (registrations,
//! reconnections, disconnects, with the pool's own `total:`), the coordinator's lives (a
//! restart resets every counter and gauge its exporter holds), and the ERROR lines that name a
//! worker, which say whom a failure is blamed on.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use memchr::memmem;
use regex::Regex;

use crate::event::{Event, IdRef, Level};
use crate::time::Timestamp;
use crate::trail::history::CoordinatorTap;
use crate::trail::take;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Registered,
    Reconnected,
    Disconnected,
    Unregistered,
    /// Connected when the coordinator's process ended (it restarted, stopped or crashed).
    Restarted,
}

impl Change {
    pub fn connects(self) -> bool {
        matches!(self, Change::Registered | Change::Reconnected)
    }
    pub fn word(self) -> &'static str {
        match self {
            Change::Registered => "registered",
            Change::Reconnected => "reconnected",
            Change::Disconnected => "disconnected",
            Change::Unregistered => "unregistered",
            Change::Restarted => "coordinator_restarted",
        }
    }
}

/// A worker joining or leaving the coordinator's pool.
#[derive(Clone, Debug)]
pub struct FleetEvent {
    pub ts: Timestamp,
    pub worker: IdRef,
    pub change: Change,
    /// The pool's count after the change, as the line states it (`(total: N …)`).
    pub total: Option<usize>,
}

/// One run of the coordinator process, from its first line to its last.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Life {
    pub start: Timestamp,
    /// Its last line, when a later start (or a stop line) shows that it ended; None when it
    /// was still running at the end of the logs.
    pub end: Option<Timestamp>,
    /// Whether the logs show its start: then every registration of it is in them.
    pub seen_start: bool,
}

/// A coordinator ERROR line that names a worker.
#[derive(Clone, Debug)]
pub struct WorkerError {
    pub ts: Timestamp,
    pub worker: IdRef,
    pub job: Option<IdRef>,
}

#[derive(Default)]
pub struct CoordinatorLog {
    pub fleet: Vec<FleetEvent>,
    pub lives: Vec<Life>,
    pub worker_errors: Vec<WorkerError>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

static TOTAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\(total: (\d+)").expect("valid regex"));

/// Lines that begin a coordinator process, across releases.
const START_MARKERS: [&str; 4] = [
    "[Coordinator] Starting",
    "cluster coordinator listening on",
    "zisk-coordinator listening on",
    "Command zisk-coordinator",
];
/// Lines that end one.
const STOP_MARKERS: [&str; 4] = [
    "[Coordinator] Stopped",
    "zisk-coordinator stopped gracefully",
    "coordinator server exited with error",
    "embedded coordinator worker gRPC server exited",
];
/// Start lines closer together than this belong to one start.
const START_GROUP_US: i64 = 30_000_000;

/// Lines that change the pool, and the change each says.
const FLEET_MARKERS: [(&str, Change); 4] = [
    ("Registered worker:", Change::Registered),
    ("Reconnected worker:", Change::Reconnected),
    ("Disconnected worker:", Change::Disconnected),
    ("Unregistered worker:", Change::Unregistered),
];

fn fleet_change(m: &str) -> Option<Change> {
    FLEET_MARKERS
        .iter()
        .find(|(marker, _)| m.contains(marker))
        .map(|&(_, change)| change)
}

fn is_start(m: &str) -> bool {
    START_MARKERS.iter().any(|s| m.contains(s))
}

fn is_stop(m: &str) -> bool {
    STOP_MARKERS.iter().any(|s| m.contains(s))
}

/// Every marker of a fleet change, a start or a stop holds one of these: two vectorised searches
/// turn most of the coordinator's lines away before the markers are looked for one by one.
static GATES: LazyLock<[memmem::Finder<'static>; 2]> = LazyLock::new(|| {
    [
        memmem::Finder::new(" worker:"),
        memmem::Finder::new("oordinator"),
    ]
});

/// Whether a line tells one of the facts: a fleet change, a start or stop, an ERROR naming a worker.
fn tells_a_fact(e: &Event) -> bool {
    let m = e.message.as_str();
    e.ts.is_some()
        && ((e.level == Some(Level::Error) && e.worker_id.is_some())
            || GATES.iter().any(|g| g.find(m.as_bytes()).is_some())
                && (fleet_change(m).is_some() || is_start(m) || is_stop(m)))
}

/// Gathers the facts from the coordinator's lines as the jobs pass reads them
/// ([`crate::trail::history::CoordinatorTap`]), so that the coordinator is read once.
#[derive(Default)]
pub struct Gatherer {
    /// Every line's second, for where a life ended: a crash logs no last words.
    seconds: Arc<Mutex<BTreeSet<i64>>>,
    /// The lines that tell a fact, in the log's order.
    events: Arc<Mutex<Vec<Event>>>,
}

impl Gatherer {
    /// For every line as it is parsed: notes its second, and keeps it if it tells a fact.
    pub fn tap(&self) -> CoordinatorTap {
        let (seconds, events) = (self.seconds.clone(), self.events.clone());
        let last_second = AtomicI64::new(i64::MIN);
        Arc::new(move |e: &Event| {
            if let Some(t) = e.ts {
                let s = t.secs_floor();
                if last_second.swap(s, Ordering::Relaxed) != s {
                    seconds.lock().unwrap_or_else(|p| p.into_inner()).insert(s);
                }
            }
            if tells_a_fact(e) {
                events
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(e.clone());
            }
        })
    }

    pub fn finish(self) -> CoordinatorLog {
        from_events(&take(&self.events), &take(&self.seconds))
    }
}

/// Builds the log's facts from the kept lines (in time order) and the seconds any line fell in.
fn from_events(events: &[Event], seconds: &BTreeSet<i64>) -> CoordinatorLog {
    let mut log = CoordinatorLog {
        first: seconds.first().map(|s| Timestamp(s * 1_000_000)),
        last: events.iter().filter_map(|e| e.ts).max(),
        ..CoordinatorLog::default()
    };
    if let Some(&s) = seconds.last() {
        log.last = Some(log.last.map_or(Timestamp(s * 1_000_000), |l| {
            l.max(Timestamp(s * 1_000_000))
        }));
    }
    let mut starts: Vec<Timestamp> = Vec::new();
    let mut last_stop: Option<Timestamp> = None;
    for e in events {
        let Some(ts) = e.ts else { continue };
        let m = e.message.as_str();
        if is_start(m) {
            if starts.last().is_none_or(|s| ts.0 - s.0 > START_GROUP_US) {
                starts.push(ts);
            }
        } else if is_stop(m) {
            last_stop = Some(ts);
        } else if let (Some(change), Some(worker)) = (fleet_change(m), &e.worker_id) {
            log.fleet.push(FleetEvent {
                ts,
                worker: worker.clone(),
                change,
                total: TOTAL.captures(m).and_then(|c| c[1].parse().ok()),
            });
        }
        if e.level == Some(Level::Error) {
            if let Some(worker) = &e.worker_id {
                log.worker_errors.push(WorkerError {
                    ts,
                    worker: worker.clone(),
                    job: e.job_id.clone(),
                });
            }
        }
    }
    let Some(first) = log.first else {
        return log;
    };
    // The last line before a start is where the previous life ended.
    let before = |t: Timestamp| {
        seconds
            .range(..t.secs_floor())
            .next_back()
            .map(|s| Timestamp(s * 1_000_000 + 999_999))
    };
    let mut begin = first;
    let mut seen_start = starts
        .first()
        .is_some_and(|&s| s.secs_floor() == first.secs_floor());
    for &s in &starts {
        if let Some(end) = before(s).filter(|_| s > begin) {
            if end >= begin {
                log.lives.push(Life {
                    start: begin,
                    end: Some(end),
                    seen_start,
                });
            }
        }
        begin = s;
        seen_start = true;
    }
    let stopped =
        last_stop.filter(|&t| t >= begin && log.last.is_some_and(|l| l.0 - t.0 < 5_000_000));
    log.lives.push(Life {
        start: begin,
        end: stopped.and(log.last),
        seen_start,
    });
    restarts_drop_the_fleet(&mut log);
    log
}

/// A coordinator that ends loses every worker connected to it, though no line says so.
fn restarts_drop_the_fleet(log: &mut CoordinatorLog) {
    let mut dropped = Vec::new();
    for life in &log.lives {
        let Some(end) = life.end else { continue };
        let mut connected: Vec<&IdRef> = Vec::new();
        for f in log
            .fleet
            .iter()
            .filter(|f| f.ts >= life.start && f.ts <= end)
        {
            if f.change.connects() {
                if !connected.iter().any(|w| w.text == f.worker.text) {
                    connected.push(&f.worker);
                }
            } else {
                connected.retain(|w| w.text != f.worker.text);
            }
        }
        dropped.extend(connected.into_iter().map(|w| FleetEvent {
            ts: end,
            worker: w.clone(),
            change: Change::Restarted,
            total: Some(0),
        }));
    }
    log.fleet.extend(dropped);
    log.fleet.sort_by_key(|f| f.ts);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Role;

    fn ev(ts: &str, level: Level, msg: &str, worker: Option<&str>) -> Event {
        let ts = Timestamp::parse_rfc3339_prefix(ts.as_bytes()).map(|(t, _)| t);
        Event {
            level: Some(level),
            worker_id: worker.map(IdRef::full),
            role: Some(Role::Coordinator),
            ..Event::test_line("coordinator", ts, msg)
        }
    }

    #[test]
    fn every_marker_passes_the_gates() {
        for m in FLEET_MARKERS
            .iter()
            .map(|(m, _)| m)
            .chain(&START_MARKERS)
            .chain(&STOP_MARKERS)
        {
            assert!(GATES.iter().any(|g| g.find(m.as_bytes()).is_some()), "{m}");
            let e = ev(
                "2026-11-21T10:00:00Z",
                Level::Info,
                &format!("x {m} y"),
                None,
            );
            assert!(tells_a_fact(&e), "{m}");
        }
        let e = ev(
            "2026-11-21T10:00:00Z",
            Level::Info,
            "[Phase2] Started with 2 workers",
            None,
        );
        assert!(!tells_a_fact(&e));
    }

    #[test]
    fn a_restart_splits_lives_and_fleet_lines_carry_the_pools_total() {
        let lines = [
            ev(
                "2026-11-21T10:00:00Z",
                Level::Info,
                "[Coordinator] Starting ZisK coordinator v0.15.0",
                None,
            ),
            ev(
                "2026-11-21T10:00:01Z",
                Level::Info,
                "Registered worker: WorkerId(a) (total: 1 CC: 16 ACC: 16)",
                Some("a"),
            ),
            ev(
                "2026-11-21T10:00:09Z",
                Level::Info,
                "Disconnected worker: WorkerId(a) (total: 0 CC: 0 ACC: 0)",
                Some("a"),
            ),
            ev(
                "2026-11-21T10:01:00Z",
                Level::Info,
                "[Coordinator] Starting ZisK coordinator v0.15.0",
                None,
            ),
        ];
        let seconds: BTreeSet<i64> = lines
            .iter()
            .filter_map(|e| e.ts)
            .map(|t| t.secs_floor())
            .collect();
        let log = from_events(&lines, &seconds);
        assert_eq!(log.lives.len(), 2);
        assert_eq!(
            log.lives[0].end.map(|t| t.secs_floor()),
            Some(seconds.iter().nth(2).copied().unwrap())
        );
        assert_eq!(log.lives[1].end, None);
        assert_eq!(log.fleet.len(), 2);
        assert_eq!(log.fleet[1].change, Change::Disconnected);
        assert_eq!(log.fleet[1].total, Some(0));
    }
}
