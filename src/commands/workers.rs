//! `zisk-logs workers`: every worker ID known (from banners, structured fields, the
//! coordinator's lines and the topology file), the source holding its logs, when it was first
//! and last seen, its registrations and disconnects, its jobs and its errors.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::cli::WorkersArgs;
use crate::config::Config;
use crate::escape::{column_width, pad, sanitize_line};
use crate::event::{Event, IdRef, Level, Role};
use crate::parse::Prefilter;
use crate::render::Format;
use crate::report;
use crate::source::Selector;
use crate::time::Timestamp;
use crate::trail::record::{better_id, id_key};
use crate::trail::streams::{same_worker, StreamIndex};
use crate::trail::{collect, of_role, request, scan, shared, take};

#[derive(Serialize)]
struct WorkerRow {
    kind: &'static str,
    worker_id: String,
    source: Option<String>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    registrations: usize,
    disconnects: usize,
    jobs: Vec<String>,
    errors: usize,
}

struct Worker {
    id: IdRef,
    sources: Vec<String>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    registrations: usize,
    disconnect_lines: usize,
    disconnected_lines: usize,
    jobs: Vec<IdRef>,
    errors: usize,
}

impl Worker {
    fn new(id: IdRef) -> Worker {
        Worker {
            id,
            sources: Vec::new(),
            first: None,
            last: None,
            registrations: 0,
            disconnect_lines: 0,
            disconnected_lines: 0,
            jobs: Vec::new(),
            errors: 0,
        }
    }
    fn seen(&mut self, t: Option<Timestamp>) {
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }
    fn job(&mut self, j: &IdRef) {
        match self
            .jobs
            .iter_mut()
            .find(|have| id_key(&have.text) == id_key(&j.text))
        {
            Some(have) => better_id(have, j),
            None => self.jobs.push(j.clone()),
        }
    }
}

fn find<'a>(list: &'a mut Vec<Worker>, id: &IdRef) -> &'a mut Worker {
    let i = match list.iter().position(|w| same_worker(&w.id, id)) {
        Some(i) => i,
        None => {
            list.push(Worker::new(id.clone()));
            list.len() - 1
        }
    };
    better_id(&mut list[i].id, id);
    &mut list[i]
}

pub fn run(config: &Config, _args: &WorkersArgs, mut out: impl Write) -> Result<i32, String> {
    let worker_specs = of_role(&config.sources, Role::Worker);
    let index: Arc<Mutex<StreamIndex>> = shared();
    {
        let index = index.clone();
        let look = Arc::new(move |source: usize, e: &Event| {
            index
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .observe(source, e, None)
        });
        scan(
            &worker_specs,
            &config.source_options,
            None,
            Prefilter::default(),
            look,
        );
    }
    let mut index = take(&index);
    for (i, spec) in &worker_specs {
        if let Some(id) = config.source_ids.get(&spec.spec) {
            index.set_topology_id(*i, id);
        }
    }
    let mut workers: Vec<Worker> = Vec::new();
    let streams_in = |i: usize| index.streams.iter().filter(|s| s.source == i).count();
    for s in &index.streams {
        for id in &s.ids {
            let w = find(&mut workers, id);
            let name = &config.sources[s.source].spec;
            let shown = if streams_in(s.source) > 1 {
                format!("{name} [{}]", s.label)
            } else {
                name.clone()
            };
            if !w.sources.contains(&shown) {
                w.sources.push(shown);
            }
            w.seen(s.first_seen);
            w.seen(s.last_seen);
            w.errors += s.errors;
            for j in &s.jobs {
                w.job(j);
            }
        }
    }
    for (i, spec) in &worker_specs {
        if let Some(id) = config.source_ids.get(&spec.spec) {
            if !index.streams.iter().any(|s| s.source == *i) {
                find(&mut workers, &IdRef::full(id.as_str()))
                    .sources
                    .push(spec.spec.clone());
            }
        }
    }
    let mut sources = worker_specs.len();
    if let Some(coordinator) = config
        .sources
        .iter()
        .find(|s| s.role == Some(Role::Coordinator))
    {
        sources += 1;
        let select: Selector = Arc::new(|e: &Event| e.worker_id.is_some());
        if let Ok(src) = crate::read::open_source(coordinator, &config.source_options) {
            for e in collect(vec![(
                src,
                request(None, None, None, Prefilter::default(), select),
            )]) {
                let Some(id) = &e.worker_id else { continue };
                let w = find(&mut workers, id);
                w.seen(e.ts);
                let m = e.message.as_str();
                if m.contains("Registered worker") || m.contains("Reconnected worker") {
                    w.registrations += 1;
                }
                if m.contains("Disconnected worker") {
                    w.disconnect_lines += 1;
                } else if m.contains(" disconnected") {
                    w.disconnected_lines += 1;
                }
                if e.level == Some(Level::Error) {
                    w.errors += 1;
                }
                if let Some(j) = &e.job_id {
                    w.job(j);
                }
            }
        }
    }
    let rows: Vec<WorkerRow> = workers
        .iter()
        .map(|w| WorkerRow {
            kind: "worker",
            worker_id: w.id.display(),
            source: (!w.sources.is_empty()).then(|| w.sources.join(", ")),
            first_seen: w.first.map(|t| t.to_string()),
            last_seen: w.last.map(|t| t.to_string()),
            registrations: w.registrations,
            // The coordinator logs a disconnect as two lines; count one of them.
            disconnects: w.disconnect_lines.max(w.disconnected_lines),
            jobs: w.jobs.iter().map(IdRef::display).collect(),
            errors: w.errors,
        })
        .collect();
    let result = if config.format == Format::Json {
        crate::render::write_ndjson(&mut out, &rows)
    } else {
        table(&mut out, &rows)
    };
    match result.and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            report::problem("output", &e.to_string())
        }
        _ => {}
    }
    if sources == 0 {
        return Err(
            "nothing to read: pass --coordinator/--worker or use a topology file (--config)".into(),
        );
    }
    Ok(report::exit_code(!rows.is_empty(), sources))
}

fn table(out: &mut dyn Write, rows: &[WorkerRow]) -> std::io::Result<()> {
    let ids: Vec<_> = rows.iter().map(|r| sanitize_line(&r.worker_id)).collect();
    let id_w = column_width(ids.iter().map(|id| id.as_ref()), 9);
    writeln!(
        out,
        "{}  {:<23}  {:<23}  {:>4}  {:>4}  {:>4}  {:>6}  SOURCE",
        pad("WORKER ID", id_w),
        "FIRST SEEN",
        "LAST SEEN",
        "REG",
        "DISC",
        "JOBS",
        "ERRORS"
    )?;
    for (r, id) in rows.iter().zip(&ids) {
        let t = |s: &Option<String>| {
            s.as_deref()
                .map(|s| s.get(..23).unwrap_or(s).to_string())
                .unwrap_or_else(|| "?".into())
        };
        writeln!(
            out,
            "{}  {:<23}  {:<23}  {:>4}  {:>4}  {:>4}  {:>6}  {}",
            pad(id, id_w),
            t(&r.first_seen),
            t(&r.last_seen),
            r.registrations,
            r.disconnects,
            r.jobs.len(),
            r.errors,
            r.source
                .as_deref()
                .map(sanitize_line)
                .unwrap_or("(logs not found)".into())
        )?;
    }
    Ok(())
}
