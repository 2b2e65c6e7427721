//! A small Kubernetes API server for the tests (std threads + TcpListener): discovery
//! (`/version`, `/api`, `/apis`, `/api/v1`), namespaces, pod list (label selectors) and watch,
//! pod get, and pod logs (`follow`, `timestamps`, `previous`, `sinceTime`/`sinceSeconds`,
//! `tailLines`, `container`) streamed with chunked transfer encoding, and `Status` error
//! bodies the way the apiserver and kubelet word them. Good enough for kubectl and kube-rs.

mod streams;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use serde_json::{json, Value};

/// A log line: kubelet time in nanoseconds since the epoch, and the text the container wrote.
pub type Line = (i128, String);

#[derive(Clone, Debug, PartialEq)]
pub enum State {
    Waiting(String),
    Running,
    Terminated,
}

pub struct Container {
    pub name: String,
    pub id: String,
    pub restarts: u32,
    pub state: State,
    pub lines: Vec<Line>,
    pub previous: Option<(String, Vec<Line>)>,
    /// Bumped to cut open log streams of this container off (no terminating chunk).
    pub drops: u64,
    /// Cut each follow stream off after this many lines were sent (0: never).
    pub drop_after: usize,
}

pub struct Pod {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub containers: Vec<Container>,
    pub rv: u64,
}

#[derive(Default)]
pub struct World {
    rv: u64,
    pub namespaces: Vec<String>,
    pub pods: Vec<Pod>,
    /// (resourceVersion, type, pod as JSON) for watches.
    events: Vec<(u64, &'static str, Value)>,
    /// Requests seen, `path?query`.
    pub requests: Vec<String>,
    /// (verb, resource, namespace) refused with 403.
    pub forbidden: Vec<(String, String, String)>,
}

struct Inner {
    world: Mutex<World>,
    changed: Condvar,
}

#[derive(Clone)]
pub struct FakeApi {
    pub port: u16,
    inner: Arc<Inner>,
}

pub const USER: &str = "system:serviceaccount:zisk:reader";

pub fn rfc3339_nano(nanos: i128) -> String {
    let secs = nanos.div_euclid(1_000_000_000) as i64;
    let sub = nanos.rem_euclid(1_000_000_000) as u32;
    chrono::DateTime::from_timestamp(secs, sub)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.9fZ")
        .to_string()
}

fn parse_time(s: &str) -> Option<i128> {
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some(t.timestamp() as i128 * 1_000_000_000 + t.timestamp_subsec_nanos() as i128)
}

fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128
}

impl FakeApi {
    pub fn start() -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let inner = Arc::new(Inner {
            world: Mutex::new(World {
                rv: 1000,
                ..World::default()
            }),
            changed: Condvar::new(),
        });
        let api = FakeApi { port, inner };
        let server = api.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let server = server.clone();
                std::thread::spawn(move || server.serve(conn));
            }
        });
        api
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        self.inner.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the world and wakes watches and followed logs. `pod` (namespace, name) gets a
    /// MODIFIED event (or ADDED when `added`).
    pub fn change(&self, pod: Option<(&str, &str, &'static str)>, f: impl FnOnce(&mut World)) {
        let mut w = self.world();
        f(&mut w);
        if let Some((ns, name, kind)) = pod {
            w.rv += 1;
            let rv = w.rv;
            let p = w
                .pods
                .iter_mut()
                .find(|p| p.namespace == ns && p.name == name)
                .expect("pod");
            p.rv = rv;
            let json = with_kind(pod_json(p));
            w.events.push((rv, kind, json));
        }
        drop(w);
        self.inner.changed.notify_all();
    }

    pub fn add_namespace(&self, ns: &str) {
        self.change(None, |w| w.namespaces.push(ns.to_string()));
    }

    pub fn add_pod(
        &self,
        ns: &str,
        name: &str,
        labels: &[(&str, &str)],
        containers: &[(&str, Vec<Line>)],
    ) {
        let pod = Pod {
            namespace: ns.to_string(),
            name: name.to_string(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            containers: containers
                .iter()
                .map(|(c, lines)| Container {
                    name: c.to_string(),
                    id: format!("containerd://{name}-{c}-0"),
                    restarts: 0,
                    state: State::Running,
                    lines: lines.clone(),
                    previous: None,
                    drops: 0,
                    drop_after: 0,
                })
                .collect(),
            rv: 0,
        };
        self.change(Some((ns, name, "ADDED")), |w| w.pods.push(pod));
    }

    pub fn with_container(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        f: impl FnOnce(&mut Container),
    ) {
        self.change(Some((ns, pod, "MODIFIED")), |w| {
            let p = w
                .pods
                .iter_mut()
                .find(|p| p.namespace == ns && p.name == pod)
                .expect("pod");
            f(p.containers
                .iter_mut()
                .find(|c| c.name == container)
                .expect("container"));
        });
    }

    /// Appends lines to the running container (no pod event: logs are not pod state).
    pub fn append(&self, ns: &str, pod: &str, container: &str, lines: &[Line]) {
        self.change(None, |w| {
            let p = w
                .pods
                .iter_mut()
                .find(|p| p.namespace == ns && p.name == pod)
                .expect("pod");
            p.containers
                .iter_mut()
                .find(|c| c.name == container)
                .expect("container")
                .lines
                .extend_from_slice(lines);
        });
    }

    /// The container crashes and is started again: its log becomes the previous one.
    pub fn restart(&self, ns: &str, pod: &str, container: &str, new_lines: Vec<Line>) {
        self.with_container(ns, pod, container, |c| {
            let old = std::mem::replace(&mut c.lines, new_lines);
            c.previous = Some((c.id.clone(), old));
            c.restarts += 1;
            c.id = format!("containerd://{pod}-{container}-{}", c.restarts);
            c.state = State::Running;
        });
    }

    pub fn requests(&self) -> Vec<String> {
        self.world().requests.clone()
    }

    /// A kubeconfig with a context `fake` (this server) and `down` (nothing listens there).
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let dead = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://127.0.0.1:{}\n- name: down\n  cluster:\n    server: http://127.0.0.1:{dead}\nusers:\n- name: reader\n  user:\n    token: test-token\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: reader\n    namespace: zisk\n- name: down\n  context:\n    cluster: down\n    user: reader\ncurrent-context: fake\n",
            self.port
        );
        let path = dir.join("kubeconfig");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn serve(&self, conn: TcpStream) {
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(0) | Err(_) => return,
                Ok(_) if header == "\r\n" || header == "\n" => break,
                Ok(_) => {}
            }
        }
        let target = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        self.world().requests.push(target.clone());
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let q: BTreeMap<String, String> = url_pairs(query);
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut out = conn;
        match parts.as_slice() {
            ["version"] => respond(
                &mut out,
                200,
                &json!({"major":"1","minor":"32","gitVersion":"v1.32.0","platform":"linux/amd64"}),
            ),
            ["api"] => respond(
                &mut out,
                200,
                &json!({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":format!("127.0.0.1:{}", self.port)}]}),
            ),
            ["apis"] => respond(
                &mut out,
                200,
                &json!({"kind":"APIGroupList","apiVersion":"v1","groups":[]}),
            ),
            ["api", "v1"] => respond(
                &mut out,
                200,
                &json!({"kind":"APIResourceList","groupVersion":"v1","resources":[
                    {"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","list","watch"],"shortNames":["ns"]},
                    {"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list","watch"],"shortNames":["po"],"categories":["all"]},
                    {"name":"pods/log","singularName":"","namespaced":true,"kind":"Pod","verbs":["get"]}
                ]}),
            ),
            ["api", "v1", "namespaces", ns] => {
                if self.world().namespaces.iter().any(|n| n == ns) {
                    respond(
                        &mut out,
                        200,
                        &json!({"kind":"Namespace","apiVersion":"v1","metadata":{"name":ns},"status":{"phase":"Active"}}),
                    )
                } else {
                    respond(
                        &mut out,
                        404,
                        &status(
                            404,
                            "NotFound",
                            &format!("namespaces \"{ns}\" not found"),
                            Some(("namespaces", ns)),
                        ),
                    )
                }
            }
            ["api", "v1", "namespaces", ns, "pods"] => {
                let watch = matches!(q.get("watch").map(String::as_str), Some("true" | "1"));
                let verb = if watch { "watch" } else { "list" };
                if let Some(body) = self.forbidden(verb, "pods", ns, None) {
                    return respond(&mut out, 403, &body);
                }
                let selector = q.get("labelSelector").cloned().unwrap_or_default();
                if watch {
                    self.watch(&mut out, ns, &selector, &q);
                } else {
                    let w = self.world();
                    let items: Vec<Value> = w
                        .pods
                        .iter()
                        .filter(|p| p.namespace == *ns && matches(&selector, &p.labels))
                        .map(pod_json)
                        .collect();
                    let body = json!({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":w.rv.to_string()},"items":items});
                    drop(w);
                    respond(&mut out, 200, &body)
                }
            }
            ["api", "v1", "namespaces", ns, "pods", name] => {
                if let Some(body) = self.forbidden("get", "pods", ns, Some(name)) {
                    return respond(&mut out, 403, &body);
                }
                let w = self.world();
                match w
                    .pods
                    .iter()
                    .find(|p| p.namespace == *ns && p.name == *name)
                {
                    Some(p) => {
                        let body = with_kind(pod_json(p));
                        drop(w);
                        respond(&mut out, 200, &body)
                    }
                    None => {
                        drop(w);
                        respond(
                            &mut out,
                            404,
                            &status(
                                404,
                                "NotFound",
                                &format!("pods \"{name}\" not found"),
                                Some(("pods", name)),
                            ),
                        )
                    }
                }
            }
            ["api", "v1", "namespaces", ns, "pods", name, "log"] => {
                self.log(&mut out, ns, name, &q)
            }
            _ => respond(
                &mut out,
                404,
                &status(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                    None,
                ),
            ),
        }
    }

    fn forbidden(&self, verb: &str, resource: &str, ns: &str, name: Option<&str>) -> Option<Value> {
        let w = self.world();
        if !w
            .forbidden
            .iter()
            .any(|(v, r, n)| v == verb && r == resource && n == ns)
        {
            return None;
        }
        let what = match name {
            Some(name) => format!("pods \"{name}\" is forbidden"),
            None => "pods is forbidden".to_string(),
        };
        let message = format!("{what}: User \"{USER}\" cannot {verb} resource \"{resource}\" in API group \"\" in the namespace \"{ns}\"");
        Some(status(
            403,
            "Forbidden",
            &message,
            Some(("pods", name.unwrap_or(""))),
        ))
    }
}

fn url_pairs(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, joined with commas.
pub fn matches(selector: &str, labels: &BTreeMap<String, String>) -> bool {
    selector
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                labels.get(k.trim()).map(String::as_str) != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                labels.get(k.trim()).map(String::as_str) == Some(v.trim())
            } else if let Some(k) = term.strip_prefix('!') {
                !labels.contains_key(k)
            } else {
                labels.contains_key(term)
            }
        })
}

fn status(code: u16, reason: &str, message: &str, details: Option<(&str, &str)>) -> Value {
    let mut s = json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":message,"reason":reason,"code":code});
    if let Some((kind, name)) = details {
        s["details"] = if name.is_empty() {
            json!({"kind":kind})
        } else {
            json!({"name":name,"kind":kind})
        };
    }
    s
}

fn respond(out: &mut TcpStream, code: u16, body: &Value) {
    let text = body.to_string();
    let reason = match code {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Error",
    };
    let _ = write!(out, "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}", text.len());
}

/// A single object carries its kind; list items do not.
fn with_kind(mut pod: Value) -> Value {
    pod["kind"] = json!("Pod");
    pod["apiVersion"] = json!("v1");
    pod
}

fn pod_json(p: &Pod) -> Value {
    let started = "2026-11-21T09:59:00Z";
    let statuses: Vec<Value> = p
        .containers
        .iter()
        .map(|c| {
            let state = match &c.state {
                State::Running => json!({"running":{"startedAt":started}}),
                State::Waiting(reason) => json!({"waiting":{"reason":reason}}),
                State::Terminated => json!({"terminated":{"exitCode":1,"reason":"Error","containerID":c.id,"startedAt":started,"finishedAt":started}}),
            };
            let last = match &c.previous {
                Some((id, _)) => json!({"terminated":{"exitCode":137,"reason":"OOMKilled","containerID":id,"startedAt":started,"finishedAt":started}}),
                None => json!({}),
            };
            let mut s = json!({"name":c.name,"ready":c.state == State::Running,"restartCount":c.restarts,"image":"ghcr.io/0xpolygonhermez/zisk-worker:0.15.0","imageID":"","state":state,"lastState":last,"started":c.state == State::Running});
            if !matches!(c.state, State::Waiting(_)) {
                s["containerID"] = json!(c.id);
            }
            s
        })
        .collect();
    let waiting = p
        .containers
        .iter()
        .any(|c| matches!(c.state, State::Waiting(_)));
    json!({
        "metadata": {"name":p.name,"namespace":p.namespace,"uid":format!("uid-{}", p.name),"resourceVersion":p.rv.to_string(),"creationTimestamp":"2026-11-21T09:59:00Z","labels":p.labels},
        "spec": {"nodeName":"node-1","containers": p.containers.iter().map(|c| json!({"name":c.name,"image":"ghcr.io/0xpolygonhermez/zisk-worker:0.15.0"})).collect::<Vec<_>>()},
        "status": {"phase": if waiting {"Pending"} else {"Running"}, "containerStatuses": statuses}
    })
}

/// Kubelet times for a container's lines: a line's own time (text prefix, after spaces, or a
/// JSON `timestamp`) plus 789 ns; an untimed line 1 µs after the one before (the first
/// untimed lines 1 ms apart before the first timed one).
pub fn kubelet_lines(text: &str) -> Vec<Line> {
    let own: Vec<Option<i128>> = text.lines().map(own_time).collect();
    let first = own
        .iter()
        .flatten()
        .next()
        .copied()
        .unwrap_or(1_795_000_000_000_000_000);
    let mut out = Vec::new();
    let mut last: Option<i128> = None;
    for (i, (line, t)) in text.lines().zip(&own).enumerate() {
        let ts = match (t, last) {
            (Some(t), _) => t + 789,
            (None, Some(l)) => l + 1_000,
            (None, None) => first - 1_000_000 * (own.len() - i) as i128,
        };
        last = Some(ts);
        out.push((ts, line.to_string()));
    }
    out
}

fn own_time(line: &str) -> Option<i128> {
    let t = line.trim_start();
    if t.starts_with('{') {
        let v: Value = serde_json::from_str(t).ok()?;
        return parse_time(v["timestamp"].as_str()?);
    }
    let word = t.split_whitespace().next()?;
    parse_time(word)
}
