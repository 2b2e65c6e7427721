//! Where logs come from. Every backend is one module behind the small [`Source`] trait: it
//! finds the streams a SOURCE names (files, hosts, containers, pods) and feeds each stream's
//! lines through a [`LineFeeder`], which parses, filters and hands events to the merge stage.

pub mod docker;
pub mod file;
pub mod journald;
pub mod k8s;
pub mod launchd;
mod mapped;
mod pool;
pub mod runtime;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};

use crate::event::{Event, Role};
use crate::parse::{scan_block, Envelope, Keep, Prefilter, ScannedBlock, StreamParser};
use crate::time::Timestamp;

/// Which events a stream keeps (a [`crate::filter::Filter`], or the job trail's own rule).
pub type Selector = Arc<dyn Fn(&Event) -> bool + Send + Sync>;

/// What the command wants from every source. The time and text hints may be pushed down to a
/// backend (journalctl, the Docker and Kubernetes APIs); the result must not depend on whether
/// they are, since `select` is applied to every event afterwards.
pub struct ReadRequest {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub follow: bool,
    /// Only the last N lines of each stream are needed (set only where that is equivalent).
    pub tail_lines: Option<usize>,
    /// A literal every wanted line contains (a job ID prefix), for backend-side grep.
    pub grep_literal: Option<String>,
    pub prefilter: Prefilter,
    /// What the consumer reads of the events.
    pub keep: Keep,
    /// Blank lines are events too (`-o raw`: the lines as read).
    pub blank_lines: bool,
    pub select: Selector,
}

/// What a stream sends to the merge stage.
pub enum Msg {
    Events(Vec<Event>),
    /// All history has been sent; what follows (with `-f`) is live.
    CaughtUp,
}

/// The receiving end of one stream, held by the merge stage.
pub struct StreamRx {
    pub rx: Receiver<Msg>,
    room: Arc<pool::Room>,
}

impl StreamRx {
    /// The merge took a message from `rx`: a reader waiting for room reads on.
    pub fn taken(&self) {
        self.room.taken();
    }
}

impl Drop for StreamRx {
    fn drop(&mut self) {
        // The receiver goes first, so that a reader woken for room finds the stream gone and
        // ends (woken before, it would find the queue still full and wait for good).
        drop(std::mem::replace(&mut self.rx, crossbeam_channel::never()));
        self.room.taken();
    }
}

/// Lets sources add streams, now or (when following) later. Cheap to clone.
#[derive(Clone)]
pub struct StreamSet {
    added: Sender<StreamRx>,
    gate: pool::Gate,
    /// Streams added to this set (one merge's), beside [`OPEN_STREAMS`] of every set.
    streams: Arc<AtomicUsize>,
}

impl StreamSet {
    /// A set whose pooled readers start when [`StreamSet::start_pooled`] is called.
    pub fn new() -> (StreamSet, Receiver<StreamRx>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let set = StreamSet {
            added: tx,
            gate: pool::Gate::closed(),
            streams: Arc::default(),
        };
        (set, rx)
    }

    /// Registers a new stream and returns the sink its reader sends to.
    pub fn add(&self) -> EventSink {
        let (tx, rx) = bounded(QUEUE_DEPTH);
        let room = Arc::new(pool::Room::default());
        let _ = self.added.send(StreamRx {
            rx,
            room: room.clone(),
        });
        OPEN_STREAMS.fetch_add(1, Ordering::Relaxed);
        self.streams.fetch_add(1, Ordering::Relaxed);
        EventSink {
            tx,
            batch: Vec::new(),
            batch_bytes: 0,
            closed: false,
            waits: true,
            unsent: VecDeque::new(),
            room,
        }
    }

    /// Reads a stream in turns on the reader pool, once every source has started.
    fn read_pooled(&self, task: Box<dyn pool::Task>) {
        self.gate.run(task);
    }

    /// Whether this set's streams are few enough to be read on threads of their own. The
    /// pool is for many streams merged at once; a pass that reads one source beside a set
    /// of many (the coordinator beside its workers) gives it threads, or it would wait for
    /// its turns behind theirs, alone on the critical path.
    pub fn is_small(&self) -> bool {
        self.streams.load(Ordering::Relaxed) <= FEW_STREAMS
    }

    /// Every source has started (every stream they open now is counted): pooled readers
    /// begin.
    pub fn start_pooled(&self) {
        self.gate.open();
    }
}

/// Streams of one set read on threads of their own rather than on the pool: the read-ahead
/// budget gives each of four a full window.
const FEW_STREAMS: usize = 4;
/// Events per batch at most: the channel's cost is per batch.
const BATCH: usize = 512;
/// Batches a stream may have queued for the merge.
const QUEUE_DEPTH: usize = 4;
/// Bytes of events all streams together may hold ahead of the merge, shared among the streams
/// open: one stream reads far ahead, 300 each a little (a queue of 64 × 512 events per stream
/// made 300 files peak at 6 GB).
const READ_AHEAD_BUDGET: usize = 16 << 20;
/// The least a stream may read ahead, however many are open.
const MIN_READ_AHEAD: usize = 32 << 10;
/// Streams whose sink is alive, which share [`READ_AHEAD_BUDGET`].
static OPEN_STREAMS: AtomicUsize = AtomicUsize::new(0);
/// Batches a pooled reader leaves queued before it waits: its turns come often enough that
/// the merge never waits on a stream whose queue is full.
const POOLED_DEPTH: usize = 2;

/// Bytes one stream may read ahead of the merge now: its share of [`READ_AHEAD_BUDGET`].
pub fn read_ahead_share() -> usize {
    (READ_AHEAD_BUDGET / OPEN_STREAMS.load(Ordering::Relaxed).max(1)).max(MIN_READ_AHEAD)
}

/// Roughly the memory an event holds.
fn event_bytes(e: &Event) -> usize {
    std::mem::size_of::<Event>()
        + e.message.capacity()
        + e.raw.capacity()
        + e.target.as_ref().map_or(0, String::capacity)
        + e.fields.len() * 96
}

/// The sending end of one stream: batches events so the channel is cheap per event, and
/// bounds by bytes what waits for the merge (see [`read_ahead_share`]).
pub struct EventSink {
    tx: Sender<Msg>,
    batch: Vec<Event>,
    batch_bytes: usize,
    closed: bool,
    /// A reader on a thread of its own waits for room in the queue; a pooled or async one
    /// never blocks: what the queue has no room for waits in `unsent` (see [`pool`] and
    /// [`EventSink::room`]).
    waits: bool,
    unsent: VecDeque<Msg>,
    room: Arc<pool::Room>,
}

impl EventSink {
    /// Queues an event; false once the consumer has gone (stop reading).
    pub fn send(&mut self, e: Event) -> bool {
        self.batch_bytes += event_bytes(&e);
        self.batch.push(e);
        if self.batch.len() >= BATCH || self.batch_bytes >= self.batch_limit() {
            return self.flush();
        }
        !self.closed
    }

    /// Bytes of events sent as one batch: a quarter of the stream's share. A pooled stream
    /// also holds what its last piece made beyond its queue and the batch the merge is on, so
    /// its batches are half as large.
    fn batch_limit(&self) -> usize {
        let share = read_ahead_share() / QUEUE_DEPTH;
        if self.waits {
            share
        } else {
            share / 2
        }
    }

    pub fn flush(&mut self) -> bool {
        if !self.batch.is_empty() {
            let batch = std::mem::take(&mut self.batch);
            self.batch_bytes = 0;
            self.put(Msg::Events(batch));
        }
        !self.closed
    }

    pub fn caught_up(&mut self) -> bool {
        self.flush();
        self.put(Msg::CaughtUp);
        !self.closed
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    fn put(&mut self, msg: Msg) {
        if self.closed {
            return;
        }
        if self.waits {
            if self.tx.send(msg).is_err() {
                self.closed = true;
            }
            return;
        }
        self.unsent.push_back(msg);
        self.send_unsent();
    }

    /// Sends what waits in `unsent` as far as the queue has room; true when all is sent (or
    /// the stream has gone).
    fn send_unsent(&mut self) -> bool {
        while let Some(msg) = self.unsent.pop_front() {
            match self.tx.try_send(msg) {
                Ok(()) => {}
                Err(TrySendError::Full(msg)) => {
                    self.unsent.push_front(msg);
                    return false;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.closed = true;
                    self.unsent.clear();
                }
            }
        }
        true
    }

    /// From now on, never blocks (the stream is read in turns on the pool, or by a task on
    /// the async runtime).
    fn never_wait(&mut self) {
        self.waits = false;
    }

    /// Blocks again for room (the stream is handed to a thread of its own); sends what waits.
    fn wait_again(&mut self) {
        self.waits = true;
        for msg in std::mem::take(&mut self.unsent) {
            self.put(msg);
        }
    }

    /// A pooled reader may read on: all it made is sent and its queue is not full.
    fn has_room(&mut self) -> bool {
        self.closed || (self.send_unsent() && self.tx.len() < POOLED_DEPTH)
    }

    /// A reader may read on: it waits for room itself (a thread of its own), or the queue has
    /// room for what it reads next.
    fn may_read_on(&mut self) -> bool {
        self.waits || self.has_room()
    }

    /// For a reader that runs as a task on the async runtime (after `never_wait`):
    /// waits, holding no thread, until all it made is sent and its queue is not full, or the
    /// stream has gone. Called after each piece the reader feeds, so that a slow merge holds
    /// back the reader's input and the stream holds no more than its read-ahead share.
    pub async fn room(&mut self) {
        let room = self.room.clone();
        while !self.has_room() {
            room.next_taken().await;
        }
    }

    /// Waits until all the reader made is in the queue (or the stream has gone): the last
    /// thing an async reader does, since what is left unsent is lost with the sink.
    pub async fn sent(&mut self) {
        let room = self.room.clone();
        while !self.closed && !self.send_unsent() {
            room.next_taken().await;
        }
    }
}

impl Drop for EventSink {
    fn drop(&mut self) {
        OPEN_STREAMS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Parser + selection + sink for one stream of lines: what every backend feeds its lines into.
pub struct LineFeeder {
    pub parser: StreamParser,
    pub sink: EventSink,
    select: Selector,
    /// Lines a backend knows are not the program's (newsyslog's "logfile turned over"): skipped.
    pub drop_line: Option<fn(&[u8]) -> bool>,
}

impl LineFeeder {
    pub fn new(
        set: &StreamSet,
        req: &ReadRequest,
        label: Arc<str>,
        role: Option<Role>,
        path: Option<Arc<str>>,
    ) -> LineFeeder {
        let sink = set.add();
        let parser = StreamParser::new(label, role, path, req.prefilter.clone())
            .keeping(req.keep)
            .keeping_blank_lines(req.blank_lines);
        LineFeeder {
            parser,
            sink,
            select: req.select.clone(),
            drop_line: None,
        }
    }

    /// Feeds one physical line; false once the consumer has gone.
    pub fn line(&mut self, line: &[u8], line_no: u64, envelope: Envelope) -> bool {
        crate::report::reading(self.parser.label());
        if self.drop_line.is_some_and(|drop| drop(line)) {
            return !self.sink.is_closed();
        }
        let (sink, select) = (&mut self.sink, &self.select);
        self.parser.push(line, line_no, envelope, &mut |e| {
            if select(&e) {
                sink.send(e);
            }
        });
        !self.sink.is_closed()
    }

    /// Feeds a block of whole lines starting at line `first_line_no` (scanned here, then see
    /// [`StreamParser::apply_block`]); returns how many lines it held, and false once the
    /// consumer has gone.
    pub fn block(&mut self, block: &[u8], first_line_no: u64) -> (u64, bool) {
        crate::report::reading(self.parser.label());
        if self.drop_line.is_some() {
            // Lines the backend drops are recognised one by one.
            let mut lines = 0;
            for line in block.split_inclusive(|&b| b == b'\n') {
                lines += 1;
                if !self.line(line, first_line_no + lines - 1, Envelope::default()) {
                    return (lines, false);
                }
            }
            return (lines, true);
        }
        let scanned = scan_block(self.parser.prefilter(), self.parser.keep(), block);
        self.apply(block, scanned, first_line_no)
    }

    /// [`LineFeeder::block`] for a block already scanned (on the reading thread).
    pub fn apply(
        &mut self,
        block: &[u8],
        scanned: ScannedBlock,
        first_line_no: u64,
    ) -> (u64, bool) {
        crate::report::reading(self.parser.label());
        if self.drop_line.is_some() {
            return self.block(block, first_line_no);
        }
        let (sink, select) = (&mut self.sink, &self.select);
        let lines = self
            .parser
            .apply_block(block, scanned, first_line_no, &mut |e| {
                if select(&e) {
                    sink.send(e);
                }
            });
        (lines, !self.sink.is_closed())
    }

    /// The reader passed over the start of the input (see [`StreamParser::resume_after`]).
    pub fn resume_after(&mut self, worker: Option<crate::event::IdRef>, last: &[u8]) {
        let (sink, select) = (&mut self.sink, &self.select);
        self.parser.resume_after(worker, last, &mut |e| {
            if select(&e) {
                sink.send(e);
            }
        });
    }

    /// Emits held events (end of input, or a pause while following) and sends them on.
    pub fn flush(&mut self) -> bool {
        let (sink, select) = (&mut self.sink, &self.select);
        self.parser.flush(&mut |e| {
            if select(&e) {
                sink.send(e);
            }
        });
        self.sink.flush()
    }

    pub fn caught_up(&mut self) -> bool {
        self.flush();
        self.sink.caught_up()
    }

    /// Reports data problems (invalid UTF-8, cut lines) once, naming the source.
    pub fn report_data_problems(&mut self, what: &str) {
        for p in self.parser.problems.describe() {
            crate::report::problem(what, &p);
        }
        self.parser.problems = Default::default();
    }
}

/// A backend's view of one SOURCE the user named.
pub trait Source: Send + Sync {
    /// The SOURCE as the user wrote it, for messages.
    fn name(&self) -> &str;
    /// Finds the streams this source holds and starts a reader for each (a thread or task that
    /// feeds a [`LineFeeder`] from `set`). With `req.follow`, may keep watching for streams that
    /// appear later. Returns an error when the source cannot be read at all.
    fn start(
        &self,
        role: Option<Role>,
        req: &Arc<ReadRequest>,
        set: &StreamSet,
    ) -> Result<(), String>;
}

/// A parsed SOURCE string: `file:PATH`, `journald:UNIT[@HOST][?dir=|?file=]`, `launchd:DIR`,
/// `compose:[PROJECT/]SERVICE`, `docker:CONTAINER`, `k8s:NAMESPACE/SELECTOR[?opts]`, or a bare path.
pub fn open(spec: &str, options: &SourceOptions) -> Result<Box<dyn Source>, String> {
    let (scheme, rest) = match spec.split_once(':') {
        Some((scheme, rest)) if KINDS.contains(&scheme) => (scheme, rest),
        Some((scheme, _)) if looks_like_kind(scheme) && !file::names_something(spec) => {
            return Err(unknown_kind(spec, scheme));
        }
        _ => ("file", spec),
    };
    if rest.is_empty() && scheme != "launchd" {
        return Err(format!("source {spec:?}: nothing after '{scheme}:'"));
    }
    match scheme {
        "file" => Ok(Box::new(file::FileSource::new(spec, rest))),
        "journald" => journald::open(spec, rest, options),
        "launchd" => launchd::open(spec, rest, options),
        "compose" => docker::open_compose(spec, rest, options),
        "docker" => docker::open_container(spec, rest, options),
        "k8s" => k8s::open(spec, rest, options),
        _ => unreachable!("scheme list above"),
    }
}

/// The source kinds, as written before the `:` of a SOURCE.
const KINDS: [&str; 6] = ["file", "journald", "launchd", "compose", "docker", "k8s"];

/// `word:` at the start of a SOURCE reads as a kind when the word could be one (letters,
/// digits, `-`, `_`; two characters at least, so `C:` stays a path).
fn looks_like_kind(word: &str) -> bool {
    word.len() >= 2
        && word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A usage error for `kafka:x` or `jounrald:x` (as ripgrep says of an unknown type, with git's
/// "did you mean" when a kind is close).
fn unknown_kind(spec: &str, word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let nearest = KINDS
        .iter()
        .map(|k| (edit_distance(&lower, k), *k))
        .min()
        .filter(|(d, _)| *d <= 2)
        .map(|(_, k)| format!("; did you mean {k}:{}?", &spec[word.len() + 1..]))
        .unwrap_or_default();
    format!(
        "source {spec:?}: unknown kind {word:?}{nearest} (kinds: {}; a path with ':' is read as a file when it exists, or write file:PATH)",
        KINDS.join(", ")
    )
}

/// Levenshtein distance, counting a swap of two neighbours as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Ends what sources started that would outlive the process (journalctl and ssh children);
/// called before exiting.
pub fn shutdown() {
    journald::kill_children();
}

/// Options that shape how sources are reached (from global flags).
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    /// Extra `-o` options for ssh (`--ssh-option`).
    pub ssh_options: Vec<String>,
    /// Most log streams followed at once (Kubernetes).
    pub max_streams: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bare_paths_are_files() {
        let s = open("fixtures/x.log", &SourceOptions::default()).unwrap();
        assert_eq!(s.name(), "fixtures/x.log");
        assert!(open("file:", &SourceOptions::default()).is_err());
    }

    /// Issue 20, defect 15: a misspelled or unknown kind is a usage error naming the nearest
    /// kind, not a file that does not exist; a path with ':' that exists is still a file.
    #[test]
    fn unknown_kinds_are_usage_errors_with_the_nearest_kind() {
        let err = |spec| open(spec, &SourceOptions::default()).err().unwrap();
        let e = err("jounrald:zisk-worker");
        assert!(
            e.contains("unknown kind \"jounrald\"; did you mean journald:zisk-worker?"),
            "{e}"
        );
        assert!(err("dokcer:c1").contains("did you mean docker:c1?"));
        assert!(err("k8:ns/app=x").contains("did you mean k8s:ns/app=x?"));
        let e = err("kafka:topic");
        assert!(
            e.contains("unknown kind \"kafka\" (kinds: file, journald"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("kafka:topic.log");
        std::fs::write(&odd, "x\n").unwrap();
        let spec = odd.to_str().unwrap();
        assert_eq!(open(spec, &SourceOptions::default()).unwrap().name(), spec);
        assert!(open("C:\\logs\\x.log", &SourceOptions::default()).is_ok());
    }

    /// An async reader waits for room holding no thread, is woken each time the merge takes a
    /// batch (none lost between its check and its wait), and ends once the merge has gone.
    #[test]
    fn an_async_reader_awaits_room_and_is_woken_by_the_merge() {
        let handle = runtime::handle().unwrap();
        let (set, added) = StreamSet::new();
        let mut sink = set.add();
        sink.never_wait();
        let stream = added.try_recv().unwrap();
        let sent = QUEUE_DEPTH * 3;
        for _ in 0..sent {
            sink.put(Msg::CaughtUp);
        }
        assert!(!sink.has_room(), "the queue is full, the rest unsent");
        let reader = handle.spawn(async move {
            sink.room().await;
            sink.sent().await;
            sink.is_closed()
        });
        let mut taken = 0;
        while !reader.is_finished() || !stream.rx.is_empty() {
            if stream.rx.recv_timeout(Duration::from_millis(10)).is_ok() {
                stream.taken();
                taken += 1;
            }
        }
        assert_eq!(taken, sent);
        assert!(!handle.block_on(reader).unwrap());

        // The merge goes away while the reader waits: it finds the stream gone and ends.
        let mut sink = set.add();
        sink.never_wait();
        let stream = added.try_recv().unwrap();
        for _ in 0..sent {
            sink.put(Msg::CaughtUp);
        }
        let reader = handle.spawn(async move {
            sink.sent().await;
            sink.is_closed()
        });
        std::thread::sleep(Duration::from_millis(50));
        drop(stream);
        assert!(handle.block_on(reader).unwrap());
    }
}
