//! Other jobs' steps in the trail's window: their lines are not the trail's, but their causal
//! pairs pin the same clocks. They pass the readers' prefilter and selection anyway (step 3
//! reads the window once), so they are set aside here instead of being read again.

use super::*;
use crate::clock::pairs::pairs_up;

/// Sets a line aside when it pairs up; never keeps it in the trail (always false).
pub(super) fn keep_aside(others: Option<&Mutex<Vec<Event>>>, e: &Event) -> bool {
    if let Some(others) = others.filter(|_| pairs_up(e)) {
        others
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e.clone());
    }
    false
}

impl Plan {
    /// The lines set aside in the last read, each worker line carrying its stream's worker ID
    /// (from the banners step 2 saw) so that the coordinator's lines naming it pair with it.
    pub fn other_steps(&mut self) -> Vec<Event> {
        let mut lines = take(&self.others);
        for e in lines
            .iter_mut()
            .filter(|e| e.role == Some(Role::Worker) && e.worker_id.is_none())
        {
            let mut ids = self
                .index
                .streams
                .iter()
                .filter(|s| s.label == e.source)
                .flat_map(|s| s.ids.iter());
            if let (Some(id), None) = (ids.next(), ids.next()) {
                e.worker_id = Some(id.clone());
            }
        }
        lines
    }
}
