//! The pager, started as journalctl and git start theirs: `$ZISK_LOGS_PAGER`, then `$PAGER`,
//! else `less` with `LESS=FRSXMK` unless `LESS` is set; only when stdout is a terminal, and
//! only once there is something to show (an empty result starts none). What is said on stderr
//! meanwhile is said when it quits, not lost under its screen.

use std::io::{self, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

/// The running pager, waited for before the process exits.
static RUNNING: Mutex<Option<Child>> = Mutex::new(None);

/// How to start the pager.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pager {
    /// The user's command line, run by `sh -c` as git runs it.
    Shell(String),
    /// `less`, found on PATH.
    Less,
}

impl Pager {
    /// The pager to use, or `None` for none: not on a terminal, `--no-pager`, following, or
    /// a pager variable set empty or to `cat`.
    pub fn choose(stdout_is_terminal: bool, no_pager: bool, follow: bool) -> Option<Pager> {
        if !stdout_is_terminal || no_pager || follow {
            return None;
        }
        let named = ["ZISK_LOGS_PAGER", "PAGER"]
            .iter()
            .find_map(|v| std::env::var(v).ok());
        Pager::from_setting(named.as_deref())
    }

    fn from_setting(named: Option<&str>) -> Option<Pager> {
        match named.map(str::trim) {
            None => Some(Pager::Less),
            Some("" | "cat") => None,
            Some(cmd) => Some(Pager::Shell(cmd.to_string())),
        }
    }

    fn command(&self) -> Command {
        let mut cmd = match self {
            Pager::Shell(line) => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(line);
                c
            }
            Pager::Less => Command::new("less"),
        };
        // Quit if one screen, colours as they are, chop long lines, no screen clearing,
        // the long prompt, Ctrl-C quits: journalctl's settings.
        if std::env::var_os("LESS").is_none() {
            cmd.env("LESS", "FRSXMK");
        }
        if std::env::var_os("LESSCHARSET").is_none() {
            cmd.env("LESSCHARSET", "utf-8");
        }
        cmd
    }
}

/// Stdout, or the pager's input once the first byte is written.
pub struct Output {
    pager: Option<Pager>,
    target: Target,
}

enum Target {
    NotYet,
    Pager(ChildStdin),
    Stdout(io::Stdout),
}

impl Output {
    pub fn new(pager: Option<Pager>) -> Output {
        Output {
            pager,
            target: Target::NotYet,
        }
    }

    fn target(&mut self) -> &mut dyn Write {
        if let Target::NotYet = self.target {
            self.target = match self.pager.take().and_then(start) {
                Some(stdin) => Target::Pager(stdin),
                None => Target::Stdout(io::stdout()),
            };
        }
        match &mut self.target {
            Target::Pager(p) => p,
            Target::Stdout(s) => s,
            Target::NotYet => unreachable!("chosen above"),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.target().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.target {
            Target::NotYet => Ok(()),
            Target::Pager(p) => p.flush(),
            Target::Stdout(s) => s.flush(),
        }
    }
}

/// Starts the pager; `None` (and output goes to stdout) when it cannot be started.
fn start(pager: Pager) -> Option<ChildStdin> {
    crate::progress::disable();
    match pager.command().stdin(Stdio::piped()).spawn() {
        Ok(mut child) => {
            let stdin = child.stdin.take();
            *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
            stdin
        }
        Err(e) => {
            if let Pager::Shell(line) = &pager {
                crate::report::notice(&format!("pager {line:?} could not be started: {e}"));
            }
            None
        }
    }
}

/// Does a pager have the screen?
pub fn running() -> bool {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner()).is_some()
}

/// Waits for the pager, if one runs, until the user quits it. Its input must be closed first
/// (the [`Output`] dropped).
pub fn wait() {
    let child = RUNNING.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(mut child) = child {
        let _ = child.wait();
    }
    crate::report::say_held();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_settings_as_git_reads_them() {
        assert_eq!(Pager::from_setting(None), Some(Pager::Less));
        assert_eq!(Pager::from_setting(Some("")), None);
        assert_eq!(Pager::from_setting(Some("cat")), None);
        assert_eq!(
            Pager::from_setting(Some("less -R")),
            Some(Pager::Shell("less -R".into()))
        );
        assert_eq!(Pager::choose(false, false, false), None);
        assert_eq!(Pager::choose(true, true, false), None);
        assert_eq!(Pager::choose(true, false, true), None);
    }

    #[test]
    fn a_pager_starts_at_the_first_byte_and_stderr_waits_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let shown = dir.path().join("shown");
        let pager = Pager::Shell(format!("cat > '{}'", shown.display()));
        let mut out = Output::new(Some(pager));
        out.flush().unwrap();
        assert!(!running(), "nothing written, no pager");
        out.write_all(b"first line\n").unwrap();
        assert!(running());
        crate::report::notice("said while paging");
        assert!(crate::report::held_count() >= 1);
        drop(out);
        wait();
        assert!(!running());
        assert_eq!(crate::report::held_count(), 0, "said once the pager quit");
        assert_eq!(std::fs::read_to_string(&shown).unwrap(), "first line\n");
    }
}
