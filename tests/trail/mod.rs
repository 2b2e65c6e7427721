//! `zisk-logs job`, `jobs` and `workers` against the fixture generator's ground truth: every job
//! of every fixture cluster (all formats, both log shapes, skewed clocks, overlapping jobs).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::util::{cluster, ndjson, root, run, zl};

mod check;
mod clock;
mod clock_live;
mod culprit;

use check::*;

#[test]
fn every_job_of_every_cluster_matches_the_truth() {
    let dirs = clusters();
    let problems: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = dirs
            .iter()
            .map(|dir| {
                s.spawn(move || {
                    let t = truth(dir);
                    let events = event_jobs(dir);
                    t["jobs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|job| check_job(dir, &t, job, &events, on_cluster))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn workers_in_one_source_of_several_streams_are_told_apart() {
    let dir = cluster("mixed");
    let t = truth(&dir);
    let events = event_jobs(&dir);
    let problems: Vec<String> = t["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|job| check_job(&dir, &t, job, &events, on_cluster_glob))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn zisk() -> (PathBuf, Value) {
    let dir = cluster("zisk");
    let t = truth(&dir);
    (dir, t)
}

#[test]
fn a_prefix_names_the_job_and_truncated_forms_match() {
    let (dir, t) = zisk();
    let id = t["jobs"][3]["job_id"].as_str().unwrap();
    let r = run(on_cluster(&dir, &t).args(["-o", "json", "job", &id[..6].to_uppercase()]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = ndjson(&r.stdout);
    assert_eq!(out.last().unwrap()["job_id"], id);
    // Every event names the job by its full ID once any line showed it.
    assert!(out
        .iter()
        .filter(|e| e["kind"] == "event" && e["context"] == false)
        .all(|e| e["job_id"] == id));
}

#[test]
fn an_ambiguous_prefix_lists_the_jobs() {
    let (dir, t) = zisk();
    // Find two jobs sharing a first character... the generator's IDs are random, so build a
    // coordinator log with two jobs sharing a 4-character prefix.
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("coordinator.log");
    std::fs::write(
        &log,
        "2026-11-21T10:00:00.000001Z INFO: [Job] Started JobId(abcd1111…) successfully Capacity: 16CU Workers: 1\n\
         2026-11-21T10:00:01.000001Z INFO: [Job] Started JobId(abcd2222…) successfully Capacity: 16CU Workers: 1\n\
         2026-11-21T10:00:02.000001Z ERROR: Failed job JobId(abcd2222…) (reason: boom)\n",
    )
    .unwrap();
    let r = run(zl().arg("--coordinator").arg(&log).args(["job", "abcd"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("matches 2 jobs"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("abcd1111…  started 2026-11-21T10:00:00.000001Z  running"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("abcd2222…  started 2026-11-21T10:00:01.000001Z  failed"),
        "{}",
        r.stderr
    );
    // A longer prefix picks one.
    let r = run(zl()
        .arg("--coordinator")
        .arg(&log)
        .args(["-o", "json", "job", "abcd2"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ndjson(&r.stdout).last().unwrap()["outcome"], "failed");
    let _ = (dir, t);
}

#[test]
fn an_unknown_job_exits_1_and_a_short_id_is_a_usage_error() {
    let (dir, t) = zisk();
    let r = run(on_cluster(&dir, &t).args(["job", "ffffffff-0000-4000-8000-000000000000"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no job ffffffff-0000-4000-8000-000000000000"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    let r = run(on_cluster(&dir, &t).args(["job", "abc"]));
    assert_eq!(r.code, 2);
}

#[test]
fn a_failed_worker_source_still_prints_the_rest_and_exits_3() {
    let (dir, t) = zisk();
    let job = &t["jobs"][0];
    let id = job["job_id"].as_str().unwrap();
    // worker-02's logs are on a source that cannot be read; the others are fine.
    let mut cmd = zl();
    cmd.arg("--coordinator").arg(dir.join("coordinator.log"));
    for w in t["workers"].as_array().unwrap() {
        let f = w["file"].as_str().unwrap();
        if f == "worker-02.log" {
            cmd.arg("--worker").arg(dir.join("missing-worker-02.log"));
        } else {
            cmd.arg("--worker").arg(dir.join(f));
        }
    }
    let r = run(cmd.args(["-o", "json", "job", id]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("missing-worker-02.log"), "{}", r.stderr);
    let out = ndjson(&r.stdout);
    let summary = out.last().unwrap();
    assert_eq!(summary["outcome"], "completed");
    let failed = summary["sources_failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0]["source"]
        .as_str()
        .unwrap()
        .ends_with("missing-worker-02.log"));
    assert!(failed[0]["error"]
        .as_str()
        .unwrap()
        .contains("no such file"));
    let w2 = t["workers"][1]["worker_id"].as_str().unwrap();
    let row = summary["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["worker_id"] == w2)
        .expect("worker-02 named");
    assert_eq!(row["found"], false);
    assert_eq!(row["source"], Value::Null);
    // The other workers' lines are there.
    assert!(out
        .iter()
        .any(|e| e["kind"] == "event" && e["source"] == "worker-01"));
    // Pretty mode names the missing part too.
    let mut cmd = zl();
    cmd.arg("--coordinator")
        .arg(dir.join("coordinator.log"))
        .arg("--worker")
        .arg(dir.join("worker-01.log"));
    cmd.arg("--worker").arg(dir.join("missing-worker-02.log"));
    let r = run(cmd.args(["-o", "compact", "job", id]));
    assert_eq!(r.code, 3);
    assert!(
        r.stdout
            .contains(&format!("{w2}  logs not found (searched: ")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("unreadable "), "{}", r.stdout);
}

#[cfg(unix)]
#[test]
fn an_unreadable_worker_file_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, t) = zisk();
    let tmp = tempfile::tempdir().unwrap();
    let locked = tmp.path().join("worker-03.log");
    std::fs::copy(dir.join("worker-03.log"), &locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&locked).is_ok() {
        eprintln!("SKIPPED: running as root, permissions are not enforced");
        return;
    }
    let id = t["jobs"][0]["job_id"].as_str().unwrap();
    let mut cmd = zl();
    cmd.arg("--coordinator").arg(dir.join("coordinator.log"));
    for f in ["worker-01.log", "worker-02.log", "worker-04.log"] {
        cmd.arg("--worker").arg(dir.join(f));
    }
    cmd.arg("--worker").arg(&locked);
    let r = run(cmd.args(["-o", "json", "job", id]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    let summary = ndjson(&r.stdout).pop().unwrap();
    assert!(
        summary["sources_failed"][0]["error"]
            .as_str()
            .unwrap()
            .contains("permission denied"),
        "{summary}"
    );
}

#[test]
fn context_is_marked_in_every_mode_and_filters_narrow_the_trail() {
    let (dir, t) = zisk();
    let id = t["jobs"][3]["job_id"].as_str().unwrap(); // fails when a worker's connection drops
    let r = run(on_cluster(&dir, &t).args(["-o", "json", "job", id]));
    let out = ndjson(&r.stdout);
    assert!(
        out.iter()
            .any(|e| e["context"] == true && e["level"] == "ERROR"),
        "a worker's error naming no job is context"
    );
    let r = run(on_cluster(&dir, &t).args(["-o", "compact", "job", id]));
    assert!(r.stdout.contains("(context)"));
    let r = run(on_cluster(&dir, &t).args(["-o", "pretty", "--color", "never", "job", id]));
    assert!(
        r.stdout.lines().any(|l| l.contains(" ~worker")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("coordinator   "), "timeline rows");
    let r = run(on_cluster(&dir, &t).args(["-o", "json", "job", id, "--level", "error"]));
    let out = ndjson(&r.stdout);
    let (summary, trail) = out.split_last().unwrap();
    assert!(!trail.is_empty() && trail.iter().all(|e| e["level"] == "ERROR"));
    assert_eq!(summary["outcome"], "failed");
    let r = run(on_cluster(&dir, &t).args(["-o", "json", "job", id, "--phase", "prove"]));
    assert!(ndjson(&r.stdout)
        .iter()
        .filter(|e| e["kind"] == "event")
        .all(|e| e["phase"] == "Prove"));
}

#[test]
fn the_summary_has_exactly_the_documented_keys() {
    let (dir, t) = zisk();
    let id = t["jobs"][4]["job_id"].as_str().unwrap();
    let r = run(on_cluster(&dir, &t).args(["-o", "json", "job", id]));
    let summary = ndjson(&r.stdout).pop().unwrap();
    let keys: Vec<&str> = summary
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let want = vec![
        "kind",
        "schema",
        "job_id",
        "job_kind",
        "id_match",
        "outcome",
        "reason",
        "started",
        "ended",
        "duration_s",
        "phases",
        "workers",
        "culprit",
        "first_error",
        "root_cause",
        "findings",
        "sources_failed",
    ];
    assert_eq!(keys, want, "in the documented order");
    let failed = t["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["outcome"] == "failed")
        .expect("a failed job");
    let r =
        run(on_cluster(&dir, &t).args(["-o", "json", "job", failed["job_id"].as_str().unwrap()]));
    let culprit = ndjson(&r.stdout).pop().unwrap()["culprit"].clone();
    let culprit_keys: Vec<&str> = culprit
        .as_object()
        .expect("a culprit")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        culprit_keys,
        ["worker_id", "name", "source", "reason", "event", "commands"]
    );
    let p = &summary["phases"][0];
    assert_eq!(p.as_object().unwrap().len(), 6);
    assert!(p["duration_s"].is_f64());
    assert_eq!(summary["first_error"]["kind"], "event");
    assert_eq!(summary["workers"][0].as_object().unwrap().len(), 6);
}

#[test]
fn jobs_lists_every_job_with_its_outcome() {
    for dir in clusters() {
        let t = truth(&dir);
        let r = run(on_cluster(&dir, &t).args(["-o", "json", "jobs"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let rows = ndjson(&r.stdout);
        let jobs = t["jobs"].as_array().unwrap();
        assert_eq!(rows.len(), jobs.len(), "{dir:?}");
        for (row, job) in rows.iter().zip(jobs) {
            assert_eq!(row["job_id"], job["job_id"], "{dir:?}");
            for key in ["outcome", "reason", "started", "ended"] {
                assert_eq!(row[key], job[key], "{dir:?} {key}");
            }
            let got: BTreeSet<&str> = row["workers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap())
                .collect();
            let want: BTreeSet<&str> = job["workers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap())
                .collect();
            assert_eq!(got, want, "{dir:?} {}", job["job_id"]);
            assert_eq!(row["worker_count"], want.len());
        }
        let r = run(on_cluster(&dir, &t).args(["-o", "json", "jobs", "--outcome", "failed"]));
        let failed = jobs.iter().filter(|j| j["outcome"] == "failed").count();
        assert_eq!(ndjson(&r.stdout).len(), failed);
    }
    let (dir, t) = zisk();
    let r = run(on_cluster(&dir, &t).args([
        "-o",
        "compact",
        "jobs",
        "--since",
        t["jobs"][5]["started"].as_str().unwrap(),
    ]));
    assert_eq!(
        r.stdout.lines().count(),
        1 + t["jobs"].as_array().unwrap().len() - 5,
        "{}",
        r.stdout
    );
    assert!(r.stdout.starts_with("JOB ID"));
}

#[test]
fn workers_lists_every_worker_with_its_source_and_jobs() {
    for dir in clusters() {
        let t = truth(&dir);
        let r = run(on_cluster(&dir, &t).args(["-o", "json", "workers"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let rows = ndjson(&r.stdout);
        assert_eq!(rows.len(), 4, "{dir:?}: {rows:?}");
        for w in t["workers"].as_array().unwrap() {
            let id = w["worker_id"].as_str().unwrap();
            let row = rows
                .iter()
                .find(|r| r["worker_id"] == id)
                .unwrap_or_else(|| panic!("{dir:?}: {id} listed"));
            assert!(
                row["source"]
                    .as_str()
                    .unwrap()
                    .ends_with(w["file"].as_str().unwrap()),
                "{dir:?} {row}"
            );
            let want: BTreeSet<&str> = t["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|j| j["workers"].as_array().unwrap().iter().any(|x| x == id))
                .map(|j| j["job_id"].as_str().unwrap())
                .collect();
            let got: BTreeSet<&str> = row["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| j.as_str().unwrap())
                .collect();
            assert_eq!(got, want, "{dir:?} {id}");
            assert!(row["registrations"].as_u64().unwrap() >= 1, "{dir:?} {row}");
            assert!(row["first_seen"].is_string() && row["last_seen"].is_string());
        }
    }
}

#[test]
fn the_readme_command_works_from_the_repo_root() {
    // The main command exactly as README.md gives it.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.contains("--config fixtures/zisk-logs.toml job "))
        .expect("README gives the main command");
    let id = line.rsplit(' ').next().unwrap().trim();
    let topology = std::fs::read_to_string(root().join("fixtures/zisk-logs.toml")).unwrap();
    let name = topology
        .split("clusters/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap();
    let t = truth(&cluster(name));
    let job = t["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job_id"].as_str().unwrap().starts_with(id))
        .expect("README's job is in the bundled cluster");
    let full = job["job_id"].as_str().unwrap();
    let r = run(zl().current_dir(root()).args([
        "--config",
        "fixtures/zisk-logs.toml",
        "--color",
        "never",
        "-o",
        "pretty",
        "job",
        id,
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with(&format!("job {full}  {}", job["outcome"].as_str().unwrap())),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("  coordinator   "),
        "the timeline is drawn: {}",
        r.stdout
    );
    // From elsewhere too: relative paths in the file are taken from its folder.
    let r = run(zl()
        .arg("--config")
        .arg(root().join("fixtures/zisk-logs.toml"))
        .args(["-o", "json", "job", id]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ndjson(&r.stdout).last().unwrap()["job_id"], full);
}

#[test]
fn follow_keeps_reading_a_running_job_until_it_ends() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let (dir, t) = zisk();
    let job = t["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["outcome"] == "running")
        .expect("a running job");
    let id = job["job_id"].as_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for f in [
        "coordinator.log",
        "worker-01.log",
        "worker-02.log",
        "worker-03.log",
        "worker-04.log",
    ] {
        std::fs::copy(dir.join(f), tmp.path().join(f)).unwrap();
    }
    let mut cmd = zl();
    cmd.current_dir(tmp.path())
        .args(["--coordinator", "coordinator.log"]);
    for f in [
        "worker-01.log",
        "worker-02.log",
        "worker-03.log",
        "worker-04.log",
    ] {
        cmd.args(["--worker", f]);
    }
    let mut child = cmd
        .args(["-o", "json", "job", "--follow", &id[..8]])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Never hang the test run: stop the child if it has not ended in 30 seconds.
    let pid = child.id();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(30));
        // Quietly: the child has ended already unless it hung.
        let _ = Command::new("kill")
            .arg(pid.to_string())
            .stderr(Stdio::null())
            .status();
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The history is printed first: the job's start.
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["kind"], "event");
    let end = format!("2026-11-21T10:10:40.000001Z INFO: [Job] Finished JobId({}…) successfully ✔ Duration: 70.0s\n", &id[..8]);
    std::fs::OpenOptions::new()
        .append(true)
        .open(tmp.path().join("coordinator.log"))
        .unwrap()
        .write_all(end.as_bytes())
        .unwrap();
    let rest: Vec<Value> = lines
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let status = child.wait().unwrap();
    assert!(status.success());
    let summary = rest.last().unwrap();
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["outcome"], "completed");
    assert_eq!(summary["job_id"], id);
    assert_eq!(summary["ended"], "2026-11-21T10:10:40.000001Z");
}
