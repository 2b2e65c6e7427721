//! `tail -F` on one path: reads the file to its end, then what is appended; when the name
//! points to a new file (rotation by rename or delete + create) the old one is still read until
//! its writers have closed it and it is idle; a file truncated in place (also when it is written
//! past its old size within one poll) is noticed and read again from its start. A file that
//! cannot be opened is reported once and tried again, while the other sources go on. A
//! [`Follower`] does this a step at a time: on a thread of its own, or in turns on the reader
//! pool when many files are followed.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{io_reason, keep_capped};
use crate::report;
use crate::source::LineFeeder;

// How often a followed file is checked for new lines, rotation and truncation: the reader
// pool's tick, which a file followed in turns waits for.
use crate::source::pool::POLL;
/// How often a file that could not be opened is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// A rotated-away file no process writes any more is let go after this long without growth.
const IDLE_CLOSED: Duration = Duration::from_millis(250);
/// Where it cannot be told whether a process still writes the old file (a file of another
/// user, a filesystem without leases): let go after this long without growth.
const IDLE_UNKNOWN: Duration = Duration::from_secs(5);
/// Rotated-away files drained at once; past this, the oldest is let go (with a notice).
const MAX_DRAINING: usize = 8;
/// Bytes kept from a file's start and from just before the read position, compared on every
/// change to tell a file rewritten in place from one appended to.
const FINGERPRINT: usize = 64;
const READ_CHUNK: usize = 256 * 1024;

/// Follows `path` on this thread until the consumer goes away.
pub fn follow(path: &Path, feeder: &mut LineFeeder, shown: &str) {
    let mut follower = Follower::new(path, shown);
    let mut buf = vec![0u8; READ_CHUNK];
    while follower.step(feeder, &mut buf, usize::MAX) != Step::Closed {
        std::thread::sleep(POLL);
    }
}

/// What a [`Follower::step`] ended with.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// All there was has been read and passed on: the next step is due after [`POLL`].
    Read,
    /// It stopped before the end: its stream's queue is full (a pooled stream never waits for
    /// room) or the step read all the pieces it was allowed. Nothing was flushed: an event
    /// held back may go on in the next piece.
    HeldBack,
    /// The consumer has gone.
    Closed,
}

/// One followed path, advanced a step at a time: by [`follow`] on a thread of its own, or in
/// turns on the reader pool when many are followed (see [`super::pooled`]).
pub struct Follower {
    path: PathBuf,
    shown: String,
    opener: Opener,
    current: Option<Followed>,
    draining: Vec<(Followed, Instant)>,
    /// The path has been opened once: each step from then on first looks for rotation.
    started: bool,
    caught_up: bool,
}

impl Follower {
    pub fn new(path: &Path, shown: &str) -> Follower {
        Follower {
            path: path.to_path_buf(),
            shown: shown.to_string(),
            opener: Opener::default(),
            current: None,
            draining: Vec::new(),
            started: false,
            caught_up: false,
        }
    }

    /// Looks for rotation and truncation (after the first step), then reads what is new in
    /// pieces of `buf`'s size, at most `pieces` of them, old files first, while the stream
    /// has room. After the first step that reads to the end, the stream has caught up; each
    /// later one that does flushes what the parser holds back, so that live lines appear.
    pub fn step(&mut self, feeder: &mut LineFeeder, buf: &mut [u8], mut pieces: usize) -> Step {
        if std::mem::replace(&mut self.started, true) {
            self.look_at_path(feeder);
        } else {
            self.current = self.opener.open(&self.path, &self.shown).map(Followed::new);
        }
        let shown = self.shown.as_str();
        // Old files first: their lines were written before the new file's. A file is read
        // only once those before it have been read to their end.
        let mut held_back = false;
        for (old, idle_since) in &mut self.draining {
            match old.read_new(buf, feeder, shown, &mut pieces) {
                Progress::Grew => *idle_since = Instant::now(),
                Progress::HeldBack => {
                    held_back = true;
                    break;
                }
                Progress::AtEnd => {}
            }
        }
        self.draining.retain_mut(|(old, idle_since)| {
            let idle = idle_since.elapsed();
            let done = !held_back
                && idle >= IDLE_CLOSED
                && match open_for_writing(&old.file) {
                    Some(writing) => !writing,
                    None => idle >= IDLE_UNKNOWN,
                };
            if !done {
                return true;
            }
            // Its last writer may have written once more just before closing it.
            if old.read_new(buf, feeder, shown, &mut pieces) == Progress::HeldBack {
                held_back = true;
                return true;
            }
            old.finish(feeder);
            false
        });
        if let Some(f) = self.current.as_mut().filter(|_| !held_back) {
            held_back = f.read_new(buf, feeder, shown, &mut pieces) == Progress::HeldBack;
        }
        feeder.report_data_problems(shown);
        if feeder.sink.is_closed() {
            return Step::Closed;
        }
        if held_back {
            return Step::HeldBack;
        }
        let open = if self.caught_up {
            feeder.flush()
        } else {
            self.caught_up = true;
            feeder.caught_up()
        };
        if open {
            Step::Read
        } else {
            Step::Closed
        }
    }

    /// Has the path been truncated, rotated away or deleted since the last step?
    fn look_at_path(&mut self, feeder: &mut LineFeeder) {
        let (path, shown) = (&self.path, self.shown.as_str());
        let at_path = std::fs::metadata(path).ok().filter(Metadata::is_file);
        match (&mut self.current, at_path) {
            (Some(f), Some(now)) if f.is(&now) => {
                if f.rewritten(&now) {
                    report::notice(&format!("{shown}: file truncated; reading from its start"));
                    f.restart();
                }
            }
            (Some(_), Some(_)) => {
                // Rotated: the old file is drained while the new one is read.
                let old = self.current.take().expect("matched Some");
                if self.draining.len() == MAX_DRAINING {
                    let (mut oldest, _) = self.draining.remove(0);
                    oldest.finish(feeder);
                    report::notice(&format!(
                        "{shown}: rotated {MAX_DRAINING} times while older files were still written; no longer reading the oldest"
                    ));
                }
                self.draining.push((old, Instant::now()));
                self.current = self.opener.open(path, shown).map(Followed::new);
            }
            // The name is gone for now (deleted, mid-rotation): the open file is still read.
            (Some(_), None) => {}
            (None, Some(_)) => self.current = self.opener.open(path, shown).map(Followed::new),
            (None, None) => {}
        }
    }
}

/// How far a [`Followed::read_new`] got.
#[derive(Debug, PartialEq)]
enum Progress {
    /// To the end, which is where it was.
    AtEnd,
    /// To the end, past new lines.
    Grew,
    /// Not to the end: no room in the stream's queue, or no pieces left for this step.
    HeldBack,
}

/// Opens the followed path, saying once when it cannot be opened and once when it can again,
/// and trying at most every [`RETRY`].
#[derive(Default)]
struct Opener {
    failed: bool,
    last_try: Option<Instant>,
}

impl Opener {
    fn open(&mut self, path: &Path, shown: &str) -> Option<File> {
        if self.last_try.is_some_and(|t| t.elapsed() < RETRY) {
            return None;
        }
        self.last_try = Some(Instant::now());
        match File::open(path) {
            Ok(f) => {
                if std::mem::take(&mut self.failed) {
                    report::notice(&format!("{shown}: can be opened now; following it"));
                }
                self.last_try = None;
                Some(f)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Deleted between the poll that saw it and this open (a fast rotation): not a
                // failure, and the next file is opened at the next poll that sees one, not a
                // second later, by when it may have been written and rotated away as well.
                self.last_try = None;
                None
            }
            Err(e) => {
                if !std::mem::replace(&mut self.failed, true) {
                    report::source_failed(
                        shown,
                        &format!(
                            "cannot open: {}; trying again every {} s",
                            io_reason(&e),
                            RETRY.as_secs()
                        ),
                    );
                }
                None
            }
        }
    }
}

/// One open file being read: where reading is, the start of a line not yet ended, and what
/// tells a rewrite from an append.
struct Followed {
    file: File,
    identity: (u64, u64),
    pos: u64,
    line_no: u64,
    pending: Vec<u8>,
    /// The file's first bytes as read, and the bytes just before `pos`.
    head: Vec<u8>,
    before_pos: Vec<u8>,
    /// Size and modification time at the last check: unchanged means nothing to compare.
    seen: (u64, i64, i64),
}

impl Followed {
    fn new(file: File) -> Followed {
        let identity = file.metadata().map_or((0, 0), |m| (m.dev(), m.ino()));
        Followed {
            file,
            identity,
            pos: 0,
            line_no: 0,
            pending: Vec::new(),
            head: Vec::new(),
            before_pos: Vec::new(),
            seen: (0, 0, 0),
        }
    }

    fn is(&self, meta: &Metadata) -> bool {
        (meta.dev(), meta.ino()) == self.identity
    }

    /// Feeds the lines appended since the last call, a piece of `buf`'s size at a time, while
    /// `pieces` last and the stream has room for them.
    fn read_new(
        &mut self,
        buf: &mut [u8],
        feeder: &mut LineFeeder,
        shown: &str,
        pieces: &mut usize,
    ) -> Progress {
        let mut progress = Progress::AtEnd;
        loop {
            if *pieces == 0 || !feeder.sink.may_read_on() {
                return Progress::HeldBack;
            }
            *pieces -= 1;
            let n = match self.file.read_at(buf, self.pos) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    report::problem(
                        shown,
                        &format!("read error after line {}: {e}", self.line_no),
                    );
                    return progress;
                }
            };
            if n == 0 {
                return progress;
            }
            progress = Progress::Grew;
            if self.pos > 0 && !self.fingerprint_holds() {
                // Rewritten since the last poll, or while it was being read: what was read
                // now is the new content's middle, not an append.
                report::notice(&format!("{shown}: file truncated; reading from its start"));
                self.restart();
                continue;
            }
            let chunk = &buf[..n];
            self.remember(chunk);
            self.pos += n as u64;
            if !self.feed(chunk, feeder) {
                return progress;
            }
            if n < buf.len() {
                return progress;
            }
        }
    }

    /// Keeps the fingerprints up to date with `chunk`, read at `self.pos`.
    fn remember(&mut self, chunk: &[u8]) {
        if self.head.len() < FINGERPRINT && self.pos as usize == self.head.len() {
            let take = (FINGERPRINT - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.before_pos
            .extend_from_slice(&chunk[chunk.len().saturating_sub(FINGERPRINT)..]);
        let excess = self.before_pos.len().saturating_sub(FINGERPRINT);
        self.before_pos.drain(..excess);
    }

    /// Feeds the whole lines of `chunk` (after what is pending); keeps the rest pending.
    fn feed(&mut self, chunk: &[u8], feeder: &mut LineFeeder) -> bool {
        let mut start = 0;
        if !self.pending.is_empty() {
            let Some(i) = memchr::memchr(b'\n', chunk) else {
                keep_capped(&mut self.pending, chunk);
                return true;
            };
            keep_capped(&mut self.pending, &chunk[..=i]);
            self.line_no += 1;
            let open = feeder.line(&self.pending, self.line_no, Default::default());
            self.pending.clear();
            if !open {
                return false;
            }
            start = i + 1;
        }
        let rest = &chunk[start..];
        let whole = memchr::memrchr(b'\n', rest).map_or(0, |i| i + 1);
        if whole > 0 {
            let (lines, open) = feeder.block(&rest[..whole], self.line_no + 1);
            self.line_no += lines;
            if !open {
                return false;
            }
        }
        keep_capped(&mut self.pending, &rest[whole..]);
        true
    }

    /// Feeds a last line that has no newline: the file will not grow any more.
    fn finish(&mut self, feeder: &mut LineFeeder) {
        if !self.pending.is_empty() {
            self.line_no += 1;
            feeder.line(&self.pending, self.line_no, Default::default());
            self.pending.clear();
        }
    }

    /// Was the file truncated, or rewritten from its start, since it was read? By size first,
    /// then by content: the bytes at its start and just before the read position must still
    /// be those read there.
    fn rewritten(&mut self, meta: &Metadata) -> bool {
        let seen = (meta.len(), meta.mtime(), meta.mtime_nsec());
        if seen == self.seen {
            return false;
        }
        self.seen = seen;
        meta.len() < self.pos || !self.fingerprint_holds()
    }

    /// Are the bytes at the file's start and just before the read position still those read
    /// there?
    fn fingerprint_holds(&self) -> bool {
        let same = |at: u64, want: &[u8]| {
            let mut got = vec![0u8; want.len()];
            want.is_empty()
                || self
                    .file
                    .read_exact_at(&mut got, at)
                    .is_ok_and(|_| got == want)
        };
        same(0, &self.head) && same(self.pos - self.before_pos.len() as u64, &self.before_pos)
    }

    fn restart(&mut self) {
        self.pos = 0;
        self.line_no = 0;
        self.pending.clear();
        self.head.clear();
        self.before_pos.clear();
    }
}

/// Does a process hold the file open for writing? Asked with a read lease, which Linux grants
/// only when no one does (and only to the file's owner or a privileged process): `None` when
/// it cannot be told. The lease is given back at once; a writer opening the file meanwhile
/// waits those microseconds, and its lease-break signal is one ignored by default (SIGURG).
#[cfg(target_os = "linux")]
fn open_for_writing(file: &File) -> Option<bool> {
    use std::os::fd::AsRawFd;
    // Linux's F_SETSIG, which the libc crate does not export.
    const F_SETSIG: libc::c_int = 10;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on an fd we own, with integer arguments.
    unsafe {
        if libc::fcntl(fd, F_SETSIG, libc::SIGURG) != 0 {
            return None;
        }
        if libc::fcntl(fd, libc::F_SETLEASE, libc::F_RDLCK) == 0 {
            libc::fcntl(fd, libc::F_SETLEASE, libc::F_UNLCK);
            return Some(false);
        }
    }
    match io::Error::last_os_error().raw_os_error() {
        Some(libc::EAGAIN) => Some(true),
        _ => None,
    }
}

#[cfg(not(target_os = "linux"))]
fn open_for_writing(_file: &File) -> Option<bool> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Issue 20's soak lost a whole file of a delete + recreate rotation once: the name was
    /// seen, then deleted before it was opened, and the failed open held the next try back a
    /// second, in which the next file could come and go too.
    #[test]
    fn a_file_deleted_before_it_is_opened_is_tried_again_at_the_next_poll() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let mut opener = Opener::default();
        assert!(opener.open(&path, "x.log").is_none());
        assert!(!opener.failed, "a vanished name is not a failure to report");
        std::fs::write(&path, "x\n").unwrap();
        assert!(opener.open(&path, "x.log").is_some());
    }

    /// Read in turns (a pooled stream never waits for room), a step stops where its queue is
    /// full or its pieces run out, and the next goes on from there: every line once, in order,
    /// and the stream has caught up only once the file has been read to its end.
    #[test]
    fn a_step_held_back_goes_on_where_it_stopped() {
        use crate::source::{Msg, ReadRequest, StreamSet};
        use std::sync::Arc;
        let line = |i: usize| format!("2026-11-21T10:00:00.{i:06}Z INFO line {i}\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let mut file = File::create(&path).unwrap();
        file.write_all((0..2000).map(line).collect::<String>().as_bytes())
            .unwrap();
        let req = ReadRequest {
            since: None,
            until: None,
            follow: true,
            tail_lines: None,
            grep_literal: None,
            prefilter: Default::default(),
            keep: Default::default(),
            blank_lines: false,
            select: Arc::new(|_| true),
        };
        let (set, added) = StreamSet::new();
        let mut feeder = LineFeeder::new(&set, &req, Arc::from("x"), None, None);
        feeder.sink.never_wait();
        let stream = added.try_recv().unwrap();
        let mut follower = Follower::new(&path, "x.log");
        let mut buf = [0u8; 4096];
        // How many lines had come when the stream said it had caught up.
        let mut caught_up_at = None;
        let mut numbers = Vec::new();
        let mut take = |numbers: &mut Vec<usize>| {
            while let Ok(msg) = stream.rx.try_recv() {
                stream.taken();
                match msg {
                    Msg::Events(events) => numbers.extend(events.iter().map(|e| {
                        e.message
                            .rsplit(' ')
                            .next()
                            .unwrap()
                            .parse::<usize>()
                            .unwrap()
                    })),
                    Msg::CaughtUp => caught_up_at = Some(numbers.len()),
                }
            }
        };
        let (mut steps, mut full) = (0, 0);
        loop {
            steps += 1;
            match follower.step(&mut feeder, &mut buf, 2) {
                Step::Read => break,
                step => assert_eq!(step, Step::HeldBack),
            }
            if !feeder.sink.has_room() {
                // The merge is slow: it takes the stream's batches only now and then.
                full += 1;
                if full % 3 == 0 {
                    take(&mut numbers);
                }
            }
        }
        take(&mut numbers);
        assert!(steps > 2 && full > 2, "read in {steps} steps, {full} full");
        assert_eq!(numbers, (0..2000).collect::<Vec<_>>());
        file.write_all(line(2000).as_bytes()).unwrap();
        assert_eq!(follower.step(&mut feeder, &mut buf, 2), Step::Read);
        take(&mut numbers);
        assert_eq!(
            numbers.last(),
            Some(&2000),
            "a live line is passed on at once"
        );
        assert_eq!(caught_up_at, Some(2000));
    }

    #[test]
    fn a_lease_tells_whether_a_writer_still_has_the_file_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let mut writer = File::create(&path).unwrap();
        writer.write_all(b"x\n").unwrap();
        let reader = File::open(&path).unwrap();
        assert_eq!(open_for_writing(&reader), Some(true));
        drop(writer);
        assert_eq!(open_for_writing(&reader), Some(false));
        // The writer can open it again at once: the lease was given back.
        let started = Instant::now();
        drop(
            std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap(),
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
