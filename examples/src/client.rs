//! Clients of the token server's two transports, built on pushcodec; used by
//! `token-client`, `token-load` and the end-to-end tests.

use crate::http_client::{HttpClient, HttpError};
use futures_util::{SinkExt, Stream, StreamExt};
use pushcodec::sse::{self, SseDecoder, SseItem};
use pushcodec::ws::{self, handshake, Message, WebSocketStream};
use std::io;
use tokio::net::TcpStream;
use tokio_util::codec::FramedRead;

/// Errors of the token clients.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// TCP connect failed.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The address.
        addr: String,
        /// The cause.
        source: io::Error,
    },
    /// The WebSocket handshake failed.
    #[error("websocket handshake failed: {0}")]
    Handshake(#[from] handshake::HandshakeError),
    /// The WebSocket connection failed.
    #[error("websocket error: {0}")]
    Ws(#[from] ws::Error),
    /// An HTTP request failed.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The event stream was malformed.
    #[error("event stream error: {0}")]
    Sse(#[from] sse::DecodeError),
    /// The server answered something unexpected.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
}

/// What the server says about a generation, on either transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenEvent {
    /// Token `index` with its text.
    Token {
        /// Position in the generation, from 0.
        index: u64,
        /// The text piece.
        text: String,
    },
    /// The generation ended (`complete`, `stopped` or `error`).
    Done {
        /// Why it ended.
        reason: String,
    },
    /// The server rejected a message (the connection stays open).
    Error {
        /// The server's explanation.
        message: String,
    },
}

fn parse_json(data: &str) -> Result<serde_json::Value, ClientError> {
    serde_json::from_str(data).map_err(|e| ClientError::Protocol(format!("{e}: {data:.100}")))
}

fn token_from_json(v: &serde_json::Value) -> Option<TokenEvent> {
    Some(TokenEvent::Token {
        index: v.get("index")?.as_u64()?,
        text: v.get("text")?.as_str()?.to_string(),
    })
}

/// A WebSocket connection to `/ws`.
pub struct WsTokenClient {
    ws: WebSocketStream<TcpStream>,
}

impl WsTokenClient {
    /// Connects to `addr` (`host:port`) and upgrades `/ws`.
    pub async fn connect(addr: &str) -> Result<Self, ClientError> {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|source| ClientError::Connect {
                addr: addr.to_string(),
                source,
            })?;
        tcp.set_nodelay(true).ok();
        let ws = handshake::connect(tcp, &format!("ws://{addr}/ws")).await?;
        Ok(WsTokenClient { ws })
    }

    /// Sends a raw message (tests use it for bad input).
    pub async fn send(&mut self, msg: Message) -> Result<(), ClientError> {
        Ok(self.ws.send(msg).await?)
    }

    /// Sends `{"type":"prompt","text":prompt}`.
    pub async fn prompt(&mut self, prompt: &str) -> Result<(), ClientError> {
        let m = serde_json::json!({"type": "prompt", "text": prompt}).to_string();
        self.send(Message::text(m)).await
    }

    /// Sends `{"type":"stop"}`.
    pub async fn stop(&mut self) -> Result<(), ClientError> {
        self.send(Message::text(r#"{"type":"stop"}"#)).await
    }

    /// The next token/done/error message; `None` when the connection closed.
    pub async fn next_event(&mut self) -> Result<Option<TokenEvent>, ClientError> {
        while let Some(msg) = self.ws.next().await {
            let Message::Text(text) = msg? else { continue };
            let v = parse_json(&text)?;
            let ev = match v.get("type").and_then(|t| t.as_str()) {
                Some("token") => token_from_json(&v),
                Some("done") => Some(TokenEvent::Done {
                    reason: v["reason"].as_str().unwrap_or_default().to_string(),
                }),
                Some("error") => Some(TokenEvent::Error {
                    message: v["message"].as_str().unwrap_or_default().to_string(),
                }),
                _ => None,
            };
            return ev
                .map(Some)
                .ok_or_else(|| ClientError::Protocol(format!("unknown message {text}")));
        }
        Ok(None)
    }

    /// The underlying stream.
    pub fn into_inner(self) -> WebSocketStream<TcpStream> {
        self.ws
    }
}

/// The SSE API of a token server at `base` (`http://host:port`).
#[derive(Clone)]
pub struct SseTokenClient {
    http: HttpClient,
    base: String,
}

impl SseTokenClient {
    /// A client of the server at `base`.
    ///
    /// ```
    /// let c = pushcodec_examples::client::SseTokenClient::new("http://127.0.0.1:8001/");
    /// assert_eq!(c.base(), "http://127.0.0.1:8001");
    /// ```
    pub fn new(base: &str) -> Self {
        SseTokenClient {
            http: HttpClient::new(),
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `POST /api/streams`; returns the stream id.
    pub async fn create(&self, prompt: &str) -> Result<String, ClientError> {
        let (status, body) = self
            .http
            .post_json(
                &format!("{}/api/streams", self.base),
                &serde_json::json!({ "prompt": prompt }),
            )
            .await?;
        match body.get("id").and_then(|i| i.as_str()) {
            Some(id) if status.is_success() => Ok(id.to_string()),
            _ => Err(ClientError::Protocol(format!("{status}: {body}"))),
        }
    }

    /// `POST /api/streams/{id}/stop`.
    pub async fn stop(&self, id: &str) -> Result<(), ClientError> {
        let (status, body) = self
            .http
            .post_json(
                &format!("{}/api/streams/{id}/stop", self.base),
                &serde_json::Value::Null,
            )
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(ClientError::Protocol(format!("{status}: {body}")))
        }
    }

    /// `GET /api/streams/{id}/events`, resuming after `last_event_id`.
    /// Returns the status and, on 200, the decoded items.
    pub async fn events(
        &self,
        id: &str,
        last_event_id: Option<&str>,
    ) -> Result<
        (
            http::StatusCode,
            impl Stream<Item = Result<SseItem, sse::DecodeError>> + Send + Unpin,
        ),
        ClientError,
    > {
        let mut headers = vec![("accept", "text/event-stream")];
        if let Some(l) = last_event_id {
            headers.push(("last-event-id", l));
        }
        let resp = self
            .http
            .get_streaming(&format!("{}/api/streams/{id}/events", self.base), &headers)
            .await?;
        Ok((resp.status, FramedRead::new(resp.body, SseDecoder::new())))
    }
}

/// Interprets one SSE item of the token stream (`None` for retry/comments).
///
/// ```
/// use pushcodec::sse::{Event, SseItem};
/// use pushcodec_examples::client::{sse_token_event, TokenEvent};
/// let ev = SseItem::Event(Event {
///     event_type: "done".into(),
///     data: r#"{"reason":"complete"}"#.into(),
///     last_event_id: "3".into(),
/// });
/// assert_eq!(sse_token_event(&ev).unwrap(), Some(TokenEvent::Done { reason: "complete".into() }));
/// ```
pub fn sse_token_event(item: &SseItem) -> Result<Option<TokenEvent>, ClientError> {
    let SseItem::Event(ev) = item else {
        return Ok(None);
    };
    let v = parse_json(&ev.data)?;
    Ok(match &*ev.event_type {
        "token" => token_from_json(&v),
        "done" => Some(TokenEvent::Done {
            reason: v["reason"].as_str().unwrap_or_default().to_string(),
        }),
        "error" => Some(TokenEvent::Error {
            message: v["error"].as_str().unwrap_or_default().to_string(),
        }),
        _ => None,
    })
}
