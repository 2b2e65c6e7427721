//! The terminal experience in a real terminal (a tmux pane): the pager, and output fitted to
//! the pane's width; in a pipe neither.

use std::time::Duration;

use crate::tmux::{Tmux, DONE};

const LIMIT: Duration = Duration::from_secs(30);

fn zl_line(args: &str) -> String {
    format!(
        "{:?} --config fixtures/zisk-logs.toml {args}",
        env!("CARGO_BIN_EXE_zisk-logs")
    )
}

#[test]
fn job_opens_in_the_pager_with_the_summary_on_top_and_q_returns() {
    require_program!("tmux");
    require_program!("less");
    let pane = Tmux::run(80, 24, &zl_line("job 7a3362a3"));
    // less's long prompt (LESS=FRSXMK) at the bottom: the pager holds the screen.
    pane.wait_for("the pager's prompt", LIMIT, |t| {
        t.lines().last().is_some_and(|l| l.contains("lines 1-23"))
    });
    let screen = pane.screen();
    assert!(
        screen[0].starts_with("job 7a3362a3-e380-4dca-80b3-dbfa48cc1e6e"),
        "the summary's first line is at the top: {screen:#?}"
    );
    assert!(
        screen.iter().any(|l| l.starts_with("  window ")),
        "{screen:#?}"
    );
    assert!(
        !pane.text().contains(DONE),
        "the command waits for the pager"
    );
    pane.keys("q");
    let (code, _) = pane.wait_done(LIMIT);
    assert_eq!(code, 0, "q returns, with the job's exit code");
}

#[test]
fn no_pager_in_a_pipe_with_no_pager_or_when_following() {
    require_program!("tmux");
    // A pager that would show itself (marks every line) without waiting.
    let marking = "ZISK_LOGS_PAGER='sed s/^/PAGED:/'; export ZISK_LOGS_PAGER; ";
    for command in [
        zl_line("--no-pager job 7a3362a3"),
        format!("{} | cat", zl_line("job 7a3362a3")),
        zl_line("-o pretty --no-pager jobs"),
    ] {
        let pane = Tmux::run(80, 24, &format!("{marking}{command}"));
        let (code, text) = pane.wait_done(LIMIT);
        assert_eq!(code, 0, "{command}: {text}");
        assert!(!text.contains("PAGED:"), "{command} ran a pager:\n{text}");
        assert!(text.contains("7a3362a3"), "{command}:\n{text}");
    }
    // `-f` streams: never paged; it runs until interrupted.
    let log = crate::util::cluster("json-message").join("coordinator.log");
    let pane = Tmux::run(
        80,
        24,
        &format!(
            "{marking}{:?} tail -f -n 3 -o compact {log:?}",
            env!("CARGO_BIN_EXE_zisk-logs")
        ),
    );
    let text = pane.wait_for("three lines", LIMIT, |t| t.lines().count() >= 3);
    assert!(!text.contains("PAGED:"), "tail -f ran a pager:\n{text}");
}

#[test]
fn the_pager_is_chosen_as_git_and_journalctl_choose_it() {
    require_program!("tmux");
    let cases = [
        // (settings, what the pager shows)
        (
            "ZISK_LOGS_PAGER='sed s/^/Z:/' PAGER='sed s/^/P:/'",
            "Z:job 7a3362a3",
        ),
        ("PAGER='sed s/^/P:/'", "P:job 7a3362a3"),
        (
            r#"PAGER='echo "LESS=$LESS"; cat >/dev/null'"#,
            "LESS=FRSXMK",
        ),
        (
            r#"LESS=R PAGER='echo "LESS=$LESS"; cat >/dev/null'"#,
            "LESS=R",
        ),
    ];
    for (settings, shown) in cases {
        let pane = Tmux::run(80, 24, &format!("{settings} {}", zl_line("job 7a3362a3")));
        let (code, text) = pane.wait_done(LIMIT);
        assert_eq!(code, 0, "{settings}: {text}");
        assert!(
            text.lines().any(|l| l.starts_with(shown)),
            "{settings}: expected a line {shown:?}:\n{text}"
        );
    }
    // An empty result starts no pager and prints nothing.
    let pane = Tmux::run(
        80,
        24,
        &format!("PAGER='sed s/^/P:/' {}", zl_line("jobs --since 2099-01-01")),
    );
    let (code, text) = pane.wait_done(LIMIT);
    assert_eq!(code, 1);
    assert!(!text.contains("P:"), "{text}");
}

#[test]
fn summary_timeline_and_tables_fit_60_80_and_120_columns() {
    require_program!("tmux");
    let commands = [
        "--no-pager job 7a3362a3 --summary-only",
        "--no-pager jobs",
        "--no-pager workers",
    ];
    for width in [60usize, 80, 120] {
        let line = commands
            .iter()
            .map(|c| zl_line(c))
            .collect::<Vec<_>>()
            .join("; ");
        let pane = Tmux::run(width as u16, 24, &line);
        let (_, text) = pane.wait_done(LIMIT);
        for header in ["job 7a3362a3", "  coordinator ", "JOB ID", "WORKER ID"] {
            assert!(text.contains(header), "{width}: no {header:?}:\n{text}");
        }
        for l in text.lines() {
            assert!(
                l.chars().count() <= width,
                "{width} columns: a line of {} columns:\n{l}",
                l.chars().count()
            );
        }
        // The timeline is drawn across the whole width, not a fixed one.
        let row = text
            .lines()
            .find(|l| l.starts_with("  coordinator "))
            .unwrap();
        assert_eq!(row.chars().count(), width, "{row}");
    }
}

#[test]
fn no_trunc_and_a_pipe_show_everything() {
    require_program!("tmux");
    let full = "f38b6922-da3f-4f55-a217-ac45f74e935b";
    for command in [
        zl_line("--no-pager --no-trunc workers"),
        format!("{} | cat", zl_line("workers")),
    ] {
        let pane = Tmux::run(60, 24, &command);
        let (_, text) = pane.wait_done(LIMIT);
        let row = text.lines().find(|l| l.starts_with(full));
        assert!(
            row.is_some_and(|r| r.contains("worker-02.log")),
            "{command}: the whole row, not fitted:\n{text}"
        );
    }
}
