//! A log file named on its own is read with its rotated siblings (`x.log.1`, `x.log.2.gz`), as
//! folders and globs are: after a rotation, `job` on the live file still sees the whole job.

use std::io::Write;

use crate::util::{cluster, ndjson, run, zl};

fn summary(coordinator: &std::path::Path, workers: &[std::path::PathBuf]) -> serde_json::Value {
    let mut cmd = zl();
    cmd.arg("--coordinator").arg(coordinator);
    for w in workers {
        cmd.arg("--worker").arg(w);
    }
    let r = run(cmd.args(["-o", "json", "job", "7a3362a3", "--summary-only"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    ndjson(&r.stdout).pop().expect("a summary")
}

#[test]
fn a_named_file_is_read_with_its_rotations() {
    let source = cluster("json-message");
    let workers: Vec<_> = (1..=4)
        .map(|i| source.join(format!("worker-0{i}.log")))
        .collect();
    let whole = summary(&source.join("coordinator.log"), &workers);
    assert!(!whole["phases"].as_array().unwrap().is_empty());

    // Rotated mid-job: the older half in .2.gz and .1, the newer in the live file.
    let text = std::fs::read_to_string(source.join("coordinator.log")).unwrap();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = lines
        .iter()
        .position(|l| l.contains("7a3362a3") && l.contains("Phase1"))
        .expect("the job's first phase line")
        + 1;
    let dir = tempfile::tempdir().unwrap();
    let (oldest, older) = lines[..at].split_at(at / 2);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(oldest.concat().as_bytes()).unwrap();
    std::fs::write(
        dir.path().join("coordinator.log.2.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("coordinator.log.1"), older.concat()).unwrap();
    std::fs::write(dir.path().join("coordinator.log"), lines[at..].concat()).unwrap();

    let rotated = summary(&dir.path().join("coordinator.log"), &workers);
    for key in ["started", "ended", "phases", "outcome", "workers"] {
        assert_eq!(rotated[key], whole[key], "{key}");
    }
}
