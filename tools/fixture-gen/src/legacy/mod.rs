//! The DOMAIN-shape clusters (DOMAIN.md's documented and message-only shapes through every
//! tracing format, the JSON/documented shape real clusters ran up to v0.12): their specs, and
//! their run through the shared writer.

mod fleet;
mod jobs;
mod scenario;

pub use fleet::COORD_URL;
pub use jobs::dots;

use tracing::Level;

use crate::emit::Format;
use crate::output::ClusterOutput;
use crate::prng::Rng;
use crate::timeline::MS;
use crate::truth::*;
use crate::write::{emit_all, jobs_truth, EmitSpec, HostClock, HostSpec};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    Documented,
    Message,
}

pub struct ClusterSpec {
    pub name: &'static str,
    /// Formats of coordinator, worker-01..04 (a host switches to its next format at a restart).
    pub formats: [&'static [Format]; 5],
    pub shape: Shape,
    pub debug: bool,
    pub seed: u64,
    /// Which worker (0-based) runs as 2 MPI ranks (only printed by the zisk formats).
    pub mpi_worker: Option<usize>,
    /// All hosts restart (and switch format) during the quiet window.
    pub rolling_restart: bool,
}

pub fn specs() -> Vec<ClusterSpec> {
    use Format::*;
    let one = |f: &'static [Format]| [f, f, f, f, f];
    let mut v = Vec::new();
    let plain: [(&str, &'static [Format], Shape, bool); 8] = [
        ("json-documented", &[Json], Shape::Documented, false),
        ("json-message", &[Json], Shape::Message, false),
        ("full-documented", &[Full], Shape::Documented, true),
        ("full-message", &[Full], Shape::Message, false),
        ("compact-documented", &[Compact], Shape::Documented, false),
        ("compact-message", &[Compact], Shape::Message, true),
        ("pretty-documented", &[Pretty], Shape::Documented, false),
        ("pretty-message", &[Pretty], Shape::Message, false),
    ];
    for (i, (name, f, shape, debug)) in plain.into_iter().enumerate() {
        v.push(ClusterSpec {
            name,
            formats: one(f),
            shape,
            debug,
            seed: 1000 + i as u64,
            mpi_worker: None,
            rolling_restart: false,
        });
    }
    v.push(ClusterSpec {
        name: "zisk",
        formats: one(&[Zisk]),
        shape: Shape::Message,
        debug: false,
        seed: 2001,
        mpi_worker: Some(2),
        rolling_restart: false,
    });
    v.push(ClusterSpec {
        name: "zisk-ansi",
        formats: one(&[ZiskAnsi]),
        shape: Shape::Message,
        debug: true,
        seed: 2002,
        mpi_worker: Some(1),
        rolling_restart: false,
    });
    v.push(ClusterSpec {
        name: "mixed",
        formats: [&[Pretty, Zisk], &[Json, Compact], &[Full, Json], &[Zisk, Full], &[Compact, Pretty]],
        shape: Shape::Documented,
        debug: false,
        seed: 3003,
        mpi_worker: None,
        rolling_restart: true,
    });
    v
}

pub fn run_cluster(spec: &ClusterSpec) -> ClusterOutput {
    let sc = scenario::build(spec);
    let max = if spec.debug { Level::DEBUG } else { Level::INFO };
    let mut crng = Rng::new(spec.seed ^ 0xC0FFEE);
    let coord_skew = crng.range(-60, 60) * MS + crng.range(0, 999);
    let hosts = (0..5)
        .map(|h| {
            let (file, role, worker, skew) = if h == 0 {
                ("coordinator.log".to_string(), "coordinator", None, coord_skew)
            } else {
                (format!("worker-{h:02}.log"), "worker", Some(h - 1), sc.workers[h - 1].skew_us)
            };
            HostSpec {
                file,
                role,
                worker,
                skew_us: skew,
                formats: spec.formats[h].to_vec(),
                max,
                show_target: spec.debug,
                ranks: worker.map_or(1, |w| sc.workers[w].ranks),
                clock: HostClock::default(),
            }
        })
        .collect();
    let job_ids: Vec<String> = sc.jobs.iter().map(|j| j.id.clone()).collect();
    let worker_ids: Vec<String> = sc.workers.iter().map(|w| w.id.clone()).collect();
    let emit = EmitSpec {
        hosts,
        documented: spec.shape == Shape::Documented,
        seed: spec.seed,
        job_ids: &job_ids,
        worker_ids: &worker_ids,
    };
    let items = sc.tl.finish(fleet::END_US);
    let out = emit_all(emit, &items);
    let jobs = jobs_truth(&sc.jobs, &out, &worker_ids);
    let names = |fs: &[Format]| fs.iter().map(|f| f.name()).collect::<Vec<_>>();
    let all_same = spec.formats.iter().all(|f| f.len() == 1 && f[0] == spec.formats[0][0]);
    let truth = ClusterTruth {
        cluster: spec.name.to_string(),
        release: "domain",
        format: if all_same { spec.formats[0][0].name() } else { "mixed" },
        shape: match spec.shape {
            Shape::Documented => "documented",
            Shape::Message => "message-only",
        },
        level: if spec.debug { "debug" } else { "info" },
        coordinator: "coordinator.log".into(),
        coordinator_skew_ms: coord_skew / MS,
        coordinator_formats: names(spec.formats[0]),
        workers: (0..4)
            .map(|w| WorkerTruth {
                worker_id: sc.workers[w].id.clone(),
                logged_id: sc.workers[w].id.clone(),
                file: format!("worker-{:02}.log", w + 1),
                skew_ms: sc.workers[w].skew_us / MS,
                formats: names(spec.formats[w + 1]),
            })
            .collect(),
        jobs,
    };
    ClusterOutput { files: out.files, events: out.events, truth, marks: out.marks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_are_deterministic_and_consistent() {
        for spec in specs() {
            let a = run_cluster(&spec);
            let b = run_cluster(&spec);
            assert_eq!(a.files, b.files, "{}", spec.name);
            for e in &a.events {
                let text = String::from_utf8_lossy(&a.files[&e.file]).into_owned();
                let line = strip_ansi(text.split('\n').nth(e.line - 1).unwrap());
                assert!(
                    line.contains(e.message.lines().next().unwrap_or("")),
                    "{}: {} vs {line}",
                    spec.name,
                    e.message
                );
                if let Some(ts) = &e.ts {
                    assert!(line.contains(ts.as_str()));
                }
            }
            let outcomes: Vec<_> = a.truth.jobs.iter().map(|j| j.outcome).collect();
            for o in ["completed", "failed", "cancelled", "running"] {
                assert!(outcomes.contains(&o), "{} lacks a {o} job", spec.name);
            }
        }
        assert_eq!(dots(1234567), "1.234.567");
    }
}
