//! The token-streaming server: HTTP (axum on hyper) for the page, the SSE
//! API and the OpenAI-compatible API, pushcodec for the WebSocket frames
//! after the upgrade and for encoding SSE.
//!
//! Routes:
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the page (static HTML, no build step, no CDN) |
//! | `GET /ws` | WebSocket: `{"type":"prompt","text":..}` / `{"type":"stop"}` in, `token` / `done` / `error` out |
//! | `POST /api/streams` | `{"prompt": ..}` → `201 {"id": .., "events": ..}` |
//! | `GET /api/streams/{id}/events` | `text/event-stream`; honours `Last-Event-ID` |
//! | `POST /api/streams/{id}/stop` | stops generation, wherever it runs; subscribers get `event: done` |
//! | `POST /v1/chat/completions` | OpenAI-compatible, streaming (`chat.completion.chunk` + `[DONE]`) or not |
//! | `GET /v1/models` | the one model |
//! | `GET /api/stats` | live streams, generations, connections of this instance (used by tests) |
//! | `GET /healthz` | `200 {"status":"ok"}`; `503` while draining or when the store is unreachable |
//! | `GET /metrics` | Prometheus text format |
//!
//! Streams live in a [`store::StreamStore`]: in memory (default) or in
//! Redis (`--redis URL`), where every instance sees them.

mod limits;
pub mod metrics;
mod openai_api;
pub mod shutdown;
mod sse_api;
pub mod store;
mod ws_api;

pub use limits::{
    ClientAddr, GenerationPermit, LimitExceeded, Limits, SendTimeoutIo, TimeoutListener,
};
pub use shutdown::Shutdown;

use crate::tokens::TokenSource;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use metrics::Metrics;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use store::{MemoryStore, StoreConfig, StreamStore};
use tokio::net::TcpListener;

/// Server settings. The defaults are what `token-server` runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How long an SSE stream with no connected client keeps generating
    /// before it is stopped (the window for a reconnect to resume it).
    pub abandon_grace: Duration,
    /// How long a finished SSE stream's tokens are kept for late reconnects.
    pub retain_finished: Duration,
    /// At most this many tokens of one stream are retained; older ones are
    /// dropped and a reconnect asking for them is told the gap is not
    /// recoverable.
    pub max_retained_tokens: usize,
    /// At most this many bytes of token text are retained per stream.
    pub max_retained_bytes: usize,
    /// At most this many SSE streams are held in memory at once; finished
    /// ones make room (then `503`).
    pub max_streams: usize,
    /// Generations running at once in this instance (WS, SSE and chat).
    pub max_generations: usize,
    /// Generations running at once per client address.
    pub max_generations_per_client: usize,
    /// `Retry-After` of a `429`.
    pub retry_after: Duration,
    /// A write to a client that makes no progress this long ends its
    /// connection.
    pub send_timeout: Duration,
    /// Header holding the client address, set by a trusted proxy
    /// (`x-real-ip`); `None`: the TCP peer.
    pub client_ip_header: Option<String>,
    /// How long generations may run on after SIGTERM.
    pub shutdown_grace: Duration,
    /// Interval of SSE keep-alive comments and WebSocket pings.
    pub keep_alive: Duration,
    /// The `retry:` the SSE stream announces to the browser.
    pub sse_retry: Duration,
    /// Largest WebSocket message accepted from a client.
    pub max_ws_message: usize,
    /// Negotiate permessage-deflate (RFC 7692) on `/ws` (`--no-ws-deflate`
    /// turns it off). Every browser offers it; tokens are compressed at
    /// level 1 with context takeover, each one flushed whole.
    pub ws_deflate: bool,
    /// Largest prompt accepted (bytes).
    pub max_prompt_bytes: usize,
    /// The model name `/v1/models` lists and chat completions report.
    pub model: String,
    /// Testing aid: end every event-stream response after this many token
    /// events, as a flaky network would, so reconnects can be exercised
    /// (`--debug-drop-sse-after`). `None` in normal operation.
    pub debug_drop_sse_after: Option<u64>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            abandon_grace: Duration::from_secs(30),
            retain_finished: Duration::from_secs(60),
            max_retained_tokens: 10_000,
            max_retained_bytes: 1 << 20,
            max_streams: 10_000,
            max_generations: 10_000,
            max_generations_per_client: 16,
            retry_after: Duration::from_secs(1),
            send_timeout: Duration::from_secs(10),
            client_ip_header: None,
            shutdown_grace: Duration::from_secs(30),
            keep_alive: Duration::from_secs(15),
            sse_retry: Duration::from_millis(1000),
            max_ws_message: 64 * 1024,
            ws_deflate: true,
            max_prompt_bytes: 16 * 1024,
            model: "pushcodec-builtin".into(),
            debug_drop_sse_after: None,
        }
    }
}

impl ServerConfig {
    /// The store settings these server settings imply.
    pub fn store_config(&self) -> StoreConfig {
        StoreConfig {
            abandon_grace: self.abandon_grace,
            retain_finished: self.retain_finished,
            max_retained_tokens: self.max_retained_tokens,
            max_retained_bytes: self.max_retained_bytes,
            max_streams: self.max_streams,
        }
    }
}

/// Shared state of the server.
#[derive(Clone)]
pub struct AppState<S: StreamStore = MemoryStore> {
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) source: Arc<dyn TokenSource>,
    pub(crate) store: S,
    pub(crate) limits: Arc<Limits>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) shutdown: Shutdown,
}

impl AppState<MemoryStore> {
    /// State for a server that generates with `source` and keeps streams in
    /// memory.
    ///
    /// ```
    /// use pushcodec_examples::{server::{AppState, ServerConfig}, tokens::BuiltinGenerator};
    /// let state = AppState::new(ServerConfig::default(), BuiltinGenerator::new(std::time::Duration::ZERO, 10));
    /// assert_eq!(state.stats().live_streams, 0);
    /// ```
    pub fn new(config: ServerConfig, source: impl TokenSource) -> Self {
        let store = MemoryStore::new(config.store_config());
        AppState::with_store(config, source, store)
    }
}

impl<S: StreamStore> AppState<S> {
    /// State for a server that keeps its streams in `store`.
    pub fn with_store(config: ServerConfig, source: impl TokenSource, store: S) -> Self {
        AppState {
            limits: Arc::new(Limits::new(
                config.max_generations,
                config.max_generations_per_client,
                config.retry_after,
            )),
            shutdown: Shutdown::new(config.shutdown_grace),
            config: Arc::new(config),
            source: Arc::new(source),
            store,
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// The shutdown handle (call [`Shutdown::begin`] to drain).
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Current counts of live resources.
    pub fn stats(&self) -> Stats {
        let m = &self.metrics;
        let c = self.store.counts();
        Stats {
            store: self.store.name().to_string(),
            live_streams: c.held,
            generating: c.generating,
            sse_subscribers: m.sse_subscribers.load(Ordering::SeqCst),
            ws_connections: m.ws_connections.load(Ordering::SeqCst),
            ws_generating: m.ws_generating.load(Ordering::SeqCst),
            chat_generating: m.chat_generating.load(Ordering::SeqCst),
            chat_completed: m.chat_completed.load(Ordering::SeqCst),
            chat_cancelled: m.chat_cancelled.load(Ordering::SeqCst),
            generations_running: self.limits.running(),
        }
    }
}

/// Counts of live resources of this instance (`GET /api/stats`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// `memory` or `redis`.
    pub store: String,
    /// SSE streams held in this process (running or retained).
    pub live_streams: usize,
    /// SSE generations running in this process.
    pub generating: usize,
    /// Connected SSE event-stream responses.
    pub sse_subscribers: usize,
    /// Open WebSocket connections.
    pub ws_connections: usize,
    /// Generations running for WebSocket clients.
    pub ws_generating: usize,
    /// Chat-completion generations running.
    pub chat_generating: usize,
    /// Chat generations that ran to their end.
    pub chat_completed: u64,
    /// Chat generations stopped because the client went away.
    pub chat_cancelled: u64,
    /// Generations counted by the limits (all transports).
    pub generations_running: usize,
}

/// The page, embedded at compile time.
pub const PAGE: &str = include_str!("page.html");

/// The router with every route.
pub fn router<S: StreamStore>(state: AppState<S>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/ws", get(ws_api::upgrade::<S>))
        .route("/api/streams", post(sse_api::create::<S>))
        .route("/api/streams/{id}/events", get(sse_api::events::<S>))
        .route("/api/streams/{id}/stop", post(sse_api::stop::<S>))
        .route("/v1/chat/completions", post(openai_api::completions::<S>))
        .route("/v1/models", get(openai_api::models::<S>))
        .route("/api/stats", get(stats::<S>))
        .route("/healthz", get(healthz::<S>))
        .route("/metrics", get(metrics_text::<S>))
        .with_state(state)
}

async fn page() -> axum::response::Html<&'static str> {
    axum::response::Html(PAGE)
}

async fn stats<S: StreamStore>(State(s): State<AppState<S>>) -> axum::Json<Stats> {
    axum::Json(s.stats())
}

async fn healthz<S: StreamStore>(State(s): State<AppState<S>>) -> axum::response::Response {
    let store = tokio::time::timeout(Duration::from_secs(2), s.store.healthy()).await;
    let (status, what) = match store {
        _ if s.shutdown.is_draining() => (
            http::StatusCode::SERVICE_UNAVAILABLE,
            "draining".to_string(),
        ),
        Ok(Ok(())) => (http::StatusCode::OK, "ok".to_string()),
        Ok(Err(e)) => (http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Err(_) => (
            http::StatusCode::SERVICE_UNAVAILABLE,
            "store did not answer within 2 s".to_string(),
        ),
    };
    (
        status,
        axum::Json(serde_json::json!({ "status": what, "store": s.store.name() })),
    )
        .into_response()
}

async fn metrics_text<S: StreamStore>(State(s): State<AppState<S>>) -> axum::response::Response {
    let c = s.store.counts();
    (
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(c.generating, c.errors, s.store.name()),
    )
        .into_response()
}

/// Serves `state` on `listener` until the process ends.
pub async fn serve<S: StreamStore>(
    listener: TcpListener,
    state: AppState<S>,
) -> std::io::Result<()> {
    serve_until(listener, state, std::future::pending()).await
}

/// Serves `state` on `listener` until `signal` resolves, then shuts down
/// gracefully (see [`shutdown`]) and returns once every connection and
/// generation has ended (or the grace period is over).
pub async fn serve_until<S: StreamStore>(
    listener: TcpListener,
    state: AppState<S>,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let shutdown = state.shutdown.clone();
    {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            signal.await;
            shutdown.begin();
        });
    }
    let listener = TimeoutListener::new(listener, state.config.send_timeout, state.metrics.clone());
    let draining = shutdown.clone();
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<ClientAddr>(),
    )
    .with_graceful_shutdown(async move { draining.draining().await })
    .await?;
    shutdown.wait(Duration::from_secs(5)).await;
    tracing::info!("shut down");
    Ok(())
}

/// A JSON error body: `{"error": message}` with `status`.
pub(crate) fn json_error(
    status: http::StatusCode,
    message: impl Into<String>,
) -> axum::response::Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": message.into() })),
    )
        .into_response()
}
