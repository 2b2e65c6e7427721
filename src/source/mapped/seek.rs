//! Seeking in a mapped file: the byte range that can hold a time window, found by bisection,
//! and checkpoints of what the bytes before an offset hold (line count, the last banner's
//! worker), so a read that starts mid-file need not read the start again.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Mutex;

use super::window::Window;
use super::FEED;
use crate::event::IdRef;
use crate::parse::{banner_line_id, count_newlines, find_odd_line, line_time};
use crate::time::Timestamp;

/// How far outside the window a line's time may stray from the order of the file (threads
/// writing a moment apart, a clock step) and still be read.
const SLACK_US: i64 = 5 * 60 * 1_000_000;
/// Bisection stops when the candidate range is this small; probes read this much at once.
const PROBE: usize = 64 << 10;
/// How far a probe looks for a line that carries its own time.
const PROBE_REACH: u64 = 1 << 20;

/// Evenly spread probes that check a file is in time order before it is bisected.
const ORDER_PROBES: u64 = 32;

/// The byte range of `file` that can hold lines timed within [since, until] (each widened by
/// [`SLACK_US`]), assuming the file is written in time order: every line before the start is
/// earlier than the window, every line from the end on later. Both are line starts. `None`
/// when probes through the file find it out of order (a clock stepped back by more than the
/// slack): bisection would then skip lines of the window, so the whole file must be read.
pub fn time_range(
    file: &File,
    len: u64,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
) -> Option<(u64, u64)> {
    if since.is_none() && until.is_none() {
        return Some((0, len));
    }
    if !in_time_order(file, len) {
        return None;
    }
    let start = since.map_or(0, |t| {
        bisect(file, len, Timestamp(t.0.saturating_sub(SLACK_US))).0
    });
    let end = until.map_or(len, |t| {
        bisect(file, len, Timestamp(t.0.saturating_add(SLACK_US)))
            .1
            .unwrap_or(len)
    });
    Some((start, end.max(start)))
}

/// Do lines timed at [`ORDER_PROBES`] points through the file come in time order (within
/// [`SLACK_US`])? A step back between two probes is not seen; one across them is.
fn in_time_order(file: &File, len: u64) -> bool {
    let mut buf = vec![0u8; PROBE];
    let mut latest = Timestamp::MIN;
    for i in 0..ORDER_PROBES {
        let from = len / ORDER_PROBES * i;
        let Some((_, ts)) = timed_line_after(file, from, len, &mut buf) else {
            continue;
        };
        if ts.0 < latest.0.saturating_sub(SLACK_US) {
            return false;
        }
        latest = latest.max(ts);
    }
    true
}

/// Bisects the file for time `t`: a line start before which every line is earlier than `t`,
/// and the start of a line at or after `t` from which on every line is (when one was seen).
fn bisect(file: &File, len: u64, t: Timestamp) -> (u64, Option<u64>) {
    let (mut lo, mut hi) = (0, len);
    let mut later = None;
    let mut buf = vec![0u8; PROBE];
    while hi - lo > PROBE as u64 {
        let mid = lo + (hi - lo) / 2;
        match timed_line_after(file, mid, hi, &mut buf) {
            Some((start, ts)) if ts < t => lo = start,
            Some((start, _)) => {
                hi = mid;
                later = Some(start);
            }
            // Nothing timed near: keep the range that is certain to be read.
            None => hi = mid,
        }
    }
    (lo, later)
}

/// The first whole line starting after `from` (and before `to`, within [`PROBE_REACH`]) that
/// carries its own time: its start and time. `buf` is [`PROBE`] bytes to read into.
fn timed_line_after(file: &File, from: u64, to: u64, buf: &mut [u8]) -> Option<(u64, Timestamp)> {
    // From the byte before `from`, so that a line starting at `from` counts.
    let mut pos = from.saturating_sub(1);
    let mut in_partial = from > 0;
    let limit = (from + PROBE_REACH).min(to);
    // A few lines are usually enough: the first read is small, later ones a whole probe.
    let mut size = 4 << 10;
    while pos < limit {
        let want = ((limit - pos) as usize).min(size);
        let n = file.read_at(&mut buf[..want], pos).ok()?;
        let data = &buf[..n];
        let mut i = 0;
        if in_partial {
            match memchr::memchr(b'\n', data) {
                Some(k) => i = k + 1,
                None if n == want && size < PROBE => {
                    size = PROBE;
                    continue;
                }
                None => return None,
            }
            in_partial = false;
        }
        while let Some(k) = memchr::memchr(b'\n', &data[i..]) {
            if pos + (i as u64) >= limit {
                return None;
            }
            if let Some(ts) = line_time(&data[i..i + k]) {
                return Some((pos + i as u64, ts));
            }
            i += k + 1;
        }
        if n < want {
            return None;
        }
        if i == 0 && size == PROBE {
            return None;
        }
        pos += i as u64;
        size = PROBE;
    }
    None
}

/// What the first bytes of a file hold: how many lines, and the worker the last start-up
/// banner among them named.
#[derive(Clone, Debug, Default)]
pub(super) struct Checkpoint {
    pub(super) lines: u64,
    pub(super) worker: Option<IdRef>,
}

/// Checkpoints of the files this process has read, by offset: a job's trail reads the same
/// files several times (the whole coordinator for the job, then its window), and a read that
/// starts in the middle of a file must know what came before without reading it again.
pub(super) struct Known {
    file: Option<(u64, u64)>,
}

/// A file's device and inode, and its checkpoints by offset.
type FileCheckpoints = ((u64, u64), BTreeMap<u64, Checkpoint>);
static CHECKPOINTS: Mutex<Vec<FileCheckpoints>> = Mutex::new(Vec::new());

impl Known {
    pub(super) fn of(file: &File) -> Known {
        use std::os::unix::fs::MetadataExt;
        Known {
            file: file.metadata().ok().map(|m| (m.dev(), m.ino())),
        }
    }

    pub(super) fn record(&self, offset: u64, at: Checkpoint) {
        let Some(key) = self.file else { return };
        let mut all = CHECKPOINTS.lock().unwrap_or_else(|p| p.into_inner());
        let i = match all.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                all.push((key, BTreeMap::new()));
                all.len() - 1
            }
        };
        all[i].1.insert(offset, at);
    }

    /// The last checkpoint at or before `offset`, and its offset.
    fn before(&self, offset: u64) -> (u64, Checkpoint) {
        let Some(key) = self.file else {
            return (0, Checkpoint::default());
        };
        let all = CHECKPOINTS.lock().unwrap_or_else(|p| p.into_inner());
        all.iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, points)| points.range(..=offset).next_back())
            .map_or((0, Checkpoint::default()), |(at, c)| (*at, c.clone()))
    }
}

/// What the first `end` bytes of the file hold, from the last checkpoint before `end` on.
pub(super) fn prefix(file: &File, end: u64, known: &Known, shown: &str) -> io::Result<Checkpoint> {
    let (mut offset, mut at) = known.before(end);
    while offset < end {
        let (window, skip) = Window::at(file, offset, end, shown)?;
        let data = &window.map[skip..];
        // A line longer than the window is counted when its newline comes.
        let whole = window
            .whole_lines_from(skip)
            .map_or(data.len(), |e| e - skip);
        let (lines, worker) = lines_and_banner(&data[..whole]);
        at.lines += lines;
        if worker.is_some() {
            at.worker = worker;
        }
        offset += whole as u64;
    }
    known.record(end, at.clone());
    Ok(at)
}

/// Newlines in `data` (whole lines), and the worker the last start-up banner in it names; on
/// two threads when it is large. A banner line is never shaped like an event (it starts with
/// spaces or an ANSI sequence), so one pass that counts newlines and stops only at odd lines
/// finds the banners too.
fn lines_and_banner(data: &[u8]) -> (u64, Option<IdRef>) {
    let half = data.len() / 2;
    if data.len() >= FEED {
        // A line end near the middle that leaves both halves non-empty: a block of one long
        // line (its only newline its last byte) is not split again and again.
        let after = memchr::memchr(b'\n', &data[half..]).map(|i| half + i + 1);
        let before = || memchr::memrchr(b'\n', &data[..half]).map(|i| i + 1);
        let cut = after.filter(|&c| c < data.len()).or_else(before);
        if let Some(cut) = cut {
            let (a, b) = data.split_at(cut);
            let ((a_lines, a_worker), (b_lines, b_worker)) =
                rayon::join(|| lines_and_banner(a), || lines_and_banner(b));
            return (a_lines + b_lines, b_worker.or(a_worker));
        }
    }
    let (mut lines, mut worker) = (0, None);
    let mut pos = 0;
    let mut odd_lines = 0;
    while pos < data.len() {
        // `pos` starts the first line or an odd one.
        let stop = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
        if let Some(id) = banner_line_id(&data[pos..stop]) {
            worker = Some(id);
        }
        odd_lines += 1;
        if odd_lines > 64 + pos / 1024 {
            // Odd lines everywhere (pretty events): searching for the banner's words and
            // counting newlines apart is faster than stopping at every line.
            let (more, later) = banners_by_search(&data[pos..]);
            return (lines + more, later.or(worker));
        }
        let (newlines, odd) = find_odd_line(&data[pos..]);
        lines += newlines;
        match odd {
            Some(at) => pos += at,
            None => break,
        }
    }
    (lines, worker)
}

/// [`lines_and_banner`] in two passes: the banner's words, then the newlines.
fn banners_by_search(data: &[u8]) -> (u64, Option<IdRef>) {
    static WORKER_ID: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"Worker ID"));
    let mut worker = None;
    for hit in WORKER_ID.find_iter(data) {
        let start = memchr::memrchr(b'\n', &data[..hit]).map_or(0, |i| i + 1);
        let stop = memchr::memchr(b'\n', &data[hit..]).map_or(data.len(), |i| hit + i);
        if let Some(id) = banner_line_id(&data[start..stop]) {
            worker = Some(id);
        }
    }
    (count_newlines(data), worker)
}

/// The line that ends just before `offset` (a line start after the first).
pub(super) fn line_before(file: &File, offset: u64) -> io::Result<Vec<u8>> {
    let from = offset.saturating_sub(PROBE as u64);
    let mut buf = vec![0u8; (offset - from) as usize];
    file.read_exact_at(&mut buf, from)?;
    let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
    let start = memchr::memrchr(b'\n', body).map_or(0, |i| i + 1);
    Ok(body[start..].to_vec())
}

/// The offset just after the next newline at or after `from` (or `len`).
pub(super) fn next_line_after(
    file: &File,
    mut from: u64,
    len: u64,
    shown: &str,
) -> io::Result<u64> {
    while from < len {
        let (window, skip) = Window::at(file, from, len, shown)?;
        if let Some(i) = memchr::memchr(b'\n', &window.map[skip..]) {
            return Ok(from + i as u64 + 1);
        }
        from = window.base + window.map.len() as u64;
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of every kind: events, banners (plain, indented, coloured), pretty continuations.
    fn mixed(lines: usize, pretty_every: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..lines {
            match i % 997 {
                5 => out.extend_from_slice(format!("   Worker ID w-{i}\n").as_bytes()),
                300 => {
                    out.extend_from_slice(format!("\x1b[1m   Worker ID c-{i}\x1b[0m\n").as_bytes())
                }
                600 => out.extend_from_slice(b"ZisK Worker v0.15.0\n"),
                _ if pretty_every > 0 && i % pretty_every == 0 => {
                    out.extend_from_slice(b"    at src/worker.rs:12 on main\n")
                }
                _ => out.extend_from_slice(
                    format!(
                        "2026-11-21T10:00:00.{i:06}Z INFO: step {i} of JobId(1a2b3c4d\u{2026})\n"
                    )
                    .as_bytes(),
                ),
            }
        }
        out
    }

    #[test]
    fn one_pass_finds_the_same_lines_and_banner_as_two() {
        // Sparse odd lines (one pass), dense ones (the search takes over), and a block large
        // enough to be split between threads.
        for (lines, pretty_every) in [(5_000, 0), (5_000, 2), (80_000, 0), (80_000, 3)] {
            let data = mixed(lines, pretty_every);
            let (count, worker) = lines_and_banner(&data);
            assert_eq!(count, lines as u64);
            assert_eq!((count, worker.clone()), banners_by_search(&data));
            assert!(worker.is_some_and(|w| w.text.starts_with('w') || w.text.starts_with('c')));
        }
        assert!(mixed(80_000, 0).len() > FEED);
    }

    #[test]
    fn a_block_of_one_long_line_is_counted_without_splitting_it_forever() {
        for lines_after in [0, 3] {
            let mut data = vec![b'x'; 3 * FEED];
            data.push(b'\n');
            data.extend(mixed(lines_after, 0));
            let lines = 1 + lines_after as u64;
            assert_eq!(lines_and_banner(&data).0, lines);
            let mut before = mixed(3, 0);
            before.extend(&data);
            assert_eq!(lines_and_banner(&before).0, lines + 3);
        }
    }

    #[test]
    fn probes_find_timed_lines_longer_than_their_first_read() {
        // Lines of 10 KiB: the first small read of a probe holds no whole line.
        let mut data = Vec::new();
        for i in 0..40u32 {
            let line = format!(
                "2026-11-21T10:00:{i:02}.000000Z INFO: {}\n",
                "x".repeat(10_000)
            );
            data.extend_from_slice(line.as_bytes());
        }
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &data).unwrap();
        let mut buf = vec![0u8; PROBE];
        let len = data.len() as u64;
        // From the middle of a line: the next line, its start and time.
        let (start, ts) = timed_line_after(&file, 15_000, len, &mut buf).unwrap();
        assert_eq!(
            start,
            memchr::memchr(b'\n', &data[15_000..]).unwrap() as u64 + 15_001
        );
        assert_eq!(Some(ts), line_time(&data[start as usize..]));
        // Bisection lands on the line of the asked time.
        let t = line_time(b"2026-11-21T10:00:20.000000Z INFO: x").unwrap();
        let (before, at) = bisect(&file, len, t);
        let at = at.unwrap() as usize;
        assert!(before as usize <= at && data[at..].starts_with(b"2026-11-21T10:00:2"));
    }

    /// Issue 20, defect 8: a file whose clock stepped back is not bisected.
    #[test]
    fn a_file_out_of_time_order_is_not_bisected() {
        let mut data = Vec::new();
        for day in ["2026-12-01", "2026-11-21"] {
            for i in 0..30_000 {
                let line = format!(
                    "{day}T10:{:02}:{:02}.000000Z  INFO x: line {i}\n",
                    i / 600,
                    i / 10 % 60
                );
                data.extend_from_slice(line.as_bytes());
            }
        }
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &data).unwrap();
        let len = data.len() as u64;
        let since = line_time(b"2026-11-30T00:00:00Z INFO: x");
        assert_eq!(time_range(&file, len, since, None), None);
        assert!(!in_time_order(&file, len));
        // In order, the same file halves are bisected.
        let ordered = [&data[data.len() / 2..], &data[..data.len() / 2]].concat();
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &ordered).unwrap();
        let (start, end) = time_range(&file, len, since, None).unwrap();
        assert!(start > len / 3 && end == len, "{start} {end}");
    }
}
