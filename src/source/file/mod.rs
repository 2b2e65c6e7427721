//! Plain files, folders of log files, globs and stdin: rotated and compressed files of one log
//! are read as one stream, oldest first, and the live file is followed like `tail -F`.
//! `plan` says which files make one log, `follow` follows the live one; this file reads them.

mod follow;
mod plan;

pub use plan::{group_files, names_something, plan, FileGroup};

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{LineFeeder, ReadRequest, Source, StreamSet};
use crate::event::Role;
use crate::parse::{Envelope, MAX_LINE_BYTES};
use crate::report;
use follow::follow_file;

/// How often a followed file is checked for new lines, rotation and truncation.
const FOLLOW_POLL: Duration = Duration::from_millis(20);
/// How long a rotated-away file is still drained for late writes before switching.
const ROTATION_GRACE: Duration = Duration::from_millis(200);
const READ_BUFFER: usize = 256 * 1024;
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
        for group in groups {
            let mut feeder = LineFeeder::new(set, req, group.label.clone(), role, None);
            let req = req.clone();
            std::thread::spawn(move || read_group(&group, &mut feeder, &req));
        }
        Ok(())
    }
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

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or folder".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

pub(crate) fn read_group(group: &FileGroup, feeder: &mut LineFeeder, req: &ReadRequest) {
    let live = group.live().map(Path::to_path_buf);
    for path in &group.files {
        let shown = path.display().to_string();
        feeder.parser.set_path(Some(Arc::from(shown.as_str())));
        if req.follow && Some(path) == live.as_ref() {
            follow_file(path, feeder, &shown);
            return;
        }
        let mut line_no = 0;
        let result = match open_input(path) {
            Ok(Input::Mapped(file, len)) => {
                let window = (req.since, req.until);
                super::mapped::read_mapped(&file, len, window, &shown, feeder, &mut line_no)
            }
            Ok(Input::Stream(reader)) => read_blocks(reader, feeder, &mut line_no),
            Err(e) => {
                report::source_failed(&shown, &e);
                Ok(())
            }
        };
        if let Err(e) = result {
            let what = if is_compressed(path) {
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

fn is_compressed(path: &Path) -> bool {
    let mut magic = [0u8; 3];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && (magic[..2] == [0x1f, 0x8b] || &magic == b"BZh")
}

/// An opened log file: a regular file read through memory maps, or a stream (decompressed).
enum Input {
    Mapped(File, u64),
    Stream(BufReader<Box<dyn Read + Send>>),
}

/// Opens a file, decompressing gzip and bzip2 transparently (recognised by content, not name).
fn open_input(path: &Path) -> Result<Input, String> {
    let mut file = File::open(path).map_err(|e| format!("cannot open: {}", io_reason(&e)))?;
    let mut magic = [0u8; 6];
    let n = file
        .read(&mut magic)
        .map_err(|e| format!("cannot read: {}", io_reason(&e)))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let magic = &magic[..n];
    let inner: Box<dyn Read + Send> = if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else if magic.starts_with(b"BZh") {
        Box::new(bzip2::read::MultiBzDecoder::new(BufReader::new(file)))
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return Err("xz archives are not supported; decompress with `xz -d` first".into());
    } else {
        match file.metadata() {
            Ok(meta) if meta.is_file() && meta.len() > 0 => {
                return Ok(Input::Mapped(file, meta.len()))
            }
            _ => Box::new(file),
        }
    };
    Ok(Input::Stream(BufReader::with_capacity(READ_BUFFER, inner)))
}

/// Reads one line of at most [`MAX_LINE_BYTES`] into `buf` (appending), skipping the rest of a
/// longer line. Returns Ok(true) when a full line (ending in `\n`) is in `buf`, Ok(false) at
/// end of input (with any partial line left in `buf`).
fn read_line_capped<R: Read>(reader: &mut BufReader<R>, buf: &mut Vec<u8>) -> io::Result<bool> {
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(false);
        }
        let (chunk, found) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        keep_capped(buf, chunk);
        let used = chunk.len();
        reader.consume(used);
        if found {
            return Ok(true);
        }
    }
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
            let (n, error) = fill(&mut reader, &mut buf);
            if n > 0 && filled_tx.send(Ok((buf, n))).is_err() {
                return;
            }
            if n < BLOCK {
                // The end of the input, or an error after what was read.
                let _ = filled_tx.send(error.map_or(Ok((Vec::new(), 0)), Err));
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
        let (buf, n) = match filled_rx.recv() {
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
                None => start = n,
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

/// Reads until `buf` is full or the input ends: the bytes read, and the error that ended it.
fn fill<R: Read>(reader: &mut R, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

/// Appends to a line being joined, keeping at most [`MAX_LINE_BYTES`] + 1 bytes of it.
fn keep_capped(line: &mut Vec<u8>, more: &[u8]) {
    let room = (MAX_LINE_BYTES + 1).saturating_sub(line.len());
    line.extend_from_slice(&more[..more.len().min(room)]);
}

/// Feeds every complete line to the feeder. With `final_partial`, a last line without a newline
/// is fed too; otherwise it stays in `pending` for the next call (a followed file mid-write).
fn read_lines<R: Read>(
    reader: &mut BufReader<R>,
    feeder: &mut LineFeeder,
    line_no: &mut u64,
    pending: &mut Vec<u8>,
    final_partial: bool,
) -> io::Result<()> {
    loop {
        let complete = read_line_capped(reader, pending)?;
        if !complete {
            if final_partial && !pending.is_empty() {
                *line_no += 1;
                feeder.line(pending, *line_no, Envelope::default());
                pending.clear();
            }
            return Ok(());
        }
        *line_no += 1;
        if !feeder.line(pending, *line_no, Envelope::default()) {
            return Ok(());
        }
        pending.clear();
        // Nothing more is buffered: the next read may block (a pipe), so pass events on now.
        if reader.buffer().is_empty() && !feeder.sink.flush() {
            return Ok(());
        }
    }
}
