//! Alerts firing now, from Prometheus' `/api/v1/alerts` or an Alertmanager, turned into firing
//! intervals open at `now`, each tied to its rule (by name, else by the expression the API
//! gives) so that its story can be told from the logs.

use crate::metrics::series::Grid;
use crate::prom::{alerts, Client};
use crate::time::Timestamp;
use crate::triage::evaluate::Fired;
use crate::triage::fire::Firing;
use crate::triage::rules::{self, Rule, Topic};

pub const ON_PROMETHEUS_ALERTS: &str = "prometheus alerts";
pub const ON_ALERTMANAGER: &str = "alertmanager";

/// The live alerts as intervals, the rules they needed beyond `rules` (indexed after them),
/// and where they came from.
pub fn fetch(
    prometheus: Option<&Client>,
    alertmanager: Option<&Client>,
    rules: &[Rule],
    window: &Grid,
    now: Timestamp,
) -> Result<(Vec<Fired>, Vec<Rule>, &'static str), String> {
    let (client, on) = match (alertmanager, prometheus) {
        (Some(am), _) => (am, ON_ALERTMANAGER),
        (None, Some(p)) => (p, ON_PROMETHEUS_ALERTS),
        (None, None) => return Ok((Vec::new(), Vec::new(), ON_ALERTMANAGER)),
    };
    let live = if on == ON_ALERTMANAGER {
        Client::block(alerts::alertmanager(client))?
    } else {
        Client::block(alerts::prometheus(client))?
    }
    .map_err(|e| format!("{}: {e}", client.name))?;
    let mut extra: Vec<Rule> = Vec::new();
    let mut fired = Vec::new();
    let now_ms = now.as_micros() / 1000;
    for a in live.into_iter().filter(|a| a.firing) {
        let known = rules.iter().position(|r| r.name == a.name);
        let index = match known {
            Some(i) => i,
            None => {
                let rule = a
                    .expr
                    .as_deref()
                    .and_then(|e| {
                        rules::from_alert(&a.name, e, a.for_ms.unwrap_or(0), a.labels.clone()).ok()
                    })
                    .or_else(|| {
                        rules::from_alert(&a.name, "vector(1)", 0, a.labels.clone())
                            .ok()
                            .map(|mut r| {
                                r.topic = Topic::Other;
                                r
                            })
                    });
                let Some(rule) = rule else { continue };
                extra.push(rule);
                rules.len() + extra.len() - 1
            }
        };
        let rule = if index < rules.len() {
            &rules[index]
        } else {
            &extra[index - rules.len()]
        };
        let for_ms = a.for_ms.unwrap_or(rule.for_ms);
        let since = a.since.map_or(window.start, |t| t.as_micros() / 1000);
        // Prometheus gives when the alert went pending, Alertmanager when it began firing.
        let (active_from, from) = if on == ON_ALERTMANAGER {
            (since - for_ms, since)
        } else {
            (since, since + for_ms)
        };
        let mut labels = a.labels.clone();
        labels.remove("alertname");
        for k in rule.labels.keys() {
            labels.remove(k);
        }
        fired.push(Fired {
            rule: index,
            firing: Firing {
                labels,
                active_from,
                from,
                last: now_ms,
                open: true,
                peak: f64::NAN,
            },
            expr: a.expr.clone().unwrap_or_else(|| rule.expr.clone()),
            corrected: false,
            on,
        });
    }
    Ok((fired, extra, on))
}
