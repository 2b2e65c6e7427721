//! The zone times are shown in: UTC unless `--local` or `TZ` asks for the local zone, as
//! journalctl shows local time and kubectl UTC. Set once at start; read by every printer.

use std::sync::OnceLock;

use jiff::tz::TimeZone;

use crate::time::Timestamp;

static ZONE: OnceLock<TimeZone> = OnceLock::new();

/// Shows times in the local zone (`TZ`, else the system's) when `local` or `TZ` is set.
pub fn choose(local: bool) {
    let tz_set = std::env::var_os("TZ").is_some_and(|v| !v.is_empty());
    let zone = if local || tz_set {
        TimeZone::try_system().unwrap_or(TimeZone::UTC)
    } else {
        TimeZone::UTC
    };
    let _ = ZONE.set(zone);
}

pub fn zone() -> &'static TimeZone {
    ZONE.get_or_init(|| TimeZone::UTC)
}

/// The zone's name for a table header: `UTC`, or the abbreviation in force now.
pub fn name() -> String {
    let zone = zone();
    if zone.iana_name() == Some("UTC") || *zone == TimeZone::UTC {
        return "UTC".into();
    }
    jiff::Timestamp::now()
        .to_zoned(zone.clone())
        .strftime("%Z")
        .to_string()
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
