//! From causal pairs to offsets: each pair bounds the worker's offset θ on one side; pairs in
//! time order are intersected into segments, a new segment starting where no θ satisfies them
//! all (a step, or drift beyond the interval's width), and a lone pair that disagrees with
//! its neighbours dropped as a wrong match.

use crate::clock::pairs::Pair;
use crate::time::Timestamp;

/// How many following pairs must agree with the current interval for a disagreeing pair to be
/// treated as a wrong match rather than the start of a new offset.
const CONFIRM: usize = 3;

/// One stretch of a worker's log over which one offset holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// The worker's logged times of the segment's first and last pair.
    pub from: Timestamp,
    pub to: Timestamp,
    /// θ ≥ low (from backward pairs), θ ≤ high (from forward pairs); None: no pair on that side.
    pub low: Option<i64>,
    pub high: Option<i64>,
    pub pairs: usize,
}

impl Segment {
    fn new(p: &Pair) -> Segment {
        let mut s = Segment {
            from: p.worker,
            to: p.worker,
            low: None,
            high: None,
            pairs: 0,
        };
        s.add(p);
        s
    }

    fn admits(&self, p: &Pair) -> bool {
        let b = p.bound_us();
        if p.forward {
            self.low.is_none_or(|l| l <= b)
        } else {
            self.high.is_none_or(|h| b <= h)
        }
    }

    fn add(&mut self, p: &Pair) {
        let b = p.bound_us();
        if p.forward {
            self.high = Some(self.high.map_or(b, |h| h.min(b)));
        } else {
            self.low = Some(self.low.map_or(b, |l| l.max(b)));
        }
        self.to = self.to.max(p.worker);
        self.from = self.from.min(p.worker);
        self.pairs += 1;
    }

    /// The offset used: the middle of the interval, or just inside its one known side. Just
    /// inside, not a guessed lag inside: under an upper bound alone the aligned time is never
    /// later than the true one, so every answer stays before its receipt, paired or not (two
    /// hosts printing one cut ID cannot be paired); measured, a guessed lag ordered 0.2–0.3%
    /// more cross-host lines right and put such answers after their receipt.
    pub fn offset_us(&self) -> i64 {
        match (self.low, self.high) {
            (Some(l), Some(h)) => l + (h - l) / 2,
            (Some(l), None) => l + 1,
            (None, Some(h)) => h - 1,
            (None, None) => 0,
        }
    }

    /// Half the interval's width; None when only one side is bounded.
    pub fn uncertainty_us(&self) -> Option<i64> {
        Some((self.high? - self.low?) / 2)
    }
}

/// A worker stream's fit: its segments in time order and the pairs dropped as wrong matches.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fit {
    pub segments: Vec<Segment>,
    pub dropped: usize,
}

impl Fit {
    /// The segment that applies at the worker's logged time `t`: the one holding it, else
    /// the nearest before it (a step takes effect at its first pair), else the first.
    pub fn at(&self, t: Timestamp) -> Option<&Segment> {
        let after = self.segments.partition_point(|s| s.from <= t);
        self.segments.get(after.saturating_sub(1))
    }

    pub fn pairs(&self) -> usize {
        self.segments.iter().map(|s| s.pairs).sum()
    }
}

/// Fits pairs given in the worker's time order.
pub fn fit(pairs: &[Pair]) -> Fit {
    let mut out = Fit::default();
    let mut i = 0;
    while i < pairs.len() {
        let p = &pairs[i];
        let Some(current) = out.segments.last_mut() else {
            out.segments.push(Segment::new(p));
            i += 1;
            continue;
        };
        if current.admits(p) {
            current.add(p);
        } else {
            let next = &pairs[i + 1..(i + 1 + CONFIRM).min(pairs.len())];
            if next.len() == CONFIRM && next.iter().all(|q| current.admits(q)) {
                out.dropped += 1;
            } else {
                out.segments.push(Segment::new(p));
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dispatch at `tc` (true time) seen `lag` µs later by a worker `theta` µs ahead.
    fn fwd(tc: i64, lag: i64, theta: i64) -> Pair {
        Pair {
            coordinator: Timestamp(tc),
            worker: Timestamp(tc + lag + theta),
            forward: true,
        }
    }
    /// A worker answer at true `tw`, received `lag` µs later by the coordinator.
    fn back(tw: i64, lag: i64, theta: i64) -> Pair {
        Pair {
            coordinator: Timestamp(tw + lag),
            worker: Timestamp(tw + theta),
            forward: false,
        }
    }

    fn sorted(mut v: Vec<Pair>) -> Vec<Pair> {
        v.sort_by_key(|p| p.worker);
        v
    }

    #[test]
    fn pairs_pin_the_offset_to_an_interval() {
        let theta = 87_200_000;
        let f = fit(&sorted(vec![
            fwd(1_000_000, 3_000, theta),
            back(5_000_000, 2_000, theta),
            fwd(9_000_000, 1_000, theta),
            back(12_000_000, 4_000, theta),
        ]));
        assert_eq!(f.segments.len(), 1);
        let s = &f.segments[0];
        assert_eq!((s.low, s.high), (Some(theta - 2_000), Some(theta + 1_000)));
        assert!((s.offset_us() - theta).abs() <= 1_000);
        assert_eq!(s.uncertainty_us(), Some(1_500));
        assert_eq!(s.pairs, 4);
    }

    #[test]
    fn a_step_starts_a_new_segment() {
        let mut v = Vec::new();
        for k in 0..6 {
            v.push(fwd(k * 10_000_000, 2_000, 300_000));
            v.push(back(k * 10_000_000 + 5_000_000, 2_000, 300_000));
        }
        for k in 6..12 {
            v.push(fwd(k * 10_000_000, 2_000, -4_700_000));
            v.push(back(k * 10_000_000 + 5_000_000, 2_000, -4_700_000));
        }
        let f = fit(&sorted(v));
        assert_eq!(f.segments.len(), 2, "{f:?}");
        assert!((f.segments[0].offset_us() - 300_000).abs() <= 2_000);
        assert!((f.segments[1].offset_us() + 4_700_000).abs() <= 2_000);
        // Lines logged after the step take the new offset.
        let after = f.segments[1].from;
        assert_eq!(f.at(after).unwrap(), &f.segments[1]);
        assert_eq!(f.at(Timestamp(after.0 - 1)).unwrap(), &f.segments[0]);
        assert_eq!(f.at(Timestamp(i64::MIN)).unwrap(), &f.segments[0]);
    }

    #[test]
    fn a_lone_wrong_match_is_dropped() {
        let mut v = Vec::new();
        for k in 0..8 {
            v.push(fwd(k * 10_000_000, 2_000, 50_000));
            v.push(back(k * 10_000_000 + 5_000_000, 2_000, 50_000));
        }
        // A receipt matched to the wrong answer: it claims θ ≥ 3 s.
        v.push(Pair {
            coordinator: Timestamp(31_000_000),
            worker: Timestamp(34_100_000),
            forward: false,
        });
        let f = fit(&sorted(v));
        assert_eq!(f.segments.len(), 1, "{f:?}");
        assert_eq!(f.dropped, 1);
        assert!((f.segments[0].offset_us() - 50_000).abs() <= 2_000);
    }

    #[test]
    fn drift_is_followed_piecewise() {
        // 100 ppm: 0.36 s an hour; pairs every 30 s over two hours.
        let mut v = Vec::new();
        for k in 0..240 {
            let t = k * 30_000_000;
            let theta = t / 10_000;
            v.push(fwd(t, 2_000, theta));
            v.push(back(t + 10_000_000, 2_000, theta + 1_000));
        }
        let f = fit(&sorted(v.clone()));
        assert!(f.segments.len() > 2, "{}", f.segments.len());
        assert_eq!(f.dropped, 0);
        // Every pair is in order under the offset of its segment.
        for p in &v {
            let theta = f.at(p.worker).unwrap().offset_us();
            let aligned = p.worker.0 - theta;
            if p.forward {
                assert!(aligned >= p.coordinator.0 - 3_000, "{p:?} {theta}");
            } else {
                assert!(aligned <= p.coordinator.0 + 3_000, "{p:?} {theta}");
            }
        }
    }

    #[test]
    fn one_sided_bounds_and_nothing() {
        let f = fit(&[fwd(0, 5_000, 1_000)]);
        assert_eq!(f.segments[0].offset_us(), 5_999);
        assert_eq!(f.segments[0].uncertainty_us(), None);
        let none = fit(&[]);
        assert!(none.at(Timestamp(0)).is_none());
        assert_eq!(none.pairs(), 0);
    }
}
