//! Where SSE streams live: the [`StreamStore`] trait and its two stores.
//!
//! * [`MemoryStore`] (the default): one process's map; nothing to set up,
//!   nothing survives the process, and another instance cannot see it.
//! * [`RedisStore`] (`--redis URL` or `REDIS_URL`): every stream's tokens in
//!   a Redis Stream, so any instance serves a resume or a stop and a
//!   restart loses nothing (see `redis.rs` for the key layout).
//!
//! The generation side holds a [`Producer`] (append each token, learn about
//! a stop, finish with a reason); the subscriber side holds a [`Follower`]
//! (backlog from an index, then live, then `done`). The same test suite
//! (`examples/tests/store_suite.rs`) runs on both stores.
//!
//! Rules both stores keep (the SSE API relies on them):
//! * token `i` is stored under index `i`; `done` comes after the last token
//!   and carries the token count as its id;
//! * at most `max_retained_tokens` tokens and `max_retained_bytes` bytes of
//!   text are kept per stream, oldest dropped first; a read from a dropped
//!   index is a [`LogRead::Gap`];
//! * a stop requested before token `i` is appended means token `i` is never
//!   appended ([`AppendOutcome::Ended`]);
//! * a stream with no subscriber for `abandon_grace` is stopped
//!   ([`DoneReason::Abandoned`]); a finished one is kept `retain_finished`.

pub mod memory;
pub mod redis;

pub use self::memory::MemoryStore;
pub use self::redis::RedisStore;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Why a generation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoneReason {
    /// The source produced its last token.
    Complete,
    /// A client asked to stop.
    Stopped,
    /// Nobody was listening for longer than the grace period.
    Abandoned,
    /// The generating instance shut down before the generation ended.
    Shutdown,
    /// The token source failed, the store failed, or the generating
    /// instance died (its lease ran out).
    Error(String),
}

impl DoneReason {
    /// The `reason` string sent to clients.
    pub fn as_str(&self) -> &str {
        match self {
            DoneReason::Complete => "complete",
            DoneReason::Stopped => "stopped",
            DoneReason::Abandoned => "abandoned",
            DoneReason::Shutdown => "shutdown",
            DoneReason::Error(_) => "error",
        }
    }

    /// The reason from its [`as_str`](Self::as_str) name and, for `error`,
    /// its message.
    pub fn parse(reason: &str, message: Option<&str>) -> DoneReason {
        match reason {
            "complete" => DoneReason::Complete,
            "stopped" => DoneReason::Stopped,
            "abandoned" => DoneReason::Abandoned,
            "shutdown" => DoneReason::Shutdown,
            _ => DoneReason::Error(message.unwrap_or("unknown error").to_string()),
        }
    }

    /// The error message of [`DoneReason::Error`].
    pub fn message(&self) -> Option<&str> {
        match self {
            DoneReason::Error(m) => Some(m),
            _ => None,
        }
    }
}

/// The message of the `done` a subscriber gets when the generating instance
/// died (its lease expired).
pub const GENERATION_LOST: &str =
    "generation lost: the instance generating this stream stopped renewing its lease";

/// A token as stored: its index and text.
pub type StoredToken = (u64, Arc<str>);

/// What a follower found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogRead {
    /// Tokens were appended to the caller's buffer (at least one).
    Tokens,
    /// Every token was read and the stream is finished; the `done` event
    /// carries id `done_id` (= the number of tokens).
    Done {
        /// Why generation ended.
        reason: DoneReason,
        /// The token count.
        done_id: u64,
    },
    /// Tokens before `first_retained` were dropped from retention.
    Gap {
        /// The oldest index still held.
        first_retained: u64,
    },
}

/// A stream's state as a resume request needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// Tokens produced so far.
    pub produced: u64,
    /// The oldest index still retained.
    pub first_retained: u64,
    /// Set once generation ended.
    pub done: Option<DoneReason>,
}

/// What [`Producer::append`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The token is stored and visible to followers.
    Appended,
    /// The token was not stored: the stream was stopped (or declared lost)
    /// before it; end the generation with this reason.
    Ended(DoneReason),
}

/// What [`StreamStore::stop`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// No such stream.
    NotFound,
    /// The stop is recorded; the generation ends before its next token.
    Stopping,
    /// The stream had already finished.
    AlreadyFinished,
}

/// Errors of a store: the backing service is unreachable or answered
/// something unexpected.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached (Redis down, connection lost).
    #[error("stream store unavailable: {0}")]
    Unavailable(String),
    /// The store answered something this server does not understand.
    #[error("stream store answered unexpectedly: {0}")]
    Protocol(String),
    /// The memory store holds its maximum number of streams, none finished.
    #[error("too many streams: {0} are held already")]
    Full(usize),
}

/// Retention and liveness settings shared by both stores.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// How long a stream with no subscriber keeps generating.
    pub abandon_grace: Duration,
    /// How long a finished stream is kept for late reconnects.
    pub retain_finished: Duration,
    /// Tokens kept per stream.
    pub max_retained_tokens: usize,
    /// Bytes of token text kept per stream.
    pub max_retained_bytes: usize,
    /// Streams the memory store holds at once (running or retained; the
    /// oldest finished one makes room for a new one).
    pub max_streams: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            abandon_grace: Duration::from_secs(30),
            retain_finished: Duration::from_secs(60),
            max_retained_tokens: 10_000,
            max_retained_bytes: 1 << 20,
            max_streams: 10_000,
        }
    }
}

/// Counts of what this instance holds (for `/api/stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Streams held in this process (running or retained).
    pub held: usize,
    /// Generations running in this process.
    pub generating: usize,
    /// Requests to the backing service that failed (Redis errors).
    pub errors: u64,
}

/// A store of SSE streams: create, follow, stop.
///
/// ```
/// use pushcodec_examples::server::store::{MemoryStore, StoreConfig, StreamStore, Producer, AppendOutcome};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = MemoryStore::new(StoreConfig::default());
/// let mut p = store.create("s1").await.unwrap();
/// assert_eq!(p.append(" hi".into()).await.unwrap(), AppendOutcome::Appended);
/// assert_eq!(store.info("s1").await.unwrap().unwrap().produced, 1);
/// # });
/// ```
pub trait StreamStore: Clone + Send + Sync + 'static {
    /// The generation side of one stream.
    type Producer: Producer;
    /// The subscriber side of one stream.
    type Follower: Follower;

    /// `"memory"` or `"redis"`.
    fn name(&self) -> &'static str;

    /// Whether other instances see the same streams (then a shutting-down
    /// instance hands its subscribers over by ending their responses).
    fn shared(&self) -> bool;

    /// Creates stream `id` (a fresh random id) and returns its producer.
    fn create(&self, id: &str) -> impl Future<Output = Result<Self::Producer, StoreError>> + Send;

    /// The state of stream `id`, `None` if it does not exist. A stream
    /// whose producer died is declared finished here (`error`).
    fn info(&self, id: &str)
        -> impl Future<Output = Result<Option<StreamInfo>, StoreError>> + Send;

    /// Follows stream `id` from index `next`; `None` if it does not exist.
    fn follow(
        &self,
        id: &str,
        next: u64,
    ) -> impl Future<Output = Result<Option<Self::Follower>, StoreError>> + Send;

    /// Asks the generation of `id`, wherever it runs, to stop.
    fn stop(&self, id: &str) -> impl Future<Output = Result<StopOutcome, StoreError>> + Send;

    /// What this process holds.
    fn counts(&self) -> StoreCounts;

    /// Whether the store is reachable now.
    fn healthy(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The generation side of a stream.
pub trait Producer: Send + 'static {
    /// Stores the next token (its index is the count appended so far),
    /// unless the stream was stopped first.
    fn append(
        &mut self,
        token: String,
    ) -> impl Future<Output = Result<AppendOutcome, StoreError>> + Send;

    /// Resolves when the stream should stop (a stop request from any
    /// instance, abandonment, or the stream declared lost). Cancel-safe: it
    /// is polled in a `select!` against the token source.
    fn ended(&mut self) -> impl Future<Output = DoneReason> + Send;

    /// Records the end of generation; followers get `done` with `reason`.
    fn finish(self, reason: DoneReason) -> impl Future<Output = ()> + Send;
}

/// The subscriber side of a stream.
pub trait Follower: Send + 'static {
    /// Waits for what comes after the last read: appends tokens to `out`
    /// (then [`LogRead::Tokens`]), or reports the end or a gap.
    fn next(
        &mut self,
        out: &mut Vec<StoredToken>,
    ) -> impl Future<Output = Result<LogRead, StoreError>> + Send;
}

/// A fresh stream id: 128 random bits in hex.
pub fn new_stream_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}
