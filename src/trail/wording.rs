//! What a coordinator's or worker's message says in its words, beside its template: the
//! counts, figures and reasons the job tally reads (`record.rs`), each searcher or pattern
//! built once.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use regex::Regex;

/// `6 / 8 workers done` (or `completed`).
static DONE_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d+)\s*/\s*(\d+) workers (done|completed)").expect("valid regex")
});
/// The coordinator's figures: `(p1s+p2s+p3s)` on `[Job] Finished`, the phase's own at its end.
static SPLIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\(([\d.]+)s\+([\d.]+)s\+([\d.]+)s\)").expect("valid regex"));
static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"workers done, (?:Phase: )?([\d.]+)s|phase 3 completed for \S+ \(([\d.]+)s\)")
        .expect("valid regex")
});
static WORKER_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Workers: (\d+)").expect("valid regex"));
/// v0.12: `[Job Started] Inputs=… | Capacity=10 CU | Workers=1 | JobId(…)`.
static WORKERS_EQ: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Workers=(\d+)").expect("valid regex"));

/// The words a coordinator line is searched for beside its template (the shapes of DOMAIN.md
/// and loose variants), each searcher built once: `str::contains` sets one up on every call,
/// which cost more than the search on these short messages, several times per line.
#[derive(Clone, Copy)]
pub(super) enum Word {
    JobStarted,
    JobFinished,
    Successfully,
    ExecutionJob,
    CompletedSuccessfully,
    FailedJob,
    CancelledJob,
    TimedOut,
    Phase1,
    Phase2,
    Execution,
    StartedWith,
    FinishedExecution,
}

const WORDS: [&str; 13] = [
    "[Job] Started",
    "[Job] Finished",
    "successfully",
    "[Execution] Job",
    "completed successfully",
    "Failed job",
    "Cancelled job",
    "timed out",
    "[Phase1]",
    "[Phase2]",
    "[Execution]",
    "] Started with",
    "finished execution",
];

/// Where `word` first occurs in `m`.
pub(super) fn find(m: &str, word: Word) -> Option<usize> {
    static FINDERS: LazyLock<Vec<Finder<'static>>> =
        LazyLock::new(|| WORDS.iter().map(Finder::new).collect());
    FINDERS[word as usize].find(m.as_bytes())
}

pub(super) fn has(m: &str, word: Word) -> bool {
    find(m, word).is_some()
}

/// The `N` of the start line's `Workers: N` (v0.12: `Workers=N`).
pub(super) fn announced_workers(m: &str) -> Option<&str> {
    let c = WORKER_COUNT
        .captures(m)
        .or_else(|| WORKERS_EQ.captures(m))?;
    c.get(1).map(|n| n.as_str())
}

/// The coordinator's three phase figures of `[Job] Finished … (p1s+p2s+p3s)`.
pub(super) fn phase_figures(m: &str) -> Option<[&str; 3]> {
    let c = SPLIT.captures(m)?;
    Some([1, 2, 3].map(|i| c.get(i).map_or("", |g| g.as_str())))
}

/// The figure in seconds a phase's last line gives (`n/n workers done, Phase: 8.6s`,
/// `(n / n workers done, 15.4s)`, `phase 3 completed for J (6.1s)`).
pub(super) fn figure(m: &str) -> Option<f64> {
    let c = FIGURE.captures(m)?;
    c.get(1).or(c.get(2))?.as_str().parse().ok()
}

/// Whether the line's count of workers done ([`DONE_COUNT`]'s first match, `6 / 8 workers
/// done`) counts every worker. Read by hand on ASCII lines: each worker's end of each phase logs
/// one, a third of a coordinator's lines, and the regex search cost more than the rest of the
/// line's tally.
pub(super) fn every_worker_done(m: &str) -> bool {
    static WORKERS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(" workers "));
    if !m.is_ascii() {
        return DONE_COUNT.find(m).is_some_and(|c| all_of(c.as_str()));
    }
    let b = m.as_bytes();
    // `\s` as the regex reads it on ASCII (vertical tab included).
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r');
    let digits_before = |end: usize| {
        end - b[..end]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    for at in WORKERS.find_iter(b) {
        let after = &b[at + " workers ".len()..];
        if !(after.starts_with(b"done") || after.starts_with(b"completed")) {
            continue;
        }
        let of = digits_before(at)..at;
        let mut i = of.start;
        while i > 0 && space(b[i - 1]) {
            i -= 1;
        }
        if of.is_empty() || i == 0 || b[i - 1] != b'/' {
            continue;
        }
        i -= 1;
        while i > 0 && space(b[i - 1]) {
            i -= 1;
        }
        let done = digits_before(i)..i;
        if done.is_empty() {
            continue;
        }
        return b[done] == b[of];
    }
    false
}

/// Whether a [`DONE_COUNT`] match (`6 / 8 workers done`) counts every worker done.
fn all_of(done_count: &str) -> bool {
    let Some((done, rest)) = done_count.split_once('/') else {
        return false;
    };
    let rest = rest.trim_start();
    let of = rest.split(' ').next().unwrap_or(rest);
    done.trim_end() == of
}

/// `... (reason: worker lost (device 0))` → `worker lost (device 0)`: the text after `reason: `
/// up to the parenthesis that closes the one it opened in.
pub(super) fn reason_in(m: &str) -> Option<String> {
    let start = m.find("reason: ")? + "reason: ".len();
    let rest = &m[start..];
    let opened = m[..start].ends_with("(reason: ");
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 && opened => return Some(rest[..i].trim().to_string()),
            ')' => depth -= 1,
            _ => {}
        }
    }
    Some(rest.trim().to_string()).filter(|r| !r.is_empty())
}

/// The reason a worker gives when it cancels its part of a job: `Job <job> cancelled: <reason>`.
pub fn worker_cancel_reason(m: &str) -> Option<String> {
    static CANCELLED: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(" cancelled: "));
    let pos = CANCELLED.find(m.as_bytes())?;
    m[..pos]
        .contains("Job ")
        .then(|| m[pos + " cancelled: ".len()..].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_worker_done_reads_the_count_as_the_regex_finds_it() {
        for m in [
            "[Phase1] W finished phase 1 for J (8/8 workers done, Phase: 6.6s)",
            "[Phase1] W finished phase 1 for J (7/8 workers done, Phase: 6.6s)",
            "x (12 / 12 workers completed, 15.4s)",
            "x (12 /12 workers done)",
            "x (12\x0B/\t12 workers done)",
            "x (08/8 workers done)",
            "x (/8 workers done) (3/3 workers done)",
            "x (2/8 workers done) (3/3 workers done)",
            "x (8/8 workers  done)",
            "x (8/8 workers donE)",
            "x 8/8 workers done",
            "8/8 workers done",
            "x (8/8 Workers done)",
            "x (8/8 workers done) ü",
            "x (٣/٣ workers done)",
            "x (1/1 workers)",
            "",
        ] {
            let by_regex = DONE_COUNT.find(m).is_some_and(|c| all_of(c.as_str()));
            assert_eq!(every_worker_done(m), by_regex, "{m:?}");
        }
    }

    #[test]
    fn reasons_keep_inner_parentheses() {
        assert_eq!(
            reason_in("Failed job JobId(1a2b3c4d…) (reason: Prove failed on 1 worker: CUDA error: out of memory (device 0, requested 6.25 GiB))"),
            Some("Prove failed on 1 worker: CUDA error: out of memory (device 0, requested 6.25 GiB)".into())
        );
        assert_eq!(
            reason_in("Failed job x (reason: worker dropped)"),
            Some("worker dropped".into())
        );
        assert_eq!(reason_in("Cancelled job x"), None);
        assert_eq!(
            worker_cancel_reason("Job JobId(1a2b3c4d…) cancelled: job failed"),
            Some("job failed".into())
        );
    }
}
