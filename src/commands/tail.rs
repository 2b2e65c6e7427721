//! `zisk-logs tail`: filtered, merged, optionally live.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Arc;

use crate::cli::TailArgs;
use crate::config::{Config, SourceSpec};
use crate::merge::Merged;
use crate::parse::Keep;
use crate::read::{self, RoleSource};
use crate::render::{Format, Renderer};
use crate::report;
use crate::source::file::stdin_is_piped;
use crate::source::{file::FileSource, ReadRequest};
use crate::time::Timestamp;

/// With `-f` and no `-n`, show this many events of history first, as `tail -f` and `journalctl -f` do.
const FOLLOW_DEFAULT_LINES: usize = 10;

pub fn run(config: &Config, args: &TailArgs, out: impl Write) -> Result<i32, String> {
    let filter = args.filters.filter(Timestamp::now())?;
    let sources = sources_to_read(config, &args.paths)?;
    let last_n = args.lines.or(args.follow.then_some(FOLLOW_DEFAULT_LINES));
    let grep_literal = filter.job.as_ref().map(|j| j.literal());
    // A full ID the user typed names the job on lines that show it truncated; a prefix does not.
    let typed_job = filter
        .job
        .clone()
        .filter(|j| crate::derive::is_uuid(j.as_str()));
    // Only the JSON output shows an event's fields and target. Raw output shows the lines
    // themselves: the rest of an event is read only for the filters.
    let keep = match config.format {
        Format::Raw => Keep::Shown {
            ids: filter.job.is_some() || filter.worker.is_some(),
            message: filter.grep.is_some(),
        },
        Format::Compact | Format::Pretty | Format::Openmetrics => Keep::Shown {
            ids: true,
            message: true,
        },
        Format::Json => Keep::Everything,
    };
    let req = ReadRequest {
        since: filter.since,
        until: filter.until,
        follow: args.follow,
        // Each stream's last N lines hold the overall last N only when nothing is filtered out.
        tail_lines: if filter.is_empty() { last_n } else { None },
        grep_literal,
        prefilter: filter.prefilter(),
        keep,
        blank_lines: config.format == Format::Raw,
        select: Arc::new(move |e| filter.matches(e)),
    };
    let mut renderer =
        Renderer::new(out, config.format, config.color).escape_raw(config.raw_escaped);
    if let Some(job) = &typed_job {
        renderer.ids.learn(&crate::event::IdRef::full(job.as_str()));
    }
    let mut printed = false;
    let mut held: VecDeque<crate::event::Event> = VecDeque::new();
    let mut live = false;
    let mut write_failed = false;
    let count = read::read(sources, req, &mut |m| {
        let result = match m {
            Merged::Event(e) if !live && last_n.is_some() => {
                held.push_back(e);
                if held.len() > last_n.unwrap_or(0) {
                    held.pop_front();
                }
                Ok(())
            }
            Merged::Event(e) => {
                printed = true;
                renderer
                    .event(&e)
                    .and_then(|_| if live { renderer.flush() } else { Ok(()) })
            }
            Merged::CaughtUp => {
                live = true;
                printed |= !held.is_empty();
                held.drain(..)
                    .try_for_each(|e| renderer.event(&e))
                    .and_then(|_| renderer.flush())
            }
        };
        match result {
            Ok(()) => true,
            Err(e) => {
                // A closed pipe (`| head`) is a normal way to stop reading.
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    report::problem("output", &e.to_string());
                }
                write_failed = true;
                false
            }
        }
    });
    if !write_failed {
        let _ = renderer.flush();
    }
    Ok(report::exit_code(printed, count))
}

fn sources_to_read(config: &Config, paths: &[String]) -> Result<Vec<RoleSource>, String> {
    if !paths.is_empty() {
        let paths = read::once_each(paths.to_vec(), |p| read::source_key(p));
        return Ok(paths
            .iter()
            .map(|p| RoleSource {
                role: None,
                source: Box::new(FileSource::new(p, p)) as Box<dyn crate::source::Source>,
            })
            .collect());
    }
    if !config.sources.is_empty() {
        // One SOURCE as the coordinator's and a worker's would show each line twice here.
        let specs = read::once_each(config.sources.clone(), |s| read::source_key(&s.spec));
        return read::open_sources(&specs, &config.source_options);
    }
    if stdin_is_piped() {
        return read::open_sources(
            &[SourceSpec {
                spec: "-".into(),
                role: None,
            }],
            &config.source_options,
        );
    }
    Err("nothing to read: name files, pass --coordinator/--worker, use a topology file (--config), or pipe logs in".into())
}
