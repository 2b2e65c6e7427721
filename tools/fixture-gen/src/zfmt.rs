//! The ZisK coordinator/worker event formatter ("message-only" shape), re-implemented as a
//! `FormatEvent`: `<ts>Z [rank=N] <target> <LEVEL>: <message>`.
//!
//! * the timestamp is RFC 3339 UTC with 6 fractional digits (same text as tracing's default timer);
//! * `[rank=N] ` only for a worker that runs as several MPI processes;
//! * `<target> ` only at debug/trace verbosity;
//! * the level is printed plainly (`INFO`, `WARN`, ...: no padding);
//! * only the `message` field is printed; every other field and every span is dropped.
//!
//! With `ansi`, the timestamp is dimmed and the level coloured as a terminal would get it.

use std::cell::Cell;
use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::clock;

thread_local! {
    /// The MPI rank of the process emitting the current event (None: not an MPI worker).
    static RANK: Cell<Option<u32>> = const { Cell::new(None) };
}

pub fn set_rank(rank: Option<u32>) {
    RANK.with(|c| c.set(rank));
}

#[derive(Clone, Copy, Debug)]
pub struct ZiskFormat {
    pub skew_us: i64,
    pub show_target: bool,
    pub ansi: bool,
}

#[derive(Default)]
struct MessageOnly(String);

impl Visit for MessageOnly {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

pub fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARN",
        Level::INFO => "INFO",
        Level::DEBUG => "DEBUG",
        Level::TRACE => "TRACE",
    }
}

fn level_colour(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "\x1b[31m",
        Level::WARN => "\x1b[33m",
        Level::INFO => "\x1b[32m",
        Level::DEBUG => "\x1b[34m",
        Level::TRACE => "\x1b[35m",
    }
}

impl ZiskFormat {
    /// Writes one line; shared by the `FormatEvent` impl and the corpus fast path.
    pub fn write_line(
        &self,
        w: &mut impl fmt::Write,
        now_us: i64,
        rank: Option<u32>,
        target: &str,
        level: &Level,
        message: &str,
    ) -> fmt::Result {
        if self.ansi {
            w.write_str("\x1b[2m")?;
            clock::write_ts(w, now_us + self.skew_us + clock::extra())?;
            w.write_str("\x1b[0m ")?;
        } else {
            clock::write_ts(w, now_us + self.skew_us + clock::extra())?;
            w.write_char(' ')?;
        }
        if let Some(r) = rank {
            write!(w, "[rank={r}] ")?;
        }
        if self.show_target {
            w.write_str(target)?;
            w.write_char(' ')?;
        }
        if self.ansi {
            write!(w, "{}{}\x1b[0m: ", level_colour(level), level_name(level))?;
        } else {
            write!(w, "{}: ", level_name(level))?;
        }
        w.write_str(message)?;
        w.write_char('\n')
    }
}

impl<S, N> FormatEvent<S, N> for ZiskFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, _ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut msg = MessageOnly::default();
        event.record(&mut msg);
        let meta = event.metadata();
        let rank = RANK.with(|c| c.get());
        self.write_line(&mut writer, clock::now(), rank, meta.target(), meta.level(), &msg.0)
    }
}
