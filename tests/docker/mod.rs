//! `compose:` and `docker:` sources against the real Docker Engine: images built `FROM scratch`
//! (busybox-static plus fixture logs), a Compose project with a TTY coordinator and three
//! worker replicas, history compared with the fixture files, follow across scale-up and
//! restarts, and the failure messages. Everything a test creates is removed by a guard.

use std::time::Duration;

use serde_json::Value;

use crate::util::{cluster, ndjson, require, run, zl};

mod lab;

use lab::*;

#[test]
fn docker_compose_cluster_history_follow_and_errors() {
    let Some(compose) = prerequisites() else {
        return;
    };
    let mut lab = Lab::new();
    let project = lab.up(compose, 3);
    let coordinator = lab.service_containers("coordinator");
    let workers = lab.service_containers("worker");
    assert_eq!((coordinator.len(), workers.len()), (1, 3));
    let dir = cluster(CLUSTER);
    wait_logged(&coordinator[0], line_count(&dir.join("coordinator.log")));
    for w in &workers {
        wait_logged(
            w,
            line_count(&dir.join("worker-01.log")).min(line_count(&dir.join("worker-03.log"))),
        );
    }

    // History through compose: the same events as the files, each replica its own stream.
    let files = file_events(&[
        "coordinator.log",
        "worker-01.log",
        "worker-02.log",
        "worker-03.log",
        "worker-04.log",
    ]);
    let (csrc, wsrc) = (
        format!("compose:{project}/coordinator"),
        format!("compose:{project}/worker"),
    );
    let r = run(zl().args([
        "-o",
        "json",
        "--coordinator",
        &csrc,
        "--worker",
        &wsrc,
        "tail",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = by_source(&ndjson(&r.stdout));
    assert_eq!(
        got.keys().cloned().collect::<Vec<_>>(),
        [coordinator.clone(), workers.clone()].concat()
    );
    let pairs = match_files(&got, &files);
    for (container, events) in &got {
        assert_same_events(container, events, &files[pairs[container]]);
    }
    assert_eq!(pairs[&coordinator[0]], "coordinator");
    let mut claimed: Vec<&str> = workers.iter().map(|w| pairs[w]).collect();
    claimed.sort();
    assert_eq!(claimed, ["worker-01", "worker-02", "worker-03"]);
    assert!(ndjson(&r.stdout)
        .iter()
        .all(|e| e["role"].is_string() && e["fields"]["container"] == e["source"]));

    // docker:NAME, and compose:SERVICE with the project from COMPOSE_PROJECT_NAME.
    let r = run(zl()
        .args(["-o", "json", "tail", "-n", "5"])
        .args(["--worker", &format!("docker:{}", workers[1])]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let file = &files[pairs[&workers[1]]];
    assert_same_events(&workers[1], &ndjson(&r.stdout), &file[file.len() - 5..]);
    let r = run(zl().env("COMPOSE_PROJECT_NAME", &project).args([
        "-o",
        "json",
        "--worker",
        "compose:worker",
        "tail",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(by_source(&ndjson(&r.stdout)).len(), 3);

    // Failures: one clear line naming the source; the other sources go on (exit 3), or
    // nothing could be read (exit 2).
    let r = run(zl().args([
        "-o",
        "json",
        "--coordinator",
        &format!("compose:{project}/nosuch"),
        "--worker",
        &wsrc,
        "tail",
    ]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "compose:{project}/nosuch: Compose project \"{project}\" has no service \"nosuch\""
        )),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("coordinator, worker"), "{}", r.stderr);
    assert_eq!(by_source(&ndjson(&r.stdout)).len(), 3);
    let missing = format!("{}-missing", lab.tag);
    let r = run(zl().args([
        "--worker",
        &format!("docker:{missing}"),
        "--coordinator",
        &format!("compose:{missing}/coordinator"),
        "tail",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "docker:{missing}: no such container \"{missing}\""
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!(
            "compose:{missing}/coordinator: no containers of Compose project \"{missing}\""
        )),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);

    // Follow: history, then a replica added by scaling up and two restarted containers (one
    // with a TTY), each line once; Ctrl-C ends it.
    let mut f = Follower::start(&[
        "-o",
        "json",
        "--coordinator",
        &csrc,
        "--worker",
        &wsrc,
        "tail",
        "-f",
        "-n",
        "100000",
    ]);
    let initial: usize = got.values().map(Vec::len).sum();
    f.wait_for("history", |seen| seen.len() >= initial);
    lab.compose_run(&["up", "-d", "--scale", "worker=4", "--no-recreate"]);
    let added = lab
        .service_containers("worker")
        .into_iter()
        .find(|w| !workers.contains(w))
        .expect("a fourth worker");
    let expected_new = files["worker-04"].len();
    f.wait_for("the new replica's lines", |seen| {
        count_from(seen, &added) >= expected_new
    });
    docker_ok(&["restart", "-t", "1", &workers[0]]);
    docker_ok(&["restart", "-t", "1", &coordinator[0]]);
    let restarted = [workers[0].clone(), coordinator[0].clone()];
    f.wait_for("the restart lines", |seen| {
        restarted.iter().all(|c| {
            seen.iter()
                .any(|e| e["source"] == **c && is_restart_line(e))
        })
    });
    std::thread::sleep(Duration::from_millis(1500)); // room for any line that would come twice
    let (seen, stderr) = f.interrupt();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(&format!("following new container {added}")),
        "{stderr}"
    );
    let seen = by_source(&seen);
    for (container, events) in &seen {
        let file = if *container == added {
            "worker-04"
        } else {
            pairs[container]
        };
        let (restart, mut lines): (Vec<Value>, Vec<Value>) =
            events.iter().cloned().partition(is_restart_line);
        // Live events are ordered by time within the merge window, where a banner carries
        // the engine's (later) time: compare in the files' order.
        let mut want = files[file].clone();
        let by_raw = |a: &Value, b: &Value| a["raw"].as_str().cmp(&b["raw"].as_str());
        lines.sort_by(by_raw);
        want.sort_by(by_raw);
        assert_same_events(container, &lines, &want);
        let expected = if restarted.contains(container) {
            vec!["restarted run 2"]
        } else {
            vec![]
        };
        assert_eq!(
            restart
                .iter()
                .map(|e| e["message"].as_str().unwrap())
                .collect::<Vec<_>>(),
            expected,
            "{container}"
        );
    }
    assert_eq!(seen.len(), 5);
}

#[test]
fn docker_tty_ansi_and_long_lines() {
    if prerequisites().is_none() {
        return;
    }
    let lab = Lab::new();
    let (plain, tty, ansi) = (
        format!("{}-plain", lab.tag),
        format!("{}-tty", lab.tag),
        format!("{}-ansi", lab.tag),
    );
    lab.run(&plain, false, "long");
    lab.run(&tty, true, "long");
    lab.run(&ansi, true, "/logs/ansi/coordinator.log");
    for c in [&plain, &tty] {
        wait_logged(c, 5);
    }
    wait_logged(
        &ansi,
        line_count(&cluster("zisk-ansi").join("coordinator.log")),
    );

    // A 40 000-byte line arrives as 16 KiB partial messages, with and without a TTY.
    for (c, stderr_field) in [(&plain, true), (&tty, false)] {
        let r = run(zl().args(["-o", "json", "--worker", &format!("docker:{c}"), "tail"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let events = ndjson(&r.stdout);
        let mut raws: Vec<&str> = events.iter().map(|e| e["raw"].as_str().unwrap()).collect();
        raws.sort();
        let long = "x".repeat(40000);
        let mut want = vec![
            "before the long line",
            long.as_str(),
            "to stderr",
            "\u{1b}[32mgreen\u{1b}[0m after",
            "hostile \u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J JobId(\u{1b}]0;x\u{7}) c1 \u{9b}2J",
        ];
        want.sort();
        assert_eq!(raws, want, "{c}");
        let err = events.iter().find(|e| e["raw"] == "to stderr").unwrap();
        assert_eq!(err["fields"]["stream"] == "stderr", stderr_field, "{c}");
        assert!(
            events.iter().any(|e| e["message"] == "green after"),
            "{c}: ANSI not stripped from the message"
        );
        // Issue 20, defect 1: Docker-origin text reaches no terminal raw, in any text mode.
        for mode in ["compact", "pretty"] {
            let r = run(zl().args(["-o", mode, "--worker", &format!("docker:{c}"), "tail"]));
            assert_eq!(r.code, 0, "{}", r.stderr);
            let line = r
                .stdout
                .lines()
                .find(|l| l.contains("hostile"))
                .unwrap_or("");
            // The message has its escape sequences removed; the C1 CSI is shown, escaped.
            assert!(
                line.ends_with(r"JobId() c1 \u{9b}2J"),
                "{c} {mode}: {line:?}"
            );
            for bad in ["\u{1b}]", "\u{1b}[2J", "\u{7}", "\u{9b}"] {
                assert!(
                    !r.stdout.contains(bad),
                    "{c} {mode}: raw {bad:?} in {line:?}"
                );
            }
        }
    }

    // A TTY container printing ANSI-coloured tracing: the same events as the file.
    let direct = run(zl()
        .args(["-o", "json", "tail"])
        .arg(cluster("zisk-ansi").join("coordinator.log")));
    let r = run(zl().args([
        "-o",
        "json",
        "--coordinator",
        &format!("docker:{ansi}"),
        "tail",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_same_events(&ansi, &ndjson(&r.stdout), &ndjson(&direct.stdout));
}

#[test]
fn docker_missing_engine_is_one_clear_line() {
    let file = cluster(CLUSTER).join("coordinator.log");
    if !require("fixture clusters", file.exists()) {
        return;
    }
    let r = run(zl()
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args([
            "-o",
            "json",
            "--worker",
            "compose:zisk/worker",
            "--coordinator",
        ])
        .arg(&file)
        .arg("tail"));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        r.stderr.trim(),
        "zisk-logs: compose:zisk/worker: no Docker engine: the socket /nonexistent/docker.sock does not exist (is the daemon running? is DOCKER_HOST right?)"
    );
    assert!(!ndjson(&r.stdout).is_empty());
}

/// Issue 20, defect 10: many containers followed at once are read by tasks on the shared
/// runtime, not a thread each; every line arrives once, in its container's order.
#[test]
fn docker_following_30_containers_takes_no_thread_each() {
    if prerequisites().is_none()
        || !require("/proc", std::path::Path::new("/proc/self/status").exists())
    {
        return;
    }
    const CONTAINERS: usize = 30;
    let lab = Lab::new();
    let names: Vec<String> = (0..CONTAINERS)
        .map(|i| format!("{}-count{i:02}", lab.tag))
        .collect();
    std::thread::scope(|s| {
        for chunk in names.chunks(CONTAINERS / 5) {
            let lab = &lab;
            s.spawn(move || chunk.iter().for_each(|c| lab.run(c, false, "count")));
        }
    });
    for c in &names {
        wait_logged(c, 200);
    }
    let sources: Vec<String> = names.iter().map(|c| format!("docker:{c}")).collect();
    let mut args = vec!["-o", "json"];
    for s in &sources {
        args.extend(["--worker", s]);
    }
    args.extend(["tail", "-f", "-n", "100000"]);
    let mut f = Follower::start(&args);
    let peaks = crate::util::sample_peaks(f.child.id());
    f.wait_for("every container's lines", |seen| {
        seen.len() >= CONTAINERS * 200
    });
    let (seen, stderr) = f.interrupt();
    let peaks = peaks.join().unwrap();
    eprintln!("following {CONTAINERS} containers: {peaks:?}");
    let got = by_source(&seen);
    let want: Vec<String> = (1..=200).map(|n| format!("line {n}")).collect();
    assert_eq!(got.len(), CONTAINERS, "{stderr}");
    for (c, events) in &got {
        let lines: Vec<&str> = events.iter().map(|e| e["raw"].as_str().unwrap()).collect();
        assert_eq!(lines, want, "{c}");
    }
    assert!(peaks.threads < 20, "{} threads", peaks.threads);
}
