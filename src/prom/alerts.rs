//! Alerts firing now, as Prometheus (`/api/v1/alerts`, with `/api/v1/rules` for their
//! expressions) and Alertmanager (`/api/v2/alerts`, the expression from `generatorURL`)
//! report them: what an operator has in hand when paged.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Client, Failure};
use crate::time::Timestamp;

/// An alert that is firing (or pending) now.
#[derive(Clone, Debug)]
pub struct LiveAlert {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// When it became active (Prometheus' `activeAt`) or started firing (Alertmanager's `startsAt`).
    pub since: Option<Timestamp>,
    pub firing: bool,
    /// Its rule's expression and `for:`, where the API says them.
    pub expr: Option<String>,
    pub for_ms: Option<i64>,
}

#[derive(Deserialize)]
struct PromAlert {
    labels: BTreeMap<String, String>,
    state: String,
    #[serde(rename = "activeAt")]
    active_at: Option<String>,
}

#[derive(Deserialize)]
struct AlertsData {
    alerts: Vec<PromAlert>,
}

#[derive(Deserialize)]
struct RulesData {
    groups: Vec<RuleGroup>,
}

#[derive(Deserialize)]
struct RuleGroup {
    rules: Vec<PromRule>,
}

#[derive(Deserialize)]
struct PromRule {
    name: String,
    query: String,
    #[serde(default)]
    duration: f64,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct AmAlert {
    labels: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    starts_at: Option<String>,
    #[serde(rename = "generatorURL", default)]
    generator_url: String,
    status: AmStatus,
}

#[derive(Deserialize)]
struct AmStatus {
    state: String,
}

fn time(s: Option<&str>) -> Option<Timestamp> {
    let s = s?;
    Timestamp::parse_rfc3339_prefix(s.as_bytes()).map(|(t, _)| t)
}

/// The alerts Prometheus evaluates as firing or pending, with their rules' expressions.
pub async fn prometheus(client: &Client) -> Result<Vec<LiveAlert>, Failure> {
    let rule_query = [("type", "alert".to_string())];
    let (alerts, rules) = futures::join!(
        client.api::<AlertsData>("api/v1/alerts", &[]),
        client.api::<RulesData>("api/v1/rules", &rule_query),
    );
    let rules: Vec<PromRule> = rules
        .map(|r| r.groups.into_iter().flat_map(|g| g.rules).collect())
        .unwrap_or_default();
    Ok(alerts?
        .alerts
        .into_iter()
        .map(|a| {
            let name = a.labels.get("alertname").cloned().unwrap_or_default();
            let rule = rules
                .iter()
                .find(|r| r.kind == "alerting" && r.name == name);
            LiveAlert {
                since: time(a.active_at.as_deref()),
                firing: a.state == "firing",
                expr: rule.map(|r| r.query.clone()),
                for_ms: rule.map(|r| (r.duration * 1000.0).round() as i64),
                labels: a.labels,
                name,
            }
        })
        .collect())
}

/// The alerts an Alertmanager holds active (not silenced or inhibited).
pub async fn alertmanager(client: &Client) -> Result<Vec<LiveAlert>, Failure> {
    let query = [
        ("active", "true".to_string()),
        ("silenced", "false".to_string()),
        ("inhibited", "false".to_string()),
    ];
    let body = client.get_text("api/v2/alerts", &query).await?;
    let alerts: Vec<AmAlert> =
        serde_json::from_str(&body).map_err(|e| Failure::Garbled(e.to_string()))?;
    Ok(alerts
        .into_iter()
        .map(|a| LiveAlert {
            name: a.labels.get("alertname").cloned().unwrap_or_default(),
            since: time(a.starts_at.as_deref()),
            firing: a.status.state == "active",
            expr: expr_of_generator(&a.generator_url),
            for_ms: None,
            labels: a.labels,
        })
        .collect())
}

/// The expression in a Prometheus graph link (`…/graph?g0.expr=…`).
pub fn expr_of_generator(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "g0.expr")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_links_carry_the_expression() {
        assert_eq!(
            expr_of_generator(
                "http://prom:9090/graph?g0.expr=coordinator_workers_connected+%3C+4&g0.tab=1"
            )
            .as_deref(),
            Some("coordinator_workers_connected < 4")
        );
        assert_eq!(expr_of_generator(""), None);
    }
}
