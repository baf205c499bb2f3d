//! [`WebSocketStream`]: a WebSocket connection as `Stream<Item =
//! Result<Message, Error>>` + `Sink<Message>` over any `AsyncRead +
//! AsyncWrite`.
//!
//! ## What it does by itself
//! * **Ping → Pong**: every received Ping is answered with a Pong carrying
//!   its payload (only the latest is kept if the peer pings faster than we
//!   can write, as RFC 6455 §5.5.3 allows). Pings are still handed out.
//! * **Closing handshake** (RFC 6455 §5.5.1, §7): a received Close is
//!   handed out, echoed (same code, or empty), and the transport is shut
//!   down; the next `next()` returns `None` (also if the peer hung up right
//!   after its Close, which a server may do, §7.1.1: a broken pipe or reset
//!   while echoing is a clean end). After *we* send Close (via
//!   `send(Message::Close(..))` or `close()`), everything accepted before it
//!   is sent first (the Close never overtakes a message), then reading goes
//!   on until the peer's Close arrives.
//! * **Close timeout**: `close_timeout` bounds the whole closing handshake,
//!   counted from when a Close is queued or received or the connection is
//!   failed: writing what is queued (a peer that stops reading cannot stall
//!   us), the Close, and waiting for the peer's. When it passes, what is
//!   still queued is dropped, the transport is shut down and
//!   [`Error::CloseTimeout`] is returned (`next()` just ends if the peer's
//!   Close was already handed out).
//! * **Failing the connection** (§7.1.7): on a protocol error the matching
//!   close code ([`Error::close_code`]: 1002, 1007, 1009) is sent with a
//!   short reason and our side of the transport is shut down; input is then
//!   read and discarded until the peer closes (at most `close_timeout`), so
//!   that dropping the stream does not reset a connection with unread input
//!   (a reset can make the peer lose our close frame and report 1006); then
//!   the error is handed out.
//!
//! ## Cancel safety
//! `next()` (`poll_next`) is cancel-safe: every byte read and every partial
//! frame or fragmented message lives in the stream itself (read buffer and
//! codec state), never in the future. Dropping a pending `next()` — e.g. the
//! losing branch of `tokio::select!` — loses nothing; the next call resumes
//! where the last one stopped (`codec/tests/ws_stream.rs` tests this while a
//! fragmented message dribbles in byte by byte).
//!
//! ## Writing and backpressure
//! Outgoing frames are batched in a write buffer; `poll_ready` flushes while
//! it holds `write_buffer_size` bytes or more (default 128 KiB), so a slow
//! peer slows the sender instead of growing memory. `feed` several messages
//! then `flush` to send them in one write. A server's data frame payload of
//! [`LARGE_PAYLOAD`] bytes or more is not copied: its header goes into the
//! buffer and the payload `Bytes` is written after it with one vectored
//! write (if the transport has no vectored writes, `is_write_vectored`, the
//! payload is copied so the header does not go out alone). (A client must mask, which needs a copy, so its payloads are
//! masked into the buffer; use `auto_fragment_size` to bound that copy.)
//!
//! ## Timer: needs tokio's time driver
//! The close timeout uses a tokio timer, created when the stream is built
//! inside a tokio runtime (or, if built outside one, at its first poll inside
//! one). A runtime without the time driver (`Builder` without `enable_time`;
//! `#[tokio::main]` and `#[tokio::test]` enable it) makes that creation panic,
//! at construction or first poll, never later because of what the peer sends.
//! Polled outside any tokio runtime (e.g. with a plain executor over an
//! in-memory transport), the stream works but does not enforce
//! `close_timeout`.
//!
//! ## Split
//! [`WebSocketStream::split`] gives a reader ([`WebSocketReader`]: `Stream`)
//! and a writer ([`WebSocketWriter`]: `Sink<Message>`) that can live in
//! different tasks; they share the connection behind a mutex held only
//! while polling. Pongs and close echoes are written by whichever half is
//! polled, so the reader alone keeps the connection healthy. While the
//! reader exists, the writer's `close()` waits for the reader to see the
//! peer's Close (or the timeout); without a reader (unsplit or reader
//! dropped), `close()` reads itself and discards incoming data messages.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};
use tokio_util::codec::{Decoder, Encoder};

use super::close::{CloseCode, CloseFrame};
use super::config::WebSocketConfig;
use super::error::Error;
use super::frame::{Frame, MAX_HEADER_LEN};
use super::frame_codec::Role;
use super::message::{Fragments, Message};
use super::message_codec::MessageCodec;
use crate::Utf8Bytes;

/// Payload size from which a server's data frame is written without being
/// copied into the write buffer (vectored write of header + payload).
pub const LARGE_PAYLOAD: usize = 8 << 10;

/// Smallest free space in the read buffer before a read.
const READ_CHUNK: usize = 8 << 10;

/// Largest single read.
const MAX_READ: usize = 64 << 10;

/// Deadline of the close timer while it is not armed (tokio clamps it).
const FAR_FUTURE: std::time::Duration = std::time::Duration::from_secs(86_400 * 365 * 30);

const READER: usize = 0;
const WRITER: usize = 1;

/// Wakes every task waiting on the connection: the reader half and the
/// writer half poll the same transport (the reader writes pongs, the writer
/// may read while closing), and a transport keeps only one waker per
/// direction, so the transport is always polled with this waker.
#[derive(Default)]
struct Fanout {
    slots: Mutex<[Option<Waker>; 2]>,
}

impl Fanout {
    fn register(&self, side: usize, w: &Waker) {
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

/// Connection state shared by the unsplit stream and the two halves.
struct Core<S> {
    io: S,
    role: Role,
    config: WebSocketConfig,
    codec: MessageCodec,
    rbuf: BytesMut,
    wbuf: BytesMut,
    /// Payload written after `wbuf` (its header is the tail of `wbuf`).
    large: Option<Bytes>,
    /// Messages accepted by `start_send` whose frames are not all in `wbuf`
    /// yet, oldest first (more than one only if `poll_ready` was skipped).
    outgoing: VecDeque<Fragments>,
    pending_pong: Option<Bytes>,
    /// A Close to send (echo, error close, or ours).
    pending_close: Option<Option<CloseFrame>>,
    close_sent: bool,
    close_received: bool,
    shutdown_done: bool,
    read_done: bool,
    /// Error to hand out once the close frame for it is written.
    failing: Option<Error>,
    /// When the closing handshake must be over: set when a Close is queued
    /// (ours), received (the peer's) or the connection is failed, not when
    /// the Close is written, so a peer that stops reading cannot stall it.
    close_deadline: Option<Instant>,
    /// Wakes us at `close_deadline`. Created eagerly by `ensure_timer` (at
    /// construction or the first poll inside a tokio runtime), never on
    /// demand from peer input: creating a `Sleep` panics on a runtime
    /// without the time driver, which must show at setup, not when a peer
    /// sends a Close. `None` outside any tokio runtime: then
    /// `close_timeout` is not enforced.
    close_timer: Option<Pin<Box<Sleep>>>,
    fanout: Arc<Fanout>,
    io_waker: Waker,
    reader_alive: bool,
}

macro_rules! ready {
    ($e:expr) => {
        match $e {
            Poll::Ready(v) => v,
            Poll::Pending => return Poll::Pending,
        }
    };
}

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
    fn new(io: S, role: Role, config: WebSocketConfig, rbuf: BytesMut) -> Self {
        let fanout = Arc::new(Fanout::default());
        let mut core = Core {
            io,
            role,
            codec: MessageCodec::with_config(role, &config),
            rbuf,
            wbuf: BytesMut::with_capacity(READ_CHUNK),
            large: None,
            outgoing: VecDeque::new(),
            pending_pong: None,
            pending_close: None,
            close_sent: false,
            close_received: false,
            shutdown_done: false,
            read_done: false,
            failing: None,
            close_deadline: None,
            close_timer: None,
            io_waker: Waker::from(fanout.clone()),
            fanout,
            config,
            reader_alive: false,
        };
        core.ensure_timer();
        core
    }

    /// Creates the close timer if we are inside a tokio runtime and it does
    /// not exist yet. Panics (tokio's "timers are disabled") if that runtime
    /// has no time driver: called at construction and at the start of every
    /// poll, before any input is looked at, so that never depends on what
    /// the peer sends.
    fn ensure_timer(&mut self) {
        if self.close_timer.is_none() && tokio::runtime::Handle::try_current().is_ok() {
            let at = self
                .close_deadline
                .unwrap_or_else(|| Instant::now() + FAR_FUTURE);
            self.close_timer = Some(Box::pin(tokio::time::sleep_until(at)));
        }
    }

    /// `BrokenPipe`, `ConnectionReset` or `NotConnected` once the peer's
    /// Close was received: the peer hung up after closing (a server may,
    /// RFC 6455 §7.1.1), so failing to echo or shut down is a clean end.
    fn is_hang_up_after_close(&self, e: &Error) -> bool {
        self.close_received
            && matches!(e, Error::Io(e) if matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset | io::ErrorKind::NotConnected
            ))
    }

    /// Gives up the connection (the close timeout passed while we could
    /// not write or the peer did not answer): drops everything queued,
    /// shuts the transport down if it completes at once, and ends both
    /// directions.
    fn abandon(&mut self) {
        self.wbuf.clear();
        self.large = None;
        self.outgoing.clear();
        self.pending_pong = None;
        self.pending_close = None;
        self.close_sent = true;
        self.read_done = true;
        if !self.shutdown_done {
            self.shutdown_done = true;
            let mut cx = Context::from_waker(&self.io_waker);
            let _ = Pin::new(&mut self.io).poll_shutdown(&mut cx);
        }
    }

    fn encode_frame(&mut self, frame: Frame) -> Result<(), Error> {
        let fc = self.codec.frame_codec_mut();
        // Without vectored writes the header would go out in a tiny write
        // of its own (one more syscall, or TLS record): copy instead.
        if self.role == Role::Server
            && frame.payload.len() >= LARGE_PAYLOAD
            && self.io.is_write_vectored()
        {
            let header = fc.outgoing_header(&frame)?;
            let mut h = [0u8; MAX_HEADER_LEN];
            let n = header.write(&mut h);
            self.wbuf.extend_from_slice(&h[..n]);
            self.large = Some(frame.payload);
            Ok(())
        } else {
            fc.encode(frame, &mut self.wbuf)
        }
    }

    /// Moves queued frames into the write buffer while there is room.
    fn fill_wbuf(&mut self) -> Result<(), Error> {
        while self.large.is_none() {
            if let Some(p) = self.pending_pong.take() {
                if !self.close_sent {
                    self.encode_frame(Frame::new(true, super::OpCode::Pong, p))?;
                }
                continue;
            }
            if self.pending_close.is_some() {
                // Our Close goes after every message accepted before it
                // (the Sink contract: close() sends what was accepted).
                // When failing the connection or answering the peer's
                // Close, the rest is dropped instead; nothing may follow a
                // Close, and a Close may interrupt a fragmented message
                // (control frames may be injected, RFC 6455 §5.4, §5.5.1).
                if self.failing.is_some() || self.close_received {
                    self.outgoing.clear();
                }
                if self.outgoing.is_empty() {
                    let close = self.pending_close.take().flatten();
                    if !self.close_sent {
                        let payload = match close {
                            Some(cf) => cf.encode()?,
                            None => Bytes::new(),
                        };
                        self.encode_frame(Frame::new(true, super::OpCode::Close, payload))?;
                        self.close_sent = true;
                    }
                    continue;
                }
            }
            if self.wbuf.len() >= self.config.write_buffer_size {
                break;
            }
            let next = match self.outgoing.front_mut() {
                Some(frames) => frames.next(),
                None => break,
            };
            match next {
                Some(frame) => self.encode_frame(frame)?,
                None => {
                    self.outgoing.pop_front();
                }
            }
        }
        Ok(())
    }

    /// Starts the close timeout (once): called when a Close is queued or
    /// received, or the connection is failed.
    fn arm_close_timer(&mut self) {
        if self.close_deadline.is_none() {
            let at = Instant::now()
                .checked_add(self.config.close_timeout)
                .unwrap_or_else(|| Instant::now() + FAR_FUTURE);
            self.close_deadline = Some(at);
            if let Some(t) = &mut self.close_timer {
                t.as_mut().reset(at);
            }
        }
    }

    fn nothing_to_write(&self) -> bool {
        self.wbuf.is_empty()
            && self.large.is_none()
            && self.outgoing.is_empty()
            && self.pending_pong.is_none()
            && self.pending_close.is_none()
    }

    /// One write of what is buffered (filling the buffer first).
    fn poll_write_step(&mut self) -> Poll<Result<(), Error>> {
        self.fill_wbuf()?;
        if self.wbuf.is_empty() && self.large.is_none() {
            return Poll::Ready(Ok(()));
        }
        let mut cx = Context::from_waker(&self.io_waker);
        let io = Pin::new(&mut self.io);
        let n = match &self.large {
            Some(large) => {
                let bufs = [io::IoSlice::new(&self.wbuf), io::IoSlice::new(large)];
                ready!(io.poll_write_vectored(&mut cx, &bufs))?
            }
            None => ready!(io.poll_write(&mut cx, &self.wbuf))?,
        };
        if n == 0 {
            return Poll::Ready(Err(io::Error::from(io::ErrorKind::WriteZero).into()));
        }
        let from_buf = n.min(self.wbuf.len());
        self.wbuf.advance(from_buf);
        if let Some(large) = &mut self.large {
            large.advance(n - from_buf);
            if large.is_empty() {
                self.large = None;
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Writes everything queued, then flushes the transport.
    fn poll_flush_all(&mut self) -> Poll<Result<(), Error>> {
        while !self.nothing_to_write() {
            ready!(self.poll_write_step())?;
        }
        let mut cx = Context::from_waker(&self.io_waker);
        ready!(Pin::new(&mut self.io).poll_flush(&mut cx))?;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(&mut self) -> Poll<Result<(), Error>> {
        ready!(self.poll_flush_all())?;
        if !self.shutdown_done {
            let mut cx = Context::from_waker(&self.io_waker);
            ready!(Pin::new(&mut self.io).poll_shutdown(&mut cx))?;
            self.shutdown_done = true;
        }
        Poll::Ready(Ok(()))
    }

    /// Whether the close timeout (if armed) has passed; registers a wakeup
    /// for it otherwise.
    fn poll_deadline(&mut self) -> bool {
        if self.close_deadline.is_none() {
            return false;
        }
        let mut cx = Context::from_waker(&self.io_waker);
        match &mut self.close_timer {
            Some(t) => t.as_mut().poll(&mut cx).is_ready(),
            None => false,
        }
    }

    /// `Pending`, or `CloseTimeout` (giving the connection up) once the
    /// close timeout has passed.
    fn pending_or_timeout(&mut self) -> Poll<Result<(), Error>> {
        if self.poll_deadline() {
            self.abandon();
            return Poll::Ready(Err(Error::CloseTimeout(self.config.close_timeout)));
        }
        Poll::Pending
    }

    fn fail(&mut self, e: Error) {
        if let Some(code) = e.close_code() {
            if !self.close_sent {
                let mut reason = e.to_string();
                if reason.len() > 123 {
                    let mut cut = 123;
                    while !reason.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    reason.truncate(cut);
                }
                self.pending_close = Some(Some(CloseFrame {
                    code,
                    reason: Utf8Bytes::from(reason),
                }));
            }
        }
        self.outgoing.clear();
        self.arm_close_timer();
        self.failing = Some(e);
    }

    fn poll_next_msg(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        // First, so that a runtime without the time driver panics at the
        // first poll as documented, not later depending on what the peer
        // sent (one `Option` check once the timer exists).
        self.ensure_timer();
        // Fast path: a data message already in the read buffer, and nothing
        // else to do (no close, pong or queued write). Returns without
        // registering the waker (a mutex and a waker comparison per message:
        // 4 % of a 5,000-connection profile, more on 16-byte messages);
        // registration is only needed before a poll that can return
        // `Pending`, which the general path below still does first.
        if self.failing.is_none()
            && !self.read_done
            && !self.close_received
            && self.pending_pong.is_none()
            && self.pending_close.is_none()
            && self.wbuf.is_empty()
        {
            match self.codec.decode(&mut self.rbuf) {
                Ok(Some(msg @ (Message::Text(_) | Message::Binary(_)))) => {
                    return Poll::Ready(Some(Ok(msg)));
                }
                Ok(Some(msg)) => {
                    self.fanout.register(READER, cx.waker());
                    return Poll::Ready(Some(Ok(self.on_control(msg, cx))));
                }
                Ok(None) => {}
                Err(e) => self.fail(e),
            }
        }
        self.fanout.register(READER, cx.waker());
        loop {
            if self.failing.is_some() {
                // Send the close frame for the error and shut our side down,
                // then discard input until the peer closes (closing a socket
                // with unread input makes the kernel send a reset, and the
                // peer may then never see our close frame); bounded by
                // close_timeout. Then hand the error out.
                let done = match self.poll_shutdown() {
                    Poll::Ready(_) => self.poll_drain(cx).is_ready(),
                    Poll::Pending => false,
                };
                if !done {
                    if !self.poll_deadline() {
                        return Poll::Pending;
                    }
                    self.abandon();
                }
                self.read_done = true;
                self.rbuf = BytesMut::new();
                return Poll::Ready(self.failing.take().map(Err));
            }
            if self.read_done {
                return Poll::Ready(None);
            }
            if self.close_received {
                // Echo (if needed) and shut down, bounded by the timeout
                // (armed when the Close arrived, so also while a large
                // frame ahead of the echo cannot be written).
                let r = match self.poll_shutdown() {
                    Poll::Ready(Err(e)) if self.is_hang_up_after_close(&e) => Ok(()),
                    Poll::Ready(r) => r,
                    Poll::Pending if self.poll_deadline() => {
                        self.abandon();
                        Ok(())
                    }
                    Poll::Pending => return Poll::Pending,
                };
                self.read_done = true;
                return Poll::Ready(r.err().map(Err));
            }
            // Push out pongs, a queued Close (and data the writer queued)
            // without waiting.
            if self.pending_pong.is_some() || self.pending_close.is_some() || !self.wbuf.is_empty()
            {
                if let Poll::Ready(Err(e)) = self.poll_flush_all() {
                    self.read_done = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
            match self.codec.decode(&mut self.rbuf) {
                Ok(Some(msg)) => return Poll::Ready(Some(Ok(self.on_control(msg, cx)))),
                Ok(None) => {}
                Err(e) => {
                    self.fail(e);
                    continue;
                }
            }
            if self.poll_deadline() {
                // Our Close (queued or sent) got no answer in time.
                self.abandon();
                return Poll::Ready(Some(Err(Error::CloseTimeout(self.config.close_timeout))));
            }
            if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK {
                self.rbuf.reserve(READ_CHUNK);
            }
            match self.poll_read_some() {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    self.read_done = true;
                    return Poll::Ready(Some(Err(e.into())));
                }
                Poll::Ready(Ok(0)) => {
                    self.read_done = true;
                    let what = if !self.rbuf.is_empty() {
                        "in the middle of a frame"
                    } else if self.codec.in_message() {
                        "in the middle of a fragmented message"
                    } else {
                        "before a Close frame"
                    };
                    return Poll::Ready(Some(Err(Error::UnexpectedEof(what))));
                }
                Poll::Ready(Ok(_)) => {}
            }
        }
    }

    /// What a received message sets in motion before it is handed out: a
    /// Ping queues its Pong, a Close starts the closing handshake (RFC 6455
    /// §5.5.2, §5.5.1). Data messages pass through.
    fn on_control(&mut self, msg: Message, cx: &mut Context<'_>) -> Message {
        match &msg {
            Message::Ping(p) => {
                self.pending_pong = Some(p.clone());
                let _ = self.poll_flush_all();
            }
            Message::Close(cf) => {
                self.close_received = true;
                self.arm_close_timer();
                if !self.close_sent && self.pending_close.is_none() {
                    self.pending_close = Some(cf.as_ref().map(|cf| CloseFrame {
                        code: cf.code,
                        reason: Utf8Bytes::default(),
                    }));
                }
                // Wake a writer waiting in close().
                Arc::clone(&self.fanout).wake_by_ref();
                self.fanout.register(READER, cx.waker());
            }
            _ => {}
        }
        msg
    }

    /// Reads into the read buffer's free space (at most [`MAX_READ`]
    /// bytes). `poll_read_buf` hands the transport the uninitialized spare
    /// capacity through `ReadBuf` (tokio-util's unsafe, not ours), so no
    /// byte is zero-filled before a read.
    fn poll_read_some(&mut self) -> Poll<io::Result<usize>> {
        let mut cx = Context::from_waker(&self.io_waker);
        let mut room = (&mut self.rbuf).limit(MAX_READ);
        tokio_util::io::poll_read_buf(Pin::new(&mut self.io), &mut cx, &mut room)
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

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.fanout.register(WRITER, cx.waker());
        self.ensure_timer();
        if self.close_sent || self.pending_close.is_some() || self.failing.is_some() {
            return Poll::Ready(Err(Error::AlreadyClosed));
        }
        loop {
            self.fill_wbuf()?;
            if self.outgoing.is_empty()
                && self.large.is_none()
                && self.wbuf.len() < self.config.write_buffer_size
            {
                return Poll::Ready(Ok(()));
            }
            ready!(self.poll_write_step())?;
        }
    }

    fn start_send(&mut self, msg: Message) -> Result<(), Error> {
        if self.close_sent || self.pending_close.is_some() || self.failing.is_some() {
            return Err(Error::AlreadyClosed);
        }
        if let Message::Close(cf) = msg {
            if let Some(cf) = &cf {
                if !cf.code.is_valid_on_wire() {
                    return Err(Error::InvalidCloseCode { code: cf.code.0 });
                }
                cf.encode()?;
            }
            self.pending_close = Some(cf);
            self.arm_close_timer();
            return Ok(());
        }
        let frames = msg.into_frames(self.config.auto_fragment_size)?;
        // Queued, never encoded here: if `poll_ready` was skipped, a large
        // payload may still be pending behind `wbuf`, and nothing may be
        // appended to `wbuf` until it is written.
        self.outgoing.push_back(frames);
        Ok(())
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.fanout.register(WRITER, cx.waker());
        self.ensure_timer();
        self.poll_flush_all()
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.fanout.register(WRITER, cx.waker());
        self.ensure_timer();
        if !self.close_sent && self.pending_close.is_none() {
            self.pending_close = Some(Some(CloseFrame::new(CloseCode::NORMAL, "")));
            self.arm_close_timer();
        }
        // Everything accepted, then our Close; bounded by close_timeout.
        match self.poll_flush_all() {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) if self.is_hang_up_after_close(&e) => {
                self.abandon();
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return self.pending_or_timeout(),
        }
        while !self.close_received && !self.read_done {
            if self.reader_alive {
                ready!(self.pending_or_timeout())?;
                self.fanout.register(WRITER, cx.waker());
                return Poll::Pending;
            }
            match ready!(self.poll_next_msg(cx)) {
                Some(Err(Error::CloseTimeout(d))) => {
                    return Poll::Ready(Err(Error::CloseTimeout(d)))
                }
                Some(Err(e)) => return Poll::Ready(Err(e)),
                Some(Ok(_)) => {}
                None => break,
            }
        }
        match self.poll_shutdown() {
            Poll::Ready(Err(e)) if self.is_hang_up_after_close(&e) => {
                self.abandon();
                Poll::Ready(Ok(()))
            }
            Poll::Pending => self.pending_or_timeout(),
            r => r,
        }
    }
}

/// A WebSocket connection; see the [module docs](self) for what it does by
/// itself, cancel safety and backpressure.
///
/// # Panics
/// Construction (or the first poll, if constructed outside a runtime)
/// panics inside a tokio runtime that has no time driver
/// (`enable_time`): the close timeout needs it. Build it inside
/// `#[tokio::main]`, `#[tokio::test]` or a runtime with `enable_all()`.
/// Nothing the peer sends can make it panic.
///
/// ```no_run
/// # async fn demo(tcp: tokio::net::TcpStream) -> Result<(), pushcodec::ws::Error> {
/// use futures_util::{SinkExt, StreamExt};
/// use pushcodec::ws::{Message, Role, WebSocketConfig, WebSocketStream};
///
/// // After a successful handshake (see `ws::handshake::accept`):
/// let mut ws = WebSocketStream::from_raw(tcp, Role::Server, WebSocketConfig::default());
/// while let Some(msg) = ws.next().await {
///     match msg? {
///         m @ (Message::Text(_) | Message::Binary(_)) => ws.send(m).await?,
///         _ => {} // pings are answered and closes echoed by the stream
///     }
/// }
/// # Ok(()) }
/// ```
pub struct WebSocketStream<S> {
    core: Core<S>,
}

impl<S> std::fmt::Debug for WebSocketStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketStream")
            .field("role", &self.core.role)
            .field("close_sent", &self.core.close_sent)
            .field("close_received", &self.core.close_received)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// Wraps a transport on which the opening handshake is already done.
    ///
    /// ```
    /// use pushcodec::ws::{Role, WebSocketConfig, WebSocketStream};
    /// let (a, _b) = tokio::io::duplex(64);
    /// let ws = WebSocketStream::from_raw(a, Role::Client, WebSocketConfig::default());
    /// assert_eq!(ws.role(), Role::Client);
    /// ```
    pub fn from_raw(io: S, role: Role, config: WebSocketConfig) -> Self {
        Self::from_partially_read(io, role, config, BytesMut::new())
    }

    /// Like [`from_raw`](Self::from_raw), with bytes already read from the
    /// transport after the handshake (they are decoded first).
    ///
    /// ```
    /// use pushcodec::ws::{Role, WebSocketConfig, WebSocketStream};
    /// let (a, _b) = tokio::io::duplex(64);
    /// let early = bytes::BytesMut::from(&b"\x81\x02hi"[..]);
    /// let ws = WebSocketStream::from_partially_read(a, Role::Client, WebSocketConfig::default(), early);
    /// # drop(ws);
    /// ```
    pub fn from_partially_read(io: S, role: Role, config: WebSocketConfig, read: BytesMut) -> Self {
        WebSocketStream {
            core: Core::new(io, role, config, read),
        }
    }

    /// Our role.
    ///
    /// ```
    /// # let (a, _b) = tokio::io::duplex(64);
    /// # let ws = pushcodec::ws::WebSocketStream::from_raw(a, pushcodec::ws::Role::Server, Default::default());
    /// assert_eq!(ws.role(), pushcodec::ws::Role::Server);
    /// ```
    pub fn role(&self) -> Role {
        self.core.role
    }

    /// The configuration.
    ///
    /// ```
    /// # let (a, _b) = tokio::io::duplex(64);
    /// # let ws = pushcodec::ws::WebSocketStream::from_raw(a, pushcodec::ws::Role::Server, Default::default());
    /// assert_eq!(ws.config().get_max_message_size(), 64 << 20);
    /// ```
    pub fn config(&self) -> &WebSocketConfig {
        &self.core.config
    }

    /// The transport.
    ///
    /// ```
    /// # let (a, _b) = tokio::io::duplex(64);
    /// # let ws = pushcodec::ws::WebSocketStream::from_raw(a, pushcodec::ws::Role::Server, Default::default());
    /// let _io: &tokio::io::DuplexStream = ws.get_ref();
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.core.io
    }

    /// The transport, mutably (e.g. to set socket options). Reading or
    /// writing it directly corrupts the WebSocket stream.
    ///
    /// ```
    /// # let (a, _b) = tokio::io::duplex(64);
    /// # let mut ws = pushcodec::ws::WebSocketStream::from_raw(a, pushcodec::ws::Role::Server, Default::default());
    /// let _io: &mut tokio::io::DuplexStream = ws.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.core.io
    }

    /// Splits into a reader (`Stream`) and a writer (`Sink<Message>`) that
    /// can be used from different tasks. Pongs are still answered when only
    /// the reader is polled.
    ///
    /// ```
    /// # async fn demo(ws: pushcodec::ws::WebSocketStream<tokio::net::TcpStream>) {
    /// use futures_util::{SinkExt, StreamExt};
    /// let (mut reader, mut writer) = ws.split();
    /// tokio::spawn(async move { writer.send(pushcodec::ws::Message::text("hi")).await });
    /// while let Some(Ok(msg)) = reader.next().await { println!("{msg:?}"); }
    /// # }
    /// ```
    pub fn split(self) -> (WebSocketReader<S>, WebSocketWriter<S>) {
        let mut core = self.core;
        core.reader_alive = true;
        let shared = Arc::new(Mutex::new(core));
        (
            WebSocketReader {
                shared: shared.clone(),
            },
            WebSocketWriter { shared },
        )
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().core.poll_next_msg(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().core.poll_ready(cx)
    }
    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.get_mut().core.start_send(item)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().core.poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().core.poll_close(cx)
    }
}

fn lock<S>(m: &Mutex<Core<S>>) -> std::sync::MutexGuard<'_, Core<S>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The reading half of a split [`WebSocketStream`]: a `Stream` of messages.
///
/// ```
/// # async fn demo(ws: pushcodec::ws::WebSocketStream<tokio::io::DuplexStream>) {
/// use futures_util::StreamExt;
/// let (mut reader, _writer) = ws.split();
/// let _first = reader.next().await;
/// # }
/// ```
pub struct WebSocketReader<S> {
    shared: Arc<Mutex<Core<S>>>,
}

/// The writing half of a split [`WebSocketStream`]: a `Sink<Message>`.
///
/// ```
/// # async fn demo(ws: pushcodec::ws::WebSocketStream<tokio::io::DuplexStream>) {
/// use futures_util::SinkExt;
/// let (_reader, mut writer) = ws.split();
/// writer.send(pushcodec::ws::Message::text("hello")).await.unwrap();
/// # }
/// ```
pub struct WebSocketWriter<S> {
    shared: Arc<Mutex<Core<S>>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::{FrameCodec, OpCode};
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn client_bytes(frames: &[Frame]) -> Vec<u8> {
        let mut c = FrameCodec::client();
        let mut b = BytesMut::new();
        for f in frames {
            c.encode(f.clone(), &mut b).unwrap();
        }
        b.to_vec()
    }

    async fn read_frames(io: &mut tokio::io::DuplexStream, role: Role) -> Vec<Frame> {
        let mut raw = Vec::new();
        io.read_to_end(&mut raw).await.unwrap();
        let mut buf = BytesMut::from(&raw[..]);
        let mut c = FrameCodec::new(role, usize::MAX);
        let mut out = vec![];
        while let Some(f) = c.decode(&mut buf).unwrap() {
            out.push(f);
        }
        out
    }

    #[tokio::test]
    async fn answers_ping_and_echoes_close() {
        let (a, mut b) = tokio::io::duplex(4096);
        let mut ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
        b.write_all(&client_bytes(&[
            Frame::new(true, OpCode::Ping, "p1"),
            Frame::new(true, OpCode::Close, &b"\x03\xe8bye"[..]),
        ]))
        .await
        .unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::ping(&b"p1"[..]));
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::close(CloseCode::NORMAL, "bye")
        );
        assert!(ws.next().await.is_none());
        let frames = read_frames(&mut b, Role::Client).await;
        assert_eq!(frames.len(), 2);
        assert_eq!(
            (frames[0].opcode, &frames[0].payload[..]),
            (OpCode::Pong, &b"p1"[..])
        );
        assert_eq!(
            (frames[1].opcode, &frames[1].payload[..]),
            (OpCode::Close, &b"\x03\xe8"[..])
        );
    }

    #[tokio::test]
    async fn large_server_payload_is_sent_intact() {
        let (a, mut b) = tokio::io::duplex(1 << 16);
        let mut ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let expected = payload.clone();
        let reader = tokio::spawn(async move { read_frames(&mut b, Role::Client).await });
        ws.send(Message::binary(payload)).await.unwrap();
        ws.send(Message::text("small")).await.unwrap();
        drop(ws);
        let frames = reader.await.unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(&frames[0].payload[..], &expected[..]);
        assert_eq!(&frames[1].payload[..], b"small");
    }

    #[test]
    fn stream_and_halves_are_send() {
        fn assert_send<T: Send>() {}
        fn assert_sync<T: Sync>() {}
        assert_send::<WebSocketStream<tokio::net::TcpStream>>();
        assert_send::<WebSocketReader<tokio::net::TcpStream>>();
        assert_send::<WebSocketWriter<tokio::net::TcpStream>>();
        assert_sync::<WebSocketWriter<tokio::net::TcpStream>>();
    }

    #[tokio::test]
    async fn send_after_close_is_refused() {
        let (a, _b) = tokio::io::duplex(4096);
        let mut ws = WebSocketStream::from_raw(a, Role::Client, WebSocketConfig::default());
        ws.send(Message::Close(None)).await.unwrap();
        assert!(matches!(
            ws.send(Message::text("late")).await,
            Err(Error::AlreadyClosed)
        ));
    }
}
