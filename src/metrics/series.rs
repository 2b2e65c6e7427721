//! Time series as Prometheus holds them: a label set (with `__name__`) and samples at
//! millisecond timestamps; and the regular grid that scrapes and `query_range` steps fall on.

use std::collections::BTreeMap;

/// A series' labels, `__name__` included, in name order (as Prometheus prints them).
pub type Labels = BTreeMap<String, String>;

pub const NAME: &str = "__name__";

/// One series: its labels and its samples, `(ms since the epoch, value)`, in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub samples: Vec<(i64, f64)>,
}

/// Evaluation or scrape times: `start`, `start + step`, … up to `end` (inclusive), in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

impl Grid {
    /// The grid of `step` multiples (since the epoch) that covers `[from, to]`, as Prometheus
    /// aligns a 5 s scrape and as dashboards align `query_range`.
    pub fn aligned(from: i64, to: i64, step: i64) -> Grid {
        let step = step.max(1);
        let start = from.div_euclid(step) * step;
        let end = to.div_euclid(step) * step;
        Grid {
            start,
            end: end.max(start),
            step,
        }
    }

    /// How many times the grid holds: at least one, since `end >= start`.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        ((self.end - self.start) / self.step + 1).max(0) as usize
    }

    pub fn times(&self) -> impl Iterator<Item = i64> {
        let (start, step) = (self.start, self.step);
        (0..self.len() as i64).map(move |k| start + k * step)
    }
}

/// Builds a label set from `(name, value)` pairs.
pub fn labels<'a>(name: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Labels {
    let mut l: Labels = pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.insert(NAME.to_string(), name.to_string());
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_align_to_step_multiples() {
        let g = Grid::aligned(12_345, 31_000, 5_000);
        assert_eq!(g.start, 10_000);
        assert_eq!(g.end, 30_000);
        assert_eq!(
            g.times().collect::<Vec<_>>(),
            [10_000, 15_000, 20_000, 25_000, 30_000]
        );
    }
}
