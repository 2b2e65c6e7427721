//! A pod's history held until its log request has closed (see `start` in the module above):
//! the first [`IN_MEMORY`] bytes in memory, the rest in an anonymous temp file, then fed
//! back in order. 300 pods of large logs held at once stay on disk (in the page cache while
//! there is room), not in the process's memory.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::report;
use crate::time::Timestamp;

/// Bytes of records a spool keeps in memory before it writes them out: all of a small
/// history, and the write buffer of a large one.
const IN_MEMORY: usize = 32 << 10;
/// The read buffer when a spilled history is fed back.
const READ_BUFFER: usize = 16 << 10;
/// A record: a flag (1: timed), the kubelet time in microseconds, the text's length.
const HEADER: usize = 1 + 8 + 4;

pub(super) struct Spool {
    /// Records not written out yet.
    mem: Vec<u8>,
    /// The temp file, already unlinked, once the history outgrew `mem`.
    file: Option<File>,
    /// Bytes of whole records written to it.
    spilled: u64,
    /// The temp file could not be made or written: the rest stays in memory.
    memory_only: bool,
    /// The stream, for messages.
    shown: String,
}

impl Spool {
    pub fn new(shown: String) -> Spool {
        Spool {
            mem: Vec::new(),
            file: None,
            spilled: 0,
            memory_only: false,
            shown,
        }
    }

    pub fn push(&mut self, text: &[u8], ts: Option<Timestamp>) {
        let text = &text[..text.len().min(u32::MAX as usize)];
        self.mem.push(u8::from(ts.is_some()));
        self.mem
            .extend_from_slice(&ts.map_or(0, Timestamp::as_micros).to_le_bytes());
        self.mem
            .extend_from_slice(&(text.len() as u32).to_le_bytes());
        self.mem.extend_from_slice(text);
        if self.mem.len() >= IN_MEMORY && !self.memory_only {
            self.spill();
        }
    }

    /// Writes the records in memory to the temp file (made on first use). A write to a fresh
    /// temp file lands in the page cache: short enough to do on a runtime thread.
    fn spill(&mut self) {
        let written = match &mut self.file {
            Some(file) => file.write_all(&self.mem),
            None => anonymous_file().and_then(|mut file| {
                file.write_all(&self.mem)?;
                self.file = Some(file);
                Ok(())
            }),
        };
        match written {
            Ok(()) => {
                self.spilled += self.mem.len() as u64;
                self.mem.clear();
            }
            Err(e) => {
                // The records written before stay valid (a part written now is not read
                // back); the rest, from `mem` on, is kept here.
                report::problem(
                    &self.shown,
                    &format!("cannot hold the log in a temp file ({e}); holding it in memory"),
                );
                self.memory_only = true;
            }
        }
    }

    /// The records in the order pushed.
    pub fn replay(mut self) -> Replay {
        let file = match self.file.take() {
            Some(mut file) => {
                // Everything to the file, so that no more than its read buffer is held while
                // the records are fed.
                if !self.memory_only && file.write_all(&self.mem).is_ok() {
                    self.spilled += self.mem.len() as u64;
                    self.mem = Vec::new();
                }
                match file.seek(SeekFrom::Start(0)) {
                    Ok(_) => {
                        let reader = BufReader::with_capacity(READ_BUFFER, file);
                        Some(reader.take(self.spilled))
                    }
                    Err(e) => {
                        report::problem(
                            &self.shown,
                            &format!("log incomplete: cannot read back the held log ({e})"),
                        );
                        self.mem.clear();
                        None
                    }
                }
            }
            None => None,
        };
        Replay {
            file,
            mem: self.mem,
            at: 0,
            line: Vec::new(),
            shown: self.shown,
        }
    }
}

/// Reads a spool's records back: the file's first, then those in memory.
pub(super) struct Replay {
    file: Option<io::Take<BufReader<File>>>,
    mem: Vec<u8>,
    /// Where the next record in `mem` starts.
    at: usize,
    line: Vec<u8>,
    shown: String,
}

impl Replay {
    /// The next record; None at the end, or after a read error (reported).
    pub fn next(&mut self) -> Option<(Option<Timestamp>, &[u8])> {
        if let Some(file) = &mut self.file {
            match read_record(file, &mut self.line) {
                Ok(Some(ts)) => return Some((ts, &self.line)),
                Ok(None) => self.file = None,
                Err(e) => {
                    report::problem(
                        &self.shown,
                        &format!("log incomplete: cannot read back the held log ({e})"),
                    );
                    self.file = None;
                    self.mem.clear();
                }
            }
        }
        let rest = &self.mem[self.at..];
        if rest.len() < HEADER {
            return None;
        }
        let (ts, len) = decode_header(rest[..HEADER].try_into().expect("header size"));
        let text = &rest[HEADER..HEADER + len];
        self.at += HEADER + len;
        Some((ts, text))
    }
}

fn decode_header(h: &[u8; HEADER]) -> (Option<Timestamp>, usize) {
    let micros = i64::from_le_bytes(h[1..9].try_into().expect("8 bytes"));
    let len = u32::from_le_bytes(h[9..].try_into().expect("4 bytes")) as usize;
    ((h[0] == 1).then_some(Timestamp(micros)), len)
}

/// Reads one record into `text`; Ok(None) at the end of the file.
fn read_record(r: &mut impl Read, text: &mut Vec<u8>) -> io::Result<Option<Option<Timestamp>>> {
    let mut header = [0u8; HEADER];
    match r.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let (ts, len) = decode_header(&header);
    text.clear();
    text.resize(len, 0);
    r.read_exact(text)?;
    Ok(Some(ts))
}

/// A temp file only this process can reach: made in the temp folder and unlinked at once, so
/// it goes away with the process however that ends.
fn anonymous_file() -> io::Result<File> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".zisk-logs-{}-{n}.spool", std::process::id()));
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(file) => {
                let _ = std::fs::remove_file(&path);
                return Ok(file);
            }
            // Left by an earlier process of the same ID that was killed in between.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1_000_000 => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(lines: usize) {
        let mut spool = Spool::new("test".into());
        let text = |i: usize| format!("line {i} {}", "x".repeat(i % 300));
        for i in 0..lines {
            let ts = (i % 3 != 0).then_some(Timestamp(i as i64 * 1000 - 5));
            spool.push(text(i).as_bytes(), ts);
        }
        assert_eq!(spool.file.is_some(), lines > 200, "spilled only when large");
        let mut replay = spool.replay();
        let mut n = 0;
        while let Some((ts, t)) = replay.next() {
            assert_eq!(t, text(n).as_bytes());
            assert_eq!(ts, (n % 3 != 0).then_some(Timestamp(n as i64 * 1000 - 5)));
            n += 1;
        }
        assert_eq!(n, lines);
    }

    #[test]
    fn held_lines_come_back_in_order_from_memory_and_from_the_temp_file() {
        round_trip(0);
        round_trip(10);
        round_trip(20_000);
    }
}
