//! Issue 20, defect 10: hundreds of pods read, and followed, in tens of MB and a few threads
//! (each pod is a task on the shared runtime, not a thread).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::server::FakeApi;
use super::{add_pod, line, zl_k8s, Following, NS, SELECTOR};
use crate::util::ndjson;

/// A server holding `pods` pods of `lines` lines each, `p{pod} n{line} xxx…` at second `line`,
/// millisecond `pod`: the pods' lines interleave in time, and the merged order is one known
/// sequence. Also the folder holding its kubeconfig, and that file.
fn many_pods(
    pods: usize,
    lines: usize,
    pad: usize,
) -> (FakeApi, tempfile::TempDir, std::path::PathBuf) {
    let api = FakeApi::start();
    api.add_namespace(NS);
    let pad = "x".repeat(pad);
    for p in 0..pods {
        let history = (0..lines)
            .map(|n| line(n as i64, p as i64 * 1000, &format!("p{p:03} n{n:03} {pad}")))
            .collect();
        add_pod(&api, &format!("worker-{p:03}"), &[("zisk-worker", history)]);
    }
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.kubeconfig(dir.path());
    (api, dir, kubeconfig)
}

/// (pod, line) of a `many_pods` event.
fn pod_line(e: &Value) -> (usize, usize) {
    let m = e["message"].as_str().unwrap_or_default();
    let mut words = m.split(' ');
    let mut number = |prefix: char| -> usize {
        words
            .next()
            .and_then(|w| w.strip_prefix(prefix)?.parse().ok())
            .unwrap_or_else(|| panic!("not a many_pods line: {e}"))
    };
    (number('p'), number('n'))
}

/// Issue 20, defect 10: a 300-pod selector fits in tens of MB. Each pod is read by a task on
/// the shared runtime (no thread each), and without -f, past --max-log-requests, each pod's
/// history is held in a temp file, not in memory, until it is fed; every line comes out once,
/// in time order.
#[test]
fn k8s_300_pods_history_is_read_in_time_order_in_bounded_memory_and_threads() {
    if !crate::util::require("/proc", std::path::Path::new("/proc/self/status").exists()) {
        return;
    }
    const PODS: usize = 300;
    const LINES: usize = 200;
    // ~450 bytes a line: 27 MB of history, each pod's more than the spool keeps in memory.
    let (_api, _dir, kubeconfig) = many_pods(PODS, LINES, 400);
    let spec = format!("k8s:{NS}/{SELECTOR}");
    let mut child = zl_k8s(&kubeconfig)
        .args(["-o", "json", "--max-log-requests", "40", "--worker", &spec])
        .arg("tail")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let peaks = crate::util::sample_peaks(child.id());
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    let status = child.wait().unwrap();
    let (out, peaks) = (reader.join().unwrap(), peaks.join().unwrap());
    eprintln!("{PODS} pods, {LINES} lines each: {peaks:?}");
    assert!(status.success(), "{stderr}");
    let got: Vec<(usize, usize)> = ndjson(&out).iter().map(pod_line).collect();
    let want: Vec<(usize, usize)> = (0..LINES)
        .flat_map(|n| (0..PODS).map(move |p| (p, n)))
        .collect();
    assert_eq!(got.len(), want.len(), "every line once");
    assert!(got == want, "in time order");
    assert!(
        peaks.rss_kib < 100 << 10,
        "peak RSS {} MiB",
        peaks.rss_kib >> 10
    );
    assert!(peaks.threads < 40, "{} threads", peaks.threads);
}

/// The same with -f: every pod followed (no more threads than without), each history line
/// once, then live lines.
#[test]
fn k8s_following_100_pods_takes_no_thread_each() {
    if !crate::util::require("/proc", std::path::Path::new("/proc/self/status").exists()) {
        return;
    }
    const PODS: usize = 100;
    const LINES: usize = 20;
    let (api, _dir, kubeconfig) = many_pods(PODS, LINES, 40);
    let spec = format!("k8s:{NS}/{SELECTOR}");
    let mut f = Following::start(zl_k8s(&kubeconfig).args([
        "-o",
        "json",
        "--max-log-requests",
        "100",
        "--worker",
        &spec,
        "tail",
        "-f",
        "-n",
        "100000",
    ]));
    let peaks = crate::util::sample_peaks(f.child.id());
    let deadline = Instant::now() + Duration::from_secs(60);
    while f.seen.len() < PODS * LINES {
        let left = deadline.saturating_duration_since(Instant::now());
        match f.rx.recv_timeout(left) {
            Ok(line) => f.seen.push(serde_json::from_str(&line).unwrap()),
            Err(_) => {
                let n = f.seen.iter().map(pod_line).collect::<Vec<_>>();
                let (_, stderr) = f.stop();
                panic!("{n:?} of {} history lines; {stderr}", PODS * LINES)
            }
        }
    }
    for p in [0, PODS / 2, PODS - 1] {
        let pod = format!("worker-{p:03}");
        let live = line(100, p as i64, &format!("p{p:03} n{LINES:03} live"));
        api.append(NS, &pod, "zisk-worker", &[live]);
        f.wait_for(&pod, &format!("p{p:03} n{LINES:03} live"));
    }
    let (events, stderr) = f.stop();
    let peaks = peaks.join().unwrap();
    eprintln!("following {PODS} pods: {peaks:?}");
    let mut got: Vec<(usize, usize)> = events.iter().map(pod_line).collect();
    got.sort();
    let mut want: Vec<(usize, usize)> = (0..PODS)
        .flat_map(|p| (0..LINES).map(move |n| (p, n)))
        .chain([0, PODS / 2, PODS - 1].map(|p| (p, LINES)))
        .collect();
    want.sort();
    assert!(got == want, "every line once; {stderr}");
    assert!(peaks.threads < 40, "{} threads", peaks.threads);
}
