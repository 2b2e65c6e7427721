//! A coordinator's `/metrics` page (Prometheus text format, read with `prometheus-parse`):
//! the workers-connected gauge, and job ends per worker and in total, by outcome.

use crate::metrics::vocab::outcome_of;
use crate::trail::Outcome;

#[derive(Debug, Default)]
pub struct Scraped {
    pub workers_connected: Option<f64>,
    /// `(worker_id, outcome, count)` of `coordinator_worker_jobs_total`.
    pub worker_jobs: Vec<(String, Outcome, f64)>,
    /// `(outcome, count)` of `coordinator_jobs_total`, summed over kinds.
    pub jobs: Vec<(Outcome, f64)>,
    /// How many samples the page held.
    pub samples: usize,
}

fn value(v: &prometheus_parse::Value) -> Option<f64> {
    match v {
        prometheus_parse::Value::Counter(x)
        | prometheus_parse::Value::Gauge(x)
        | prometheus_parse::Value::Untyped(x) => Some(*x),
        _ => None,
    }
}

pub fn parse(body: &str) -> Result<Scraped, String> {
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string())))
        .map_err(|e| format!("not Prometheus text: {e}"))?;
    let mut out = Scraped {
        samples: scrape.samples.len(),
        ..Scraped::default()
    };
    for s in &scrape.samples {
        let name = s.metric.trim_end_matches("_total");
        let Some(v) = value(&s.value) else { continue };
        let outcome = s.labels.get("outcome").and_then(outcome_of);
        match (name, outcome) {
            ("coordinator_workers_connected", _) => {
                out.workers_connected = Some(out.workers_connected.unwrap_or(0.0) + v)
            }
            ("coordinator_worker_jobs", Some(o)) => {
                if let Some(w) = s.labels.get("worker_id") {
                    out.worker_jobs.push((w.to_string(), o, v));
                }
            }
            ("coordinator_jobs", Some(o)) => match out.jobs.iter_mut().find(|j| j.0 == o) {
                Some(j) => j.1 += v,
                None => out.jobs.push((o, v)),
            },
            _ => {}
        }
    }
    if out.samples == 0 {
        return Err("no samples in it (is this a /metrics page?)".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_exporters_page() {
        let page = "# HELP coordinator_workers_connected x\n# TYPE coordinator_workers_connected gauge\ncoordinator_workers_connected 4\n# TYPE coordinator_worker_jobs_total counter\ncoordinator_worker_jobs_total{worker_id=\"f38b6922da3f4f55a217ac45f74e935b\",outcome=\"failure\"} 3\ncoordinator_jobs_total{kind=\"prove\",outcome=\"success\"} 10\n";
        let s = parse(page).unwrap();
        assert_eq!(s.workers_connected, Some(4.0));
        assert_eq!(
            s.worker_jobs,
            [(
                "f38b6922da3f4f55a217ac45f74e935b".to_string(),
                Outcome::Failed,
                3.0
            )]
        );
        assert_eq!(s.jobs, [(Outcome::Completed, 10.0)]);
        assert!(parse("hello\n").is_err());
    }
}
