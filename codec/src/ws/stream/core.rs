//! The connection's state ([`Core`]) and the read path: decode what is
//! buffered, answer control frames, read more, and drive the deadlines.
//!
//! Read-buffer policy (bounded by construction):
//! * a read asks for at most [`MAX_READ`] bytes, into at least
//!   [`READ_CHUNK`] of free space; a frame in progress reserves no more
//!   than it still needs (capped per step by the frame codec);
//! * reading pauses while the Pong for a Ping cannot be queued (the write
//!   buffer is full because the peer does not read): the peer's further
//!   frames wait in TCP, not in our memory;
//! * when the buffer is empty and the read would wait, the buffer's
//!   allocation is dropped, so an idle connection holds no read buffer,
//!   and an empty buffer that grew past [`MAX_READ`] (a large frame went
//!   through) is dropped before the next read: a 16 MiB message does not
//!   pin 16 MiB for the rest of the connection.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};

use super::phase::Phase;
use super::split::{Fanout, READER, WRITER};
use super::timer::{Due, Timers};
use super::write::WriteQueue;
use crate::ws::close::{CloseCode, CloseFrame};
use crate::ws::config::WebSocketConfig;
use crate::ws::error::{EofReason, Error};
use crate::ws::extension::deflate::DeflateSlot;
use crate::ws::frame_codec::Role;
use crate::ws::handshake::Negotiated;
use crate::ws::message::Message;
use crate::ws::message_codec::MessageCodec;
use crate::Utf8Bytes;

/// Smallest free space in the read buffer before a read.
pub(super) const READ_CHUNK: usize = 8 << 10;

/// Largest single read; an empty read buffer larger than this is dropped.
pub(super) const MAX_READ: usize = 64 << 10;

/// Connection state shared by the unsplit stream and the two halves.
pub(crate) struct Core<S> {
    pub(super) io: S,
    pub(super) role: Role,
    pub(super) config: WebSocketConfig,
    pub(super) codec: MessageCodec,
    pub(super) phase: Phase,
    pub(super) rbuf: BytesMut,
    /// `rbuf` grew past `MAX_READ`: drop it once empty.
    rbuf_large: bool,
    pub(super) out: WriteQueue,
    pub(super) timers: Timers,
    pub(super) fanout: Arc<Fanout>,
    /// Wakes every task waiting on the connection (see [`Fanout`]); the
    /// transport and the timer are always polled with it.
    pub(super) io_waker: Waker,
    /// A split reader half exists (it reads the peer's Close for a writer
    /// waiting in `close()`).
    pub(super) reader_alive: bool,
    /// This connection's place under the server's `DeflateLimit`, given
    /// back when the connection is dropped.
    _deflate_slot: Option<DeflateSlot>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
    /// Never panics and allocates nothing but the waker fan-out (and, for
    /// a client, the masking-key generator; with permessage-deflate, the
    /// engines' small shells): buffers, zlib states and the timer come
    /// with use.
    pub(super) fn new(
        io: S,
        role: Role,
        config: WebSocketConfig,
        rbuf: BytesMut,
        negotiated: Negotiated,
    ) -> Self {
        let fanout = Arc::new(Fanout::default());
        let (deflate, slot) = negotiated.into_deflate();
        Core {
            io,
            role,
            codec: MessageCodec::with_deflate(role, &config, deflate),
            phase: Phase::Open,
            rbuf,
            rbuf_large: false,
            out: WriteQueue::default(),
            timers: Timers::new(&config),
            io_waker: Waker::from(fanout.clone()),
            fanout,
            config,
            reader_alive: false,
            _deflate_slot: slot,
        }
    }

    pub(super) fn register_writer(&mut self, cx: &Context<'_>) {
        self.fanout.register(WRITER, cx.waker());
        self.timers.ensure(&self.config);
    }

    /// The next message. The state machine of RFC 6455 §7 from the read
    /// side: see [`Phase`].
    pub(super) fn poll_next_msg(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        // First, so that a runtime without the time driver (with a time
        // bound configured) panics at the first poll, whatever the peer
        // sent (one flag check once the timer exists).
        self.timers.ensure(&self.config);
        // Fast path: a message already in the read buffer, and nothing else
        // to do. Returns without registering the waker (a mutex and a waker
        // comparison per message); registration is only needed before a
        // poll that can return `Pending`, which the general path does first.
        if self.phase.is_open()
            && self.out.pong.is_none()
            && self.out.ping.is_none()
            && self.out.buf.is_empty()
        {
            match self.codec.decode_message(&mut self.rbuf) {
                Ok(Some(msg @ (Message::Text(_) | Message::Binary(_)))) => {
                    self.timers.active = true;
                    return Poll::Ready(Some(Ok(msg)));
                }
                Ok(Some(msg)) => {
                    self.fanout.register(READER, cx.waker());
                    return Poll::Ready(Some(Ok(self.on_control(msg, cx))));
                }
                Ok(None) => {}
                Err(e) => self.fail(e.into()),
            }
        }
        self.fanout.register(READER, cx.waker());
        loop {
            match self.phase {
                Phase::Closed => return Poll::Ready(None),
                Phase::Failing { .. } => return self.poll_failing(cx).map(|e| e.map(Err)),
                Phase::ClosingByPeer(_) => {
                    return self.poll_finish_close().map(|r| r.err().map(Err));
                }
                Phase::Open | Phase::ClosingByUs(_) => {}
            }
            // Push out control replies, a queued Close and data the writer
            // queued, without waiting.
            if !self.nothing_to_write() {
                if let Poll::Ready(Err(e)) = self.poll_flush_all() {
                    self.abandon();
                    return Poll::Ready(Some(Err(e)));
                }
            }
            if self.timers.closing() && self.poll_close_timeout() {
                // Our Close (queued or sent) got no answer in time.
                self.abandon();
                return Poll::Ready(Some(Err(self.close_timeout_error())));
            }
            // Reading pauses while a Pong cannot be queued: the peer's
            // next frames (more Pings) wait in TCP, not in our memory.
            if self.out.pong.is_some() {
                match self.poll_timers() {
                    None => return Poll::Pending,
                    Some(due) => match self.on_due(due) {
                        Some(e) => return Poll::Ready(Some(Err(e))),
                        None => continue,
                    },
                }
            }
            match self.codec.decode_message(&mut self.rbuf) {
                Ok(Some(msg)) => {
                    if !msg.is_control() {
                        self.timers.active = true;
                    }
                    return Poll::Ready(Some(Ok(self.on_control(msg, cx))));
                }
                Ok(None) => {}
                Err(e) => {
                    self.fail(e.into());
                    continue;
                }
            }
            if self.rbuf.capacity() > MAX_READ {
                self.rbuf_large = true;
            }
            if let Some(due) = self.poll_timers() {
                match self.on_due(due) {
                    Some(e) => return Poll::Ready(Some(Err(e))),
                    None => continue,
                }
            }
            match self.poll_read_some() {
                Poll::Pending => {
                    if self.rbuf.is_empty() {
                        self.release_idle_buffers();
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Err(e)) => {
                    self.abandon();
                    return Poll::Ready(Some(Err(e.into())));
                }
                Poll::Ready(Ok(0)) => {
                    let reason = self
                        .codec
                        .eof_reason(&self.rbuf)
                        .unwrap_or(EofReason::BeforeClose);
                    self.abandon();
                    return Poll::Ready(Some(Err(Error::UnexpectedEof(reason))));
                }
                Poll::Ready(Ok(_)) => {
                    // Keep-alive: any byte from the peer shows it is there
                    // (a large frame arriving slowly included).
                    self.timers.alive = true;
                }
            }
        }
    }

    /// What a received message sets in motion before it is handed out: a
    /// Ping queues its Pong (replacing an unanswered one, §5.5.3), a Close
    /// moves the phase on (§5.5.1, §7.1.3). Data messages pass through.
    fn on_control(&mut self, msg: Message, cx: &mut Context<'_>) -> Message {
        match &msg {
            Message::Ping(p) => {
                self.out.pong = Some(p.clone());
                let _ = self.poll_flush_all();
            }
            Message::Close(cf) => {
                let echo = cf.as_ref().map(|cf| CloseFrame {
                    code: cf.code,
                    reason: Utf8Bytes::default(),
                });
                self.phase.peer_closed(echo);
                self.timers.arm_close(self.config.close_timeout());
                // Wake a writer waiting in close().
                self.wake_all();
                self.fanout.register(READER, cx.waker());
            }
            _ => {}
        }
        msg
    }

    /// Polls the deadlines; on a passed one, does what it asks (queues a
    /// Ping) and says what it was.
    fn poll_timers(&mut self) -> Option<Due> {
        let mut cx = Context::from_waker(&self.io_waker);
        let due = self.timers.poll_due(&mut cx, &self.config)?;
        if due == Due::Ping {
            self.out.ping = Some(bytes::Bytes::new());
        }
        Some(due)
    }

    /// Acts on a passed deadline: `Some(error)` to hand out at once (the
    /// connection was given up), `None` to go on (the phase may have moved
    /// to `Failing`).
    fn on_due(&mut self, due: Due) -> Option<Error> {
        match due {
            Due::CloseTimeout => {
                self.abandon();
                return Some(self.close_timeout_error());
            }
            Due::KeepAliveTimeout => {
                self.fail(Error::KeepAliveTimeout(self.config.keep_alive_timeout()));
            }
            Due::Idle => {
                let d = self.config.idle_timeout().unwrap_or_default();
                self.fail(Error::IdleTimeout(d));
            }
            Due::Ping | Due::Nothing => {}
        }
        None
    }

    /// Whether the close timeout passed.
    pub(super) fn poll_close_timeout(&mut self) -> bool {
        let mut cx = Context::from_waker(&self.io_waker);
        self.timers.poll_close_timeout(&mut cx, &self.config)
    }

    pub(super) fn close_timeout_error(&self) -> Error {
        Error::CloseTimeout(self.config.close_timeout().unwrap_or_default())
    }

    /// Reads into the read buffer's free space (at most [`MAX_READ`]
    /// bytes). `poll_read_buf` hands the transport the uninitialized spare
    /// capacity through `ReadBuf` (tokio-util's unsafe, not ours), so no
    /// byte is zero-filled before a read.
    pub(super) fn poll_read_some(&mut self) -> Poll<io::Result<usize>> {
        if self.rbuf_large && self.rbuf.is_empty() {
            self.rbuf = BytesMut::new();
            self.rbuf_large = false;
        }
        if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK {
            self.rbuf.reserve(READ_CHUNK);
        }
        let mut cx = Context::from_waker(&self.io_waker);
        let mut room = (&mut self.rbuf).limit(MAX_READ);
        tokio_util::io::poll_read_buf(Pin::new(&mut self.io), &mut cx, &mut room)
    }

    /// Drops the buffers' allocations while the connection waits with
    /// nothing in them: an idle connection holds no buffer.
    pub(super) fn release_idle_buffers(&mut self) {
        if self.rbuf.is_empty() {
            self.rbuf = BytesMut::new();
            self.rbuf_large = false;
        }
        self.out.release();
    }

    /// Fails the connection (§7.1.7) with `e`: the queue is dropped, the
    /// Close for `e`'s code queued with a short reason, the close timeout
    /// started. An error without a close code just ends the connection.
    pub(super) fn fail(&mut self, e: Error) {
        debug_assert!(e.close_code().is_some(), "fail() without a close code: {e}");
        let code = e.close_code().unwrap_or(CloseCode::INTERNAL);
        let mut reason = match &e {
            Error::Protocol(p) => p.to_string(),
            other => other.to_string(),
        };
        if reason.len() > 123 {
            let mut cut = 123;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason.truncate(cut);
        }
        self.out.drop_queued();
        self.phase.fail(
            e,
            CloseFrame {
                code,
                reason: Utf8Bytes::from(reason),
            },
        );
        self.timers.arm_close(self.config.close_timeout());
    }
}
