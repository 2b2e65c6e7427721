//! What is on stdout: a terminal or not, and how wide it is (the kernel's window size, then
//! `COLUMNS`). Asked once, before a pager takes stdout's place on the screen.

use std::io::IsTerminal;

/// The width assumed when a terminal does not say, as `ls` and `less` assume.
const FALLBACK: usize = 80;
/// Below this no table or timeline is worth fitting.
const NARROWEST: usize = 20;

/// The terminal on stdout, or `None` in a pipe or a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terminal {
    pub columns: usize,
}

impl Terminal {
    pub fn on_stdout() -> Option<Terminal> {
        if !std::io::stdout().is_terminal() {
            return None;
        }
        let columns = window_columns(libc::STDOUT_FILENO)
            .or_else(columns_variable)
            .unwrap_or(FALLBACK);
        Some(Terminal {
            columns: columns.max(NARROWEST),
        })
    }
}

/// `COLUMNS`, when a user exports it (an interactive shell sets it without exporting).
pub fn columns_variable() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&w: &usize| w > 0)
}

/// The window size the terminal driver holds for `fd` (TIOCGWINSZ), 0 meaning unknown.
fn window_columns(fd: libc::c_int) -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we own and reads nothing else.
    let rc = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) };
    (rc == 0 && size.ws_col > 0).then_some(size.ws_col as usize)
}
