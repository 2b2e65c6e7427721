//! Problems found while reading: one line each on stderr naming the source, counted so that
//! the exit code can say that something could not be read. Never a panic or a backtrace.

use std::cell::RefCell;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

static PROBLEMS: AtomicUsize = AtomicUsize::new(0);
static FAILED_SOURCES: AtomicUsize = AtomicUsize::new(0);
static STDERR: Mutex<()> = Mutex::new(());
static FAILURES: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
/// Lines said while a pager had the screen.
static HELD: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Something in a source could not be read (a bad line, a truncated archive); the rest goes on.
pub fn problem(source: &str, message: &str) {
    PROBLEMS.fetch_add(1, Ordering::Relaxed);
    say(&format!("{source}: {message}"));
}

/// [`problem`], said once however often the source is read (the job trail reads in steps).
pub fn problem_once(source: &str, message: &str) {
    static SAID: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    {
        let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
        let entry = (source.to_string(), message.to_string());
        if said.contains(&entry) {
            return;
        }
        said.push(entry);
    }
    problem(source, message);
}

/// A whole source could not be read.
pub fn source_failed(source: &str, message: &str) {
    {
        let mut failures = FAILURES.lock().unwrap_or_else(|e| e.into_inner());
        let entry = (source.to_string(), message.to_string());
        if failures.contains(&entry) {
            // The same source read again (the job trail reads in steps): said once already.
            return;
        }
        failures.push(entry);
    }
    FAILED_SOURCES.fetch_add(1, Ordering::Relaxed);
    problem(source, message);
}

/// Every (source, message) pair of [`source_failed`] so far, in the order they happened.
pub fn failures() -> Vec<(String, String)> {
    FAILURES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A notice that is not a problem (a followed file was rotated, a container appeared).
pub fn notice(message: &str) {
    say(message);
}

/// A [`notice`] said once however often it happens (a file read in several steps).
pub fn notice_once(message: &str) {
    static SAID: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.iter().any(|s| s == message) {
        said.push(message.to_string());
        say(message);
    }
}

fn say(line: &str) {
    let _guard = STDERR.lock().unwrap_or_else(|e| e.into_inner());
    let text = format!("zisk-logs: {}", crate::render::sanitize(line));
    // A line written under a pager's screen is lost in it: said when the pager has quit.
    if crate::pager::running() {
        HELD.lock().unwrap_or_else(|e| e.into_inner()).push(text);
        return;
    }
    crate::progress::clear();
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// How many lines are held back for when the pager quits.
#[cfg(test)]
pub fn held_count() -> usize {
    HELD.lock().unwrap_or_else(|e| e.into_inner()).len()
}

/// Says what was held back while a pager had the screen (call once it has quit).
pub fn say_held() {
    let held = std::mem::take(&mut *HELD.lock().unwrap_or_else(|e| e.into_inner()));
    let mut err = std::io::stderr().lock();
    for text in held {
        let _ = writeln!(err, "{text}");
    }
}

thread_local! {
    /// The stream this thread reads, for naming it should the thread panic.
    static READING: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

/// This thread now reads `label` (called per block or line, so only a pointer is compared).
pub fn reading(label: &Arc<str>) {
    READING.with(|r| {
        let mut r = r.borrow_mut();
        if !r.as_ref().is_some_and(|have| Arc::ptr_eq(have, label)) {
            *r = Some(label.clone());
        }
    });
}

/// A panic is a bug, but never a silent one: in a reader thread it fails that source (one line
/// naming it on stderr; the exit code then says something could not be read) and the other
/// sources go on; elsewhere it is one line on stderr, and the process fails with 101. No
/// backtrace unless RUST_BACKTRACE asks for one.
pub fn report_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            default_hook(info);
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic");
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = format!("internal error, please report it: {message}{at}");
        let source = READING.with(|r| r.try_borrow().ok().and_then(|r| r.clone()));
        match source {
            Some(label) => source_failed(
                &label,
                &format!("{what}; the rest of this source was not read"),
            ),
            None if std::thread::current().name() == Some("main") => say(&what),
            None => problem("a reader thread", &what),
        }
    }));
}

pub fn problems() -> usize {
    PROBLEMS.load(Ordering::Relaxed)
}

pub fn failed_sources() -> usize {
    FAILED_SOURCES.load(Ordering::Relaxed)
}

/// Exit codes: 0 matched, 1 nothing matched, 2 usage error or nothing could be read,
/// 3 something was printed (or some sources were read) but some source could not be read.
pub fn exit_code(printed_any: bool, sources: usize) -> i32 {
    match (problems() > 0, printed_any) {
        (false, true) => 0,
        (false, false) => 1,
        (true, _) if !printed_any && sources > 0 && failed_sources() >= sources => 2,
        (true, _) => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 20, defect 2: a reader thread that panics fails its source, by name.
    #[test]
    fn a_panicking_reader_fails_its_source() {
        report_panics();
        let before = problems();
        let label: Arc<str> = Arc::from("panicking-source-under-test");
        let reader = std::thread::spawn(move || {
            reading(&label);
            panic!("boom in a reader");
        });
        assert!(reader.join().is_err());
        assert!(problems() > before);
        let failures = failures();
        let (_, message) = failures
            .iter()
            .find(|(s, _)| s == "panicking-source-under-test")
            .expect("the source is reported");
        assert!(message.contains("boom in a reader"), "{message}");
        let _ = std::panic::take_hook();
    }
}
