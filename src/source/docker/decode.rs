//! Turns the Docker log endpoint's messages into lines: splits the engine's timestamp prefix,
//! recognises daemon-error frames, re-joins the 16 KiB partial messages of long lines (stdout
//! and stderr kept apart), and remembers what was read so a resumed stream repeats nothing.

use chrono::DateTime;

use crate::parse::MAX_LINE_BYTES;
use crate::time::Timestamp;

/// The engine splits longer lines into partial messages of exactly this many bytes (moby
/// `daemon/logger/copier.go` `defaultBufSize`).
pub const PARTIAL_SIZE: usize = 16 * 1024;

/// Length of the engine's prefix `2006-01-02T15:04:05.000000000Z ` (RFC 3339, 9 digits, UTC).
const PREFIX_LEN: usize = 31;

/// The engine's time of a message, in nanoseconds since the epoch.
pub type EngineTime = i64;

/// Splits `timestamps=true`'s prefix off one message: its time and the text the container wrote.
pub fn split_prefix(msg: &[u8]) -> (Option<EngineTime>, &[u8]) {
    let Some(space) = memchr::memchr(b' ', &msg[..msg.len().min(40)]) else {
        return (None, msg);
    };
    match std::str::from_utf8(&msg[..space])
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
    {
        Some(t) => match t.timestamp_nanos_opt() {
            Some(nanos) => (Some(nanos), &msg[space + 1..]),
            None => (None, msg),
        },
        None => (None, msg),
    }
}

/// Is this exactly the engine's fixed-width prefix (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ `)?
fn is_engine_prefix(b: &[u8]) -> bool {
    const SHAPE: &[u8; PREFIX_LEN] = b"dddd-dd-ddTdd:dd:dd.dddddddddZ ";
    b.len() >= PREFIX_LEN
        && SHAPE.iter().zip(b).all(|(s, c)| {
            if *s == b'd' {
                c.is_ascii_digit()
            } else {
                s == c
            }
        })
}

/// With a TTY the stream is raw, and bollard cuts it after each `\n`; a long line's partial
/// messages (16 KiB, no newline) then arrive glued together, each with its own prefix. Splits
/// such an item back into messages: a prefix, then text of exactly [`PARTIAL_SIZE`] bytes
/// followed by another prefix.
pub fn split_tty_item(item: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = item;
    loop {
        let cut = PREFIX_LEN + PARTIAL_SIZE;
        if is_engine_prefix(rest) && rest.len() > cut && is_engine_prefix(&rest[cut..]) {
            out.push(&rest[..cut]);
            rest = &rest[cut..];
        } else {
            out.push(rest);
            return out;
        }
    }
}

/// A frame of stream type 3 (systemerr) carries a daemon error, e.g. `Error grabbing logs: …`.
/// bollard passes it on as console bytes with the 8-byte header still in front.
pub fn daemon_error(console: &[u8]) -> Option<String> {
    console.starts_with(&[3, 0, 0, 0]).then(|| {
        let text = console.get(8..).unwrap_or_default();
        String::from_utf8_lossy(text).trim_end().to_string()
    })
}

/// Which of the container's streams a message came from (TTY output is one stream).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout = 0,
    Stderr = 1,
}

#[derive(Default)]
struct Partial {
    data: Vec<u8>,
    ts: Option<Timestamp>,
}

/// Re-joins partial messages into lines, one buffer per stream.
#[derive(Default)]
pub struct LineJoiner {
    parts: [Partial; 2],
}

impl LineJoiner {
    /// Adds one message's text; every line it completes goes to `out` with the time of the
    /// line's first message.
    pub fn push(
        &mut self,
        stream: Stream,
        ts: Option<Timestamp>,
        mut text: &[u8],
        out: &mut dyn FnMut(&[u8], Option<Timestamp>),
    ) {
        let part = &mut self.parts[stream as usize];
        while let Some(i) = memchr::memchr(b'\n', text) {
            if part.data.is_empty() {
                out(&text[..i], ts);
            } else {
                append_capped(&mut part.data, &text[..i]);
                out(&part.data, part.ts.or(ts));
                part.data.clear();
                part.ts = None;
            }
            text = &text[i + 1..];
        }
        if !text.is_empty() {
            if part.data.is_empty() {
                part.ts = ts;
            }
            append_capped(&mut part.data, text);
        }
    }

    /// The end of the stream: a last line without a newline is a line too.
    pub fn finish(&mut self, out: &mut dyn FnMut(&[u8], Option<Timestamp>)) {
        for part in &mut self.parts {
            if !part.data.is_empty() {
                out(&part.data, part.ts);
                part.data.clear();
                part.ts = None;
            }
        }
    }
}

/// Keeps one byte past the limit so that the parser sees (and reports) the line as cut.
fn append_capped(buf: &mut Vec<u8>, more: &[u8]) {
    let room = (MAX_LINE_BYTES + 1).saturating_sub(buf.len());
    buf.extend_from_slice(&more[..more.len().min(room)]);
}

/// What has been read from one container, so that a stream opened again (after the container
/// restarted, or after history when following) repeats no message and loses none, although
/// the engine's `since` has one-second resolution: ask from the second of the last message,
/// then skip the messages of that second already seen (stern's technique).
#[derive(Debug, Default)]
pub struct Cursor {
    /// The second of the last message seen.
    sec: Option<i64>,
    /// Messages seen in that second.
    count: usize,
    /// When history was cut by `tail`, the messages of `sec` before this time were never
    /// wanted; they are skipped on resume without counting.
    floor: Option<EngineTime>,
    /// Set at the first message of a tail-limited history.
    tail_cut: bool,
    /// While resuming: messages of `sec` still to skip.
    skip: usize,
    resuming: bool,
}

impl Cursor {
    /// The next message is the first of a history cut by `tail`.
    pub fn expect_tail_cut(&mut self) {
        self.tail_cut = true;
    }

    /// Prepares to read again; returns the second to ask from (None: nothing seen yet).
    pub fn resume(&mut self) -> Option<i64> {
        self.resuming = true;
        self.skip = self.count;
        self.tail_cut = false;
        self.sec
    }

    /// True when the message at `t` is new (and records it); false when it was seen before.
    pub fn admit(&mut self, t: EngineTime) -> bool {
        let sec = t.div_euclid(1_000_000_000);
        if self.resuming {
            match self.sec {
                Some(last) if sec < last => return false,
                Some(last) if sec == last => {
                    if self.floor.is_some_and(|f| t < f) {
                        return false;
                    }
                    if self.skip > 0 {
                        self.skip -= 1;
                        return false;
                    }
                }
                _ => self.resuming = false,
            }
        }
        if self.sec == Some(sec) {
            self.count += 1;
        } else {
            self.sec = Some(sec);
            self.count = 1;
            self.floor = None;
        }
        if std::mem::take(&mut self.tail_cut) {
            self.floor = Some(t);
        }
        true
    }
}

pub fn engine_time_to_timestamp(t: EngineTime) -> Timestamp {
    Timestamp(t.div_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "2024-01-15T10:00:00.123456789Z ";

    #[test]
    fn prefix_is_split_and_parsed() {
        let msg = format!("{T}hello world\n");
        let (t, text) = split_prefix(msg.as_bytes());
        assert_eq!(text, b"hello world\n");
        assert_eq!(t, Some(1_705_312_800_123_456_789));
        assert_eq!(
            engine_time_to_timestamp(t.unwrap()).to_string(),
            "2024-01-15T10:00:00.123456Z"
        );
        assert_eq!(
            split_prefix(b"no prefix here"),
            (None, &b"no prefix here"[..])
        );
        assert!(is_engine_prefix(T.as_bytes()));
        assert!(!is_engine_prefix(
            b"2024-01-15T10:00:00.123Z hello world......"
        ));
    }

    #[test]
    fn daemon_error_frames_are_recognised() {
        let frame = b"\x03\0\0\0\0\0\0\x2eError grabbing logs: log message is too large\n";
        assert_eq!(
            daemon_error(frame).as_deref(),
            Some("Error grabbing logs: log message is too large")
        );
        assert_eq!(daemon_error(format!("{T}text").as_bytes()), None);
    }

    #[test]
    fn partial_messages_join_per_stream() {
        let mut j = LineJoiner::default();
        let mut lines = Vec::new();
        let mut out = |l: &[u8], ts: Option<Timestamp>| {
            lines.push((String::from_utf8_lossy(l).into_owned(), ts.map(|t| t.0)))
        };
        j.push(Stream::Stdout, Some(Timestamp(1)), b"aaa", &mut out);
        j.push(Stream::Stderr, Some(Timestamp(2)), b"err line\n", &mut out);
        j.push(Stream::Stdout, Some(Timestamp(3)), b"bbb\nnext\n", &mut out);
        j.push(Stream::Stdout, Some(Timestamp(4)), b"tail", &mut out);
        j.finish(&mut out);
        assert_eq!(
            lines,
            [
                ("err line".into(), Some(2)),
                ("aaabbb".into(), Some(1)),
                ("next".into(), Some(3)),
                ("tail".into(), Some(4))
            ]
        );
    }

    #[test]
    fn glued_tty_partials_are_split() {
        let long = "x".repeat(PARTIAL_SIZE);
        let item = format!("{T}{long}{T}end\r\n");
        let parts = split_tty_item(item.as_bytes());
        assert_eq!(parts.len(), 2);
        assert_eq!(split_prefix(parts[0]).1.len(), PARTIAL_SIZE);
        assert_eq!(split_prefix(parts[1]).1, b"end\r\n");
        let short = format!("{T}short {T}\r\n");
        assert_eq!(split_tty_item(short.as_bytes()).len(), 1);
    }

    fn at(sec: i64, n: i64) -> EngineTime {
        sec * 1_000_000_000 + n
    }

    #[test]
    fn resume_skips_what_was_seen_in_the_last_second() {
        let mut c = Cursor::default();
        for t in [at(9, 5), at(10, 1), at(10, 2)] {
            assert!(c.admit(t));
        }
        assert_eq!(c.resume(), Some(10));
        // The engine sends everything from second 10 again, then new lines.
        let again: Vec<bool> = [at(10, 1), at(10, 2), at(10, 3), at(11, 0)]
            .into_iter()
            .map(|t| c.admit(t))
            .collect();
        assert_eq!(again, [false, false, true, true]);
        // Identical times are counted, not compared.
        let mut c = Cursor::default();
        assert!(c.admit(at(5, 7)) && c.admit(at(5, 7)));
        c.resume();
        assert_eq!(
            [at(5, 7), at(5, 7), at(5, 7)].map(|t| c.admit(t)),
            [false, false, true]
        );
    }

    #[test]
    fn resume_after_tail_skips_lines_before_the_window() {
        let mut c = Cursor::default();
        c.expect_tail_cut();
        // tail=2 returned the last two lines of second 10; three earlier ones exist.
        assert!(c.admit(at(10, 40)) && c.admit(at(10, 50)));
        assert_eq!(c.resume(), Some(10));
        let again: Vec<bool> = [10, 20, 30, 40, 50, 60]
            .into_iter()
            .map(|n| c.admit(at(10, n)))
            .collect();
        assert_eq!(again, [false, false, false, false, false, true]);
    }
}
