//! Reads a regular file through memory maps instead of `read`: no copy of every byte into a
//! buffer, which is most of the cost of passing over gigabytes that the prefilter skips.
//! The file is mapped a window at a time, so memory stays flat however large it is.
//!
//! A file that shrinks while mapped (truncated, or rotated with copytruncate) makes the next
//! access to a vanished page raise SIGBUS; the guard in `window` turns that into one message naming the
//! file and exit code 3, instead of a crash.
//!
//! `seek` finds where a time window lies in a file (bisection) and what the bytes before it
//! hold (checkpoints); `window` maps a window and guards it against SIGBUS.

mod seek;
mod window;

pub use seek::time_range;

use std::fs::File;
use std::io;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use super::LineFeeder;
use crate::parse::{scan_block, Keep, Prefilter, ScannedBlock, MAX_LINE_BYTES};
use crate::time::Timestamp;
use seek::{line_before, next_line_after, prefix, Checkpoint, Known};
pub(super) use window::Window;

/// Bytes mapped at once, at most: a reader alone goes through a file in large steps.
pub(super) const WINDOW: usize = 4 << 20;
/// Bytes mapped at once, at least: one of hundreds of readers maps little at a time, since
/// every page of a window, and the lines scanned ahead in it, count in the process's memory
/// until the window is parsed.
const MIN_WINDOW: usize = 16 << 10;

/// The window to map now: the stream's share of the read-ahead budget (see
/// [`super::read_ahead_share`]), within [`MIN_WINDOW`]..=[`WINDOW`].
fn window_bytes() -> usize {
    super::read_ahead_share().clamp(MIN_WINDOW, WINDOW)
}

/// What a line parsed ahead holds, as a multiple of its bytes (its fields, IDs and message
/// built; measured on tracing JSON with `-o json`: about five).
const PARSED_AHEAD_COST: usize = 5;

/// [`window_bytes`] for a reader whose last window had `parsed_permille` of its bytes parsed
/// ahead by the scan: smaller as more is parsed ahead, since that is held until it is parsed.
fn scan_window_bytes(parsed_permille: usize) -> usize {
    let cost = 1000 + PARSED_AHEAD_COST * parsed_permille;
    (super::read_ahead_share() * 1000 / cost).clamp(MIN_WINDOW, WINDOW)
}
/// Bytes handed to the parser at once: large enough to be scanned on two threads, small
/// enough that the lines parsed ahead in it stay few.
const FEED: usize = 1 << 20;

/// Where a read of `file` (of `len` bytes) for a time window begins and ends: found by
/// bisection (see [`time_range`]); what the lines passed over leave (the last banner, the
/// line count) is given to the feeder and added to `line_no`.
pub(super) fn begin(
    file: &File,
    len: u64,
    window: (Option<Timestamp>, Option<Timestamp>),
    shown: &str,
    feeder: &mut LineFeeder,
    line_no: &mut u64,
) -> io::Result<(Range<u64>, Checkpoints)> {
    let (offset, len) = time_range(file, len, window.0, window.1).unwrap_or_else(|| {
        crate::report::notice_once(&format!(
            "{shown}: lines out of time order (a clock stepped back?): read whole for the time window"
        ));
        (0, len)
    });
    let known = Known::of(file);
    if offset > 0 {
        // The lines passed over still leave their state: the last banner, the last time.
        let at = prefix(file, offset, &known, shown)?;
        let last = line_before(file, offset)?;
        feeder.resume_after(at.worker, &last);
        *line_no += at.lines;
    }
    let checkpoints = Checkpoints {
        known,
        last: offset,
    };
    Ok((offset..len, checkpoints))
}

/// Bytes between two checkpoints recorded while reading: often enough that a later read
/// starting in the middle counts little, rarely enough that hundreds of streams read in small
/// windows do not fill memory with them.
const CHECKPOINT_EVERY: u64 = FEED as u64;

/// Records, as a file is read, what its first bytes hold (see [`seek::prefix`]).
pub(super) struct Checkpoints {
    known: Known,
    last: u64,
}

impl Checkpoints {
    /// The lines up to `offset` (a line's end) have been fed.
    pub(super) fn passed(&mut self, offset: u64, feeder: &LineFeeder, line_no: u64) {
        if offset < self.last + CHECKPOINT_EVERY {
            return;
        }
        self.last = offset;
        let at = Checkpoint {
            lines: line_no,
            worker: feeder.parser.banner_worker().cloned(),
        };
        self.known.record(offset, at);
    }
}

/// Feeds the lines of `file` (of `len` bytes) to the feeder, as [`super::file`]'s block reader
/// would; `line_no` counts the lines fed. With a time window, only the part of the file that
/// can hold it is read (see [`begin`]). `shown` names the file.
pub fn read_mapped(
    file: &File,
    len: u64,
    window: (Option<Timestamp>, Option<Timestamp>),
    shown: &str,
    feeder: &mut LineFeeder,
    line_no: &mut u64,
) -> io::Result<()> {
    let (range, checkpoints) = begin(file, len, window, shown, feeder, line_no)?;
    read_range(file, range, checkpoints, shown, feeder, line_no)
}

/// Feeds the lines of `range` of `file` (it starts at a line's start) to the feeder;
/// `line_no` counts the lines fed before and now.
pub(super) fn read_range(
    file: &File,
    range: Range<u64>,
    mut checkpoints: Checkpoints,
    shown: &str,
    feeder: &mut LineFeeder,
    line_no: &mut u64,
) -> io::Result<()> {
    let (offset, len) = (range.start, range.end);
    let (prefilter, keep) = (feeder.parser.prefilter().clone(), feeder.parser.keep());
    // A thread maps the next windows and has them scanned while this one parses the last.
    std::thread::scope(|scope| {
        // Windows are mapped ahead whatever the share: each is sized to it (parsed lines
        // counted), so those in flight hold a few shares at most, and a stream read on its own
        // thread (a few at most: many are read in turns, `file::pooled`) beside many others
        // would otherwise parse one small window at a time on one thread, the scan of the
        // next waiting for the last to be taken (the coordinator beside 16 workers: a fifth of
        // triage's time).
        let (tx, rx) = crossbeam_channel::bounded(IN_FLIGHT);
        scope.spawn(move || scan_windows(file, offset, len, (prefilter, keep), shown, tx));
        for chunk in &rx {
            let chunk: Chunk = chunk?;
            // Scanned on rayon's pool, whose task always sends (a panic there aborts).
            let blocks = chunk
                .scanned
                .recv()
                .map_err(|_| io::Error::other("a window's scan ended without a result"))?;
            for (range, scanned) in blocks {
                let end = range.end;
                let (n, open) = feeder.apply(&chunk.window.map[range], scanned, *line_no + 1);
                *line_no += n;
                if !open || !feeder.sink.flush() {
                    return Ok(());
                }
                checkpoints.passed(chunk.window.base + end as u64, feeder, *line_no);
            }
        }
        Ok(())
    })
}

/// Windows mapped and being scanned ahead of the one parsed: with more than one, the pool's
/// threads go on to the next window while the last one's slower part is finished, and while
/// the next is mapped.
const IN_FLIGHT: usize = 2;

/// One mapped window, and what scanning its blocks of whole lines (ranges of it) finds, once
/// the pool has scanned them.
struct Chunk {
    window: Arc<Window>,
    scanned: Receiver<Vec<(Range<usize>, ScannedBlock)>>,
}

/// Maps the file from `offset` to `len` a window at a time, cuts each window into blocks of
/// whole lines, has them scanned on rayon's pool and sends them on, until done or the
/// receiver is gone.
fn scan_windows(
    file: &File,
    mut offset: u64,
    len: u64,
    (prefilter, keep): (Prefilter, Keep),
    shown: &str,
    tx: Sender<io::Result<Chunk>>,
) {
    // Of the last window scanned, the share of its bytes parsed ahead (per mille); before the
    // first, all of it: every stream's first window is held at once while the merge waits
    // for the first event of each.
    let parsed_permille = Arc::new(AtomicUsize::new(1000));
    while offset < len {
        let size = scan_window_bytes(parsed_permille.load(Ordering::Relaxed));
        let mapped = Window::sized(file, offset, len, shown, size).and_then(|(window, skip)| {
            if window.whole_lines_from(skip).is_some() || window.map.len() >= WINDOW {
                return Ok((window, skip));
            }
            // A line longer than a small window: map room for the part of it that is kept.
            drop(window);
            Window::sized(file, offset, len, shown, WINDOW)
        });
        let (window, skip) = match mapped {
            Ok(w) => w,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let data = &window.map[..];
        let mut blocks = Vec::new();
        let next = match window.whole_lines_from(skip) {
            Some(end) => {
                let mut pos = skip;
                while pos < end {
                    let cut = if end - pos <= FEED {
                        end
                    } else {
                        memchr::memrchr(b'\n', &data[pos..pos + FEED]).map_or(end, |i| pos + i + 1)
                    };
                    blocks.push(pos..cut);
                    pos = cut;
                }
                Ok(window.base + end as u64)
            }
            None => {
                // One line longer than the window: its start, then on past its end.
                blocks.push(skip..skip + MAX_LINE_BYTES + 1);
                next_line_after(file, window.base + data.len() as u64, len, shown)
            }
        };
        let window = Arc::new(window);
        let (done, scanned) = crossbeam_channel::bounded(1);
        let (mapped, prefilter) = (window.clone(), prefilter.clone());
        let parsed_share = parsed_permille.clone();
        rayon::spawn(move || {
            let blocks: Vec<_> = blocks
                .into_iter()
                .map(|range| {
                    let scanned = scan_block(&prefilter, keep, &mapped.map[range.clone()]);
                    (range, scanned)
                })
                .collect();
            let parsed: usize = blocks.iter().map(|(_, s)| s.parsed_ahead_bytes()).sum();
            let permille = parsed * 1000 / mapped.map.len().max(1);
            parsed_share.store(permille, Ordering::Relaxed);
            let _ = done.send(blocks);
        });
        if tx.send(Ok(Chunk { window, scanned })).is_err() {
            return;
        }
        match next {
            Ok(next) => offset = next,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
}
