//! Flag values as users type them: phases by name or tag with a clear error otherwise,
//! several outcomes in any case, a worker by the label the output shows, `jobs --sort` and
//! `-n`, a stable `workers` order, and nothing on stdout for an empty result.

use crate::util::{fixtures, ndjson, run, zl, Run};

fn zl_fixture(args: &[&str]) -> Run {
    run(zl()
        .arg("--config")
        .arg(fixtures().join("zisk-logs.toml"))
        .args(args))
}

fn json(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["-o", "json"];
    all.extend_from_slice(args);
    let r = zl_fixture(&all);
    assert!(r.code <= 1, "{args:?}: {}", r.stderr);
    ndjson(&r.stdout)
}

#[test]
fn phases_any_case_or_tag_and_unknown_ones_are_named() {
    let prove = json(&["tail", "--phase", "Prove"]);
    assert!(!prove.is_empty());
    assert_eq!(json(&["tail", "--phase", "PROVE"]), prove);
    assert_eq!(json(&["tail", "--phase", "phase2"]), prove);
    for bad in ["Banana", "Aggregation", "Phase4"] {
        let r = zl_fixture(&["tail", "--phase", bad]);
        assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{bad}");
        for name in [
            "Execution",
            "Contributions",
            "Prove",
            "Aggregate",
            "ContributionsInputsStream",
            "ContributionsHintsStream",
        ] {
            assert!(r.stderr.contains(name), "{bad}: {}", r.stderr);
        }
    }
    let r = zl_fixture(&["job", "7a3362a3", "--phase", "Banana"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn several_outcomes_in_any_case() {
    let outcomes = |rows: &[serde_json::Value]| -> Vec<String> {
        rows.iter()
            .map(|r| r["outcome"].as_str().unwrap().to_string())
            .collect()
    };
    let failed = json(&["jobs", "--outcome", "failed"]);
    let cancelled = json(&["jobs", "--outcome", "Cancelled"]);
    let both = json(&["jobs", "--outcome", "FAILED,cancelled"]);
    assert!(!failed.is_empty() && !cancelled.is_empty());
    assert_eq!(both.len(), failed.len() + cancelled.len());
    assert!(outcomes(&both)
        .iter()
        .all(|o| o == "failed" || o == "cancelled"));
    assert_eq!(
        json(&["jobs", "--outcome", "failed", "--outcome", "cancelled"]),
        both
    );
    let r = zl_fixture(&["jobs", "--outcome", "banana"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("possible values: completed, failed"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_worker_by_the_label_the_output_shows() {
    // worker-02's logs hold worker f38b6922.
    let by_label = json(&["jobs", "--worker-id", "worker-02"]);
    let by_id = json(&["jobs", "--worker-id", "f38b6922"]);
    assert!(!by_label.is_empty());
    assert_eq!(by_label, by_id);
    assert!(by_label.len() < json(&["jobs"]).len());
    let lines = json(&["tail", "--worker-id", "Worker-02"]);
    assert!(!lines.is_empty());
    for e in &lines {
        let of_it = e["source"] == "worker-02"
            || e["worker_id"]
                .as_str()
                .is_some_and(|w| w.starts_with("f38b6922"));
        assert!(of_it, "{e}");
    }
}

#[test]
fn jobs_sorted_and_cut_and_workers_in_a_stable_order() {
    let by_duration = json(&["jobs", "--sort", "duration"]);
    let durations: Vec<f64> = by_duration
        .iter()
        .filter_map(|r| r["duration_s"].as_f64())
        .collect();
    assert!(durations.windows(2).all(|w| w[0] <= w[1]), "{durations:?}");
    assert!(
        by_duration.last().unwrap()["duration_s"].is_null(),
        "running jobs last"
    );
    let last_two = json(&["jobs", "--sort", "duration", "-n", "2"]);
    assert_eq!(last_two, by_duration[by_duration.len() - 2..]);
    let recent = json(&["jobs", "-n", "1"]);
    assert_eq!(
        recent,
        json(&["jobs"])
            .last()
            .cloned()
            .into_iter()
            .collect::<Vec<_>>()
    );
    let workers = zl_fixture(&["workers"]).stdout;
    for _ in 0..3 {
        assert_eq!(zl_fixture(&["workers"]).stdout, workers);
    }
}

#[test]
fn an_empty_result_prints_nothing_on_stdout() {
    for args in [
        vec!["jobs", "--outcome", "unknown"],
        vec!["-o", "pretty", "jobs", "--since", "2099-01-01"],
        vec!["-o", "json", "jobs", "--since", "2099-01-01"],
    ] {
        let r = zl_fixture(&args);
        assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{args:?}");
    }
}

/// The SGR code written just before `word` on some line.
fn colour_before(text: &str, word: &str) -> Option<String> {
    let at = text.find(&format!("m{word}"))?;
    let start = text[..at].rfind("\x1b[")?;
    Some(text[start + 2..at].to_string())
}

#[test]
fn color_always_is_honoured_in_a_pipe_and_sources_keep_apart() {
    for args in [
        vec!["tail", "-n", "200"],
        vec!["-o", "pretty", "tail", "-n", "200"],
        vec!["jobs"],
        vec!["job", "7a3362a3", "--summary-only"],
    ] {
        let mut with = vec!["--color", "always"];
        with.extend_from_slice(&args);
        let r = zl_fixture(&with);
        assert!(r.stdout.contains('\x1b'), "{args:?}: no colour");
        assert!(
            !zl_fixture(&args).stdout.contains('\x1b'),
            "{args:?}: colour in a pipe by default"
        );
    }
    let r = zl_fixture(&["--color", "always", "tail", "-n", "400"]);
    let level_codes = ["31", "32", "33", "34", "35", "1", "0", "39"];
    let mut seen = Vec::new();
    for source in [
        "coordinator",
        "worker-01",
        "worker-02",
        "worker-03",
        "worker-04",
    ] {
        let code =
            colour_before(&r.stdout, source).unwrap_or_else(|| panic!("{source} uncoloured"));
        assert!(
            !level_codes.contains(&code.as_str()),
            "{source} has a level's colour {code}"
        );
        assert!(!seen.contains(&code), "{source} shares colour {code}");
        seen.push(code);
    }
    let json = zl_fixture(&["--color", "always", "-o", "json", "jobs"]);
    assert!(!json.stdout.contains('\x1b'));
    ndjson(&json.stdout);
}

/// The table rows' keys, in order, as docs/SCHEMA.md gives them (a change there bumps the
/// row's `schema` and this list together).
#[test]
fn job_and_worker_rows_have_exactly_the_documented_keys() {
    let keys = |row: &serde_json::Value| -> Vec<String> {
        row.as_object().unwrap().keys().cloned().collect()
    };
    let jobs = json(&["jobs"]);
    assert!(!jobs.is_empty());
    for row in &jobs {
        assert_eq!(
            keys(row),
            [
                "kind",
                "schema",
                "job_id",
                "job_kind",
                "started",
                "ended",
                "duration_s",
                "outcome",
                "reason",
                "workers",
                "worker_count"
            ]
        );
        assert_eq!((&row["kind"], &row["schema"]), (&"job".into(), &2.into()));
    }
    let workers = json(&["workers"]);
    assert!(!workers.is_empty());
    for row in &workers {
        assert_eq!(
            keys(row),
            [
                "kind",
                "schema",
                "worker_id",
                "source",
                "first_seen",
                "last_seen",
                "registrations",
                "disconnects",
                "jobs",
                "errors",
                "clock_offset_ms",
                "clock_offset_uncertainty_ms"
            ]
        );
        assert_eq!(
            (&row["kind"], &row["schema"]),
            (&"worker".into(), &2.into())
        );
    }
}
