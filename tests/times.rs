//! Times as users type them and see them: journalctl's words and relative times, a range
//! that ends before it starts, `jobs --until`, and the zone (UTC unless `--local` or `TZ`).

use crate::util::{fixtures, ndjson, run, zl, Run};

fn jobs(args: &[&str], tz: Option<&str>) -> Run {
    let mut cmd = zl();
    cmd.arg("--config")
        .arg(fixtures().join("zisk-logs.toml"))
        .arg("jobs")
        .args(args);
    match tz {
        Some(tz) => cmd.env("TZ", tz),
        None => cmd.env_remove("TZ"),
    };
    run(&mut cmd)
}

fn ids(r: &Run) -> Vec<String> {
    ndjson(&r.stdout)
        .iter()
        .map(|j| j["job_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn relative_times_and_words_are_read_as_journalctl_reads_them() {
    // The fixtures are from 2026-11-21; every form below reaches back before them.
    let all = jobs(&["-o", "json"], None);
    assert_eq!(all.code, 0, "{}", all.stderr);
    for since in ["-3000d", "3000 days ago", "3000d", "72000h", "-1000d 1h30m"] {
        let r = jobs(&["-o", "json", "--since", since], None);
        assert_eq!(r.code, 0, "--since {since}: {}", r.stderr);
        assert_eq!(ids(&r), ids(&all), "--since {since}");
    }
    for since in ["now", "today", "+10m", "-1h"] {
        let r = jobs(&["-o", "json", "--since", since], None);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (1, ""),
            "--since {since}: {}",
            r.stderr
        );
    }
    let r = jobs(
        &["-o", "json", "--since", "yesterday", "--until", "tomorrow"],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = jobs(&["--since", "soon"], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--since: cannot read time \"soon\""),
        "{}",
        r.stderr
    );
}

#[test]
fn jobs_until_and_a_reversed_range() {
    let all = ids(&jobs(&["-o", "json"], None));
    let early = jobs(&["-o", "json", "--until", "2026-11-21 10:02:00"], None);
    assert_eq!(early.code, 0, "{}", early.stderr);
    let early = ids(&early);
    assert!(
        !early.is_empty() && early.len() < all.len(),
        "{early:?} of {all:?}"
    );
    let late = ids(&jobs(
        &["-o", "json", "--since", "2026-11-21 10:02:00"],
        None,
    ));
    assert_eq!(early.len() + late.len(), all.len());
    for cmd in [
        vec![
            "jobs",
            "--since",
            "2026-11-21 11:00",
            "--until",
            "2026-11-21 10:00",
        ],
        vec!["tail", "--since", "today", "--until", "yesterday"],
    ] {
        let r = run(zl()
            .arg("--config")
            .arg(fixtures().join("zisk-logs.toml"))
            .args(&cmd));
        assert_eq!(r.code, 2, "{cmd:?}");
        assert!(
            r.stderr.contains("is after --until"),
            "{cmd:?}: {}",
            r.stderr
        );
        assert_eq!(r.stdout, "");
    }
}

#[test]
fn times_show_year_and_zone_utc_unless_asked() {
    let utc = jobs(&["-o", "pretty", "--since", "2026-11-21 10:02"], None);
    assert!(
        utc.stdout.contains("2026-11-21 10:02:20 UTC"),
        "{}",
        utc.stdout
    );
    // TZ asks for the local zone: times shown there, and typed times read there.
    let tokyo = jobs(
        &["-o", "pretty", "--since", "2026-11-21 19:02"],
        Some("Asia/Tokyo"),
    );
    assert!(
        tokyo.stdout.contains("2026-11-21 19:02:20 JST"),
        "{}",
        tokyo.stdout
    );
    assert_eq!(tokyo.stdout.lines().count(), utc.stdout.lines().count());
    let r = run(zl()
        .env_remove("TZ")
        .args(["--local", "-o", "pretty", "tail", "-n", "1"])
        .arg(fixtures().join("clusters/json-message/coordinator.log")));
    assert!(r.stdout.starts_with("2026-11-21 "), "{}", r.stdout);
    let r = run(zl()
        .env("TZ", "Asia/Tokyo")
        .args(["-o", "pretty", "tail", "-n", "1"])
        .arg(fixtures().join("clusters/json-message/coordinator.log")));
    assert!(
        r.stdout.starts_with("2026-11-21 19:09:58.995+09:00"),
        "{}",
        r.stdout
    );
    // JSON stays RFC 3339 UTC whatever the zone shown.
    let json = jobs(
        &["-o", "json", "--since", "2026-11-21 19:02"],
        Some("Asia/Tokyo"),
    );
    assert!(ndjson(&json.stdout)[0]["started"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
}
