//! `metrics` and `triage` against the coordinator's metrics as the fixture generator wrote them
//! (`metrics.om.gz` beside each cluster: the scrapes a 5 s Prometheus would have stored, with the
//! code's or the guide's label values), backfilled with promtool and served by Debian's
//! prometheus. The generator counts from its simulation, the tool from the logs: they must agree.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::prom_harness::{self as ph, ms, Daemon};
use crate::util::{fixtures, ndjson, run, zl};

const STEP: i64 = 5_000;

/// `(cluster folder under fixtures/, the exporter's vocabulary)`: the guide's for the documented
/// shape, the code's (success|failure, a gauge never lowered on a disconnect) for v0.13+ logs.
const CLUSTERS: [(&str, &str); 6] = [
    ("clusters/zisk", "code"),
    ("clusters/json-documented", "seed"),
    ("releases/v0.12", "seed"),
    ("releases/v0.15", "code"),
    ("releases/v0.17", "code"),
    ("releases/v0.18", "code"),
];

fn source_args(dir: &Path) -> Vec<String> {
    let toml = dir.join("zisk-logs.toml");
    if toml.exists() {
        return vec!["--config".into(), toml.display().to_string()];
    }
    let mut args = vec![
        "--coordinator".into(),
        dir.join("coordinator.log").display().to_string(),
    ];
    let mut workers: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("worker-")
        })
        .collect();
    workers.sort();
    for w in workers {
        args.push("--worker".into());
        args.push(w.display().to_string());
    }
    args
}

fn generated(dir: &Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(dir.join("metrics.om.gz")).expect("metrics.om.gz"),
    )
    .read_to_string(&mut text)
    .expect("gunzip metrics.om.gz");
    text
}

/// The first and last sample time of the generated scrapes (ms).
fn span(om: &str) -> (i64, i64) {
    let times: Vec<i64> = om
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|s| (s * 1000.0).round() as i64)
        .collect();
    (*times.iter().min().unwrap(), *times.iter().max().unwrap())
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Each series of `expr` keyed by its labels (without the scrape target's), as the times at
/// which its value changed and the value it took.
fn changes(
    prom: &Daemon,
    expr: &str,
    (start, end): (i64, i64),
) -> BTreeMap<BTreeMap<String, String>, Vec<(i64, f64)>> {
    let mut out = BTreeMap::new();
    for (metric, values) in ph::query_range(&prom.url, expr, start, end, STEP) {
        let labels: BTreeMap<String, String> = metric
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "__name__" | "instance" | "job"))
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let mut steps: Vec<(i64, f64)> = Vec::new();
        for (t, v) in values {
            if steps.last().is_none_or(|l| l.1 != v) {
                steps.push((t, v));
            }
        }
        out.insert(labels, steps);
    }
    out
}

#[test]
fn derived_counters_equal_the_generators_scrapes() {
    if !ph::have_prometheus() {
        return;
    }
    for (name, vocabulary) in CLUSTERS {
        let dir = fixtures().join(name);
        let om = generated(&dir);
        let window = span(&om);
        let truth_prom = ph::backfilled(&om);
        let derived = run(zl().args(source_args(&dir)).args([
            "metrics",
            "-o",
            "openmetrics",
            "--labels",
            vocabulary,
        ]));
        assert_eq!(derived.code, 0, "{name}: {}", derived.stderr);
        let derived_prom = ph::backfilled(&derived.stdout);

        let want = changes(&truth_prom, "coordinator_jobs_total", window);
        let got = changes(&derived_prom, "coordinator_jobs_total", window);
        assert!(
            want.values().any(|s| s.iter().any(|c| c.1 > 0.0)),
            "{name}: the generator counted jobs"
        );
        assert_same(name, &want, &got);

        // Per worker, matched by the 8-character prefix the logs print where they never give
        // the full ID: workers whose IDs share those 8 characters are one group on both sides
        // (the coordinator's lines cannot tell them apart).
        let by_prefix = "sum by (prefix, outcome) (label_replace(coordinator_worker_jobs_total, \
                         \"prefix\", \"$1\", \"worker_id\", \"(.{1,8}).*\"))";
        let want = changes(&truth_prom, by_prefix, window);
        let got = changes(&derived_prom, by_prefix, window);
        assert!(want.len() >= 3, "{name}: {want:?}");
        assert_same(name, &want, &got);
    }
}

/// The same series with the same values, each change at the same scrape or the next (a line
/// logged just before a scrape can reach the derived series one step away).
fn assert_same(
    name: &str,
    want: &BTreeMap<BTreeMap<String, String>, Vec<(i64, f64)>>,
    got: &BTreeMap<BTreeMap<String, String>, Vec<(i64, f64)>>,
) {
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "{name}: label sets"
    );
    for (labels, w) in want {
        let g = &got[labels];
        let values = |s: &[(i64, f64)]| s.iter().map(|c| c.1).collect::<Vec<_>>();
        assert_eq!(values(w), values(g), "{name} {labels:?}: {w:?} vs {g:?}");
        for (a, b) in w.iter().zip(g) {
            assert!(
                (a.0 - b.0).abs() <= STEP,
                "{name} {labels:?}: {w:?} vs {g:?}"
            );
        }
    }
}

const RULES: &str = r#"groups:
- name: t
  rules:
  - alert: AnyFailure
    expr: increase(coordinator_jobs_total{outcome="failed"}[1m]) > 0
    for: 0s
  - alert: FleetLow
    expr: coordinator_workers_connected < 4
    for: 0s
"#;

/// The coordinator's disconnect lines of the ground truth: `(worker, logged ms)`.
fn disconnects(dir: &Path) -> Vec<(String, i64)> {
    let text = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    ndjson(&text)
        .into_iter()
        .filter(|e| {
            let m = e["message"].as_str().unwrap_or("");
            // The generator's two templates: a clean close and a stream error (v0.12+).
            e["role"] == "coordinator"
                && ((m.starts_with("Worker ") && m.ends_with(" disconnected"))
                    || m.starts_with("Error receiving from "))
        })
        .map(|e| {
            (
                e["worker_id"].as_str().unwrap().to_string(),
                ms(e["ts"].as_str().unwrap()),
            )
        })
        .collect()
}

#[test]
fn triage_on_the_generators_scrapes_names_every_failed_job_and_every_disconnect() {
    if !ph::have_prometheus() {
        return;
    }
    let mut named = 0;
    for (name, vocabulary) in CLUSTERS {
        let dir = fixtures().join(name);
        let om = generated(&dir);
        let (start, end) = span(&om);
        let prom = ph::backfilled(&om);
        let tmp = tempfile::tempdir().unwrap();
        let rules = ph::temp_file(tmp.path(), "rules.yml", RULES);
        let r = run(zl().args(source_args(&dir)).args([
            "triage",
            "--prometheus",
            &prom.url,
            "--rules",
            rules.to_str().unwrap(),
            "--since",
            &rfc3339(start),
            "--until",
            &rfc3339(end),
            "-o",
            "json",
        ]));
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        let recs = ndjson(&r.stdout);
        let alerts = |alert: &str| -> Vec<&Value> {
            recs.iter()
                .filter(|a| a["kind"] == "alert" && a["alert"] == alert)
                .collect()
        };

        // The guide's `outcome="failed"` fires as written on its own vocabulary; on the code's
        // it is linted and its meant condition (`failure`) evaluated, marked as corrected.
        let failures = alerts("AnyFailure");
        assert!(!failures.is_empty(), "{name}: {}", r.stdout);
        let corrected = vocabulary == "code";
        assert!(failures
            .iter()
            .all(|a| a["corrected"] == corrected && a["evaluated_on"] == "prometheus"));
        let truth: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap())
                .unwrap();
        for a in &failures {
            let want = ph::failed_jobs_explained(&truth, a);
            assert!(
                !want.is_empty(),
                "{name}: a failure alert explains a failure: {a}"
            );
            let jobs = a["jobs"].as_array().unwrap();
            let got: BTreeSet<&str> = jobs.iter().map(|j| j["job_id"].as_str().unwrap()).collect();
            assert_eq!(got, want, "{name}: every failed job named, none extra");
            for j in jobs {
                let t = truth["jobs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["job_id"] == j["job_id"])
                    .unwrap();
                let blamed = j["worker_id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: {j} is blamed on no worker"));
                let workers: Vec<&str> = t["workers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap())
                    .collect();
                assert!(
                    workers.iter().any(|w| w.starts_with(blamed)),
                    "{name}: {blamed} worked on {}",
                    j["job_id"]
                );
            }
        }

        // The fleet rule: on the guide's exporter the gauge falls at each disconnect and the rule
        // fires on Prometheus; on the code's it falls only while workers re-register after a
        // coordinator restart, so the rule is linted and also evaluated on the logs' true
        // count. Either way every disconnect in a firing interval is named, and no other.
        let fleet = alerts("FleetLow");
        assert!(!fleet.is_empty(), "{name}: {}", r.stdout);
        if vocabulary == "code" {
            assert!(
                recs.iter()
                    .any(|l| l["kind"] == "lint" && l["rule"] == "FleetLow"),
                "{name}"
            );
            assert!(fleet
                .iter()
                .any(|a| a["corrected"] == true && a["evaluated_on"] == "logs"));
        } else {
            assert!(fleet
                .iter()
                .all(|a| a["corrected"] == false && a["evaluated_on"] == "prometheus"));
        }
        let truth_drops = disconnects(&dir);
        for a in &fleet {
            let (from, to) = (
                ms(a["active_from"].as_str().unwrap()),
                a["to"].as_str().map_or(end, ms),
            );
            let listed: Vec<(&str, i64)> = a["workers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|w| w["event"] == "disconnected")
                .map(|w| {
                    (
                        w["worker_id"].as_str().unwrap(),
                        ms(w["ts"].as_str().unwrap()),
                    )
                })
                .collect();
            for (w, t) in truth_drops
                .iter()
                .filter(|d| (from - STEP..=to).contains(&d.1))
            {
                assert!(
                    listed
                        .iter()
                        .any(|(id, lt)| w.starts_with(id) && (lt - t).abs() <= 1000),
                    "{name}: disconnect of {w} at {} not named in {a}",
                    rfc3339(*t)
                );
                named += 1;
            }
            for (id, t) in &listed {
                assert!(
                    truth_drops
                        .iter()
                        .any(|(w, tt)| w.starts_with(id) && (t - tt).abs() <= 1000),
                    "{name}: {id} at {} did not disconnect",
                    rfc3339(*t)
                );
            }
        }
    }
    assert!(named > 0, "a firing fleet alert names a disconnect");
}
