//! The topology file: lookup order, command-line sources replacing its entries, errors with
//! the line, and `tail` reading the sources it names.

use std::path::Path;

use crate::util::{cluster, ndjson, run, zl};

/// A topology naming only the coordinator of a fixture cluster (absolute path), so which file
/// was used shows in the output's source labels.
fn write_topology(path: &Path, cluster_name: &str) {
    let dir = cluster(cluster_name);
    let text = format!(
        "[coordinator]\nsource = \"file:{}\"\n",
        dir.join("coordinator.log").display()
    );
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The first 8 characters of the first job ID `jobs` lists with this command.
fn first_job(cmd: &mut std::process::Command) -> String {
    let r = run(cmd.args(["-o", "json", "jobs"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Only the coordinator is named: message-only logs show job IDs truncated to 8 characters.
    ndjson(&r.stdout)[0]["job_id"]
        .as_str()
        .unwrap()
        .chars()
        .take(8)
        .collect()
}

fn truth_first_job(cluster_name: &str) -> String {
    let t: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(cluster(cluster_name).join("truth.json")).unwrap(),
    )
    .unwrap();
    t["jobs"][0]["job_id"]
        .as_str()
        .unwrap()
        .chars()
        .take(8)
        .collect()
}

#[test]
fn lookup_order_is_flag_env_local_then_xdg() {
    let tmp = tempfile::tempdir().unwrap();
    let (flag, env, xdg) = (
        tmp.path().join("flag.toml"),
        tmp.path().join("env.toml"),
        tmp.path().join("xdg"),
    );
    let cwd = tmp.path().join("cwd");
    write_topology(&flag, "json-message");
    write_topology(&env, "full-message");
    write_topology(&cwd.join("zisk-logs.toml"), "compact-message");
    write_topology(&xdg.join("zisk-logs/config.toml"), "zisk");
    let base = || {
        let mut c = zl();
        c.current_dir(&cwd).env("XDG_CONFIG_HOME", &xdg);
        c
    };
    assert_eq!(
        first_job(
            base()
                .env("ZISK_LOGS_CONFIG", &env)
                .arg("--config")
                .arg(&flag)
        ),
        truth_first_job("json-message")
    );
    assert_eq!(
        first_job(base().env("ZISK_LOGS_CONFIG", &env)),
        truth_first_job("full-message")
    );
    assert_eq!(first_job(&mut base()), truth_first_job("compact-message"));
    std::fs::remove_file(cwd.join("zisk-logs.toml")).unwrap();
    assert_eq!(first_job(&mut base()), truth_first_job("zisk"));
    // A named file must exist; the default places only when present.
    let r = run(base()
        .arg("--config")
        .arg(tmp.path().join("nope.toml"))
        .arg("jobs"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope.toml: no such file"), "{}", r.stderr);
}

#[test]
fn command_line_sources_replace_the_files_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("t.toml");
    write_topology(&file, "json-message");
    let other = cluster("zisk").join("coordinator.log");
    let job = first_job(
        zl().arg("--config")
            .arg(&file)
            .arg("--coordinator")
            .arg(&other),
    );
    assert_eq!(job, truth_first_job("zisk"));
}

#[test]
fn a_bad_file_is_reported_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    std::fs::write(
        &file,
        "[coordinator]\nsource = \"file:c.log\"\n\n[[workers]]\nsorce = \"w.log\"\n",
    )
    .unwrap();
    let r = run(zl().arg("--config").arg(&file).arg("jobs"));
    assert_eq!(r.code, 2);
    let shown = file.display().to_string();
    assert!(
        r.stderr.contains(&format!("topology file {shown}:5:")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("sorce"), "{}", r.stderr);
    assert!(r.stderr.contains("expected"), "{}", r.stderr);
    std::fs::write(
        &file,
        "[coordinator]\nsource = \"file:c.log\"\n[[workers]]\nsource = \"k8s:\"\n",
    )
    .unwrap();
    let r = run(zl().arg("--config").arg(&file).arg("jobs"));
    assert!(
        r.stderr
            .contains(&format!("topology file {shown}:4: worker source")),
        "{}",
        r.stderr
    );
    std::fs::write(&file, "[coordinator\nsource = 1\n").unwrap();
    let r = run(zl().arg("--config").arg(&file).arg("jobs"));
    assert!(
        r.stderr.contains(&format!("topology file {shown}:1:")),
        "{}",
        r.stderr
    );
    // Completions never need the file.
    assert_eq!(
        run(zl()
            .arg("--config")
            .arg(&file)
            .args(["completions", "bash"]))
        .code,
        0
    );
}

#[test]
fn tail_without_paths_reads_the_topology() {
    let r = run(zl().current_dir(crate::util::root()).args([
        "--config",
        "fixtures/zisk-logs.toml",
        "-o",
        "json",
        "tail",
        "--level",
        "error",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let events = ndjson(&r.stdout);
    assert!(events.iter().any(|e| e["role"] == "coordinator"));
    assert!(events.iter().any(|e| e["role"] == "worker"));
}

#[test]
fn topology_ids_tie_workers_without_a_banner() {
    // A worker whose log has no banner (it was rotated away): the operator's `id` ties it.
    let dir = cluster("zisk");
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let log = std::fs::read_to_string(dir.join("worker-01.log")).unwrap();
    let no_banner: String = log
        .lines()
        .filter(|l| l.starts_with("20"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(tmp.path().join("w1.log"), no_banner).unwrap();
    let w1 = t["workers"][0]["worker_id"].as_str().unwrap();
    let job = t["jobs"][0]["job_id"].as_str().unwrap();
    let mut text = format!(
        "[coordinator]\nsource = \"{}\"\n",
        dir.join("coordinator.log").display()
    );
    text.push_str(&format!(
        "[[workers]]\nsource = \"w1.log\"\nid = \"{w1}\"\n"
    ));
    for f in ["worker-02.log", "worker-03.log", "worker-04.log"] {
        text.push_str(&format!(
            "[[workers]]\nsource = \"{}\"\n",
            dir.join(f).display()
        ));
    }
    std::fs::write(tmp.path().join("zisk-logs.toml"), text).unwrap();
    let r = run(zl()
        .current_dir(tmp.path())
        .args(["-o", "json", "job", job]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = ndjson(&r.stdout);
    let summary = out.last().unwrap();
    let row = summary["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["worker_id"] == w1)
        .expect("worker-01 listed");
    assert_eq!(row["found"], true, "{summary}");
    assert!(row["source"].as_str().unwrap().ends_with("w1.log"));
    assert!(out
        .iter()
        .any(|e| e["source"] == "w1" && e["worker_id"] == w1));
}
