//! A file group read in turns on the reader pool (see [`crate::source::pool`]) when many
//! streams are open: a piece at a time with `pread` into the pool thread's buffer, so that
//! between its turns a stream holds no thread, no mapped window and no lines parsed ahead,
//! only its parser's state and the batches queued for the merge. A group that turns out to
//! need a thread (few streams, a compressed file, a FIFO) is handed to one and read as before.
//! With `-f` the live file is then followed in turns too, a [`Follower`] step each turn, and
//! waits for the pool's next poll when it has read all there is.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::sync::Arc;

use super::follow::{Follower, Step};
use super::{keep_capped, open_input, read_group, FileGroup, Input};
use crate::report;
use crate::source::mapped::{self, Checkpoints};
use crate::source::pool::{Room, Task, Turn};
use crate::source::{read_ahead_share, LineFeeder, ReadRequest, StreamSet};

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
    ended: bool,
    /// The set the stream belongs to: a small one reads on threads of its own.
    set: StreamSet,
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
            ended: false,
            set,
        }
    }

    /// The files from `next` on are read on a thread of their own, as without the pool.
    fn hand_off(&mut self) -> Turn {
        let Some(mut feeder) = self.feeder.take() else {
            return Turn::Done;
        };
        let group = FileGroup {
            label: self.group.label.clone(),
            files: self.group.files.split_off(self.next),
        };
        let req = self.req.clone();
        std::thread::spawn(move || {
            feeder.sink.wait_again();
            read_group(&group, &mut feeder, &req);
        });
        Turn::Done
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
        let turn = match &mut self.following {
            Some(follower) => Some(follow_on(follower, &mut feeder)),
            None => self.read_on(&mut feeder),
        };
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
            if self.ended || feeder.sink.is_closed() {
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
                    self.ended = true;
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
    /// Reads and feeds the next piece; true when the file is done.
    fn piece(&mut self, feeder: &mut LineFeeder) -> bool {
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
