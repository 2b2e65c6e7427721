//! Timestamps: microseconds since the epoch, parsed fast from log lines and leniently from users.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// UTC time in microseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const MIN: Timestamp = Timestamp(i64::MIN);

    pub fn now() -> Timestamp {
        Timestamp(Utc::now().timestamp_micros())
    }

    pub fn as_micros(self) -> i64 {
        self.0
    }

    pub fn secs_floor(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }

    /// Seconds between two times, as a float for durations in summaries.
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / 1e6
    }

    /// Parses an RFC 3339 timestamp at the start of `s` (as tracing, Docker and the kubelet
    /// write them), returning it and the number of bytes it took. Fractions of any length are
    /// cut to microseconds; `Z` and `±HH:MM` offsets are accepted, and a time without either
    /// is read as UTC (as `--since` reads one). Impossible dates (`2026-02-31`) and offsets
    /// (`+99:99`) are not times.
    pub fn parse_rfc3339_prefix(s: &[u8]) -> Option<(Timestamp, usize)> {
        if s.len() < 19 {
            return None;
        }
        let d = |i: usize| -> Option<i64> {
            let c = s[i];
            c.is_ascii_digit().then(|| (c - b'0') as i64)
        };
        let year = d(0)? * 1000 + d(1)? * 100 + d(2)? * 10 + d(3)?;
        if s[4] != b'-'
            || s[7] != b'-'
            || !(s[10] == b'T' || s[10] == b' ')
            || s[13] != b':'
            || s[16] != b':'
        {
            return None;
        }
        let month = d(5)? * 10 + d(6)?;
        let day = d(8)? * 10 + d(9)?;
        let hour = d(11)? * 10 + d(12)?;
        let min = d(14)? * 10 + d(15)?;
        let sec = d(17)? * 10 + d(18)?;
        let mut i = 19;
        let mut micros = 0i64;
        if s.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < s.len() && s[i].is_ascii_digit() {
                if i - start < 6 {
                    micros = micros * 10 + (s[i] - b'0') as i64;
                }
                i += 1;
            }
            let digits = i - start;
            if digits == 0 {
                return None;
            }
            for _ in digits..6 {
                micros *= 10;
            }
        }
        let offset_secs = match s.get(i) {
            Some(b'Z' | b'z') => {
                i += 1;
                0
            }
            Some(b'+' | b'-') if s.len() >= i + 6 && s[i + 3] == b':' => {
                let sign = if s[i] == b'-' { -1 } else { 1 };
                let oh = d(i + 1)? * 10 + d(i + 2)?;
                let om = d(i + 4)? * 10 + d(i + 5)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                i += 6;
                sign * (oh * 3600 + om * 60)
            }
            // No zone: UTC, when the time ends there (not `10:00:00+5` or `10:00:00Zulu`).
            None => 0,
            Some(c) if !c.is_ascii_alphanumeric() && !matches!(c, b'+' | b'-' | b'.' | b':') => 0,
            _ => return None,
        };
        if !(1..=12).contains(&month)
            || !(1..=days_in_month(year, month)).contains(&day)
            || hour > 23
            || min > 59
            || sec > 60
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_secs;
        Some((Timestamp(secs * 1_000_000 + micros), i))
    }

    /// Parses what an operator types for `--since`/`--until`: RFC 3339, a date, a date and time
    /// (UTC), `@EPOCH`, `now`, or a relative age like `90s`, `10m`, `2h`, `3d`, `1w` (before `now`).
    pub fn parse_user(s: &str, now: Timestamp) -> Result<Timestamp, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("now") {
            return Ok(now);
        }
        if let Some(epoch) = s.strip_prefix('@') {
            // `@nan` and `@inf` parse as floats; they are not times.
            let micros = epoch
                .parse::<f64>()
                .ok()
                .map(|secs| secs * 1e6)
                .filter(|m| m.is_finite() && DateTime::from_timestamp_micros(*m as i64).is_some())
                .ok_or_else(|| format!("bad epoch time {s:?}: expected seconds since 1970"))?;
            return Ok(Timestamp(micros as i64));
        }
        if let Some(age) = parse_age(s) {
            return Ok(Timestamp(now.0.saturating_sub(age)));
        }
        if let Some((ts, used)) = Timestamp::parse_rfc3339_prefix(s.as_bytes()) {
            if used == s.len() {
                return Ok(ts);
            }
        }
        for fmt in [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
                return Ok(Timestamp(Utc.from_utc_datetime(&naive).timestamp_micros()));
            }
        }
        if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
            return Ok(Timestamp(Utc.from_utc_datetime(&naive).timestamp_micros()));
        }
        Err(format!(
            "cannot read time {s:?}: expected RFC 3339 (2026-11-21T10:00:00Z), a date (2026-11-21), \
             a UTC date and time (2026-11-21 10:00:00), @EPOCH, or an age like 10m, 2h, 3d"
        ))
    }
}

/// `90s`, `10m`, `2h`, `3d`, `1w`, `500ms` → microseconds.
pub fn parse_age(s: &str) -> Option<i64> {
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok().filter(|n: &f64| n.is_finite())?;
    let unit_micros = match unit {
        "ms" => 1e3,
        "s" | "sec" | "secs" => 1e6,
        "m" | "min" | "mins" => 60e6,
        "h" | "hour" | "hours" => 3600e6,
        "d" | "day" | "days" => 86_400e6,
        "w" | "week" | "weeks" => 604_800e6,
        _ => return None,
    };
    Some((n * unit_micros) as i64)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (the inverse of
/// [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for Timestamp {
    /// RFC 3339 UTC with microseconds, the form tracing writes: `2026-11-21T10:00:00.123456Z`.
    /// Written digit by digit (JSON output prints one per event); years outside 0–9999, and
    /// times chrono cannot hold, are left to chrono.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rfc3339() {
            Some(text) => f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?),
            None => write!(f, "{}", self.to_datetime().format("%Y-%m-%dT%H:%M:%S%.6fZ")),
        }
    }
}

impl Timestamp {
    /// What [`fmt::Display`] writes, for years 0–9999 (`None` for the rest, left to chrono).
    pub fn rfc3339(&self) -> Option<[u8; 27]> {
        let secs = self.0.div_euclid(1_000_000);
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        if !(0..=9999).contains(&year) || DateTime::from_timestamp_micros(self.0).is_none() {
            return None;
        }
        let of_day = secs.rem_euclid(86_400);
        let mut out = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, mut n: i64| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, of_day / 3600);
        put(14, 2, of_day / 60 % 60);
        put(17, 2, of_day % 60);
        put(20, 6, self.0.rem_euclid(1_000_000));
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tracing_and_docker_timestamps() {
        let (t, n) = Timestamp::parse_rfc3339_prefix(b"2026-11-21T10:00:00.123456Z rest").unwrap();
        assert_eq!(n, 27);
        assert_eq!(t.to_string(), "2026-11-21T10:00:00.123456Z");
        let (t9, _) = Timestamp::parse_rfc3339_prefix(b"2026-11-21T10:00:00.123456789Z").unwrap();
        assert_eq!(t9, t);
        let (off, _) = Timestamp::parse_rfc3339_prefix(b"2026-11-21T12:00:00.5+02:00").unwrap();
        assert_eq!(off.to_string(), "2026-11-21T10:00:00.500000Z");
        assert!(Timestamp::parse_rfc3339_prefix(b"not a time at all, really").is_none());
        assert!(Timestamp::parse_rfc3339_prefix(b"2026-13-21T10:00:00Z").is_none());
    }

    #[test]
    fn formats_as_chrono_does() {
        let chrono = |t: Timestamp| t.to_datetime().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut times = vec![
            0,
            -1,
            1,
            951_782_400_000_000,
            -62_135_596_800_000_000,
            i64::MIN,
            i64::MAX,
        ];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Spread over years -3000..6000 and beyond.
            times.push((x as i64) % 300_000_000_000_000_000);
            times.push((x % 4_000_000_000_000_000) as i64);
        }
        for t in times {
            assert_eq!(Timestamp(t).to_string(), chrono(Timestamp(t)), "{t}");
        }
    }

    #[test]
    fn parses_user_times() {
        let now = Timestamp::parse_user("2026-11-21T10:00:00Z", Timestamp(0)).unwrap();
        assert_eq!(
            Timestamp::parse_user("10m", now).unwrap().to_string(),
            "2026-11-21T09:50:00.000000Z"
        );
        assert_eq!(
            Timestamp::parse_user("3d", now).unwrap().to_string(),
            "2026-11-18T10:00:00.000000Z"
        );
        assert_eq!(
            Timestamp::parse_user("2026-11-20", now)
                .unwrap()
                .to_string(),
            "2026-11-20T00:00:00.000000Z"
        );
        assert_eq!(
            Timestamp::parse_user("2026-11-20 08:30:00", now)
                .unwrap()
                .to_string(),
            "2026-11-20T08:30:00.000000Z"
        );
        assert_eq!(Timestamp::parse_user("@0", now).unwrap(), Timestamp(0));
        assert!(Timestamp::parse_user("yesterday-ish", now).is_err());
    }

    /// Issue 20, defect 17: `@nan` is not epoch 0, `2026-02-31` and `+99:99` are not times,
    /// and a time without a zone is UTC.
    #[test]
    fn impossible_times_are_refused_and_zoneless_ones_are_utc() {
        let now = Timestamp(1_795_000_000_000_000);
        for bad in [
            "@nan",
            "@inf",
            "@-inf",
            "@1e300",
            "2026-02-31",
            "2026-02-29T00:00:00Z",
            "2026-11-21T10:00:00+99:99",
            "2026-11-21T10:00:00+24:00",
            "2026-04-31 10:00:00",
        ] {
            assert!(Timestamp::parse_user(bad, now).is_err(), "{bad}");
        }
        assert!(Timestamp::parse_user("2028-02-29", now).is_ok());
        assert!(
            Timestamp::parse_user("99999999999999w", now).is_ok(),
            "no overflow"
        );
        let utc = Timestamp::parse_rfc3339_prefix(b"2026-11-21T10:00:00Z")
            .unwrap()
            .0;
        assert_eq!(
            Timestamp::parse_rfc3339_prefix(b"2026-11-21T10:00:00"),
            Some((utc, 19))
        );
        assert_eq!(
            Timestamp::parse_rfc3339_prefix(b"2026-11-21 10:00:00.5 INFO x"),
            Some((Timestamp(utc.0 + 500_000), 21))
        );
        assert_eq!(
            Timestamp::parse_rfc3339_prefix(b"2026-11-21T10:00:00+5"),
            None
        );
        assert_eq!(
            Timestamp::parse_rfc3339_prefix(b"2026-02-30T10:00:00Z"),
            None
        );
    }
}
