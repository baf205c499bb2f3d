//! [`RedisStore`]: streams in Redis, shared by every instance
//! (`--redis URL` or `REDIS_URL`).
//!
//! # Key layout (per stream `{id}`; the braces are a cluster hash tag)
//!
//! | key | type | what | TTL |
//! |---|---|---|---|
//! | `pcs:{id}:log` | Stream | token `i` is entry `i-1` (`t` = text); `done` is entry `n-1` (`done`, `error`) after the `n` tokens | `retain_finished` once done; `retain_finished + abandon_grace`, refreshed, while generating |
//! | `pcs:{id}:meta` | Hash | `produced`, `first` (oldest index kept), `bytes`, `owner`, `done`, `error` | as the log |
//! | `pcs:{id}:lease` | String | the generating instance's id | `LEASE` (1.5 s), renewed by every append, and every `RENEW_EVERY` (0.5 s) while no token comes |
//! | `pcs:{id}:stop` | String | set by a stop request on any instance | as the log |
//! | `pcs:{id}:watch` | String | "someone is subscribed" | `abandon_grace`, refreshed by every subscriber (any instance) |
//! | channel `pcs:stop` | pub/sub | stream ids whose stop was requested | – |
//!
//! Entry IDs come from the token index, so `XADD` refuses a duplicate or an
//! out-of-order token (IDs only grow), and a resume is `XREAD` from
//! `(last id)`: the backlog first, then, with `BLOCK`, live.
//!
//! The append names the index it adds, so it is idempotent: an append whose
//! answer timed out (a stalled Redis, a starved instance) is sent again, at
//! most `APPEND_RETRIES` times, and a first attempt that landed after all
//! is not added twice. A refused or broken connection is not retried: that
//! is an outage, and the stream ends with an error.
//!
//! # Why a stop key *and* pub/sub
//!
//! The append is a Lua script that checks the stop key and adds the token in
//! one step, so a stop recorded before token `i` is appended means token `i`
//! never exists, on whatever instance the stop landed, even if a pub/sub
//! message is lost (pub/sub delivers at most once, and not at all across a
//! reconnect). Pub/sub is the fast path on top: it wakes a producer that is
//! waiting on its source (a slow upstream model) so the upstream request is
//! cancelled at once instead of at its next token. The lease renewal also
//! reads the stop key every 0.5 s, for a source that stays silent.
//!
//! # Producer death
//!
//! The generating instance holds the lease. Followers block for at most
//! `BLOCK` (0.5 s) at a time; when a read comes back empty and the lease is
//! gone, the follower writes the `done` (reason `error`,
//! [`GENERATION_LOST`]) itself, atomically and only once, so every
//! subscriber on every instance gets it: at most lease + block ≈ 2 s after
//! a `kill -9`. A `GET …/events` on a stream whose lease is gone does the
//! same before answering.
//!
//! # This instance's streams
//!
//! The producer also appends each token, *after* Redis acknowledged it, to
//! a local [`MemoryStore`] mirror; subscribers on the generating instance
//! read the mirror (no Redis round trip per token), others follow Redis
//! with a blocking read on a connection of their own (a blocking command
//! holds its connection).

use super::memory::{MemoryFollower, MemoryProducer};
use super::{
    AppendOutcome, DoneReason, Follower, LogRead, MemoryStore, Producer, StopOutcome, StoreConfig,
    StoreCounts, StoreError, StoredToken, StreamInfo, StreamStore, GENERATION_LOST,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, Script};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

/// How long a lease lasts without renewal.
pub const LEASE: Duration = Duration::from_millis(1500);
/// How often a producer renews its lease when no token comes.
pub const RENEW_EVERY: Duration = Duration::from_millis(500);
/// The longest a follower blocks in one read before checking the lease.
pub const BLOCK: Duration = Duration::from_millis(500);
/// Entries one read returns at most.
const READ_COUNT: usize = 512;
/// Retries of an append whose answer timed out (see `RedisProducer::append`).
const APPEND_RETRIES: u32 = 2;
/// Requests queued at once on the shared connection (see `connect`).
const PIPELINE_BUFFER: usize = 4096;
/// The pub/sub channel of stop requests.
const STOP_CHANNEL: &str = "pcs:stop";

static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'produced', 0, 'first', 0, 'bytes', 0, 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
return 1",
    )
});

// KEYS: meta log stop lease; ARGV: text max_tokens max_bytes lease_ms ttl_ms owner index
// Idempotent: token `index` is added once however often the script runs
// for it (a retry after a timeout whose first attempt landed returns 1).
static APPEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local m = redis.call('HMGET', KEYS[1], 'produced', 'done')
if not m[1] then return -2 end
local n = tonumber(m[1])
local want = tonumber(ARGV[7])
if n == want + 1 then return 1 end
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if m[2] then return -1 end
if n ~= want then return -3 end
redis.call('XADD', KEYS[2], n .. '-1', 't', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'produced', 1)
local bytes = redis.call('HINCRBY', KEYS[1], 'bytes', string.len(ARGV[1]))
local len = redis.call('XLEN', KEYS[2])
local trimmed = false
while (len > tonumber(ARGV[2]) or bytes > tonumber(ARGV[3])) and len > 1 do
  local e = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  redis.call('XDEL', KEYS[2], e[1])
  bytes = bytes - string.len(e[2][2])
  len = len - 1
  trimmed = true
end
if trimmed then
  local e = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  redis.call('HSET', KEYS[1], 'bytes', bytes, 'first', string.match(e[1], '^(%d+)-'))
end
redis.call('SET', KEYS[4], ARGV[6], 'PX', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1",
    )
});

// KEYS: meta log lease stop watch; ARGV: reason error retain_ms only_if_lost
static FINISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local m = redis.call('HMGET', KEYS[1], 'produced', 'done')
if not m[1] or m[2] then return 0 end
redis.call('XADD', KEYS[2], m[1] .. '-1', 'done', ARGV[1], 'error', ARGV[2])
redis.call('HSET', KEYS[1], 'done', ARGV[1], 'error', ARGV[2])
redis.call('DEL', KEYS[3], KEYS[5])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
return 1",
    )
});

// KEYS: meta lease stop watch log; ARGV: owner lease_ms local_subs grace_ms ttl_ms
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], 'done') then return 'done' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'stop' end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[5], ARGV[5])
if ARGV[3] == '1' then
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[4])
  return 'ok'
end
if redis.call('EXISTS', KEYS[4]) == 0 then return 'idle' end
return 'ok'",
    )
});

// KEYS: meta stop; ARGV: ttl_ms channel id
static STOP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local m = redis.call('HMGET', KEYS[1], 'produced', 'done')
if not m[1] then return 0 end
if m[2] then return 2 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1",
    )
});

/// The keys of one stream.
#[derive(Clone)]
struct Keys {
    log: String,
    meta: String,
    lease: String,
    stop: String,
    watch: String,
}

impl Keys {
    fn new(id: &str) -> Keys {
        let k = |what: &str| format!("pcs:{{{id}}}:{what}");
        Keys {
            log: k("log"),
            meta: k("meta"),
            lease: k("lease"),
            stop: k("stop"),
            watch: k("watch"),
        }
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis().max(1) as u64
}

struct Inner {
    client: Client,
    conn: ConnectionManager,
    mirror: MemoryStore,
    config: StoreConfig,
    instance: String,
    errors: AtomicU64,
}

/// Streams in Redis, shared by every instance (see the module docs).
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`). Fails if Redis cannot be
    /// reached now; later outages are survived (the connection manager
    /// reconnects, requests meanwhile fail with [`StoreError::Unavailable`]).
    pub async fn connect(url: &str, config: StoreConfig) -> Result<RedisStore, StoreError> {
        let client =
            Client::open(url).map_err(|e| StoreError::Unavailable(format!("{url}: {e}")))?;
        let cm = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500))
            // Every producer of this instance appends through this one
            // multiplexed connection; with redis-rs's default queue (50)
            // thousands of concurrent appends waited for a place in it and
            // hit the response timeout (token-load, 5,000 streams).
            .set_pipeline_buffer_size(PIPELINE_BUFFER);
        let conn = ConnectionManager::new_with_config(client.clone(), cm)
            .await
            .map_err(|e| StoreError::Unavailable(format!("{url}: {e}")))?;
        let instance = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        let store = RedisStore {
            inner: Arc::new(Inner {
                client,
                conn,
                mirror: MemoryStore::mirror(config.clone()),
                config,
                instance,
                errors: AtomicU64::new(0),
            }),
        };
        tokio::spawn(stop_listener(
            store.inner.client.clone(),
            store.inner.mirror.clone(),
        ));
        tracing::info!(instance = %store.inner.instance, "stream store: redis at {url}");
        Ok(store)
    }

    /// This instance's id in leases.
    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    fn fail(&self, e: redis::RedisError) -> StoreError {
        self.inner.errors.fetch_add(1, Ordering::Relaxed);
        tracing::warn!("redis: {e}");
        StoreError::Unavailable(e.to_string())
    }

    fn ttl_ms(&self) -> u64 {
        ms(self.inner.config.retain_finished + self.inner.config.abandon_grace)
    }

    async fn declare_lost(&self, keys: &Keys) -> Result<(), StoreError> {
        let mut conn = self.inner.conn.clone();
        let _: i64 = FINISH
            .key(&keys.meta)
            .key(&keys.log)
            .key(&keys.lease)
            .key(&keys.stop)
            .key(&keys.watch)
            .arg("error")
            .arg(GENERATION_LOST)
            .arg(ms(self.inner.config.retain_finished))
            .arg("1")
            .invoke_async(&mut conn)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }
}

/// Subscribes to stop requests and stops this instance's producers.
/// Reconnects after a failure (a stop missed meanwhile still lands: the
/// producer reads the stop key at its next append or renewal).
async fn stop_listener(client: Client, mirror: MemoryStore) {
    use futures_util::StreamExt;
    loop {
        match client.get_async_pubsub().await {
            Ok(mut ps) => {
                if let Err(e) = ps.subscribe(STOP_CHANNEL).await {
                    tracing::warn!("redis pub/sub subscribe: {e}");
                } else {
                    let mut msgs = ps.into_on_message();
                    while let Some(msg) = msgs.next().await {
                        if let Ok(id) = msg.get_payload::<String>() {
                            if let Some(s) = mirror.get(&id) {
                                s.request_stop(DoneReason::Stopped);
                            }
                        }
                    }
                    tracing::warn!("redis pub/sub connection lost; reconnecting");
                }
            }
            Err(e) => tracing::debug!("redis pub/sub connect: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

impl StreamStore for RedisStore {
    type Producer = RedisProducer;
    type Follower = RedisFollower;

    fn name(&self) -> &'static str {
        "redis"
    }

    fn shared(&self) -> bool {
        true
    }

    async fn create(&self, id: &str) -> Result<RedisProducer, StoreError> {
        let keys = Keys::new(id);
        let cfg = &self.inner.config;
        let mut conn = self.inner.conn.clone();
        let created: i64 = CREATE
            .key(&keys.meta)
            .key(&keys.lease)
            .key(&keys.watch)
            .arg(&self.inner.instance)
            .arg(ms(LEASE))
            .arg(ms(cfg.abandon_grace))
            .arg(self.ttl_ms())
            .invoke_async(&mut conn)
            .await
            .map_err(|e| self.fail(e))?;
        if created != 1 {
            return Err(StoreError::Protocol(format!("stream {id} exists already")));
        }
        let mem = self.inner.mirror.create_now(id)?;
        let renewer = tokio::spawn(renew(self.clone(), keys.clone(), mem.state().clone()));
        Ok(RedisProducer {
            store: self.clone(),
            mem,
            keys,
            renewer,
        })
    }

    async fn info(&self, id: &str) -> Result<Option<StreamInfo>, StoreError> {
        if let Some(s) = self.inner.mirror.get(id) {
            return self.inner.mirror.info(s.id()).await;
        }
        let keys = Keys::new(id);
        for _ in 0..2 {
            let mut conn = self.inner.conn.clone();
            let (fields, lease): (MetaFields, bool) = redis::pipe()
                .cmd("HMGET")
                .arg(&keys.meta)
                .arg("produced")
                .arg("first")
                .arg("done")
                .arg("error")
                .exists(&keys.lease)
                .query_async(&mut conn)
                .await
                .map_err(|e| self.fail(e))?;
            let (Some(produced), first, done, error) = fields else {
                return Ok(None);
            };
            if done.is_none() && !lease {
                self.declare_lost(&keys).await?;
                continue;
            }
            return Ok(Some(StreamInfo {
                produced,
                first_retained: first.unwrap_or(0),
                done: done.map(|d| DoneReason::parse(&d, error.as_deref())),
            }));
        }
        Err(StoreError::Protocol(format!(
            "stream {id} changed while read"
        )))
    }

    async fn follow(&self, id: &str, next: u64) -> Result<Option<RedisFollower>, StoreError> {
        if let Some(s) = self.inner.mirror.get(id) {
            return Ok(Some(RedisFollower::Local(
                self.inner.mirror.follow_state(s, next),
            )));
        }
        if self.info(id).await?.is_none() {
            return Ok(None);
        }
        let cfg = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(BLOCK + Duration::from_secs(2)));
        let conn = self
            .inner
            .client
            .get_multiplexed_async_connection_with_config(&cfg)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(Some(RedisFollower::Remote(Box::new(RemoteFollower {
            store: self.clone(),
            keys: Keys::new(id),
            conn,
            next,
            watched_at: None,
        }))))
    }

    async fn stop(&self, id: &str) -> Result<StopOutcome, StoreError> {
        if let Some(s) = self.inner.mirror.get(id) {
            // Generated here: no round trip needed.
            return Ok(if s.request_stop(DoneReason::Stopped) {
                StopOutcome::Stopping
            } else {
                StopOutcome::AlreadyFinished
            });
        }
        let keys = Keys::new(id);
        let mut conn = self.inner.conn.clone();
        let r: i64 = STOP
            .key(&keys.meta)
            .key(&keys.stop)
            .arg(self.ttl_ms())
            .arg(STOP_CHANNEL)
            .arg(id)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(match r {
            0 => StopOutcome::NotFound,
            1 => StopOutcome::Stopping,
            _ => StopOutcome::AlreadyFinished,
        })
    }

    fn counts(&self) -> StoreCounts {
        StoreCounts {
            errors: self.inner.errors.load(Ordering::Relaxed),
            ..self.inner.mirror.counts()
        }
    }

    async fn healthy(&self) -> Result<(), StoreError> {
        let mut conn = self.inner.conn.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(())
    }
}

/// Renews the lease while the generation runs; turns a stop key, an idle
/// watch key or a "done" written by someone else into a local stop.
///
/// While tokens flow, every append already renews the lease and checks the
/// stop key, so a tick that saw new tokens skips the round trip, except
/// every `IDLE_CHECK_EVERY` for the abandonment check (the watch key).
async fn renew(store: RedisStore, keys: Keys, state: Arc<super::memory::StreamState>) {
    const IDLE_CHECK_EVERY: u32 = 4;
    let mut tick = tokio::time::interval(RENEW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let cfg = &store.inner.config;
    let mut seen = 0;
    let mut skipped = 0;
    loop {
        tick.tick().await;
        let produced = state.produced();
        if produced != seen && skipped + 1 < IDLE_CHECK_EVERY {
            seen = produced;
            skipped += 1;
            continue;
        }
        seen = produced;
        skipped = 0;
        let mut conn = store.inner.conn.clone();
        let r: Result<String, _> = RENEW
            .key(&keys.meta)
            .key(&keys.lease)
            .key(&keys.stop)
            .key(&keys.watch)
            .key(&keys.log)
            .arg(&store.inner.instance)
            .arg(ms(LEASE))
            .arg(if state.subscribers() > 0 { "1" } else { "0" })
            .arg(ms(cfg.abandon_grace))
            .arg(store.ttl_ms())
            .invoke_async(&mut conn)
            .await;
        match r.as_deref() {
            Ok("stop") => {
                state.request_stop(DoneReason::Stopped);
            }
            Ok("idle") => {
                state.request_stop(DoneReason::Abandoned);
            }
            Ok("done") => {
                state.request_stop(DoneReason::Error(GENERATION_LOST.into()));
            }
            Ok(_) => {}
            Err(e) => {
                store.inner.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(stream = state.id(), "redis: lease renewal failed: {e}");
            }
        }
    }
}

/// The generation side of a Redis stream.
pub struct RedisProducer {
    store: RedisStore,
    mem: MemoryProducer,
    keys: Keys,
    renewer: tokio::task::JoinHandle<()>,
}

impl Producer for RedisProducer {
    async fn append(&mut self, token: String) -> Result<AppendOutcome, StoreError> {
        if let Some(r) = self.mem.state().stop_reason() {
            return Ok(AppendOutcome::Ended(r));
        }
        let cfg = &self.store.inner.config;
        let index = self.mem.state().produced();
        let mut attempt = 0;
        let r: i64 = loop {
            let mut conn = self.store.inner.conn.clone();
            let r = APPEND
                .key(&self.keys.meta)
                .key(&self.keys.log)
                .key(&self.keys.stop)
                .key(&self.keys.lease)
                .arg(&token)
                .arg(cfg.max_retained_tokens.max(1))
                .arg(cfg.max_retained_bytes)
                .arg(ms(LEASE))
                .arg(self.store.ttl_ms())
                .arg(&self.store.inner.instance)
                .arg(index)
                .invoke_async(&mut conn)
                .await;
            match r {
                Ok(r) => break r,
                // A slow answer (a busy Redis or a busy instance) is retried:
                // the script is idempotent, so a first attempt that landed
                // is not repeated. A refused or broken connection is an
                // outage and fails at once.
                Err(e) if e.is_timeout() && attempt < APPEND_RETRIES => {
                    attempt += 1;
                    self.store.inner.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        stream = self.mem.state().id(),
                        index,
                        "redis: append timed out; retrying"
                    );
                }
                Err(e) => return Err(self.store.fail(e)),
            }
        };
        Ok(match r {
            // Redis has it: now local subscribers may see it (even if a
            // stop came meanwhile: remote subscribers see it too).
            1 => {
                self.mem.append_landed(token);
                AppendOutcome::Appended
            }
            0 => AppendOutcome::Ended(DoneReason::Stopped),
            -1 => AppendOutcome::Ended(DoneReason::Error(GENERATION_LOST.into())),
            -3 => AppendOutcome::Ended(DoneReason::Error(format!(
                "token {index} does not follow the stream's log in the store"
            ))),
            _ => AppendOutcome::Ended(DoneReason::Error(
                "the stream expired from the store".into(),
            )),
        })
    }

    async fn ended(&mut self) -> DoneReason {
        self.mem.ended().await
    }

    async fn finish(self, reason: DoneReason) {
        self.renewer.abort();
        let mut conn = self.store.inner.conn.clone();
        let r: Result<i64, _> = FINISH
            .key(&self.keys.meta)
            .key(&self.keys.log)
            .key(&self.keys.lease)
            .key(&self.keys.stop)
            .key(&self.keys.watch)
            .arg(reason.as_str())
            .arg(reason.message().unwrap_or(""))
            .arg(ms(self.store.inner.config.retain_finished))
            .arg("0")
            .invoke_async(&mut conn)
            .await;
        if let Err(e) = r {
            self.store.fail(e);
        }
        self.mem.finish_now(reason);
    }
}

/// The subscriber side of a Redis stream.
pub enum RedisFollower {
    /// The stream is generated by this instance: read the local mirror.
    Local(MemoryFollower),
    /// Generated elsewhere: follow Redis.
    Remote(Box<RemoteFollower>),
}

impl Follower for RedisFollower {
    async fn next(&mut self, out: &mut Vec<StoredToken>) -> Result<LogRead, StoreError> {
        match self {
            RedisFollower::Local(f) => f.next(out).await,
            RedisFollower::Remote(f) => f.next(out).await,
        }
    }
}

/// Follows a stream generated on another instance: `XREAD BLOCK` from the
/// last index read.
pub struct RemoteFollower {
    store: RedisStore,
    keys: Keys,
    conn: MultiplexedConnection,
    next: u64,
    watched_at: Option<Instant>,
}

type Entries = Vec<(String, Vec<(String, Vec<String>)>)>;

/// `HMGET meta produced first done error`.
type MetaFields = (Option<u64>, Option<u64>, Option<String>, Option<String>);

impl RemoteFollower {
    async fn next(&mut self, out: &mut Vec<StoredToken>) -> Result<LogRead, StoreError> {
        loop {
            let after = match self.next {
                0 => "0-0".to_string(),
                n => format!("{}-1", n - 1),
            };
            let refresh = self
                .watched_at
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
            if refresh {
                // "Someone is subscribed": keeps the producer from abandoning.
                let _: () = redis::cmd("SET")
                    .arg(&self.keys.watch)
                    .arg("1")
                    .arg("PX")
                    .arg(ms(self.store.inner.config.abandon_grace))
                    .arg("XX")
                    .query_async(&mut self.conn)
                    .await
                    .map_err(|e| self.store.fail(e))?;
                self.watched_at = Some(Instant::now());
            }
            let reply: Option<Entries> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(READ_COUNT)
                .arg("BLOCK")
                .arg(ms(BLOCK))
                .arg("STREAMS")
                .arg(&self.keys.log)
                .arg(&after)
                .query_async(&mut self.conn)
                .await
                .map_err(|e| self.store.fail(e))?;
            let entries = reply.into_iter().flatten().flat_map(|(_, entries)| entries);
            let mut got = false;
            for (id, fields) in entries {
                let index = id
                    .split_once('-')
                    .and_then(|(i, _)| i.parse::<u64>().ok())
                    .ok_or_else(|| StoreError::Protocol(format!("entry id {id:?}")))?;
                if index != self.next {
                    if got {
                        break;
                    }
                    return Ok(LogRead::Gap {
                        first_retained: index,
                    });
                }
                match fields.first().map(String::as_str) {
                    Some("t") if fields.len() >= 2 => {
                        out.push((index, Arc::from(fields[1].as_str())));
                        self.next += 1;
                        got = true;
                    }
                    Some("done") if !got => {
                        let reason = fields.get(1).map_or("error", String::as_str);
                        let error = fields.get(3).map(String::as_str);
                        return Ok(LogRead::Done {
                            reason: DoneReason::parse(reason, error),
                            done_id: index,
                        });
                    }
                    Some("done") => break,
                    _ => {
                        return Err(StoreError::Protocol(format!(
                            "entry {id} fields {fields:?}"
                        )))
                    }
                }
            }
            if got {
                return Ok(LogRead::Tokens);
            }
            // Nothing within BLOCK: is the producer still alive?
            let lease: bool = redis::cmd("EXISTS")
                .arg(&self.keys.lease)
                .query_async(&mut self.conn)
                .await
                .map_err(|e| self.store.fail(e))?;
            if !lease {
                let exists: bool = redis::cmd("EXISTS")
                    .arg(&self.keys.meta)
                    .query_async(&mut self.conn)
                    .await
                    .map_err(|e| self.store.fail(e))?;
                if !exists {
                    return Err(StoreError::Protocol("the stream expired".into()));
                }
                self.store.declare_lost(&self.keys).await?;
            }
        }
    }
}
