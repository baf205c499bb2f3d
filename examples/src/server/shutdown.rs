//! Graceful shutdown (SIGTERM, Ctrl-C): drain, then stop.
//!
//! 1. **Draining** starts at the signal: the listener closes (new
//!    connections are refused, so nginx sends them to another instance) and
//!    `/healthz` answers 503.
//!    * WebSocket clients with a generation running get its `done` (reason
//!      `shutdown`), then every WebSocket gets Close 1001 (going away).
//!    * SSE responses end cleanly at once **when the store is shared**
//!      (Redis): `EventSource` reconnects with `Last-Event-ID`, through the
//!      proxy to another instance, which follows the stream from Redis.
//!      A new `GET …/events` reaching it meanwhile (on a connection the
//!      proxy kept alive) gets `503`, which nginx retries on the next
//!      instance, instead of a response that would end at once.
//!    * Generations of SSE streams keep running here (their tokens keep
//!      going to Redis) until they end or the grace period is over.
//!    * With the **in-memory store** nobody else has the stream, so SSE
//!      responses are *not* cut: they stream until their generation ends or
//!      the grace period is over; then they get `done` (reason `shutdown`).
//!      A reconnect after the restart gets `404` (the stream died with the
//!      process), which `EventSource` treats as fatal.
//!    * Chat completions run to their end (or the grace period).
//! 2. **Deadline** (`--shutdown-grace-secs`, default 30 s after the signal):
//!    generations still running end with `done` reason `shutdown`; the
//!    process exits once every task has finished.

use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The shutdown state shared by every connection.
#[derive(Clone)]
pub struct Shutdown {
    draining: CancellationToken,
    deadline: CancellationToken,
    tasks: TaskTracker,
    grace: Duration,
}

impl Shutdown {
    /// A shutdown whose deadline comes `grace` after it begins.
    pub fn new(grace: Duration) -> Self {
        Shutdown {
            draining: CancellationToken::new(),
            deadline: CancellationToken::new(),
            tasks: TaskTracker::new(),
            grace,
        }
    }

    /// Starts draining (idempotent).
    pub fn begin(&self) {
        if self.draining.is_cancelled() {
            return;
        }
        tracing::info!(grace = ?self.grace, "shutting down: draining");
        self.draining.cancel();
        let deadline = self.deadline.clone();
        let grace = self.grace;
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            deadline.cancel();
        });
    }

    /// Whether draining has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.is_cancelled()
    }

    /// Resolves when draining begins.
    pub async fn draining(&self) {
        self.draining.cancelled().await
    }

    /// Resolves at the deadline.
    pub async fn deadline(&self) {
        self.deadline.cancelled().await
    }

    /// Runs `task` as part of what shutdown waits for.
    pub fn spawn<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(task);
    }

    /// Tracks `fut` (e.g. a WebSocket session) without spawning it.
    pub fn track<F: std::future::Future>(
        &self,
        fut: F,
    ) -> tokio_util::task::task_tracker::TrackedFuture<F> {
        self.tasks.track_future(fut)
    }

    /// Waits for every tracked task, at most `grace` + `extra` after the
    /// call.
    pub async fn wait(&self, extra: Duration) {
        self.tasks.close();
        if tokio::time::timeout(self.grace + extra, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                left = self.tasks.len(),
                "shutdown: tasks still running at exit"
            );
        }
    }
}

/// Resolves at SIGTERM or Ctrl-C (SIGINT).
pub async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = ctrl_c => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
