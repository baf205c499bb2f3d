//! [`Sse`]: a `text/event-stream` response of [`Event`]s checked when built.

use crate::sse::{keep_alive, EncodeError, Outgoing, OutgoingEvent, SseEncoder, RESPONSE_HEADERS};
use crate::Utf8Bytes;
use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use axum_core::BoxError;
use bytes::Bytes;
use futures_core::Stream;
use http::{header, HeaderName, HeaderValue, StatusCode};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// A handler that fails to build an [`Event`] answers `500 Internal Server
/// Error` with the reason, before any event was sent.
impl IntoResponse for EncodeError {
    fn into_response(self) -> Response {
        let mut resp = Response::new(Body::from(format!("{self}\n")));
        *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        resp
    }
}

/// One item of an [`Sse`] response (an event, a comment or a `retry`
/// field), checked and encoded when it is built, so sending it cannot fail.
///
/// Built from the [`sse::Outgoing`](crate::sse::Outgoing) types:
/// [`Event::new`] refuses an event type with CR/LF or an id with CR/LF/NUL
/// ([`EncodeError`]) — where axum's `Event` panics; data may hold any text
/// (CR, LF and CRLF become several `data:` lines).
///
/// ```
/// use pushcodec::{integration::axum::Event, sse::{EncodeError, OutgoingEvent}};
/// let ev = Event::new(OutgoingEvent::new("a\nb").event("token").id("7")).unwrap();
/// assert_eq!(ev.as_bytes(), b"event: token\nid: 7\ndata: a\ndata: b\n\n");
/// let bad = Event::new(OutgoingEvent::new("x").id("1\n2"));
/// assert!(matches!(bad, Err(EncodeError::InvalidId { index: 1, .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    wire: Bytes,
}

impl Event {
    /// Checks and encodes an event, comment or retry field.
    ///
    /// ```
    /// use pushcodec::{integration::axum::Event, sse::{Outgoing, OutgoingEvent}};
    /// assert!(Event::new(OutgoingEvent::new("hi")).is_ok());
    /// assert!(Event::new(Outgoing::Comment("note".into())).is_ok());
    /// ```
    pub fn new(item: impl Into<Outgoing>) -> Result<Self, EncodeError> {
        SseEncoder::encode_to_bytes(&item.into()).map(|wire| Event { wire })
    }

    /// A comment line (ignored by `EventSource`); CR/LF inside split it
    /// into several comment lines, so it cannot fail.
    ///
    /// ```
    /// let c = pushcodec::integration::axum::Event::comment("hi");
    /// assert_eq!(c.as_bytes(), b": hi\n");
    /// ```
    pub fn comment(text: impl Into<Utf8Bytes>) -> Self {
        Self::infallible(Outgoing::Comment(text.into()))
    }

    /// A `retry` field: the client's reconnection time, in whole
    /// milliseconds.
    ///
    /// ```
    /// let r = pushcodec::integration::axum::Event::retry(std::time::Duration::from_secs(2));
    /// assert_eq!(r.as_bytes(), b"retry: 2000\n");
    /// ```
    pub fn retry(delay: Duration) -> Self {
        Self::infallible(Outgoing::Retry(delay))
    }

    fn infallible(item: Outgoing) -> Self {
        // The encoder refuses only event types and ids (EncodeError's
        // variants other than Io, which it never produces).
        let wire = SseEncoder::encode_to_bytes(&item).expect("comments and retry always encode");
        Event { wire }
    }

    /// The encoded bytes, as they go on the wire.
    ///
    /// ```
    /// use pushcodec::{integration::axum::Event, sse::OutgoingEvent};
    /// assert_eq!(Event::new(OutgoingEvent::new("x")).unwrap().as_bytes(), b"data: x\n\n");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.wire
    }
}

impl TryFrom<Outgoing> for Event {
    type Error = EncodeError;
    fn try_from(item: Outgoing) -> Result<Self, EncodeError> {
        Event::new(item)
    }
}

impl TryFrom<OutgoingEvent> for Event {
    type Error = EncodeError;
    fn try_from(ev: OutgoingEvent) -> Result<Self, EncodeError> {
        Event::new(ev)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Event {}
    impl<E> Sealed for Result<super::Event, E> {}
}

/// What the stream of an [`Sse`] may yield: [`Event`]s, or
/// `Result<Event, E>` where an `Err` ends the response (hyper then aborts it,
/// and an `EventSource` reconnects).
///
/// ```
/// use pushcodec::integration::axum::{Event, SseStreamItem};
/// fn takes<T: SseStreamItem>() {}
/// takes::<Event>();
/// takes::<Result<Event, std::io::Error>>();
/// ```
pub trait SseStreamItem: sealed::Sealed {
    /// The event, or the error that ends the response.
    ///
    /// ```
    /// use pushcodec::integration::axum::{Event, SseStreamItem};
    /// assert!(Event::comment("hi").into_event().is_ok());
    /// let failed: Result<Event, std::io::Error> = Err(std::io::Error::other("upstream gone"));
    /// assert_eq!(failed.into_event().unwrap_err().to_string(), "upstream gone");
    /// ```
    fn into_event(self) -> Result<Event, BoxError>;
}

impl SseStreamItem for Event {
    fn into_event(self) -> Result<Event, BoxError> {
        Ok(self)
    }
}

impl<E: Into<BoxError>> SseStreamItem for Result<Event, E> {
    fn into_event(self) -> Result<Event, BoxError> {
        self.map_err(Into::into)
    }
}

/// Default keep-alive interval of [`Sse`]: 15 s (HTML §9.2.7 suggests a
/// comment "every 15 seconds or so").
///
/// ```
/// use futures_util::stream;
/// use pushcodec::integration::axum::{Event, Sse, DEFAULT_KEEP_ALIVE};
/// let sse = Sse::new(stream::empty::<Event>());
/// // a comment every DEFAULT_KEEP_ALIVE (15 s) unless changed:
/// let sse = sse.keep_alive(Some(DEFAULT_KEEP_ALIVE * 2));
/// # let _ = sse;
/// ```
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A `text/event-stream` response from a `Stream` of [`Event`]s (or of
/// `Result<Event, E>`), like axum's `response::sse::Sse`.
///
/// * Headers: [`RESPONSE_HEADERS`] (`Content-Type: text/event-stream`,
///   `Cache-Control: no-cache`, `X-Accel-Buffering: no`, so proxies pass
///   events through at once).
/// * Keep-alive: a `: keep-alive` comment after every
///   [`DEFAULT_KEEP_ALIVE`] (15 s) without an event, unlike axum's, which
///   sends none unless asked; [`keep_alive`](Self::keep_alive) changes or
///   disables it. Needs tokio's time driver (as `axum::serve` has).
/// * One body chunk per event, flushed as it is produced.
///
/// ```
/// use axum::{routing::get, Router};
/// use futures_util::{stream, Stream, StreamExt};
/// use pushcodec::integration::axum::{Event, Sse};
/// use std::time::Duration;
///
/// async fn ticks() -> Sse<impl Stream<Item = Event>> {
///     let ticks = stream::iter(0..3).map(|i| Event::comment(format!("tick {i}")));
///     Sse::new(ticks).keep_alive(Some(Duration::from_secs(5)))
/// }
/// let app: Router = Router::new().route("/ticks", get(ticks));
/// ```
#[must_use]
pub struct Sse<S> {
    events: S,
    keep_alive: Option<Duration>,
}

impl<S> std::fmt::Debug for Sse<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sse")
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

impl<S> Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: SseStreamItem,
{
    /// A response streaming `events`.
    ///
    /// ```
    /// use pushcodec::integration::axum::{Event, Sse};
    /// let sse = Sse::new(futures_util::stream::iter([Event::comment("hi")]));
    /// # drop(sse);
    /// ```
    pub fn new(events: S) -> Self {
        Sse {
            events,
            keep_alive: Some(DEFAULT_KEEP_ALIVE),
        }
    }

    /// Keep-alive comment interval on an idle stream; `None` sends none.
    ///
    /// ```
    /// use pushcodec::integration::axum::{Event, Sse};
    /// let sse = Sse::new(futures_util::stream::empty::<Event>()).keep_alive(None);
    /// # drop(sse);
    /// ```
    pub fn keep_alive(mut self, every: Option<Duration>) -> Self {
        self.keep_alive = every;
        self
    }
}

impl<S> IntoResponse for Sse<S>
where
    S: Stream + Send + 'static,
    S::Item: SseStreamItem,
{
    fn into_response(self) -> Response {
        let body = SseBody {
            events: Box::pin(self.events),
            keep_alive: self.keep_alive.map(|every| KeepAlive {
                every,
                timer: None,
                wire: Event::infallible(keep_alive()).wire,
            }),
            done: false,
        };
        let mut resp = Response::new(Body::from_stream(body));
        for (name, value) in RESPONSE_HEADERS {
            resp.headers_mut().insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        resp
    }
}

struct KeepAlive {
    every: Duration,
    /// Created on the first idle poll.
    timer: Option<Pin<Box<Sleep>>>,
    wire: Bytes,
}

/// The body of an [`Sse`] response: event bytes, keep-alive comments while
/// idle, and the stream's error (which ends it).
struct SseBody<S> {
    events: Pin<Box<S>>,
    keep_alive: Option<KeepAlive>,
    done: bool,
}

impl<S> Stream for SseBody<S>
where
    S: Stream,
    S::Item: SseStreamItem,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match this.events.as_mut().poll_next(cx) {
            Poll::Ready(Some(item)) => {
                if let Some(KeepAlive {
                    every,
                    timer: Some(timer),
                    ..
                }) = &mut this.keep_alive
                {
                    timer.as_mut().reset(Instant::now() + *every);
                }
                let chunk = item.into_event().map(|ev| ev.wire);
                this.done = chunk.is_err();
                Poll::Ready(Some(chunk))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let Some(ka) = &mut this.keep_alive else {
                    return Poll::Pending;
                };
                let every = ka.every;
                let timer = ka
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        timer.as_mut().reset(Instant::now() + every);
                        Poll::Ready(Some(Ok(ka.wire.clone())))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn body_of<S>(sse: Sse<S>) -> impl Stream<Item = Result<Bytes, axum_core::Error>>
    where
        S: Stream + Send + 'static,
        S::Item: SseStreamItem,
    {
        sse.into_response().into_body().into_data_stream()
    }

    #[tokio::test]
    async fn response_has_the_proxy_friendly_headers_and_the_encoded_events() {
        let events = [
            Event::retry(Duration::from_millis(1500)),
            Event::new(OutgoingEvent::new("a\r\nb").event("token").id("1")).unwrap(),
        ];
        let resp = Sse::new(futures_util::stream::iter(events)).into_response();
        assert_eq!(resp.status(), StatusCode::OK);
        for (name, value) in RESPONSE_HEADERS {
            assert_eq!(resp.headers()[name], value, "{name}");
        }
        let chunks: Vec<_> = resp
            .into_body()
            .into_data_stream()
            .map(|c| c.unwrap())
            .collect()
            .await;
        assert_eq!(
            chunks,
            [
                Bytes::from_static(b"retry: 1500\n"),
                Bytes::from_static(b"event: token\nid: 1\ndata: a\ndata: b\n\n"),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn idle_stream_gets_keep_alives_and_an_event_postpones_them() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Event>(1);
        let events =
            futures_util::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|ev| (ev, rx)) },
            );
        let mut body = Box::pin(body_of(
            Sse::new(events).keep_alive(Some(Duration::from_secs(10))),
        ));
        let start = Instant::now();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b": keep-alive\n");
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        tokio::time::sleep(Duration::from_secs(6)).await;
        tx.send(Event::comment("x")).await.unwrap();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b": x\n");
        // The event reset the timer: the next keep-alive is 10 s after it.
        let at = Instant::now();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b": keep-alive\n");
        assert_eq!(at.elapsed(), Duration::from_secs(10));
        drop(tx);
        assert!(body.next().await.is_none());
    }

    #[tokio::test]
    async fn a_stream_error_ends_the_body_with_that_error() {
        let items: Vec<Result<Event, std::io::Error>> = vec![
            Ok(Event::comment("first")),
            Err(std::io::Error::other("upstream failed")),
            Ok(Event::comment("never sent")),
        ];
        let out: Vec<_> = body_of(Sse::new(futures_util::stream::iter(items)).keep_alive(None))
            .collect()
            .await;
        assert_eq!(out.len(), 2);
        assert_eq!(&out[0].as_ref().unwrap()[..], b": first\n");
        assert!(out[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("upstream failed"));
    }

    #[test]
    fn bad_events_are_refused_when_built_and_render_as_500() {
        let err = Event::new(OutgoingEvent::new("x").event("a\rb")).unwrap_err();
        assert!(matches!(
            err,
            EncodeError::InvalidEventType {
                index: 1,
                byte: b'\r'
            }
        ));
        let resp = err.into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let nul = Event::try_from(OutgoingEvent::new("x").id("a\0"));
        assert!(matches!(nul, Err(EncodeError::InvalidId { byte: 0, .. })));
        // Comments with line ends are split, never refused.
        assert_eq!(Event::comment("a\nb").as_bytes(), b": a\n: b\n");
    }
}
