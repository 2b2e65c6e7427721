//! Plain files, folders of log files, globs and stdin: rotated and compressed files of one log
//! are read as one stream, oldest first, and the live file is followed like `tail -F`.
//! `plan` says which files make one log, `follow` follows the live one, `pipe` reads FIFOs and
//! pipes, `sniff` recognises compression without seeking; this file reads them.

mod follow;
mod pipe;
mod plan;
mod pooled;
mod sniff;

pub use plan::{group_files, names_something, plan, FileGroup};

use std::fs::File;
use std::io::{self, BufReader, IsTerminal, Read};
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{LineFeeder, ReadRequest, Source, StreamSet};
use crate::event::Role;
use crate::parse::MAX_LINE_BYTES;
use crate::report;
use sniff::Kind;

const READ_BUFFER: usize = 256 * 1024;
/// How long a stream read waits for more input before the events held back (the last one, which
/// a continuation line could still extend) are passed on.
const IDLE_FLUSH: Duration = Duration::from_millis(100);
/// Block size for whole-input reads: large reads, and room for the longest line kept.
const BLOCK: usize = 2 * (MAX_LINE_BYTES + 1);

pub struct FileSource {
    name: String,
    path: String,
}

impl FileSource {
    pub fn new(name: &str, path: &str) -> FileSource {
        FileSource {
            name: name.to_string(),
            path: path.to_string(),
        }
    }
}

impl Source for FileSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn start(
        &self,
        role: Option<Role>,
        req: &Arc<ReadRequest>,
        set: &StreamSet,
    ) -> Result<(), String> {
        if self.path == "-" {
            start_stdin(role, req, set);
            return Ok(());
        }
        let groups = plan(&self.path)?;
        // Every stream is open before any is read: each reads ahead only its share.
        let feeders: Vec<_> = groups
            .iter()
            .map(|g| LineFeeder::new(set, req, g.label.clone(), role, None))
            .collect();
        for (group, feeder) in groups.into_iter().zip(feeders) {
            start_group(group, feeder, req, set);
        }
        Ok(())
    }
}

/// Starts reading a group of files (and with `-f` following its live file) in turns on the
/// reader pool, which hands it to a thread of its own when few streams are open (see
/// [`pooled`]).
pub(crate) fn start_group(
    group: FileGroup,
    feeder: LineFeeder,
    req: &Arc<ReadRequest>,
    set: &StreamSet,
) {
    let task = pooled::GroupTask::new(group, feeder, req.clone(), set.clone());
    set.read_pooled(Box::new(task));
}

/// Reads standard input as one stream labelled `stdin`.
pub fn start_stdin(role: Option<Role>, req: &Arc<ReadRequest>, set: &StreamSet) {
    let mut feeder = LineFeeder::new(set, req, Arc::from("stdin"), role, Some(Arc::from("-")));
    std::thread::spawn(move || {
        let mut line_no = 0;
        if let Err(e) = read_blocks(io::stdin(), &mut feeder, &mut line_no) {
            report::problem("stdin", &format!("read error after line {line_no}: {e}"));
        }
        feeder.report_data_problems("stdin");
        feeder.caught_up();
    });
}

/// True when nothing was named and stdin is a pipe or file: `journalctl ... | zisk-logs tail`.
pub fn stdin_is_piped() -> bool {
    !io::stdin().is_terminal()
}

/// Why a file could not be opened or read, in words that say what to do.
fn io_reason(e: &io::Error) -> String {
    match (e.kind(), e.raw_os_error()) {
        (io::ErrorKind::NotFound, _) => "no such file or folder".into(),
        (io::ErrorKind::PermissionDenied, _) => "permission denied".into(),
        (_, Some(libc::EMFILE)) => format!(
            "too many open files (this process may open {}; raise it with `ulimit -n`)",
            open_file_limit()
        ),
        (_, Some(libc::ENFILE)) => "too many open files on this system (fs.file-max)".into(),
        (_, Some(libc::ENXIO)) => "not a file that can be read (a socket?)".into(),
        _ => e.to_string(),
    }
}

/// The soft limit on open files (`ulimit -n`).
fn open_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    limit.rlim_cur
}

pub(crate) fn read_group(group: &FileGroup, feeder: &mut LineFeeder, req: &ReadRequest) {
    let live = group.live().map(Path::to_path_buf);
    for path in &group.files {
        let shown = path.display().to_string();
        feeder.parser.set_path(Some(Arc::from(shown.as_str())));
        if std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
            // Its own reader: opening a FIFO without a writer must not block.
            pipe::read_pipe(path, feeder, &shown);
            return;
        }
        if req.follow && Some(path) == live.as_ref() {
            follow::follow(path, feeder, &shown);
            return;
        }
        let mut line_no = 0;
        let (kind, result) = match open_input(path) {
            Ok((kind, Input::Mapped(file, len))) => {
                let window = (req.since, req.until);
                let read =
                    super::mapped::read_mapped(&file, len, window, &shown, feeder, &mut line_no);
                (kind, read)
            }
            Ok((kind, Input::Stream(reader))) => (kind, read_blocks(reader, feeder, &mut line_no)),
            Err(e) => {
                report::source_failed(&shown, &e);
                (Kind::Plain, Ok(()))
            }
        };
        if let Err(e) = result {
            let what = if matches!(kind, Kind::Gzip | Kind::Bzip2) {
                "truncated or corrupt archive"
            } else {
                "read error"
            };
            report::problem(
                &shown,
                &format!("{what} after line {line_no}: {e}; the rest of the log is still read"),
            );
        }
        feeder.report_data_problems(&shown);
        if feeder.sink.is_closed() {
            return;
        }
    }
    feeder.caught_up();
}

/// An opened log file: a regular file read through memory maps, or a stream (decompressed).
enum Input {
    Mapped(File, u64),
    Stream(BufReader<Box<dyn Read + Send>>),
}

/// Opens a file, decompressing gzip and bzip2 transparently (recognised by content, not name,
/// and without seeking: a character device or a pipe reads as a file does).
fn open_input(path: &Path) -> Result<(Kind, Input), String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {}", io_reason(&e)))?;
    let cannot_read = |e: io::Error| format!("cannot read: {}", io_reason(&e));
    let meta = file.metadata().map_err(cannot_read)?;
    if meta.is_file() {
        let mut magic = [0u8; sniff::MAGIC];
        let n = file.read_at(&mut magic, 0).map_err(cannot_read)?;
        if sniff::kind_of(&magic[..n]) == Kind::Plain && meta.len() > 0 {
            return Ok((Kind::Plain, Input::Mapped(file, meta.len())));
        }
    }
    let (kind, reader) = sniff::decoded(file).map_err(cannot_read)?;
    Ok((
        kind,
        Input::Stream(BufReader::with_capacity(READ_BUFFER, reader)),
    ))
}

/// Reads a whole input in large blocks of complete lines and feeds them to the feeder, which
/// can pass over lines in bulk. A thread reads the next block while this one is fed. Lines
/// that span blocks are joined, keeping at most [`MAX_LINE_BYTES`] + 1 bytes of them (the
/// parser cuts and reports longer ones). A read error ends the input after what came before.
fn read_blocks<R: Read + Send + 'static>(
    reader: R,
    feeder: &mut LineFeeder,
    line_no: &mut u64,
) -> io::Result<()> {
    let (filled_tx, filled_rx) = crossbeam_channel::bounded::<io::Result<(Vec<u8>, usize)>>(1);
    let (empty_tx, empty_rx) = crossbeam_channel::bounded::<Vec<u8>>(2);
    for _ in 0..2 {
        let _ = empty_tx.send(vec![0u8; BLOCK]);
    }
    // Not joined: when the feeder stops early the reader ends at its next send.
    std::thread::spawn(move || {
        let mut reader = reader;
        while let Ok(mut buf) = empty_rx.recv() {
            let (n, end) = fill(&mut reader, &mut buf);
            if n > 0 && filled_tx.send(Ok((buf, n))).is_err() {
                return;
            }
            if let Some(end) = end {
                // The end of the input, or an error after what was read.
                let _ = filled_tx.send(end.map(|()| (Vec::new(), 0)));
                return;
            }
        }
    });
    // The start of a line that the next block continues.
    let mut carry: Vec<u8> = Vec::new();
    let feed = |feeder: &mut LineFeeder, lines: &[u8], line_no: &mut u64| {
        let (n, open) = feeder.block(lines, *line_no + 1);
        *line_no += n;
        open
    };
    loop {
        let next = match filled_rx.recv_timeout(IDLE_FLUSH) {
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                // A live pipe with nothing more for now: pass on the events held back.
                if !feeder.flush() {
                    return Ok(());
                }
                filled_rx.recv()
            }
            received => received.map_err(|_| crossbeam_channel::RecvError),
        };
        let (buf, n) = match next {
            Ok(Ok((buf, n))) if n > 0 => (buf, n),
            Ok(result) => {
                if !carry.is_empty() {
                    feed(feeder, &carry, line_no);
                }
                return result.map(|_| ());
            }
            Err(_) => return Ok(()),
        };
        let block = &buf[..n];
        let mut start = 0;
        if !carry.is_empty() {
            match memchr::memchr(b'\n', block) {
                Some(i) => {
                    keep_capped(&mut carry, &block[..=i]);
                    if !feed(feeder, &carry, line_no) {
                        return Ok(());
                    }
                    carry.clear();
                    start = i + 1;
                }
                None => {
                    keep_capped(&mut carry, block);
                    start = n;
                }
            }
        }
        match memchr::memrchr(b'\n', &block[start..]) {
            Some(i) => {
                if !feed(feeder, &block[start..start + i + 1], line_no) {
                    return Ok(());
                }
                keep_capped(&mut carry, &block[start + i + 1..]);
            }
            None => keep_capped(&mut carry, &block[start..]),
        }
        let _ = empty_tx.send(buf);
        // The next read may block (a pipe): pass events on now.
        if !feeder.sink.flush() {
            return Ok(());
        }
    }
}

/// Reads until `buf` is full, a read returns less than asked (a pipe gives what it holds, which
/// is passed on at once) or the input ends: the bytes read, and how the input ended if it did.
fn fill<R: Read>(reader: &mut R, buf: &mut [u8]) -> (usize, Option<io::Result<()>>) {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => return (filled, Some(Ok(()))),
            Ok(n) => {
                filled += n;
                if filled < buf.len() {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (filled, Some(Err(e))),
        }
    }
    (filled, None)
}

/// Appends to a line being joined, keeping at most [`MAX_LINE_BYTES`] + 1 bytes of it.
fn keep_capped(line: &mut Vec<u8>, more: &[u8]) {
    let room = (MAX_LINE_BYTES + 1).saturating_sub(line.len());
    line.extend_from_slice(&more[..more.len().min(room)]);
}
