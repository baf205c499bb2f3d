//! [`body_stream`]: turns a `Stream` of [`Outgoing`] items into an HTTP body
//! stream (`Stream<Item = Result<Bytes, EncodeError>>`), as hyper's
//! `StreamBody` or axum's `Body::from_stream` take, with optional keep-alive
//! comments on an idle stream (§9.2.7).

use super::encoder::SseEncoder;
use super::error::EncodeError;
use super::event::Outgoing;
use bytes::Bytes;
use futures_core::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The bytes of [`keep_alive()`](super::keep_alive), encoded.
const KEEP_ALIVE: &[u8] = b": keep-alive\n";

/// Turns `events` into an HTTP body stream: one `Bytes` chunk per item, and,
/// if `keep_alive_every` is set, a `: keep-alive` comment whenever that long
/// passed without an item (§9.2.7 suggests one every 15 s or so).
///
/// Send the [`RESPONSE_HEADERS`](super::RESPONSE_HEADERS) with it
/// (`Content-Type: text/event-stream`, `Cache-Control: no-cache`,
/// `X-Accel-Buffering: no`).
///
/// The stream is `Send` when `St` is. An item that cannot be encoded (see
/// [`EncodeError`]) is yielded as `Err` and ends the stream, which makes
/// hyper abort the response rather than send a corrupt event. The keep-alive
/// timer needs a tokio runtime with the time driver (it is created on first
/// poll, only if `keep_alive_every` is set).
///
/// ```
/// use futures_util::{stream, StreamExt};
/// use pushcodec::sse::{body_stream, OutgoingEvent};
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let events = stream::iter([OutgoingEvent::new("hi").into()]);
/// let body = body_stream(events, Some(Duration::from_secs(15)));
/// let chunks: Vec<_> = body.collect().await;
/// assert_eq!(&chunks[0].as_ref().unwrap()[..], b"data: hi\n\n");
/// // axum: Body::from_stream(body); hyper: StreamBody::new(body.map(|r| r.map(Frame::data)))
/// # });
/// ```
pub fn body_stream<St>(events: St, keep_alive_every: Option<Duration>) -> BodyStream<St>
where
    St: Stream<Item = Outgoing>,
{
    BodyStream {
        events: Box::pin(events),
        keep_alive_every,
        timer: None,
        done: false,
    }
}

/// The stream returned by [`body_stream`].
///
/// ```
/// use futures_util::stream;
/// use pushcodec::sse::{body_stream, BodyStream, Outgoing};
/// let body: BodyStream<_> = body_stream(stream::empty::<Outgoing>(), None);
/// # let _ = body;
/// ```
pub struct BodyStream<St> {
    events: Pin<Box<St>>,
    keep_alive_every: Option<Duration>,
    timer: Option<Pin<Box<Sleep>>>,
    done: bool,
}

impl<St> std::fmt::Debug for BodyStream<St> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyStream")
            .field("keep_alive_every", &self.keep_alive_every)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<St: Stream<Item = Outgoing>> Stream for BodyStream<St> {
    type Item = Result<Bytes, EncodeError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match this.events.as_mut().poll_next(cx) {
            Poll::Ready(Some(item)) => {
                if let (Some(every), Some(timer)) = (this.keep_alive_every, this.timer.as_mut()) {
                    timer.as_mut().reset(Instant::now() + every);
                }
                let chunk = SseEncoder::encode_to_bytes(&item);
                this.done = chunk.is_err();
                Poll::Ready(Some(chunk))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let Some(every) = this.keep_alive_every else {
                    return Poll::Pending;
                };
                let timer = this
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        timer.as_mut().reset(Instant::now() + every);
                        Poll::Ready(Some(Ok(Bytes::from_static(KEEP_ALIVE))))
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
    use crate::sse::{keep_alive, OutgoingEvent};
    use futures_util::StreamExt;

    #[test]
    fn keep_alive_bytes_are_the_encoded_keep_alive_comment() {
        assert_eq!(
            &SseEncoder::encode_to_bytes(&keep_alive()).unwrap()[..],
            KEEP_ALIVE
        );
    }

    #[test]
    fn body_stream_is_send_when_the_event_stream_is() {
        fn assert_send<T: Send>(_: &T) {}
        let body = body_stream(futures_util::stream::pending::<Outgoing>(), None);
        assert_send(&body);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_stream_gets_keep_alive_comments() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Outgoing>(4);
        let events = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        let mut body = body_stream(events, Some(Duration::from_secs(15)));
        // Nothing for 15 s: a keep-alive.
        let first = body.next().await.unwrap().unwrap();
        assert_eq!(&first[..], KEEP_ALIVE);
        tx.send(OutgoingEvent::new("x").into()).await.unwrap();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"data: x\n\n");
        drop(tx);
        assert!(body.next().await.is_none());
    }

    #[tokio::test]
    async fn encode_error_is_yielded_and_ends_the_body() {
        let items = vec![
            Outgoing::from(OutgoingEvent::new("a")),
            OutgoingEvent::new("b").id("\0").into(),
            OutgoingEvent::new("c").into(),
        ];
        let out: Vec<_> = body_stream(futures_util::stream::iter(items), None)
            .collect()
            .await;
        assert_eq!(out.len(), 2);
        assert!(out[0].is_ok());
        assert!(matches!(out[1], Err(EncodeError::InvalidId { .. })));
    }
}
