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
//! data: {"reason":"complete"}       (or "stopped", "abandoned", "shutdown", "error")
//! ```
//!
//! A token's `id:` is its index, so a reconnect's `Last-Event-ID: n` resumes
//! at token `n + 1`. The `done` event's id is the token count: a reconnect
//! after it gets `204 No Content`, which tells `EventSource` to stop
//! reconnecting (WHATWG HTML §9.2.3). With the Redis store any instance
//! serves any stream.
//!
//! The generation runs in its own task ([`generate`]), apart from the
//! responses: a subscriber that goes away or is slow does not hold it up.

use super::limits::{client_ip, too_many, ClientAddr, GenerationPermit};
use super::store::{
    AppendOutcome, DoneReason, Follower, LogRead, Producer, StopOutcome, StoreError, StoredToken,
    StreamStore,
};
use super::{json_error, AppState, Shutdown};
use crate::tokens::TokenStream;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Response};
use futures_util::{stream, Stream, StreamExt};
use http::{HeaderMap, StatusCode};
use pushcodec::integration::axum::{Event, Sse};
use pushcodec::sse::{EncodeError, OutgoingEvent};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// `POST /api/streams` with `{"prompt": "..."}`.
pub(super) async fn create<S: StreamStore>(
    State(app): State<AppState<S>>,
    ConnectInfo(ClientAddr(peer)): ConnectInfo<ClientAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if app.shutdown.is_draining() {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "this instance is shutting down",
        );
    }
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
    let ip = client_ip(app.config.client_ip_header.as_deref(), &headers, peer);
    let permit = match app.limits.acquire(ip) {
        Ok(p) => p,
        Err(e) => {
            app.metrics.rejected.fetch_add(1, Ordering::Relaxed);
            return too_many(
                &e,
                app.limits.retry_after(),
                serde_json::json!({ "error": e.to_string() }),
            );
        }
    };
    let id = super::store::new_stream_id();
    let producer = match app.store.create(&id).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("creating a stream: {e}");
            return json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
        }
    };
    tracing::debug!(stream = %id, "sse generation starts");
    app.shutdown.spawn(generate(
        producer,
        app.source.start(&prompt),
        app.shutdown.clone(),
        permit,
    ));
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({
            "id": id,
            "events": format!("/api/streams/{id}/events"),
            "stop": format!("/api/streams/{id}/stop"),
        })),
    )
        .into_response()
}

enum Step {
    Ended(DoneReason),
    Token(String),
}

/// Runs one SSE generation: tokens from the source into the store, until
/// the source ends, a stop arrives (from any instance), the stream is
/// abandoned, the store fails, or the shutdown deadline passes.
pub(super) async fn generate<P: Producer>(
    mut producer: P,
    mut tokens: TokenStream,
    shutdown: Shutdown,
    _permit: GenerationPermit,
) {
    let reason = loop {
        let step = tokio::select! {
            biased;
            r = producer.ended() => Step::Ended(r),
            _ = shutdown.deadline() => Step::Ended(DoneReason::Shutdown),
            next = tokens.next() => match next {
                Some(Ok(t)) => Step::Token(t),
                Some(Err(e)) => Step::Ended(DoneReason::Error(e.to_string())),
                None => Step::Ended(DoneReason::Complete),
            },
        };
        match step {
            Step::Ended(r) => break r,
            Step::Token(t) => match producer.append(t).await {
                // A source that is always ready (no delay) must not hold the
                // worker thread: yield when the task's budget is spent.
                Ok(AppendOutcome::Appended) => tokio::task::consume_budget().await,
                Ok(AppendOutcome::Ended(r)) => break r,
                Err(e) => break DoneReason::Error(e.to_string()),
            },
        }
    };
    // Dropping the token stream cancels the source (timer or upstream request).
    drop(tokens);
    tracing::debug!(reason = reason.as_str(), "sse generation ends");
    producer.finish(reason).await;
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
pub(super) async fn stop<S: StreamStore>(
    State(app): State<AppState<S>>,
    Path(id): Path<String>,
) -> Response {
    app.metrics.stops.fetch_add(1, Ordering::Relaxed);
    let outcome = match app.store.stop(&id).await {
        Ok(o) => o,
        Err(e) => return json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let stopping = match outcome {
        StopOutcome::NotFound => {
            return json_error(StatusCode::NOT_FOUND, format!("no stream with id {id:?}"))
        }
        StopOutcome::Stopping => true,
        StopOutcome::AlreadyFinished => false,
    };
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

fn unavailable(e: StoreError) -> Response {
    json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
}

/// `GET /api/streams/{id}/events`.
pub(super) async fn events<S: StreamStore>(
    State(app): State<AppState<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: http::Uri,
) -> Response {
    let next = match resume_index(&headers, uri.query()) {
        Ok(n) => n,
        Err(why) => return json_error(StatusCode::BAD_REQUEST, why),
    };
    if app.shutdown.is_draining() && app.store.shared() {
        // Another instance serves this stream from the shared store: a 503
        // makes the proxy retry there at once (a response begun here would
        // be ended at once, for one more reconnect). With the memory store
        // the stream lives only here, so it is still served.
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "this instance is shutting down",
        );
    }
    if next > 0 {
        app.metrics.resumes.fetch_add(1, Ordering::Relaxed);
    }
    let info = match app.store.info(&id).await {
        Ok(Some(i)) => i,
        Ok(None) => return json_error(StatusCode::NOT_FOUND, format!("no stream with id {id:?}")),
        Err(e) => return unavailable(e),
    };
    let (produced, finished) = (info.produced, info.done.is_some());
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
    if next < info.first_retained {
        return json_error(
            StatusCode::GONE,
            format!(
                "tokens {next}..{} are no longer retained; start a new stream",
                info.first_retained
            ),
        );
    }
    let follower = match app.store.follow(&id, next).await {
        Ok(Some(f)) => f,
        Ok(None) => return json_error(StatusCode::NOT_FOUND, format!("no stream with id {id:?}")),
        Err(e) => return unavailable(e),
    };
    let items = stream::iter([Ok(Event::retry(app.config.sse_retry))])
        .chain(subscriber_events(&app, follower));
    Sse::new(items)
        .keep_alive(Some(app.config.keep_alive))
        .into_response()
}

/// An event of the stream; built (and checked) when it is queued, so the
/// response never stops on a bad one halfway (none can be bad here: fixed
/// event types, numeric ids).
type Item = Result<Event, EncodeError>;

/// Counts a connected subscriber (`/api/stats`, `/metrics`).
struct SubscriberCount(Arc<super::metrics::Metrics>);
impl Drop for SubscriberCount {
    fn drop(&mut self) {
        self.0.sse_subscribers.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Cursor<F> {
    follower: F,
    _count: SubscriberCount,
    metrics: Arc<super::metrics::Metrics>,
    batch: Vec<StoredToken>,
    pending: VecDeque<Item>,
    finished: bool,
    shutdown: Shutdown,
    /// End the response when draining (another instance can take over).
    hand_over: bool,
    /// Token events left before a simulated connection drop.
    drop_after: Option<u64>,
}

enum Wake {
    Read(Result<LogRead, StoreError>),
    HandOver,
    Deadline,
}

/// The events of one subscriber, ending after `done`.
fn subscriber_events<S: StreamStore>(
    app: &AppState<S>,
    follower: S::Follower,
) -> impl Stream<Item = Item> + Send + 'static {
    app.metrics.sse_subscribers.fetch_add(1, Ordering::SeqCst);
    let cursor = Cursor {
        follower,
        _count: SubscriberCount(app.metrics.clone()),
        metrics: app.metrics.clone(),
        batch: Vec::new(),
        pending: VecDeque::new(),
        finished: false,
        shutdown: app.shutdown.clone(),
        hand_over: app.store.shared(),
        drop_after: app.config.debug_drop_sse_after,
    };
    stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(item) = c.pending.pop_front() {
                return Some((item, c));
            }
            if c.finished {
                return None;
            }
            c.batch.clear();
            let wake = tokio::select! {
                biased;
                _ = c.shutdown.draining(), if c.hand_over => Wake::HandOver,
                _ = c.shutdown.deadline() => Wake::Deadline,
                r = c.follower.next(&mut c.batch) => Wake::Read(r),
            };
            match wake {
                // End the response cleanly: EventSource reconnects elsewhere.
                Wake::HandOver => return None,
                Wake::Deadline => {
                    c.pending.push_back(done_event(&DoneReason::Shutdown, None));
                    c.finished = true;
                }
                Wake::Read(Ok(LogRead::Tokens)) => {
                    for (i, text) in c.batch.drain(..) {
                        if c.drop_after == Some(0) {
                            // Simulated network drop: end the response mid-stream.
                            c.finished = true;
                            break;
                        }
                        c.drop_after = c.drop_after.map(|n| n - 1);
                        c.pending.push_back(token_event(i, &text));
                    }
                    c.metrics
                        .tokens_sse
                        .fetch_add(c.pending.len() as u64, Ordering::Relaxed);
                }
                Wake::Read(Ok(LogRead::Done { reason, done_id })) => {
                    c.pending.push_back(done_event(&reason, Some(done_id)));
                    c.finished = true;
                }
                Wake::Read(Ok(LogRead::Gap { first_retained })) => {
                    let data = serde_json::json!({
                        "error": format!("this client fell behind: tokens before {first_retained} were dropped from retention"),
                    });
                    c.pending.push_back(Event::new(
                        OutgoingEvent::new(data.to_string()).event("error"),
                    ));
                    c.finished = true;
                }
                Wake::Read(Err(e)) => {
                    // Redis went away: say so, then end (a reconnect gets 503
                    // until it is back).
                    tracing::warn!("sse subscriber: {e}");
                    let data = serde_json::json!({ "error": e.to_string() });
                    c.pending.push_back(Event::new(
                        OutgoingEvent::new(data.to_string()).event("error"),
                    ));
                    c.pending
                        .push_back(done_event(&DoneReason::Error(e.to_string()), None));
                    c.finished = true;
                }
            }
        }
    })
}

fn done_event(reason: &DoneReason, id: Option<u64>) -> Item {
    let mut data = serde_json::json!({ "reason": reason.as_str() });
    if let Some(e) = reason.message() {
        data["error"] = serde_json::Value::from(e);
    }
    let ev = OutgoingEvent::new(data.to_string()).event("done");
    Event::new(match id {
        Some(id) => ev.id(id.to_string()),
        None => ev,
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
