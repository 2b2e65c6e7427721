//! Every real ZisK release (v0.12 → v0.18) as fixture-gen writes it per ZISK-SOURCE.md,
//! scored against its ground truth: `job` exact for every job (lines, outcome, reason, kind,
//! workers, phases), `--phase Prove` against the truth's phases, every worker listed once,
//! setup/wrap/execute jobs shown as their kind.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{fixtures, generated_events, ndjson, run, zl};

const RELEASES: [&str; 4] = ["v0.18", "v0.17", "v0.15", "v0.12"];

fn dir(release: &str) -> PathBuf {
    fixtures().join("releases").join(release)
}

fn truth(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap()
}

/// `zisk-logs` on the cluster through its topology file.
fn on(dir: &Path) -> Command {
    let mut cmd = zl();
    cmd.arg("--config").arg(dir.join("zisk-logs.toml"));
    cmd
}

fn origin(e: &Value) -> (String, u64) {
    let path = e["origin"]["path"]
        .as_str()
        .expect("file events have an origin");
    let file = Path::new(path).file_name().unwrap().to_string_lossy();
    (file.into_owned(), e["origin"]["line"].as_u64().unwrap())
}

/// A worker as the logs can give it: its full ID where a line prints it whole, else the 8
/// characters they show (the truth's `logged_id`).
fn logged_ids(t: &Value) -> BTreeMap<String, String> {
    t["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["worker_id"].as_str().unwrap().to_string(),
                w["logged_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn sorted(v: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().collect();
    v.sort();
    v
}

/// The coordinator logs no reason for a client's cancel; the tool reports what the workers
/// were told (`cancelled by client`).
fn reason_holds(got: &Value, job: &Value) -> bool {
    *got == job["reason"] || job["outcome"] == "cancelled" && job["reason"].is_null()
}

#[test]
fn job_is_exact_for_every_job_of_every_release() {
    let mut problems = Vec::new();
    for release in RELEASES {
        let dir = dir(release);
        let (t, events) = (truth(&dir), generated_events(&dir));
        let logged = logged_ids(&t);
        for job in t["jobs"].as_array().unwrap() {
            let id = job["job_id"].as_str().unwrap();
            let name = format!("{release} job {id} ({})", job["job_kind"]);
            let r = run(on(&dir).args(["-o", "json", "job", id]));
            let out = ndjson(&r.stdout);
            let Some((summary, trail)) = out.split_last() else {
                problems.push(format!("{name}: exit {} {}", r.code, r.stderr));
                continue;
            };
            let want: BTreeSet<(String, u64)> = events
                .iter()
                .filter(|(_, e)| e["job_id"] == id)
                .map(|(k, _)| k.clone())
                .collect();
            let got: BTreeSet<(String, u64)> = trail
                .iter()
                .filter(|e| e["context"] == false)
                .map(origin)
                .collect();
            if got != want {
                problems.push(format!(
                    "{name}: lines missing {:?} extra {:?}",
                    want.difference(&got).collect::<Vec<_>>(),
                    got.difference(&want).collect::<Vec<_>>()
                ));
            }
            for key in ["outcome", "job_kind"] {
                if summary[key] != job[key] {
                    problems.push(format!("{name}: {key} {} != {}", summary[key], job[key]));
                }
            }
            if !reason_holds(&summary["reason"], job) {
                problems.push(format!(
                    "{name}: reason {} != {}",
                    summary["reason"], job["reason"]
                ));
            }
            let workers = sorted(
                summary["workers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w["worker_id"].as_str().unwrap().to_string()),
            );
            let want_workers = sorted(
                job["workers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| logged[w.as_str().unwrap()].clone()),
            );
            // Two workers of the job print alike: said in the summary.
            let key = |w: &String| w.chars().take(8).collect::<String>();
            let shared_prefix = workers.iter().any(|w| {
                workers
                    .iter()
                    .filter(|o| key(o) == key(w) && (o.len() <= 8 || w.len() <= 8))
                    .count()
                    > 1
            });
            let told = summary["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["kind"] == "ambiguous_worker_id");
            if shared_prefix != told {
                problems.push(format!(
                    "{name}: ambiguous IDs said {told}, expected {shared_prefix}"
                ));
            }
            if workers != want_workers {
                problems.push(format!("{name}: workers {workers:?} != {want_workers:?}"));
            }
            // Phases as the coordinator runs them: overlapping Prove and Aggregate, closed by
            // the job's end, with the coordinator's own figures.
            let phases = |v: &Value| -> Vec<[Value; 4]> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|p| ["name", "start", "end", "coordinator_s"].map(|k| p[k].clone()))
                    .collect()
            };
            if phases(&summary["phases"]) != phases(&job["phases"]) {
                problems.push(format!(
                    "{name}: phases {:?} != {:?}",
                    phases(&summary["phases"]),
                    phases(&job["phases"])
                ));
            }
            if summary["workers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["found"] != true)
            {
                problems.push(format!("{name}: a worker's logs not found"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn phase_prove_holds_99_percent_precision_and_recall_on_every_release() {
    for release in RELEASES {
        let dir = dir(release);
        let events = generated_events(&dir);
        let want: BTreeSet<(String, u64)> = events
            .iter()
            .filter(|(_, e)| e["phase"] == "Prove")
            .map(|(k, _)| k.clone())
            .collect();
        let r = run(on(&dir).args(["-o", "json", "tail", "--phase", "Prove"]));
        assert_eq!(r.code, 0, "{release}: {}", r.stderr);
        let out = ndjson(&r.stdout);
        assert!(out.iter().all(|e| e["phase"] == "Prove"), "{release}");
        let got: BTreeSet<(String, u64)> = out.iter().map(origin).collect();
        let hits = got.intersection(&want).count() as f64;
        let (precision, recall) = (hits / got.len() as f64, hits / want.len() as f64);
        assert!(
            precision >= 0.99 && recall >= 0.99,
            "{release}: precision {precision:.3} recall {recall:.3}; extra {:?} missing {:?}",
            got.difference(&want).take(5).collect::<Vec<_>>(),
            want.difference(&got).take(5).collect::<Vec<_>>()
        );
        // Proofman's lines say "proof" in every phase: only the window makes them Prove.
        let inner = events
            .iter()
            .filter(|(_, e)| e["message"] == ">>> GENERATING_INNER_PROOFS")
            .count();
        assert!(inner > 0 && want.len() > inner, "{release}");
    }
}

#[test]
fn workers_lists_every_worker_once_with_its_own_logs() {
    for release in RELEASES {
        let dir = dir(release);
        let t = truth(&dir);
        let r = run(on(&dir).args(["-o", "json", "workers"]));
        assert_eq!(r.code, 0, "{release}: {}", r.stderr);
        let rows = ndjson(&r.stdout);
        let got = sorted(
            rows.iter()
                .map(|w| w["worker_id"].as_str().unwrap().to_string()),
        );
        let want = sorted(logged_ids(&t).into_values());
        assert_eq!(
            got, want,
            "{release}: one row per worker, IDs without the ellipsis"
        );
        // Two workers whose IDs print alike: the coordinator's lines go to the one whose own
        // log registered then (the stream that dropped registered twice).
        let gpu = |file: &str| {
            rows.iter()
                .find(|r| r["source"].as_str().unwrap_or_default().ends_with(file))
                .map(|r| (r["registrations"].as_u64(), r["disconnects"].as_u64()))
        };
        if release != "v0.12" {
            assert_eq!(
                gpu("gpu-node-01.log"),
                Some((Some(1), Some(0))),
                "{release}"
            );
            assert_eq!(
                gpu("gpu-node-02.log"),
                Some((Some(2), Some(1))),
                "{release}"
            );
        }
        // Each row's logs are its own host's file, once.
        let mut files: Vec<String> = t["workers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["file"].as_str().unwrap().to_string())
            .collect();
        for row in &rows {
            let source = row["source"].as_str().unwrap_or_default();
            let at = files.iter().position(|f| source.ends_with(f.as_str()));
            assert!(
                at.is_some(),
                "{release}: {source} is no host's file, or twice"
            );
            files.remove(at.unwrap());
        }
    }
}

#[test]
fn jobs_shows_setup_wrap_and_execute_jobs_as_their_kind() {
    for release in RELEASES {
        let dir = dir(release);
        let t = truth(&dir);
        let r = run(on(&dir).args(["-o", "json", "jobs"]));
        assert_eq!(r.code, 0, "{release}: {}", r.stderr);
        let rows: BTreeMap<String, Value> = ndjson(&r.stdout)
            .into_iter()
            .map(|row| (row["job_id"].as_str().unwrap().to_string(), row))
            .collect();
        for job in t["jobs"].as_array().unwrap() {
            // A job no line names in full (a wrap job) is its 8 characters as logged.
            let id = job["job_id"].as_str().unwrap();
            let row = rows
                .get(id)
                .or_else(|| rows.get(&id[..8]))
                .unwrap_or_else(|| panic!("{release}: job {id} listed"));
            for key in ["job_kind", "outcome"] {
                assert_eq!(row[key], job[key], "{release} {}: {key}", job["job_id"]);
            }
            assert!(
                !row["ended"].is_null() || job["ended"].is_null(),
                "{release}: ends"
            );
        }
        for kind in ["setup", "wrap", "execute"] {
            let r = run(on(&dir).args(["-o", "json", "jobs", "--job-kind", kind]));
            let want = t["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|j| j["job_kind"] == kind)
                .count();
            assert_eq!(
                ndjson(&r.stdout).len(),
                want,
                "{release}: --job-kind {kind}"
            );
        }
    }
}
