//! `zisk-logs completions SHELL`: the shell completion script, generated from the CLI
//! definition, with two faults of clap_complete's scripts repaired: bash past the subcommand
//! (a hyphenated binary name), fish for a global option's value before the subcommand.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

const BIN: &str = "zisk-logs";

pub fn run(shell: Shell, out: &mut impl Write) -> std::io::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    let script = String::from_utf8_lossy(&script);
    let script = match shell {
        Shell::Bash => repair_bash(&script),
        Shell::Fish => repair_fish(&script),
        _ => script.into_owned(),
    };
    out.write_all(script.as_bytes())?;
    out.flush()
}

/// clap_complete's bash script tracks the subcommand typed in a state spelled
/// `zisk__logs__subcmd__tail`, but labels its case arms `zisk__subcmd__logs__subcmd__tail`
/// (the bin name's hyphen escaped as a subcommand separator), so nothing completes past the
/// subcommand (clap-rs/clap#6421). The arms are spelled as the state is.
fn repair_bash(script: &str) -> String {
    let wrong = BIN.replace('-', "__subcmd__");
    let right = BIN.replace('-', "__");
    script.replace(&format!("{wrong}__subcmd__"), &format!("{right}__subcmd__"))
}

/// fish's script decides "no subcommand yet" by parsing the line's options with `argparse`,
/// which fails on a global option still waiting for its value (`zisk-logs --color <TAB>`),
/// and then offers nothing. An unparsable line has no subcommand yet.
fn repair_fish(script: &str) -> String {
    script.replace(
        "-- $cmd 2>/dev/null\n    or return\n",
        "-- $cmd 2>/dev/null\n    or return 0\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_case_arms_are_spelled_as_the_state_they_match() {
        let mut out = Vec::new();
        run(Shell::Bash, &mut out).unwrap();
        let script = String::from_utf8(out).unwrap();
        assert!(!script.contains("zisk__subcmd__logs"));
        // The state set for `tail` has an arm of its own.
        assert!(script.contains("cmd=\"zisk__logs__subcmd__tail\""));
        assert!(script.contains("\n        zisk__logs__subcmd__tail)\n"));
    }

    #[test]
    fn fish_offers_global_option_values_before_the_subcommand() {
        let mut out = Vec::new();
        run(Shell::Fish, &mut out).unwrap();
        let script = String::from_utf8(out).unwrap();
        assert!(
            script.contains("2>/dev/null\n    or return 0\n"),
            "{script}"
        );
    }
}
