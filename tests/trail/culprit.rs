//! The summary's `culprit` and `root_cause` against the fixture generator's truth: a failed
//! job's worker error is its root cause, the culprit is one of its workers, a completed job
//! blames no one; and the pretty summary says who and where to look.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::check::{origin, truth};
use crate::util::{fixtures, ndjson, run, zl};

/// Every difference between a job's summary and the truth, for `culprit` and `root_cause`.
pub fn check_culprit(name: &str, t: &Value, job: &Value, summary: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let (culprit, root) = (&summary["culprit"], &summary["root_cause"]);
    if job["outcome"] == "completed" {
        if !culprit.is_null() || !root.is_null() {
            problems.push(format!(
                "{name}: completed, yet culprit {culprit} root_cause {root}"
            ));
        }
        return problems;
    }
    if job["outcome"] != "failed" {
        return problems;
    }
    let worker_files: Vec<&str> = t["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["file"].as_str().unwrap())
        .collect();
    let first = &job["first_error"];
    if let Some(file) = first["file"].as_str().filter(|f| worker_files.contains(f)) {
        let want = (file.to_string(), first["line"].as_u64().unwrap());
        let got = (!root.is_null()).then(|| origin(root));
        if got.as_ref() != Some(&want) {
            problems.push(format!(
                "{name}: root_cause {got:?} != the worker's first error {want:?}"
            ));
        }
        if culprit["event"] != *root {
            problems.push(format!("{name}: the culprit's event is not the root cause"));
        }
    }
    if culprit.is_null() {
        problems.push(format!("{name}: failed, yet no culprit"));
        return problems;
    }
    let id = culprit["worker_id"].as_str().unwrap_or("");
    let ours = job["workers"].as_array().unwrap().iter().any(|w| {
        let w = w.as_str().unwrap();
        w == id || (id.chars().count() == 8 && w.starts_with(id))
    });
    if !ours {
        problems.push(format!(
            "{name}: culprit {id:?} is not one of the job's workers {}",
            job["workers"]
        ));
    }
    if culprit["reason"] != summary["reason"] {
        problems.push(format!("{name}: culprit reason {}", culprit["reason"]));
    }
    // By its ID, or by its logs' label when the logs show the ID cut.
    let by = |w: &str| format!("zisk-logs tail --worker-id {w} ");
    let tail = culprit["commands"][0].as_str().unwrap_or("");
    let by_name = culprit["name"]
        .as_str()
        .is_some_and(|n| tail.starts_with(&by(n)));
    if !(tail.starts_with(&by(id)) || by_name) {
        problems.push(format!("{name}: commands {}", culprit["commands"]));
    }
    problems
}

fn releases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures().join("releases"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("truth.json").is_file())
        .collect();
    v.sort();
    assert!(v.len() >= 4, "expected the release fixtures, found {v:?}");
    v
}

fn release_problems(dir: &Path) -> Vec<String> {
    let t = truth(dir);
    let mut problems = Vec::new();
    for job in t["jobs"].as_array().unwrap() {
        let id = job["job_id"].as_str().unwrap();
        let name = format!("{} job {id}", dir.file_name().unwrap().to_string_lossy());
        let r = run(zl().arg("--config").arg(dir.join("zisk-logs.toml")).args([
            "-o",
            "json",
            "job",
            id,
            "--summary-only",
        ]));
        let Some(summary) = ndjson(&r.stdout).pop() else {
            problems.push(format!("{name}: no summary; exit {} {}", r.code, r.stderr));
            continue;
        };
        problems.extend(check_culprit(&name, &t, job, &summary));
    }
    problems
}

#[test]
fn every_release_blames_a_failed_job_on_its_worker_and_a_completed_one_on_no_one() {
    let dirs = releases();
    let problems: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = dirs
            .iter()
            .map(|d| s.spawn(move || release_problems(d)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_pretty_summary_names_the_culprit_and_where_to_look() {
    let r = run(zl()
        .arg("--config")
        .arg(fixtures().join("zisk-logs.toml"))
        .args(["--color", "never", "job", "7a3362a3", "--summary-only"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let at = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix));
    let culprit = at("  culprit   ").unwrap_or_else(|| panic!("no culprit line:\n{}", r.stdout));
    assert!(lines[culprit].contains("gpu-07"), "{}", lines[culprit]);
    assert!(
        at("  reason    ").is_some_and(|r| r < culprit),
        "{}",
        r.stdout
    );
    let look = at("  look      zisk-logs tail --worker-id gpu-07 --since ").expect("a look line");
    assert!(
        look > culprit && at("  window    ").is_some_and(|w| w > look),
        "{}",
        r.stdout
    );
}
