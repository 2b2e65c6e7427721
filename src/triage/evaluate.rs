//! When each rule fired over the window: its expression evaluated with Prometheus'
//! `query_range` (or with the built-in evaluator on the series derived from the logs) at the
//! scrape step, and `for:` applied. Rules the lint found cannot fire are evaluated as meant too.

use promql_parser::parser::Expr;
use rayon::prelude::*;

use crate::metrics::derive::Derived;
use crate::metrics::series::{Grid, Series};
use crate::prom::{Client, Failure};
use crate::triage::eval::{eval_range, selectors, Store, LOOKBACK_MS};
use crate::triage::fire::{intervals, Firing};
use crate::triage::lint::{Correction, Inventory, Lint};
use crate::triage::rules::Rule;

pub const ON_PROMETHEUS: &str = "prometheus";
pub const ON_LOGS: &str = "logs";

/// One firing interval of one rule.
pub struct Fired {
    pub rule: usize,
    pub firing: Firing,
    pub expr: String,
    pub corrected: bool,
    pub on: &'static str,
}

/// A query that failed, for the summary and stderr.
pub struct QueryFailed {
    pub query: String,
    pub error: String,
}

/// The grid to query a rule on: from `for:` (and a step) before the window, so an alert
/// pending when the window opens can fire in it.
pub fn rule_grid(rule: &Rule, window: &Grid) -> Grid {
    Grid::aligned(
        window.start - rule.for_ms - window.step,
        window.end,
        window.step,
    )
}

fn keep_in_window(list: Vec<Firing>, window: &Grid) -> Vec<Firing> {
    list.into_iter()
        .filter(|f| f.last >= window.start)
        .collect()
}

/// Every rule (and the meant condition of those the lint corrected) on the derived series.
pub fn on_logs(
    rules: &[Rule],
    lints: &[Lint],
    derived: &Derived,
    window: &Grid,
    only_corrections: bool,
) -> (Vec<Fired>, Vec<QueryFailed>) {
    // Each rule is evaluated over the whole window on its own: side by side on the cores.
    let outcomes: Vec<Result<Vec<Fired>, QueryFailed>> = rules
        .par_iter()
        .enumerate()
        .map(|(i, rule)| {
            let lint = lints.iter().find(|l| l.rule == rule.name);
            let (expr, corrected) = match lint.and_then(|l| l.correction.as_ref()) {
                Some(Correction::FromLogs) => (rule.expr.clone(), true),
                Some(Correction::Expr(e)) if !only_corrections => (e.clone(), true),
                _ if only_corrections => return Ok(Vec::new()),
                _ => (rule.expr.clone(), false),
            };
            let parsed = if expr == rule.expr {
                Ok(rule.parsed.clone())
            } else {
                promql_parser::parser::parse(&expr)
            };
            let grid = rule_grid(rule, window);
            let matrix = parsed
                .and_then(|e| evaluate_on(&e, derived, &grid))
                .map_err(|error| QueryFailed {
                    query: format!("rule {} on the logs", rule.name),
                    error,
                })?;
            Ok(
                keep_in_window(intervals(&matrix, &grid, rule.for_ms), window)
                    .into_iter()
                    .map(|firing| Fired {
                        rule: i,
                        firing,
                        expr: expr.clone(),
                        corrected,
                        on: ON_LOGS,
                    })
                    .collect(),
            )
        })
        .collect();
    let mut fired = Vec::new();
    let mut failed = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(f) => fired.extend(f),
            Err(e) => failed.push(e),
        }
    }
    (fired, failed)
}

/// Evaluates an expression over the derived series it selects, sampled at the grid's step.
pub fn evaluate_on(expr: &Expr, derived: &Derived, grid: &Grid) -> Result<Vec<Series>, String> {
    let sel = selectors(expr);
    let reach = sel.iter().filter_map(|(_, r)| *r).max().unwrap_or(0) + LOOKBACK_MS;
    let sample_grid = Grid::aligned(grid.start - reach, grid.end, grid.step);
    let mut series = Vec::new();
    let mut names: Vec<&str> = sel
        .iter()
        .filter_map(|(vs, _)| vs.name.as_deref())
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        series.extend(derived.sampled(name, &sample_grid));
    }
    eval_range(expr, &Store::new(series), grid)
}

/// The series each rule's selectors name, as Prometheus holds them over the window.
pub async fn inventory(
    client: &Client,
    rules: &[Rule],
    window: &Grid,
) -> Result<Inventory, Failure> {
    let mut names: Vec<String> = rules
        .iter()
        .flat_map(|r| {
            selectors(&r.parsed)
                .into_iter()
                .filter_map(|(vs, _)| vs.name.clone())
        })
        .collect();
    for extra in [
        "coordinator_jobs_total",
        "coordinator_workers_connected",
        "coordinator_worker_jobs_total",
    ] {
        names.push(extra.into());
    }
    names.sort();
    names.dedup();
    let answers = futures::future::join_all(
        names
            .iter()
            .map(|n| client.series(n, window.start - LOOKBACK_MS, window.end)),
    )
    .await;
    let mut inv = Inventory {
        place: client.name.clone(),
        ..Inventory::default()
    };
    for a in answers {
        for labels in a? {
            inv.add(labels);
        }
    }
    Ok(inv)
}

/// Every rule with Prometheus' `query_range`; corrected expressions too.
pub async fn on_prometheus(
    client: &Client,
    rules: &[Rule],
    lints: &[Lint],
    window: &Grid,
) -> (Vec<Fired>, Vec<QueryFailed>) {
    let mut jobs: Vec<(usize, String, bool)> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        jobs.push((i, rule.expr.clone(), false));
        if let Some(Correction::Expr(e)) = lints
            .iter()
            .find(|l| l.rule == rule.name)
            .and_then(|l| l.correction.as_ref())
        {
            jobs.push((i, e.clone(), true));
        }
    }
    let answers = futures::future::join_all(jobs.iter().map(|(i, expr, _)| {
        let g = rule_grid(&rules[*i], window);
        async move { client.query_range(expr, g.start, g.end, g.step).await }
    }))
    .await;
    let mut fired = Vec::new();
    let mut failed = Vec::new();
    for ((i, expr, corrected), answer) in jobs.into_iter().zip(answers) {
        let rule = &rules[i];
        match answer {
            Ok(matrix) => {
                for firing in keep_in_window(
                    intervals(&matrix, &rule_grid(rule, window), rule.for_ms),
                    window,
                ) {
                    fired.push(Fired {
                        rule: i,
                        firing,
                        expr: expr.clone(),
                        corrected,
                        on: ON_PROMETHEUS,
                    });
                }
            }
            Err(e) => failed.push(QueryFailed {
                query: format!("rule {}: {expr}", rule.name),
                error: format!("{}: {e}", client.name),
            }),
        }
    }
    (fired, failed)
}
