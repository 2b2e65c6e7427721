//! `triage` and `metrics` on the logs alone (no Prometheus): the NDJSON shapes of
//! docs/SCHEMA.md, exit codes, the pretty story, and the derived series' ground truth.

use serde_json::Value;

use crate::util::{cluster, fixtures, ndjson, run, zl};

const RULES: &str = r#"groups:
- name: test
  rules:
  - alert: AnyFailure
    expr: increase(coordinator_jobs_total{outcome="failed"}[5m]) > 0
    for: 30s
    labels: {severity: warning}
    annotations: {summary: "a job failed"}
  - alert: FleetLow
    expr: coordinator_workers_connected < 4
    for: 0s
  - alert: Slow
    expr: histogram_quantile(0.99, sum by (le) (rate(coordinator_job_duration_seconds_bucket[10m]))) > 40
    for: 1m
  - alert: Typo
    expr: increase(coordinator_jobs_totl{outcome="failed"}[5m]) > 0
"#;

fn config() -> String {
    fixtures().join("zisk-logs.toml").display().to_string()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn triage(rules: &str, extra: &[&str]) -> crate::util::Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yml");
    std::fs::write(&path, rules).unwrap();
    run(zl()
        .args([
            "--config",
            &config(),
            "triage",
            "--since",
            "2026-11-21T10:00:00Z",
            "--until",
            "2026-11-21T10:10:00Z",
        ])
        .arg("--rules")
        .arg(&path)
        .args(extra))
}

#[test]
fn triage_records_keep_the_schema() {
    let r = triage(RULES, &["-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let recs = ndjson(&r.stdout);
    let alert = recs
        .iter()
        .find(|r| r["kind"] == "alert" && r["alert"] == "AnyFailure")
        .expect("an alert");
    assert_eq!(
        keys(alert),
        [
            "kind",
            "schema",
            "alert",
            "severity",
            "summary",
            "expr",
            "corrected",
            "evaluated_on",
            "labels",
            "active_from",
            "from",
            "to",
            "peak",
            "explained_from",
            "explained_to",
            "headline",
            "jobs",
            "workers",
            "groups",
            "coordinator"
        ]
    );
    assert_eq!(alert["schema"], 1);
    assert_eq!(alert["summary"], "a job failed");
    let job = &alert["jobs"][0];
    assert_eq!(
        keys(job),
        [
            "job_id",
            "job_kind",
            "outcome",
            "reason",
            "worker_id",
            "worker",
            "started",
            "ended",
            "duration_s",
            "phases",
            "first_error"
        ]
    );
    assert_eq!(keys(&job["phases"][0]), ["name", "duration_s", "held_by"]);
    assert_eq!(job["first_error"]["kind"], "event");
    assert_eq!(keys(&alert["groups"][0]), ["by", "key", "count", "of"]);
    // IDs in JSON: full where any line gives it, never an ellipsis or a wrapper.
    for r in &recs {
        let text = r.to_string();
        for j in r["jobs"].as_array().into_iter().flatten() {
            assert_eq!(j["job_id"].as_str().unwrap().len(), 36, "{text}");
            assert!(!j["worker_id"].as_str().unwrap_or_default().contains('…'));
        }
    }
    let fleet = recs
        .iter()
        .find(|r| r["alert"] == "FleetLow")
        .expect("a fleet alert");
    assert_eq!(
        keys(&fleet["workers"][0]),
        [
            "worker_id",
            "name",
            "source",
            "event",
            "ts",
            "back_at",
            "jobs_failed",
            "last_lines"
        ]
    );
    let lint = recs
        .iter()
        .find(|r| r["kind"] == "lint")
        .expect("a lint record");
    assert_eq!(
        keys(lint),
        ["kind", "schema", "rule", "problem", "fix", "corrected_expr"]
    );
    assert_eq!(
        lint["corrected_expr"],
        r#"increase(coordinator_jobs_total{outcome="failed"}[5m]) > 0"#
    );
    let summary = recs.last().unwrap();
    assert_eq!(
        keys(summary),
        [
            "kind",
            "schema",
            "since",
            "until",
            "step_s",
            "evaluated_on",
            "rules",
            "fired",
            "intervals",
            "corrected",
            "lints",
            "disagreements",
            "jobs_failed",
            "workers_disconnected",
            "sources_failed",
            "queries_failed"
        ]
    );
    assert_eq!(summary["rules"], 4);
    assert_eq!(summary["evaluated_on"], "logs");
}

#[test]
fn triage_exit_codes() {
    // The seed's rules do not fire on ten quiet minutes.
    let r = run(zl().args([
        "--config",
        &config(),
        "triage",
        "--since",
        "2026-11-21T10:00:00Z",
        "--until",
        "2026-11-21T10:10:00Z",
        "-o",
        "json",
    ]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let summary = ndjson(&r.stdout).pop().unwrap();
    assert_eq!(summary["fired"], Value::Array(vec![]));
    // Nothing readable and no Prometheus: 2.
    let r = run(zl().args([
        "--coordinator",
        "file:/nonexistent/coordinator.log",
        "--worker",
        "file:/nonexistent/w.log",
        "triage",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    // Usage errors.
    let r = run(zl().args(["--config", &config(), "-o", "openmetrics", "triage"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("-o openmetrics is the output of the metrics command"),
        "{}",
        r.stderr
    );
    let r = run(zl().args(["--config", &config(), "triage", "--alert", "NoSuchAlert"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("ZiskJobFailuresSpiking"),
        "names the rules: {}",
        r.stderr
    );
    let r = run(zl().args(["--config", &config(), "triage", "--prometheus", "ftp://x"]));
    assert_eq!(r.code, 2);
    // A window of years at the scrape interval (a typo for a recent time) is refused before
    // any log is read, naming the way out; a larger --step takes the same window.
    let years = [
        "--since",
        "2016-01-01T00:00:00Z",
        "--until",
        "2026-01-01T00:00:00Z",
    ];
    let r = run(zl().args(["--config", &config(), "triage"]).args(years));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--since/--until") && r.stderr.contains("--step"),
        "{}",
        r.stderr
    );
    let r = run(zl()
        .args(["--config", &config(), "triage", "--step", "1d"])
        .args(years));
    assert_ne!(r.code, 2, "{}", r.stderr);
}

#[test]
fn the_pretty_story_names_the_culprit_and_the_next_command() {
    let r = triage(RULES, &["-o", "pretty", "--color", "never"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    assert!(out.contains("■ AnyFailure  warning  fired"), "{out}");
    assert!(
        out.contains(
            "1 of 2 failures on worker-03 (gpu-07): worker connection dropped during Prove"
        ),
        "{out}"
    );
    assert!(
        out.contains("→ zisk-logs job 7a3362a3-e380-4dca-80b3-dbfa48cc1e6e"),
        "{out}"
    );
    assert!(out.contains("failed jobs ▁"), "a sparkline: {out}");
    assert!(out.contains("firing      ·"), "{out}");
    assert!(
        out.contains("worker-03 (gpu-07)  disconnected 10:02:48  (back 10:02:51)"),
        "{out}"
    );
    assert!(
        out.contains("! Typo: no series coordinator_jobs_totl exists"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "no escapes with --color never");
}

#[test]
fn metrics_rows_and_openmetrics_follow_the_logs() {
    let r = run(zl().args(["--config", &config(), "metrics", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = ndjson(&r.stdout);
    assert_eq!(
        keys(&rows[0]),
        ["kind", "schema", "metric", "type", "labels", "value", "increase", "at"]
    );
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(cluster("json-message").join("truth.json")).unwrap(),
    )
    .unwrap();
    for (outcome, word) in [
        ("completed", "completed"),
        ("failed", "failed"),
        ("cancelled", "cancelled"),
    ] {
        let want = truth["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["outcome"] == outcome)
            .count() as f64;
        let got: f64 = rows
            .iter()
            .filter(|r| r["metric"] == "coordinator_jobs_total" && r["labels"]["outcome"] == word)
            .map(|r| r["increase"].as_f64().unwrap())
            .sum();
        assert_eq!(got, want, "{outcome}");
    }
    let code = run(zl().args([
        "--config",
        &config(),
        "metrics",
        "-o",
        "openmetrics",
        "--labels",
        "code",
    ]));
    assert!(code.stdout.contains("# TYPE coordinator_jobs counter\n"));
    assert!(
        code.stdout.contains(r#"outcome="failure""#)
            && !code.stdout.contains(r#"outcome="failed""#)
    );
    assert!(code.stdout.ends_with("# EOF\n"));
}
