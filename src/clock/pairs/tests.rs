//! Pairs matched by job, worker and step; answers told apart by time.

use super::*;

pub fn event(
    role: Role,
    source: &str,
    ts: i64,
    msg: &str,
    job: &str,
    worker: Option<&str>,
) -> Event {
    Event {
        job_id: Some(IdRef::truncated(job)),
        worker_id: worker.map(IdRef::truncated),
        role: Some(role),
        raw: Vec::new(),
        release: true,
        ..Event::test_line(source, Some(Timestamp(ts)), msg)
    }
}

#[test]
fn pairs_match_by_job_worker_and_step_not_by_position() {
    let c = Role::Coordinator;
    let w = Role::Worker;
    let mut book = PairBook::default();
    // Two jobs interleaved; worker b is 1 s ahead.
    for e in [
        event(
            c,
            "coord",
            1_000,
            "[Phase2] Started with 2 workers for JobId(aaaaaaaa…)",
            "aaaaaaaa",
            None,
        ),
        event(
            c,
            "coord",
            2_000,
            "[Phase2] Started with 1 workers for JobId(bbbbbbbb…)",
            "bbbbbbbb",
            None,
        ),
        event(
            w,
            "b",
            1_002_500,
            "Computing Prove for JobId(bbbbbbbb…)",
            "bbbbbbbb",
            Some("wb"),
        ),
        event(
            w,
            "b",
            1_003_000,
            "Computing Prove for JobId(aaaaaaaa…)",
            "aaaaaaaa",
            Some("wb"),
        ),
        event(
            w,
            "b",
            1_009_000,
            "Prove computation successful for JobId(aaaaaaaa…)",
            "aaaaaaaa",
            Some("wb"),
        ),
        event(
            c,
            "coord",
            9_500,
            "[Phase2] wa finished phase 2 for JobId(aaaaaaaa…)",
            "aaaaaaaa",
            Some("wa"),
        ),
        event(
            c,
            "coord",
            10_000,
            "[Phase2] wb finished phase 2 for JobId(aaaaaaaa…)",
            "aaaaaaaa",
            Some("wb"),
        ),
    ] {
        book.observe(&e);
    }
    let pairs = book.pairs();
    let b = &pairs[&Arc::<str>::from("b")];
    let bounds: Vec<(i64, bool)> = b.iter().map(|p| (p.bound_us(), p.forward)).collect();
    // The line about job b pairs with job b's dispatch, whatever its position; the
    // answer pairs with wb's receipt, not wa's.
    assert!(bounds.contains(&(1_000_500, true)), "{bounds:?}");
    assert!(bounds.contains(&(1_002_000, true)), "{bounds:?}");
    assert!(bounds.contains(&(999_000, false)), "{bounds:?}");
    assert_eq!(bounds.len(), 3);
}

#[test]
fn answers_of_workers_printed_alike_are_told_apart_by_time() {
    let c = Role::Coordinator;
    let w = Role::Worker;
    let mut book = PairBook::default();
    let job = "aaaaaaaa";
    // Two hosts whose IDs print as `gpu-node…`, 100 ms and -50 ms off; x finishes 5 s
    // before y; the coordinator's answers cannot say which is which.
    let mut x = event(w, "x", 0, "   Worker ID gpu-node", job, Some("gpu-node"));
    x.ts = None;
    let mut y = event(w, "y", 0, "   Worker ID gpu-node", job, Some("gpu-node"));
    y.ts = None;
    let lines = [
        x,
        y,
        event(
            c,
            "coord",
            1_000_000,
            "[Phase2] Started with 2 workers for JobId(aaaaaaaa…)",
            job,
            None,
        ),
        event(
            w,
            "x",
            1_110_000,
            "Computing Prove for JobId(aaaaaaaa…)",
            job,
            None,
        ),
        event(
            w,
            "y",
            970_000,
            "Computing Prove for JobId(aaaaaaaa…)",
            job,
            None,
        ),
        event(
            w,
            "x",
            10_100_000,
            "Prove computation successful for JobId(aaaaaaaa…)",
            job,
            None,
        ),
        event(
            c,
            "coord",
            10_008_000,
            "[Phase2] WorkerId(gpu-node…) finished phase 2 for JobId(aaaaaaaa…)",
            job,
            Some("gpu-node"),
        ),
        event(
            w,
            "y",
            14_950_000,
            "Prove computation successful for JobId(aaaaaaaa…)",
            job,
            None,
        ),
        event(
            c,
            "coord",
            15_006_000,
            "[Phase2] WorkerId(gpu-node…) finished phase 2 for JobId(aaaaaaaa…)",
            job,
            Some("gpu-node"),
        ),
    ];
    for e in &lines {
        book.observe(e);
    }
    let pairs = book.pairs();
    let backward = |s: &str| -> Vec<i64> {
        pairs[&Arc::<str>::from(s)]
            .iter()
            .filter(|p| !p.forward)
            .map(Pair::bound_us)
            .collect()
    };
    // Each answer bounds its own host's offset from below: x ≥ 92 ms, y ≥ -56 ms.
    assert_eq!(backward("x"), vec![92_000]);
    assert_eq!(backward("y"), vec![-56_000]);
}

#[test]
fn anonymous_progress_lines_pair_when_every_answer_is_read() {
    let c = Role::Coordinator;
    let w = Role::Worker;
    let job = "bbbbbbbb";
    let mut book = PairBook::default();
    for e in [
        event(
            c,
            "coord",
            1_000_000,
            "[Phase1 started] JobId(bbbbbbbb) with 2 workers",
            job,
            None,
        ),
        event(
            w,
            "x",
            1_020_000,
            "Computing Contribution for JobId(bbbbbbbb)",
            job,
            None,
        ),
        event(
            w,
            "y",
            1_030_000,
            "Computing Contribution for JobId(bbbbbbbb)",
            job,
            None,
        ),
        event(
            w,
            "x",
            5_000_000,
            "Contribution computation successful for JobId(bbbbbbbb)",
            job,
            None,
        ),
        event(
            c,
            "coord",
            5_010_000,
            "[Phase1 progress] JobId(bbbbbbbb) with 1/2 workers completed",
            job,
            None,
        ),
        event(
            w,
            "y",
            9_000_000,
            "Contribution computation successful for JobId(bbbbbbbb)",
            job,
            None,
        ),
        event(
            c,
            "coord",
            9_007_000,
            "[Phase1 progress] JobId(bbbbbbbb) with 2/2 workers completed",
            job,
            None,
        ),
    ] {
        book.observe(&e);
    }
    let pairs = book.pairs();
    let bounds = |s: &str| -> Vec<(i64, bool)> {
        pairs[&Arc::<str>::from(s)]
            .iter()
            .map(|p| (p.bound_us(), p.forward))
            .collect()
    };
    assert_eq!(bounds("x"), vec![(20_000, true), (-10_000, false)]);
    assert_eq!(bounds("y"), vec![(30_000, true), (-7_000, false)]);
}
