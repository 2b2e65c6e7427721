//! Help: the committed man page is current and `man -l` shows every subcommand and option;
//! `--help` gives examples, exit codes, and a subcommand's own options apart from the global ones.

use std::process::Command;

use clap::CommandFactory;
use zisk_logs::cli::Cli;

use crate::util::{root, run, zl};

#[test]
fn the_man_page_is_current() {
    let r = run(zl().arg("man"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let committed = std::fs::read_to_string(root().join("doc/zisk-logs.1")).unwrap_or_default();
    assert!(
        committed == r.stdout,
        "doc/zisk-logs.1 is out of date: run scripts/gen-completions.sh"
    );
}

#[test]
fn man_shows_every_subcommand_and_option() {
    require_program!("man");
    let out = Command::new("man")
        .arg("-l")
        .arg(root().join("doc/zisk-logs.1"))
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "200")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("run man");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Plain text: no overstrike, ASCII hyphens.
    let raw = String::from_utf8_lossy(&out.stdout);
    let mut text = String::new();
    for c in raw.chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(if c == '‐' || c == '−' { '-' } else { c });
        }
    }
    let cli = Cli::command();
    let mut missing = Vec::new();
    for arg in cli.get_arguments() {
        if let Some(long) = arg.get_long() {
            if !text.contains(&format!("--{long}")) {
                missing.push(format!("--{long}"));
            }
        }
    }
    for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
        let section = format!("ZISK-LOGS {}", sub.get_name().to_uppercase());
        let Some(at) = text.find(&section) else {
            missing.push(section);
            continue;
        };
        let body = &text[at..];
        let body = &body[..body[section.len()..]
            .find("\nZISK-LOGS ")
            .map_or(body.len(), |e| e + section.len())];
        for arg in sub.get_arguments() {
            let shown = match (arg.get_long(), arg.get_value_names()) {
                (Some(long), _) => format!("--{long}"),
                (None, Some(names)) => format!("[{}]", names[0]),
                (None, None) => arg.get_id().to_string().to_uppercase(),
            };
            if !body.contains(&shown) && !body.contains(&shown.replace(['[', ']'], "")) {
                missing.push(format!("{section}: {shown}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not in the man page: {missing:?}\n{text}"
    );
    for part in ["EXIT STATUS", "Examples:", "ZISK_LOGS_PAGER"] {
        assert!(text.contains(part), "{part}");
    }
}

#[test]
fn help_has_examples_exit_codes_and_groups_global_options_apart() {
    let top = run(zl().arg("--help")).stdout;
    for part in [
        "Examples:",
        "Exit status:",
        "  2  usage error",
        "Global options:",
    ] {
        assert!(top.contains(part), "--help lacks {part:?}:\n{top}");
    }
    let tail = run(zl().args(["tail", "--help"])).stdout;
    let own = tail.find("\nOptions:").expect("its own options");
    let global = tail
        .find("\nGlobal options:")
        .expect("the global options, apart");
    assert!(own < global);
    assert!(tail[own..global].contains("--since") && !tail[own..global].contains("--config"));
    assert!(tail[global..].contains("--config") && tail[global..].contains("--no-pager"));
    assert!(tail.contains("Examples:"), "{tail}");
    assert!(
        tail.contains("default: all of them"),
        "tail says it prints everything"
    );
}
