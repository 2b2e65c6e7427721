//! Alerting rules: read from a Prometheus rule file (YAML `groups:` of `alert:` rules) or the
//! seed's five built in, with `<expected_replicas>` and `<budget_seconds>` filled in. Each rule
//! knows which kind of story explains it, from the series its expression reads.

use std::collections::BTreeMap;
use std::path::Path;

use promql_parser::parser::Expr;
use serde::Deserialize;

use crate::triage::eval::selectors;

/// The seed's starter rules ("Metrics and alerts"), as its rule file writes them.
const SEED_RULES: &str = r#"groups:
- name: zisk-coordinator
  rules:
  - alert: ZiskCoordinatorUnreachable
    expr: up{job="zisk-coordinator"} == 0
    for: 2m
    labels: { severity: page }
    annotations:
      summary: "Coordinator scrape failed for 2m"
  - alert: ZiskNoWorkers
    expr: coordinator_workers_connected == 0
    for: 5m
    labels: { severity: page }
    annotations:
      summary: "No workers connected to the coordinator"
  - alert: ZiskWorkerFleetDegraded
    expr: coordinator_workers_connected < <expected_replicas>
    for: 10m
    labels: { severity: warning }
    annotations:
      summary: "Worker count below expected baseline"
  - alert: ZiskJobFailuresSpiking
    expr: rate(coordinator_jobs_total{outcome="failed"}[5m]) > 0.1
    for: 10m
    labels: { severity: warning }
    annotations:
      summary: "Job failure rate above 0.1/s"
  - alert: ZiskJobP99Slow
    expr: |
      histogram_quantile(0.99,
        sum by (le) (rate(coordinator_job_duration_seconds_bucket[10m]))) > <budget_seconds>
    for: 15m
    labels: { severity: warning }
    annotations:
      summary: "p99 job duration above <budget_seconds>s"
"#;

/// What kind of story explains a rule's alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// `coordinator_jobs_total`: the jobs that failed.
    Failures,
    /// `coordinator_worker_jobs_total`: failures per worker.
    WorkerFailures,
    /// `coordinator_workers_connected`: who left and came back.
    Fleet,
    /// `coordinator_job_duration_seconds`: the slowest jobs.
    Latency,
    /// `up`: the coordinator's last lines before the gap.
    Unreachable,
    /// Anything else: the interval alone.
    Other,
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub expr: String,
    pub parsed: Expr,
    pub for_ms: i64,
    pub severity: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub summary: Option<String>,
    pub topic: Topic,
    /// The longest range selector in the expression (`[5m]`), 0 without one.
    pub range_ms: i64,
}

#[derive(Deserialize)]
struct RuleFile {
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[allow(dead_code)]
    name: String,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
struct RawRule {
    alert: Option<String>,
    #[allow(dead_code)]
    record: Option<String>,
    expr: String,
    #[serde(rename = "for")]
    for_: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// Thresholds of the built-in rules.
pub struct Thresholds {
    pub expected_replicas: usize,
    pub budget_seconds: f64,
}

pub fn builtin(t: &Thresholds) -> Vec<Rule> {
    let text = SEED_RULES
        .replace("<expected_replicas>", &t.expected_replicas.to_string())
        .replace(
            "<budget_seconds>",
            &crate::metrics::openmetrics::value(t.budget_seconds),
        );
    // The text is ours and parses; a failure here would be a bug in it.
    parse(&text, "built-in rules").unwrap_or_default().0
}

/// Reads a rule file: its alerting rules, and one message per rule that could not be used.
pub fn load(path: &Path) -> Result<(Vec<Rule>, Vec<String>), String> {
    let name = format!("rules {}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    parse(&text, &name)
}

pub fn parse(text: &str, name: &str) -> Result<(Vec<Rule>, Vec<String>), String> {
    let file: RuleFile = serde_yaml_ng::from_str(text)
        .map_err(|e| format!("{name}: not a Prometheus rule file: {e}"))?;
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for raw in file.groups.into_iter().flat_map(|g| g.rules) {
        let Some(alert) = raw.alert.clone() else {
            continue;
        };
        match rule(alert.clone(), raw) {
            Ok(r) => rules.push(r),
            Err(e) => problems.push(format!("{name}: rule {alert}: {e}")),
        }
    }
    if rules.is_empty() && problems.is_empty() {
        return Err(format!("{name}: no alerting rule in it"));
    }
    Ok((rules, problems))
}

/// A rule known only from a live alert: its name, expression, `for:` and labels.
pub fn from_alert(
    name: &str,
    expr: &str,
    for_ms: i64,
    labels: BTreeMap<String, String>,
) -> Result<Rule, String> {
    let mut r = rule(
        name.to_string(),
        RawRule {
            alert: Some(name.to_string()),
            record: None,
            expr: expr.to_string(),
            for_: None,
            labels,
            annotations: BTreeMap::new(),
        },
    )?;
    r.for_ms = for_ms;
    Ok(r)
}

fn rule(name: String, raw: RawRule) -> Result<Rule, String> {
    let expr = raw.expr.trim().to_string();
    let parsed =
        promql_parser::parser::parse(&expr).map_err(|e| format!("bad expression: {}", e.trim()))?;
    let for_ms = match raw.for_.as_deref() {
        None | Some("") => 0,
        // `0s` is a valid `for:` that the duration parser refuses.
        Some(d) if d.chars().all(|c| c == '0' || c.is_ascii_alphabetic()) => 0,
        Some(d) => crate::prom::duration_ms(d).map_err(|e| format!("bad for: {d:?}: {e}"))?,
    };
    let sel = selectors(&parsed);
    let names: Vec<&str> = sel
        .iter()
        .filter_map(|(vs, _)| vs.name.as_deref())
        .collect();
    let has = |n: &str| {
        names
            .iter()
            .any(|m| *m == n || m.starts_with(&format!("{n}_")))
    };
    let topic = if has("coordinator_worker_jobs_total") {
        Topic::WorkerFailures
    } else if has("coordinator_jobs_total") {
        Topic::Failures
    } else if has("coordinator_workers_connected") {
        Topic::Fleet
    } else if has("coordinator_job_duration_seconds") {
        Topic::Latency
    } else if has("up") {
        Topic::Unreachable
    } else {
        Topic::Other
    };
    Ok(Rule {
        range_ms: sel.iter().filter_map(|(_, r)| *r).max().unwrap_or(0),
        severity: raw.labels.get("severity").cloned(),
        summary: raw.annotations.get("summary").cloned(),
        labels: raw.labels,
        name,
        expr,
        parsed,
        for_ms,
        topic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_five_rules_are_built_in_with_their_thresholds() {
        let rules = builtin(&Thresholds {
            expected_replicas: 6,
            budget_seconds: 120.0,
        });
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ZiskCoordinatorUnreachable",
                "ZiskNoWorkers",
                "ZiskWorkerFleetDegraded",
                "ZiskJobFailuresSpiking",
                "ZiskJobP99Slow"
            ]
        );
        assert_eq!(rules[2].expr, "coordinator_workers_connected < 6");
        assert!(rules[4].expr.ends_with("> 120"), "{}", rules[4].expr);
        assert_eq!(rules[3].for_ms, 600_000);
        assert_eq!(rules[3].range_ms, 300_000);
        assert_eq!(
            rules.iter().map(|r| r.topic).collect::<Vec<_>>(),
            [
                Topic::Unreachable,
                Topic::Fleet,
                Topic::Fleet,
                Topic::Failures,
                Topic::Latency
            ]
        );
        assert_eq!(rules[0].severity.as_deref(), Some("page"));
    }

    #[test]
    fn a_bad_rule_is_named_and_the_rest_are_kept() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n  - alert: B\n    expr: rate(x[5m) > 1\n  - record: r\n    expr: sum(x)\n";
        let (rules, problems) = parse(text, "rules f.yml").unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("rules f.yml: rule B: bad expression"),
            "{problems:?}"
        );
        assert!(parse("groups: [", "rules f.yml")
            .unwrap_err()
            .contains("not a Prometheus rule file"));
    }
}
