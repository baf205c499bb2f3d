//! [`MemoryStore`]: streams in this process's memory (the default store).
//!
//! Lifecycle of one stream:
//!
//! 1. [`StreamStore::create`] registers it; the caller's generation task
//!    appends tokens through the [`MemoryProducer`].
//! 2. Every token is appended to the stream's log under its index; followers
//!    read the log from their index and wait on a `watch` for more (one
//!    wake-up per change, however many tokens it brought).
//! 3. When no follower has been attached for `abandon_grace`, the producer's
//!    [`Producer::ended`] resolves with [`DoneReason::Abandoned`]. A stop
//!    resolves it with [`DoneReason::Stopped`].
//! 4. A finished stream is kept for `retain_finished` (an abandoned one is
//!    dropped at once), then removed. When the store holds `max_streams`,
//!    the oldest finished stream makes room for a new one; if none has
//!    finished, creation fails with [`StoreError::Full`].
//!
//! The per-token path is one short mutex section (push, trim) and one
//! `watch` notification; no allocation besides the token's `Arc<str>`.
//!
//! The Redis store keeps one of these as its local mirror of the streams
//! this instance generates (with the abandon timer off: subscribers on
//! other instances count too, and only Redis knows about them).

use super::{
    AppendOutcome, DoneReason, Follower, LogRead, Producer, StopOutcome, StoreConfig, StoreCounts,
    StoreError, StoredToken, StreamInfo, StreamStore,
};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::watch;

#[derive(Default)]
struct Log {
    first_index: u64,
    tokens: VecDeque<Arc<str>>,
    bytes: usize,
    done: Option<DoneReason>,
    finished_at: Option<Instant>,
    subscribers: usize,
    /// Bumped at every attach, so a stale abandon timer does nothing.
    attach_epoch: u64,
}

/// One stream: its log, a change signal and a stop signal.
pub struct StreamState {
    id: String,
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

    /// The stream's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The stop requested so far, if any.
    pub fn stop_reason(&self) -> Option<DoneReason> {
        self.stop.borrow().clone()
    }

    /// Tokens appended so far.
    pub fn produced(&self) -> u64 {
        let log = self.log();
        log.first_index + log.tokens.len() as u64
    }

    /// Followers attached in this process.
    pub fn subscribers(&self) -> usize {
        self.log().subscribers
    }

    fn info(&self) -> StreamInfo {
        let log = self.log();
        StreamInfo {
            produced: log.first_index + log.tokens.len() as u64,
            first_retained: log.first_index,
            done: log.done.clone(),
        }
    }

    /// Reads from index `next` into `out`.
    fn read_into(&self, next: u64, out: &mut Vec<StoredToken>) -> Option<LogRead> {
        let log = self.log();
        if next < log.first_index {
            return Some(LogRead::Gap {
                first_retained: log.first_index,
            });
        }
        let end = log.first_index + log.tokens.len() as u64;
        if next >= end {
            return log.done.as_ref().map(|reason| LogRead::Done {
                reason: reason.clone(),
                done_id: end,
            });
        }
        let skip = (next - log.first_index) as usize;
        out.extend(
            log.tokens
                .range(skip..)
                .enumerate()
                .map(|(i, t)| (next + i as u64, t.clone())),
        );
        Some(LogRead::Tokens)
    }

    /// Asks the generation to stop; false if it had already ended.
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

    fn push(&self, token: String, cfg: &StoreConfig) {
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

    fn finish(&self, reason: DoneReason) -> bool {
        {
            let mut log = self.log();
            if log.done.is_some() {
                return false;
            }
            log.done = Some(reason);
            log.finished_at = Some(Instant::now());
        }
        self.changed.send_modify(|v| *v += 1);
        true
    }
}

struct Inner {
    config: StoreConfig,
    abandon_locally: bool,
    map: Mutex<HashMap<String, Arc<StreamState>>>,
    generating: AtomicUsize,
}

/// Streams in this process's memory.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

impl MemoryStore {
    /// A store with these retention settings.
    pub fn new(config: StoreConfig) -> Self {
        Self::with_abandon(config, true)
    }

    /// The Redis store's mirror: abandonment is decided elsewhere.
    pub(super) fn mirror(config: StoreConfig) -> Self {
        Self::with_abandon(config, false)
    }

    fn with_abandon(config: StoreConfig, abandon_locally: bool) -> Self {
        MemoryStore {
            inner: Arc::new(Inner {
                config,
                abandon_locally,
                map: Mutex::new(HashMap::new()),
                generating: AtomicUsize::new(0),
            }),
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<StreamState>>> {
        self.inner.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Looks a stream up.
    pub fn get(&self, id: &str) -> Option<Arc<StreamState>> {
        self.map().get(id).cloned()
    }

    /// Creates the stream synchronously (the trait's `create` wraps this).
    pub(super) fn create_now(&self, id: &str) -> Result<MemoryProducer, StoreError> {
        let state = Arc::new(StreamState {
            id: id.to_string(),
            log: Mutex::new(Log::default()),
            changed: watch::channel(0).0,
            stop: watch::channel(None).0,
        });
        {
            let mut map = self.map();
            if map.len() >= self.inner.config.max_streams {
                // Finished streams do not hold a place against new ones:
                // the oldest finished one goes.
                let oldest = map
                    .values()
                    .filter_map(|s| s.log().finished_at.map(|t| (t, s.id.clone())))
                    .min();
                match oldest {
                    Some((_, old)) => {
                        map.remove(&old);
                    }
                    None => return Err(StoreError::Full(map.len())),
                }
            }
            map.insert(id.to_string(), state.clone());
        }
        self.inner.generating.fetch_add(1, Ordering::SeqCst);
        // Nobody is subscribed yet: a stream nobody ever reads is abandoned.
        self.schedule_abandon_check(&state, 0);
        let stop = state.stop.subscribe();
        Ok(MemoryProducer {
            store: self.clone(),
            state,
            stop,
        })
    }

    fn schedule_abandon_check(&self, state: &Arc<StreamState>, epoch: u64) {
        if !self.inner.abandon_locally {
            return;
        }
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

    /// Attaches a follower of `state` from `next`.
    pub(super) fn follow_state(&self, state: Arc<StreamState>, next: u64) -> MemoryFollower {
        {
            let mut log = state.log();
            log.subscribers += 1;
            log.attach_epoch += 1;
        }
        let rx = state.changed.subscribe();
        MemoryFollower {
            store: self.clone(),
            state,
            rx,
            next,
        }
    }

    fn remove_if_same(&self, state: &Arc<StreamState>) {
        let mut map = self.map();
        if map.get(&state.id).is_some_and(|s| Arc::ptr_eq(s, state)) {
            map.remove(&state.id);
        }
    }
}

impl StreamStore for MemoryStore {
    type Producer = MemoryProducer;
    type Follower = MemoryFollower;

    fn name(&self) -> &'static str {
        "memory"
    }

    fn shared(&self) -> bool {
        false
    }

    async fn create(&self, id: &str) -> Result<MemoryProducer, StoreError> {
        self.create_now(id)
    }

    async fn info(&self, id: &str) -> Result<Option<StreamInfo>, StoreError> {
        Ok(self.get(id).map(|s| s.info()))
    }

    async fn follow(&self, id: &str, next: u64) -> Result<Option<MemoryFollower>, StoreError> {
        Ok(self.get(id).map(|s| self.follow_state(s, next)))
    }

    async fn stop(&self, id: &str) -> Result<StopOutcome, StoreError> {
        Ok(match self.get(id) {
            None => StopOutcome::NotFound,
            Some(s) if s.request_stop(DoneReason::Stopped) => StopOutcome::Stopping,
            Some(_) => StopOutcome::AlreadyFinished,
        })
    }

    fn counts(&self) -> StoreCounts {
        StoreCounts {
            held: self.map().len(),
            generating: self.inner.generating.load(Ordering::SeqCst),
            errors: 0,
        }
    }

    async fn healthy(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The generation side of a memory stream.
pub struct MemoryProducer {
    store: MemoryStore,
    state: Arc<StreamState>,
    stop: watch::Receiver<Option<DoneReason>>,
}

impl MemoryProducer {
    /// The stream.
    pub fn state(&self) -> &Arc<StreamState> {
        &self.state
    }

    /// Appends without waiting (the memory store never waits).
    pub(super) fn append_now(&mut self, token: String) -> AppendOutcome {
        if let Some(r) = self.stop.borrow().as_ref() {
            return AppendOutcome::Ended(r.clone());
        }
        self.state.push(token, &self.store.inner.config);
        AppendOutcome::Appended
    }

    /// Appends even if a stop was requested meanwhile: for the Redis
    /// mirror, where the token is in Redis already, so local followers
    /// must see it as remote ones do.
    pub(super) fn append_landed(&mut self, token: String) {
        self.state.push(token, &self.store.inner.config);
    }

    /// Finishes without waiting; schedules the removal.
    pub(super) fn finish_now(self, reason: DoneReason) {
        let abandoned = reason == DoneReason::Abandoned;
        self.state.finish(reason);
        self.store.inner.generating.fetch_sub(1, Ordering::SeqCst);
        if abandoned {
            self.store.remove_if_same(&self.state);
            return;
        }
        let retain = self.store.inner.config.retain_finished;
        let (store, state) = (self.store, self.state);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    tokio::time::sleep(retain).await;
                    store.remove_if_same(&state);
                });
            }
            Err(_) => store.remove_if_same(&state),
        }
    }
}

impl Producer for MemoryProducer {
    async fn append(&mut self, token: String) -> Result<AppendOutcome, StoreError> {
        Ok(self.append_now(token))
    }

    async fn ended(&mut self) -> DoneReason {
        match self.stop.wait_for(|r| r.is_some()).await {
            Ok(r) => r.clone().unwrap_or(DoneReason::Stopped),
            // The sender lives in the state we hold: unreachable, but never hang.
            Err(_) => DoneReason::Stopped,
        }
    }

    async fn finish(self, reason: DoneReason) {
        self.finish_now(reason)
    }
}

/// The subscriber side of a memory stream; detaches when dropped.
pub struct MemoryFollower {
    store: MemoryStore,
    state: Arc<StreamState>,
    rx: watch::Receiver<u64>,
    next: u64,
}

impl Follower for MemoryFollower {
    async fn next(&mut self, out: &mut Vec<StoredToken>) -> Result<LogRead, StoreError> {
        loop {
            // Mark the current version seen *before* reading, so a push that
            // lands between the read and the wait still wakes us.
            self.rx.borrow_and_update();
            let before = out.len();
            match self.state.read_into(self.next, out) {
                Some(LogRead::Tokens) => {
                    self.next += (out.len() - before) as u64;
                    return Ok(LogRead::Tokens);
                }
                Some(other) => return Ok(other),
                None => {
                    if self.rx.changed().await.is_err() {
                        return Err(StoreError::Unavailable("stream removed".into()));
                    }
                }
            }
        }
    }
}

impl Drop for MemoryFollower {
    fn drop(&mut self) {
        let (remaining, epoch) = {
            let mut log = self.state.log();
            log.subscribers -= 1;
            (log.subscribers, log.attach_epoch)
        };
        if remaining == 0 {
            self.store.schedule_abandon_check(&self.state, epoch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn an_unread_stream_is_abandoned_after_the_grace_period_and_removed() {
        let store = MemoryStore::new(StoreConfig {
            abandon_grace: Duration::from_secs(5),
            ..StoreConfig::default()
        });
        let mut p = store.create("a").await.unwrap();
        assert_eq!((store.counts().held, store.counts().generating), (1, 1));
        let r = tokio::time::timeout(Duration::from_secs(6), p.ended())
            .await
            .unwrap();
        assert_eq!(r, DoneReason::Abandoned);
        p.finish(r).await;
        assert_eq!(store.counts(), StoreCounts::default());
    }

    #[tokio::test(start_paused = true)]
    async fn a_follower_keeps_the_stream_alive_past_the_grace_period() {
        let store = MemoryStore::new(StoreConfig {
            abandon_grace: Duration::from_secs(5),
            ..StoreConfig::default()
        });
        let mut p = store.create("a").await.unwrap();
        let f = store.follow("a", 0).await.unwrap().unwrap();
        assert!(tokio::time::timeout(Duration::from_secs(20), p.ended())
            .await
            .is_err());
        drop(f);
        let r = tokio::time::timeout(Duration::from_secs(6), p.ended())
            .await
            .unwrap();
        assert_eq!(r, DoneReason::Abandoned);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_store_evicts_the_oldest_finished_stream_not_a_running_one() {
        let store = MemoryStore::new(StoreConfig {
            max_streams: 2,
            ..StoreConfig::default()
        });
        let p1 = store.create("one").await.unwrap();
        let _p2 = store.create("two").await.unwrap();
        assert!(matches!(
            store.create("three").await,
            Err(StoreError::Full(2))
        ));
        p1.finish(DoneReason::Complete).await;
        let _p3 = store.create("three").await.unwrap();
        assert!(store.get("one").is_none());
        assert!(store.get("two").is_some() && store.get("three").is_some());
    }
}
