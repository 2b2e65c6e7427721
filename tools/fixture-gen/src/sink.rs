//! Output sinks handed to tracing-subscriber with `with_writer`.
//!
//! `MemSink` keeps one small fixture file in memory and counts the newlines written to it, so the
//! generator knows the physical line on which each event starts. `FileSink` streams a corpus
//! file through a large buffer.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use tracing_subscriber::fmt::MakeWriter;

#[derive(Default)]
pub struct MemFile {
    pub buf: Vec<u8>,
    /// Number of `\n` written so far.
    pub lines: usize,
}

#[derive(Clone, Default)]
pub struct MemSink(pub Arc<Mutex<MemFile>>);

impl MemSink {
    pub fn lock(&self) -> MutexGuard<'_, MemFile> {
        self.0.lock().unwrap()
    }

    /// Writes raw text (the worker banner goes to stdout with println, not through tracing).
    pub fn write_raw(&self, s: &str) {
        let mut f = self.lock();
        f.lines += s.bytes().filter(|&b| b == b'\n').count();
        f.buf.extend_from_slice(s.as_bytes());
    }
}

pub struct MemWriter(MemSink);

impl Write for MemWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut f = self.0.lock();
        f.lines += data.iter().filter(|&&b| b == b'\n').count();
        f.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for MemSink {
    type Writer = MemWriter;
    fn make_writer(&'a self) -> MemWriter {
        MemWriter(self.clone())
    }
}

pub struct FileState {
    pub out: BufWriter<File>,
    pub bytes: u64,
    pub lines: u64,
}

#[derive(Clone)]
pub struct FileSink(pub Arc<Mutex<FileState>>);

impl FileSink {
    pub fn create(path: &std::path::Path) -> io::Result<Self> {
        let out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        Ok(FileSink(Arc::new(Mutex::new(FileState { out, bytes: 0, lines: 0 }))))
    }
    pub fn write_raw(&self, s: &str) {
        let mut f = self.0.lock().unwrap();
        f.bytes += s.len() as u64;
        f.lines += s.bytes().filter(|&b| b == b'\n').count() as u64;
        f.out.write_all(s.as_bytes()).expect("write corpus");
    }
    pub fn bytes(&self) -> u64 {
        self.0.lock().unwrap().bytes
    }
    pub fn lines(&self) -> u64 {
        self.0.lock().unwrap().lines
    }
    pub fn finish(&self) -> io::Result<()> {
        self.0.lock().unwrap().out.flush()
    }
}

pub struct FileWriter(FileSink);

impl Write for FileWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut f = self.0 .0.lock().unwrap();
        f.bytes += data.len() as u64;
        f.lines += data.iter().filter(|&&b| b == b'\n').count() as u64;
        f.out.write_all(data)?;
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for FileSink {
    type Writer = FileWriter;
    fn make_writer(&'a self) -> FileWriter {
        FileWriter(self.clone())
    }
}
