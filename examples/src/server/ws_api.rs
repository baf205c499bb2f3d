//! The WebSocket half of the token server (`GET /ws`).
//!
//! Protocol: JSON text messages.
//!
//! | direction | message |
//! |---|---|
//! | client → server | `{"type":"prompt","text":"..."}` starts a generation |
//! | client → server | `{"type":"stop"}` stops it (ignored when nothing streams) |
//! | server → client | `{"type":"token","index":n,"text":"..."}` per token |
//! | server → client | `{"type":"done","reason":"complete"\|"stopped"\|"shutdown"\|"error"}` once per prompt |
//! | server → client | `{"type":"error","message":"..."}` for bad input; the connection stays open |
//! | server → client | `{"type":"error","message":"...","retry_after":1}` then `done` (`error`) when a generation limit refuses the prompt |
//!
//! One loop per connection `select!`s on the socket and the generator, socket
//! first (`biased`), so a Stop that has arrived is handled before the next
//! token is sent: no token follows `done`. This relies on
//! `WebSocketStream::next` being cancel-safe (a `next()` dropped because the
//! generator won the race loses no bytes). Pings go out every `keep_alive` so
//! idle connections survive proxies. Protocol errors from the peer (invalid
//! frames, oversized messages) are answered by the codec with the matching
//! close code (1002, 1007, 1009) and end only that connection.
//!
//! A client that stops reading makes `send` wait; after the send timeout
//! the connection fails (see `limits.rs`) and its generation ends. At
//! shutdown a running generation ends with `done` (reason `shutdown`) and
//! the connection is closed with 1001 (going away).

use super::limits::{client_ip, ClientAddr, GenerationPermit};
use super::metrics::Metrics;
use super::store::StreamStore;
use super::AppState;
use crate::tokens::{TokenError, TokenStream};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use http::HeaderMap;
use pushcodec::integration::axum::WebSocketUpgrade;
use pushcodec::ws::extension::DeflateConfig;
use pushcodec::ws::{CloseCode, Message, WebSocketConfig, WebSocketStream};
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// `GET /ws`: the upgrade is pushcodec's axum extractor (a bad request gets
/// its 400/426); the session runs on the upgraded connection.
/// permessage-deflate is accepted when the browser offers it (unless
/// `ws_deflate` is off), at level 1: a token costs a fraction of level 6's
/// CPU for nearly its ratio with context takeover (BENCHMARKS.md), and each
/// token is still sent whole, at once.
pub(super) async fn upgrade<S: StreamStore>(
    State(app): State<AppState<S>>,
    ConnectInfo(ClientAddr(peer)): ConnectInfo<ClientAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let ip = client_ip(app.config.client_ip_header.as_deref(), &headers, peer);
    let shutdown = app.shutdown.clone();
    let deflate = DeflateConfig::builder()
        .enabled(app.config.ws_deflate)
        .level(1)
        .build();
    ws.config(
        WebSocketConfig::builder()
            .max_message_size(app.config.max_ws_message)
            .deflate(deflate)
            .build(),
    )
    .on_failed_upgrade(|e| tracing::warn!("websocket upgrade failed: {e}"))
    .on_upgrade(move |ws| shutdown.track(session(app, ws, ip)))
}

/// A client message.
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ClientMessage {
    /// Start generating for `text`.
    Prompt {
        /// The prompt.
        text: String,
    },
    /// Stop the current generation.
    Stop,
}

fn parse_client_message(text: &str) -> Result<ClientMessage, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(r#"expected {{"type":"prompt","text":"..."}} or {{"type":"stop"}}: {e}"#)
    })
}

struct ConnectionCount(Arc<Metrics>);
impl Drop for ConnectionCount {
    fn drop(&mut self) {
        self.0.ws_connections.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Generation {
    tokens: TokenStream,
    next_index: u64,
    _live: GenerationCount,
    _permit: GenerationPermit,
}

/// Counts running WebSocket generations (`/api/stats`), so tests can see that
/// a stop or a disconnect really ends one.
struct GenerationCount(Arc<Metrics>);
impl GenerationCount {
    fn new(m: &Arc<Metrics>) -> Self {
        m.ws_generating.fetch_add(1, Ordering::SeqCst);
        GenerationCount(m.clone())
    }
}
impl Drop for GenerationCount {
    fn drop(&mut self) {
        self.0.ws_generating.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn next_token(gen: &mut Option<Generation>) -> Option<Result<String, TokenError>> {
    match gen {
        Some(g) => g.tokens.next().await,
        None => std::future::pending().await,
    }
}

fn error_msg(message: &str) -> Message {
    Message::text(serde_json::json!({ "type": "error", "message": message }).to_string())
}

fn done_msg(reason: &str) -> Message {
    Message::text(serde_json::json!({ "type": "done", "reason": reason }).to_string())
}

fn limit_msg(message: &str, retry_after: std::time::Duration) -> Message {
    Message::text(
        serde_json::json!({ "type": "error", "message": message, "retry_after": retry_after.as_secs().max(1) })
            .to_string(),
    )
}

/// Runs one WebSocket connection until the client leaves or the server
/// shuts down.
pub async fn session<S, IO>(app: AppState<S>, mut ws: WebSocketStream<IO>, ip: IpAddr)
where
    S: StreamStore,
    IO: AsyncRead + AsyncWrite + Unpin,
{
    app.metrics.ws_connections.fetch_add(1, Ordering::SeqCst);
    let _count = ConnectionCount(app.metrics.clone());
    let mut gen: Option<Generation> = None;
    let mut ping = tokio::time::interval(app.config.keep_alive);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let shutdown = app.shutdown.clone();
    loop {
        let mut out = [None, None];
        tokio::select! {
            biased;
            _ = shutdown.draining() => {
                if gen.take().is_some() {
                    out[0] = Some(done_msg("shutdown"));
                }
                out[1] = Some(Message::close(CloseCode::GOING_AWAY, "server shutting down"));
            }
            msg = ws.next() => match msg {
                None => break,
                // The stream has already sent the matching close code.
                Some(Err(_)) => break,
                Some(Ok(Message::Text(text))) => match parse_client_message(&text) {
                    Ok(ClientMessage::Prompt { text }) => {
                        if gen.is_some() {
                            out[0] = Some(error_msg(
                                r#"a prompt is already streaming; send {"type":"stop"} first or wait for done"#,
                            ));
                        } else if text.trim().is_empty() {
                            out[0] = Some(error_msg("prompt text must not be empty"));
                        } else if text.len() > app.config.max_prompt_bytes {
                            out[0] = Some(error_msg(&format!(
                                "prompt of {} bytes exceeds the limit of {} bytes",
                                text.len(),
                                app.config.max_prompt_bytes
                            )));
                        } else {
                            match app.limits.acquire(ip) {
                                Ok(permit) => {
                                    gen = Some(Generation {
                                        tokens: app.source.start(&text),
                                        next_index: 0,
                                        _live: GenerationCount::new(&app.metrics),
                                        _permit: permit,
                                    });
                                }
                                Err(e) => {
                                    app.metrics.rejected.fetch_add(1, Ordering::Relaxed);
                                    out[0] = Some(limit_msg(&e.to_string(), app.limits.retry_after()));
                                    out[1] = Some(done_msg("error"));
                                }
                            }
                        }
                    }
                    // Dropping the generation cancels it before another token is made.
                    Ok(ClientMessage::Stop) => {
                        app.metrics.stops.fetch_add(1, Ordering::Relaxed);
                        out[0] = gen.take().map(|_| done_msg("stopped"));
                    }
                    Err(why) => out[0] = Some(error_msg(&why)),
                },
                Some(Ok(Message::Binary(_))) => {
                    out[0] = Some(error_msg("binary messages are not part of this protocol; send JSON text"));
                }
                // Pings are answered by the stream; the close handshake too.
                Some(Ok(_)) => {}
            },
            tok = next_token(&mut gen), if gen.is_some() => match tok {
                Some(Ok(text)) => {
                    let g = gen.as_mut().expect("guarded by gen.is_some()");
                    let index = g.next_index;
                    g.next_index += 1;
                    app.metrics.tokens_ws.fetch_add(1, Ordering::Relaxed);
                    out[0] = Some(Message::text(
                        serde_json::json!({ "type": "token", "index": index, "text": text }).to_string(),
                    ));
                }
                Some(Err(e)) => {
                    gen = None;
                    out[0] = Some(error_msg(&e.to_string()));
                    out[1] = Some(done_msg("error"));
                }
                None => {
                    gen = None;
                    out[0] = Some(done_msg("complete"));
                }
            },
            _ = ping.tick() => out[0] = Some(Message::Ping(bytes::Bytes::from_static(b"keep-alive"))),
        };
        let closing = matches!(out[1], Some(Message::Close(_)));
        for msg in out.into_iter().flatten() {
            // A client that stopped reading makes this fail after the send
            // timeout (the connection's writes time out).
            if ws.send(msg).await.is_err() {
                return;
            }
        }
        // A source that is always ready must not hold the worker thread.
        tokio::task::consume_budget().await;
        if closing {
            // Wait for the client's Close (bounded by the close timeout).
            while let Some(Ok(_)) = ws.next().await {}
            break;
        }
    }
    // Leaving the loop drops `gen`: a client that went away stops its generation.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_parse_and_errors_explain() {
        assert_eq!(
            parse_client_message(r#"{"type":"prompt","text":"hi"}"#),
            Ok(ClientMessage::Prompt { text: "hi".into() })
        );
        assert_eq!(
            parse_client_message(r#"{"type":"stop"}"#),
            Ok(ClientMessage::Stop)
        );
        let e = parse_client_message(r#"{"type":"dance"}"#).unwrap_err();
        assert!(e.contains(r#"{"type":"stop"}"#), "{e}");
        assert!(parse_client_message("not json").is_err());
    }
}
