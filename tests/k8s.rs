//! The `k8s:` source against a local Kubernetes API server (tests/k8s/server.rs) that serves
//! the fixture worker logs as pod logs, checked against the installed kubectl.

mod many_pods;
mod server;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;
use server::{kubelet_lines, rfc3339_nano, FakeApi, Line, State};

use crate::util::{cluster, ndjson, run, summary_workers, zl};

const NS: &str = "zisk";
const SELECTOR: &str = "app.kubernetes.io/name=zisk-worker";
const WORKERS: [&str; 4] = ["worker-01", "worker-02", "worker-03", "worker-04"];

fn labels(pod: &str) -> Vec<(&'static str, String)> {
    vec![
        ("app.kubernetes.io/name", "zisk-worker".to_string()),
        ("statefulset.kubernetes.io/pod-name", pod.to_string()),
    ]
}

fn add_pod(api: &FakeApi, pod: &str, containers: &[(&str, Vec<Line>)]) {
    let l = labels(pod);
    let l: Vec<(&str, &str)> = l.iter().map(|(k, v)| (*k, v.as_str())).collect();
    api.add_pod(NS, pod, &l, containers);
}

/// A server holding the fixture cluster's workers as pods `worker-01`.. (container `zisk-worker`).
fn fixture_api(name: &str) -> (FakeApi, tempfile::TempDir, std::path::PathBuf) {
    let api = FakeApi::start();
    api.add_namespace(NS);
    for w in WORKERS {
        let text =
            std::fs::read_to_string(cluster(name).join(format!("{w}.log"))).expect("fixture");
        add_pod(&api, w, &[("zisk-worker", kubelet_lines(&text))]);
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path());
    (api, dir, kubeconfig)
}

fn zl_k8s(kubeconfig: &std::path::Path) -> Command {
    let mut cmd = zl();
    cmd.env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST");
    cmd
}

/// Events per source, in stream order, as (ts, level, message, job_id, phase, worker_id).
fn by_source(events: &[Value]) -> BTreeMap<String, Vec<[Value; 6]>> {
    let mut out: BTreeMap<String, Vec<[Value; 6]>> = BTreeMap::new();
    for e in events {
        let key = ["ts", "level", "message", "job_id", "phase", "worker_id"].map(|k| e[k].clone());
        out.entry(e["source"].as_str().unwrap().to_string())
            .or_default()
            .push(key);
    }
    out
}

#[test]
fn k8s_history_gives_the_same_events_as_the_files() {
    for name in ["zisk", "pretty-documented", "json-documented", "mixed"] {
        let (api, _dir, kubeconfig) = fixture_api(name);
        let spec = format!("k8s:{NS}/{SELECTOR}");
        let ours = run(zl_k8s(&kubeconfig).args(["-o", "json", "--worker", &spec, "tail"]));
        assert_eq!(ours.code, 0, "{name}: {}", ours.stderr);
        let mut files = zl();
        files.args(["-o", "json"]);
        for w in WORKERS {
            files
                .arg("--worker")
                .arg(cluster(name).join(format!("{w}.log")));
        }
        let plain = run(files.arg("tail"));
        assert_eq!(plain.code, 0, "{}", plain.stderr);
        let (k, f) = (
            by_source(&ndjson(&ours.stdout)),
            by_source(&ndjson(&plain.stdout)),
        );
        assert_eq!(
            k.keys().collect::<Vec<_>>(),
            f.keys().collect::<Vec<_>>(),
            "{name}: one stream per pod, labelled by pod"
        );
        for (source, fe) in &f {
            let ke = &k[source];
            assert_eq!(ke.len(), fe.len(), "{name} {source}: event count");
            for (a, b) in ke.iter().zip(fe) {
                // An untimed line (a banner) gets the kubelet's time; everything else is equal.
                if !b[0].is_null() {
                    assert_eq!(a[0], b[0], "{name} {source}: ts of {:?}", b[2]);
                } else {
                    assert!(
                        a[0].is_string(),
                        "{name} {source}: kubelet time for untimed {:?}",
                        b[2]
                    );
                }
                assert_eq!(a[1..], b[1..], "{name} {source}");
            }
        }
        // One request per pod, with the kubelet timestamps and no tail (the whole log).
        let logs: Vec<String> = api
            .requests()
            .into_iter()
            .filter(|r| r.contains("/log"))
            .collect();
        assert_eq!(logs.len(), 4, "{logs:?}");
        assert!(
            logs.iter().all(|r| r.contains("timestamps=true")
                && r.contains("container=zisk-worker")
                && !r.contains("tailLines")),
            "{logs:?}"
        );
    }
}

#[test]
fn k8s_pushes_since_down_in_whole_seconds_and_tail_as_tail_lines() {
    let (api, _dir, kubeconfig) = fixture_api("zisk");
    let spec = format!("k8s:{NS}/{SELECTOR}?context=fake");
    let r = run(zl_k8s(&kubeconfig).args([
        "-o",
        "json",
        "--worker",
        &spec,
        "tail",
        "--since",
        "2026-11-21T10:00:14.9Z",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let events = ndjson(&r.stdout);
    assert!(!events.is_empty());
    assert!(
        events
            .iter()
            .all(|e| e["ts"].as_str().unwrap() >= "2026-11-21T10:00:14.9"),
        "the filter still applies"
    );
    let logs: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.contains("/log"))
        .collect();
    assert!(
        logs.iter()
            .all(|r| r.contains("sinceTime=2026-11-21T10%3A00%3A14Z")),
        "{logs:?}"
    );

    let r = run(zl_k8s(&kubeconfig).args(["-o", "json", "--worker", &spec, "tail", "-n", "3"]));
    assert_eq!(ndjson(&r.stdout).len(), 3, "{}", r.stderr);
    assert!(api.requests().iter().any(|r| r.contains("tailLines=3")));
}

/// `[pod/NAME/CONTAINER] TS TEXT` lines of kubectl → per pod: (kubelet ts, text).
fn kubectl_lines(out: &str, prefixed: bool, pod: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut m: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for line in out.lines() {
        let (who, rest) = if prefixed {
            let (p, rest) = line
                .strip_prefix("[pod/")
                .and_then(|l| l.split_once("] "))
                .unwrap_or_else(|| panic!("bad kubectl line {line:?}"));
            (p.split('/').next().unwrap().to_string(), rest)
        } else {
            (pod.to_string(), line)
        };
        let (ts, text) = rest.split_once(' ').unwrap_or((rest, ""));
        m.entry(who)
            .or_default()
            .push((ts.to_string(), text.to_string()));
    }
    m
}

/// Our events per source flattened to physical lines (blank lines are not events), with the
/// event's time on its first line.
fn our_lines(events: &[Value]) -> BTreeMap<String, Vec<(Option<String>, String)>> {
    let mut m: BTreeMap<String, Vec<(Option<String>, String)>> = BTreeMap::new();
    for e in events {
        let v = m
            .entry(e["source"].as_str().unwrap().to_string())
            .or_default();
        for (i, l) in e["raw"].as_str().unwrap().split('\n').enumerate() {
            v.push((
                (i == 0).then(|| e["ts"].as_str().unwrap().to_string()),
                l.to_string(),
            ));
        }
    }
    m
}

fn same_as_kubectl(
    kubectl: &BTreeMap<String, Vec<(String, String)>>,
    ours: &BTreeMap<String, Vec<(Option<String>, String)>>,
) {
    assert_eq!(
        kubectl.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>()
    );
    for (pod, lines) in kubectl {
        let lines: Vec<_> = lines.iter().filter(|(_, t)| !t.trim().is_empty()).collect();
        let mine = &ours[pod];
        assert_eq!(lines.len(), mine.len(), "{pod}: line count");
        for ((kts, ktext), (ts, text)) in lines.iter().zip(mine) {
            assert_eq!(ktext, text, "{pod}");
            if let Some(ts) = ts {
                // kubectl shows the kubelet's nanoseconds; events keep microseconds.
                assert_eq!(&kts[..26], &ts[..26], "{pod}: time of {text:?}");
            }
        }
    }
}

#[test]
fn k8s_reads_what_kubectl_prints() {
    require_program!("kubectl");
    let (api, dir, kubeconfig) = fixture_api("compact-documented");
    let crashed =
        std::fs::read_to_string(cluster("pretty-documented").join("worker-02.log")).unwrap();
    api.restart(
        NS,
        "worker-02",
        "zisk-worker",
        kubelet_lines("2026-11-21T11:00:00.000001Z  INFO zisk_worker: started again"),
    );
    api.with_container(NS, "worker-02", "zisk-worker", |c| {
        c.previous.as_mut().unwrap().1 = kubelet_lines(&crashed)
    });
    let kubectl = |args: &[&str]| {
        let out = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(args)
            .env("KUBECACHEDIR", dir.path().join("cache"))
            .stdin(Stdio::null())
            .output()
            .expect("kubectl");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let all = kubectl(&[
        "logs",
        "-n",
        NS,
        "-l",
        SELECTOR,
        "--prefix",
        "--timestamps",
        "--tail=-1",
    ]);
    let ours = run(zl_k8s(&kubeconfig).args([
        "-o",
        "json",
        "--worker",
        &format!("k8s:{NS}/{SELECTOR}"),
        "tail",
    ]));
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    same_as_kubectl(
        &kubectl_lines(&all, true, ""),
        &our_lines(&ndjson(&ours.stdout)),
    );

    let previous = kubectl(&["logs", "-n", NS, "worker-02", "--previous", "--timestamps"]);
    let spec = format!("k8s:{NS}/statefulset.kubernetes.io/pod-name=worker-02?previous=true");
    let ours = run(zl_k8s(&kubeconfig).args(["-o", "json", "--worker", &spec, "tail"]));
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    let k = kubectl_lines(&previous, false, "worker-02");
    assert!(k["worker-02"].len() > 20);
    same_as_kubectl(&k, &our_lines(&ndjson(&ours.stdout)));
    assert!(api
        .requests()
        .iter()
        .any(|r| r.contains("previous=true") && r.contains("timestamps=true")));
}

/// A running `zisk-logs tail -f`, its stdout lines arriving on a channel.
struct Following {
    child: Child,
    rx: Receiver<String>,
    seen: Vec<Value>,
}

impl Following {
    fn start(cmd: &mut Command) -> Following {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (tx, rx) = channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Following {
            child,
            rx,
            seen: Vec::new(),
        }
    }

    /// Waits (at most 15 s) until an event with this message from this source was printed.
    fn wait_for(&mut self, source: &str, message: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self
            .seen
            .iter()
            .any(|e| e["source"] == source && e["message"] == message)
        {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => self.seen.push(serde_json::from_str(&line).unwrap()),
                Err(_) => {
                    let _ = self.child.kill();
                    let err = std::io::read_to_string(self.child.stderr.take().unwrap())
                        .unwrap_or_default();
                    panic!(
                        "no {message:?} from {source} within 15 s; seen {:#?}\nstderr: {err}",
                        self.seen.iter().map(|e| &e["message"]).collect::<Vec<_>>()
                    );
                }
            }
        }
    }

    /// Collects what else arrives within a short quiet time.
    fn settle(&mut self) {
        while let Ok(line) = self.rx.recv_timeout(Duration::from_millis(700)) {
            self.seen.push(serde_json::from_str(&line).unwrap());
        }
    }

    fn stop(mut self) -> (Vec<Value>, String) {
        self.settle();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let err = std::io::read_to_string(self.child.stderr.take().unwrap()).unwrap_or_default();
        (self.seen, err)
    }
}

fn at(sec: i64, micros: i64) -> i128 {
    // 2026-11-21T10:00:00Z
    (1_795_255_200 + sec) as i128 * 1_000_000_000 + micros as i128 * 1_000 + 789
}

fn line(sec: i64, micros: i64, message: &str) -> Line {
    let t = at(sec, micros);
    (
        t,
        format!("{}Z  INFO zisk_worker: {message}", &rfc3339_nano(t)[..26]),
    )
}

#[test]
fn k8s_follow_picks_up_new_pods_restarts_and_resumes_without_repeats() {
    let api = FakeApi::start();
    api.add_namespace(NS);
    add_pod(
        &api,
        "worker-01",
        &[("zisk-worker", vec![line(0, 1, "w1 history")])],
    );
    add_pod(
        &api,
        "worker-02",
        &[
            ("zisk-worker", vec![line(0, 2, "w2 history")]),
            ("sidecar", vec![line(0, 3, "side history")]),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path());
    let spec = format!("k8s:{NS}/{SELECTOR}");
    let mut f =
        Following::start(zl_k8s(&kubeconfig).args(["-o", "json", "--worker", &spec, "tail", "-f"]));
    f.wait_for("worker-01", "w1 history");
    f.wait_for("worker-02/zisk-worker", "w2 history");
    f.wait_for("worker-02/sidecar", "side history");

    // Live lines.
    api.append(NS, "worker-01", "zisk-worker", &[line(10, 1, "w1 live")]);
    f.wait_for("worker-01", "w1 live");

    // A pod that appears while following.
    add_pod(
        &api,
        "worker-03",
        &[(
            "zisk-worker",
            vec![line(11, 0, "w3 first"), line(11, 5, "w3 second")],
        )],
    );
    f.wait_for("worker-03", "w3 second");

    // A container that restarts: the new container ID is a new stream.
    api.restart(
        NS,
        "worker-01",
        "zisk-worker",
        vec![line(12, 0, "w1 after restart")],
    );
    f.wait_for("worker-01", "w1 after restart");

    // A dropped stream: three lines in one second, the connection breaks, then two more
    // lines in the same second. sinceTime can only say "that second": no repeats, no loss.
    api.append(
        NS,
        "worker-02",
        "zisk-worker",
        &[
            line(20, 1, "drop a"),
            line(20, 2, "drop b"),
            line(20, 3, "drop c"),
        ],
    );
    f.wait_for("worker-02/zisk-worker", "drop c");
    api.with_container(NS, "worker-02", "zisk-worker", |c| c.drops += 1);
    api.append(
        NS,
        "worker-02",
        "zisk-worker",
        &[line(20, 4, "drop d"), line(20, 5, "drop e")],
    );
    f.wait_for("worker-02/zisk-worker", "drop e");
    api.append(NS, "worker-02", "zisk-worker", &[line(21, 0, "after drop")]);
    f.wait_for("worker-02/zisk-worker", "after drop");

    let (events, stderr) = f.stop();
    eprintln!("{stderr}");
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for e in &events {
        *counts
            .entry((
                e["source"].as_str().unwrap().into(),
                e["message"].as_str().unwrap().into(),
            ))
            .or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "printed twice: {repeated:?}\n{stderr}");
    assert_eq!(counts.len(), 13, "{counts:?}");
    let requests = api.requests();
    let resumed = requests.iter().filter(|r| {
        r.contains("worker-02/log")
            && r.contains("container=zisk-worker")
            && r.contains("follow=true")
            && r.contains("sinceTime=2026-11-21T10%3A00%3A20Z")
    });
    assert_eq!(
        resumed.count(),
        1,
        "one resume from the second of the last line: {requests:#?}\n{stderr}"
    );
    assert!(
        requests.iter().any(|r| r.contains("watch=true")),
        "pods are watched"
    );
    assert!(stderr.contains("resuming"), "{stderr}");
}

#[test]
fn k8s_follow_stays_within_max_log_requests() {
    let api = FakeApi::start();
    api.add_namespace(NS);
    for (i, w) in WORKERS.iter().enumerate().take(3) {
        add_pod(
            &api,
            w,
            &[(
                "zisk-worker",
                vec![line(0, i as i64, &format!("{w} history"))],
            )],
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path());
    let spec = format!("k8s:{NS}/{SELECTOR}");
    let mut f = Following::start(zl_k8s(&kubeconfig).args([
        "-o",
        "json",
        "--max-log-requests",
        "2",
        "--worker",
        &spec,
        "tail",
        "-f",
    ]));
    f.wait_for("worker-01", "worker-01 history");
    f.wait_for("worker-02", "worker-02 history");
    // When a followed container ends, the waiting one gets its turn.
    api.with_container(NS, "worker-01", "zisk-worker", |c| {
        c.state = State::Terminated
    });
    f.wait_for("worker-03", "worker-03 history");
    let (_, stderr) = f.stop();
    eprintln!("{stderr}");
    assert!(stderr.contains("--max-log-requests"), "{stderr}");
}

#[test]
fn k8s_failures_are_one_clear_line_each_and_the_rest_is_printed() {
    let api = FakeApi::start();
    api.add_namespace(NS);
    api.add_namespace("locked");
    api.add_namespace("nologs");
    add_pod(
        &api,
        "worker-01",
        &[("zisk-worker", vec![line(0, 1, "w1 fine")])],
    );
    add_pod(&api, "worker-02", &[("zisk-worker", vec![])]);
    api.with_container(NS, "worker-02", "zisk-worker", |c| {
        c.state = State::Waiting("ContainerCreating".into())
    });
    api.add_pod(
        "nologs",
        "worker-09",
        &[("app", "x")],
        &[("zisk-worker", vec![line(0, 9, "hidden")])],
    );
    api.change(None, |w| {
        w.forbidden
            .push(("list".into(), "pods".into(), "locked".into()));
        w.forbidden
            .push(("get".into(), "pods/log".into(), "nologs".into()));
    });
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path());
    let file = cluster("zisk").join("worker-04.log");
    let r = run(zl_k8s(&kubeconfig).args(["-o", "json"]).args([
        "--worker",
        file.to_str().unwrap(),
        "--worker",
        &format!("k8s:{NS}/{SELECTOR}"),
        "--worker",
        "k8s:locked/app=x",
        "--worker",
        "k8s:nologs/app=x",
        "--worker",
        "k8s:gone/app=x",
        "--worker",
        "k8s:zisk/app=nothing",
        "--worker",
        "k8s:zisk/statefulset.kubernetes.io/pod-name=worker-01?previous=true",
        "--worker",
        "k8s:zisk/app=x?context=down",
        "tail",
    ]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    let events = ndjson(&r.stdout);
    assert!(
        events.iter().any(|e| e["source"] == "worker-04"),
        "the file is still read"
    );
    assert!(
        events
            .iter()
            .any(|e| e["source"] == "worker-01" && e["message"] == "w1 fine"),
        "the running pod is still read"
    );
    let err = &r.stderr;
    eprintln!("{err}");
    let expect = [
        r#"worker-02: container "zisk-worker" is waiting to start (ContainerCreating)"#,
        r#"k8s:locked/app=x: forbidden by RBAC: cannot list pods in namespace "locked""#,
        r#"worker-09: forbidden by RBAC: cannot get pods/log in namespace "nologs""#,
        r#"k8s:gone/app=x: namespace "gone" not found"#,
        r#"k8s:zisk/app=nothing: no pod matches "app=nothing" in namespace "zisk""#,
        r#"worker-01: container "zisk-worker" has no previous (terminated) instance"#,
        "k8s:zisk/app=x?context=down: cannot reach the Kubernetes API at http://127.0.0.1:",
    ];
    for e in expect {
        assert!(err.contains(e), "missing {e:?} in:\n{err}");
    }
    assert!(
        err.lines().all(|l| l.starts_with("zisk-logs: ")),
        "one line each:\n{err}"
    );
    assert_eq!(err.lines().count(), expect.len(), "{err}");
}

/// A mixed deployment, as the operator docs describe it: the coordinator's log on a host
/// (here a file), the workers on Kubernetes. `job` ties the coordinator's worker IDs to the
/// pods by their banners and gives the same trail and summary as the plain files.
#[test]
fn job_trail_with_workers_on_kubernetes_equals_the_trail_from_files() {
    let name = "json-message";
    let (_api, _dir, kubeconfig) = fixture_api(name);
    let coordinator = cluster(name).join("coordinator.log").display().to_string();
    for job in crate::formats::truth_jobs(name) {
        let trail = |cmd: &mut Command| {
            let r = run(cmd.args(["-o", "json", "job", &job]));
            assert_eq!(r.code, 0, "{job}: {}", r.stderr);
            let mut events = ndjson(&r.stdout);
            let summary = events.pop().unwrap();
            let mut lines: Vec<String> = events
                .iter()
                .filter(|e| e["context"] == false)
                .map(|e| format!("{} {} {}", e["ts"], e["worker_id"], e["message"]))
                .collect();
            lines.sort();
            (lines, summary)
        };
        let mut from_files = zl();
        from_files.args(crate::formats::cluster_sources(name));
        let (file_lines, file_summary) = trail(&mut from_files);
        let spec = format!("k8s:{NS}/{SELECTOR}");
        let mut mixed = zl_k8s(&kubeconfig);
        mixed.args(["--coordinator", &coordinator, "--worker", &spec]);
        let (k8s_lines, k8s_summary) = trail(&mut mixed);
        // Banner lines carry the kubelet's time on Kubernetes; the job's lines all have their own.
        assert_eq!(k8s_lines, file_lines, "{job}: trail lines");
        for key in ["outcome", "reason", "started", "ended", "phases"] {
            assert_eq!(k8s_summary[key], file_summary[key], "{job}: {key}");
        }
        assert_eq!(
            summary_workers(&k8s_summary),
            summary_workers(&file_summary),
            "{job}: workers"
        );
        assert!(
            k8s_summary["workers"]
                .as_array()
                .unwrap()
                .iter()
                .all(|w| w["source"].as_str().is_some_and(|s| s.contains("worker-0"))),
            "{job}: each worker tied to its pod: {}",
            k8s_summary["workers"]
        );
    }
}
