//! The SSE half of the token server.
//!
//! The event stream of `GET /api/streams/{id}/events`:
//!
//! ```text
//! retry: 1000                     (a field of the first block: applies at once)
//! event: token
//! id: 0
//! data: {"index":0,"text":"You"}
//!
//! : keep-alive                      (every `keep_alive`, while idle)
//!
//! id: 57
//! event: done
//! data: {"reason":"complete"}       (or "stopped", "error")
//! ```
//!
//! A token's `id:` is its index, so a reconnect's `Last-Event-ID: n` resumes
//! at token `n + 1`. The `done` event's id is the token count: a reconnect
//! after it gets `204 No Content`, which tells `EventSource` to stop
//! reconnecting (WHATWG HTML §9.2.3).

use super::streams::{LogRead, StreamState, SubscriberGuard};
use super::{json_error, AppState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use futures_util::{stream, Stream, StreamExt};
use http::{HeaderMap, StatusCode};
use pushcodec::integration::axum::{Event, Sse};
use pushcodec::sse::{EncodeError, OutgoingEvent};
use std::collections::VecDeque;
use std::sync::Arc;

/// `POST /api/streams` with `{"prompt": "..."}`.
pub(super) async fn create(State(app): State<AppState>, body: Bytes) -> Response {
    if body.len() > app.config.max_prompt_bytes + 1024 {
        return json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body of {} bytes exceeds the limit of {} bytes",
                body.len(),
                app.config.max_prompt_bytes + 1024
            ),
        );
    }
    let prompt = match parse_prompt(&body) {
        Ok(p) => p,
        Err(why) => return json_error(StatusCode::BAD_REQUEST, why),
    };
    if prompt.len() > app.config.max_prompt_bytes {
        return json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "prompt of {} bytes exceeds the limit of {} bytes",
                prompt.len(),
                app.config.max_prompt_bytes
            ),
        );
    }
    match app.streams.create(app.source.start(&prompt)) {
        Ok(state) => (
            StatusCode::CREATED,
            axum::Json(serde_json::json!({
                "id": state.id,
                "events": format!("/api/streams/{}/events", state.id),
                "stop": format!("/api/streams/{}/stop", state.id),
            })),
        )
            .into_response(),
        Err(e) => json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

fn parse_prompt(body: &[u8]) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Req {
        prompt: String,
    }
    let req: Req = serde_json::from_slice(body)
        .map_err(|e| format!(r#"request body must be JSON like {{"prompt":"..."}}: {e}"#))?;
    if req.prompt.trim().is_empty() {
        return Err("prompt must not be empty".into());
    }
    Ok(req.prompt)
}

/// `POST /api/streams/{id}/stop`.
pub(super) async fn stop(State(app): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(state) = app.streams.get(&id) else {
        return json_error(StatusCode::NOT_FOUND, format!("no stream with id {id:?}"));
    };
    let stopping = state.request_stop(super::streams::DoneReason::Stopped);
    axum::Json(serde_json::json!({
        "id": id,
        "stopped": stopping,
        "note": if stopping { "generation stopped" } else { "the stream had already finished" },
    }))
    .into_response()
}

/// Where to resume, from `Last-Event-ID` (header, as `EventSource` sends it,
/// or the `lastEventId` query parameter for clients that cannot set headers).
fn resume_index(headers: &HeaderMap, query: Option<&str>) -> Result<u64, String> {
    let raw = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| "Last-Event-ID is not visible ASCII".to_string())?
                .to_string(),
        ),
        None => query.and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("lastEventId="))
                .map(str::to_string)
        }),
    };
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(0),
        Some(s) => s
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_add(1))
            .ok_or_else(|| format!("Last-Event-ID {s:?} is not a token id of this stream")),
    }
}

/// `GET /api/streams/{id}/events`.
pub(super) async fn events(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: http::Uri,
) -> Response {
    let Some(state) = app.streams.get(&id) else {
        return json_error(StatusCode::NOT_FOUND, format!("no stream with id {id:?}"));
    };
    let next = match resume_index(&headers, uri.query()) {
        Ok(n) => n,
        Err(why) => return json_error(StatusCode::BAD_REQUEST, why),
    };
    let (produced, finished) = state.produced();
    if next > produced + 1 || (next == produced + 1 && !finished) {
        return json_error(
            StatusCode::BAD_REQUEST,
            format!(
                "Last-Event-ID {} is beyond the {produced} tokens produced so far",
                next - 1
            ),
        );
    }
    if finished && next == produced + 1 {
        // The client saw `done` already: 204 tells EventSource not to reconnect.
        return StatusCode::NO_CONTENT.into_response();
    }
    if let LogRead::Gap { first_retained } = state.read_from(next) {
        return json_error(
            StatusCode::GONE,
            format!("tokens {next}..{first_retained} are no longer retained; start a new stream"),
        );
    }
    let guard = app.streams.attach(state);
    let items = stream::iter([Ok(Event::retry(app.config.sse_retry))]).chain(subscriber_events(
        guard,
        next,
        app.config.debug_drop_sse_after,
    ));
    Sse::new(items)
        .keep_alive(Some(app.config.keep_alive))
        .into_response()
}

/// An event of the stream; built (and checked) when it is queued, so the
/// response never stops on a bad one halfway (none can be bad here: fixed
/// event types, numeric ids).
type Item = Result<Event, EncodeError>;

struct Cursor {
    guard: SubscriberGuard,
    next: u64,
    pending: VecDeque<Item>,
    rx: tokio::sync::watch::Receiver<u64>,
    finished: bool,
    /// Token events left before a simulated connection drop.
    drop_after: Option<u64>,
}

/// The events of one subscriber, from token `next` on, ending after `done`.
fn subscriber_events(
    guard: SubscriberGuard,
    next: u64,
    drop_after: Option<u64>,
) -> impl Stream<Item = Item> + Send {
    let rx = guard.state().watch();
    let cursor = Cursor {
        guard,
        next,
        pending: VecDeque::new(),
        rx,
        finished: false,
        drop_after,
    };
    stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(item) = c.pending.pop_front() {
                return Some((item, c));
            }
            if c.finished {
                return None;
            }
            // Mark the current version seen *before* reading, so a push that
            // lands between the read and the wait still wakes us.
            c.rx.borrow_and_update();
            let state: &Arc<StreamState> = c.guard.state();
            match state.read_from(c.next) {
                LogRead::Tokens(tokens) if tokens.is_empty() => {
                    if c.rx.changed().await.is_err() {
                        return None;
                    }
                }
                LogRead::Tokens(tokens) => {
                    for (i, text) in tokens {
                        if c.drop_after == Some(0) {
                            // Simulated network drop: end the response mid-stream.
                            c.finished = true;
                            break;
                        }
                        c.drop_after = c.drop_after.map(|n| n - 1);
                        c.pending.push_back(token_event(i, &text));
                        c.next = i + 1;
                    }
                }
                LogRead::Done { reason, done_id } => {
                    let mut data = serde_json::json!({ "reason": reason.as_str() });
                    if let super::streams::DoneReason::Error(e) = &reason {
                        data["error"] = serde_json::Value::from(e.as_str());
                    }
                    c.pending.push_back(Event::new(
                        OutgoingEvent::new(data.to_string())
                            .event("done")
                            .id(done_id.to_string()),
                    ));
                    c.finished = true;
                }
                LogRead::Gap { first_retained } => {
                    let data = serde_json::json!({
                        "error": format!("this client fell behind: tokens {}..{first_retained} were dropped from retention", c.next),
                    });
                    c.pending.push_back(Event::new(
                        OutgoingEvent::new(data.to_string()).event("error"),
                    ));
                    c.finished = true;
                }
            }
        }
    })
}

fn token_event(index: u64, text: &str) -> Item {
    let data = serde_json::json!({ "index": index, "text": text });
    Event::new(
        OutgoingEvent::new(data.to_string())
            .event("token")
            .id(index.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_index_reads_header_then_query() {
        let mut h = HeaderMap::new();
        assert_eq!(resume_index(&h, None), Ok(0));
        assert_eq!(resume_index(&h, Some("lastEventId=4")), Ok(5));
        h.insert("last-event-id", "9".parse().unwrap());
        assert_eq!(resume_index(&h, Some("lastEventId=4")), Ok(10));
        h.insert("last-event-id", "x".parse().unwrap());
        assert!(resume_index(&h, None).is_err());
        h.insert("last-event-id", u64::MAX.to_string().parse().unwrap());
        assert!(resume_index(&h, None).is_err());
    }

    #[test]
    fn prompt_errors_say_what_is_wrong() {
        assert!(parse_prompt(b"{").unwrap_err().contains("must be JSON"));
        assert!(parse_prompt(br#"{"prompt":"  "}"#)
            .unwrap_err()
            .contains("empty"));
        assert_eq!(parse_prompt(br#"{"prompt":"hi"}"#).unwrap(), "hi");
    }
}
