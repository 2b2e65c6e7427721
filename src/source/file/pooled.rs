//! A file group read in turns on the reader pool (see [`crate::source::pool`]) when many
//! streams are open: a piece at a time from a window mapped for the turn (or with `pread`
//! into the pool thread's buffer, for the rest of a line longer than the window), so that
//! between its turns a stream holds no thread, no mapped window and no lines parsed ahead,
//! only its parser's state and the batches queued for the merge. Once fewer streams than
//! the pool's threads have bytes left, a large file's rest is read on threads of its own. A group that turns out to
//! need a thread (few streams, a compressed file, a FIFO) is handed to one and read as before.
//! With `-f` the live file is then followed in turns too, a [`Follower`] step each turn, and
//! waits for the pool's next poll when it has read all there is.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::follow::{Follower, Step};
use super::{keep_capped, open_input, read_group, FileGroup, Input};
use crate::report;
use crate::source::mapped::{self, Checkpoints, Window};
use crate::source::pool::{self, Room, Task, Turn};
use crate::source::{read_ahead_share, LineFeeder, ReadRequest, StreamSet};

/// What is left of a file, at least, for its reader to move to a thread of its own once few
/// streams are left: the last large file (a coordinator's beside its workers') is then
/// scanned on every core instead of in turns on one.
const HAND_OFF_REST: u64 = 8 << 20;
/// Pieces a task reads in one turn before the next task's turn.
const PIECES_PER_TURN: usize = 16;
/// Bytes read at once, at most and at least: a small share of the read-ahead budget, so that
/// what one piece parses stays near the size of one batch.
const PIECE: usize = 64 << 10;
const MIN_PIECE: usize = 4 << 10;

fn piece_bytes() -> usize {
    (read_ahead_share() / 8).clamp(MIN_PIECE, PIECE)
}

thread_local! {
    /// The pool thread's buffer, shared by the streams it reads in turns.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub(super) struct GroupTask {
    group: FileGroup,
    /// Taken when the group is handed to a thread of its own.
    feeder: Option<LineFeeder>,
    req: Arc<ReadRequest>,
    room: Arc<Room>,
    /// The next file of the group to open.
    next: usize,
    reading: Option<Reading>,
    /// The live file, once the files before it have been read (with `-f`).
    following: Option<Follower>,
    started: bool,
    /// The set the stream belongs to: a small one reads on threads of its own.
    set: StreamSet,
    /// Held while the task has bytes left to read (see [`GroupTask::better_on_its_own`]);
    /// `None` once the group's files are all read.
    busy: Option<Busy>,
}

/// Pooled tasks with bytes left to read. Tasks that have read all (or wait, queue full, for the
/// merge to take their last batches) do not count: when fewer than the pool's threads are
/// left, a thread has nothing to read, and a large file left is better read on its own.
static BUSY: AtomicUsize = AtomicUsize::new(0);

/// One count of [`BUSY`], given back when dropped.
struct Busy;

impl Busy {
    fn new() -> Busy {
        BUSY.fetch_add(1, Ordering::Relaxed);
        Busy
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The file being read: where, up to where, and the start of a line not yet ended.
struct Reading {
    file: File,
    shown: String,
    pos: u64,
    end: u64,
    line_no: u64,
    carry: Vec<u8>,
    checkpoints: Checkpoints,
    /// The part of the file mapped for this turn (see [`Reading::piece`]); unmapped when the
    /// turn ends, so that between turns a stream holds no pages.
    window: Option<Window>,
}

impl GroupTask {
    pub(super) fn new(
        group: FileGroup,
        feeder: LineFeeder,
        req: Arc<ReadRequest>,
        set: StreamSet,
    ) -> GroupTask {
        GroupTask {
            room: feeder.sink.room.clone(),
            group,
            feeder: Some(feeder),
            req,
            next: 0,
            reading: None,
            following: None,
            started: false,
            set,
            busy: Some(Busy::new()),
        }
    }

    /// The rest of the file being read (from the start of the line the last piece ended in),
    /// then the files from `next` on, are read on a thread of their own, as without the pool.
    fn hand_off(&mut self) -> Turn {
        let Some(mut feeder) = self.feeder.take() else {
            return Turn::Done;
        };
        let reading = self.reading.take();
        let group = FileGroup {
            label: self.group.label.clone(),
            files: self.group.files.split_off(self.next),
        };
        let req = self.req.clone();
        std::thread::spawn(move || {
            feeder.sink.wait_again();
            if let Some(reading) = reading {
                reading.read_rest_mapped(&mut feeder);
                if feeder.sink.is_closed() {
                    return;
                }
            }
            read_group(&group, &mut feeder, &req);
        });
        Turn::Done
    }

    /// Fewer streams than the pool's threads have bytes left to read, and this one has much:
    /// it is better read on threads of its own (its windows scanned side by side).
    fn better_on_its_own(&self) -> bool {
        self.following.is_none()
            && BUSY.load(Ordering::Relaxed) < pool::threads()
            && self
                .reading
                .as_ref()
                .is_some_and(|r| r.end - r.pos >= HAND_OFF_REST && !r.carry_was_cut())
    }

    /// Opens the next file; false when it must be read on a thread of its own.
    fn open_next(&mut self, feeder: &mut LineFeeder) -> bool {
        let path = &self.group.files[self.next];
        let shown = path.display().to_string();
        if std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
            return false;
        }
        feeder.parser.set_path(Some(Arc::from(shown.as_str())));
        if self.req.follow && Some(path.as_path()) == self.group.live() {
            self.following = Some(Follower::new(path, &shown));
            self.next += 1;
            return true;
        }
        let (file, len) = match open_input(path) {
            Ok((_, Input::Mapped(file, len))) => (file, len),
            // Compressed: decoded on a thread, as without the pool.
            Ok((_, Input::Stream(_))) => return false,
            Err(e) => {
                report::source_failed(&shown, &e);
                feeder.report_data_problems(&shown);
                self.next += 1;
                return true;
            }
        };
        self.next += 1;
        let mut line_no = 0;
        let window = (self.req.since, self.req.until);
        match mapped::begin(&file, len, window, &shown, feeder, &mut line_no) {
            Ok((range, checkpoints)) => {
                self.reading = Some(Reading {
                    file,
                    shown,
                    pos: range.start,
                    end: range.end,
                    line_no,
                    carry: Vec::new(),
                    checkpoints,
                    window: None,
                });
            }
            Err(e) => read_error(&shown, line_no, &e, feeder),
        }
        true
    }
}

impl Task for GroupTask {
    fn turn(&mut self) -> Turn {
        let Some(mut feeder) = self.feeder.take() else {
            return Turn::Done;
        };
        report::reading(feeder.parser.label());
        if !self.started {
            self.started = true;
            // A stream with a full share reads ahead in large windows on threads of its own,
            // as does one of a few that another set's many share the budget with.
            if read_ahead_share() >= mapped::WINDOW || self.set.is_small() {
                self.feeder = Some(feeder);
                return self.hand_off();
            }
            feeder.sink.never_wait();
        }
        if self.better_on_its_own() {
            self.feeder = Some(feeder);
            return self.hand_off();
        }
        let turn = match &mut self.following {
            Some(follower) => Some(follow_on(follower, &mut feeder)),
            None => self.read_on(&mut feeder),
        };
        if let Some(reading) = &mut self.reading {
            reading.window = None;
        }
        self.feeder = Some(feeder);
        match turn {
            Some(turn) => turn,
            None => self.hand_off(),
        }
    }

    fn room(&self) -> Arc<Room> {
        self.room.clone()
    }

    fn unblocked(&mut self) -> bool {
        self.feeder.as_mut().is_none_or(|f| f.sink.has_room())
    }
}

impl GroupTask {
    /// Reads pieces while the stream's queue has room: how the turn ended, or `None` when
    /// the rest of the group must be handed to a thread.
    fn read_on(&mut self, feeder: &mut LineFeeder) -> Option<Turn> {
        for _ in 0..PIECES_PER_TURN {
            if !feeder.sink.has_room() {
                return Some(Turn::Full);
            }
            if self.busy.is_none() || feeder.sink.is_closed() {
                return Some(Turn::Done);
            }
            if let Some(follower) = &mut self.following {
                return Some(follow_on(follower, feeder));
            }
            match &mut self.reading {
                Some(reading) => {
                    if reading.piece(feeder) {
                        feeder.report_data_problems(&reading.shown);
                        self.reading = None;
                    }
                }
                None if self.next == self.group.files.len() => {
                    feeder.caught_up();
                    self.busy = None;
                }
                None => {
                    if !self.open_next(feeder) {
                        return None;
                    }
                }
            }
        }
        Some(Turn::Again)
    }
}

/// A followed file's turn: a step of at most [`PIECES_PER_TURN`] pieces.
fn follow_on(follower: &mut Follower, feeder: &mut LineFeeder) -> Turn {
    BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        let want = piece_bytes();
        if buffer.len() < want {
            buffer.resize(want, 0);
        }
        match follower.step(feeder, &mut buffer[..want], PIECES_PER_TURN) {
            Step::Read => Turn::Later,
            Step::HeldBack if feeder.sink.has_room() => Turn::Again,
            Step::HeldBack => Turn::Full,
            Step::Closed => Turn::Done,
        }
    })
}

impl Reading {
    /// Feeds the rest of the file through memory maps (see [`mapped::read_range`]), from the
    /// start of the line carried.
    fn read_rest_mapped(mut self, feeder: &mut LineFeeder) {
        let start = self.pos - self.carry.len() as u64;
        let read = mapped::read_range(
            &self.file,
            start..self.end,
            self.checkpoints,
            &self.shown,
            feeder,
            &mut self.line_no,
        );
        if let Err(e) = read {
            read_error(&self.shown, self.line_no, &e, feeder);
        } else {
            feeder.report_data_problems(&self.shown);
        }
    }

    /// The line carried is longer than what is kept of it: its start is not known.
    fn carry_was_cut(&self) -> bool {
        self.carry.len() > crate::parse::MAX_LINE_BYTES
    }

    /// Reads and feeds the next piece; true when the file is done. Whole lines are fed from
    /// a window mapped for the turn (no copy of every byte, which `pread` costs); a line
    /// longer than the window, or the rest of one, is read into the buffer.
    fn piece(&mut self, feeder: &mut LineFeeder) -> bool {
        if self.carry.is_empty() {
            if let Some(done) = self.mapped_piece(feeder) {
                return done;
            }
        }
        self.read_piece(feeder)
    }

    /// [`Reading::piece`] from the turn's window: `None` when the piece holds no whole line.
    fn mapped_piece(&mut self, feeder: &mut LineFeeder) -> Option<bool> {
        let want = piece_bytes();
        let covers = |w: &Window| self.pos >= w.base && self.pos < w.base + w.map.len() as u64;
        if !self.window.as_ref().is_some_and(covers) {
            self.window = None;
            // A file cut shorter (copytruncate) is read with `pread`, which says so and goes
            // on: a mapped page gone would end the process (see `mapped`'s SIGBUS guard).
            if !self.file.metadata().is_ok_and(|m| m.len() >= self.end) {
                return None;
            }
            let turn = want * PIECES_PER_TURN;
            match Window::sized(&self.file, self.pos, self.end, &self.shown, turn) {
                Ok((window, _)) => self.window = Some(window),
                Err(_) => return None,
            }
        }
        let window = self.window.as_ref()?;
        let from = (self.pos - window.base) as usize;
        let to = (from + want).min(window.map.len());
        let at_end = window.base + to as u64 >= self.end;
        let cut = if at_end {
            to
        } else {
            let last = memchr::memrchr(b'\n', &window.map[from..to])
                .or_else(|| memchr::memchr(b'\n', &window.map[to..]).map(|i| to - from + i))?;
            from + last + 1
        };
        let (n, _) = feeder.block(&window.map[from..cut], self.line_no + 1);
        self.line_no += n;
        self.pos = window.base + cut as u64;
        let done = self.pos >= self.end;
        self.checkpoints.passed(self.pos, feeder, self.line_no);
        Some(done || feeder.sink.is_closed())
    }

    /// [`Reading::piece`] read with `pread` into the thread's buffer.
    fn read_piece(&mut self, feeder: &mut LineFeeder) -> bool {
        BUFFER.with(|buffer| {
            let mut buffer = buffer.borrow_mut();
            let want = piece_bytes().min((self.end - self.pos) as usize);
            if buffer.len() < want {
                buffer.resize(want, 0);
            }
            let n = loop {
                match self.file.read_at(&mut buffer[..want], self.pos) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        read_error(&self.shown, self.line_no, &e, feeder);
                        return true;
                    }
                }
            };
            if n == 0 && want > 0 {
                report::problem(
                    &self.shown,
                    &format!(
                        "the file shrank while it was read (truncated, or rotated with copytruncate); read up to line {}",
                        self.line_no
                    ),
                );
            }
            self.pos += n as u64;
            let done = n == 0 || self.pos >= self.end;
            self.feed(&buffer[..n], done, feeder);
            done || feeder.sink.is_closed()
        })
    }

    /// Feeds the whole lines of `data` (after the carried start of a line); at the end, the
    /// last line even without its newline. Lines are cut at [`crate::parse::MAX_LINE_BYTES`]
    /// + 1 bytes, as the block reader cuts them.
    fn feed(&mut self, data: &[u8], at_end: bool, feeder: &mut LineFeeder) {
        let mut feed = |lines: &[u8], line_no: &mut u64| {
            let (n, _) = feeder.block(lines, *line_no + 1);
            *line_no += n;
        };
        let mut start = 0;
        if !self.carry.is_empty() {
            match memchr::memchr(b'\n', data) {
                Some(i) => {
                    keep_capped(&mut self.carry, &data[..=i]);
                    feed(&self.carry, &mut self.line_no);
                    self.carry.clear();
                    start = i + 1;
                }
                None => {
                    keep_capped(&mut self.carry, data);
                    start = data.len();
                }
            }
        }
        match memchr::memrchr(b'\n', &data[start..]) {
            Some(i) => {
                feed(&data[start..start + i + 1], &mut self.line_no);
                keep_capped(&mut self.carry, &data[start + i + 1..]);
            }
            None => keep_capped(&mut self.carry, &data[start..]),
        }
        if at_end && !self.carry.is_empty() {
            feed(&self.carry, &mut self.line_no);
            self.carry.clear();
        }
        if self.carry.is_empty() {
            self.checkpoints.passed(self.pos, feeder, self.line_no);
        }
    }
}

/// A read error ends the file after what came before; the group's next files are still read.
fn read_error(shown: &str, line_no: u64, e: &io::Error, feeder: &mut LineFeeder) {
    report::problem(
        shown,
        &format!("read error after line {line_no}: {e}; the rest of the log is still read"),
    );
    feeder.report_data_problems(shown);
}
