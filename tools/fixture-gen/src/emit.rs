//! Building one tracing `Dispatch` per (host, format) and emitting events with dynamic level,
//! target and optional structured fields through the real tracing macros.

use tracing::level_filters::LevelFilter;
use tracing::{Dispatch, Level};
use tracing_subscriber::fmt::MakeWriter;

use crate::clock::SimTimer;
use crate::zfmt::ZiskFormat;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Full,
    Compact,
    Pretty,
    Zisk,
    ZiskAnsi,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Full => "full",
            Format::Compact => "compact",
            Format::Pretty => "pretty",
            Format::Zisk => "zisk",
            Format::ZiskAnsi => "zisk-ansi",
        }
    }
    pub fn is_zisk(self) -> bool {
        matches!(self, Format::Zisk | Format::ZiskAnsi)
    }
    pub fn is_ansi(self) -> bool {
        self == Format::ZiskAnsi
    }
    /// tracing's own formats always print the target; the rank format only at `-v`.
    pub fn prints_target(self, show_target: bool) -> bool {
        !self.is_zisk() || show_target
    }
}

/// Event targets (tracing needs them `'static` at the call site, hence the enum).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    CoordCoordinator,
    CoordPool,
    CoordServer,
    Worker,
    WorkerNode,
    WorkerService,
    /// The crates of the real releases (v0.12 names them `zisk_distributed_*`).
    DistCoordinator,
    DistPool,
    DistWorker,
    DistWorkerNode,
    ClusterCoordinator,
    ClusterWorker,
    ClusterWorkerNode,
    Proofman,
    H2,
    Hyper,
    Tonic,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::CoordCoordinator => "zisk_coordinator::coordinator",
            Target::CoordPool => "zisk_coordinator::workers_pool",
            Target::CoordServer => "zisk_coordinator::coordinator_service",
            Target::Worker => "zisk_worker",
            Target::WorkerNode => "zisk_worker::worker_node",
            Target::WorkerService => "zisk_worker::worker_service",
            Target::DistCoordinator => "zisk_distributed_coordinator::coordinator",
            Target::DistPool => "zisk_distributed_coordinator::workers_pool",
            Target::DistWorker => "zisk_distributed_worker::worker",
            Target::DistWorkerNode => "zisk_distributed_worker::worker_node",
            Target::ClusterCoordinator => "zisk_coordinator::coordinator",
            Target::ClusterWorker => "zisk_worker::worker",
            Target::ClusterWorkerNode => "zisk_worker::worker_node",
            Target::Proofman => "proofman::proofman",
            Target::H2 => "h2::codec::framed_write",
            Target::Hyper => "hyper_util::client::legacy::pool",
            Target::Tonic => "tonic::transport::channel",
        }
    }
    pub fn is_worker(self) -> bool {
        !matches!(
            self,
            Target::CoordCoordinator
                | Target::CoordPool
                | Target::CoordServer
                | Target::DistCoordinator
                | Target::DistPool
                | Target::ClusterCoordinator
        )
    }
}

/// Builds the subscriber for one output of one host.
pub fn dispatch<W>(format: Format, writer: W, skew_us: i64, max: Level, show_target: bool) -> Dispatch
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let timer = SimTimer { skew_us };
    let max = LevelFilter::from_level(max);
    let b = tracing_subscriber::fmt().with_writer(writer).with_max_level(max).with_timer(timer).with_ansi(false);
    match format {
        Format::Json => Dispatch::new(b.json().with_current_span(true).with_span_list(true).finish()),
        Format::Full => Dispatch::new(b.finish()),
        Format::Compact => Dispatch::new(b.compact().finish()),
        Format::Pretty => Dispatch::new(b.pretty().finish()),
        Format::Zisk | Format::ZiskAnsi => Dispatch::new(
            b.event_format(ZiskFormat { skew_us, show_target, ansi: format == Format::ZiskAnsi }).finish(),
        ),
    }
}

/// How a "documented"-shape event carries its structured fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// No structured field at all (the documented fields "are often absent").
    Nothing,
    /// `job_id`, `worker_id`, `phase` as fields of the event.
    Fields,
    /// `job_id` on an enclosing `job` span; `worker_id`, `phase` on the event.
    JobSpan,
    /// `job{job_id}` > `phase{phase}` spans; `worker_id` on the event.
    JobPhaseSpans,
}

macro_rules! ev_lvl {
    ($tgt:expr, $lvl:expr, $job:expr, $wk:expr, $ph:expr, $msg:expr) => {{
        let (job, wk, ph) = (
            $job.map(tracing::field::display),
            $wk.map(tracing::field::display),
            $ph.map(tracing::field::display),
        );
        match $lvl {
            Level::ERROR => tracing::event!(target: $tgt, Level::ERROR, job_id = job, worker_id = wk, phase = ph, "{}", $msg),
            Level::WARN => tracing::event!(target: $tgt, Level::WARN, job_id = job, worker_id = wk, phase = ph, "{}", $msg),
            Level::INFO => tracing::event!(target: $tgt, Level::INFO, job_id = job, worker_id = wk, phase = ph, "{}", $msg),
            Level::DEBUG => tracing::event!(target: $tgt, Level::DEBUG, job_id = job, worker_id = wk, phase = ph, "{}", $msg),
            Level::TRACE => tracing::event!(target: $tgt, Level::TRACE, job_id = job, worker_id = wk, phase = ph, "{}", $msg),
        }
    }};
}

fn event(target: Target, level: Level, job: Option<&str>, wk: Option<&str>, ph: Option<&str>, msg: &str) {
    match target {
        Target::CoordCoordinator => {
            ev_lvl!("zisk_coordinator::coordinator", level, job, wk, ph, msg)
        }
        Target::CoordPool => ev_lvl!("zisk_coordinator::workers_pool", level, job, wk, ph, msg),
        Target::CoordServer => ev_lvl!("zisk_coordinator::coordinator_service", level, job, wk, ph, msg),
        Target::Worker => ev_lvl!("zisk_worker", level, job, wk, ph, msg),
        Target::WorkerNode => ev_lvl!("zisk_worker::worker_node", level, job, wk, ph, msg),
        Target::WorkerService => ev_lvl!("zisk_worker::worker_service", level, job, wk, ph, msg),
        Target::DistCoordinator => ev_lvl!("zisk_distributed_coordinator::coordinator", level, job, wk, ph, msg),
        Target::DistPool => ev_lvl!("zisk_distributed_coordinator::workers_pool", level, job, wk, ph, msg),
        Target::DistWorker => ev_lvl!("zisk_distributed_worker::worker", level, job, wk, ph, msg),
        Target::DistWorkerNode => ev_lvl!("zisk_distributed_worker::worker_node", level, job, wk, ph, msg),
        Target::ClusterCoordinator => {
            ev_lvl!("zisk_coordinator::coordinator", level, job, wk, ph, msg)
        }
        Target::ClusterWorker => ev_lvl!("zisk_worker::worker", level, job, wk, ph, msg),
        Target::ClusterWorkerNode => ev_lvl!("zisk_worker::worker_node", level, job, wk, ph, msg),
        Target::Proofman => ev_lvl!("proofman::proofman", level, job, wk, ph, msg),
        Target::H2 => ev_lvl!("h2::codec::framed_write", level, job, wk, ph, msg),
        Target::Hyper => ev_lvl!("hyper_util::client::legacy::pool", level, job, wk, ph, msg),
        Target::Tonic => ev_lvl!("tonic::transport::channel", level, job, wk, ph, msg),
    }
}

/// Emits one event into the current default dispatcher.
/// Fields not given (None) are simply not recorded by tracing.
pub fn emit(
    target: Target,
    level: Level,
    carrier: Carrier,
    job: Option<&str>,
    worker: Option<&str>,
    phase: Option<&str>,
    msg: &str,
) {
    let worker_side = target.is_worker();
    match (carrier, job) {
        (Carrier::Nothing, _) => event(target, level, None, None, None, msg),
        (Carrier::Fields, _) | (_, None) => event(target, level, job, worker, phase, msg),
        (Carrier::JobSpan, Some(j)) => {
            let span = if worker_side {
                tracing::info_span!(target: "zisk_worker::worker_service", "job", job_id = %j)
            } else {
                tracing::info_span!(target: "zisk_coordinator::coordinator", "job", job_id = %j)
            };
            let _g = span.enter();
            event(target, level, None, worker, phase, msg)
        }
        (Carrier::JobPhaseSpans, Some(_)) if phase.is_none() => {
            emit(target, level, Carrier::JobSpan, job, worker, phase, msg)
        }
        (Carrier::JobPhaseSpans, Some(j)) => {
            let span = if worker_side {
                tracing::info_span!(target: "zisk_worker::worker_service", "job", job_id = %j)
            } else {
                tracing::info_span!(target: "zisk_coordinator::coordinator", "job", job_id = %j)
            };
            let _g = span.enter();
            let ph = phase.map(tracing::field::display);
            let pspan = if worker_side {
                tracing::info_span!(target: "zisk_worker::worker_service", "phase", phase = ph)
            } else {
                tracing::info_span!(target: "zisk_coordinator::coordinator", "phase", phase = ph)
            };
            let _p = pspan.enter();
            event(target, level, None, worker, None, msg)
        }
    }
}
