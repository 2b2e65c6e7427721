//! An HTTP client for Prometheus (`query_range`, `series`, `alerts`, `rules`, the running
//! config), Alertmanager (`/api/v2/alerts`) and a coordinator's `/metrics`, with the
//! authentication Prometheus users have: bearer token, basic auth, a CA file, and TLS
//! verification off only when asked. Async `reqwest` on the shared runtime, blocking calls.

pub mod alerts;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::metrics::series::{Labels, Series};

/// Prometheus refuses a `query_range` of more than 11,000 points per series.
const MAX_POINTS: i64 = 10_000;

/// How to authenticate to Prometheus, Alertmanager and `/metrics`.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    pub bearer_token: Option<String>,
    pub basic: Option<(String, String)>,
    pub ca_file: Option<PathBuf>,
    pub insecure_skip_verify: bool,
}

/// One HTTP endpoint (a Prometheus, an Alertmanager, a `/metrics`), named in every error.
#[derive(Clone)]
pub struct Client {
    base: reqwest::Url,
    /// What errors call it: `prometheus http://…`.
    pub name: String,
    http: reqwest::Client,
    auth: Auth,
}

#[derive(Deserialize)]
struct ApiResponse<T> {
    status: String,
    data: Option<T>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct MatrixData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<MatrixSeries>,
}

#[derive(Deserialize)]
struct MatrixSeries {
    metric: BTreeMap<String, String>,
    values: Vec<(f64, String)>,
}

/// What the client makes of untrusted response bodies, without a server: every data shape it
/// decodes and the matrix merge (for the fuzz targets).
#[cfg(any(test, feature = "fuzz-targets"))]
pub(crate) fn read_responses(body: &str) {
    if let Ok(ApiResponse::<MatrixData> {
        data: Some(data), ..
    }) = serde_json::from_str(body)
    {
        for s in data.result {
            for (t, v) in &s.values {
                let _ = ((t * 1000.0).round() as i64, parse_value(v));
            }
        }
    }
    let _ = serde_json::from_str::<ApiResponse<Vec<BTreeMap<String, String>>>>(body);
    let _ = interval_in_config(body, "zisk-coordinator");
}

/// A failed request, as one line.
#[derive(Debug, Clone)]
pub enum Failure {
    /// Nothing answered (refused, DNS, TLS, timeout).
    Unreachable(String),
    /// Prometheus answered that the query is wrong (HTTP 400/422 with `bad_data`/`execution`).
    BadQuery(String),
    /// Any other error status.
    Status(u16, String),
    /// An answer that is not what the API returns.
    Garbled(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(e) => write!(f, "unreachable: {e}"),
            Failure::BadQuery(e) => write!(f, "rejected the query: {e}"),
            Failure::Status(code, e) if e.is_empty() => write!(f, "answered HTTP {code}"),
            Failure::Status(code, e) => write!(f, "answered HTTP {code}: {e}"),
            Failure::Garbled(e) => write!(f, "sent an answer that could not be read: {e}"),
        }
    }
}

/// The innermost cause of an error: reqwest's own text is "error sending request".
fn cause(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    text
}

fn parse_value(s: &str) -> f64 {
    match s {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        s => s.parse().unwrap_or(f64::NAN),
    }
}

impl Client {
    pub fn new(kind: &str, url: &str, auth: &Auth) -> Result<Client, String> {
        // `localhost:9090` means http://localhost:9090, as promtool's users type it.
        let url = if url.contains("://") {
            url.trim().to_string()
        } else {
            format!("http://{}", url.trim())
        };
        let mut base = reqwest::Url::parse(&url)
            .map_err(|e| format!("{kind} URL {url:?}: {e} (expected http://HOST:PORT)"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!("{kind} URL {url:?}: expected http:// or https://"));
        }
        let mut auth = auth.clone();
        // Credentials in the URL (`http://user:pass@host`) are basic auth, as curl takes them.
        if !base.username().is_empty() && auth.basic.is_none() {
            auth.basic = Some((
                base.username().to_string(),
                base.password().unwrap_or_default().to_string(),
            ));
        }
        let _ = base.set_username("");
        let _ = base.set_password(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .danger_accept_invalid_certs(auth.insecure_skip_verify)
            .user_agent(concat!("zisk-logs/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &auth.ca_file {
            let pem = std::fs::read(ca).map_err(|e| format!("--ca-file {}: {e}", ca.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                format!(
                    "--ca-file {}: not a PEM certificate: {}",
                    ca.display(),
                    cause(&e)
                )
            })?;
            if certs.is_empty() {
                return Err(format!("--ca-file {}: no certificate in it", ca.display()));
            }
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let http = builder
            .build()
            .map_err(|e| format!("{kind} {url}: cannot set up the HTTP client: {}", cause(&e)))?;
        Ok(Client {
            name: format!("{kind} {}", base.as_str().trim_end_matches('/')),
            base,
            http,
            auth,
        })
    }

    fn request(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<reqwest::RequestBuilder, Failure> {
        let url = self
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Failure::Garbled(e.to_string()))?;
        let mut req = self.http.get(url).query(query);
        if let Some(token) = &self.auth.bearer_token {
            req = req.bearer_auth(token);
        } else if let Some((user, pass)) = &self.auth.basic {
            req = req.basic_auth(user, Some(pass));
        }
        Ok(req)
    }

    /// GETs a path and returns its body, or the failure.
    async fn get_text(&self, path: &str, query: &[(&str, String)]) -> Result<String, Failure> {
        let resp = self
            .request(path, query)?
            .send()
            .await
            .map_err(|e| Failure::Unreachable(cause(&e)))?;
        let status = resp.status();
        let body = resp
            .text()
            .await
            .map_err(|e| Failure::Unreachable(cause(&e)))?;
        if status.is_success() {
            return Ok(body);
        }
        // Prometheus explains its errors in a JSON body; other servers in a line of text.
        let api: Option<ApiResponse<serde_json::Value>> = serde_json::from_str(&body).ok();
        let text = api.and_then(|a| a.error).unwrap_or_else(|| {
            body.lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect()
        });
        Err(match status.as_u16() {
            400 | 422 if body.contains("bad_data") || body.contains("execution") => {
                Failure::BadQuery(text)
            }
            code => Failure::Status(code, text),
        })
    }

    async fn api<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, Failure> {
        let body = self.get_text(path, query).await?;
        let resp: ApiResponse<T> =
            serde_json::from_str(&body).map_err(|e| Failure::Garbled(e.to_string()))?;
        if resp.status != "success" {
            return Err(Failure::BadQuery(format!(
                "{}: {}",
                resp.error_type.unwrap_or_default(),
                resp.error.unwrap_or_default()
            )));
        }
        resp.data.ok_or_else(|| Failure::Garbled("no data".into()))
    }

    /// Runs a future of this client on the shared runtime.
    pub fn block<F: std::future::Future>(f: F) -> Result<F::Output, String> {
        Ok(crate::source::runtime::handle()?.block_on(f))
    }

    /// `query_range` from `start` to `end` (ms) at `step`, split into requests under the
    /// 11,000-point limit, merged into one series per label set.
    pub async fn query_range(
        &self,
        expr: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Vec<Series>, Failure> {
        let step = step.max(1);
        let mut chunks = Vec::new();
        let mut from = start;
        while from <= end {
            let to = (from + (MAX_POINTS - 1) * step).min(end);
            chunks.push((from, to));
            from = to + step;
        }
        let answers = futures::future::join_all(chunks.iter().map(|&(from, to)| {
            let query = [
                ("query", expr.to_string()),
                ("start", secs(from)),
                ("end", secs(to)),
                ("step", secs(step)),
            ];
            async move { self.api::<MatrixData>("api/v1/query_range", &query).await }
        }))
        .await;
        let mut merged: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
        for answer in answers {
            let data = answer?;
            if data.result_type != "matrix" {
                return Err(Failure::Garbled(format!(
                    "a {} where a matrix was expected",
                    data.result_type
                )));
            }
            for s in data.result {
                merged
                    .entry(s.metric.into_iter().collect())
                    .or_default()
                    .extend(
                        s.values
                            .iter()
                            .map(|(t, v)| ((t * 1000.0).round() as i64, parse_value(v))),
                    );
            }
        }
        Ok(merged
            .into_iter()
            .map(|(labels, samples)| Series { labels, samples })
            .collect())
    }

    /// The label sets of the series that `selector` matches in `[start, end]` (ms).
    pub async fn series(
        &self,
        selector: &str,
        start: i64,
        end: i64,
    ) -> Result<Vec<Labels>, Failure> {
        let query = [
            ("match[]", selector.to_string()),
            ("start", secs(start)),
            ("end", secs(end)),
        ];
        let data: Vec<BTreeMap<String, String>> = self.api("api/v1/series", &query).await?;
        Ok(data.into_iter().map(|m| m.into_iter().collect()).collect())
    }

    /// The scrape interval Prometheus runs with for `job` (else its global one), from the
    /// running configuration.
    pub async fn scrape_interval(&self, job: &str) -> Result<Option<i64>, Failure> {
        #[derive(Deserialize)]
        struct ConfigData {
            yaml: String,
        }
        let data: ConfigData = self.api("api/v1/status/config", &[]).await?;
        Ok(interval_in_config(&data.yaml, job))
    }

    /// A plain GET of the base URL itself (a `/metrics` page).
    pub async fn fetch_page(&self) -> Result<String, Failure> {
        self.get_text("", &[]).await
    }
}

fn secs(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// `scrape_interval` of the scrape job named `job` in a Prometheus config, else the global one.
pub fn interval_in_config(yaml: &str, job: &str) -> Option<i64> {
    #[derive(Deserialize, Default)]
    struct Global {
        scrape_interval: Option<String>,
    }
    #[derive(Deserialize)]
    struct ScrapeConfig {
        job_name: String,
        scrape_interval: Option<String>,
    }
    #[derive(Deserialize)]
    struct Config {
        #[serde(default)]
        global: Option<Global>,
        #[serde(default)]
        scrape_configs: Vec<ScrapeConfig>,
    }
    let c: Config = serde_yaml_ng::from_str(yaml).ok()?;
    let job_interval = c
        .scrape_configs
        .iter()
        .find(|s| s.job_name == job)
        .and_then(|s| s.scrape_interval.clone());
    let text = job_interval.or(c.global.unwrap_or_default().scrape_interval)?;
    duration_ms(&text).ok().filter(|&ms| ms > 0)
}

/// A Prometheus duration (`15s`, `1h30m`, or plain seconds) in milliseconds. Plain seconds are
/// checked here first: promql_parser hands them to `Duration::from_secs_f64`, which panics on
/// `INF`, `NaN`, negatives and values past `u64` seconds (found by fuzzing).
pub fn duration_ms(text: &str) -> Result<i64, String> {
    if let Ok(secs) = text.parse::<f64>() {
        // Ten years: far past any scrape interval or `for:`.
        return if secs.is_finite() && (0.0..=315_576_000.0).contains(&secs) && secs != 0.0 {
            Ok((secs * 1000.0).round() as i64)
        } else {
            Err(format!("not a duration: {text:?}"))
        };
    }
    promql_parser::util::parse_duration(text)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 20 fuzzing: a configuration's interval of `INF` or 32 digits panicked inside
    /// promql_parser (`Duration::from_secs_f64`).
    #[test]
    fn impossible_plain_second_durations_are_refused_not_panics() {
        for bad in [
            "INF",
            "inf",
            "NaN",
            "-5",
            "11111111111111111111111111111111",
            "1e400",
        ] {
            assert!(duration_ms(bad).is_err(), "{bad}");
            let yaml = format!("global:\n  scrape_interval: {bad}\n");
            assert_eq!(interval_in_config(&yaml, "zisk"), None, "{bad}");
        }
        assert_eq!(duration_ms("15s"), Ok(15_000));
        assert_eq!(duration_ms("1.5"), Ok(1_500));
        assert_eq!(duration_ms("1h30m"), Ok(5_400_000));
    }

    #[test]
    fn the_scrape_interval_is_the_jobs_else_the_global_one() {
        let yaml = "global:\n  scrape_interval: 15s\nscrape_configs:\n- job_name: zisk-coordinator\n  scrape_interval: 5s\n- job_name: other\n";
        assert_eq!(interval_in_config(yaml, "zisk-coordinator"), Some(5000));
        assert_eq!(interval_in_config(yaml, "nope"), Some(15000));
        assert_eq!(interval_in_config("global: {}\n", "x"), None);
    }

    #[test]
    fn urls_keep_their_path_and_lose_their_credentials() {
        let c = Client::new(
            "prometheus",
            "http://u:p@127.0.0.1:9090/prom",
            &Auth::default(),
        )
        .unwrap();
        assert_eq!(c.name, "prometheus http://127.0.0.1:9090/prom");
        assert_eq!(c.auth.basic, Some(("u".into(), "p".into())));
        let bare = Client::new("prometheus", "localhost:9090", &Auth::default()).unwrap();
        assert_eq!(bare.name, "prometheus http://localhost:9090");
        assert!(Client::new("prometheus", "ftp://x", &Auth::default()).is_err());
    }
}
