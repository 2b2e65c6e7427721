//! `zisk-logs job <ID>`: one job's trail across the coordinator and the workers it named,
//! merged by time, with a summary (before the trail in pretty mode, last in NDJSON).

use std::io::Write;
use std::sync::Arc;

use crate::cli::{Align, JobArgs};
use crate::clock::{self, Clock};
use crate::config::{parse_job_query, parse_level, parse_phase, Config, SourceSpec};
use crate::event::{Event, Role};
use crate::filter::Filter;
use crate::merge::Merged;
use crate::read;
use crate::render::{Format, Renderer};
use crate::report;
use crate::time::parse_age;
use crate::trail::history::coordinator_of;
use crate::trail::record::JobRecord;
use crate::trail::stitch::{self, Lookup, Plan};
use crate::trail::summary;
use crate::trail::Outcome;
use crate::trail::{clocks, collect};

pub fn run(config: &Config, args: &JobArgs, out: impl Write) -> Result<i32, String> {
    let query = parse_job_query(&args.id)?;
    let margin = parse_margin(args.skew_margin.as_deref().unwrap_or(DEFAULT_MARGIN))?;
    let narrow = Filter {
        level: args.level.as_deref().map(parse_level).transpose()?,
        phase: args.phase.as_deref().map(parse_phase).transpose()?,
        ..args.patterns.filter()?
    };
    let coordinator = coordinator_of(config)?;
    let record = match stitch::find_job(config, coordinator, &query)? {
        Lookup::Found(r) => *r,
        Lookup::NotFound => {
            if report::failed_sources() > 0 {
                return Ok(2);
            }
            report::notice(&format!(
                "no job {} in the coordinator's logs ({})",
                args.id, coordinator.spec
            ));
            return Ok(1);
        }
        Lookup::Ambiguous(jobs) => return Err(ambiguous(&args.id, &jobs)),
    };
    let mut plan = stitch::plan(config, &record, margin);
    stitch::resolve_unfound(config, coordinator, &mut plan);
    let sources = 1 + plan.worker_sources.len();
    let mut renderer =
        Renderer::new(out, config.format, config.color).escape_raw(config.raw_escaped);
    let follow = args.follow && record.outcome() == Outcome::Running;
    let result = if follow {
        follow_job(
            config,
            coordinator,
            record,
            &mut plan,
            &narrow,
            args,
            &mut renderer,
        )
    } else {
        let trail = read_trail(config, coordinator, &mut plan, args);
        print(config, &record, &plan, &trail, &narrow, args, &mut renderer)
    };
    match result.and_then(|_| renderer.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
        Err(e) => report::problem("output", &e.to_string()),
    }
    Ok(report::exit_code(true, sources))
}

/// The worker windows' margin when `--skew-margin` is not given.
const DEFAULT_MARGIN: &str = "30s";

/// Step 3, in true order: the trail read, each worker's clock estimated from its pairs in it;
/// a worker found off by more than a second (or not found at all) has its window moved and
/// the trail is read again (at most twice; never with `--skew-margin` given); then every
/// line gets its host's offset and the trail is merged by aligned time.
fn read_trail(config: &Config, coordinator: &SourceSpec, plan: &mut Plan, args: &JobArgs) -> Trail {
    plan.pair_others = args.align != Align::Off;
    let mut events = plan.finish(collect(plan.requests(config, coordinator, false)));
    if args.align == Align::Off {
        return Trail {
            events,
            clock: None,
        };
    }
    let mut clock = Clock::estimate(events.iter().chain(&plan.other_steps()));
    for _ in 0..2 {
        if args.skew_margin.is_some() || !plan.reposition(&clock, &events) {
            break;
        }
        events = plan.finish(collect(plan.requests(config, coordinator, false)));
        clock = Clock::estimate(events.iter().chain(&plan.other_steps()));
    }
    clock.apply(&mut events);
    Trail {
        events: clock::order(events),
        clock: Some(clock),
    }
}

/// The trail read, in the order printed, and the clocks it was aligned by (None: `--align off`).
struct Trail {
    events: Vec<Event>,
    clock: Option<Clock>,
}

/// `--skew-margin`: an age like `30s`, `500ms`, `2m` (or `0`).
fn parse_margin(s: &str) -> Result<i64, String> {
    if s.trim() == "0" {
        return Ok(0);
    }
    parse_age(s.trim()).ok_or_else(|| {
        format!("--skew-margin: expected a duration like 30s, 500ms or 2m, found {s:?}")
    })
}

fn ambiguous(id: &str, jobs: &[JobRecord]) -> String {
    let mut msg = format!(
        "job ID {id:?} matches {} jobs; give more of the ID:",
        jobs.len()
    );
    for j in jobs {
        let start = j
            .start()
            .map(|t| t.to_string())
            .unwrap_or_else(|| "?".into());
        msg.push_str(&format!(
            "\n  {}  started {start}  {}",
            j.id.display(),
            format!("{:?}", j.outcome()).to_lowercase()
        ));
    }
    msg
}

/// The job's ID as the summary gives it: in full where a line shows it, else as logged.
fn job_id_text(plan: &Plan) -> String {
    crate::trail::streams::json_id(&plan.job.id)
}

fn print<W: Write>(
    config: &Config,
    record: &JobRecord,
    plan: &Plan,
    trail: &Trail,
    narrow: &Filter,
    args: &JobArgs,
    r: &mut Renderer<W>,
) -> std::io::Result<()> {
    let failed = report::failures();
    let mut workers = summary::worker_rows(
        &plan.workers,
        &|i| config.sources.get(i).map(|s| s.spec.clone()),
        &|i| plan.streams_in(i),
    );
    let events = &trail.events;
    let findings = trail
        .clock
        .as_ref()
        .map(|c| clocks::report(c, &plan.workers, &mut workers));
    let mut summary = summary::build(
        record,
        job_id_text(plan),
        events,
        &plan.workers,
        workers,
        &failed,
    );
    summary.aligned = findings.is_some();
    summary.findings.extend(findings.unwrap_or_default());
    r.ids.learn(&plan.job.id);
    let shown = || events.iter().filter(|e| narrow.matches(e));
    match r.format() {
        Format::Json => {
            if !args.summary_only {
                for e in shown() {
                    r.event(e)?;
                }
            }
            r.json_value(&summary)
        }
        Format::Raw => {
            for e in shown() {
                r.event(e)?;
            }
            Ok(())
        }
        Format::Pretty | Format::Compact | Format::Openmetrics => {
            let mut text = Vec::new();
            let color = r.color();
            summary::write_pretty(
                &mut text,
                &summary,
                record,
                events,
                &plan.workers,
                &plan.searched,
                summary::Look {
                    color,
                    width: config.draw_width(),
                },
            )?;
            let text = String::from_utf8_lossy(&text);
            r.text(&crate::fit::cut_lines(&text, config.fit_width()))?;
            if !args.summary_only {
                for e in shown() {
                    r.event(e)?;
                }
            }
            Ok(())
        }
    }
}

/// `--follow` on a running job: prints the trail as it grows and stops when the coordinator
/// logs the job's end, then prints the summary.
fn follow_job<W: Write>(
    config: &Config,
    coordinator: &SourceSpec,
    mut record: JobRecord,
    plan: &mut Plan,
    narrow: &Filter,
    args: &JobArgs,
    r: &mut Renderer<W>,
) -> std::io::Result<()> {
    let pretty = matches!(r.format(), Format::Pretty | Format::Compact);
    if pretty {
        let start = record
            .start()
            .map(|t| t.to_string())
            .unwrap_or_else(|| "?".into());
        r.text(&format!(
            "following job {} (running since {start}); the summary follows when it ends\n",
            plan.job.id.display()
        ))?;
    }
    let requests = plan
        .requests(config, coordinator, true)
        .into_iter()
        .map(|(s, q)| (s, Arc::new(q)))
        .collect();
    let tied = plan.tied_labels();
    let mut kept: Vec<Event> = Vec::new();
    let mut write_error = None;
    read::read_each(requests, true, &mut |m| {
        let Merged::Event(mut e) = m else { return true };
        let named = plan.job.matches_event(&e);
        if e.role == Some(Role::Worker) && !named && !tied.contains_key(&e.source) {
            return true;
        }
        if e.role == Some(Role::Worker) && e.worker_id.is_none() {
            e.worker_id = tied.get(&e.source).cloned();
        }
        e.context = !named;
        if let (true, Some(id)) = (named, &e.job_id) {
            crate::trail::record::better_id(&mut plan.job.id, id);
        }
        if named && e.role == Some(Role::Coordinator) {
            record.observe(&e);
        }
        if !args.summary_only && narrow.matches(&e) {
            if let Err(err) = r.event(&e).and_then(|_| r.flush()) {
                write_error = Some(err);
                return false;
            }
        }
        kept.push(e);
        record.outcome.is_none()
    });
    if let Some(e) = write_error {
        return Err(e);
    }
    let failed = report::failures();
    let workers = summary::worker_rows(
        &plan.workers,
        &|i| config.sources.get(i).map(|s| s.spec.clone()),
        &|i| plan.streams_in(i),
    );
    let summary = summary::build(
        &record,
        job_id_text(plan),
        &kept,
        &plan.workers,
        workers,
        &failed,
    );
    if pretty {
        let mut text = Vec::new();
        summary::write_pretty(
            &mut text,
            &summary,
            &record,
            &kept,
            &plan.workers,
            &plan.searched,
            summary::Look {
                color: r.color(),
                width: config.draw_width(),
            },
        )?;
        let text = String::from_utf8_lossy(&text);
        r.text(&crate::fit::cut_lines(&text, config.fit_width()))
    } else if r.format() == Format::Json {
        r.json_value(&summary)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Align, Cli, Command};

    fn job_args(args: &[&str]) -> crate::cli::JobArgs {
        let mut all = vec!["zisk-logs", "job", "abcd1234"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).expect("parses").command {
            Command::Job(a) => a,
            _ => panic!("not job"),
        }
    }

    #[test]
    fn align_defaults_to_auto_and_the_margin_to_none() {
        let a = job_args(&[]);
        assert_eq!(a.align, Align::Auto);
        assert_eq!(a.skew_margin, None);
        let a = job_args(&["--align", "off", "--skew-margin", "2m"]);
        assert_eq!(a.align, Align::Off);
        assert_eq!(a.skew_margin.as_deref(), Some("2m"));
        assert!(Cli::try_parse_from(["zisk-logs", "job", "abcd1234", "--align", "never"]).is_err());
    }
}
