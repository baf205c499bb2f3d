//! `GET /metrics`: counters and gauges in the Prometheus text format
//! (version 0.0.4). Relaxed atomics, bumped once per token at most.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    /// Open WebSocket connections.
    pub ws_connections: AtomicUsize,
    /// Connected SSE event-stream responses.
    pub sse_subscribers: AtomicUsize,
    /// Open chat-completion streams.
    pub chat_streams: AtomicUsize,
    /// Generations running for WebSocket clients.
    pub ws_generating: AtomicUsize,
    /// Chat-completion generations running.
    pub chat_generating: AtomicUsize,
    /// Chat generations that ran to the end.
    pub chat_completed: AtomicU64,
    /// Chat generations cut short by the client going away.
    pub chat_cancelled: AtomicU64,
    /// Tokens written to WebSocket clients.
    pub tokens_ws: AtomicU64,
    /// Token events written to SSE subscribers.
    pub tokens_sse: AtomicU64,
    /// Tokens written as chat-completion chunks.
    pub tokens_chat: AtomicU64,
    /// Stop requests (WS and SSE).
    pub stops: AtomicU64,
    /// SSE requests with a `Last-Event-ID`.
    pub resumes: AtomicU64,
    /// Requests refused with 429 (or the WS equivalent).
    pub rejected: AtomicU64,
    /// Writes that timed out (a client that stopped reading).
    pub send_timeouts: AtomicU64,
}

impl Metrics {
    /// Renders every metric; `generating_sse` and `store_errors` come from
    /// the store.
    pub fn render(&self, generating_sse: usize, store_errors: u64, store: &str) -> String {
        let mut out = String::with_capacity(2048);
        let mut gauge = |name: &str, help: &str, rows: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for (labels, v) in rows {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        gauge(
            "token_server_connections",
            "Open client connections by transport.",
            &[
                (
                    "{transport=\"ws\"}",
                    self.ws_connections.load(Relaxed) as u64,
                ),
                (
                    "{transport=\"sse\"}",
                    self.sse_subscribers.load(Relaxed) as u64,
                ),
                (
                    "{transport=\"chat\"}",
                    self.chat_streams.load(Relaxed) as u64,
                ),
            ],
        );
        gauge(
            "token_server_generations",
            "Generations running in this instance by transport.",
            &[
                (
                    "{transport=\"ws\"}",
                    self.ws_generating.load(Relaxed) as u64,
                ),
                ("{transport=\"sse\"}", generating_sse as u64),
                (
                    "{transport=\"chat\"}",
                    self.chat_generating.load(Relaxed) as u64,
                ),
            ],
        );
        let mut counter = |name: &str, help: &str, rows: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, v) in rows {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        counter(
            "token_server_tokens_sent_total",
            "Tokens written to clients by transport.",
            &[
                ("{transport=\"ws\"}", self.tokens_ws.load(Relaxed)),
                ("{transport=\"sse\"}", self.tokens_sse.load(Relaxed)),
                ("{transport=\"chat\"}", self.tokens_chat.load(Relaxed)),
            ],
        );
        counter(
            "token_server_stops_total",
            "Stop requests.",
            &[("", self.stops.load(Relaxed))],
        );
        counter(
            "token_server_resumes_total",
            "SSE requests resuming with Last-Event-ID.",
            &[("", self.resumes.load(Relaxed))],
        );
        counter(
            "token_server_rejected_total",
            "Generations refused by a limit (HTTP 429).",
            &[("", self.rejected.load(Relaxed))],
        );
        counter(
            "token_server_send_timeouts_total",
            "Connections ended because the client stopped reading.",
            &[("", self.send_timeouts.load(Relaxed))],
        );
        counter(
            "token_server_chat_cancelled_total",
            "Chat generations stopped by the client going away.",
            &[("", self.chat_cancelled.load(Relaxed))],
        );
        let label = format!("{{store=\"{store}\"}}");
        counter(
            "token_server_store_errors_total",
            "Failed requests to the stream store (Redis errors).",
            &[(&label, store_errors)],
        );
        out
    }
}
