//! Plain files, folders of log files, globs and stdin: rotated and compressed files of one log
//! are read as one stream, oldest first, and the live file is followed like `tail -F`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{LineFeeder, ReadRequest, Source, StreamSet};
use crate::event::Role;
use crate::parse::{Envelope, MAX_LINE_BYTES};
use crate::report;

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

/// The files of one log: rotations and archives oldest first, then the live file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileGroup {
    pub label: Arc<str>,
    pub files: Vec<PathBuf>,
}

impl FileGroup {
    /// The file that is still written to, which `-f` follows: the last one, when it is not an archive.
    fn live(&self) -> Option<&Path> {
        self.files
            .last()
            .map(PathBuf::as_path)
            .filter(|p| rotation_key(p).1.is_none() && !is_compressed_name(p))
    }
}

/// Expands a path, folder or glob into log groups.
pub fn plan(path: &str) -> Result<Vec<FileGroup>, String> {
    let mut files = Vec::new();
    if path.contains(['*', '?', '[']) {
        let entries = glob::glob(path).map_err(|e| format!("bad glob {path:?}: {e}"))?;
        files.extend(entries.filter_map(Result::ok).filter(|p| p.is_file()));
        if files.is_empty() {
            return Err(format!("no file matches {path:?}"));
        }
    } else {
        let p = Path::new(path);
        let meta =
            std::fs::metadata(p).map_err(|e| format!("cannot read {path}: {}", io_reason(&e)))?;
        if meta.is_dir() {
            let entries = std::fs::read_dir(p)
                .map_err(|e| format!("cannot list {path}: {}", io_reason(&e)))?;
            for entry in entries.flatten() {
                let file = entry.path();
                if file.is_file() && is_log_file(&file) {
                    files.push(file);
                }
            }
            if files.is_empty() {
                return Err(format!("no log files in folder {path}"));
            }
        } else {
            files.push(p.to_path_buf());
        }
    }
    Ok(group_files(files))
}

/// Groups files by the log they belong to and orders each group oldest first.
pub fn group_files(files: Vec<PathBuf>) -> Vec<FileGroup> {
    let mut groups: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for f in files {
        let base = rotation_key(&f).0;
        match groups.iter_mut().find(|(b, _)| *b == base) {
            Some((_, list)) => list.push(f),
            None => groups.push((base, vec![f])),
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    groups
        .into_iter()
        .map(|(base, mut list)| {
            list.sort_by_key(|p| {
                let (_, index, date) = rotation_key(p);
                // Dated files ascending; numbered rotations: higher is older; the live file last.
                (date, std::cmp::Reverse(index.map_or(-1, |i| i as i64)))
            });
            FileGroup {
                label: Arc::from(label_for(&base).as_str()),
                files: list,
            }
        })
        .collect()
}

/// `zisk-worker.log.2.gz` → (`zisk-worker.log`, Some(2), None);
/// `coordinator.log.2026-11-21` → (`coordinator.log`, None, Some("2026-11-21")).
fn rotation_key(p: &Path) -> (String, Option<u32>, Option<String>) {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut base = name.as_str();
    for ext in [".gz", ".bz2", ".xz", ".zst"] {
        if let Some(b) = base.strip_suffix(ext) {
            base = b;
            break;
        }
    }
    let mut index = None;
    let mut date = None;
    if let Some((stem, last)) = base.rsplit_once('.') {
        if !last.is_empty() && last.len() <= 4 && last.bytes().all(|c| c.is_ascii_digit()) {
            index = last.parse().ok();
            base = stem;
        } else if is_date(last) {
            date = Some(last.to_string());
            base = stem;
        }
    }
    let dir = p
        .parent()
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default();
    (format!("{dir}/{base}"), index, date)
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn label_for(base: &str) -> String {
    let name = base.rsplit('/').next().unwrap_or(base);
    name.strip_suffix(".log").unwrap_or(name).to_string()
}

fn is_compressed_name(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("gz" | "bz2" | "xz" | "zst")
    )
}

/// Folder entries worth reading: not hidden, not journald's binary files, not our own config.
fn is_log_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    !(name.starts_with('.')
        || name.ends_with(".journal")
        || name.ends_with(".journal~")
        || name.ends_with(".json") && !name.ends_with(".log.json")
        || name.ends_with(".jsonl") && name.contains("events")
        || name.ends_with(".toml"))
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

/// `tail -F` on one path: reads to the end, then keeps reading as it grows; when the name
/// points to a new file (rotation), drains the old one and switches; when the file shrinks
/// (truncation), starts again from its beginning. Nothing is lost, nothing repeated.
fn follow_file(path: &Path, feeder: &mut LineFeeder, shown: &str) {
    let mut current = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            report::source_failed(shown, &format!("cannot open: {}", io_reason(&e)));
            feeder.caught_up();
            return wait_for_file(path, feeder, shown);
        }
    };
    let mut caught_up = false;
    let mut line_no = 0;
    let mut pending = Vec::new();
    let mut reader = BufReader::with_capacity(READ_BUFFER, current.try_clone().expect("dup fd"));
    let mut rotated_at: Option<Instant> = None;
    loop {
        if let Err(e) = read_lines(&mut reader, feeder, &mut line_no, &mut pending, false) {
            report::problem(shown, &format!("read error after line {line_no}: {e}"));
        }
        feeder.report_data_problems(shown);
        if !caught_up {
            caught_up = true;
            if !feeder.caught_up() {
                return;
            }
        } else if !feeder.flush() {
            return;
        }
        std::thread::sleep(FOLLOW_POLL);
        let (Ok(now_at_path), Ok(open_meta)) = (std::fs::metadata(path), current.metadata()) else {
            // The name is gone for now (mid-rotation): keep draining the open file.
            continue;
        };
        if !same_file(&now_at_path, &open_meta) {
            // Rotated: writers may still append to the old file for a moment.
            let since = *rotated_at.get_or_insert_with(Instant::now);
            if since.elapsed() < ROTATION_GRACE {
                continue;
            }
            if let Err(e) = read_lines(&mut reader, feeder, &mut line_no, &mut pending, true) {
                report::problem(shown, &format!("read error after line {line_no}: {e}"));
            }
            match File::open(path) {
                Ok(f) => {
                    current = f;
                    reader =
                        BufReader::with_capacity(READ_BUFFER, current.try_clone().expect("dup fd"));
                    line_no = 0;
                    rotated_at = None;
                }
                Err(_) => continue,
            }
        } else if open_meta.len() < reader_position(&mut reader) {
            report::notice(&format!("{shown}: file truncated; reading from its start"));
            pending.clear();
            line_no = 0;
            if reader.seek(SeekFrom::Start(0)).is_err() {
                return;
            }
        }
    }
}

fn reader_position(reader: &mut BufReader<File>) -> u64 {
    reader.stream_position().unwrap_or(0)
}

/// Waits for a followed file that does not exist yet, then follows it.
fn wait_for_file(path: &Path, feeder: &mut LineFeeder, shown: &str) {
    while !path.exists() {
        std::thread::sleep(FOLLOW_POLL * 5);
        if !feeder.flush() {
            return;
        }
    }
    follow_file(path, feeder, shown)
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &std::fs::Metadata, _b: &std::fs::Metadata) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_are_grouped_oldest_first() {
        let files = [
            "d/zisk-worker.log",
            "d/zisk-worker.log.0.gz",
            "d/zisk-worker.log.2.bz2",
            "d/zisk-worker.log.1.gz",
            "d/other.log",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let groups = group_files(files);
        assert_eq!(groups.len(), 2);
        assert_eq!(&*groups[0].label, "other");
        let names: Vec<_> = groups[1]
            .files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "zisk-worker.log.2.bz2",
                "zisk-worker.log.1.gz",
                "zisk-worker.log.0.gz",
                "zisk-worker.log"
            ]
        );
        assert_eq!(groups[1].live(), Some(Path::new("d/zisk-worker.log")));
    }

    #[test]
    fn daily_files_in_date_order() {
        let files = [
            "l/c.log.2026-11-21",
            "l/c.log.2026-11-19",
            "l/c.log.2026-11-20",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let g = &group_files(files)[0];
        assert_eq!(g.files[0], PathBuf::from("l/c.log.2026-11-19"));
        assert_eq!(&*g.label, "c");
    }
}
