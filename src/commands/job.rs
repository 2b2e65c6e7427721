//! `zisk-logs job <ID>`: one job's trail across the coordinator and the workers it named,
//! merged by time, with a summary (before the trail in pretty mode, last in NDJSON).

use std::io::Write;
use std::sync::Arc;

use crate::cli::JobArgs;
use crate::config::{parse_job_query, parse_level, parse_regex, Config, SourceSpec};
use crate::event::{Event, Phase, Role};
use crate::filter::Filter;
use crate::merge::Merged;
use crate::read;
use crate::render::{Format, Renderer};
use crate::report;
use crate::time::parse_age;
use crate::trail::collect;
use crate::trail::record::JobRecord;
use crate::trail::stitch::{self, Lookup, Plan};
use crate::trail::summary;
use crate::trail::Outcome;

pub fn run(config: &Config, args: &JobArgs, out: impl Write) -> Result<i32, String> {
    let query = parse_job_query(&args.id)?;
    let margin = parse_margin(&args.skew_margin)?;
    let narrow = Filter {
        level: args.level.as_deref().map(parse_level).transpose()?,
        phase: args.phase.as_deref().map(Phase::new),
        grep: args.grep.as_deref().map(parse_regex).transpose()?,
        ..Filter::default()
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
        let events = collect(plan.requests(config, coordinator, false));
        let events = plan.finish(events);
        print(
            config,
            &record,
            &plan,
            &events,
            &narrow,
            args,
            &mut renderer,
        )
    };
    match result.and_then(|_| renderer.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(0),
        Err(e) => report::problem("output", &e.to_string()),
    }
    Ok(report::exit_code(true, sources))
}

/// The coordinator's source: the trail starts there.
pub fn coordinator_of(config: &Config) -> Result<&SourceSpec, String> {
    config.sources.iter().find(|s| s.role == Some(Role::Coordinator)).ok_or_else(|| {
        "this command reads the coordinator's logs: pass --coordinator SOURCE or name it in a topology file (--config)".to_string()
    })
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

fn job_id_text(plan: &Plan) -> String {
    plan.job.id.display()
}

fn print<W: Write>(
    config: &Config,
    record: &JobRecord,
    plan: &Plan,
    events: &[Event],
    narrow: &Filter,
    args: &JobArgs,
    r: &mut Renderer<W>,
) -> std::io::Result<()> {
    let failed = report::failures();
    let workers = summary::worker_rows(
        &plan.workers,
        &|i| config.sources.get(i).map(|s| s.spec.clone()),
        &|i| plan.streams_in(i),
    );
    let summary = summary::build(record, job_id_text(plan), events, workers, &failed);
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
            let color = r.color() && r.format() == Format::Pretty;
            summary::write_pretty(
                &mut text,
                &summary,
                record,
                events,
                &plan.workers,
                &plan.searched,
                color,
            )?;
            r.text(&String::from_utf8_lossy(&text))?;
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
    let summary = summary::build(&record, job_id_text(plan), &kept, workers, &failed);
    if pretty {
        let mut text = Vec::new();
        summary::write_pretty(
            &mut text,
            &summary,
            &record,
            &kept,
            &plan.workers,
            &plan.searched,
            r.color() && r.format() == Format::Pretty,
        )?;
        r.text(&String::from_utf8_lossy(&text))
    } else if r.format() == Format::Json {
        r.json_value(&summary)
    } else {
        Ok(())
    }
}
