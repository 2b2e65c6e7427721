//! The job-lifecycle messages the real ZisK releases log, as data: one table per release family
//! (`current`: v0.13 → v0.18 and the unreleased `recurser` branch; `v0_12`), each row a
//! message template as the code writes it, what the line says happened, and the phase it
//! carries. `lookup` finds a message's row; the stream parser turns rows into phases
//! (`phases.rs`), the trail into jobs (`trail/record.rs`).

mod current;
mod v0_12;

use std::sync::LazyLock;

use memchr::memmem::Finder;

use crate::derive::is_uuid;
use crate::event::Phase;

/// What a line says happened (the event kind of its row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Says {
    /// Nothing the trail needs (the row fixes a phase, or marks a release).
    Note,
    JobStarted,
    /// The coordinator started a phase of the job (`[PhaseN] Started`).
    PhaseStarted,
    /// One worker's part of a phase is done (`… finished phase N … (k/n workers done`).
    WorkerDone,
    AggregatorAssigned,
    /// The aggregator finished (`phase 3 completed`).
    AggregateDone,
    JobCompleted,
    JobFailed,
    JobCancelled,
    /// The coordinator's reason before a `Failed job` line (`[Monitor] …`, a lost worker).
    FailReason,
    /// A worker acknowledged a setup job / every worker did / one failed it.
    SetupAck,
    SetupDone,
    SetupFailed,
    WrapStarted,
    WrapCompleted,
    WorkerRegistered,
    WorkerDisconnected,
    /// A worker starts computing its part of a phase: opens its phase window.
    Opens,
    /// A worker's part ends (result, failure, cancellation): closes its phase window.
    Closes,
    /// A line that gives a worker's full ID (`[Recovery] <id>:`, `Worker ID mismatch`).
    FullWorkerId,
}

/// The phase a line carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carries {
    /// This phase, whatever the state (the message's tag or phase-specific wording).
    Tag(&'static str),
    /// The phase its `{P}` names (`… in phase Prove`, `[Monitor] Phase Prove timed out`).
    Named,
    /// The phase the job is in (the coordinator's `Failed job`, `Cancelled job`).
    JobPhase,
    /// The phase the worker is computing (its window), when it names no other job.
    Window,
    /// None (setup, wrap, start-up and fleet lines).
    Never,
}

/// One row of a release table.
#[derive(Debug, PartialEq)]
pub struct Template {
    /// The message as the code formats it. Holes: `{J}` a job ID (`JobId(…)` or a bare UUID),
    /// `{uuid}` a bare 36-character UUID, `{W}` a `WorkerId(…)`, `{P}` a phase name, `{id}`
    /// any ID word, `{*}` any text (numbers, reasons, sizes).
    pub text: &'static str,
    pub says: Says,
    pub carries: Carries,
    /// Only a real release logs it (DOMAIN.md's documented shape never did): a stream that
    /// shows it is read by the release rules (tags and windows, not loose words).
    pub real: bool,
}

/// A row (holes as in [`Template::text`]) that only real releases log.
pub const fn real(text: &'static str, says: Says, carries: Carries) -> Template {
    Template {
        text,
        says,
        carries,
        real: true,
    }
}

/// A row that DOMAIN.md's shape shares with the releases.
pub const fn shared(text: &'static str, says: Says, carries: Carries) -> Template {
    Template {
        text,
        says,
        carries,
        real: false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hole {
    Job,
    Uuid,
    Worker,
    Phase,
    Id,
    Any,
}

#[derive(Debug)]
enum Piece {
    Lit(Box<Finder<'static>>),
    Hole(Hole),
}

struct Compiled {
    row: &'static Template,
    pieces: Vec<Piece>,
    /// The head's first 8 bytes as [`first_8`] gives them: most rows are passed over by one
    /// compare of a word, not a call to `memcmp` (many rows start alike, with `[`).
    head_8: (u64, u64),
}

/// What a message matched: its row and the phase its `{P}` named.
#[derive(Clone, Debug, PartialEq)]
pub struct Matched {
    pub row: &'static Template,
    pub named: Option<Phase>,
}

impl Matched {
    /// The phase the row fixes by itself (a tag, or the phase its `{P}` names).
    pub fn tagged(&self) -> Option<Phase> {
        match self.row.carries {
            Carries::Tag(p) => Some(Phase::new(p)),
            Carries::Named => self.named.clone(),
            _ => None,
        }
    }
}

/// The first (up to) 8 bytes of `bytes` as a little-endian word, zeros after the end, and the
/// mask of the bytes it holds.
fn first_8(bytes: &[u8]) -> (u64, u64) {
    let n = bytes.len().min(8);
    let mut word = [0u8; 8];
    word[..n].copy_from_slice(&bytes[..n]);
    let mask = if n == 8 { u64::MAX } else { (1 << (8 * n)) - 1 };
    (u64::from_le_bytes(word), mask)
}

fn compile(row: &'static Template) -> Compiled {
    let mut pieces = Vec::new();
    let mut rest = row.text;
    while !rest.is_empty() {
        let hole = [
            ("{J}", Hole::Job),
            ("{uuid}", Hole::Uuid),
            ("{W}", Hole::Worker),
            ("{P}", Hole::Phase),
            ("{id}", Hole::Id),
            ("{*}", Hole::Any),
        ]
        .iter()
        .filter_map(|(name, h)| rest.find(name).map(|at| (at, name.len(), *h)))
        .min_by_key(|(at, _, _)| *at);
        match hole {
            Some((0, len, h)) => {
                pieces.push(Piece::Hole(h));
                rest = &rest[len..];
            }
            Some((at, _, _)) => {
                pieces.push(Piece::Lit(Box::new(Finder::new(&rest[..at]))));
                rest = &rest[at..];
            }
            None => {
                pieces.push(Piece::Lit(Box::new(Finder::new(rest))));
                rest = "";
            }
        }
    }
    let mut compiled = Compiled {
        row,
        pieces,
        head_8: (0, 0),
    };
    compiled.head_8 = first_8(compiled.head());
    compiled
}

fn hole_fits(hole: Hole, text: &str) -> bool {
    match hole {
        Hole::Job => text.starts_with("JobId(") && text.ends_with(')') || is_uuid(text),
        Hole::Uuid => is_uuid(text),
        Hole::Worker => text.starts_with("WorkerId(") && text.ends_with(')'),
        Hole::Phase | Hole::Id => !text.is_empty() && !text.contains(' '),
        Hole::Any => true,
    }
}

impl Compiled {
    /// Matches the whole message; returns the text of the `{P}` hole, if any.
    fn matches<'m>(&self, msg: &'m str) -> Option<Option<&'m str>> {
        let mut pos = 0;
        let mut named = None;
        let mut open: Option<(Hole, usize)> = None;
        let last = self.pieces.len() - 1;
        for (i, piece) in self.pieces.iter().enumerate() {
            match piece {
                Piece::Hole(h) => open = Some((*h, pos)),
                Piece::Lit(lit) => {
                    let at = match open {
                        None => msg.as_bytes()[pos..]
                            .starts_with(lit.needle())
                            .then_some(pos)?,
                        // The last literal ends the message (a reason may hold it too).
                        Some((_, from)) if i == last => {
                            let at = msg.len().checked_sub(lit.needle().len())?;
                            (at >= from && msg.as_bytes().ends_with(lit.needle())).then_some(at)?
                        }
                        Some((_, from)) => from + lit.find(&msg.as_bytes()[from..])?,
                    };
                    if let Some((h, from)) = open.take() {
                        let text = &msg[from..at];
                        if !hole_fits(h, text) {
                            return None;
                        }
                        if h == Hole::Phase {
                            named = Some(text);
                        }
                    }
                    pos = at + lit.needle().len();
                }
            }
        }
        match open {
            Some((h, from)) => {
                let text = &msg[from..];
                if !hole_fits(h, text) {
                    return None;
                }
                if h == Hole::Phase {
                    named = Some(text);
                }
            }
            None if pos != msg.len() => return None,
            None => {}
        }
        Some(named)
    }

    /// The literal the message must start with (empty when the row starts with a hole).
    fn head(&self) -> &[u8] {
        match self.pieces.first() {
            Some(Piece::Lit(lit)) => lit.needle(),
            _ => b"",
        }
    }

    /// Whether the message starts with the row's head, its first 8 bytes given by [`first_8`].
    fn starts(&self, msg: &[u8], msg_8: u64) -> bool {
        let (head_8, mask) = self.head_8;
        msg_8 & mask == head_8 && (mask != u64::MAX || msg.starts_with(self.head()))
    }

    /// The literal the message must end with (empty when the row ends with a hole).
    fn tail(&self) -> &[u8] {
        match self.pieces.last() {
            Some(Piece::Lit(lit)) => lit.needle(),
            _ => b"",
        }
    }
}

/// The rows by the first byte of their head; rows that start with a hole are tried on every
/// message (there are few).
struct Index {
    by_first: Vec<Vec<Compiled>>,
    floating: Vec<Compiled>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut by_first: Vec<Vec<Compiled>> = (0..256).map(|_| Vec::new()).collect();
    let mut floating = Vec::new();
    for row in current::ROWS.iter().chain(v0_12::ROWS) {
        let c = compile(row);
        match c.head().first() {
            Some(&b) => by_first[b as usize].push(c),
            None => floating.push(c),
        }
    }
    Index { by_first, floating }
});

/// The row a message matches (first in table order), if any.
pub fn lookup(msg: &str) -> Option<Matched> {
    let first = *msg.as_bytes().first()?;
    let index = &*INDEX;
    // A row's first literal starts the message and its last ends it: two compares pass over
    // most rows before their literals are searched for.
    let (msg_8, _) = first_8(msg.as_bytes());
    index.by_first[first as usize]
        .iter()
        .filter(|c| c.starts(msg.as_bytes(), msg_8))
        .chain(&index.floating)
        .filter(|c| msg.as_bytes().ends_with(c.tail()))
        .find_map(|c| {
            c.matches(msg).map(|named| Matched {
                row: c.row,
                named: named.map(Phase::new),
            })
        })
}

/// Every row of every table (for tests and documentation).
#[cfg(test)]
pub fn all_rows() -> impl Iterator<Item = &'static Template> {
    current::ROWS.iter().chain(v0_12::ROWS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message built from a row's template text, with sample values in its holes.
    fn line_from(text: &str) -> String {
        text.replace("{J}", "JobId(1a2b3c4d…)")
            .replace("{uuid}", "1a2b3c4d-0000-4000-8000-00000000abcd")
            .replace("{W}", "WorkerId(9f8e7d6c…)")
            .replace("{P}", "Prove")
            .replace("{id}", "9f8e7d6c5b4a39281706f5e4d3c2b1a0")
            .replace("{*}", "7 (x: 1.5s)")
    }

    #[test]
    fn every_template_recognises_a_line_built_from_its_text() {
        let mut failures = Vec::new();
        for row in all_rows() {
            let line = line_from(row.text);
            match lookup(&line) {
                Some(m) if std::ptr::eq(m.row, row) => {
                    if row.carries == Carries::Named && m.tagged() != Some(Phase::prove()) {
                        failures.push(format!("{:?}: {{P}} not read", row.text));
                    }
                }
                Some(m) => failures.push(format!("{:?} matched {:?}", row.text, m.row.text)),
                None => failures.push(format!("{:?}: no match for {line:?}", row.text)),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn loose_words_give_no_row_and_no_phase() {
        for msg in [
            ">>> GENERATING_INNER_PROOFS",
            "Last proof received. [4] proofs were received and waiting for 1 aggregated proofs to be generated...",
            "Using 28 threads based on physical cores per process, considering there are 1 processes per node",
        ] {
            assert_eq!(lookup(msg), None, "{msg}");
        }
    }

    #[test]
    fn holes_check_what_they_hold() {
        // A bare UUID is the release's `Starting Partial Contribution`; DOMAIN's wrapped one
        // is still a window opener, but not a release marker.
        let real = lookup("Starting Partial Contribution for 1a2b3c4d-0000-4000-8000-00000000abcd")
            .unwrap();
        assert!(real.row.real);
        let wrapped = lookup("Starting Partial Contribution for JobId(1a2b3c4d…)").unwrap();
        assert!(!wrapped.row.real);
        assert_eq!(wrapped.row.says, Says::Opens);
        // The `Worker … disconnected` row does not swallow the longer failure line.
        let lost = lookup("Worker WorkerId(9f8e7d6c…) disconnected while computing for job JobId(1a2b3c4d…) in phase Aggregate").unwrap();
        assert_eq!(lost.row.says, Says::FailReason);
        assert_eq!(lost.tagged(), Some(Phase::aggregate()));
        let phase1 = lookup("[Phase1] WorkerId(9f8e7d6c…) finished phase 1 for JobId(1a2b3c4d…) (1/4 workers done, Phase: 8.079s, Delay: 0.050s)").unwrap();
        assert_eq!(phase1.tagged(), Some(Phase::contributions()));
    }
}
