//! One mapped window of a file, registered with the SIGBUS guard while it lives: a file that
//! shrinks while mapped ends the process with one message naming it (exit code 3), not a crash.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Once;

use memmap2::{Advice, Mmap, MmapOptions};

use super::window_bytes;

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}

/// One mapped window, registered with the SIGBUS guard while it lives.
pub(in crate::source) struct Window {
    pub(in crate::source) map: Mmap,
    slot: usize,
    /// The file offset of the window's first byte.
    pub(in crate::source) base: u64,
    /// The window reaches the end of what is read.
    pub(super) reaches_end: bool,
}

impl Window {
    /// Maps the window that holds `offset` and reaches at most [`window_bytes`] toward `end`
    /// (from a page boundary): the window, and where `offset` is in it.
    pub(super) fn at(
        file: &File,
        offset: u64,
        end: u64,
        shown: &str,
    ) -> io::Result<(Window, usize)> {
        Window::sized(file, offset, end, shown, window_bytes())
    }

    /// [`Window::at`] reaching at most `size` bytes.
    pub(in crate::source) fn sized(
        file: &File,
        offset: u64,
        end: u64,
        shown: &str,
        size: usize,
    ) -> io::Result<(Window, usize)> {
        guard();
        let base = offset - offset % page_size();
        let len = (end - base).min(size as u64) as usize;
        // SAFETY: the map is only read. If the file shrinks meanwhile, reading a vanished page
        // raises SIGBUS, which the guard reports and ends the process on (see the module docs).
        let map = unsafe { MmapOptions::new().offset(base).len(len).map(file)? };
        let _ = map.advise(Advice::Sequential);
        let slot = register(map.as_ptr() as usize, len, shown);
        let window = Window {
            map,
            slot,
            base,
            reaches_end: base + len as u64 == end,
        };
        Ok((window, (offset - base) as usize))
    }

    /// The end of the whole lines from `skip` on (all of it at the end of what is read);
    /// `None` when a line runs past the window.
    pub(super) fn whole_lines_from(&self, skip: usize) -> Option<usize> {
        if self.reaches_end {
            return Some(self.map.len());
        }
        memchr::memrchr(b'\n', &self.map[skip..]).map(|i| skip + i + 1)
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        unregister(self.slot);
    }
}

/// Mapped windows, for the SIGBUS handler to name the file a fault hit: start, length and
/// the file's name (a leaked, NUL-free byte string). A fixed table of atomics, so the handler
/// reads it without locks or allocation.
const SLOTS: usize = 1024;
static STARTS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static LENS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static NAMES: [AtomicPtr<Vec<u8>>; SLOTS] = [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];

/// Returns the slot taken, or `SLOTS` when the table is full (the fault then names no file).
fn register(start: usize, len: usize, shown: &str) -> usize {
    for slot in 0..SLOTS {
        if STARTS[slot]
            .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            let name = Box::into_raw(Box::new(shown.as_bytes().to_vec()));
            let old = NAMES[slot].swap(name, Ordering::AcqRel);
            if !old.is_null() {
                // SAFETY: the pointer came from Box::into_raw in an earlier register.
                drop(unsafe { Box::from_raw(old) });
            }
            LENS[slot].store(len, Ordering::Release);
            STARTS[slot].store(start, Ordering::Release);
            return slot;
        }
    }
    SLOTS
}

fn unregister(slot: usize) {
    if slot < SLOTS {
        LENS[slot].store(0, Ordering::Release);
        // The name stays allocated until the slot is reused: a handler may be reading it.
        STARTS[slot].store(0, Ordering::Release);
    }
}

/// Installs the SIGBUS handler once.
fn guard() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: a zeroed sigaction with a valid handler and an empty mask is well formed.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    });
}

extern "C" fn on_sigbus(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // Only async-signal-safe calls here: atomics, write(2) and _exit(2).
    let write = |bytes: &[u8]| {
        // SAFETY: writing a valid buffer to stderr.
        unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
    };
    // SAFETY: the kernel passes a valid siginfo with SA_SIGINFO.
    let addr = unsafe { (*info).si_addr() } as usize;
    write(b"zisk-logs: ");
    for slot in 0..SLOTS {
        let start = STARTS[slot].load(Ordering::Acquire);
        let len = LENS[slot].load(Ordering::Acquire);
        if start != 0 && start != usize::MAX && addr >= start && addr < start + len {
            let name = NAMES[slot].load(Ordering::Acquire);
            if !name.is_null() {
                // SAFETY: names are only freed when their slot is taken again.
                write(unsafe { &*name });
                write(b": ");
            }
            break;
        }
    }
    write(b"the file shrank while it was read (truncated, or rotated with copytruncate); run the command again\n");
    // SAFETY: ends the process without running anything that is not signal-safe.
    unsafe { libc::_exit(3) };
}
