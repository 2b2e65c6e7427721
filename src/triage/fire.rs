//! When an alert fired: `for:` applied to an expression's results over the evaluation steps,
//! as Prometheus' rule manager does (pending from the first step the expression returns a
//! series, firing once that lasted `for:`, resolved at the first step it returns none).

use crate::metrics::series::{Grid, Labels, Series, NAME};

/// One firing interval of one alert (a label set of the expression's result).
#[derive(Clone, Debug, PartialEq)]
pub struct Firing {
    /// The result's labels, without `__name__` (an alert's own labels).
    pub labels: Labels,
    /// The first step of the run: when the alert went pending.
    pub active_from: i64,
    /// The first step at which it fired.
    pub from: i64,
    /// The last step at which it fired.
    pub last: i64,
    /// True when it was still firing at the last step of the evaluation.
    pub open: bool,
    /// The expression's largest value while firing.
    pub peak: f64,
}

/// The firing intervals of every series of `matrix` evaluated on `grid`, with `for_ms`.
pub fn intervals(matrix: &[Series], grid: &Grid, for_ms: i64) -> Vec<Firing> {
    let mut out = Vec::new();
    for s in matrix {
        let mut labels = s.labels.clone();
        labels.remove(NAME);
        // Runs of consecutive steps at which the expression returned this series.
        let mut run: Option<(i64, i64, f64)> = None;
        let close = |run: (i64, i64, f64), open: bool, out: &mut Vec<Firing>| {
            let (start, end, _) = run;
            let fire_at = start + (for_ms + grid.step - 1).div_euclid(grid.step) * grid.step;
            if fire_at <= end {
                let peak = s
                    .samples
                    .iter()
                    .filter(|(t, _)| *t >= fire_at && *t <= end)
                    .map(|s| s.1)
                    .fold(f64::NEG_INFINITY, f64::max);
                out.push(Firing {
                    labels: labels.clone(),
                    active_from: start,
                    from: fire_at,
                    last: end,
                    open,
                    peak,
                });
            }
        };
        for &(t, v) in &s.samples {
            if v.is_nan() {
                continue;
            }
            run = match run {
                Some((start, end, _)) if t - end <= grid.step => Some((start, t, v)),
                Some(r) => {
                    close(r, false, &mut out);
                    Some((t, t, v))
                }
                None => Some((t, t, v)),
            };
        }
        if let Some(r) = run {
            close(r, r.1 >= grid.end, &mut out);
        }
    }
    out.sort_by_key(|f| (f.from, f.last));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::series::labels;

    #[test]
    fn for_holds_an_alert_pending_and_a_gap_resolves_it() {
        let grid = Grid {
            start: 0,
            end: 100_000,
            step: 5000,
        };
        let mut samples: Vec<(i64, f64)> = (2..=10).map(|k| (k * 5000, 1.0)).collect();
        samples.extend((12..=20).map(|k| (k * 5000, 2.0)));
        let m = [Series {
            labels: labels("x", [("a", "b")]),
            samples,
        }];
        let f = intervals(&m, &grid, 20_000);
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].active_from, f[0].from, f[0].last, f[0].open),
            (10_000, 30_000, 50_000, false)
        );
        assert_eq!(
            (f[1].active_from, f[1].from, f[1].last, f[1].open),
            (60_000, 80_000, 100_000, true)
        );
        assert!(!f[0].labels.contains_key(NAME));
        assert_eq!(f[1].peak, 2.0);
        // for: 0 fires at the first step; a run shorter than for: never fires.
        assert_eq!(intervals(&m, &grid, 0)[0].from, 10_000);
        assert!(intervals(&m, &grid, 60_000).is_empty());
    }
}
