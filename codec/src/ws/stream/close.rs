//! Ending a connection: finishing the closing handshake (§7.1.1–§7.1.3),
//! failing it (§7.1.7), giving it up when `close_timeout` passes, and the
//! `Sink`'s `poll_close`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite};

use super::core::{Core, READ_CHUNK};
use super::phase::Phase;
use super::ready;
use super::split::WRITER;
use crate::ws::error::Error;

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
    /// `BrokenPipe`, `ConnectionReset` or `NotConnected` once the peer's
    /// Close was received: the peer hung up after closing (a server may,
    /// RFC 6455 §7.1.1), so failing to echo or shut down is a clean end.
    fn is_hang_up_after_close(&self, e: &Error) -> bool {
        matches!(self.phase, Phase::ClosingByPeer(_))
            && matches!(e, Error::Io(e) if matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset | io::ErrorKind::NotConnected
            ))
    }

    /// Gives the connection up: drops everything queued, shuts the
    /// transport down if that completes at once, and ends the connection
    /// (a `Failing` phase's error is dropped: callers hand out their own).
    pub(super) fn abandon(&mut self) {
        self.out.clear();
        if !self.phase.shut_down() {
            let mut cx = Context::from_waker(&self.io_waker);
            let _ = Pin::new(&mut self.io).poll_shutdown(&mut cx);
        }
        self.phase.close();
        self.rbuf = BytesMut::new();
    }

    /// Writes what is queued (our Close last), flushes, and shuts the
    /// transport's write side down (once).
    pub(super) fn poll_shutdown(&mut self) -> Poll<Result<(), Error>> {
        ready!(self.poll_flush_all())?;
        if !self.phase.shut_down() {
            let mut cx = Context::from_waker(&self.io_waker);
            ready!(Pin::new(&mut self.io).poll_shutdown(&mut cx))?;
            self.phase.mark_shut_down();
        }
        Poll::Ready(Ok(()))
    }

    /// `ClosingByPeer`: answer (if not yet) and shut down, bounded by the
    /// close timeout (armed when the Close arrived, so also while a large
    /// frame ahead of the answer cannot be written). Then `Closed`.
    pub(super) fn poll_finish_close(&mut self) -> Poll<Result<(), Error>> {
        let r = match self.poll_shutdown() {
            Poll::Ready(Err(e)) if self.is_hang_up_after_close(&e) => Ok(()),
            Poll::Ready(r) => r,
            Poll::Pending if self.poll_close_timeout() => {
                self.abandon();
                Ok(())
            }
            Poll::Pending => return Poll::Pending,
        };
        self.abandon();
        Poll::Ready(r)
    }

    /// `Failing`: send the Close for the error and shut our side down, then
    /// discard input until the peer closes (closing a socket with unread
    /// input makes the kernel send a reset, and the peer may then never
    /// see our Close); bounded by `close_timeout`. Then the error.
    pub(super) fn poll_failing(&mut self, cx: &mut Context<'_>) -> Poll<Option<Error>> {
        let done = match self.poll_shutdown() {
            Poll::Ready(_) => self.poll_drain(cx).is_ready(),
            Poll::Pending => false,
        };
        if !done && !self.poll_close_timeout() {
            return Poll::Pending;
        }
        let e = self.phase.close();
        self.abandon();
        Poll::Ready(e)
    }

    /// Reads and discards input until EOF or a read error. Yields (wakes
    /// itself, returns `Pending`) every few reads so a peer that keeps
    /// sending cannot hold the task, and the close timeout gets checked.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        for _ in 0..16 {
            self.rbuf.clear();
            if self.rbuf.capacity() < READ_CHUNK {
                self.rbuf.reserve(READ_CHUNK);
            }
            match ready!(self.poll_read_some()) {
                Ok(0) | Err(_) => return Poll::Ready(()),
                Ok(_) => {}
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// `Pending`, or `CloseTimeout` (giving the connection up) once the
    /// close timeout has passed.
    fn pending_or_timeout(&mut self) -> Poll<Result<(), Error>> {
        if self.poll_close_timeout() {
            self.abandon();
            return Poll::Ready(Err(self.close_timeout_error()));
        }
        Poll::Pending
    }

    /// `Sink::poll_close`: everything accepted, then our Close (1000), then
    /// the peer's Close, then shut down; bounded by `close_timeout`.
    /// Without a reader half, reads (and discards data messages) itself;
    /// with one, waits for it to see the peer's Close.
    pub(super) fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.register_writer(cx);
        self.start_closing(Self::normal_close());
        loop {
            match self.phase {
                Phase::Closed => return Poll::Ready(Ok(())),
                Phase::ClosingByPeer(_) => return self.poll_finish_close(),
                Phase::Failing { .. } if self.reader_alive => {
                    // The reader hands the error out; we only wait.
                    ready!(self.pending_or_timeout())?;
                    self.fanout.register(WRITER, cx.waker());
                    return Poll::Pending;
                }
                Phase::Failing { .. } => {
                    return match ready!(self.poll_failing(cx)) {
                        Some(e) => Poll::Ready(Err(e)),
                        None => Poll::Ready(Ok(())),
                    };
                }
                Phase::Open | Phase::ClosingByUs(_) => {}
            }
            match self.poll_flush_all() {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => {
                    self.abandon();
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => return self.pending_or_timeout(),
            }
            if self.reader_alive {
                ready!(self.pending_or_timeout())?;
                self.fanout.register(WRITER, cx.waker());
                return Poll::Pending;
            }
            // Data messages are discarded; the peer's Close moves the phase.
            if let Some(Err(e)) = ready!(self.poll_next_msg(cx)) {
                return Poll::Ready(Err(e));
            }
        }
    }

    /// Wakes both halves (a writer waiting in `close()` must now read by
    /// itself).
    pub(super) fn wake_all(&self) {
        std::task::Wake::wake_by_ref(&self.fanout);
    }
}
