//! A one-line progress note on stderr while sources are read, only on an interactive terminal.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static SHOWN: AtomicBool = AtomicBool::new(false);
static ENABLED: AtomicBool = AtomicBool::new(false);

pub fn enable_if_terminal() {
    ENABLED.store(std::io::stderr().is_terminal(), Ordering::Relaxed);
}

pub fn show(text: &str) {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    let mut err = std::io::stderr().lock();
    let width = 100;
    let text: String = crate::render::sanitize(text).chars().take(width).collect();
    let _ = write!(err, "\r\x1b[2K{text}");
    let _ = err.flush();
    SHOWN.store(true, Ordering::Relaxed);
}

pub fn clear() {
    if SHOWN.swap(false, Ordering::Relaxed) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }
}

/// No more notes: a pager now holds the screen.
pub fn disable() {
    clear();
    ENABLED.store(false, Ordering::Relaxed);
}
