//! Every format, both log shapes: parsed events compared field by field with the fixture
//! generator's ground truth (`events.jsonl`), and `--job`/`--phase`/`--level` exact on it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::util::*;

pub const CLUSTERS: [&str; 11] = [
    "json-documented",
    "json-message",
    "full-documented",
    "full-message",
    "compact-documented",
    "compact-message",
    "pretty-documented",
    "pretty-message",
    "zisk",
    "zisk-ansi",
    "mixed",
];

pub fn truth_events(cluster: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(crate::util::cluster(cluster).join("events.jsonl")).unwrap();
    ndjson(&text)
}

pub fn truth(cluster: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(crate::util::cluster(cluster).join("truth.json")).unwrap(),
    )
    .unwrap()
}

/// `--coordinator` and `--worker` options naming a cluster's files.
pub fn cluster_sources(cluster: &str) -> Vec<String> {
    let dir = crate::util::cluster(cluster);
    let t = truth(cluster);
    let mut args = vec![
        "--coordinator".to_string(),
        dir.join(t["coordinator"].as_str().unwrap())
            .display()
            .to_string(),
    ];
    for w in t["workers"].as_array().unwrap() {
        args.push("--worker".into());
        args.push(dir.join(w["file"].as_str().unwrap()).display().to_string());
    }
    args
}

/// Runs `tail -o json` over a cluster with extra arguments; events keyed by (file, line).
pub fn tail_cluster(cluster: &str, extra: &[&str]) -> BTreeMap<(String, u64), Value> {
    let mut cmd = zl();
    cmd.args(cluster_sources(cluster))
        .args(["tail", "-o", "json"])
        .args(extra);
    let r = run(&mut cmd);
    assert!(
        r.code == 0 || r.code == 1,
        "{cluster}: exit {} {}",
        r.code,
        r.stderr
    );
    assert!(r.stderr.is_empty(), "{cluster}: {}", r.stderr);
    ndjson(&r.stdout)
        .into_iter()
        .map(|e| {
            let o = &e["origin"];
            let file = o["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            ((file, o["line"].as_u64().unwrap()), e)
        })
        .collect()
}

/// An ID we print (full, or a prefix ending in `…`) names the truth's full ID.
fn same_id(ours: &Value, truth: &Value) -> bool {
    match (ours.as_str(), truth.as_str()) {
        (None, None) => true,
        // The full ID, or (where the line printed no more) its 8-character prefix, without
        // the ellipsis (docs/SCHEMA.md).
        (Some(o), Some(t)) => o == t || (o.chars().count() == 8 && t.starts_with(o)),
        _ => false,
    }
}

#[test]
fn every_event_of_every_format_matches_the_ground_truth() {
    let mut failures = Vec::new();
    for cluster in CLUSTERS {
        let ours = tail_cluster(cluster, &[]);
        let truth = truth_events(cluster);
        assert_eq!(ours.len(), truth.len(), "{cluster}: number of events");
        for t in &truth {
            let key = (
                t["file"].as_str().unwrap().to_string(),
                t["line"].as_u64().unwrap(),
            );
            let Some(e) = ours.get(&key) else {
                failures.push(format!("{cluster} {key:?}: missing"));
                continue;
            };
            for field in ["ts", "level", "target", "message", "phase", "role"] {
                if e[field] != t[field] {
                    failures.push(format!(
                        "{cluster} {key:?} {field}: ours {} truth {}",
                        e[field], t[field]
                    ));
                }
            }
            for field in ["job_id", "worker_id"] {
                if !same_id(&e[field], &t[field]) {
                    failures.push(format!(
                        "{cluster} {key:?} {field}: ours {} truth {}",
                        e[field], t[field]
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn keys_where(truth: &[Value], pred: impl Fn(&Value) -> bool) -> BTreeSet<(String, u64)> {
    truth
        .iter()
        .filter(|t| pred(t))
        .map(|t| {
            (
                t["file"].as_str().unwrap().to_string(),
                t["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn job_phase_and_level_filters_are_exact_on_every_format() {
    for cluster in CLUSTERS {
        let truth = truth_events(cluster);
        for job in truth_jobs(cluster) {
            let want = keys_where(&truth, |t| t["job_id"] == job.as_str());
            let got: BTreeSet<_> = tail_cluster(cluster, &["--job", &job])
                .into_keys()
                .collect();
            assert_eq!(got, want, "{cluster}: --job {job}");
            let prefix: String = job.chars().take(6).collect();
            let by_prefix: BTreeSet<_> = tail_cluster(cluster, &["--job", &prefix])
                .into_keys()
                .collect();
            assert!(by_prefix.is_superset(&want), "{cluster}: --job {prefix}");
        }
        for phase in ["Contributions", "Prove", "Aggregate", "Execution"] {
            let want = keys_where(&truth, |t| t["phase"] == phase);
            let got: BTreeSet<_> = tail_cluster(cluster, &["--phase", &phase.to_lowercase()])
                .into_keys()
                .collect();
            assert_eq!(got, want, "{cluster}: --phase {phase}");
        }
        for (level, accepted) in [
            ("warn", &["WARN", "ERROR"][..]),
            ("error", &["ERROR"][..]),
            ("debug", &["DEBUG", "INFO", "WARN", "ERROR"][..]),
        ] {
            let want = keys_where(&truth, |t| {
                t["level"].as_str().is_some_and(|l| accepted.contains(&l))
            });
            let got: BTreeSet<_> = tail_cluster(cluster, &["--level", level])
                .into_keys()
                .collect();
            assert_eq!(got, want, "{cluster}: --level {level}");
        }
    }
}

pub fn truth_jobs(cluster: &str) -> Vec<String> {
    truth(cluster)["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn merged_output_is_in_time_order_per_cluster() {
    // Logged-time order (aligned order is tested in trail::clock).
    for cluster in ["zisk", "json-message", "pretty-documented"] {
        let mut cmd = zl();
        cmd.args(cluster_sources(cluster))
            .args(["tail", "-o", "json", "--align", "off"]);
        let events = ndjson(&run(&mut cmd).stdout);
        let times: Vec<&str> = events.iter().filter_map(|e| e["ts"].as_str()).collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted, "{cluster}: events out of time order");
    }
}
