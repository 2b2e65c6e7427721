//! One tokio runtime for the backends whose clients are async (Docker, Kubernetes). Sources
//! spawn their readers on it as tasks, which never block its two threads: a reader awaits room
//! in its stream (`EventSink::room`). The rest of the pipeline is plain threads and channels.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The shared runtime, started on first use.
pub fn handle() -> Result<Handle, String> {
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("zisk-logs-io")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))
        })
        .as_ref()
        .map(|rt| rt.handle().clone())
        .map_err(Clone::clone)
}
