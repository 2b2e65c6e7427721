//! Reads one container's logs into its stream: history first, then (with `-f`) the live
//! stream, opened again each time the container restarts, from where the last one ended.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use bollard::Docker;
use futures::StreamExt;
use serde_json::{Map, Value};
use tokio::sync::mpsc::UnboundedReceiver;

use super::decode::{
    daemon_error, engine_time_to_timestamp, split_prefix, split_tty_item, Cursor, LineJoiner,
    Stream,
};
use super::describe;
use crate::parse::Envelope;
use crate::report;
use crate::source::{LineFeeder, ReadRequest};
use crate::time::Timestamp;

/// With `-f`, a pause this long in a container's output passes held events on.
const LIVE_PAUSE: Duration = Duration::from_millis(50);

/// Extra seconds asked beyond `--until`: the engine stamps a line when it receives it, a
/// little after the time the line itself carries; the exact cut is made on the event's time.
const UNTIL_SLACK_SECS: i64 = 5;

/// `-n N` asks the engine for more lines than N: pretty events span several lines.
fn tail_for(lines: usize) -> String {
    lines.saturating_mul(4).saturating_add(64).to_string()
}

/// A container to read.
#[derive(Clone, Debug)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub tty: bool,
}

pub struct Reader {
    pub docker: Docker,
    pub req: Arc<ReadRequest>,
    pub target: Target,
    pub feeder: LineFeeder,
    /// With `-f`: a message each time the container starts again; None when not following.
    pub restarts: Option<UnboundedReceiver<()>>,
    /// The container started after following began: all its lines are new, `-n` does not apply.
    pub fresh: bool,
}

struct State {
    cursor: Cursor,
    joiner: LineJoiner,
    line_no: u64,
    fields: Map<String, Value>,
}

impl Reader {
    /// Reads the container's logs into its stream. A task on the shared runtime: the feeder
    /// never blocks, the reader awaits room in its stream after each piece it feeds, so a
    /// slow merge holds back the engine's stream.
    pub async fn run(mut self) {
        self.read().await;
        self.feeder.sink.sent().await;
    }

    async fn read(&mut self) {
        let mut fields = Map::new();
        fields.insert("container".into(), Value::String(self.target.name.clone()));
        let mut st = State {
            cursor: Cursor::default(),
            joiner: LineJoiner::default(),
            line_no: 0,
            fields,
        };
        let label = self.feeder.parser.label().to_string();

        let tail = self.req.tail_lines.filter(|_| !self.fresh).map(tail_for);
        if tail.is_some() {
            st.cursor.expect_tail_cut();
        }
        let since = self.req.since.map(Timestamp::secs_floor);
        let history = self.options(false, since, tail);
        if let Err(e) = self.pump(history, &mut st, false).await {
            report::source_failed(
                &label,
                &format!(
                    "cannot read the logs of container {}: {e}",
                    self.target.name
                ),
            );
        }
        let Some(mut restarts) = self.restarts.take() else {
            self.finish(&mut st);
            self.feeder.caught_up();
            return;
        };
        if !self.feeder.caught_up() {
            return;
        }
        self.feeder.sink.room().await;
        loop {
            let since = match (
                st.cursor.resume(),
                self.req.since.map(Timestamp::secs_floor),
            ) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            let live = self.options(true, since, None);
            if let Err(e) = self.pump(live, &mut st, true).await {
                report::problem(
                    &label,
                    &format!(
                        "log stream of container {} broke off: {e}",
                        self.target.name
                    ),
                );
            }
            self.finish(&mut st);
            if !self.feeder.flush() {
                return;
            }
            self.feeder.sink.room().await;
            // The container stopped: wait until it starts again.
            if restarts.recv().await.is_none() {
                return;
            }
            while restarts.try_recv().is_ok() {}
        }
    }

    fn options(&self, follow: bool, since: Option<i64>, tail: Option<String>) -> LogsOptions {
        LogsOptions {
            follow,
            stdout: true,
            stderr: true,
            since: since.map_or(0, clamp_i32).max(0),
            until: self
                .req
                .until
                .map_or(0, |u| clamp_i32(ceil_secs(u) + UNTIL_SLACK_SECS)),
            timestamps: true,
            tail: tail.unwrap_or_else(|| "all".into()),
        }
    }

    /// Reads one log response to its end; with `live`, passes events on whenever output pauses.
    async fn pump(&mut self, opts: LogsOptions, st: &mut State, live: bool) -> Result<(), String> {
        let mut stream = self.docker.logs(&self.target.id, Some(opts));
        loop {
            let next = if live {
                match tokio::time::timeout(LIVE_PAUSE, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        self.feeder.flush();
                        self.feeder.sink.room().await;
                        if self.feeder.sink.is_closed() {
                            return Ok(());
                        }
                        stream.next().await
                    }
                }
            } else {
                stream.next().await
            };
            let item = match next {
                None => return Ok(()),
                Some(Err(e)) => return Err(describe(&e)),
                Some(Ok(item)) => item,
            };
            let (stream_kind, bytes) = match &item {
                LogOutput::StdOut { message } => (Stream::Stdout, message),
                LogOutput::StdErr { message } => (Stream::Stderr, message),
                LogOutput::Console { message } => {
                    if let Some(err) = daemon_error(message) {
                        report::problem(
                            self.feeder.parser.label(),
                            &format!("error from the Docker engine in the log stream: {err}"),
                        );
                        continue;
                    }
                    (Stream::Stdout, message)
                }
                LogOutput::StdIn { .. } => continue,
            };
            let messages = if self.target.tty {
                split_tty_item(bytes)
            } else {
                vec![&bytes[..]]
            };
            for msg in messages {
                let (t, text) = split_prefix(msg);
                if let Some(t) = t {
                    if !st.cursor.admit(t) {
                        continue;
                    }
                }
                let ts = t.map(engine_time_to_timestamp);
                let tag = (!self.target.tty).then_some(stream_kind);
                let (feeder, fields, line_no) = (&mut self.feeder, &st.fields, &mut st.line_no);
                st.joiner.push(stream_kind, ts, text, &mut |line, ts| {
                    feed(feeder, fields, line_no, tag, line, ts)
                });
            }
            self.feeder.sink.room().await;
            if self.feeder.sink.is_closed() {
                return Ok(());
            }
        }
    }

    fn finish(&mut self, st: &mut State) {
        let (feeder, fields, line_no) = (&mut self.feeder, &st.fields, &mut st.line_no);
        st.joiner
            .finish(&mut |line, ts| feed(feeder, fields, line_no, None, line, ts));
        self.feeder.report_data_problems(&self.target.name);
    }
}

fn feed(
    feeder: &mut LineFeeder,
    fields: &Map<String, Value>,
    line_no: &mut u64,
    stream: Option<Stream>,
    line: &[u8],
    ts: Option<Timestamp>,
) {
    *line_no += 1;
    // A TTY container's lines end in "\r\n": the terminal's, not the program's.
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut fields = fields.clone();
    if stream == Some(Stream::Stderr) {
        fields.insert("stream".into(), Value::String("stderr".into()));
    }
    feeder.line(
        line,
        *line_no,
        Envelope {
            ts,
            level: None,
            fields: Some(fields),
        },
    );
}

fn ceil_secs(t: Timestamp) -> i64 {
    t.as_micros().div_euclid(1_000_000) + i64::from(t.as_micros().rem_euclid(1_000_000) != 0)
}

/// bollard takes whole i32 seconds (the year-2038 limit); 0 means "no limit", which is also
/// what a bound past 2038 becomes (the exact cut is made on the events afterwards).
fn clamp_i32(secs: i64) -> i32 {
    i32::try_from(secs).unwrap_or(0)
}

/// Notifies readers of restarted containers; keyed by container ID.
pub type Restarts = HashMap<String, tokio::sync::mpsc::UnboundedSender<()>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_bounds_round_outwards() {
        assert_eq!(Timestamp(1_500_000).secs_floor(), 1);
        assert_eq!(ceil_secs(Timestamp(1_500_000)), 2);
        assert_eq!(ceil_secs(Timestamp(2_000_000)), 2);
        assert_eq!(clamp_i32(i64::from(i32::MAX) + 1), 0);
        assert_eq!(tail_for(10), "104");
    }
}
