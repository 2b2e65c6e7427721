//! Reads one pod/container log: the history, then (with `-f`) the live lines, resuming a
//! dropped stream from the last second seen without repeating or losing a line.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{AsyncBufRead, AsyncBufReadExt};
use kube::api::LogParams;
use serde_json::{Map, Value};
use tokio::sync::OwnedSemaphorePermit;

use super::errors::{describe, Action};
use super::spool::Spool;
use super::{current_container_id, Shared, Target};
use crate::parse::{Envelope, MAX_LINE_BYTES};
use crate::report;
use crate::source::LineFeeder;
use crate::time::Timestamp;

/// A live stream that has been quiet this long passes on the events it holds.
const IDLE_FLUSH: Duration = Duration::from_millis(100);
/// Bytes of a log body fed between two waits for room in the stream: what one wait holds
/// beyond the stream's queue stays small however large the body's chunks are.
const PIECE: usize = 16 << 10;
/// Retries of a history request that broke off mid-way.
const HISTORY_RETRIES: u32 = 3;
/// Consecutive failed attempts (API unreachable) after which a followed stream is given up.
const FOLLOW_RETRIES: u32 = 8;

/// Where a stream is, by the kubelet's timestamps, so that a new request can pick up there:
/// `sinceTime` has one-second resolution, so the lines of the last second already read are
/// counted and that many are skipped again (stern's technique).
#[derive(Debug, Default)]
pub(crate) struct Position {
    /// The second of the last line read, and how many lines of that second were read.
    sec: Option<i64>,
    in_sec: usize,
    /// After a resume: lines of this second still to skip.
    skip_sec: Option<i64>,
    skip_left: usize,
    pub line_no: u64,
    /// Lines admitted since the last resume.
    pub fresh: u64,
}

impl Position {
    /// Whether a line with this kubelet time is new; counts it if so.
    pub fn admit(&mut self, ts: Option<Timestamp>) -> bool {
        let Some(ts) = ts else {
            self.fresh += 1;
            return true;
        };
        let s = ts.secs_floor();
        if let Some(skip) = self.skip_sec {
            if s < skip || (s == skip && self.skip_left > 0) {
                self.skip_left = self.skip_left.saturating_sub((s == skip) as usize);
                return false;
            }
            self.skip_sec = None;
        }
        if self.sec == Some(s) {
            self.in_sec += 1;
        } else {
            self.sec = Some(s);
            self.in_sec = 1;
        }
        self.fresh += 1;
        true
    }

    /// Prepares a new request: returns the second to ask from (None: from the start).
    pub fn resume(&mut self) -> Option<i64> {
        self.skip_sec = self.sec;
        self.skip_left = self.in_sec;
        self.fresh = 0;
        self.sec
    }
}

/// Splits the kubelet's `RFC3339Nano ` prefix off a line.
pub(crate) fn split_kubelet_ts(line: &[u8]) -> (Option<Timestamp>, &[u8]) {
    match Timestamp::parse_rfc3339_prefix(line) {
        Some((ts, n)) if line.get(n) == Some(&b' ') => (Some(ts), &line[n + 1..]),
        Some((ts, n)) if n == line.len() || line[n..].iter().all(|&c| c == b'\n' || c == b'\r') => {
            (Some(ts), &line[n..])
        }
        _ => (None, line),
    }
}

/// Where read lines go: straight into the stream, or held until the request is closed.
enum Out<'a> {
    Feed(&'a mut LineFeeder),
    Hold(&'a mut Spool),
}

struct Reading<'a> {
    out: Out<'a>,
    fields: &'a Map<String, Value>,
    pos: &'a mut Position,
}

impl Reading<'_> {
    fn line(&mut self, line: &[u8]) -> bool {
        let (ts, text) = split_kubelet_ts(line);
        // A TTY container's lines end in "\r\n": the terminal's, not the program's.
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if !self.pos.admit(ts) {
            return true;
        }
        match &mut self.out {
            Out::Feed(feeder) => {
                self.pos.line_no += 1;
                feeder.line(
                    text,
                    self.pos.line_no,
                    Envelope {
                        ts,
                        level: None,
                        fields: Some(self.fields.clone()),
                    },
                )
            }
            Out::Hold(spool) => {
                spool.push(text, ts);
                true
            }
        }
    }

    /// After each piece read: waits until the merge has room for more, so that a slow merge
    /// holds back the request's body; false once the consumer has gone.
    async fn room(&mut self) -> bool {
        match &mut self.out {
            Out::Feed(feeder) => {
                feeder.sink.room().await;
                !feeder.sink.is_closed()
            }
            Out::Hold(_) => true,
        }
    }

    async fn idle(&mut self) -> bool {
        if let Out::Feed(feeder) = &mut self.out {
            feeder.flush();
        }
        self.room().await
    }
}

/// How a request ended.
enum End {
    /// The body ended (history read, or the container stopped), or the reader went away.
    Done,
    /// The request was refused.
    Api(kube::Error),
    /// The connection failed or broke off.
    Broken(String),
}

/// Reads a log body line by line. With `live`, passes held events on whenever the stream is
/// quiet. A last line without newline is kept only when the body ended cleanly.
async fn pump<R: AsyncBufRead + Unpin>(mut body: R, reading: &mut Reading<'_>, live: bool) -> End {
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let filled = if live {
            match tokio::time::timeout(IDLE_FLUSH, body.fill_buf()).await {
                Ok(r) => r,
                Err(_) => {
                    if !reading.idle().await {
                        return End::Done;
                    }
                    body.fill_buf().await
                }
            }
        } else {
            body.fill_buf().await
        };
        let available = match filled {
            Ok(b) => b,
            Err(e) => return End::Broken(super::errors::chain(&e)),
        };
        if available.is_empty() {
            if !pending.is_empty() {
                reading.line(&pending);
            }
            return End::Done;
        }
        let mut used = 0;
        let mut keep_going = true;
        for piece in available.split_inclusive(|&c| c == b'\n') {
            used += piece.len();
            let complete = piece.last() == Some(&b'\n');
            if pending.is_empty() && complete {
                keep_going = reading.line(piece);
            } else {
                let room = (MAX_LINE_BYTES + 64).saturating_sub(pending.len());
                pending.extend_from_slice(&piece[..piece.len().min(room)]);
                if complete {
                    keep_going = reading.line(&pending);
                    pending.clear();
                }
            }
            // The rest of a large chunk waits in the body until the merge has room.
            if !keep_going || used >= PIECE {
                break;
            }
        }
        body.consume_unpin(used);
        if !keep_going || !reading.room().await {
            return End::Done;
        }
    }
}

impl Shared {
    fn params(
        &self,
        target: &Target,
        follow: bool,
        since_sec: Option<i64>,
        tail: Option<usize>,
    ) -> LogParams {
        LogParams {
            container: Some(target.container.clone()),
            follow,
            previous: self.spec.previous,
            timestamps: true,
            // Whole seconds, rounded down: kube would round to the nearest second.
            since_time: since_sec.and_then(|s| jiff::Timestamp::from_second(s).ok()),
            tail_lines: tail.map(|n| n as i64),
            ..LogParams::default()
        }
    }

    async fn request(
        &self,
        target: &Target,
        params: &LogParams,
        reading: &mut Reading<'_>,
        live: bool,
    ) -> End {
        match self.api.log_stream(&target.pod, params).await {
            Ok(body) => pump(Box::pin(body), reading, live).await,
            Err(e @ kube::Error::Api(_)) => End::Api(e),
            Err(e) => End::Broken(describe(&e, &self.logs_action(target), &self.api_url)),
        }
    }

    fn logs_action<'a>(&'a self, target: &'a Target) -> Action<'a> {
        Action::Logs {
            namespace: &self.spec.namespace,
            pod: &target.pod,
            container: &target.container,
        }
    }

    fn where_(&self, target: &Target) -> String {
        format!("{}: {}", self.name, target.label)
    }

    /// Whether the container a reader follows is still the running one.
    async fn still_running(&self, target: &Target) -> Result<bool, String> {
        let pod = match self.api.get(&target.pod).await {
            Ok(pod) => pod,
            Err(kube::Error::Api(s)) if s.code == 404 => return Ok(false),
            Err(e) => {
                return Err(describe(
                    &e,
                    &Action::GetPod {
                        namespace: &self.spec.namespace,
                        pod: &target.pod,
                    },
                    &self.api_url,
                ))
            }
        };
        let status = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|all| all.iter().find(|c| c.name == target.container));
        Ok(status.is_some_and(|s| {
            let running = s.state.as_ref().is_some_and(|st| st.running.is_some());
            running
                && (target.container_id.is_empty()
                    || current_container_id(s) == target.container_id)
        }))
    }
}

/// Reads one target: history, `caught_up`, then live lines when following. `feeder` never
/// blocks: the reader awaits room before it reads on (see [`crate::source::EventSink::room`]).
pub(crate) async fn read_target(
    shared: &Shared,
    target: &Target,
    feeder: &mut LineFeeder,
    permit: Option<OwnedSemaphorePermit>,
    live: bool,
    hold: bool,
) {
    let follow = shared.req.follow && !shared.spec.previous;
    let permit = match permit {
        Some(p) => p,
        None => {
            if follow {
                if shared.cap_reported.swap(true, Ordering::Relaxed) {
                    report::notice(&format!(
                        "{}: waits for a free log stream",
                        shared.where_(target)
                    ));
                } else {
                    report::problem(
                        &shared.where_(target),
                        &format!(
                            "already following {} log streams, the most allowed at once; this one starts when another ends (raise --max-log-requests to follow more)",
                            shared.max_streams
                        ),
                    );
                }
                // The merge must not wait for this stream's history.
                feeder.caught_up();
                feeder.sink.sent().await;
            }
            match shared.limit.clone().acquire_owned().await {
                Ok(p) => p,
                Err(_) => return,
            }
        }
    };
    if live {
        report::notice(&format!("+ {}", shared.where_(target)));
    }
    let mut fields = Map::new();
    fields.insert("pod".into(), Value::String(target.pod.clone()));
    fields.insert("container".into(), Value::String(target.container.clone()));
    let mut pos = Position::default();
    let since = shared.req.since.map(Timestamp::secs_floor);
    let tail = if live { None } else { shared.req.tail_lines };

    // History: one request, resumed where it broke off.
    let mut held = Spool::new(shared.where_(target));
    let mut attempt = 0;
    let history_ok = loop {
        let first = attempt == 0;
        let from = pos.resume().or(since);
        let params = shared.params(target, false, from, if first { tail } else { None });
        let out = if hold {
            Out::Hold(&mut held)
        } else {
            Out::Feed(feeder)
        };
        let mut reading = Reading {
            out,
            fields: &fields,
            pos: &mut pos,
        };
        match shared.request(target, &params, &mut reading, false).await {
            End::Done => break true,
            End::Api(e) => {
                report::problem(
                    &shared.where_(target),
                    &describe(&e, &shared.logs_action(target), &shared.api_url),
                );
                break false;
            }
            End::Broken(why) if attempt < HISTORY_RETRIES => {
                report::notice(&format!(
                    "{}: log request broke off ({why}); resuming",
                    shared.where_(target)
                ));
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            End::Broken(why) => {
                report::problem(&shared.where_(target), &format!("log incomplete: {why}"));
                break false;
            }
        }
    };
    if hold {
        drop(permit);
        let mut held = held.replay();
        while let Some((ts, text)) = held.next() {
            pos.line_no += 1;
            let envelope = Envelope {
                ts,
                level: None,
                fields: Some(fields.clone()),
            };
            if !feeder.line(text, pos.line_no, envelope) {
                return;
            }
            feeder.sink.room().await;
        }
        feeder.report_data_problems(&shared.where_(target));
        feeder.caught_up();
        return;
    }
    feeder.report_data_problems(&shared.where_(target));
    if !feeder.caught_up() || !follow || !history_ok {
        return;
    }
    feeder.sink.room().await;

    // Live: follow from the last second read.
    let mut quiet_resumes = 0u32;
    let mut api_failures = 0u32;
    loop {
        let from = pos.resume().or(since);
        let params = shared.params(target, true, from, None);
        let mut reading = Reading {
            out: Out::Feed(feeder),
            fields: &fields,
            pos: &mut pos,
        };
        let end = shared.request(target, &params, &mut reading, true).await;
        if !feeder.flush() {
            return;
        }
        feeder.sink.room().await;
        feeder.report_data_problems(&shared.where_(target));
        let why = match end {
            End::Api(e) => {
                let message = describe(&e, &shared.logs_action(target), &shared.api_url);
                match &e {
                    // Gone, or no longer has a log to follow: a state, not a failure.
                    kube::Error::Api(s) if s.code == 404 || s.code == 400 => {
                        report::notice(&format!("- {} ({message})", shared.where_(target)));
                        return;
                    }
                    kube::Error::Api(s) if s.code == 401 || s.code == 403 => {
                        report::problem(
                            &shared.where_(target),
                            &format!("stopped following: {message}"),
                        );
                        return;
                    }
                    _ => message,
                }
            }
            End::Broken(why) => why,
            End::Done => String::new(),
        };
        quiet_resumes = if pos.fresh > 0 { 0 } else { quiet_resumes + 1 };
        match shared.still_running(target).await {
            Ok(false) => {
                report::notice(&format!("- {}", shared.where_(target)));
                return;
            }
            Ok(true) => api_failures = 0,
            Err(e) => {
                api_failures += 1;
                if api_failures >= FOLLOW_RETRIES {
                    report::problem(&shared.where_(target), &format!("stopped following: {e}"));
                    return;
                }
            }
        }
        if !why.is_empty() {
            report::notice(&format!(
                "{}: log stream dropped ({why}); resuming",
                shared.where_(target)
            ));
        }
        // At once after lines came through; slower while nothing comes (at most ~6 s).
        let backoff = Duration::from_millis(50u64 << quiet_resumes.max(api_failures).min(7));
        tokio::time::sleep(backoff).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<Timestamp> {
        Some(Timestamp::parse_rfc3339_prefix(s.as_bytes()).unwrap().0)
    }

    #[test]
    fn kubelet_prefix_is_split_off() {
        let (ts, text) = split_kubelet_ts(b"2026-11-21T10:00:00.123456789Z hello world\n");
        assert_eq!(ts, t("2026-11-21T10:00:00.123456Z"));
        assert_eq!(text, b"hello world\n");
        let (ts, text) = split_kubelet_ts(b"2026-11-21T10:00:00.000000001Z \n");
        assert!(ts.is_some());
        assert_eq!(text, b"\n");
        assert_eq!(
            split_kubelet_ts(b"no prefix\n"),
            (None, &b"no prefix\n"[..])
        );
    }

    #[test]
    fn resume_skips_exactly_the_lines_read_in_the_last_second() {
        let mut p = Position::default();
        for s in [
            "2026-11-21T10:00:00.1Z",
            "2026-11-21T10:00:01.1Z",
            "2026-11-21T10:00:01.2Z",
        ] {
            assert!(p.admit(t(s)));
        }
        assert_eq!(
            p.resume(),
            Some(t("2026-11-21T10:00:01Z").unwrap().secs_floor())
        );
        // The server sends the whole second again, then new lines.
        assert!(!p.admit(t("2026-11-21T10:00:01.1Z")));
        assert!(!p.admit(t("2026-11-21T10:00:01.2Z")));
        assert!(p.admit(t("2026-11-21T10:00:01.3Z")));
        assert!(p.admit(t("2026-11-21T10:00:02.0Z")));
        // A second resume within a second that was resumed before.
        p.resume();
        assert!(!p.admit(t("2026-11-21T10:00:02.0Z")));
        assert!(p.admit(t("2026-11-21T10:00:02.5Z")));
        assert_eq!(p.fresh, 1);
    }
}
