//! The SSE stream registry: generations that outlive a connection, so a
//! reconnect with `Last-Event-ID` resumes them.
//!
//! Lifecycle of one stream:
//!
//! 1. `POST /api/streams` creates it and starts its generation task at once.
//! 2. Every token is appended to the stream's log under the index that is also
//!    its SSE `id:`; subscribers (event-stream responses) read the log from the
//!    index after the `Last-Event-ID` they sent and wait for more.
//! 3. When no subscriber has been connected for `abandon_grace` (a client that
//!    went away and did not come back), generation is stopped and the stream
//!    removed. Stop (`POST …/stop`) ends generation at once.
//! 4. A finished stream (complete or stopped) is kept for `retain_finished` so a
//!    late reconnect still gets the tail and the `done` event, then removed.
//!
//! Retention is bounded per stream by `max_retained_tokens` and
//! `max_retained_bytes`: older tokens are dropped first; a reconnect asking for
//! a dropped token gets `410 Gone` rather than a silent gap.

use super::ServerConfig;
use crate::tokens::TokenStream;
use futures_util::StreamExt;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// Why a generation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoneReason {
    /// The source produced its last token.
    Complete,
    /// A client asked to stop.
    Stopped,
    /// Nobody was listening for longer than the grace period.
    Abandoned,
    /// The token source failed.
    Error(String),
}

impl DoneReason {
    /// The `reason` string sent to clients.
    pub fn as_str(&self) -> &str {
        match self {
            DoneReason::Complete => "complete",
            DoneReason::Stopped => "stopped",
            DoneReason::Abandoned => "abandoned",
            DoneReason::Error(_) => "error",
        }
    }
}

/// What a subscriber finds when it reads the log at index `next`.
#[derive(Debug)]
pub enum LogRead {
    /// Tokens `next, next+1, …` (possibly empty: nothing new yet).
    Tokens(Vec<(u64, Arc<str>)>),
    /// Everything up to the end was read and the stream is finished; the
    /// `done` event carries id `done_id` (= the number of tokens).
    Done { reason: DoneReason, done_id: u64 },
    /// Tokens before `first_retained` were dropped from retention.
    Gap { first_retained: u64 },
}

#[derive(Default)]
struct Log {
    first_index: u64,
    tokens: VecDeque<Arc<str>>,
    bytes: usize,
    done: Option<DoneReason>,
    subscribers: usize,
    /// Bumped at every attach, so a stale abandon timer does nothing.
    attach_epoch: u64,
}

/// One stream: its log, a change signal and a stop signal.
pub struct StreamState {
    pub(crate) id: String,
    log: Mutex<Log>,
    changed: watch::Sender<u64>,
    stop: watch::Sender<Option<DoneReason>>,
}

impl StreamState {
    fn log(&self) -> MutexGuard<'_, Log> {
        // A panic while holding this lock would be a bug in this module; keep
        // serving the data rather than poisoning every later request.
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Subscribes to change notifications.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Reads the log from index `next`.
    pub fn read_from(&self, next: u64) -> LogRead {
        let log = self.log();
        if next < log.first_index {
            return LogRead::Gap {
                first_retained: log.first_index,
            };
        }
        let end = log.first_index + log.tokens.len() as u64;
        if next >= end {
            if let Some(reason) = &log.done {
                return LogRead::Done {
                    reason: reason.clone(),
                    done_id: end,
                };
            }
            return LogRead::Tokens(Vec::new());
        }
        let skip = (next - log.first_index) as usize;
        LogRead::Tokens(
            log.tokens
                .iter()
                .skip(skip)
                .enumerate()
                .map(|(i, t)| (next + i as u64, t.clone()))
                .collect(),
        )
    }

    /// The number of tokens produced so far and whether generation ended.
    pub fn produced(&self) -> (u64, bool) {
        let log = self.log();
        (
            log.first_index + log.tokens.len() as u64,
            log.done.is_some(),
        )
    }

    /// Asks the generation to stop; returns false if it had already ended.
    pub fn request_stop(&self, reason: DoneReason) -> bool {
        if self.log().done.is_some() {
            return false;
        }
        self.stop.send_if_modified(|cur| {
            if cur.is_none() {
                *cur = Some(reason);
                true
            } else {
                false
            }
        });
        true
    }

    fn push(&self, token: String, cfg: &ServerConfig) {
        {
            let mut log = self.log();
            log.bytes += token.len();
            log.tokens.push_back(Arc::from(token));
            while log.tokens.len() > cfg.max_retained_tokens.max(1)
                || (log.bytes > cfg.max_retained_bytes && log.tokens.len() > 1)
            {
                if let Some(old) = log.tokens.pop_front() {
                    log.bytes -= old.len();
                    log.first_index += 1;
                }
            }
        }
        self.changed.send_modify(|v| *v += 1);
    }

    fn finish(&self, reason: DoneReason) {
        self.log().done = Some(reason);
        self.changed.send_modify(|v| *v += 1);
    }
}

struct RegistryInner {
    config: Arc<ServerConfig>,
    map: Mutex<HashMap<String, Arc<StreamState>>>,
    generating: AtomicUsize,
    subscribers: AtomicUsize,
}

/// All SSE streams of the server.
#[derive(Clone)]
pub struct StreamRegistry {
    inner: Arc<RegistryInner>,
}

/// Why a stream could not be created.
#[derive(Debug, thiserror::Error)]
#[error("too many streams: {0} are held already")]
pub struct TooManyStreams(pub usize);

impl StreamRegistry {
    pub(crate) fn new(config: Arc<ServerConfig>) -> Self {
        StreamRegistry {
            inner: Arc::new(RegistryInner {
                config,
                map: Mutex::new(HashMap::new()),
                generating: AtomicUsize::new(0),
                subscribers: AtomicUsize::new(0),
            }),
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<StreamState>>> {
        self.inner.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Streams held (running or retained).
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether no stream is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Generations still running.
    pub fn generating(&self) -> usize {
        self.inner.generating.load(Ordering::SeqCst)
    }

    /// Connected subscribers.
    pub fn subscribers(&self) -> usize {
        self.inner.subscribers.load(Ordering::SeqCst)
    }

    /// Looks a stream up.
    pub fn get(&self, id: &str) -> Option<Arc<StreamState>> {
        self.map().get(id).cloned()
    }

    /// Creates a stream and starts its generation task.
    pub fn create(&self, tokens: TokenStream) -> Result<Arc<StreamState>, TooManyStreams> {
        let id = format!("{:032x}", rand::random::<u128>());
        let state = Arc::new(StreamState {
            id: id.clone(),
            log: Mutex::new(Log::default()),
            changed: watch::channel(0).0,
            stop: watch::channel(None).0,
        });
        {
            let mut map = self.map();
            if map.len() >= self.inner.config.max_streams {
                return Err(TooManyStreams(map.len()));
            }
            map.insert(id, state.clone());
        }
        self.inner.generating.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(self.clone().generate(state.clone(), tokens));
        // Nobody is subscribed yet: a stream nobody ever reads is abandoned.
        self.schedule_abandon_check(&state, 0);
        Ok(state)
    }

    async fn generate(self, state: Arc<StreamState>, mut tokens: TokenStream) {
        let mut stop = state.stop.subscribe();
        let cfg = self.inner.config.clone();
        let reason = loop {
            tokio::select! {
                biased;
                res = stop.wait_for(|r| r.is_some()) => {
                    break res.ok().and_then(|r| r.clone()).unwrap_or(DoneReason::Stopped);
                }
                next = tokens.next() => match next {
                    Some(Ok(t)) => state.push(t, &cfg),
                    Some(Err(e)) => break DoneReason::Error(e.to_string()),
                    None => break DoneReason::Complete,
                },
            }
        };
        // Dropping the token stream cancels the source (timer or upstream request).
        drop(tokens);
        let abandoned = reason == DoneReason::Abandoned;
        state.finish(reason);
        self.inner.generating.fetch_sub(1, Ordering::SeqCst);
        if !abandoned {
            tokio::time::sleep(cfg.retain_finished).await;
        }
        self.map().remove(&state.id);
    }

    fn schedule_abandon_check(&self, state: &Arc<StreamState>, epoch: u64) {
        let state = state.clone();
        let grace = self.inner.config.abandon_grace;
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        rt.spawn(async move {
            tokio::time::sleep(grace).await;
            let idle = {
                let log = state.log();
                log.subscribers == 0 && log.attach_epoch == epoch && log.done.is_none()
            };
            if idle {
                state.request_stop(DoneReason::Abandoned);
            }
        });
    }

    /// Registers a subscriber; the guard unregisters it when dropped.
    pub fn attach(&self, state: Arc<StreamState>) -> SubscriberGuard {
        {
            let mut log = state.log();
            log.subscribers += 1;
            log.attach_epoch += 1;
        }
        self.inner.subscribers.fetch_add(1, Ordering::SeqCst);
        SubscriberGuard {
            registry: self.clone(),
            state,
        }
    }
}

/// Keeps a subscriber registered while alive.
pub struct SubscriberGuard {
    registry: StreamRegistry,
    state: Arc<StreamState>,
}

impl SubscriberGuard {
    /// The stream subscribed to.
    pub fn state(&self) -> &Arc<StreamState> {
        &self.state
    }
}

impl Drop for SubscriberGuard {
    fn drop(&mut self) {
        let (remaining, epoch) = {
            let mut log = self.state.log();
            log.subscribers -= 1;
            (log.subscribers, log.attach_epoch)
        };
        self.registry
            .inner
            .subscribers
            .fetch_sub(1, Ordering::SeqCst);
        if remaining == 0 {
            self.registry.schedule_abandon_check(&self.state, epoch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::{BuiltinGenerator, TokenSource};
    use std::time::Duration;

    fn registry(cfg: ServerConfig) -> StreamRegistry {
        StreamRegistry::new(Arc::new(cfg))
    }

    #[tokio::test(start_paused = true)]
    async fn retention_drops_oldest_tokens_and_reports_the_gap() {
        let reg = registry(ServerConfig {
            max_retained_tokens: 3,
            ..ServerConfig::default()
        });
        let g = BuiltinGenerator::new(Duration::ZERO, 10);
        let s = reg.create(g.start("x")).unwrap();
        let _sub = reg.attach(s.clone());
        let mut rx = s.watch();
        while !s.produced().1 {
            rx.changed().await.unwrap();
        }
        assert!(matches!(s.read_from(0), LogRead::Gap { first_retained: 7 }));
        match s.read_from(7) {
            LogRead::Tokens(t) => {
                assert_eq!(t.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [7, 8, 9])
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            s.read_from(10),
            LogRead::Done {
                reason: DoneReason::Complete,
                done_id: 10
            }
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn an_unread_stream_is_abandoned_after_the_grace_period_and_removed() {
        let reg = registry(ServerConfig {
            abandon_grace: Duration::from_secs(5),
            ..ServerConfig::default()
        });
        let g = BuiltinGenerator::new(Duration::from_secs(1), 1000);
        reg.create(g.start("x")).unwrap();
        assert_eq!((reg.len(), reg.generating()), (1, 1));
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert_eq!((reg.len(), reg.generating()), (0, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_subscriber_keeps_the_stream_alive_past_the_grace_period() {
        let reg = registry(ServerConfig {
            abandon_grace: Duration::from_secs(5),
            ..ServerConfig::default()
        });
        let g = BuiltinGenerator::new(Duration::from_secs(1), 1000);
        let s = reg.create(g.start("x")).unwrap();
        let sub = reg.attach(s.clone());
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert_eq!(reg.generating(), 1);
        drop(sub);
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert_eq!((reg.len(), reg.generating()), (0, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn stop_ends_generation_and_the_finished_stream_is_retained_then_removed() {
        let reg = registry(ServerConfig {
            retain_finished: Duration::from_secs(60),
            ..ServerConfig::default()
        });
        let g = BuiltinGenerator::new(Duration::from_secs(1), 1000);
        let s = reg.create(g.start("x")).unwrap();
        let _sub = reg.attach(s.clone());
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert!(s.request_stop(DoneReason::Stopped));
        tokio::time::sleep(Duration::from_millis(10)).await;
        let (n, done) = s.produced();
        assert!(done);
        assert_eq!(n, 3);
        assert!(!s.request_stop(DoneReason::Stopped), "already finished");
        assert_eq!((reg.len(), reg.generating()), (1, 0));
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(reg.len(), 0);
    }
}
