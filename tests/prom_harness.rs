//! A real Prometheus (Debian's `prometheus` and `promtool`) and Alertmanager for the tests, on
//! free loopback ports: history backfilled from OpenMetrics, or live scrapes of a `/metrics`
//! server of the test's own; each stopped (by its PID) when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Are prometheus, promtool and alertmanager here? (Fails under CI=true when not.)
pub fn have_prometheus() -> bool {
    crate::util::require(
        "prometheus, promtool and prometheus-alertmanager (apt-get install prometheus prometheus-alertmanager)",
        ["prometheus", "promtool", "prometheus-alertmanager"].iter().all(|p| crate::util::have_program(p)),
    )
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A daemon we started; killed by its PID when dropped.
pub struct Daemon {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_ready(url: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{url} exited early: {status}");
        }
        if http_get(&format!("{url}/-/ready")).is_ok_and(|(code, _)| code == 200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{url} not ready after 30 s");
}

/// Backfills `openmetrics` (text) with promtool and serves it with Prometheus.
pub fn backfilled(openmetrics: &str) -> Daemon {
    let dir = tempfile::tempdir().expect("tempdir");
    let om = dir.path().join("history.om");
    std::fs::write(&om, openmetrics).expect("write openmetrics");
    let data = dir.path().join("data");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&data)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    prometheus(dir, "global: {scrape_interval: 5s}\n", &data)
}

/// Prometheus scraping `target` (host:port) every second, with `rules` (a rule file's text).
pub fn scraping(target: &str, rules: &str) -> Daemon {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("rules.yml"), rules).expect("write rules");
    let config = format!(
        "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [{}]\nscrape_configs:\n- job_name: zisk-coordinator\n  static_configs:\n  - targets: ['{target}']\n",
        dir.path().join("rules.yml").display()
    );
    let data = dir.path().join("data");
    prometheus(dir, &config, &data)
}

fn prometheus(dir: tempfile::TempDir, config: &str, data: &Path) -> Daemon {
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, config).expect("write config");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = Command::new("prometheus")
        .arg(format!("--config.file={}", config_path.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=100y")
        .stdout(Stdio::null())
        .stderr(
            std::fs::File::create(dir.path().join("prometheus.log"))
                .map(Stdio::from)
                .unwrap_or(Stdio::null()),
        )
        .spawn()
        .expect("start prometheus");
    wait_ready(&url, &mut child);
    Daemon { child, url, dir }
}

/// A real Alertmanager with a receiver that sends nowhere.
pub fn alertmanager() -> Daemon {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route: {receiver: nowhere, group_wait: 0s}\nreceivers:\n- name: nowhere\n",
    )
    .expect("write config");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = Command::new("prometheus-alertmanager")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start alertmanager");
    wait_ready(&url, &mut child);
    Daemon { child, url, dir }
}

/// A minimal HTTP/1.1 GET (or POST with a JSON body) of the test's own.
fn http(method: &str, url: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    // Chunked bodies (Prometheus' API) are de-chunked crudely: hex length lines dropped.
    let body = if text
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&body)
    } else {
        body
    };
    Ok((code, body))
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((len, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(len.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

pub fn http_get(url: &str) -> std::io::Result<(u16, String)> {
    http("GET", url, None)
}

pub fn http_post(url: &str, body: &str) -> std::io::Result<(u16, String)> {
    http("POST", url, Some(body))
}

/// `query_range` on a Prometheus: `(labels, [(ms, value)])` per series.
pub fn query_range(
    url: &str,
    expr: &str,
    start_ms: i64,
    end_ms: i64,
    step_ms: i64,
) -> Vec<(serde_json::Value, Vec<(i64, f64)>)> {
    let q = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let full = format!(
        "{url}/api/v1/query_range?query={}&start={}&end={}&step={}",
        q(expr),
        start_ms as f64 / 1000.0,
        end_ms as f64 / 1000.0,
        step_ms as f64 / 1000.0
    );
    let (code, body) = http_get(&full).expect("query_range");
    assert_eq!(code, 200, "{full}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    v["data"]["result"]
        .as_array()
        .expect("matrix")
        .iter()
        .map(|s| {
            let values = s["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        (p[0].as_f64().unwrap() * 1000.0).round() as i64,
                        p[1].as_str().unwrap().parse().unwrap_or(f64::NAN),
                    )
                })
                .collect();
            (s["metric"].clone(), values)
        })
        .collect()
}

/// An HTTP server of the test's own that answers every request with `status` and the body
/// the returned handle holds (it can change while Prometheus scrapes it).
pub struct Server {
    pub addr: String,
    pub body: Arc<Mutex<String>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(&self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn serve(status: u16, body: &str) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let body = Arc::new(Mutex::new(body.to_string()));
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let (body, stop) = (body.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(mut s) = stream else { continue };
                let mut reader = BufReader::new(s.try_clone().expect("clone"));
                let mut line = String::new();
                // Read the request head; the body of a GET is empty.
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let text = body.lock().unwrap().clone();
                let reason = if status == 200 { "OK" } else { "Error" };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        })
    };
    Server {
        addr,
        body,
        stop,
        thread: Some(thread),
    }
}

pub fn temp_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// Milliseconds since the epoch of an RFC 3339 time.
pub fn ms(ts: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(ts)
        .expect("RFC 3339")
        .timestamp_millis()
}

/// The failed jobs of a cluster's ground truth that ended in a triage alert's explained window:
/// what a failure alert must name, no more and no less.
pub fn failed_jobs_explained<'t>(
    truth: &'t serde_json::Value,
    alert: &serde_json::Value,
) -> std::collections::BTreeSet<&'t str> {
    let (from, to) = (
        ms(alert["explained_from"].as_str().unwrap()),
        ms(alert["explained_to"].as_str().unwrap()),
    );
    truth["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| {
            j["outcome"] == "failed"
                && j["ended"]
                    .as_str()
                    .is_some_and(|e| (from..=to).contains(&ms(e)))
        })
        .map(|j| j["job_id"].as_str().unwrap())
        .collect()
}
