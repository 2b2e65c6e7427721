//! A real terminal for the tests: a private tmux server with one pane of a chosen size,
//! running one shell command; the screen is read back as text and keys are typed into it.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::root;

/// What the pane's command prints when it is done, with its exit code.
pub const DONE: &str = "__DONE=";

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `command` (a `sh` command line) in a `columns`×`rows` pane, in the repository
    /// root, with no pager or width set by the test's own environment. When it ends it prints
    /// [`DONE`] and its exit code, and the pane stays open.
    pub fn run(columns: u16, rows: u16, command: &str) -> Tmux {
        let socket = format!(
            "zisk-logs-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let script = format!(
            "unset LESS PAGER ZISK_LOGS_PAGER COLUMNS LINES NO_COLOR ZISK_LOGS_CONFIG TZ; \
             export PATH={path:?}; {command}; echo {DONE}$?; exec sleep 600",
            path = std::env::var("PATH").unwrap_or_default(),
        );
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &columns.to_string(), "-y", &rows.to_string()])
            .arg("-c")
            .arg(root())
            .args(["sh", "-c", &script])
            .env_remove("TMUX")
            .status()
            .expect("start tmux");
        assert!(status.success(), "tmux new-session failed");
        Tmux { socket }
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    /// The pane's history and screen, wrapped lines joined back, trailing blanks dropped.
    pub fn text(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-J", "-S", "-", "-E", "-"])
            .output()
            .expect("tmux capture-pane");
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        let end = lines
            .iter()
            .rposition(|l| !l.is_empty())
            .map_or(0, |i| i + 1);
        lines[..end].join("\n")
    }

    /// The visible screen only, one entry per row.
    pub fn screen(&self) -> Vec<String> {
        let out = self
            .tmux()
            .args(["capture-pane", "-p"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    /// Waits until `ready` holds for the pane's text; panics with the text after `limit`.
    pub fn wait_for(&self, what: &str, limit: Duration, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if ready(&text) {
                return text;
            }
            assert!(
                start.elapsed() < limit,
                "waited {limit:?} for {what}; the pane shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the command to end and returns its exit code and the text before [`DONE`].
    pub fn wait_done(&self, limit: Duration) -> (i32, String) {
        let text = self.wait_for("the command to end", limit, |t| t.contains(DONE));
        let at = text.rfind(DONE).expect("marker");
        let code = text[at + DONE.len()..]
            .lines()
            .next()
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(-1);
        (code, text[..at].to_string())
    }

    pub fn keys(&self, keys: &str) {
        let status = self
            .tmux()
            .args(["send-keys", keys])
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}
