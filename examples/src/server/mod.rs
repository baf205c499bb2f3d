//! The token-streaming server: HTTP (axum on hyper) for the page and the SSE
//! API, pushcodec for the WebSocket frames after the upgrade and for encoding
//! SSE.
//!
//! Routes:
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the page (static HTML, no build step, no CDN) |
//! | `GET /ws` | WebSocket: `{"type":"prompt","text":..}` / `{"type":"stop"}` in, `token` / `done` / `error` out |
//! | `POST /api/streams` | `{"prompt": ..}` → `201 {"id": .., "events": ..}` |
//! | `GET /api/streams/{id}/events` | `text/event-stream`; honours `Last-Event-ID` |
//! | `POST /api/streams/{id}/stop` | stops generation; subscribers get `event: done` |
//! | `GET /api/stats` | live streams, generations, WebSocket connections (used by tests) |

mod sse_api;
mod streams;
mod ws_api;

use crate::tokens::TokenSource;
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub use streams::StreamRegistry;

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
    /// At most this many SSE streams are held at once (then `503`).
    pub max_streams: usize,
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
            keep_alive: Duration::from_secs(15),
            sse_retry: Duration::from_millis(1000),
            max_ws_message: 64 * 1024,
            ws_deflate: true,
            max_prompt_bytes: 16 * 1024,
            debug_drop_sse_after: None,
        }
    }
}

/// Shared state of the server.
#[derive(Clone)]
pub struct AppState {
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) source: Arc<dyn TokenSource>,
    pub(crate) streams: StreamRegistry,
    pub(crate) ws_connections: Arc<AtomicUsize>,
    pub(crate) ws_generating: Arc<AtomicUsize>,
}

impl AppState {
    /// State for a server that generates with `source`.
    ///
    /// ```
    /// use pushcodec_examples::{server::{AppState, ServerConfig}, tokens::BuiltinGenerator};
    /// let state = AppState::new(ServerConfig::default(), BuiltinGenerator::new(std::time::Duration::ZERO, 10));
    /// assert_eq!(state.stats().live_streams, 0);
    /// ```
    pub fn new(config: ServerConfig, source: impl TokenSource) -> Self {
        let config = Arc::new(config);
        AppState {
            streams: StreamRegistry::new(config.clone()),
            config,
            source: Arc::new(source),
            ws_connections: Arc::new(AtomicUsize::new(0)),
            ws_generating: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Current counts of live resources.
    pub fn stats(&self) -> Stats {
        Stats {
            live_streams: self.streams.len(),
            generating: self.streams.generating(),
            sse_subscribers: self.streams.subscribers(),
            ws_connections: self.ws_connections.load(Ordering::SeqCst),
            ws_generating: self.ws_generating.load(Ordering::SeqCst),
        }
    }
}

/// Counts of live resources (`GET /api/stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// SSE streams held in the registry (running or retained).
    pub live_streams: usize,
    /// SSE generations still running.
    pub generating: usize,
    /// Connected SSE event-stream responses.
    pub sse_subscribers: usize,
    /// Open WebSocket connections.
    pub ws_connections: usize,
    /// Generations running for WebSocket clients.
    pub ws_generating: usize,
}

/// The page, embedded at compile time.
pub const PAGE: &str = include_str!("page.html");

/// The router with every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/ws", get(ws_api::upgrade))
        .route("/api/streams", post(sse_api::create))
        .route("/api/streams/{id}/events", get(sse_api::events))
        .route("/api/streams/{id}/stop", post(sse_api::stop))
        .route("/api/stats", get(stats))
        .with_state(state)
}

async fn page() -> axum::response::Html<&'static str> {
    axum::response::Html(PAGE)
}

async fn stats(axum::extract::State(s): axum::extract::State<AppState>) -> axum::Json<Stats> {
    axum::Json(s.stats())
}

/// Serves `state` on `listener` until the process ends.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}

/// A JSON error body: `{"error": message}` with `status`.
pub(crate) fn json_error(
    status: http::StatusCode,
    message: impl Into<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        status,
        axum::Json(serde_json::json!({ "error": message.into() })),
    )
        .into_response()
}
