//! zisk-logs: parse arguments, build the configuration, run the command, exit with its code.

use std::io::BufWriter;

use clap::Parser;
use zisk_logs::cli::{Cli, Command};
use zisk_logs::{commands, escape, pager, progress, render, source, zone};

/// mimalloc: parsing allocates per event on one thread and frees on another, where glibc's
/// allocator spends a third of the time of a filtered read.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_huge_pages();
    zisk_logs::report::report_panics();
    let cli = Cli::parse();
    progress::enable_if_terminal();
    let result = run(cli);
    // The pager's input is closed (the output dropped) when `run` returns.
    pager::wait();
    let code = match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("zisk-logs: {}", render::sanitize(&message));
            2
        }
    };
    source::shutdown();
    std::process::exit(code);
}

/// Every reader thread gets its own allocator heap, and mimalloc asks for transparent huge
/// pages: the kernel then zeroes 2 MiB for a thread's first few events. Over a cluster of 65
/// files that zeroing was a sixth of a job's time; the heaps stay small, so nothing is lost.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE reads only its integer arguments.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn run(cli: Cli) -> Result<i32, String> {
    if let Command::Completions { shell } = &cli.command {
        // Needs no sources, so no topology file either.
        commands::completions::run(*shell, &mut std::io::stdout().lock())
            .map_err(|e| e.to_string())?;
        return Ok(0);
    }
    if let Command::Man = &cli.command {
        commands::man::run(&mut std::io::stdout().lock()).map_err(|e| e.to_string())?;
        return Ok(0);
    }
    zone::choose(cli.global.local);
    let config = cli.global.config()?;
    let pager = pager::Pager::choose(
        config.terminal.is_some(),
        cli.global.no_pager,
        follows(&cli.command),
    );
    if config.format == render::Format::Openmetrics && !matches!(cli.command, Command::Metrics(_)) {
        return Err("-o openmetrics is the output of the metrics command only".into());
    }
    let out = escape::Guard::new(
        BufWriter::with_capacity(64 * 1024, pager::Output::new(pager)),
        config.output_net(),
    );
    match &cli.command {
        Command::Tail(args) => commands::tail::run(&config, args, out),
        Command::Job(args) => commands::job::run(&config, args, out),
        Command::Jobs(args) => commands::jobs::run(&config, args, out),
        Command::Workers(args) => commands::workers::run(&config, args, out),
        Command::Metrics(args) => commands::metrics::run(&config, args, out),
        Command::Triage(args) => commands::triage::run(&config, args, out),
        Command::Doctor(args) => commands::doctor::run(&config, args, out),
        Command::Completions { .. } | Command::Man => unreachable!("handled above"),
    }
}

/// Does the command keep running as logs grow? Such output is never paged.
fn follows(command: &Command) -> bool {
    match command {
        Command::Tail(args) => args.follow,
        Command::Job(args) => args.follow,
        _ => false,
    }
}
