//! A small PromQL evaluator for the shapes alert rules use (selectors, `rate`/`increase`/
//! `delta`/`irate`, `*_over_time`, `histogram_quantile`, `sum|min|max|avg|count by|without`,
//! arithmetic, comparisons, `and|or|unless`), over series sampled from the logs. It follows
//! Prometheus 2.x: a 5 m lookback, closed range windows, the same extrapolation of `rate`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use promql_parser::label::{MatchOp, Matchers};
use promql_parser::parser::token::{
    T_ADD, T_AVG, T_COUNT, T_DIV, T_EQLC, T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_LUNLESS,
    T_MAX, T_MIN, T_MOD, T_MUL, T_NEQ, T_POW, T_SUB, T_SUM,
};
use promql_parser::parser::{
    AggregateExpr, BinaryExpr, Expr, LabelModifier, MatrixSelector, VectorSelector,
};
use rayon::prelude::*;

use crate::metrics::series::{Grid, Labels, Series, NAME};

mod functions;
use functions::call;

/// Steps of a range evaluated as one part (see [`eval_range`]).
const STEPS_PER_PART: usize = 512;

/// Prometheus' default lookback for an instant selector.
pub const LOOKBACK_MS: i64 = 300_000;

/// A series ready for evaluation: times, values, and the running sum of counter resets.
struct Stored {
    labels: Labels,
    t: Vec<i64>,
    v: Vec<f64>,
    resets: Vec<f64>,
}

/// The series an expression reads.
pub struct Store {
    series: Arc<Vec<Stored>>,
    /// The series each selector of the expression selects, by the selector's address: the
    /// expression is evaluated at every step of a window, and matching every series' labels
    /// again at each step was most of the work. Only for one [`eval_range`] call (see
    /// [`Store::for_one_range`]): its expression is borrowed for the whole call, so no other
    /// selector can take an address meanwhile.
    selected: Mutex<FxHashMap<usize, Arc<[usize]>>>,
}

type Vector = Vec<(Labels, f64)>;

enum Val {
    Scalar(f64),
    Vector(Vector),
}

impl Store {
    pub fn new(series: Vec<Series>) -> Store {
        let series = series
            .into_iter()
            .map(|s| {
                let (t, v): (Vec<i64>, Vec<f64>) = s.samples.into_iter().unzip();
                let mut resets = Vec::with_capacity(v.len());
                let mut sum = 0.0;
                for i in 0..v.len() {
                    if i > 0 && v[i] < v[i - 1] {
                        sum += v[i - 1];
                    }
                    resets.push(sum);
                }
                Stored {
                    labels: s.labels,
                    t,
                    v,
                    resets,
                }
            })
            .collect();
        Store {
            series: Arc::new(series),
            selected: Mutex::default(),
        }
    }

    /// The same series with selections of their own, for one expression's evaluation.
    fn for_one_range(&self) -> Store {
        Store {
            series: self.series.clone(),
            selected: Mutex::default(),
        }
    }

    fn select<'a>(&'a self, vs: &'a VectorSelector) -> impl Iterator<Item = &'a Stored> + 'a {
        let key = std::ptr::from_ref(vs) as usize;
        let chosen = self
            .selected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_insert_with(|| {
                (0..self.series.len())
                    .filter(|&i| selects(vs, &self.series[i].labels))
                    .collect()
            })
            .clone();
        (0..chosen.len()).map(move |i| &self.series[chosen[i]])
    }
}

/// Does the selector (its name and every matcher) select this label set?
pub fn selects(vs: &VectorSelector, labels: &Labels) -> bool {
    if let Some(name) = &vs.name {
        if labels.get(NAME) != Some(name) {
            return false;
        }
    }
    matches_all(&vs.matchers, labels)
}

fn matches_all(m: &Matchers, labels: &Labels) -> bool {
    let one = |list: &[promql_parser::label::Matcher]| {
        list.iter()
            .all(|m| m.is_match(labels.get(&m.name).map_or("", String::as_str)))
    };
    one(&m.matchers) && (m.or_matchers.is_empty() || m.or_matchers.iter().any(|l| one(l)))
}

/// Evaluates `expr` at every time of `grid`, as `query_range` does: one series per label set.
pub fn eval_range(expr: &Expr, store: &Store, grid: &Grid) -> Result<Vec<Series>, String> {
    // Each step is evaluated on its own: a day at 5 s is 17,280 of them, in parts side by
    // side on the cores, then put together in time order.
    let store = &store.for_one_range();
    let times: Vec<i64> = grid.times().collect();
    let parts: Vec<Result<Vec<(i64, Val)>, String>> = times
        .par_chunks(STEPS_PER_PART)
        .map(|part| {
            part.iter()
                .map(|&t| eval(expr, store, t).map(|v| (t, v)))
                .collect()
        })
        .collect();
    let mut out: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
    for part in parts {
        for (t, val) in part? {
            match val {
                Val::Scalar(v) => out.entry(Labels::new()).or_default().push((t, v)),
                Val::Vector(vec) => {
                    for (l, v) in vec {
                        out.entry(l).or_default().push((t, v));
                    }
                }
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(labels, samples)| Series { labels, samples })
        .collect())
}

fn eval(expr: &Expr, store: &Store, t: i64) -> Result<Val, String> {
    match expr {
        Expr::NumberLiteral(n) => Ok(Val::Scalar(n.val)),
        Expr::Paren(p) => eval(&p.expr, store, t),
        Expr::Unary(u) => Ok(match eval(&u.expr, store, t)? {
            Val::Scalar(v) => Val::Scalar(-v),
            Val::Vector(vec) => {
                Val::Vector(vec.into_iter().map(|(l, v)| (drop_name(l), -v)).collect())
            }
        }),
        Expr::VectorSelector(vs) => Ok(Val::Vector(instant(vs, store, t)?)),
        Expr::Call(c) => call(c, store, t),
        Expr::Aggregate(a) => aggregate(a, store, t),
        Expr::Binary(b) => binary(b, store, t),
        Expr::MatrixSelector(_) => Err("a range selector must be inside a function".into()),
        other => Err(format!(
            "{} is not supported by the built-in evaluator (pass --prometheus)",
            kind_of(other)
        )),
    }
}

fn kind_of(e: &Expr) -> &'static str {
    match e {
        Expr::Subquery(_) => "a subquery",
        Expr::StringLiteral(_) => "a string",
        _ => "this expression",
    }
}

fn offset_ms(vs: &VectorSelector) -> Result<i64, String> {
    if vs.at.is_some() {
        return Err("the @ modifier is not supported by the built-in evaluator".into());
    }
    Ok(match &vs.offset {
        Some(promql_parser::parser::Offset::Pos(d)) => d.as_millis() as i64,
        Some(promql_parser::parser::Offset::Neg(d)) => -(d.as_millis() as i64),
        None => 0,
    })
}

fn instant(vs: &VectorSelector, store: &Store, t: i64) -> Result<Vector, String> {
    let t = t - offset_ms(vs)?;
    Ok(store
        .select(vs)
        .filter_map(|s| {
            let i = s.t.partition_point(|&st| st <= t).checked_sub(1)?;
            (s.t[i] >= t - LOOKBACK_MS).then(|| (s.labels.clone(), s.v[i]))
        })
        .collect())
}

/// The samples of each selected series in `[t - range, t]` (closed, as in Prometheus 2.x).
fn window<'a>(
    ms: &'a MatrixSelector,
    store: &'a Store,
    t: i64,
) -> Result<Vec<(&'a Stored, usize, usize)>, String> {
    let end = t - offset_ms(&ms.vs)?;
    let start = end - ms.range.as_millis() as i64;
    Ok(store
        .select(&ms.vs)
        .filter_map(|s| {
            let a = s.t.partition_point(|&st| st < start);
            let b = s.t.partition_point(|&st| st <= end);
            (b > a).then_some((s, a, b))
        })
        .collect())
}

fn drop_name(mut l: Labels) -> Labels {
    l.remove(NAME);
    l
}

fn group_key(l: &Labels, m: &Option<LabelModifier>) -> Labels {
    match m {
        Some(LabelModifier::Include(keep)) => l
            .iter()
            .filter(|(k, _)| keep.labels.iter().any(|x| x == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        Some(LabelModifier::Exclude(skip)) => l
            .iter()
            .filter(|(k, _)| k.as_str() != NAME && !skip.labels.iter().any(|x| x == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        None => Labels::new(),
    }
}

fn aggregate(a: &AggregateExpr, store: &Store, t: i64) -> Result<Val, String> {
    let Val::Vector(v) = eval(&a.expr, store, t)? else {
        return Err("an aggregation needs a vector".into());
    };
    let op = a.op.id();
    let mut groups: BTreeMap<Labels, (f64, f64)> = BTreeMap::new();
    for (l, x) in v {
        let e = groups
            .entry(group_key(&l, &a.modifier))
            .or_insert((f64::NAN, 0.0));
        e.1 += 1.0;
        e.0 = match op {
            _ if e.1 == 1.0 => x,
            T_SUM | T_AVG => e.0 + x,
            T_MAX => e.0.max(x),
            T_MIN => e.0.min(x),
            T_COUNT => 0.0,
            _ => {
                return Err(format!(
                    "{} is not supported by the built-in evaluator",
                    a.op
                ))
            }
        };
    }
    if !matches!(op, T_SUM | T_AVG | T_MAX | T_MIN | T_COUNT) {
        return Err(format!(
            "{} is not supported by the built-in evaluator",
            a.op
        ));
    }
    Ok(Val::Vector(
        groups
            .into_iter()
            .map(|(l, (v, n))| {
                let v = match op {
                    T_AVG => v / n,
                    T_COUNT => n,
                    _ => v,
                };
                (l, v)
            })
            .collect(),
    ))
}

/// `lhs op rhs` for numbers: the value, and for comparisons whether it holds.
fn elem(op: u16, l: f64, r: f64) -> Result<(f64, bool), String> {
    let cmp = |b: bool| (l, b);
    Ok(match op {
        T_ADD => (l + r, true),
        T_SUB => (l - r, true),
        T_MUL => (l * r, true),
        T_DIV => (l / r, true),
        T_MOD => (l % r, true),
        T_POW => (l.powf(r), true),
        T_EQLC => cmp(l == r),
        T_NEQ => cmp(l != r),
        T_GTR => cmp(l > r),
        T_LSS => cmp(l < r),
        T_GTE => cmp(l >= r),
        T_LTE => cmp(l <= r),
        _ => return Err("this operator is not supported by the built-in evaluator".into()),
    })
}

fn is_comparison(op: u16) -> bool {
    matches!(op, T_EQLC | T_NEQ | T_GTR | T_LSS | T_GTE | T_LTE)
}

fn binary(b: &BinaryExpr, store: &Store, t: i64) -> Result<Val, String> {
    let op = b.op.id();
    let returns_bool = b.return_bool();
    let lhs = eval(&b.lhs, store, t)?;
    let rhs = eval(&b.rhs, store, t)?;
    let keep_name = is_comparison(op) && !returns_bool;
    let out_labels = |l: Labels| if keep_name { l } else { drop_name(l) };
    match (lhs, rhs) {
        (Val::Scalar(l), Val::Scalar(r)) => {
            let (v, holds) = elem(op, l, r)?;
            if is_comparison(op) {
                if !returns_bool {
                    return Err("comparisons between numbers need `bool`".into());
                }
                return Ok(Val::Scalar(f64::from(u8::from(holds))));
            }
            Ok(Val::Scalar(v))
        }
        (Val::Vector(v), Val::Scalar(s)) => {
            vector_scalar(op, v, s, false, returns_bool, &out_labels)
        }
        (Val::Scalar(s), Val::Vector(v)) => {
            vector_scalar(op, v, s, true, returns_bool, &out_labels)
        }
        (Val::Vector(l), Val::Vector(r)) => vector_binary(b, op, l, r, returns_bool, keep_name),
    }
}

/// `vector op number` (or `number op vector` when `swap`): a comparison filters and keeps
/// the vector's value, arithmetic applies to each element.
fn vector_scalar(
    op: u16,
    v: Vector,
    s: f64,
    swap: bool,
    returns_bool: bool,
    out_labels: &dyn Fn(Labels) -> Labels,
) -> Result<Val, String> {
    let mut out = Vec::new();
    for (l, x) in v {
        let (lv, rv) = if swap { (s, x) } else { (x, s) };
        let (mut value, holds) = elem(op, lv, rv)?;
        if is_comparison(op) && swap {
            value = x;
        }
        if returns_bool {
            out.push((drop_name(l), f64::from(u8::from(holds))));
        } else if holds {
            out.push((out_labels(l), value));
        }
    }
    Ok(Val::Vector(out))
}

fn signature(l: &Labels, m: &Option<promql_parser::parser::BinModifier>) -> Labels {
    match m.as_ref().and_then(|m| m.matching.as_ref()) {
        Some(LabelModifier::Include(on)) => group_key(l, &Some(LabelModifier::Include(on.clone()))),
        Some(LabelModifier::Exclude(ig)) => group_key(l, &Some(LabelModifier::Exclude(ig.clone()))),
        None => drop_name(l.clone()),
    }
}

fn vector_binary(
    b: &BinaryExpr,
    op: u16,
    l: Vector,
    r: Vector,
    returns_bool: bool,
    keep_name: bool,
) -> Result<Val, String> {
    let sig_r: Vec<Labels> = r.iter().map(|(x, _)| signature(x, &b.modifier)).collect();
    match op {
        T_LAND => {
            return Ok(Val::Vector(
                l.into_iter()
                    .filter(|(x, _)| sig_r.contains(&signature(x, &b.modifier)))
                    .collect(),
            ))
        }
        T_LUNLESS => {
            return Ok(Val::Vector(
                l.into_iter()
                    .filter(|(x, _)| !sig_r.contains(&signature(x, &b.modifier)))
                    .collect(),
            ))
        }
        T_LOR => {
            let sig_l: Vec<Labels> = l.iter().map(|(x, _)| signature(x, &b.modifier)).collect();
            let mut out = l;
            out.extend(
                r.into_iter()
                    .filter(|(x, _)| !sig_l.contains(&signature(x, &b.modifier))),
            );
            return Ok(Val::Vector(out));
        }
        _ => {}
    }
    if b.modifier.as_ref().is_some_and(|m| {
        !matches!(
            m.card,
            promql_parser::parser::VectorMatchCardinality::OneToOne
        )
    }) {
        return Err("group_left/group_right are not supported by the built-in evaluator".into());
    }
    let mut out = Vec::new();
    for (ll, lv) in l {
        let sig = signature(&ll, &b.modifier);
        let Some(i) = sig_r.iter().position(|s| *s == sig) else {
            continue;
        };
        let (value, holds) = elem(op, lv, r[i].1)?;
        if returns_bool {
            out.push((sig.clone(), f64::from(u8::from(holds))));
        } else if holds {
            let labels = if keep_name {
                ll
            } else if matches!(
                b.modifier.as_ref().and_then(|m| m.matching.as_ref()),
                Some(LabelModifier::Include(_))
            ) {
                sig
            } else {
                drop_name(ll)
            };
            out.push((labels, value));
        }
    }
    Ok(Val::Vector(out))
}

/// The selectors an expression reads, for fetching and for lint.
pub fn selectors(e: &Expr) -> Vec<(&VectorSelector, Option<i64>)> {
    let mut out = Vec::new();
    walk(e, &mut out);
    out
}

fn walk<'a>(e: &'a Expr, out: &mut Vec<(&'a VectorSelector, Option<i64>)>) {
    match e {
        Expr::VectorSelector(vs) => out.push((vs, None)),
        Expr::MatrixSelector(m) => out.push((&m.vs, Some(m.range.as_millis() as i64))),
        Expr::Paren(p) => walk(&p.expr, out),
        Expr::Unary(u) => walk(&u.expr, out),
        Expr::Aggregate(a) => {
            walk(&a.expr, out);
            if let Some(p) = &a.param {
                walk(p, out);
            }
        }
        Expr::Binary(b) => {
            walk(&b.lhs, out);
            walk(&b.rhs, out);
        }
        Expr::Call(c) => c.args.args.iter().for_each(|a| walk(a, out)),
        Expr::Subquery(s) => walk(&s.expr, out),
        _ => {}
    }
}

/// Does a selector's matcher set compare `label` to `value` for equality?
pub fn equality_matchers(vs: &VectorSelector) -> Vec<(&str, &str)> {
    vs.matchers
        .matchers
        .iter()
        .filter(|m| matches!(m.op, MatchOp::Equal) && m.name != NAME)
        .map(|m| (m.name.as_str(), m.value.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::series::labels;

    fn counter(name: &str, outcome: &str, values: &[(i64, f64)]) -> Series {
        Series {
            labels: labels(name, [("outcome", outcome)]),
            samples: values.to_vec(),
        }
    }

    fn at(expr: &str, store: &Store, t: i64) -> Vec<Series> {
        let e = promql_parser::parser::parse(expr).unwrap();
        eval_range(
            &e,
            store,
            &Grid {
                start: t,
                end: t,
                step: 5000,
            },
        )
        .unwrap()
    }

    #[test]
    fn rate_extrapolates_as_prometheus_does() {
        // 0, 1, 2, … every 5 s: a steady 0.2/s. A reset halfway keeps the rate.
        let steady: Vec<(i64, f64)> = (0..=120).map(|k| (k * 5000, k as f64)).collect();
        let reset: Vec<(i64, f64)> = (0..=120).map(|k| (k * 5000, (k % 60) as f64)).collect();
        let store = Store::new(vec![
            counter("c_total", "a", &steady),
            counter("c_total", "b", &reset),
        ]);
        let r = at("rate(c_total[5m])", &store, 600_000);
        assert_eq!(r.len(), 2);
        assert!((r[0].samples[0].1 - 0.2).abs() < 1e-9, "{r:?}");
        // 59 within the window, +1 lost at the reset's step, extrapolated over 300 s
        assert!(
            (r[1].samples[0].1 - 0.2 * 59.0 / 60.0).abs() < 1e-9,
            "{r:?}"
        );
        let f = at(r#"rate(c_total{outcome="a"}[5m]) > 0.1"#, &store, 600_000);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].labels.get("outcome").map(String::as_str), Some("a"));
        assert!(!f[0].labels.contains_key(NAME), "rate drops the name");
    }

    #[test]
    fn histogram_quantile_interpolates_within_the_bucket() {
        let mk = |le: &str, v: f64| Series {
            labels: labels("d_bucket", [("le", le)]),
            samples: vec![(0, 0.0), (60_000, v)],
        };
        let store = Store::new(vec![
            mk("1", 0.0),
            mk("10", 50.0),
            mk("100", 100.0),
            mk("+Inf", 100.0),
        ]);
        let r = at(
            "histogram_quantile(0.5, sum by (le) (increase(d_bucket[1m])))",
            &store,
            60_000,
        );
        assert!((r[0].samples[0].1 - 10.0).abs() < 1e-9, "{r:?}");
        let r = at(
            "histogram_quantile(0.99, sum by (le) (increase(d_bucket[1m])))",
            &store,
            60_000,
        );
        assert!((r[0].samples[0].1 - 98.2).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn instant_selectors_look_back_five_minutes() {
        let store = Store::new(vec![Series {
            labels: labels("g", []),
            samples: vec![(0, 3.0)],
        }]);
        assert_eq!(at("g == 3", &store, 300_000).len(), 1);
        assert_eq!(at("g == 3", &store, 300_001).len(), 0);
        assert_eq!(
            at("g < 4", &store, 0)[0]
                .labels
                .get(NAME)
                .map(String::as_str),
            Some("g")
        );
    }
}
