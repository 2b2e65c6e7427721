//! `zisk-logs man`: the manual page, generated with clap_mangen from the CLI definition: the
//! command and its global options, then every subcommand with its own options, then the
//! examples, exit status and environment.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_mangen::Man;

use crate::cli::Cli;

pub fn run(out: &mut impl Write) -> io::Result<()> {
    let cmd = Cli::command();
    let man = Man::new(cmd.clone()).manual("zisk-logs manual");
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    man.render_subcommands_section(&mut page)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("zisk-logs {}", sub.get_name());
        // Its own options only: the global ones are above.
        let sub = sub.clone().bin_name(name.clone());
        let sub = Man::new(sub);
        writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
        let mut sections = Vec::new();
        sub.render_synopsis_section(&mut sections)?;
        sub.render_description_section(&mut sections)?;
        sub.render_options_section(&mut sections)?;
        if sub_has_after_help(&cmd, &name) {
            sub.render_extra_section(&mut sections)?;
        }
        page.extend_from_slice(&as_subsections(&String::from_utf8_lossy(&sections)).into_bytes());
    }
    man.render_extra_section(&mut page)?;
    man.render_version_section(&mut page)?;
    out.write_all(retitle(&String::from_utf8_lossy(&page), &cmd).as_bytes())?;
    out.flush()
}

/// One page, not one per subcommand: the list points at the sections below; clap_mangen's
/// "EXTRA" says what it holds.
fn retitle(page: &str, cmd: &clap::Command) -> String {
    let mut page = page.replace(".SS EXTRA\n", ".SS EXAMPLES\n").replace(
        ".SH EXTRA\n",
        ".SH \"EXAMPLES, EXIT STATUS, ENVIRONMENT\"\n",
    );
    for sub in cmd.get_subcommands() {
        let name = sub.get_name().replace('-', "\\-");
        page = page.replace(
            &format!("zisk\\-logs\\-{name}(1)"),
            &format!("zisk\\-logs {name}"),
        );
    }
    page
}

fn sub_has_after_help(cmd: &clap::Command, name: &str) -> bool {
    let short = name.trim_start_matches("zisk-logs ");
    cmd.find_subcommand(short)
        .is_some_and(|s| s.get_after_help().is_some() || s.get_after_long_help().is_some())
}

/// A subcommand's sections become subsections of its own section.
fn as_subsections(roff: &str) -> String {
    roff.lines()
        .map(|l| match l.strip_prefix(".SH ") {
            Some(title) => format!(".SS {title}\n"),
            None => format!("{l}\n"),
        })
        .collect()
}
