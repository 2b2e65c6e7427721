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
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use super::LineFeeder;
use crate::parse::{scan_block, Keep, Prefilter, ScannedBlock, MAX_LINE_BYTES};
use crate::time::Timestamp;
use seek::{line_before, next_line_after, prefix, Checkpoint, Known};
use window::Window;

/// Bytes mapped at once.
const WINDOW: usize = 4 << 20;
/// Bytes handed to the parser at once: large enough to be scanned on two threads, small
/// enough that the lines parsed ahead in it stay few.
const FEED: usize = 1 << 20;

/// Feeds the lines of `file` (of `len` bytes) to the feeder, as [`super::file`]'s block reader
/// would; `line_no` counts the lines fed. With a time window, only the part of the file that
/// can hold it is read, found by bisection (see [`time_range`]). `shown` names the file.
pub fn read_mapped(
    file: &File,
    len: u64,
    window: (Option<Timestamp>, Option<Timestamp>),
    shown: &str,
    feeder: &mut LineFeeder,
    line_no: &mut u64,
) -> io::Result<()> {
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
    let (prefilter, keep) = (feeder.parser.prefilter().clone(), feeder.parser.keep());
    // A thread maps the next windows and has them scanned while this one parses the last.
    std::thread::scope(|scope| {
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
                let at = Checkpoint {
                    lines: *line_no,
                    worker: feeder.parser.banner_worker().cloned(),
                };
                known.record(chunk.window.base + end as u64, at);
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
    while offset < len {
        let (window, skip) = match Window::at(file, offset, len, shown) {
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
        rayon::spawn(move || {
            let blocks = blocks
                .into_iter()
                .map(|range| {
                    let scanned = scan_block(&prefilter, keep, &mapped.map[range.clone()]);
                    (range, scanned)
                })
                .collect();
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
