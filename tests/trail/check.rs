//! Checking a job's trail against the fixture generator's truth: the clusters, their truth,
//! which job each event belongs to, and `check_job`, which lists every difference.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{fixtures, ndjson, run, zl};

/// Every fixture cluster folder (with a truth.json).
pub fn clusters() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures().join("clusters"))
        .expect("fixtures/clusters exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("truth.json").is_file())
        .collect();
    v.sort();
    assert!(v.len() >= 8, "expected the fixture clusters, found {v:?}");
    v
}

pub fn truth(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap()
}

/// (file, line) → job_id of every event the generator wrote.
pub fn event_jobs(dir: &Path) -> BTreeMap<(String, u64), Option<String>> {
    crate::util::generated_events(dir)
        .into_iter()
        .map(|(key, e)| (key, e["job_id"].as_str().map(String::from)))
        .collect()
}

/// `zisk-logs` with the cluster's coordinator and all workers as one glob source (one source,
/// several streams, as a Kubernetes selector or a Compose service gives).
pub fn on_cluster_glob(dir: &Path, t: &Value) -> Command {
    let mut cmd = zl();
    cmd.arg("--coordinator")
        .arg(dir.join(t["coordinator"].as_str().unwrap()));
    cmd.arg("--worker").arg(dir.join("worker-*.log"));
    cmd
}

/// `zisk-logs` with the cluster's coordinator and workers as sources.
pub fn on_cluster(dir: &Path, t: &Value) -> Command {
    let mut cmd = zl();
    cmd.arg("--coordinator")
        .arg(dir.join(t["coordinator"].as_str().unwrap()));
    for w in t["workers"].as_array().unwrap() {
        cmd.arg("--worker")
            .arg(dir.join(w["file"].as_str().unwrap()));
    }
    cmd
}

pub fn origin(e: &Value) -> (String, u64) {
    let path = e["origin"]["path"]
        .as_str()
        .expect("file events have an origin");
    let file = Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    (file, e["origin"]["line"].as_u64().unwrap())
}

pub fn check_job(
    dir: &Path,
    t: &Value,
    job: &Value,
    events: &BTreeMap<(String, u64), Option<String>>,
    sources: fn(&Path, &Value) -> Command,
) -> Vec<String> {
    let id = job["job_id"].as_str().unwrap();
    let name = format!("{} job {id}", dir.file_name().unwrap().to_string_lossy());
    let r = run(sources(dir, t).args(["-o", "json", "job", id]));
    let mut problems = Vec::new();
    if r.code != 0 {
        return vec![format!("{name}: exit {} stderr {}", r.code, r.stderr)];
    }
    let out = ndjson(&r.stdout);
    let (summary, trail) = out.split_last().expect("output");
    assert_eq!(
        summary["kind"], "summary",
        "{name}: the summary is the last object"
    );
    let want: BTreeSet<(String, u64)> = events
        .iter()
        .filter(|(_, j)| j.as_deref() == Some(id))
        .map(|(k, _)| k.clone())
        .collect();
    let got: BTreeSet<(String, u64)> = trail
        .iter()
        .filter(|e| e["context"] == false)
        .map(origin)
        .collect();
    for missing in want.difference(&got) {
        problems.push(format!("{name}: missing job line {missing:?}"));
    }
    for extra in got.difference(&want) {
        problems.push(format!(
            "{name}: line {extra:?} is not the job's (truth: {:?})",
            events.get(extra)
        ));
    }
    for e in trail.iter().filter(|e| e["context"] == true) {
        let o = origin(e);
        if let Some(Some(other)) = events.get(&o) {
            problems.push(format!("{name}: context line {o:?} belongs to job {other}"));
        }
    }
    // Time order: aligned time where the host's offset is known, else logged time; a stream
    // keeps its own order.
    let key = |e: &Value| {
        e["ts_aligned"]
            .as_str()
            .or(e["ts"].as_str())
            .map(String::from)
    };
    if trail.windows(2).any(|w| {
        w[0]["source"] != w[1]["source"] && key(&w[0]) > key(&w[1]) && key(&w[1]).is_some()
    }) {
        problems.push(format!("{name}: trail not in aligned time order"));
    }
    for key in ["outcome", "reason", "started", "ended"] {
        if summary[key] != job[key] {
            problems.push(format!(
                "{name}: {key} {} != truth {}",
                summary[key], job[key]
            ));
        }
    }
    if summary["job_id"] != job["job_id"] {
        problems.push(format!("{name}: job_id {}", summary["job_id"]));
    }
    let got_workers: BTreeSet<&str> = summary["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["worker_id"].as_str().unwrap())
        .collect();
    let want_workers: BTreeSet<&str> = job["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    if got_workers != want_workers {
        problems.push(format!(
            "{name}: workers {got_workers:?} != truth {want_workers:?}"
        ));
    }
    for w in summary["workers"].as_array().unwrap() {
        let file = t["workers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|tw| tw["worker_id"] == w["worker_id"])
            .map(|tw| tw["file"].as_str().unwrap());
        let source = w["source"].as_str().unwrap_or("");
        // One source per file names the file; a source of several streams names the stream.
        let names = |f: &str| {
            source.ends_with(f) || source.ends_with(&format!("[{}]", f.trim_end_matches(".log")))
        };
        if w["found"] != true || !file.is_some_and(names) {
            problems.push(format!(
                "{name}: worker {} source {source:?}, truth {file:?}",
                w["worker_id"]
            ));
        }
    }
    let phases: Vec<(Value, Value, Value)> = summary["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].clone(), p["start"].clone(), p["end"].clone()))
        .collect();
    let want_phases: Vec<(Value, Value, Value)> = job["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].clone(), p["start"].clone(), p["end"].clone()))
        .collect();
    if phases != want_phases {
        problems.push(format!(
            "{name}: phases {phases:?} != truth {want_phases:?}"
        ));
    }
    let first_error = (!summary["first_error"].is_null()).then(|| origin(&summary["first_error"]));
    let want_first = job["first_error"].as_object().map(|f| {
        (
            f["file"].as_str().unwrap().to_string(),
            f["line"].as_u64().unwrap(),
        )
    });
    if first_error != want_first {
        problems.push(format!(
            "{name}: first_error {first_error:?} != truth {want_first:?}"
        ));
    }
    problems.extend(super::culprit::check_culprit(&name, t, job, summary));
    if summary["sources_failed"] != Value::Array(vec![]) {
        problems.push(format!(
            "{name}: sources_failed {}",
            summary["sources_failed"]
        ));
    }
    problems
}
