//! Where step 3 reads a worker source: the job's window plus the margin, moved by the
//! worker's estimated clock offset, or widened to find a worker whose lines were not found.

use crate::time::Timestamp;

/// A worker clock off by more than this has its window moved and its trail read again.
pub const RESHIFT_US: i64 = 1_000_000;

/// How far around the job a worker whose lines were not found at all is looked for.
const WIDEN_US: i64 = 15 * 60 * 1_000_000;

/// How a worker source's window is placed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Moved {
    Not,
    /// By the range of its streams' clock offsets (µs).
    By(i64, i64),
    /// Widened on both sides to find a worker whose offset is not known yet; its context
    /// lines stay where they were.
    Widened,
}

impl Moved {
    pub fn window(self) -> (i64, i64) {
        match self {
            Moved::Not => (0, 0),
            Moved::By(lo, hi) => (lo, hi),
            Moved::Widened => (-WIDEN_US, WIDEN_US),
        }
    }

    pub fn context(self) -> (i64, i64) {
        match self {
            Moved::By(lo, hi) => (lo, hi),
            Moved::Not | Moved::Widened => (0, 0),
        }
    }
}

/// A time moved by `by` µs (None stays None: no bound).
pub fn shift(t: Option<Timestamp>, by: i64) -> Option<Timestamp> {
    t.map(|t| Timestamp(t.0.saturating_add(by)))
}
