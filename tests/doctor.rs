//! `zisk-logs doctor`: every configured source checked, what is reachable and why not, and a
//! real Prometheus.

use crate::prom_harness::{have_prometheus, scraping};
use crate::util::{fixtures, ndjson, run, zl};

#[test]
fn every_source_reachable_on_the_fixtures() {
    let r = run(zl()
        .arg("--config")
        .arg(fixtures().join("zisk-logs.toml"))
        .args(["-o", "json", "doctor"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = ndjson(&r.stdout);
    assert_eq!(rows.len(), 5);
    for row in &rows {
        assert_eq!(
            (row["kind"].as_str(), row["schema"].as_u64()),
            (Some("doctor"), Some(1))
        );
        assert_eq!(row["reachable"], true, "{row}");
        assert_eq!(row["streams"], 1);
        assert!(row["last_line"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-21T10:0"));
        assert!(row["reason"].is_null());
    }
    assert_eq!(rows[0]["role"], "coordinator");
    // Key order as docs/SCHEMA.md gives it.
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "kind",
            "schema",
            "check",
            "source",
            "role",
            "reachable",
            "streams",
            "lines",
            "last_line",
            "reason"
        ]
    );
}

#[test]
fn unreachable_sources_say_why_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let r = run(zl()
        .arg("--coordinator")
        .arg(dir.path().join("missing.log"))
        .arg("--worker")
        .arg(fixtures().join("clusters/json-message/worker-01.log"))
        .arg("--worker")
        .arg(&empty)
        .args(["--worker", "kafka:topic"])
        .args(["-o", "json", "doctor", "--prometheus", "http://127.0.0.1:1"]));
    let rows = ndjson(&r.stdout);
    let row = |i: usize| &rows[i];
    if rows.len() == 5 {
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert_eq!(row(0)["reachable"], false);
        assert!(
            row(0)["reason"].as_str().unwrap().contains("no such file"),
            "{}",
            row(0)
        );
        assert_eq!(row(1)["reachable"], true);
        assert!(
            row(2)["reason"].as_str().unwrap().contains("no log lines"),
            "{}",
            row(2)
        );
        assert_eq!(row(3)["reachable"], false);
        assert_eq!(row(4)["check"], "prometheus");
        assert_eq!(row(4)["reachable"], false);
        assert!(
            row(4)["reason"].as_str().unwrap().contains("unreachable"),
            "{}",
            row(4)
        );
    } else {
        // An unknown scheme may be refused up front, as a usage error naming it.
        assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("kafka"), "{}", r.stderr);
    }
}

#[test]
fn a_real_prometheus_is_reachable() {
    if !have_prometheus() {
        return;
    }
    let prometheus = scraping("127.0.0.1:1", "groups: []\n");
    let r = run(zl()
        .arg("--config")
        .arg(fixtures().join("zisk-logs.toml"))
        .args(["-o", "json", "doctor", "--prometheus", &prometheus.url]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = ndjson(&r.stdout);
    let last = rows.last().unwrap();
    assert_eq!(
        (last["check"].as_str(), last["reachable"].as_bool()),
        (Some("prometheus"), Some(true)),
        "{last}"
    );
}
