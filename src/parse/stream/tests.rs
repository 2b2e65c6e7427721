//! The stream parser on lines as the formats and releases write them.

use super::*;
use crate::event::Level;

fn parse_all(lines: &[&str]) -> Vec<Event> {
    let mut p = StreamParser::new(
        Arc::from("w1"),
        Some(Role::Worker),
        Some(Arc::from("w1.log")),
        Prefilter::default(),
    );
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        p.push(l.as_bytes(), i as u64 + 1, Envelope::default(), &mut |e| {
            out.push(e)
        });
    }
    p.flush(&mut |e| out.push(e));
    out
}

#[test]
fn caused_by_lines_join_their_event_and_a_new_banner_does_not() {
    let ev = parse_all(&[
        "ZisK Worker v0.18.0",
        "   Worker ID WorkerId(gpu-node…)",
        "2026-11-21T10:03:01.941166Z ERROR: Failed to generate proof for JobId(fb8cc697…): witness failed",
        "",
        "Caused by:",
        "    0: allocating the Mem trace buffer",
        "2026-11-21T10:03:01.943166Z INFO: Received SIGTERM, shutting down gracefully",
        "",
        "ZisK Worker v0.18.0",
        "   Worker ID WorkerId(gpu-node…)",
        "WARN: untimed but levelled",
    ]);
    let messages: Vec<&str> = ev.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages[2],
        "Failed to generate proof for JobId(fb8cc697…): witness failed\n\nCaused by:\n    0: allocating the Mem trace buffer"
    );
    assert_eq!(ev[2].raw.split(|&b| b == b'\n').count(), 4);
    assert_eq!(ev[2].level, Some(Level::Error));
    assert_eq!(messages[3], "Received SIGTERM, shutting down gracefully");
    assert_eq!(
        &messages[4..6],
        ["ZisK Worker v0.18.0", "   Worker ID WorkerId(gpu-node…)"]
    );
    assert_eq!((ev[6].level, ev[6].ts), (Some(Level::Warn), None));
    // The banner's `WorkerId(gpu-node…)` is the worker's 8 characters, unwrapped.
    assert_eq!(ev[2].worker_id, Some(IdRef::truncated("gpu-node")));
}

#[test]
fn banner_sets_worker_and_orders_before_first_event() {
    let ev = parse_all(&[
        "ZisK Worker v0.15.0",
        "   Worker ID 9f8e7d6c-1111-4111-8111-111111111111",
        "2026-11-21T10:00:00.000001Z INFO: Computing Prove for JobId(1a2b3c4d…)",
    ]);
    assert_eq!(ev.len(), 3);
    assert_eq!(ev[0].level, None);
    assert_eq!(ev[0].sort_ts, ev[2].sort_ts);
    assert_eq!(
        &*ev[2].worker_id.as_ref().unwrap().text,
        "9f8e7d6c-1111-4111-8111-111111111111"
    );
    assert_eq!(ev[2].job_id, Some(IdRef::truncated("1a2b3c4d")));
    assert_eq!(ev[2].origin.as_ref().unwrap().line, 3);
}

#[test]
fn banner_stamped_by_the_backend_still_names_the_worker_above_it() {
    let mut p = StreamParser::new(
        Arc::from("c"),
        Some(Role::Worker),
        None,
        Prefilter::default(),
    );
    let mut ev = Vec::new();
    let stamped = |us| Envelope {
        ts: Some(Timestamp(us)),
        ..Envelope::default()
    };
    for (i, l) in [
        "ZisK Worker v0.15.0",
        "   Worker ID w-1",
        "2026-11-21T10:00:00.000001Z INFO: up",
    ]
    .iter()
    .enumerate()
    {
        p.push(
            l.as_bytes(),
            i as u64 + 1,
            stamped(9_000_000_000_000_000),
            &mut |e| ev.push(e),
        );
    }
    p.flush(&mut |e| ev.push(e));
    assert_eq!(ev.len(), 3);
    assert!(ev
        .iter()
        .all(|e| e.worker_id.as_ref().is_some_and(|w| &*w.text == "w-1")));
    assert_eq!(ev[0].ts, Some(Timestamp(9_000_000_000_000_000)));
    assert_eq!(ev[0].sort_ts, ev[2].sort_ts);
}

#[test]
fn pretty_lines_join_and_formats_switch() {
    let ev = parse_all(&[
        "  2026-11-21T10:00:00.000001Z  WARN zisk_worker: slow, n: 1",
        "    at src/a.rs:1 on main",
        "    in zisk_worker::job with job_id: \"abc\"",
        "",
        "2026-11-21T10:00:01.000001Z  INFO zisk_worker: next",
        "{\"timestamp\":\"2026-11-21T10:00:02Z\",\"level\":\"ERROR\",\"fields\":{\"message\":\"json now\"}}",
        "thread 'main' panicked at src/x.rs:1:1:",
    ]);
    assert_eq!(ev.len(), 4);
    assert_eq!(ev[0].raw.split(|&b| b == b'\n').count(), 3);
    assert_eq!(ev[0].job_id, Some(IdRef::full("abc")));
    assert_eq!(ev[1].message, "next");
    assert_eq!(ev[2].level, Some(Level::Error));
    assert_eq!(ev[3].level, None);
    assert_eq!(ev[3].sort_ts, ev[2].ts.unwrap());
}

#[test]
fn ansi_is_removed_from_the_message_but_kept_raw() {
    let ev = parse_all(&[
        "\x1b[2m2026-11-21T10:00:00.000001Z\x1b[0m \x1b[32mINFO\x1b[0m: \x1b[32mdone ✔\x1b[0m",
    ]);
    assert_eq!(ev[0].message, "done ✔");
    assert!(ev[0].raw.contains(&0x1b));
}
