//! `metrics` and `triage` against a real Prometheus: derived series backfilled with promtool and
//! served by Debian's prometheus, rule intervals compared with `query_range` + `for:`, the
//! error paths (unreachable, 500, a rejected query, a bad rule file, a missing series), the
//! live `/api/v1/alerts` and Alertmanager paths, and a `/metrics` scrape.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::prom_harness::{self as ph, ms, Daemon};
use crate::util::{cluster, ndjson, run, zl};

/// Rules the small fixture clusters fire (the seed's thresholds need hours of failures).
const RULES: &str = r#"groups:
- name: test
  rules:
  - alert: AnyFailure
    expr: increase(coordinator_jobs_total{outcome="failed"}[5m]) > 0
    for: 30s
    labels: {severity: warning}
  - alert: FleetLow
    expr: coordinator_workers_connected < 4
    for: 0s
  - alert: Slow
    expr: histogram_quantile(0.99, sum by (le) (rate(coordinator_job_duration_seconds_bucket[10m]))) > 40
    for: 1m
  - alert: Busy
    expr: coordinator_active_jobs >= 2
    for: 10s
"#;

const SINCE: &str = "2026-11-21T10:00:00Z";
const UNTIL: &str = "2026-11-21T10:10:00Z";

fn sources(name: &str) -> Vec<String> {
    let dir = cluster(name);
    let mut args = vec![
        "--coordinator".to_string(),
        format!("file:{}", dir.join("coordinator.log").display()),
    ];
    for i in 1..=4 {
        args.push("--worker".into());
        args.push(format!(
            "file:{}",
            dir.join(format!("worker-{i:02}.log")).display()
        ));
    }
    args
}

/// `(alert, labels without instance, from ms, to ms or None)` of every alert record.
fn intervals(records: &[Value]) -> Vec<(String, String, i64, Option<i64>)> {
    let mut v: Vec<_> = records
        .iter()
        .filter(|r| r["kind"] == "alert")
        .map(|r| {
            let mut labels = r["labels"].clone();
            labels.as_object_mut().map(|m| m.remove("instance"));
            (
                r["alert"].as_str().unwrap().to_string(),
                labels.to_string(),
                ms(r["from"].as_str().unwrap()),
                r["to"].as_str().map(ms),
            )
        })
        .collect();
    v.sort();
    v
}

/// `for:` applied to `query_range` results, as the test reads Prometheus' rule semantics.
fn expected(
    url: &str,
    expr: &str,
    for_ms: i64,
    start: i64,
    end: i64,
) -> Vec<(String, i64, Option<i64>)> {
    let step = 5000;
    let first = (start - for_ms - step).div_euclid(step) * step;
    let mut out = Vec::new();
    for (metric, values) in ph::query_range(url, expr, first, end, step) {
        let mut labels = metric.clone();
        if let Some(m) = labels.as_object_mut() {
            m.remove("__name__");
            m.remove("instance");
        }
        let mut runs: Vec<(i64, i64)> = Vec::new();
        for (t, _) in values {
            match runs.last_mut() {
                Some(r) if t - r.1 <= step => r.1 = t,
                _ => runs.push((t, t)),
            }
        }
        for (a, b) in runs {
            let fire = a + (for_ms + step - 1) / step * step;
            if fire <= b && b >= start {
                out.push((
                    labels.to_string(),
                    fire,
                    (b < end - end.rem_euclid(step)).then_some(b),
                ));
            }
        }
    }
    out.sort();
    out
}

fn triage(args: &[String], extra: &[&str]) -> crate::util::Run {
    run(zl()
        .args(args)
        .args(["triage", "--since", SINCE, "--until", UNTIL, "-o", "json"])
        .args(extra))
}

fn backfill(name: &str) -> (Daemon, Vec<String>) {
    let args = sources(name);
    let om = run(zl().args(&args).args(["metrics", "-o", "openmetrics"]));
    assert_eq!(om.code, 0, "{}", om.stderr);
    assert!(om.stdout.ends_with("# EOF\n"));
    (ph::backfilled(&om.stdout), args)
}

#[test]
fn rule_intervals_on_the_logs_equal_prometheus_query_range_with_for() {
    if !ph::have_prometheus() {
        return;
    }
    let (prom, args) = backfill("zisk");
    let dir = tempfile::tempdir().unwrap();
    let rules = ph::temp_file(dir.path(), "rules.yml", RULES);
    let rules = rules.to_str().unwrap();
    let on_prom = triage(&args, &["--prometheus", &prom.url, "--rules", rules]);
    let on_logs = triage(&args, &["--rules", rules]);
    assert_eq!(on_prom.code, 0, "{}", on_prom.stderr);
    assert_eq!(on_logs.code, 0, "{}", on_logs.stderr);
    let (p, l) = (ndjson(&on_prom.stdout), ndjson(&on_logs.stdout));
    assert!(p
        .iter()
        .filter(|r| r["kind"] == "alert")
        .all(|r| r["evaluated_on"] == "prometheus"));
    assert!(l
        .iter()
        .filter(|r| r["kind"] == "alert")
        .all(|r| r["evaluated_on"] == "logs"));
    let (pi, li) = (intervals(&p), intervals(&l));
    let fired: BTreeSet<&str> = pi.iter().map(|i| i.0.as_str()).collect();
    assert!(
        fired.len() >= 3,
        "most test rules fire on the fixture: {pi:?}"
    );
    // The built-in evaluator on the derived series gives Prometheus' intervals, within a step.
    assert_eq!(pi.len(), li.len(), "prometheus {pi:?}\nlogs {li:?}");
    for (a, b) in pi.iter().zip(&li) {
        assert_eq!((&a.0, &a.1), (&b.0, &b.1));
        assert!((a.2 - b.2).abs() <= 5000, "{a:?} vs {b:?}");
        assert_eq!(a.3.is_some(), b.3.is_some(), "{a:?} vs {b:?}");
        if let (Some(x), Some(y)) = (a.3, b.3) {
            assert!((x - y).abs() <= 5000, "{a:?} vs {b:?}");
        }
    }
    // And triage's intervals are query_range's with `for:` applied, read independently here.
    for (alert, expr, for_ms) in [
        ("AnyFailure", r#"increase(coordinator_jobs_total{outcome="failed"}[5m]) > 0"#, 30_000),
        ("FleetLow", "coordinator_workers_connected < 4", 0),
        ("Slow", "histogram_quantile(0.99, sum by (le) (rate(coordinator_job_duration_seconds_bucket[10m]))) > 40", 60_000),
        ("Busy", "coordinator_active_jobs >= 2", 10_000),
    ] {
        let want = expected(&prom.url, expr, for_ms, ms(SINCE), ms(UNTIL));
        let got: Vec<(String, i64, Option<i64>)> = pi
            .iter()
            .filter(|i| i.0 == alert)
            .map(|i| {
                let mut l: Value = serde_json::from_str(&i.1).unwrap();
                l.as_object_mut().map(|m| m.remove("alertname"));
                (l.to_string(), i.2, i.3)
            })
            .collect();
        assert_eq!(got, want, "{alert}");
    }
    // Every failure the alert explains is a failed job of the cluster's ground truth that
    // ended in the explained window, and every such job is named.
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(cluster("zisk").join("truth.json")).unwrap())
            .unwrap();
    for a in p.iter().filter(|r| r["alert"] == "AnyFailure") {
        let want = ph::failed_jobs_explained(&truth, a);
        let got: BTreeSet<&str> = a["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["job_id"].as_str().unwrap())
            .collect();
        assert_eq!(got, want);
        assert!(a["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["outcome"] == "failed" && j["worker_id"].is_string()));
    }
}

#[test]
fn prometheus_errors_each_give_one_clear_message_and_the_logs_half_still_runs() {
    if !ph::have_prometheus() {
        return;
    }
    let (prom, args) = backfill("zisk");
    let dir = tempfile::tempdir().unwrap();
    let rules = ph::temp_file(dir.path(), "rules.yml", RULES);
    let rules = rules.to_str().unwrap();
    let alerts_on = |r: &crate::util::Run, on: &str| {
        let recs = ndjson(&r.stdout);
        let alerts: Vec<&Value> = recs.iter().filter(|r| r["kind"] == "alert").collect();
        assert!(!alerts.is_empty(), "the logs half ran: {}", r.stdout);
        assert!(alerts.iter().all(|a| a["evaluated_on"] == on), "{alerts:?}");
        assert_eq!(recs.last().unwrap()["kind"], "summary");
    };
    let one_line = |stderr: &str, needle: &str| {
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(needle)).collect();
        assert_eq!(lines.len(), 1, "one message with {needle:?} in:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    };

    // Nothing listening.
    let dead = format!("http://127.0.0.1:{}", ph::free_port());
    let r = triage(&args, &["--prometheus", &dead, "--rules", rules]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_line(&r.stderr, &format!("prometheus {dead}: unreachable"));
    assert!(
        r.stderr
            .contains("evaluating the rules on the logs instead"),
        "{}",
        r.stderr
    );
    alerts_on(&r, "logs");

    // A server that answers 500.
    let broken = ph::serve(500, "internal error");
    let url = format!("http://{}", broken.addr);
    let r = triage(&args, &["--prometheus", &url, "--rules", rules]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_line(&r.stderr, "answered HTTP 500: internal error");
    alerts_on(&r, "logs");

    // A query Prometheus rejects: that rule falls back to the logs, the others run on Prometheus.
    let bad = format!("{RULES}  - alert: Rejected\n    expr: coordinator_jobs_total / on() coordinator_jobs_total > 0\n");
    let bad_rules = ph::temp_file(dir.path(), "bad.yml", &bad);
    let r = triage(
        &args,
        &[
            "--prometheus",
            &prom.url,
            "--rules",
            bad_rules.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_line(&r.stderr, "rule Rejected:");
    assert!(r.stderr.contains("rejected the query"), "{}", r.stderr);
    let recs = ndjson(&r.stdout);
    assert!(recs.iter().any(|a| a["kind"] == "alert"
        && a["alert"] == "AnyFailure"
        && a["evaluated_on"] == "prometheus"));
    let summary = recs.last().unwrap();
    assert_eq!(
        summary["queries_failed"].as_array().unwrap().len(),
        1,
        "{summary}"
    );

    // A rule file that does not parse: one message, the seed's rules instead.
    let garbled = ph::temp_file(dir.path(), "garbled.yml", "groups: [\n");
    let r = triage(
        &args,
        &[
            "--prometheus",
            &prom.url,
            "--rules",
            garbled.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    one_line(&r.stderr, "not a Prometheus rule file");
    assert!(r.stderr.contains("evaluating the built-in rules instead"));
    assert_eq!(ndjson(&r.stdout).last().unwrap()["rules"], 5);

    // A series that does not exist: a lint record with the fix, the meant rule evaluated.
    let typo = "groups:\n- name: t\n  rules:\n  - alert: Typo\n    expr: increase(coordinator_jobs_totl{outcome=\"failed\"}[5m]) > 0\n";
    let typo = ph::temp_file(dir.path(), "typo.yml", typo);
    let r = triage(
        &args,
        &["--prometheus", &prom.url, "--rules", typo.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let recs = ndjson(&r.stdout);
    let lint = recs
        .iter()
        .find(|r| r["kind"] == "lint")
        .expect("a lint record");
    assert_eq!(lint["rule"], "Typo");
    assert!(
        lint["problem"]
            .as_str()
            .unwrap()
            .contains("no series coordinator_jobs_totl exists"),
        "{lint}"
    );
    assert!(
        lint["fix"]
            .as_str()
            .unwrap()
            .contains("did you mean coordinator_jobs_total?"),
        "{lint}"
    );
    assert!(recs
        .iter()
        .any(|a| a["kind"] == "alert" && a["alert"] == "Typo" && a["corrected"] == true));
}

/// A coordinator log written now, in the ZisK formatter's shape: four workers register, a job
/// fails when one of them drops, and that worker stays away.
fn coordinator_log_now(dir: &std::path::Path) -> std::path::PathBuf {
    let now = chrono::Utc::now();
    let at = |secs_ago: i64| {
        (now - chrono::Duration::seconds(secs_ago))
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string()
    };
    let mut lines = vec![format!(
        "{} INFO: zisk-coordinator listening on 0.0.0.0:7000",
        at(60)
    )];
    for (i, w) in ["aaaa1111", "bbbb2222", "cccc3333", "dddd4444"]
        .iter()
        .enumerate()
    {
        lines.push(format!(
            "{} INFO: Registered worker: WorkerId({w}…) (total: {} CC: 16 ACC: 16)",
            at(58 - i as i64),
            i + 1
        ));
    }
    lines.push(format!(
        "{} INFO: [Job] Started JobId(eeee5555…) successfully Capacity: 32CU Workers: 2",
        at(40)
    ));
    let drop = "Worker WorkerId(bbbb2222…) connection dropped while computing for job JobId(eeee5555…) in phase Prove";
    lines.push(format!("{} ERROR: {drop}", at(30)));
    lines.push(format!(
        "{} ERROR: Failed job JobId(eeee5555…) (reason: {drop})",
        at(30)
    ));
    lines.push(format!(
        "{} INFO: Disconnected worker: WorkerId(bbbb2222…) (total: 3 CC: 48 ACC: 48)",
        at(30)
    ));
    let path = dir.join("coordinator.log");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The exporter's page for that log: the gauge never came down (ZisK v0.13+).
const PAGE: &str = "# HELP coordinator_workers_connected Workers with an open WorkerStream\n# TYPE coordinator_workers_connected gauge\ncoordinator_workers_connected 4\n# TYPE coordinator_jobs_total counter\ncoordinator_jobs_total{kind=\"prove\",outcome=\"failure\"} 1\n# TYPE coordinator_worker_jobs_total counter\ncoordinator_worker_jobs_total{worker_id=\"bbbb2222ffff0000aaaa1111bbbb2222\",outcome=\"failure\"} 1\n";

const LIVE_RULES: &str = "groups:\n- name: live\n  rules:\n  - alert: FleetLow\n    expr: coordinator_workers_connected < 5\n    for: 0s\n    labels: {severity: page}\n  - alert: JobsFailed\n    expr: coordinator_jobs_total{outcome=\"failure\"} > 0\n    for: 0s\n";

#[test]
fn alerts_firing_now_on_prometheus_and_alertmanager_lead_to_the_logs() {
    if !ph::have_prometheus() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = coordinator_log_now(dir.path());
    let coordinator = format!("file:{}", log.display());
    let server = ph::serve(200, PAGE);
    let prom = ph::scraping(&server.addr, LIVE_RULES);
    let am = ph::alertmanager();
    // Prometheus evaluates the rules every second on its scrapes of our server.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, body) = ph::http_get(&format!("{}/api/v1/alerts", prom.url)).unwrap();
        if body.matches("\"state\":\"firing\"").count() >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no alerts fired: {body}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let rules = ph::temp_file(dir.path(), "rules.yml", LIVE_RULES);
    let r = run(zl().args([
        "--coordinator",
        &coordinator,
        "triage",
        "--since",
        "10m",
        "-o",
        "json",
        "--firing",
        "--prometheus",
        &prom.url,
        "--rules",
        rules.to_str().unwrap(),
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let recs = ndjson(&r.stdout);
    let alert = |name: &str| {
        recs.iter()
            .find(|a| a["kind"] == "alert" && a["alert"] == name)
            .unwrap_or_else(|| panic!("{name} in {}", r.stdout))
    };
    let fleet = alert("FleetLow");
    assert_eq!(fleet["evaluated_on"], "prometheus alerts");
    assert_eq!(fleet["to"], Value::Null, "still firing");
    assert_eq!(fleet["expr"], "coordinator_workers_connected < 5");
    assert_eq!(fleet["workers"][0]["worker_id"], "bbbb2222");
    assert_eq!(fleet["workers"][0]["event"], "disconnected");
    assert_eq!(fleet["workers"][0]["back_at"], Value::Null);
    let failed = alert("JobsFailed");
    assert_eq!(failed["jobs"][0]["job_id"], "eeee5555");
    assert_eq!(failed["jobs"][0]["worker_id"], "bbbb2222");

    // The same page from an Alertmanager, with the expression in its generator link.
    let starts = (chrono::Utc::now() - chrono::Duration::seconds(20)).to_rfc3339();
    let post = format!(
        r#"[{{"labels":{{"alertname":"ZiskWorkerFleetDegraded","severity":"warning"}},"startsAt":"{starts}","generatorURL":"http://prometheus:9090/graph?g0.expr=coordinator_workers_connected+%3C+4&g0.tab=1"}}]"#
    );
    let (code, body) = ph::http_post(&format!("{}/api/v2/alerts", am.url), &post).unwrap();
    assert_eq!(code, 200, "{body}");
    let r = run(zl().args([
        "--coordinator",
        &coordinator,
        "triage",
        "-o",
        "json",
        "--alertmanager",
        &am.url,
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let recs = ndjson(&r.stdout);
    let fleet = recs
        .iter()
        .find(|a| a["kind"] == "alert")
        .expect("an alert");
    assert_eq!(fleet["alert"], "ZiskWorkerFleetDegraded");
    assert_eq!(fleet["evaluated_on"], "alertmanager");
    assert_eq!(
        ms(fleet["from"].as_str().unwrap()) / 1000,
        ms(&starts) / 1000
    );
    assert_eq!(fleet["workers"][0]["worker_id"], "bbbb2222");

    // The live page against the logs: the gauge still counts the worker that left.
    let r = run(zl().args([
        "--coordinator",
        &coordinator,
        "triage",
        "-o",
        "json",
        "--metrics-url",
        &format!("http://{}/metrics", server.addr),
    ]));
    let recs = ndjson(&r.stdout);
    let scrape = recs
        .iter()
        .find(|a| a["kind"] == "scrape")
        .unwrap_or_else(|| panic!("{}{}", r.stdout, r.stderr));
    assert_eq!(scrape["workers_connected"], 4.0);
    assert_eq!(scrape["workers_connected_logs"], 3);
    let w = scrape["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["worker_id"] == "bbbb2222ffff0000aaaa1111bbbb2222")
        .expect("the label's full ID");
    assert_eq!(w["failed"], 1.0);
    assert_eq!(w["failed_logs"], 1);
    assert_eq!(w["connected_logs"], false);
}
