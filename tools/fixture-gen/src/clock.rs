//! The simulated clock and a `FormatTime` that prints it exactly like tracing-subscriber's
//! default `SystemTime` timer: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (RFC 3339, UTC, microseconds).

use std::cell::Cell;
use std::fmt;

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

thread_local! {
    /// Simulated "true" time, microseconds since the Unix epoch.
    static NOW_US: Cell<i64> = const { Cell::new(0) };
}

/// 2026-11-21T10:00:00Z
pub const START_US: i64 = 1_795_255_200 * 1_000_000;

thread_local! {
    /// What the emitting host's clock adds to its constant skew now (drift, a step); 0 unless
    /// a cluster plans one.
    static EXTRA_US: Cell<i64> = const { Cell::new(0) };
}

pub fn set_extra(us: i64) {
    EXTRA_US.with(|c| c.set(us));
}

pub fn extra() -> i64 {
    EXTRA_US.with(|c| c.get())
}

pub fn set_now(us: i64) {
    NOW_US.with(|c| c.set(us));
}

pub fn now() -> i64 {
    NOW_US.with(|c| c.get())
}

/// Howard Hinnant's days-from-civil inverse.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Writes `us` (microseconds since epoch) the way tracing-subscriber's `DateTime` Display does.
pub fn write_ts(out: &mut impl fmt::Write, us: i64) -> fmt::Result {
    let secs = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    write!(out, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", y, m, d, sod / 3600, (sod / 60) % 60, sod % 60, micros)
}

/// Howard Hinnant's days-from-civil.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads back what `fmt_ts` writes.
pub fn parse_ts(s: &str) -> Option<i64> {
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let days = days_from_civil(n(0..4)?, n(5..7)?, n(8..10)?);
    let secs = days * 86_400 + n(11..13)? * 3600 + n(14..16)? * 60 + n(17..19)?;
    Some(secs * 1_000_000 + n(20..26)?)
}

pub fn fmt_ts(us: i64) -> String {
    let mut s = String::with_capacity(27);
    write_ts(&mut s, us).unwrap();
    s
}

/// Reads the simulated clock and applies a host's skew.
#[derive(Clone, Copy, Debug)]
pub struct SimTimer {
    pub skew_us: i64,
}

impl FormatTime for SimTimer {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        write_ts(w, now() + self.skew_us + extra())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_default_system_timer() {
        use std::time::{SystemTime, UNIX_EPOCH};
        let now_us = || SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as i64;
        for _ in 0..100 {
            let before = fmt_ts(now_us());
            let mut theirs = String::new();
            tracing_subscriber::fmt::time::SystemTime.format_time(&mut Writer::new(&mut theirs)).unwrap();
            let after = fmt_ts(now_us());
            assert_eq!(before.len(), theirs.len(), "{before} vs {theirs}");
            assert!(before <= theirs && theirs <= after, "{before} {theirs} {after}");
        }
        assert_eq!(fmt_ts(START_US), "2026-11-21T10:00:00.000000Z");
        assert_eq!(fmt_ts(START_US - 1), "2026-11-21T09:59:59.999999Z");
        assert_eq!(fmt_ts(951_782_400_000_000 + 123), "2000-02-29T00:00:00.000123Z");
    }
}
