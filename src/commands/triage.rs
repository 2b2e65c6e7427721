//! `zisk-logs triage`: from the alert to the logs. Which rules fired over the window (on a
//! Prometheus, or on series derived from the logs), or which alerts fire now (Prometheus,
//! Alertmanager), and for each interval what the logs say explains it.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::commands::metrics::{check_steps, parse_step, parse_time};
use crate::config::Config;
use crate::metrics::derive::{derive, Derived};
use crate::metrics::series::Grid;
use crate::metrics::vocab::Vocabulary;
use crate::metrics::{read_facts, LogFacts};
use crate::prom::{Auth, Client};
use crate::report;
use crate::time::Timestamp;
use crate::triage::evaluate;
use crate::triage::lint::{lint, Inventory};
use crate::triage::live;
use crate::triage::output::{self, Triage};
use crate::triage::rules::{self, Rule, Thresholds};

#[derive(Args, Debug)]
pub struct TriageArgs {
    /// Start of the window (default: an hour before --until)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,

    /// End of the window (default: now)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,

    /// Evaluate the rules with this Prometheus (its HTTP API); without it, on series derived from the logs
    #[arg(long, env = "ZISK_LOGS_PROMETHEUS", value_name = "URL")]
    pub prometheus: Option<String>,

    /// Triage the alerts this Prometheus has firing now (/api/v1/alerts) instead of the window's history
    #[arg(long, requires = "prometheus")]
    pub firing: bool,

    /// Triage the alerts this Alertmanager has active now (/api/v2/alerts)
    #[arg(long, env = "ZISK_LOGS_ALERTMANAGER", value_name = "URL")]
    pub alertmanager: Option<String>,

    /// Alerting rules to evaluate (a Prometheus rule file); default: the seed's five
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Only this alert (repeatable)
    #[arg(long = "alert", value_name = "NAME")]
    pub alerts: Vec<String>,

    /// Workers the fleet should have, for ZiskWorkerFleetDegraded (default: the topology's, else the most seen connected)
    #[arg(long, value_name = "N")]
    pub expected_replicas: Option<usize>,

    /// p99 job duration budget, for ZiskJobP99Slow
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0)]
    pub budget_seconds: f64,

    /// Evaluation step (default: Prometheus' scrape interval for zisk-coordinator, else 5s)
    #[arg(long, value_name = "DURATION")]
    pub step: Option<String>,

    /// A coordinator's /metrics to compare with the logs now (workers connected, failures per worker)
    #[arg(long, value_name = "URL")]
    pub metrics_url: Option<String>,

    /// Bearer token for Prometheus, Alertmanager and /metrics, read from this file (or $ZISK_LOGS_BEARER_TOKEN)
    #[arg(long, value_name = "FILE")]
    pub bearer_token_file: Option<PathBuf>,

    /// Basic auth for Prometheus, Alertmanager and /metrics
    #[arg(
        long,
        env = "ZISK_LOGS_BASIC_AUTH",
        hide_env_values = true,
        value_name = "USER:PASSWORD"
    )]
    pub basic_auth: Option<String>,

    /// CA certificates (PEM) to trust for https:// URLs
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Do not verify TLS certificates (only for a server you trust)
    #[arg(long)]
    pub insecure_skip_verify: bool,
}

fn auth(args: &TriageArgs) -> Result<Auth, String> {
    let bearer_token = match &args.bearer_token_file {
        Some(f) => Some(
            std::fs::read_to_string(f)
                .map_err(|e| format!("--bearer-token-file {}: {e}", f.display()))?
                .trim()
                .to_string(),
        ),
        None => std::env::var("ZISK_LOGS_BEARER_TOKEN")
            .ok()
            .filter(|t| !t.is_empty()),
    };
    let basic = match &args.basic_auth {
        Some(b) => {
            let (u, p) = b
                .split_once(':')
                .ok_or("--basic-auth: expected USER:PASSWORD")?;
            Some((u.to_string(), p.to_string()))
        }
        None => None,
    };
    Ok(Auth {
        bearer_token,
        basic,
        ca_file: args.ca_file.clone(),
        insecure_skip_verify: args.insecure_skip_verify,
    })
}

/// The vocabulary a rule set's `outcome` matchers speak (the derived series speak it too).
fn rules_vocabulary(rules: &[Rule]) -> Vocabulary {
    let values: Vec<String> = rules
        .iter()
        .flat_map(|r| {
            crate::triage::eval::selectors(&r.parsed)
                .into_iter()
                .flat_map(|(vs, _)| {
                    crate::triage::eval::equality_matchers(vs)
                        .into_iter()
                        .map(|(_, v)| v.to_string())
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    crate::metrics::vocab::spoken(values.iter().map(String::as_str)).unwrap_or(Vocabulary::Seed)
}

fn empty_facts() -> LogFacts {
    LogFacts {
        jobs: Vec::new(),
        ids: Default::default(),
        streams: Default::default(),
        coordinator: Default::default(),
    }
}

pub fn run(config: &Config, args: &TriageArgs, out: impl Write) -> Result<i32, String> {
    let now = Timestamp::now();
    let until = parse_time(args.until.as_deref(), "--until", now)?.unwrap_or(now);
    let since = parse_time(args.since.as_deref(), "--since", now)?
        .unwrap_or(Timestamp(until.0 - 3_600_000_000));
    if until <= since {
        return Err("--until must be after --since".into());
    }
    let auth = auth(args)?;
    let prometheus = args
        .prometheus
        .as_deref()
        .map(|u| Client::new("prometheus", u, &auth))
        .transpose()?;
    let alertmanager = args
        .alertmanager
        .as_deref()
        .map(|u| Client::new("alertmanager", u, &auth))
        .transpose()?;
    let metrics_url = args
        .metrics_url
        .as_deref()
        .map(|u| Client::new("metrics", u, &auth))
        .transpose()?;
    let mut rule_file_failed = false;
    let file_rules = match &args.rules {
        Some(path) => match rules::load(path) {
            Ok((rules, problems)) => {
                problems
                    .iter()
                    .for_each(|p| report::problem("rules", p.trim_start_matches("rules ")));
                Some(rules)
            }
            Err(e) => {
                // The logs half still runs, on the seed's rules.
                report::problem(
                    "rules",
                    &format!(
                        "{}; evaluating the built-in rules instead",
                        e.trim_start_matches("rules ")
                    ),
                );
                rule_file_failed = true;
                None
            }
        },
        None => None,
    };
    let have_logs = config
        .sources
        .iter()
        .any(|s| s.role == Some(crate::event::Role::Coordinator));
    let step = match args.step.as_deref() {
        Some(s) => parse_step(s, "--step")?,
        None => prometheus
            .as_ref()
            .and_then(|p| {
                Client::block(p.scrape_interval(crate::metrics::derive::SCRAPE_JOB))
                    .ok()?
                    .ok()
                    .flatten()
            })
            .unwrap_or(5000),
    };
    let window = Grid::aligned(since.as_micros() / 1000, until.as_micros() / 1000, step);
    // Before the logs are read: a window of years at a scrape interval is a typo.
    check_steps(&window)?;
    let facts = match read_facts(config) {
        Ok(f) => f,
        Err(e) if prometheus.is_some() || alertmanager.is_some() => {
            if have_logs {
                report::problem("logs", &e);
            }
            empty_facts()
        }
        Err(e) => return Err(e),
    };
    let vocab = file_rules
        .as_deref()
        .map_or(Vocabulary::Seed, rules_vocabulary);
    let derived = derive(
        &facts.coordinator,
        &facts.jobs,
        vocab,
        until.as_micros() / 1000,
    );
    let all_rules = match file_rules {
        Some(r) => r,
        None => rules::builtin(&Thresholds {
            expected_replicas: args
                .expected_replicas
                .unwrap_or_else(|| expected_replicas(config, &derived, &window)),
            budget_seconds: args.budget_seconds,
        }),
    };
    let rules: Vec<Rule> = if args.alerts.is_empty() {
        all_rules
    } else {
        let names: Vec<String> = all_rules.iter().map(|r| r.name.clone()).collect();
        let picked: Vec<Rule> = all_rules
            .into_iter()
            .filter(|r| args.alerts.contains(&r.name))
            .collect();
        if picked.is_empty() && !args.firing && alertmanager.is_none() {
            return Err(format!(
                "--alert {}: no such rule; the rules are {}",
                args.alerts.join(", "),
                names.join(", ")
            ));
        }
        picked
    };

    let mut result = Triage {
        window,
        evaluated_on: evaluate::ON_LOGS,
        rules: &rules,
        lints: Vec::new(),
        fired: Vec::new(),
        failed: Vec::new(),
        facts: &facts,
        derived: &derived,
        prometheus: None,
        metrics_page: None,
    };
    let live_mode = args.firing || alertmanager.is_some();
    let mut live_rules: Vec<Rule> = Vec::new();
    let mut reached = false;
    if live_mode {
        match live::fetch(
            prometheus.as_ref().filter(|_| args.firing),
            alertmanager.as_ref(),
            &rules,
            &window,
            now,
        ) {
            Ok((fired, extra, on)) => {
                live_rules = extra;
                result.fired = fired;
                result.evaluated_on = on;
                reached = true;
            }
            Err(e) => report::problem("alerts", &e),
        }
    } else if let Some(p) = &prometheus {
        match Client::block(evaluate::inventory(p, &rules, &window))? {
            Ok(inv) => {
                reached = true;
                result.prometheus = Some(p);
                result.evaluated_on = evaluate::ON_PROMETHEUS;
                result.lints = lint(&rules, &inv, true);
                let (mut fired, failed) =
                    Client::block(evaluate::on_prometheus(p, &rules, &result.lints, &window))?;
                // Rules Prometheus could not answer, and the meant condition of rules it cannot fire, on the logs.
                let (from_logs, logs_failed) =
                    evaluate::on_logs(&rules, &result.lints, &derived, &window, true);
                fired.extend(from_logs);
                let broken: Vec<usize> = failed
                    .iter()
                    .filter_map(|f| {
                        rules
                            .iter()
                            .position(|r| f.query.starts_with(&format!("rule {}:", r.name)))
                    })
                    .collect();
                for f in &failed {
                    report::problem(&f.query, &f.error);
                }
                let fallback: Vec<Rule> = broken.iter().map(|&i| rules[i].clone()).collect();
                let (rescued, _) = evaluate::on_logs(&fallback, &[], &derived, &window, false);
                fired.extend(rescued.into_iter().map(|mut f| {
                    f.rule = broken[f.rule];
                    f
                }));
                result.fired = fired;
                result.failed = failed;
                result.failed.extend(logs_failed);
            }
            Err(e) => report::problem(
                &p.name,
                &format!("{e}; evaluating the rules on the logs instead"),
            ),
        }
    }
    if !live_mode && result.prometheus.is_none() {
        let mut inv = Inventory {
            place: "the series derived from the coordinator's logs".into(),
            ..Inventory::default()
        };
        derived.all().for_each(|s| inv.add(s.labels.clone()));
        result.lints = lint(&rules, &inv, false);
        let (fired, failed) = evaluate::on_logs(&rules, &result.lints, &derived, &window, false);
        for f in &failed {
            report::problem(&f.query, &f.error);
        }
        result.fired = fired;
        result.failed = failed;
    }
    if let Some(c) = metrics_url {
        let page = Client::block(c.fetch_page())?
            .map_err(|e| e.to_string())
            .and_then(|body| crate::metrics::scrape::parse(&body));
        if let Err(e) = &page {
            report::problem(&c.name, e);
        }
        result.metrics_page = Some((c, page));
    }
    let rules_shown: Vec<Rule> = rules.iter().cloned().chain(live_rules).collect();
    result.rules = &rules_shown;
    let fired_any = !result.fired.is_empty();
    match output::write(config, &result, out) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            report::problem("output", &e.to_string())
        }
        _ => {}
    }
    // What the logs and the series hold is freed by the exit: a day's history is millions of
    // allocations, and freeing them one by one took a tenth of a second after the output.
    std::mem::forget(result);
    std::mem::forget(facts);
    std::mem::forget(derived);
    let logs_read = have_logs && report::failed_sources() < config.sources.len();
    if !logs_read && !reached {
        return Ok(2);
    }
    if report::problems() > 0 || rule_file_failed {
        return Ok(3);
    }
    Ok(if fired_any { 0 } else { 1 })
}

/// Expected workers: the topology's count, else the most connected at once in the window.
fn expected_replicas(config: &Config, derived: &Derived, window: &Grid) -> usize {
    let topology = config
        .sources
        .iter()
        .filter(|s| s.role == Some(crate::event::Role::Worker))
        .count();
    if topology > 0 {
        return topology;
    }
    derived
        .sampled("coordinator_workers_connected", window)
        .iter()
        .flat_map(|s| s.samples.iter().map(|x| x.1 as usize))
        .max()
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};
    use crate::metrics::vocab::Vocabulary;

    #[test]
    fn triage_and_metrics_flags_parse() {
        let cli = Cli::try_parse_from([
            "zisk-logs",
            "triage",
            "--prometheus",
            "http://p:9090",
            "--firing",
            "--rules",
            "r.yml",
            "--alert",
            "A",
            "--alert",
            "B",
            "--expected-replicas",
            "6",
            "--budget-seconds",
            "120",
            "--step",
            "15s",
            "--metrics-url",
            "http://c:9090/metrics",
            "--bearer-token-file",
            "t",
            "--basic-auth",
            "u:p",
            "--ca-file",
            "ca.pem",
            "--insecure-skip-verify",
            "--since",
            "2h",
            "--until",
            "now",
            "--alertmanager",
            "http://am:9093",
        ])
        .unwrap();
        let Command::Triage(t) = cli.command else {
            panic!("triage")
        };
        assert_eq!(t.prometheus.as_deref(), Some("http://p:9090"));
        assert!(t.firing && t.insecure_skip_verify);
        assert_eq!(t.alerts, ["A", "B"]);
        assert_eq!((t.expected_replicas, t.budget_seconds), (Some(6), 120.0));
        assert_eq!(t.step.as_deref(), Some("15s"));
        assert_eq!(t.alertmanager.as_deref(), Some("http://am:9093"));
        assert_eq!(t.basic_auth.as_deref(), Some("u:p"));
        assert!(
            Cli::try_parse_from(["zisk-logs", "triage", "--expected-replicas", "many"]).is_err()
        );
        let cli = Cli::try_parse_from([
            "zisk-logs",
            "-o",
            "openmetrics",
            "metrics",
            "--labels",
            "code",
            "--step",
            "10s",
        ])
        .unwrap();
        let Command::Metrics(m) = cli.command else {
            panic!("metrics")
        };
        assert_eq!((m.labels, m.step.as_str()), (Vocabulary::Code, "10s"));
        assert!(Cli::try_parse_from(["zisk-logs", "metrics", "--labels", "grafana"]).is_err());
    }
}
