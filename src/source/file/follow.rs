//! Following the live file like `tail -F`: new lines, rotation (with a grace period for late
//! writes to the old file) and truncation.

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;
use std::time::Instant;

use super::{io_reason, read_lines, FOLLOW_POLL, READ_BUFFER, ROTATION_GRACE};
use crate::report;
use crate::source::LineFeeder;

/// `tail -F` on one path: reads to the end, then keeps reading as it grows; when the name
/// points to a new file (rotation), drains the old one and switches; when the file shrinks
/// (truncation), starts again from its beginning. Nothing is lost, nothing repeated.
pub(super) fn follow_file(path: &Path, feeder: &mut LineFeeder, shown: &str) {
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
