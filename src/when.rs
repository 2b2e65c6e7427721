//! What a user types for a time (`--since`, `--until`): journalctl's words (`now`, `today`,
//! `yesterday`, `tomorrow`), times relative to now (`-1h`, `+10m`, `10 min ago`, `1h30m`),
//! and dates, read in the zone times are shown in; RFC 3339 and `@EPOCH` as they say.

use jiff::civil::DateTime;
use jiff::ToSpan;

use crate::time::Timestamp;
use crate::zone;

const FORMS: &str = "expected now, today, yesterday, tomorrow, a time relative to now \
(-1h, +10m, 10 min ago, 1h30m), a date (2026-11-21), a date and time (2026-11-21 10:00:00), \
RFC 3339 (2026-11-21T10:00:00Z) or @EPOCH";

/// Reads a time as journalctl reads `--since`: a bare duration is that long ago.
pub fn parse(s: &str, now: Timestamp) -> Result<Timestamp, String> {
    let text = s.trim().to_ascii_lowercase();
    let day = |days: i64| start_of_day(now, days);
    match text.as_str() {
        "now" => return Ok(now),
        "today" => return day(0),
        "yesterday" => return day(-1),
        "tomorrow" => return day(1),
        _ => {}
    }
    let relative = if let Some(rest) = text.strip_prefix('+') {
        duration(rest).map(|d| now.0.saturating_add(d))
    } else if let Some(rest) = text.strip_prefix('-') {
        duration(rest).map(|d| now.0.saturating_sub(d))
    } else if let Some(rest) = text.strip_suffix("ago") {
        duration(rest).map(|d| now.0.saturating_sub(d))
    } else {
        duration(&text).map(|d| now.0.saturating_sub(d))
    };
    if let Some(t) = relative {
        return Ok(Timestamp(t));
    }
    if let Some(t) = civil_in_zone(s.trim()) {
        return t;
    }
    Timestamp::parse_user(s, now).map_err(|_| format!("cannot read time {s:?}: {FORMS}"))
}

/// Midnight `days` from today, in the zone times are shown in.
fn start_of_day(now: Timestamp, days: i64) -> Result<Timestamp, String> {
    let today = jiff::Timestamp::from_microsecond(now.as_micros())
        .map_err(|e| e.to_string())?
        .to_zoned(zone::zone().clone())
        .date();
    today
        .checked_add(days.days())
        .and_then(|d| d.to_zoned(zone::zone().clone()))
        .map(|z| Timestamp(z.timestamp().as_microsecond()))
        .map_err(|e| format!("cannot read that day: {e}"))
}

/// A date, or a date and time, without a zone: in the shown zone when that is not UTC (UTC
/// dates are time.rs's, which reads them as UTC).
fn civil_in_zone(s: &str) -> Option<Result<Timestamp, String>> {
    if zone::name() == "UTC" || s.ends_with('z') || s.ends_with('Z') || s.starts_with('@') {
        return None;
    }
    let civil: DateTime = s.replacen(' ', "T", 1).parse().ok().or_else(|| {
        s.parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    })?;
    Some(
        civil
            .to_zoned(zone::zone().clone())
            .map(|z| Timestamp(z.timestamp().as_microsecond()))
            .map_err(|e| format!("cannot read time {s:?}: {e}")),
    )
}

/// `1h30m`, `10 min`, `90s`, `2 days 3h`, `1.5h` → microseconds; `None` unless all of it is
/// number-unit pairs.
pub fn duration(s: &str) -> Option<i64> {
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = rest[num_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        total += n * unit_micros(&rest[..unit_len])?;
        rest = rest[unit_len..].trim_start();
    }
    Some(total as i64)
}

/// journalctl's time units (systemd.time(7)).
fn unit_micros(unit: &str) -> Option<f64> {
    Some(match unit {
        "us" | "usec" => 1.0,
        "ms" | "msec" => 1e3,
        "s" | "sec" | "secs" | "second" | "seconds" => 1e6,
        "m" | "min" | "mins" | "minute" | "minutes" => 60e6,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600e6,
        "d" | "day" | "days" => 86_400e6,
        "w" | "week" | "weeks" => 604_800e6,
        "month" | "months" => 2_629_800e6,
        "y" | "year" | "years" => 31_557_600e6,
        _ => return None,
    })
}

/// `--since` after `--until` finds nothing: a usage error, not an empty result.
pub fn check_range(since: Option<Timestamp>, until: Option<Timestamp>) -> Result<(), String> {
    match (since, until) {
        (Some(s), Some(u)) if s > u => Err(format!(
            "--since ({}) is after --until ({}): no time is in that range",
            zone::precise(s),
            zone::precise(u)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-11-21T10:30:00Z";

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_user(s, Timestamp(0)).unwrap()
    }

    #[test]
    fn journalctl_words_and_relative_times() {
        let now = at(NOW);
        let cases = [
            ("now", "2026-11-21T10:30:00Z"),
            ("today", "2026-11-21T00:00:00Z"),
            ("Yesterday", "2026-11-20T00:00:00Z"),
            ("tomorrow", "2026-11-22T00:00:00Z"),
            ("-1h", "2026-11-21T09:30:00Z"),
            ("+10m", "2026-11-21T10:40:00Z"),
            ("10 min ago", "2026-11-21T10:20:00Z"),
            ("1h30m", "2026-11-21T09:00:00Z"),
            ("2 days 3h ago", "2026-11-19T07:30:00Z"),
            ("90s", "2026-11-21T10:28:30Z"),
            ("2026-11-21 10:00", "2026-11-21T10:00:00Z"),
            ("2026-11-21T10:00:00+01:00", "2026-11-21T09:00:00Z"),
        ];
        for (typed, meant) in cases {
            assert_eq!(parse(typed, now), Ok(at(meant)), "{typed}");
        }
        for bad in ["soon", "10 parsecs", "-", "ago", "1h30"] {
            let err = parse(bad, now).unwrap_err();
            assert!(
                err.contains("yesterday") && err.contains(bad),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_range_that_ends_before_it_starts_is_an_error() {
        assert!(check_range(Some(at("2026-11-21")), Some(at("2026-11-20"))).is_err());
        assert!(check_range(Some(at("2026-11-20")), Some(at("2026-11-21"))).is_ok());
        assert!(check_range(None, Some(at("2026-11-21"))).is_ok());
    }
}
