//! PromQL functions of the built-in evaluator: the range functions (`rate`, `increase`,
//! `delta`, `irate`, `*_over_time`) with Prometheus' extrapolation, and `histogram_quantile`
//! with its bucket interpolation.

use std::collections::BTreeMap;

use promql_parser::parser::{Call, Expr, MatrixSelector};

use super::{drop_name, eval, offset_ms, window, Labels, Store, Stored, Val, Vector};

fn matrix_arg(c: &Call, i: usize) -> Result<&MatrixSelector, String> {
    match c.args.args.get(i).map(|b| &**b) {
        Some(Expr::MatrixSelector(m)) => Ok(m),
        _ => Err(format!("{}() needs a range selector", c.func.name)),
    }
}

pub(super) fn call(c: &Call, store: &Store, t: i64) -> Result<Val, String> {
    let name = c.func.name;
    match name {
        "rate" | "increase" | "delta" => {
            let ms = matrix_arg(c, 0)?;
            let end = t - offset_ms(&ms.vs)?;
            let range = ms.range.as_millis() as i64;
            let counter = name != "delta";
            Ok(Val::Vector(
                window(ms, store, t)?
                    .into_iter()
                    .filter_map(|(s, a, b)| {
                        extrapolated(s, a, b, end - range, end, counter, name == "rate", range)
                            .map(|v| (drop_name(s.labels.clone()), v))
                    })
                    .collect(),
            ))
        }
        "irate" => {
            let ms = matrix_arg(c, 0)?;
            Ok(Val::Vector(
                window(ms, store, t)?
                    .into_iter()
                    .filter(|&(_, a, b)| b - a >= 2)
                    .map(|(s, _, b)| {
                        let (v1, v0) = (s.v[b - 1], s.v[b - 2]);
                        let dv = if v1 < v0 { v1 } else { v1 - v0 };
                        let dt = (s.t[b - 1] - s.t[b - 2]) as f64 / 1000.0;
                        (drop_name(s.labels.clone()), dv / dt)
                    })
                    .collect(),
            ))
        }
        "max_over_time" | "min_over_time" | "avg_over_time" | "sum_over_time"
        | "count_over_time" | "last_over_time" => {
            let ms = matrix_arg(c, 0)?;
            Ok(Val::Vector(
                window(ms, store, t)?
                    .into_iter()
                    .map(|(s, a, b)| {
                        let vals = &s.v[a..b];
                        let v = match name {
                            "max_over_time" => {
                                vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                            }
                            "min_over_time" => vals.iter().cloned().fold(f64::INFINITY, f64::min),
                            "avg_over_time" => vals.iter().sum::<f64>() / vals.len() as f64,
                            "sum_over_time" => vals.iter().sum(),
                            "count_over_time" => vals.len() as f64,
                            _ => vals[vals.len() - 1],
                        };
                        let labels = if name == "last_over_time" {
                            s.labels.clone()
                        } else {
                            drop_name(s.labels.clone())
                        };
                        (labels, v)
                    })
                    .collect(),
            ))
        }
        "histogram_quantile" => {
            let q = match c.args.args.first().map(|a| eval(a, store, t)).transpose()? {
                Some(Val::Scalar(q)) => q,
                _ => return Err("histogram_quantile() needs a number first".into()),
            };
            let Some(Val::Vector(v)) = c.args.args.get(1).map(|a| eval(a, store, t)).transpose()?
            else {
                return Err("histogram_quantile() needs a vector second".into());
            };
            Ok(Val::Vector(histogram_quantile(q, v)))
        }
        "abs" => match c.args.args.first().map(|a| eval(a, store, t)).transpose()? {
            Some(Val::Vector(v)) => Ok(Val::Vector(
                v.into_iter()
                    .map(|(l, x)| (drop_name(l), x.abs()))
                    .collect(),
            )),
            _ => Err("abs() needs a vector".into()),
        },
        "vector" => match c.args.args.first().map(|a| eval(a, store, t)).transpose()? {
            Some(Val::Scalar(v)) => Ok(Val::Vector(vec![(Labels::new(), v)])),
            _ => Err("vector() needs a number".into()),
        },
        other => Err(format!(
            "{other}() is not supported by the built-in evaluator (pass --prometheus)"
        )),
    }
}

/// Prometheus' `extrapolatedRate` (promql/functions.go, 2.x).
#[allow(clippy::too_many_arguments)]
fn extrapolated(
    s: &Stored,
    a: usize,
    b: usize,
    range_start: i64,
    range_end: i64,
    counter: bool,
    rate: bool,
    range: i64,
) -> Option<f64> {
    if b - a < 2 {
        return None;
    }
    let (first_t, last_t) = (s.t[a], s.t[b - 1]);
    let (first_v, last_v) = (s.v[a], s.v[b - 1]);
    let mut result = last_v - first_v;
    if counter {
        result += s.resets[b - 1] - s.resets[a];
    }
    let mut to_start = (first_t - range_start) as f64 / 1000.0;
    let to_end = (range_end - last_t) as f64 / 1000.0;
    let sampled = (last_t - first_t) as f64 / 1000.0;
    let avg = sampled / (b - a - 1) as f64;
    if counter && result > 0.0 && first_v >= 0.0 {
        let to_zero = sampled * (first_v / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = avg * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        avg / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        avg / 2.0
    };
    result *= interval / sampled;
    if rate {
        result /= range as f64 / 1000.0;
    }
    Some(result)
}

/// Prometheus' `bucketQuantile` over each group of `le` buckets.
fn histogram_quantile(q: f64, v: Vector) -> Vector {
    let mut groups: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
    for (l, x) in v {
        let Some(le) = l.get("le").and_then(|s| parse_bound(s)) else {
            continue;
        };
        let mut key = drop_name(l);
        key.remove("le");
        groups.entry(key).or_default().push((le, x));
    }
    groups
        .into_iter()
        .map(|(l, buckets)| (l, bucket_quantile(q, buckets)))
        .collect()
}

fn parse_bound(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        s => s.parse().ok(),
    }
}

fn bucket_quantile(q: f64, mut b: Vec<(f64, f64)>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    b.sort_by(|x, y| x.0.total_cmp(&y.0));
    if b.last().is_none_or(|l| l.0 != f64::INFINITY) {
        return f64::NAN;
    }
    // Coalesce equal bounds, then make the counts monotonic.
    let mut c: Vec<(f64, f64)> = Vec::with_capacity(b.len());
    for (ub, n) in b {
        match c.last_mut() {
            Some(last) if last.0 == ub => last.1 += n,
            _ => c.push((ub, n)),
        }
    }
    let mut max = f64::NEG_INFINITY;
    for x in &mut c {
        if x.1 > max {
            max = x.1;
        } else if x.1 < max {
            x.1 = max;
        }
    }
    if c.len() < 2 {
        return f64::NAN;
    }
    let observations = c[c.len() - 1].1;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let i = c[..c.len() - 1].partition_point(|x| x.1 < rank);
    if i == c.len() - 1 {
        return c[c.len() - 2].0;
    }
    if i == 0 && c[0].0 <= 0.0 {
        return c[0].0;
    }
    let (mut start, end, mut count) = (0.0, c[i].0, c[i].1);
    if i > 0 {
        start = c[i - 1].0;
        count -= c[i - 1].1;
        rank -= c[i - 1].1;
    }
    start + (end - start) * (rank / count)
}
