//! FIFOs and pipes named as files (`mkfifo`, `<(…)`, `/dev/stdin`): opened without blocking,
//! so a FIFO nobody writes to yet holds back no other source, and read front to back.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use super::{io_reason, read_blocks, sniff};
use crate::report;
use crate::source::LineFeeder;

/// How often a FIFO without a writer is looked at again.
const WRITER_POLL: Duration = Duration::from_millis(50);

/// Reads the FIFO or pipe at `path` to its end.
pub fn read_pipe(path: &Path, feeder: &mut LineFeeder, shown: &str) {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) => {
            report::source_failed(shown, &format!("cannot open: {}", io_reason(&e)));
            feeder.caught_up();
            return;
        }
    };
    let mut waited = false;
    let first = loop {
        match first_bytes(&file) {
            Ok(Some(bytes)) => break bytes,
            Ok(None) if is_anonymous(&file) => {
                // A pipe whose writer has finished without writing: empty.
                feeder.caught_up();
                return;
            }
            Ok(None) => {
                if !waited {
                    waited = true;
                    report::notice(&format!(
                        "{shown}: a FIFO without a writer; its lines are read when one opens it, the other sources meanwhile"
                    ));
                    // Its history is empty for now: the merge need not wait for it.
                    if !feeder.caught_up() {
                        return;
                    }
                }
                std::thread::sleep(WRITER_POLL);
                if !feeder.flush() {
                    return;
                }
            }
            Err(e) => {
                report::source_failed(shown, &format!("cannot read: {}", io_reason(&e)));
                feeder.caught_up();
                return;
            }
        }
    };
    if let Err(e) = set_blocking(&file) {
        report::source_failed(shown, &format!("cannot read: {}", io_reason(&e)));
        feeder.caught_up();
        return;
    }
    let mut line_no = 0;
    let result = sniff::decoded(io::Cursor::new(first).chain(file))
        .and_then(|(_, reader)| read_blocks(reader, feeder, &mut line_no));
    if let Err(e) = result {
        report::problem(shown, &format!("read error after line {line_no}: {e}"));
    }
    feeder.report_data_problems(shown);
    if waited {
        feeder.flush();
    } else {
        feeder.caught_up();
    }
}

/// What a non-blocking read finds: bytes (possibly none, while a writer has it open), or
/// `None` when no process has it open for writing.
fn first_bytes(mut file: &File) -> io::Result<Option<Vec<u8>>> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        return match file.read(&mut buf) {
            Ok(0) => Ok(None),
            Ok(n) => {
                buf.truncate(n);
                Ok(Some(buf))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Some(Vec::new())),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
        };
    }
}

/// An anonymous pipe (`|`, `<(…)`) rather than a named FIFO: its writer never comes back.
fn is_anonymous(file: &File) -> bool {
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .is_ok_and(|target| target.to_string_lossy().starts_with("pipe:"))
}

fn set_blocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on an fd we own, with integer arguments.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
