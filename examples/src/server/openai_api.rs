//! The OpenAI-compatible API: `POST /v1/chat/completions` and
//! `GET /v1/models`, so the official SDKs pointed at
//! `http://127.0.0.1:8001/v1` work unchanged (any API key is accepted).
//!
//! * The prompt is the last `user` message (string content, or the `text`
//!   parts of an array); the token source gives the same tokens for it as
//!   `/ws` gives for the same prompt, one token per chunk.
//! * `"stream": true`: `text/event-stream` of `data: {chat.completion.chunk}`
//!   — the first chunk carries `delta.role`, then one `delta.content` per
//!   token, then an empty `delta` with `finish_reason` (`stop`, or `length`
//!   when `max_tokens`/`max_completion_tokens` cut it), a `usage` chunk when
//!   `stream_options.include_usage`, and `data: [DONE]`.
//! * `"stream": false`: one `chat.completion` object.
//! * The generation lives in the response: a client that closes the stream
//!   (or disconnects while waiting for a non-streamed answer) drops it,
//!   which stops generation, as at OpenAI. `/api/stats` counts
//!   `chat_generating`, `chat_completed` and `chat_cancelled`.
//! * Errors are OpenAI-shaped: `{"error":{"message","type","param","code"}}`;
//!   a generation limit answers `429` with `Retry-After`.

use super::limits::{client_ip, too_many, ClientAddr, GenerationPermit};
use super::metrics::Metrics;
use super::store::StreamStore;
use super::AppState;
use crate::tokens::TokenStream;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use futures_util::{stream, Stream, StreamExt};
use http::{HeaderMap, StatusCode};
use pushcodec::integration::axum::{Event, Sse};
use pushcodec::sse::{EncodeError, OutgoingEvent};
use std::sync::atomic::Ordering;
use std::sync::Arc;

fn openai_error(status: StatusCode, kind: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({
            "error": { "message": message.into(), "type": kind, "param": null, "code": null }
        })),
    )
        .into_response()
}

#[derive(Debug, serde::Deserialize)]
struct ChatRequest {
    messages: Vec<ChatMessage>,
    #[serde(default)]
    stream: bool,
    max_tokens: Option<usize>,
    max_completion_tokens: Option<usize>,
    stream_options: Option<StreamOptions>,
}

#[derive(Debug, serde::Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

#[derive(Debug, serde::Deserialize)]
struct ChatMessage {
    role: String,
    #[serde(default)]
    content: serde_json::Value,
}

/// The text of a message's `content`: a string, or the `text` parts of an
/// array of parts.
fn content_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(parts) => parts
            .iter()
            .filter(|p| p["type"] == "text")
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn parse_request(body: &[u8]) -> Result<(ChatRequest, String), String> {
    let req: ChatRequest = serde_json::from_slice(body)
        .map_err(|e| format!("request body must be a chat completion request ({e})"))?;
    let prompt = req
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .map(|m| content_text(&m.content))
        .ok_or("messages must contain a user message")?;
    if prompt.trim().is_empty() {
        return Err("the last user message is empty".into());
    }
    Ok((req, prompt))
}

/// Counts a chat generation; tells cancelled from completed when dropped.
struct ChatGuard {
    metrics: Arc<Metrics>,
    completed: bool,
    _permit: GenerationPermit,
}

impl ChatGuard {
    fn new(metrics: &Arc<Metrics>, permit: GenerationPermit) -> Self {
        metrics.chat_generating.fetch_add(1, Ordering::SeqCst);
        ChatGuard {
            metrics: metrics.clone(),
            completed: false,
            _permit: permit,
        }
    }
}

impl Drop for ChatGuard {
    fn drop(&mut self) {
        self.metrics.chat_generating.fetch_sub(1, Ordering::SeqCst);
        if self.completed {
            self.metrics.chat_completed.fetch_add(1, Ordering::SeqCst);
        } else {
            self.metrics.chat_cancelled.fetch_add(1, Ordering::SeqCst);
            tracing::debug!("chat generation cancelled by the client");
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn words(messages: &[ChatMessage]) -> usize {
    messages
        .iter()
        .map(|m| content_text(&m.content).split_whitespace().count())
        .sum()
}

/// `POST /v1/chat/completions`.
pub(super) async fn completions<S: StreamStore>(
    State(app): State<AppState<S>>,
    ConnectInfo(ClientAddr(peer)): ConnectInfo<ClientAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if app.shutdown.is_draining() {
        return openai_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "this instance is shutting down",
        );
    }
    if body.len() > app.config.max_prompt_bytes * 4 + 4096 {
        return openai_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            format!("request body of {} bytes is too large", body.len()),
        );
    }
    let (req, prompt) = match parse_request(&body) {
        Ok(r) => r,
        Err(why) => return openai_error(StatusCode::BAD_REQUEST, "invalid_request_error", why),
    };
    if prompt.len() > app.config.max_prompt_bytes {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!(
                "prompt of {} bytes exceeds the limit of {} bytes",
                prompt.len(),
                app.config.max_prompt_bytes
            ),
        );
    }
    let ip = client_ip(app.config.client_ip_header.as_deref(), &headers, peer);
    let permit = match app.limits.acquire(ip) {
        Ok(p) => p,
        Err(e) => {
            app.metrics.rejected.fetch_add(1, Ordering::Relaxed);
            return too_many(
                &e,
                app.limits.retry_after(),
                serde_json::json!({"error": {"message": e.to_string(), "type": "requests", "param": null, "code": "rate_limit_exceeded"}}),
            );
        }
    };
    let guard = ChatGuard::new(&app.metrics, permit);
    let limit = req.max_completion_tokens.or(req.max_tokens);
    let id = format!("chatcmpl-{:024x}", rand::random::<u128>() >> 32);
    let model = app.config.model.clone();
    let tokens = app.source.start(&prompt);
    let prompt_tokens = words(&req.messages);
    if req.stream {
        let usage = req.stream_options.is_some_and(|o| o.include_usage);
        let chunks = chunk_stream(ChunkState {
            tokens,
            guard,
            metrics: app.metrics.clone(),
            shutdown: app.shutdown.clone(),
            prefix: chunk_prefix(&id, &model),
            id,
            model,
            limit,
            sent: 0,
            prompt_tokens,
            usage,
            phase: Phase::Role,
        });
        return Sse::new(chunks)
            .keep_alive(Some(app.config.keep_alive))
            .into_response();
    }
    complete(app, tokens, guard, limit, id, model, prompt_tokens).await
}

async fn complete<S: StreamStore>(
    app: AppState<S>,
    mut tokens: TokenStream,
    mut guard: ChatGuard,
    limit: Option<usize>,
    id: String,
    model: String,
    prompt_tokens: usize,
) -> Response {
    let mut text = String::new();
    let mut n = 0usize;
    let mut finish = "stop";
    loop {
        if limit.is_some_and(|l| n >= l) {
            finish = "length";
            break;
        }
        let next = tokio::select! {
            biased;
            _ = app.shutdown.deadline() => {
                return openai_error(StatusCode::SERVICE_UNAVAILABLE, "server_error", "the server shut down before the answer was complete");
            }
            t = tokens.next() => t,
        };
        match next {
            Some(Ok(t)) => {
                text.push_str(&t);
                n += 1;
            }
            Some(Err(e)) => {
                return openai_error(StatusCode::BAD_GATEWAY, "server_error", e.to_string())
            }
            None => break,
        }
    }
    guard.completed = true;
    app.metrics
        .tokens_chat
        .fetch_add(n as u64, Ordering::Relaxed);
    axum::Json(serde_json::json!({
        "id": id,
        "object": "chat.completion",
        "created": unix_now(),
        "model": model,
        "system_fingerprint": null,
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": text, "refusal": null },
            "logprobs": null,
            "finish_reason": finish,
        }],
        "usage": { "prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n },
    }))
    .into_response()
}

enum Phase {
    Role,
    Tokens,
    Usage,
    Done,
    End,
}

struct ChunkState {
    tokens: TokenStream,
    guard: ChatGuard,
    metrics: Arc<Metrics>,
    shutdown: super::Shutdown,
    /// The chunk JSON up to the `delta`'s content value (the same for every
    /// chunk of the answer), rendered once.
    prefix: String,
    id: String,
    model: String,
    limit: Option<usize>,
    sent: usize,
    prompt_tokens: usize,
    usage: bool,
    phase: Phase,
}

fn chunk_prefix(id: &str, model: &str) -> String {
    format!(
        r#"{{"id":{},"object":"chat.completion.chunk","created":{},"model":{},"system_fingerprint":null,"choices":[{{"index":0,"delta":"#,
        serde_json::Value::from(id),
        unix_now(),
        serde_json::Value::from(model),
    )
}

fn chunk(prefix: &str, delta: &str, finish: Option<&str>) -> Result<Event, EncodeError> {
    let finish = match finish {
        Some(f) => format!(r#""{f}""#),
        None => "null".into(),
    };
    let mut s = String::with_capacity(prefix.len() + delta.len() + 48);
    s.push_str(prefix);
    s.push_str(delta);
    s.push_str(r#","logprobs":null,"finish_reason":"#);
    s.push_str(&finish);
    s.push_str("}]}");
    Event::new(OutgoingEvent::new(s))
}

fn content_delta(text: &str) -> String {
    let mut d = String::with_capacity(text.len() + 16);
    d.push_str(r#"{"content":"#);
    d.push_str(&serde_json::Value::from(text).to_string());
    d.push('}');
    d
}

fn chunk_stream(state: ChunkState) -> impl Stream<Item = Result<Event, EncodeError>> + Send {
    stream::unfold(state, |mut s| async move {
        loop {
            match s.phase {
                Phase::Role => {
                    s.phase = Phase::Tokens;
                    return Some((
                        chunk(&s.prefix, r#"{"role":"assistant","content":""}"#, None),
                        s,
                    ));
                }
                Phase::Tokens => {
                    if s.limit.is_some_and(|l| s.sent >= l) {
                        s.phase = Phase::Usage;
                        return Some((chunk(&s.prefix, "{}", Some("length")), s));
                    }
                    let next = tokio::select! {
                        biased;
                        _ = s.shutdown.deadline() => Some(Err(crate::tokens::TokenError::Upstream("the server shut down before the answer was complete".into()))),
                        t = s.tokens.next() => t,
                    };
                    match next {
                        Some(Ok(t)) => {
                            s.sent += 1;
                            s.metrics.tokens_chat.fetch_add(1, Ordering::Relaxed);
                            let ev = chunk(&s.prefix, &content_delta(&t), None);
                            return Some((ev, s));
                        }
                        Some(Err(e)) => {
                            s.phase = Phase::End;
                            let data = serde_json::json!({"error": {"message": e.to_string(), "type": "server_error", "param": null, "code": null}});
                            return Some((Event::new(OutgoingEvent::new(data.to_string())), s));
                        }
                        None => {
                            s.phase = Phase::Usage;
                            return Some((chunk(&s.prefix, "{}", Some("stop")), s));
                        }
                    }
                }
                Phase::Usage => {
                    s.phase = Phase::Done;
                    s.guard.completed = true;
                    if s.usage {
                        let data = serde_json::json!({
                            "id": s.id, "object": "chat.completion.chunk", "created": unix_now(), "model": s.model,
                            "system_fingerprint": null, "choices": [],
                            "usage": {"prompt_tokens": s.prompt_tokens, "completion_tokens": s.sent, "total_tokens": s.prompt_tokens + s.sent},
                        });
                        return Some((Event::new(OutgoingEvent::new(data.to_string())), s));
                    }
                }
                Phase::Done => {
                    s.phase = Phase::End;
                    return Some((Event::new(OutgoingEvent::new("[DONE]")), s));
                }
                Phase::End => return None,
            }
        }
    })
}

/// `GET /v1/models`.
pub(super) async fn models<S: StreamStore>(State(app): State<AppState<S>>) -> Response {
    axum::Json(serde_json::json!({
        "object": "list",
        "data": [{ "id": app.config.model, "object": "model", "created": 0, "owned_by": "pushcodec" }],
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_is_the_last_user_message_string_or_text_parts() {
        let (_, p) = parse_request(
            br#"{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"text","text":"second"},{"type":"image_url","image_url":{"url":"x"}}]}]}"#,
        )
        .unwrap();
        assert_eq!(p, "second");
        assert!(
            parse_request(br#"{"messages":[{"role":"system","content":"x"}]}"#)
                .unwrap_err()
                .contains("user message")
        );
        assert!(parse_request(b"{}")
            .unwrap_err()
            .contains("chat completion request"));
    }

    #[test]
    fn chunks_are_valid_json_with_escaped_content() {
        let p = chunk_prefix("chatcmpl-1", "m\"x");
        let ev = chunk(&p, &content_delta(" a \"quoted\"\nline"), None).unwrap();
        let wire = std::str::from_utf8(ev.as_bytes()).unwrap();
        let data = wire.strip_prefix("data: ").unwrap().trim_end();
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["object"], "chat.completion.chunk");
        assert_eq!(v["model"], "m\"x");
        assert_eq!(v["choices"][0]["delta"]["content"], " a \"quoted\"\nline");
        assert!(v["choices"][0]["finish_reason"].is_null());
        let end = chunk(&p, "{}", Some("stop")).unwrap();
        let data = std::str::from_utf8(end.as_bytes()).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(data.strip_prefix("data: ").unwrap().trim_end()).unwrap();
        assert_eq!(v["choices"][0]["finish_reason"], "stop");
    }
}
