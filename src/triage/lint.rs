//! Rule lint: every selector of a rule checked against the series and label values that exist
//! in the window. A rule that can never fire (`outcome="failed"` where the coordinator exports
//! `failure`, a metric that does not exist, a gauge the exporter never lowers) is reported with
//! its fix, and with the condition it evidently means, which triage evaluates as well.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use crate::metrics::series::{Labels, NAME};
use crate::metrics::vocab::{counterpart, spoken, Vocabulary};
use crate::triage::eval::{equality_matchers, selectors};
use crate::triage::rules::{Rule, Topic};

/// The series that exist in the window, by metric name.
#[derive(Default)]
pub struct Inventory {
    pub by_name: BTreeMap<String, Vec<Labels>>,
    /// Where they were looked up (`prometheus http://…`, `the coordinator's logs`).
    pub place: String,
}

impl Inventory {
    pub fn add(&mut self, labels: Labels) {
        let name = labels.get(NAME).cloned().unwrap_or_default();
        self.by_name.entry(name).or_default().push(labels);
    }

    fn values(&self, name: &str, label: &str) -> BTreeSet<&str> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|l| l.get(label).map(String::as_str))
            .collect()
    }

    /// The vocabulary the `outcome` labels speak, if they speak one.
    pub fn vocabulary(&self) -> Option<Vocabulary> {
        spoken(
            ["coordinator_jobs_total", "coordinator_worker_jobs_total"]
                .iter()
                .flat_map(|n| self.values(n, "outcome")),
        )
    }
}

/// What to evaluate instead of a rule that cannot fire as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Correction {
    /// The same backend, with this expression.
    Expr(String),
    /// The rule as written, over the series derived from the logs.
    FromLogs,
}

#[derive(Clone, Debug)]
pub struct Lint {
    pub rule: String,
    pub problem: String,
    pub fix: Option<String>,
    pub correction: Option<Correction>,
}

/// Lints every rule. `real_gauge` says the series come from a real exporter (whose
/// `coordinator_workers_connected` the ZisK code never lowers on a disconnect).
pub fn lint(rules: &[Rule], inv: &Inventory, real_gauge: bool) -> Vec<Lint> {
    let mut out = Vec::new();
    for rule in rules {
        let mut fixed = rule.expr.clone();
        let mut problems = Vec::new();
        let mut fixes = Vec::new();
        let mut from_logs = false;
        for (vs, _) in selectors(&rule.parsed) {
            let Some(name) = vs.name.as_deref() else {
                continue;
            };
            let shown = selector_text(name, &equality_matchers(vs));
            if !inv.by_name.contains_key(name) {
                problems.push(format!(
                    "no series {name} exists in {} over the window",
                    inv.place
                ));
                if let Some(near) = nearest(name, inv.by_name.keys()) {
                    fixes.push(format!("did you mean {near}?"));
                    fixed = replace_name(&fixed, name, near);
                } else if is_derivable(name) {
                    fixes.push(format!(
                        "zisk-logs evaluates {} over {name} derived from the coordinator's logs",
                        rule.name
                    ));
                    from_logs = true;
                }
                continue;
            }
            for (label, value) in equality_matchers(vs) {
                let values = inv.values(name, label);
                if values.contains(value) {
                    continue;
                }
                let listed = if values.is_empty() {
                    format!("{name} has no {label} label")
                } else {
                    format!(
                        "its {label} values are {}",
                        values.iter().copied().collect::<Vec<_>>().join(", ")
                    )
                };
                problems.push(format!(
                    "{shown} matches no series in {}: {listed}",
                    inv.place
                ));
                match counterpart(value).filter(|c| values.contains(c)) {
                    Some(c) => {
                        fixes.push(format!("select {label}=\"{c}\" (the coordinator's exporter says {c} where the seed says {value})"));
                        fixed = replace_matcher(&fixed, label, value, c);
                    }
                    None if !values.is_empty() => {
                        fixes.push(format!("select one of the {label} values that exist"))
                    }
                    None => {}
                }
            }
        }
        if real_gauge
            && rule.topic == Topic::Fleet
            && problems.is_empty()
            && inv.by_name.contains_key("coordinator_workers_connected")
            && inv.vocabulary() != Some(Vocabulary::Seed)
        {
            problems.push(
                "coordinator_workers_connected is not decremented when a worker disconnects (the ZisK exporter since v0.13 lowers it only on unregister), so this rule stays silent while workers drop".into(),
            );
            fixes.push(format!("zisk-logs evaluates {} over the workers connected according to the coordinator's logs", rule.name));
            from_logs = true;
        }
        if problems.is_empty() {
            continue;
        }
        let correction = if from_logs {
            Some(Correction::FromLogs)
        } else if fixed != rule.expr && promql_parser::parser::parse(&fixed).is_ok() {
            fixes.push(format!("corrected: {fixed}"));
            Some(Correction::Expr(fixed))
        } else {
            None
        };
        out.push(Lint {
            rule: rule.name.clone(),
            problem: problems.join("; "),
            fix: (!fixes.is_empty()).then(|| fixes.join("; ")),
            correction,
        });
    }
    out
}

/// The series the logs can stand in for.
fn is_derivable(name: &str) -> bool {
    name == "up"
        || name.starts_with("coordinator_jobs_total")
        || name.starts_with("coordinator_worker_jobs_total")
        || name.starts_with("coordinator_job_duration_seconds")
        || name == "coordinator_workers_connected"
        || name == "coordinator_active_jobs"
}

fn selector_text(name: &str, eq: &[(&str, &str)]) -> String {
    if eq.is_empty() {
        return name.to_string();
    }
    let m: Vec<String> = eq.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{name}{{{}}}", m.join(","))
}

/// An existing name close to a missing one (a typo, a missing `_total`).
fn nearest<'a>(name: &str, names: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    names
        .map(|n| (edit_distance(name, n), n))
        .filter(|(d, n)| *d <= 3.max(name.len() / 8) && n.as_str() != name)
        .min()
        .map(|(_, n)| n.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn replace_matcher(expr: &str, label: &str, from: &str, to: &str) -> String {
    let re = Regex::new(&format!(
        r#"\b{}\s*=\s*"{}""#,
        regex::escape(label),
        regex::escape(from)
    ));
    match re {
        Ok(re) => re
            .replace_all(expr, format!("{label}=\"{to}\"").as_str())
            .into_owned(),
        Err(_) => expr.to_string(),
    }
}

fn replace_name(expr: &str, from: &str, to: &str) -> String {
    match Regex::new(&format!(r"\b{}\b", regex::escape(from))) {
        Ok(re) => re.replace_all(expr, to).into_owned(),
        Err(_) => expr.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::series::labels;
    use crate::triage::rules::{builtin, Thresholds};

    fn code_inventory() -> Inventory {
        let mut inv = Inventory {
            place: "prometheus".into(),
            ..Inventory::default()
        };
        for o in ["success", "failure", "cancelled"] {
            inv.add(labels(
                "coordinator_jobs_total",
                [("kind", "prove"), ("outcome", o)],
            ));
        }
        inv.add(labels("coordinator_workers_connected", []));
        inv.add(labels(
            "coordinator_job_duration_seconds_bucket",
            [("le", "1")],
        ));
        inv
    }

    #[test]
    fn the_seeds_failure_rule_is_fixed_for_the_codes_vocabulary() {
        let rules = builtin(&Thresholds {
            expected_replicas: 4,
            budget_seconds: 300.0,
        });
        let lints = lint(&rules, &code_inventory(), true);
        let by_rule = |n: &str| lints.iter().find(|l| l.rule == n);
        let failures = by_rule("ZiskJobFailuresSpiking").expect("linted");
        assert!(
            failures
                .problem
                .contains(r#"coordinator_jobs_total{outcome="failed"} matches no series"#),
            "{}",
            failures.problem
        );
        assert_eq!(
            failures.correction,
            Some(Correction::Expr(
                r#"rate(coordinator_jobs_total{outcome="failure"}[5m]) > 0.1"#.into()
            ))
        );
        // `up` does not exist here: the logs stand in for it.
        assert_eq!(
            by_rule("ZiskCoordinatorUnreachable").and_then(|l| l.correction.clone()),
            Some(Correction::FromLogs)
        );
        // The real gauge never drops on a disconnect.
        assert_eq!(
            by_rule("ZiskNoWorkers").and_then(|l| l.correction.clone()),
            Some(Correction::FromLogs)
        );
        assert!(by_rule("ZiskJobP99Slow").is_none());
        assert!(lint(&rules, &code_inventory(), false)
            .iter()
            .all(|l| l.rule != "ZiskNoWorkers"));
    }

    #[test]
    fn a_misspelt_metric_gets_the_nearest_name() {
        assert_eq!(
            nearest("coordinator_jobs_totl", code_inventory().by_name.keys()),
            Some("coordinator_jobs_total")
        );
        assert_eq!(nearest("zzz", code_inventory().by_name.keys()), None);
    }
}
