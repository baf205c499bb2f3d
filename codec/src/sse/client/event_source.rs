//! [`EventSource`]: a `Stream` of [`SseItem`]s from an HTTP event stream,
//! with the browser's reconnect behaviour (HTML §9.2.2, §9.2.3).
//!
//! ```text
//!        ┌──────────── retry delay elapsed ─────────────┐
//!        ▼                                              │
//!   Connecting ──200 text/event-stream──▶ Open ──lost──▶ Waiting
//!        │  │                              │  (EOF, reset, read_timeout;
//!        │  └─network error, timeout───────┼──▶ Waiting  reconnect on, limit not hit)
//!        ├─204──────────────────▶ Closed (stream ends)
//!        └─other status, wrong Content-Type, TLS refused ──▶ Closed (Err, then end)
//! ```
//!
//! The body goes through one [`SseDecoder`] for the life of the stream: at
//! each loss `decode_eof` discards the partial event (§9.2.6 "If the file
//! ends in the middle of an event … the incomplete event is not
//! dispatched") and keeps the last event ID, which the reconnect sends as
//! `Last-Event-ID`.

use super::builder::EventSourceBuilder;
use super::error::{tls_error, BuildError, Error, TransportError};
use super::reconnect::{AfterLoss, Reconnect};
use super::redirect::{self, MAX_REDIRECTS};
use super::transport::Client;
use super::MAX_ERROR_BODY;
use crate::sse::{SseDecoder, SseItem};
use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::Full;
use hyper::body::{Body as _, Incoming};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};
use tokio_util::codec::Decoder;

/// Default `connect_timeout`: 10 s.
///
/// ```
/// use pushcodec::sse::client::{EventSource, DEFAULT_CONNECT_TIMEOUT};
/// // A tighter bound for a server on the same network:
/// let es = EventSource::builder("http://127.0.0.1:8001/events")
///     .connect_timeout(DEFAULT_CONNECT_TIMEOUT / 5);
/// # drop(es);
/// ```
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `read_timeout`: 5 minutes. Long enough for a model that thinks
/// before its first token on an API that sends no keep-alives; an SSE
/// server that sends keep-alive comments (every 15 s or so) is better
/// served by a shorter one.
///
/// ```
/// use pushcodec::sse::client::EventSource;
/// use std::time::Duration;
/// // The server sends a keep-alive comment every 15 s: 3 missed ones mean it is gone.
/// let es = EventSource::builder("http://127.0.0.1:8001/events")
///     .read_timeout(Some(Duration::from_secs(45)));
/// # drop(es);
/// ```
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(300);

/// The connection state, as `EventSource.readyState` (HTML §9.2.2).
///
/// ```
/// use pushcodec::sse::client::{EventSource, ReadyState};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let es = EventSource::new("http://127.0.0.1:9/events").unwrap();
/// assert_eq!(es.ready_state(), ReadyState::Connecting);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadyState {
    /// Not connected yet, or waiting to reconnect.
    Connecting,
    /// Connected and dispatching events.
    Open,
    /// Ended: no reconnect will follow.
    Closed,
}

/// An `EventSource`: connects to an event stream and yields what it
/// dispatches, reconnecting as a browser does.
///
/// * Items are the decoder's [`SseItem`]s: events, `retry` fields and, if
///   [`emit_comments`](EventSourceBuilder::emit_comments) is on, comments.
/// * A lost connection (network error, the server ending the response,
///   `read_timeout`) is reconnected after the reconnection time — the
///   server's `retry`, with exponential backoff, jitter and a cap while
///   attempts keep failing (see [`ReconnectState`](crate::sse::ReconnectState)) — sending
///   `Last-Event-ID`. Reconnects are not items; they show in
///   [`ready_state`](Self::ready_state), [`reconnects`](Self::reconnects)
///   and `tracing` events (target `pushcodec::sse::client`).
/// * Redirects are followed (at most [`MAX_REDIRECTS`] per attempt; a
///   cross-origin one drops `Authorization`; 303 turns a POST into a GET).
/// * `204 No Content` ends the stream (`None`).
/// * Another status, a `Content-Type` other than `text/event-stream`, a
///   TLS failure or a decoder limit end it with an [`Error`] (then `None`).
/// * A request with a method other than GET (a POST to an LLM API) is not
///   reconnected unless [`reconnect(true)`](EventSourceBuilder::reconnect):
///   repeating it would run the generation again. Its end is then `None`
///   for a clean end of the body, [`Error::Transport`] for a broken one.
/// * `max_retries` bounds the reconnects in a row that bring no event
///   ([`Error::RetryLimit`]); unlimited by default, as in a browser.
///
/// Memory is bounded: the read buffer holds at most the decoder's
/// `max_line_length` plus one body chunk, the decoder at most
/// `max_event_size`, an error body [`MAX_ERROR_BODY`] bytes.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use pushcodec::sse::{client::EventSource, SseItem};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let mut events = EventSource::builder("https://stream.example/events")
///     .bearer_auth("token")
///     .build()?;
/// while let Some(item) = events.next().await {
///     if let SseItem::Event(ev) = item? {
///         println!("{} #{}: {}", ev.event_type, ev.last_event_id, ev.data);
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "an EventSource does nothing until it is polled"]
pub struct EventSource {
    client: Client,
    /// The event source's request: every reconnect starts from it.
    request: RequestTemplate,
    /// This attempt's request (after redirects).
    attempt: RequestTemplate,
    redirects: u32,
    reconnect: Reconnect,
    decoder: SseDecoder,
    buf: BytesMut,
    connect_timeout: Duration,
    read_timeout: Option<Duration>,
    phase: Phase,
}

/// What every attempt sends.
#[derive(Debug, Clone)]
pub(super) struct RequestTemplate {
    pub(super) method: Method,
    pub(super) uri: Uri,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
}

type ResponseFuture = Pin<
    Box<dyn Future<Output = Result<Response<Incoming>, hyper_util::client::legacy::Error>> + Send>,
>;

enum Phase {
    /// Not started: the first poll sends the request (so building needs no
    /// runtime).
    Idle,
    Connecting {
        response: ResponseFuture,
        deadline: Pin<Box<Sleep>>,
    },
    /// A non-200 answer: reading the start of its body for the error.
    ReadingErrorBody {
        status: StatusCode,
        body: Incoming,
        collected: Vec<u8>,
        deadline: Pin<Box<Sleep>>,
    },
    Open {
        body: Incoming,
        /// Fires after `read_timeout` without a body frame.
        idle: Option<Pin<Box<Sleep>>>,
        /// Set once the body is over (or broke): the decoder drains what is
        /// buffered with `decode_eof`, then the loss is handled.
        lost: Option<TransportError>,
    },
    Waiting {
        sleep: Pin<Box<Sleep>>,
    },
    Closed,
}

impl Phase {
    fn name(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Connecting { .. } => "connecting",
            Phase::ReadingErrorBody { .. } => "reading error body",
            Phase::Open { .. } => "open",
            Phase::Waiting { .. } => "waiting",
            Phase::Closed => "closed",
        }
    }
}

impl std::fmt::Debug for EventSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSource")
            .field("method", &self.request.method)
            .field("url", &self.request.uri)
            .field("phase", &self.phase.name())
            .field("last_event_id", &self.reconnect.last_event_id())
            .field("reconnects", &self.reconnect.reconnects())
            .finish_non_exhaustive()
    }
}

impl EventSource {
    /// A GET event source for `url` with the defaults.
    ///
    /// ```
    /// let es = pushcodec::sse::client::EventSource::new("https://example.com/events").unwrap();
    /// assert_eq!(es.url().host(), Some("example.com"));
    /// ```
    pub fn new(url: &str) -> Result<Self, BuildError> {
        EventSource::builder(url).build()
    }

    /// A builder for `url` (checked by [`build`](EventSourceBuilder::build)).
    ///
    /// ```
    /// use std::time::Duration;
    /// let es = pushcodec::sse::client::EventSource::builder("http://127.0.0.1:8001/events")
    ///     .header("x-request-id", "42")
    ///     .max_retries(5)
    ///     .read_timeout(Some(Duration::from_secs(60)))
    ///     .build()
    ///     .unwrap();
    /// # drop(es);
    /// ```
    pub fn builder(url: &str) -> EventSourceBuilder {
        EventSourceBuilder::new(url)
    }

    /// The stream of a checked configuration (from the builder).
    pub(super) fn from_parts(
        client: Client,
        request: RequestTemplate,
        reconnect: Reconnect,
        decoder: SseDecoder,
        connect_timeout: Duration,
        read_timeout: Option<Duration>,
    ) -> Self {
        EventSource {
            client,
            reconnect,
            decoder,
            buf: BytesMut::new(),
            attempt: request.clone(),
            request,
            redirects: 0,
            connect_timeout,
            read_timeout,
            phase: Phase::Idle,
        }
    }

    /// The URL requested.
    ///
    /// ```
    /// let es = pushcodec::sse::client::EventSource::new("http://h/e").unwrap();
    /// assert_eq!(es.url().path(), "/e");
    /// ```
    pub fn url(&self) -> &Uri {
        &self.request.uri
    }

    /// The connection state.
    ///
    /// ```
    /// use pushcodec::sse::client::{EventSource, ReadyState};
    /// let mut es = EventSource::new("http://h/e").unwrap();
    /// es.close();
    /// assert_eq!(es.ready_state(), ReadyState::Closed);
    /// ```
    pub fn ready_state(&self) -> ReadyState {
        match self.phase {
            Phase::Open { .. } => ReadyState::Open,
            Phase::Closed => ReadyState::Closed,
            _ => ReadyState::Connecting,
        }
    }

    /// The last event ID string (empty if none): what the next reconnect
    /// sends as `Last-Event-ID`.
    ///
    /// ```
    /// let es = pushcodec::sse::client::EventSource::builder("http://h/e").last_event_id("7").build().unwrap();
    /// assert_eq!(es.last_event_id(), "7");
    /// ```
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id().as_str()
    }

    /// The reconnection time: the server's last `retry`, or the initial one.
    ///
    /// ```
    /// let es = pushcodec::sse::client::EventSource::new("http://h/e").unwrap();
    /// assert_eq!(es.retry(), std::time::Duration::from_secs(3));
    /// ```
    pub fn retry(&self) -> std::time::Duration {
        self.reconnect.retry()
    }

    /// How many times the stream reconnected.
    ///
    /// ```
    /// let es = pushcodec::sse::client::EventSource::new("http://h/e").unwrap();
    /// assert_eq!(es.reconnects(), 0);
    /// ```
    pub fn reconnects(&self) -> u64 {
        self.reconnect.reconnects()
    }

    /// Closes the stream, as `EventSource.close()`: drops the connection,
    /// no reconnect; the stream then yields `None`.
    ///
    /// ```
    /// let mut es = pushcodec::sse::client::EventSource::new("http://h/e").unwrap();
    /// es.close();
    /// ```
    pub fn close(&mut self) {
        self.phase = Phase::Closed;
    }

    /// Starts an attempt.
    fn connect(&mut self) {
        self.attempt = self.request.clone();
        self.redirects = 0;
        self.send();
    }

    /// Sends the current attempt's request (the original, or a redirect's).
    fn send(&mut self) {
        let t = &self.attempt;
        let mut req = Request::new(Full::new(t.body.clone()));
        *req.method_mut() = t.method.clone();
        *req.uri_mut() = t.uri.clone();
        *req.headers_mut() = t.headers.clone();
        if let Some(id) = self.reconnect.last_event_id_header() {
            req.headers_mut()
                .insert(HeaderName::from_static("last-event-id"), id);
        }
        tracing::debug!(target: "pushcodec::sse::client", url = %t.uri, last_event_id = self.reconnect.last_event_id(), "connecting");
        self.phase = Phase::Connecting {
            response: Box::pin(self.client.inner.request(req)),
            deadline: Box::pin(tokio::time::sleep(self.connect_timeout)),
        };
    }

    /// The connection was lost: reconnect later, or end.
    fn lost(&mut self, cause: TransportError) -> Option<Result<SseItem, Error>> {
        let url = &self.request.uri;
        match self.reconnect.lost(cause, self.decoder.last_event_id()) {
            AfterLoss::Wait(delay) => {
                tracing::info!(target: "pushcodec::sse::client", %url, delay_ms = delay.as_millis() as u64, last_event_id = self.reconnect.last_event_id(), "event stream lost; reconnecting");
                self.phase = Phase::Waiting {
                    sleep: Box::pin(tokio::time::sleep(delay)),
                };
                None
            }
            AfterLoss::End => {
                self.phase = Phase::Closed;
                None
            }
            AfterLoss::Fail(e) => self.fail(e),
        }
    }

    fn fail(&mut self, e: Error) -> Option<Result<SseItem, Error>> {
        tracing::debug!(target: "pushcodec::sse::client", url = %self.request.uri, error = %e, "event stream failed");
        self.phase = Phase::Closed;
        Some(Err(e))
    }

    /// The response head arrived.
    fn on_response(&mut self, resp: Response<Incoming>) -> Option<Result<SseItem, Error>> {
        let status = resp.status();
        if status == StatusCode::NO_CONTENT {
            // "a client can be told to stop reconnecting using the HTTP 204
            // No Content response code" (§9.2.5 note).
            tracing::debug!(target: "pushcodec::sse::client", url = %self.request.uri, "204 No Content: stream ended by the server");
            self.phase = Phase::Closed;
            return None;
        }
        if redirect::is_redirect(status) && self.redirects < MAX_REDIRECTS {
            let location = resp.headers().get(header::LOCATION);
            return match redirect::follow(&self.attempt, status, location) {
                Ok(next) => {
                    tracing::debug!(target: "pushcodec::sse::client", from = %self.attempt.uri, to = %next.uri, %status, "following redirect");
                    self.attempt = next;
                    self.redirects += 1;
                    self.send();
                    None
                }
                Err(reason) => self.fail(Error::Redirect {
                    status,
                    location: location.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
                    reason,
                }),
            };
        }
        if redirect::is_redirect(status) {
            return self.fail(Error::Redirect {
                status,
                location: None,
                reason: "too many redirects",
            });
        }
        if status != StatusCode::OK {
            self.phase = Phase::ReadingErrorBody {
                status,
                body: resp.into_body(),
                collected: Vec::new(),
                deadline: Box::pin(tokio::time::sleep(self.connect_timeout)),
            };
            return None;
        }
        let content_type = resp.headers().get(header::CONTENT_TYPE);
        if !content_type.is_some_and(is_event_stream) {
            return self.fail(Error::ContentType {
                content_type: content_type
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            });
        }
        self.phase = Phase::Open {
            body: resp.into_body(),
            idle: self.read_timeout.map(|t| Box::pin(tokio::time::sleep(t))),
            lost: None,
        };
        None
    }
}

/// `Content-Type` whose MIME type essence is `text/event-stream`
/// (parameters such as `charset` allowed; §9.2.2 step 15.3).
fn is_event_stream(value: &HeaderValue) -> bool {
    let essence = value
        .as_bytes()
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default();
    essence
        .trim_ascii()
        .eq_ignore_ascii_case(b"text/event-stream")
}

impl Stream for EventSource {
    type Item = Result<SseItem, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let out = match &mut this.phase {
                Phase::Closed => return Poll::Ready(None),
                Phase::Idle => {
                    this.connect();
                    None
                }
                Phase::Waiting { sleep } => {
                    std::task::ready!(sleep.as_mut().poll(cx));
                    this.connect();
                    None
                }
                Phase::Connecting { response, deadline } => match response.as_mut().poll(cx) {
                    Poll::Ready(Ok(resp)) => this.on_response(resp),
                    Poll::Ready(Err(e)) => match tls_error(&e) {
                        Some(tls) => this.fail(Error::Tls(tls)),
                        None => this.lost(TransportError::Request(e)),
                    },
                    Poll::Pending => {
                        std::task::ready!(deadline.as_mut().poll(cx));
                        let after = this.connect_timeout;
                        this.lost(TransportError::ConnectTimeout { after })
                    }
                },
                Phase::ReadingErrorBody {
                    status,
                    body,
                    collected,
                    deadline,
                } => {
                    let done = match Pin::new(&mut *body).poll_frame(cx) {
                        Poll::Ready(Some(Ok(frame))) => {
                            if let Some(data) = frame.data_ref() {
                                let room = MAX_ERROR_BODY - collected.len();
                                collected.extend_from_slice(&data[..data.len().min(room)]);
                            }
                            collected.len() >= MAX_ERROR_BODY
                        }
                        Poll::Ready(_) => true,
                        Poll::Pending => {
                            std::task::ready!(deadline.as_mut().poll(cx));
                            true
                        }
                    };
                    if done {
                        let status = *status;
                        let body = String::from_utf8_lossy(collected).into_owned();
                        this.fail(Error::Status { status, body })
                    } else {
                        None
                    }
                }
                Phase::Open { body, idle, lost } => {
                    // Items already buffered first; after a loss, drain with
                    // decode_eof (which drops the unterminated event).
                    let decoded = if lost.is_some() {
                        this.decoder.decode_eof(&mut this.buf)
                    } else {
                        this.decoder.decode(&mut this.buf)
                    };
                    match decoded {
                        Ok(Some(item)) => {
                            this.reconnect.observe(&item);
                            return Poll::Ready(Some(Ok(item)));
                        }
                        Err(e) => this.fail(Error::Decode(e)),
                        Ok(None) => {
                            if let Some(cause) = lost.take() {
                                this.lost(cause)
                            } else {
                                match Pin::new(&mut *body).poll_frame(cx) {
                                    Poll::Ready(Some(Ok(frame))) => {
                                        if let (Some(timer), Some(t)) =
                                            (idle.as_mut(), this.read_timeout)
                                        {
                                            timer.as_mut().reset(Instant::now() + t);
                                        }
                                        if let Ok(data) = frame.into_data() {
                                            this.buf.extend_from_slice(&data);
                                        }
                                    }
                                    Poll::Ready(Some(Err(e))) => {
                                        *lost = Some(TransportError::Body(e))
                                    }
                                    Poll::Ready(None) => *lost = Some(TransportError::Closed),
                                    Poll::Pending => {
                                        let Some(timer) = idle.as_mut() else {
                                            return Poll::Pending;
                                        };
                                        std::task::ready!(timer.as_mut().poll(cx));
                                        let after = this.read_timeout.unwrap_or_default();
                                        *lost = Some(TransportError::ReadTimeout { after });
                                    }
                                }
                                None
                            }
                        }
                    }
                }
            };
            if let Some(item) = out {
                return Poll::Ready(Some(item));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_essence_is_compared_case_insensitively_with_parameters() {
        for ok in [
            "text/event-stream",
            "Text/Event-Stream",
            "text/event-stream; charset=utf-8",
            " text/event-stream ;x=y",
        ] {
            assert!(is_event_stream(&HeaderValue::from_static(ok)), "{ok}");
        }
        for bad in [
            "text/html",
            "text/event-streams",
            "application/json",
            "",
            "text/plain; text/event-stream",
        ] {
            assert!(!is_event_stream(&HeaderValue::from_static(bad)), "{bad}");
        }
    }

    #[test]
    fn defaults_follow_the_method_and_urls_are_checked() {
        let get = EventSource::new("http://127.0.0.1:1/").unwrap();
        assert!(get.reconnect.enabled());
        let post = EventSource::builder("https://h/x")
            .method(Method::POST)
            .build()
            .unwrap();
        assert!(!post.reconnect.enabled());
        let post = EventSource::builder("https://h/x")
            .method(Method::POST)
            .reconnect(true)
            .build()
            .unwrap();
        assert!(post.reconnect.enabled());
        assert_eq!(post.request.headers[header::ACCEPT], "text/event-stream");
        for bad in ["/relative", "ws://h/", "http://", "not a url"] {
            assert!(
                matches!(EventSource::new(bad), Err(BuildError::Url { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_stream_is_send_and_unpin() {
        fn check<T: Send + Unpin + 'static>() {}
        check::<EventSource>();
    }
}
