//! The zone times are shown in: UTC unless `--local` or `TZ` asks for the local zone, as
//! journalctl shows local time and kubectl UTC. Set once at start; read by every printer.

use std::sync::OnceLock;

use jiff::tz::TimeZone;

use crate::time::Timestamp;

/// The zone, and its name for headers (`UTC`, or the abbreviation in force at start).
struct Shown {
    zone: TimeZone,
    name: String,
}

static ZONE: OnceLock<Shown> = OnceLock::new();

/// Shows times in the local zone (`TZ`, else the system's) when `local` or `TZ` is set.
pub fn choose(local: bool) {
    let tz_set = std::env::var_os("TZ").is_some_and(|v| !v.is_empty());
    let zone = if local || tz_set {
        TimeZone::try_system().unwrap_or(TimeZone::UTC)
    } else {
        TimeZone::UTC
    };
    let _ = ZONE.set(shown(zone));
}

fn shown(zone: TimeZone) -> Shown {
    let utc = zone
        .iana_name()
        .is_some_and(|n| n == "UTC" || n == "Etc/UTC")
        || zone == TimeZone::UTC;
    let name = if utc {
        "UTC".to_string()
    } else {
        jiff::Timestamp::now()
            .to_zoned(zone.clone())
            .strftime("%Z")
            .to_string()
    };
    Shown { zone, name }
}

fn current() -> &'static Shown {
    ZONE.get_or_init(|| shown(TimeZone::UTC))
}

pub fn zone() -> &'static TimeZone {
    &current().zone
}

/// The zone's name: `UTC`, or the local abbreviation (`CET`).
pub fn name() -> &'static str {
    &current().name
}

fn zoned(t: Timestamp) -> jiff::Zoned {
    jiff::Timestamp::from_microsecond(t.as_micros())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(zone().clone())
}

/// `2026-11-21 10:02:20 UTC` and, for a narrow column, `10:02:20`.
pub fn table_time(t: Timestamp) -> (String, String) {
    let z = zoned(t);
    (
        format!("{} {}", z.strftime("%Y-%m-%d %H:%M:%S"), name()),
        z.strftime("%H:%M:%S").to_string(),
    )
}

/// `2026-11-21 10:02:20.935 UTC`: a moment in a summary.
pub fn precise(t: Timestamp) -> String {
    format!("{} {}", zoned(t).strftime("%Y-%m-%d %H:%M:%S%.3f"), name())
}

/// `10:02:20.935`: a time of day beside a [`precise`] one.
pub fn clock(t: Timestamp) -> String {
    zoned(t).strftime("%H:%M:%S%.3f").to_string()
}

/// `2026-11-21 10:02:20.935Z` (UTC) or `2026-11-21 19:02:20.935+09:00`: a log line's time,
/// year and zone included, in 24 to 29 columns.
pub fn line_time(t: Timestamp) -> String {
    let z = zoned(t);
    if name() == "UTC" {
        z.strftime("%Y-%m-%d %H:%M:%S%.3fZ").to_string()
    } else {
        z.strftime("%Y-%m-%d %H:%M:%S%.3f%:z").to_string()
    }
}
