//! What a stream holds back and ties together: the last timed event while untimed lines may
//! continue it (a `Caused by:` chain, a panic), and the start-up banner that names the
//! stream's worker.

use super::*;

impl StreamParser {
    /// An untimed line that is no event of its own continues the held one (or the skipped one,
    /// with which it is dropped).
    pub(super) fn continue_open(&mut self, line: &[u8], clean: &str) {
        let blanks = std::mem::take(&mut self.open_blanks);
        let Some(open) = self.open.as_mut() else {
            return;
        };
        // An event is capped like a line: past it, its further lines are dropped, once said.
        if self.open_cut || open.raw.len() + blanks + 1 + line.len() > MAX_LINE_BYTES {
            if !self.open_cut {
                self.open_cut = true;
                self.problems.cut_events += 1;
                let first = open.origin.as_ref().map_or(0, |o| o.line);
                self.problems.first_cut_event.get_or_insert(first);
            }
            return;
        }
        for _ in 0..blanks {
            open.raw.push(b'\n');
        }
        open.raw.push(b'\n');
        open.raw.extend_from_slice(line);
        if !open.message.is_empty() {
            for _ in 0..=blanks {
                open.message.push('\n');
            }
            open.message.push_str(clean.trim_end());
        }
    }

    /// Passes on the held event: what follows is not its continuation.
    pub(super) fn release_open(&mut self, out: &mut dyn FnMut(Event)) {
        self.open_blanks = 0;
        if let Some(e) = self.open.take() {
            out(e);
        }
    }

    /// The worker's start-up banner (`   Worker ID <id>`) ties this stream to a worker.
    pub(super) fn read_banner(&mut self, message: &str) {
        let label = message.trim_start();
        if label.starts_with("ZisK zkVM") || label.starts_with("ZisK Worker v") {
            // A new process: whatever the last one computed is over.
            self.phases.restart();
        }
        if label.starts_with("ZisK zkVM") || label.starts_with("Worker ID WorkerId(") {
            // Printed by every release since v0.12 (DOMAIN.md's banner shows the bare ID).
            self.phases.mark_real();
        }
        if let Some(id) = banner_id(message) {
            // The banner lines above this one belong to the same worker.
            for early in self.leading.iter_mut() {
                early.worker_id = Some(id.clone());
            }
            self.banner_worker = Some(id);
        }
    }

    /// The reader passed over the start of the input (lines before a time window): the state
    /// those lines would have left. `worker` is what their last banner named, `last` the last
    /// line (for its time), as read.
    pub fn resume_after(&mut self, worker: Option<IdRef>, last: &[u8], out: &mut dyn FnMut(Event)) {
        if worker.is_some() {
            self.banner_worker = worker;
        }
        self.own_timed = true;
        self.skip(strip_line_ending(last), None, out);
    }

    /// The worker a line is about. A worker's own line is its worker's, whatever worker its
    /// message names (`Job … cancelled: Worker WorkerId(A…) connection dropped` in B's log is
    /// B's); a line that gives the worker's ID whole (`[Recovery] <id>:`) completes the
    /// banner's truncated one.
    pub(super) fn own_worker(
        &mut self,
        named: Option<IdRef>,
        template: Option<&crate::parse::templates::Template>,
    ) -> Option<IdRef> {
        if self.role != Some(Role::Worker) {
            return named.or_else(|| self.banner_worker.clone());
        }
        let gives_full =
            template.is_some_and(|t| t.says == crate::parse::templates::Says::FullWorkerId);
        match (&mut self.banner_worker, named) {
            (Some(banner), Some(full)) if gives_full => {
                crate::trail::record::better_id(banner, &full);
                Some(banner.clone())
            }
            (Some(banner), _) => Some(banner.clone()),
            (None, named) => named,
        }
    }

    /// The worker the last start-up banner named.
    pub fn banner_worker(&self) -> Option<&IdRef> {
        self.banner_worker.as_ref()
    }
}

/// A start-up banner's line (`ZisK Worker v…`, `   ZisK zkVM …`, a label right-aligned in 12
/// columns, mpirun's binding report, a CUDA image's preamble): never a message's continuation.
pub(super) fn banner_line(clean: &str) -> bool {
    let trimmed = clean.trim_start();
    if trimmed.starts_with("ZisK ") || trimmed.starts_with("==") {
        return true;
    }
    if clean.starts_with('[') && clean.contains("] MCW rank") {
        return true;
    }
    let b = clean.as_bytes();
    b.len() > 12
        && b[12] == b' '
        && b[0] == b' '
        && clean[..12]
            .trim_start()
            .bytes()
            .all(|c| c.is_ascii_alphabetic() || c == b' ' || c == b'/')
}
