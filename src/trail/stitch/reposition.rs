//! Step 3 read again: the windows of worker sources whose clocks the trail shows far off are
//! moved by their offsets, and those of named workers not found at all are widened.

use super::*;

impl Plan {
    /// Moves the windows of worker sources whose clocks the trail read so far shows off by
    /// more than [`RESHIFT_US`], and widens those of workers the coordinator named but whose
    /// lines were not found (a clock off by more than the margin). True when a window changed,
    /// so that the trail is worth reading again.
    pub fn reposition(&mut self, clock: &Clock, events: &[Event]) -> bool {
        let mut changed = false;
        let worker_sources = self.worker_sources.clone();
        for i in worker_sources {
            let labels: Vec<&Arc<str>> = self
                .workers
                .iter()
                .flat_map(|w| w.streams.iter())
                .chain(self.seen_labels.iter())
                .filter(|(s, _)| *s == i)
                .map(|(_, l)| l)
                .collect();
            let offsets: Vec<i64> = labels
                .iter()
                .filter_map(|l| clock.fit_of(l))
                .flat_map(|f| f.segments.iter().map(|s| s.offset_us()))
                .collect();
            let want = match (offsets.iter().min(), offsets.iter().max()) {
                (Some(&lo), Some(&hi)) if lo.abs().max(hi.abs()) > RESHIFT_US => {
                    Some(Moved::By(lo, hi))
                }
                (Some(_), Some(_)) => None,
                _ if self.lost_worker_in(i, events) => Some(Moved::Widened),
                _ => None,
            };
            if let Some(want) = want {
                if self.shifts.get(&i) != Some(&want) {
                    self.shifts.insert(i, want);
                    changed = true;
                }
            }
        }
        changed
    }

    /// Does source `i` hold (or may it hold) a worker of the job none of whose lines were read?
    /// A worker whose stream is not known (its banner fell outside the time read) may be in
    /// any source that gave no line of the job.
    pub(super) fn lost_worker_in(&self, i: usize, events: &[Event]) -> bool {
        let gave_lines = |label: &Arc<str>| {
            events
                .iter()
                .any(|e| !e.context && e.role == Some(Role::Worker) && e.source == *label)
        };
        let silent = !self
            .seen_labels
            .iter()
            .any(|(s, label)| *s == i && gave_lines(label));
        self.workers.iter().any(|w| {
            let here = if w.streams.is_empty() {
                silent
            } else {
                w.streams.iter().any(|(s, _)| *s == i)
            };
            here && !events.iter().any(|e| {
                !e.context
                    && e.role == Some(Role::Worker)
                    && e.worker_id
                        .as_ref()
                        .is_some_and(|id| same_worker(id, &w.id))
            })
        })
    }
}
