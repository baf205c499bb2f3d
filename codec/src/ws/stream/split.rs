//! The split halves: [`WebSocketReader`] (`Stream`) and
//! [`WebSocketWriter`] (`Sink<Message>`), sharing one [`Core`] behind a
//! mutex held only while polling, and the waker fan-out that lets both
//! poll the same transport.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};

use super::core::Core;
use crate::ws::error::Error;
use crate::ws::message::Message;

pub(super) const READER: usize = 0;
pub(super) const WRITER: usize = 1;

/// Wakes every task waiting on the connection: the reader half and the
/// writer half poll the same transport (the reader writes pongs, the writer
/// may read while closing), and a transport keeps only one waker per
/// direction, so the transport is always polled with this waker.
#[derive(Default)]
pub(crate) struct Fanout {
    slots: Mutex<[Option<Waker>; 2]>,
}

impl Fanout {
    pub(super) fn register(&self, side: usize, w: &Waker) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match &mut slots[side] {
            Some(old) if old.will_wake(w) => {}
            slot => *slot = Some(w.clone()),
        }
    }
}

impl Wake for Fanout {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        let taken = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            [slots[0].take(), slots[1].take()]
        };
        for w in taken.into_iter().flatten() {
            w.wake();
        }
    }
}

fn lock<S>(m: &Mutex<Core<S>>) -> std::sync::MutexGuard<'_, Core<S>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The reading half of a split [`WebSocketStream`](super::WebSocketStream): a `Stream` of messages.
///
/// ```
/// # async fn demo(ws: pushcodec::ws::WebSocketStream<tokio::io::DuplexStream>) {
/// use futures_util::StreamExt;
/// let (mut reader, _writer) = ws.split();
/// let _first = reader.next().await;
/// # }
/// ```
pub struct WebSocketReader<S> {
    pub(super) shared: Arc<Mutex<Core<S>>>,
}

/// The writing half of a split [`WebSocketStream`](super::WebSocketStream): a `Sink<Message>`.
///
/// ```
/// # async fn demo(ws: pushcodec::ws::WebSocketStream<tokio::io::DuplexStream>) {
/// use futures_util::SinkExt;
/// let (_reader, mut writer) = ws.split();
/// writer.send(pushcodec::ws::Message::text("hello")).await.unwrap();
/// # }
/// ```
pub struct WebSocketWriter<S> {
    pub(super) shared: Arc<Mutex<Core<S>>>,
}

impl<S> std::fmt::Debug for WebSocketReader<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketReader").finish_non_exhaustive()
    }
}

impl<S> std::fmt::Debug for WebSocketWriter<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketWriter").finish_non_exhaustive()
    }
}

impl<S> Drop for WebSocketReader<S> {
    fn drop(&mut self) {
        let mut core = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        core.reader_alive = false;
        // A writer waiting in close() must now read by itself.
        Arc::clone(&core.fanout).wake_by_ref();
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketReader<S> {
    type Item = Result<Message, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        lock(&self.shared).poll_next_msg(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketWriter<S> {
    type Error = Error;
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.shared).poll_ready(cx)
    }
    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        lock(&self.shared).start_send(item)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.shared).poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.shared).poll_close(cx)
    }
}
