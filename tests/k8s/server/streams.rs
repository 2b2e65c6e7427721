//! The fake API server's two streaming endpoints: pod watch and pod logs (`follow`,
//! `timestamps`, `previous`, `sinceTime`/`sinceSeconds`, `tailLines`, `container`), written
//! with chunked transfer encoding.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{
    matches, now_nanos, parse_time, pod_json, respond, rfc3339_nano, status, with_kind, FakeApi,
    Line, State,
};

impl FakeApi {
    pub(super) fn watch(
        &self,
        out: &mut TcpStream,
        ns: &str,
        selector: &str,
        q: &BTreeMap<String, String>,
    ) {
        let from: u64 = q
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let timeout = Duration::from_secs(
            q.get("timeoutSeconds")
                .and_then(|v| v.parse().ok())
                .unwrap_or(60)
                .min(60),
        );
        if start_chunked(out).is_err() {
            return;
        }
        let deadline = Instant::now() + timeout;
        let mut sent = from;
        let mut w = self.world();
        if from == 0 {
            let initial: Vec<Value> = w
                .pods
                .iter()
                .filter(|p| p.namespace == ns && matches(selector, &p.labels))
                .map(|p| with_kind(pod_json(p)))
                .collect();
            sent = w.rv;
            for pod in initial {
                if chunk(
                    out,
                    format!("{}\n", json!({"type":"ADDED","object":pod})).as_bytes(),
                )
                .is_err()
                {
                    return;
                }
            }
        }
        while Instant::now() < deadline {
            let fresh: Vec<String> = w
                .events
                .iter()
                .filter(|(rv, _, pod)| {
                    let labels: BTreeMap<String, String> =
                        serde_json::from_value(pod["metadata"]["labels"].clone())
                            .unwrap_or_default();
                    *rv > sent && pod["metadata"]["namespace"] == ns && matches(selector, &labels)
                })
                .map(|(_, kind, pod)| format!("{}\n", json!({"type":kind,"object":pod})))
                .collect();
            sent = w.rv;
            drop(w);
            for e in fresh {
                if chunk(out, e.as_bytes()).is_err() {
                    return;
                }
            }
            w = self.world();
            if w.rv == sent {
                w = self
                    .inner
                    .changed
                    .wait_timeout(w, Duration::from_millis(200))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
        drop(w);
        let _ = out.write_all(b"0\r\n\r\n");
    }

    pub(super) fn log(
        &self,
        out: &mut TcpStream,
        ns: &str,
        name: &str,
        q: &BTreeMap<String, String>,
    ) {
        if let Some(body) = self.forbidden("get", "pods/log", ns, Some(name)) {
            return respond(out, 403, &body);
        }
        let flag = |k: &str| matches!(q.get(k).map(String::as_str), Some("true" | "1"));
        let (follow, timestamps, previous) = (flag("follow"), flag("timestamps"), flag("previous"));
        let since = q.get("sinceTime").and_then(|s| parse_time(s)).or_else(|| {
            q.get("sinceSeconds")
                .and_then(|s| s.parse::<i128>().ok())
                .map(|s| now_nanos() - s * 1_000_000_000)
        });
        let tail: Option<usize> = q
            .get("tailLines")
            .and_then(|s| s.parse::<i64>().ok())
            .filter(|n| *n >= 0)
            .map(|n| n as usize);
        let (container, id, mut lines, live) = {
            let w = self.world();
            let Some(pod) = w.pods.iter().find(|p| p.namespace == ns && p.name == name) else {
                drop(w);
                return respond(
                    out,
                    404,
                    &status(
                        404,
                        "NotFound",
                        &format!("pods \"{name}\" not found"),
                        Some(("pods", name)),
                    ),
                );
            };
            let names: Vec<&str> = pod.containers.iter().map(|c| c.name.as_str()).collect();
            let c = match q.get("container") {
                Some(c) => match pod.containers.iter().find(|x| &x.name == c) {
                    Some(c) => c,
                    None => {
                        let m = format!("container {c} is not valid for pod {name}");
                        drop(w);
                        return respond(out, 400, &status(400, "BadRequest", &m, None));
                    }
                },
                None if pod.containers.len() == 1 => &pod.containers[0],
                None => {
                    let m = format!(
                        "a container name must be specified for pod {name}, choose one of: [{}]",
                        names.join(" ")
                    );
                    drop(w);
                    return respond(out, 400, &status(400, "BadRequest", &m, None));
                }
            };
            if previous {
                match &c.previous {
                    Some((id, lines)) => (c.name.clone(), id.clone(), lines.clone(), false),
                    None => {
                        let m = format!(
                            "previous terminated container \"{}\" in pod \"{name}\" not found",
                            c.name
                        );
                        drop(w);
                        return respond(out, 400, &status(400, "BadRequest", &m, None));
                    }
                }
            } else if let State::Waiting(reason) = &c.state {
                let m = format!(
                    "container \"{}\" in pod \"{name}\" is waiting to start: {reason}",
                    c.name
                );
                drop(w);
                return respond(out, 400, &status(400, "BadRequest", &m, None));
            } else {
                (
                    c.name.clone(),
                    c.id.clone(),
                    c.lines.clone(),
                    c.state == State::Running,
                )
            }
        };
        let total = lines.len();
        lines.retain(|(t, _)| since.is_none_or(|s| *t >= s));
        if let Some(n) = tail {
            let skip = lines.len().saturating_sub(n);
            lines.drain(..skip);
        }
        let format = |(t, text): &Line| {
            if timestamps {
                format!("{} {text}\n", rfc3339_nano(*t))
            } else {
                format!("{text}\n")
            }
        };
        if out.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").is_err() {
            return;
        }
        let (drops_at_start, drop_after) = self
            .container_state(ns, name, &container)
            .map(|c| (c.2, c.3))
            .unwrap_or((0, 0));
        let mut sent_lines = 0usize;
        // History in 700-byte chunks that cut lines anywhere.
        let history: String = lines.iter().map(format).collect();
        for piece in history.as_bytes().chunks(700) {
            if chunk(out, piece).is_err() {
                return;
            }
        }
        sent_lines += lines.len();
        if !(follow && live) {
            let _ = out.write_all(b"0\r\n\r\n");
            return;
        }
        let mut next = total;
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let Some((cur_id, state, drops, _, fresh)) = self
                .container_state(ns, name, &container)
                .map(|(id, st, d, a, all)| (id, st, d, a, all[next.min(all.len())..].to_vec()))
            else {
                break;
            };
            for l in &fresh {
                if drop_after > 0 && sent_lines >= drop_after {
                    let _ = out.shutdown(Shutdown::Both);
                    return;
                }
                if chunk(out, format(l).as_bytes()).is_err() {
                    return;
                }
                sent_lines += 1;
                next += 1;
            }
            if drops != drops_at_start {
                // A broken connection: no terminating chunk.
                let _ = out.shutdown(Shutdown::Both);
                return;
            }
            if cur_id != id || state != State::Running {
                break;
            }
            let w = self.world();
            let _unused = self
                .inner
                .changed
                .wait_timeout(w, Duration::from_millis(100));
        }
        let _ = out.write_all(b"0\r\n\r\n");
    }

    #[allow(clippy::type_complexity)]
    fn container_state(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
    ) -> Option<(String, State, u64, usize, Vec<Line>)> {
        let w = self.world();
        let p = w.pods.iter().find(|p| p.namespace == ns && p.name == pod)?;
        let c = p.containers.iter().find(|c| c.name == container)?;
        Some((
            c.id.clone(),
            c.state.clone(),
            c.drops,
            c.drop_after,
            c.lines.clone(),
        ))
    }
}

fn start_chunked(out: &mut TcpStream) -> std::io::Result<()> {
    out.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
}

fn chunk(out: &mut TcpStream, data: &[u8]) -> std::io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    write!(out, "{:x}\r\n", data.len())?;
    out.write_all(data)?;
    out.write_all(b"\r\n")?;
    out.flush()
}
