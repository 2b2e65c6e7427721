//! A few threads that read many streams in turns. With hundreds of sources, a thread per
//! stream costs more than the reading: each thread has its stack and its own allocator heap,
//! and the events it parses sit in that heap's pages until the merge has freed them. A task
//! here reads its stream a piece at a time and never blocks: when its stream's queue is full
//! it waits in the stream's [`Room`] and the merge, taking a batch, hands it back to the pool.
//! A task that has read all there is for now (a followed file) waits for the next [`POLL`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crossbeam_channel::Sender;

/// What a task's turn ended with.
pub enum Turn {
    /// It can read on: back in line behind the others.
    Again,
    /// Its stream's queue is full: it waits in its room until the merge takes a batch.
    Full,
    /// It has read all there is for now (a followed file): in line again after [`POLL`].
    Later,
    /// Its stream has ended (or has been handed to a thread of its own).
    Done,
}

/// A stream read in turns on the pool.
pub trait Task: Send {
    /// Reads on for a while without blocking.
    fn turn(&mut self) -> Turn;
    /// Where the task waits while its queue is full.
    fn room(&self) -> Arc<Room>;
    /// Sends what its last turn could not; true when it can read on (or its stream has gone).
    fn unblocked(&mut self) -> bool;
}

/// Where a stream's reader waits for the merge to take a batch. One per stream; the merge
/// calls [`Room::taken`] after each message it takes.
#[derive(Default)]
pub struct Room {
    /// A pool task parked until then.
    waiting: Mutex<Option<Box<dyn Task>>>,
    /// An async reader (Docker, Kubernetes) awaits this: `notify_one` keeps a permit when no
    /// one waits yet, so a batch taken between its check and its await still wakes it.
    wake: tokio::sync::Notify,
}

impl Room {
    /// The merge took a message from this stream (or dropped it): a waiting reader reads on.
    pub fn taken(&self) {
        self.wake.notify_one();
        if let Some(task) = lock(&self.waiting).take() {
            run(task);
        }
    }

    /// Until the merge next takes a message (or a message was taken since the last wake).
    pub async fn next_taken(&self) {
        self.wake.notified().await;
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Puts a task in line for the pool's threads.
pub fn run(task: Box<dyn Task>) {
    let _ = queue().send(task);
}

/// Threads in the pool: enough to parse on every core while the merge runs on its own.
pub fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)))
}

fn queue() -> &'static Sender<Box<dyn Task>> {
    static QUEUE: OnceLock<Sender<Box<dyn Task>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = crossbeam_channel::unbounded::<Box<dyn Task>>();
        for i in 0..threads() {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("reader-{i}"))
                .spawn(move || {
                    for task in rx {
                        take_turn(task);
                    }
                });
            if let Err(e) = spawned {
                crate::report::problem("the reader pool", &format!("cannot start a thread: {e}"));
            }
        }
        tx
    })
}

fn take_turn(mut task: Box<dyn Task>) {
    // A panic fails the task's stream (the panic hook names it, see `report::report_panics`);
    // the task is dropped, which ends its stream for the merge, and the thread goes on.
    let Ok(turn) = catch_unwind(AssertUnwindSafe(|| task.turn())) else {
        return;
    };
    match turn {
        Turn::Again => run(task),
        Turn::Full => {
            let room = task.room();
            let mut waiting = lock(&room.waiting);
            // Asked under the room's lock: a batch taken before this is seen here, one taken
            // after finds the task waiting.
            if task.unblocked() {
                drop(waiting);
                run(task);
            } else {
                *waiting = Some(task);
            }
        }
        Turn::Later => run_later(task),
        Turn::Done => {}
    }
}

/// How long a task with nothing to read for now waits before its next turn.
pub const POLL: Duration = Duration::from_millis(20);

/// Tasks waiting for the next [`POLL`]: one thread puts them all back in line each time, so
/// that hundreds of followed files cost one thread, not one each.
static LATER: Mutex<Vec<Box<dyn Task>>> = Mutex::new(Vec::new());

fn run_later(task: Box<dyn Task>) {
    static TICKER: OnceLock<()> = OnceLock::new();
    TICKER.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("reader-poll".into())
            .spawn(|| loop {
                std::thread::sleep(POLL);
                let due = std::mem::take(&mut *lock(&LATER));
                for task in due {
                    run(task);
                }
            });
        if let Err(e) = spawned {
            crate::report::problem("the reader pool", &format!("cannot start a thread: {e}"));
        }
    });
    lock(&LATER).push(task);
}

/// Tasks held until every source has started, so that each task, on its first turn, sees how
/// many streams share the read-ahead budget (see [`super::read_ahead_share`]).
#[derive(Clone)]
pub struct Gate {
    /// The tasks held while closed; `None` once open.
    held: Arc<Mutex<Option<Held>>>,
}

type Held = Vec<Box<dyn Task>>;

impl Gate {
    /// A closed gate: tasks wait until [`Gate::open`].
    pub fn closed() -> Gate {
        Gate {
            held: Arc::new(Mutex::new(Some(Vec::new()))),
        }
    }

    /// Runs the task now, or when the gate opens.
    pub fn run(&self, task: Box<dyn Task>) {
        match lock(&self.held).as_mut() {
            Some(held) => held.push(task),
            None => run(task),
        }
    }

    pub fn open(&self) {
        let held = lock(&self.held).take();
        for task in held.into_iter().flatten() {
            run(task);
        }
    }
}
