//! `zisk-logs tail`: filtered, merged, optionally live.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cli::{Align, TailArgs};
use crate::clock::aligned_key;
use crate::clock::hold::{Holder, HOLD_MAX_US};
use crate::clock::live::{Live, DEFAULT_CAP};
use crate::config::{Config, SourceSpec};
use crate::event::{Event, Role};
use crate::filter::Filter;
use crate::merge::Merged;
use crate::parse::Keep;
use crate::read::{self, RoleSource};
use crate::render::{Format, Renderer};
use crate::report;
use crate::source::file::stdin_is_piped;
use crate::source::{file::FileSource, ReadRequest};
use crate::time::{parse_age, Timestamp};

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
            message: filter.has_patterns(),
        },
        Format::Compact | Format::Pretty | Format::Openmetrics => Keep::Shown { message: true },
        Format::Json => Keep::Json,
    };
    let around = Around::new(args, &filter)?;
    // With -A/-B/-C the patterns are applied after the merge, so the lines around are there.
    let select = if around.is_some() {
        filter.without_patterns()
    } else {
        filter.clone()
    };
    let aligned = aligning(config, args);
    // Aligned, --since/--until mean the same instant on every host: a worker's offset is not
    // known before its lines (and the coordinator's about the same steps) are read, so the
    // sources are read wider and the window is applied to aligned times after the merge.
    let widen = aligned && (filter.since.is_some() || filter.until.is_some());
    let request = |select: Filter| ReadRequest {
        since: select.since,
        until: select.until,
        follow: args.follow,
        // Each stream's last N lines hold the overall last N only when nothing is filtered out.
        tail_lines: if filter.is_empty() { last_n } else { None },
        grep_literal: grep_literal.clone(),
        prefilter: select.prefilter(),
        keep,
        blank_lines: config.format == Format::Raw,
        select: Arc::new(move |e| select.matches(e)),
    };
    let req = Arc::new(request(if widen { widened(&select) } else { select }));
    let requests = sources.into_iter().map(|s| (s, req.clone())).collect();
    let in_window = |e: &Event| {
        let t = aligned_key(e);
        !widen || filter.since.is_none_or(|s| t >= s) && filter.until.is_none_or(|u| t <= u)
    };
    let mut renderer =
        Renderer::new(out, config.format, config.color).escape_raw(config.raw_escaped);
    renderer.highlight(filter.grep.clone().filter(|_| !filter.invert));
    if let Some(job) = &typed_job {
        renderer.ids.learn(&crate::event::IdRef::full(job.as_str()));
    }
    let mut around = around;
    let mut printed = false;
    let mut held: VecDeque<(Event, bool)> = VecDeque::new();
    let mut live = false;
    let mut write_failed = false;
    let mut holder = aligned.then(Holder::default);
    let cap = hold_cap(args)?;
    let mut following: Option<Live> = None;
    // `late`: a live line that came after lines aligned later than itself were printed.
    let mut handle = |m: Merged, late: bool| {
        if write_failed {
            return false;
        }
        let result = match m {
            Merged::Idle => Ok(()),
            Merged::CaughtUp => {
                live = true;
                printed |= !held.is_empty();
                held.drain(..)
                    .try_for_each(|(e, a)| renderer.event_around(&e, a))
                    .and_then(|_| renderer.flush())
            }
            Merged::Event(e) => {
                let shown = match &mut around {
                    Some(a) => a.take(e, &filter),
                    None => smallvec::smallvec![(e, false)],
                };
                let mut result = Ok(());
                for (e, is_around) in shown {
                    if !live && last_n.is_some() {
                        held.push_back((e, is_around));
                        if held.len() > last_n.unwrap_or(0) {
                            held.pop_front();
                        }
                        continue;
                    }
                    printed = true;
                    result = renderer.event_marked(&e, is_around, late).and_then(|_| {
                        if live {
                            renderer.flush()
                        } else {
                            Ok(())
                        }
                    });
                    if result.is_err() {
                        break;
                    }
                }
                result
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
    };
    let count = read::read_each(requests, args.follow, &mut |m| match m {
        Merged::Event(e) => match (holder.as_mut(), following.as_mut()) {
            (Some(h), _) => h.push(e, &mut |e| {
                !in_window(&e) || handle(Merged::Event(e), false)
            }),
            (None, Some(l)) => l.push(e, Instant::now(), &mut |e, late| {
                !in_window(&e) || handle(Merged::Event(e), late)
            }),
            (None, None) => handle(Merged::Event(e), false),
        },
        Merged::Idle => following.as_mut().is_none_or(|l| {
            l.tick(Instant::now(), &mut |e, late| {
                !in_window(&e) || handle(Merged::Event(e), late)
            })
        }),
        // The history held back goes out; live lines are held back by the hold (or, with
        // alignment off, keep their logged order).
        Merged::CaughtUp => {
            let done = holder.take().is_none_or(|mut h| {
                let ok = h.finish(&mut |e| !in_window(&e) || handle(Merged::Event(e), false));
                following = Some(h.live(cap));
                ok
            });
            done && handle(Merged::CaughtUp, false)
        }
    });
    if let Some(mut l) = following.take() {
        l.finish(&mut |e, late| !in_window(&e) || handle(Merged::Event(e), late));
    }
    if !write_failed {
        let _ = renderer.flush();
    }
    Ok(report::exit_code(printed, count))
}

/// The lines one event brings out, each marked whether it is only around a match: inline,
/// since without -A/-B/-C it is always the one event (a `Vec` was an allocation per line).
type Shown = smallvec::SmallVec<[(Event, bool); 1]>;

/// `-A/-B/-C`: the lines before and after each line the patterns select, over the merged
/// stream (the other filters still apply to them), as grep shows context.
struct Around {
    before: usize,
    after: usize,
    waiting: VecDeque<Event>,
    left: usize,
}

impl Around {
    fn new(args: &TailArgs, filter: &Filter) -> Result<Option<Around>, String> {
        let before = args.before.or(args.context).unwrap_or(0);
        let after = args.after.or(args.context).unwrap_or(0);
        if before == 0 && after == 0 {
            return Ok(None);
        }
        if !filter.has_patterns() {
            return Err(
                "-A/-B/-C show the lines around those -g or --exclude select: give a pattern"
                    .into(),
            );
        }
        Ok(Some(Around {
            before,
            after,
            waiting: VecDeque::new(),
            left: 0,
        }))
    }

    /// The lines to show now for this one, each marked whether it is only around a match.
    fn take(&mut self, e: Event, filter: &Filter) -> Shown {
        if filter.matches_patterns(&e) {
            let mut shown: Shown = self.waiting.drain(..).map(|w| (w, true)).collect();
            shown.push((e, false));
            self.left = self.after;
            shown
        } else if self.left > 0 {
            self.left -= 1;
            smallvec::smallvec![(e, true)]
        } else {
            self.waiting.push_back(e);
            if self.waiting.len() > self.before {
                self.waiting.pop_front();
            }
            Shown::new()
        }
    }
}

/// The selection with its time window widened by the most a worker is waited for
/// ([`HOLD_MAX_US`]): a worker that far off is read where its clock puts the window.
fn widened(select: &Filter) -> Filter {
    let by = |t: Option<Timestamp>, us: i64| t.map(|t| Timestamp(t.0.saturating_add(us)));
    Filter {
        since: by(select.since, -HOLD_MAX_US),
        until: by(select.until, HOLD_MAX_US),
        ..select.clone()
    }
}

/// `--align-hold`: the most a live line waits for lines of other hosts aligned before it.
fn hold_cap(args: &TailArgs) -> Result<Duration, String> {
    let Some(s) = args.align_hold.as_deref() else {
        return Ok(DEFAULT_CAP);
    };
    let us = if s.trim() == "0" {
        Some(0)
    } else {
        parse_age(s.trim())
    };
    us.map(|us| Duration::from_micros(us.max(0) as u64))
        .ok_or_else(|| {
            format!("--align-hold: expected a duration like 2s, 500ms or 1m, found {s:?}")
        })
}

/// Aligns clocks when asked and when there is something to align: a coordinator source (its
/// clock is the reference) and a worker source. Says so when workers come without a coordinator.
fn aligning(config: &Config, args: &TailArgs) -> bool {
    if args.align == Align::Off || !args.paths.is_empty() {
        return false;
    }
    let has = |role| config.sources.iter().any(|s| s.role == Some(role));
    match (has(Role::Coordinator), has(Role::Worker)) {
        (true, true) => true,
        (false, true) => {
            // Said to a person; in a script `ts_aligned` being null says it.
            if std::io::stderr().is_terminal() {
                report::notice(
                    "no coordinator source: worker clocks are not aligned (lines in logged-time order)",
                );
            }
            false
        }
        _ => false,
    }
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Align, Cli, Command};

    #[test]
    fn align_parses_on_tail() {
        let align = |args: &[&str]| {
            let mut all = vec!["zisk-logs", "tail"];
            all.extend_from_slice(args);
            match Cli::try_parse_from(all).map(|c| c.command) {
                Ok(Command::Tail(a)) => Some(a.align),
                _ => None,
            }
        };
        assert_eq!(align(&[]), Some(Align::Auto));
        assert_eq!(align(&["--align", "off"]), Some(Align::Off));
        assert_eq!(align(&["--align", "maybe"]), None);
    }

    #[test]
    fn align_hold_takes_a_duration() {
        let cap = |args: &[&str]| {
            let mut all = vec!["zisk-logs", "tail"];
            all.extend_from_slice(args);
            match Cli::try_parse_from(all).map(|c| c.command) {
                Ok(Command::Tail(a)) => super::hold_cap(&a),
                _ => Err("no parse".into()),
            }
        };
        use std::time::Duration;
        assert_eq!(cap(&[]), Ok(super::DEFAULT_CAP));
        assert_eq!(
            cap(&["--align-hold", "500ms"]),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(cap(&["--align-hold", "0"]), Ok(Duration::ZERO));
        assert!(cap(&["--align-hold", "soon"])
            .unwrap_err()
            .contains("--align-hold"));
    }
}
