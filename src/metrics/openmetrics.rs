//! Writes derived series as OpenMetrics text with a timestamp on every sample, in the shape
//! `promtool tsdb create-blocks-from openmetrics` reads: families contiguous, counters declared
//! without `_total`, a histogram's buckets, `_count` and `_sum` together per timestamp, `# EOF`.

use std::io::{self, Write};

use crate::metrics::derive::{Derived, Family, Kind, StepSeries};
use crate::metrics::series::{Grid, Labels, NAME};

pub fn write(out: &mut impl Write, derived: &Derived, grid: &Grid) -> io::Result<()> {
    for family in &derived.families {
        write_family(out, family, grid)?;
    }
    out.write_all(b"# EOF\n")
}

fn write_family(out: &mut impl Write, f: &Family, grid: &Grid) -> io::Result<()> {
    let kind = match f.kind {
        Kind::Counter => "counter",
        Kind::Gauge => "gauge",
        Kind::Histogram => "histogram",
    };
    writeln!(out, "# TYPE {} {kind}", f.name)?;
    writeln!(out, "# HELP {} {}", f.name, escape(f.help, false))?;
    if f.kind != Kind::Histogram {
        for s in &f.series {
            for t in grid.times() {
                if let Some(v) = s.at(t) {
                    sample(out, s, t, v)?;
                }
            }
        }
        return Ok(());
    }
    // One group per label set: buckets (ascending `le`), `_count`, `_sum`.
    for group in histogram_groups(&f.series) {
        for t in grid.times() {
            if group[0].at(t).is_none() {
                continue;
            }
            for s in &group {
                if let Some(v) = s.at(t) {
                    sample(out, s, t, v)?;
                }
            }
        }
    }
    Ok(())
}

/// The series of a histogram family, grouped by their labels without `le` and the suffix.
fn histogram_groups(series: &[StepSeries]) -> Vec<Vec<&StepSeries>> {
    let key = |s: &StepSeries| {
        let mut l = s.labels.clone();
        l.remove("le");
        l.remove(NAME);
        l
    };
    let mut groups: Vec<(Labels, Vec<&StepSeries>)> = Vec::new();
    for s in series {
        let k = key(s);
        match groups.iter_mut().find(|g| g.0 == k) {
            Some(g) => g.1.push(s),
            None => groups.push((k, vec![s])),
        }
    }
    groups.into_iter().map(|g| g.1).collect()
}

fn sample(out: &mut impl Write, s: &StepSeries, t_ms: i64, v: f64) -> io::Result<()> {
    let name = s.labels.get(NAME).map_or("", String::as_str);
    out.write_all(name.as_bytes())?;
    let mut first = true;
    for (k, val) in &s.labels {
        if k == NAME {
            continue;
        }
        out.write_all(if first { b"{" } else { b"," })?;
        first = false;
        write!(out, "{k}=\"{}\"", escape(val, true))?;
    }
    if !first {
        out.write_all(b"}")?;
    }
    writeln!(
        out,
        " {} {}.{:03}",
        value(v),
        t_ms.div_euclid(1000),
        t_ms.rem_euclid(1000)
    )
}

/// A sample value as Prometheus prints it: integers without a fraction, `+Inf`, `NaN`.
pub fn value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn escape(s: &str, quote: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}
