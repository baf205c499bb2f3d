//! The write path: a bounded write buffer, control replies first, data
//! frames copied in pieces as the buffer drains, vectored writes of large
//! server payloads, and the `Sink` side (`poll_ready`, `start_send`,
//! `poll_flush`).
//!
//! Bounds, whatever the peer does:
//! * The buffer holds at most `write_buffer_size` bytes plus one frame
//!   header: a Pong or Close is encoded only if it fits (or the buffer is
//!   empty), a data frame's payload is copied (and masked, for a client) in
//!   pieces as the buffer drains, never whole.
//! * At most one Pong is pending: a newer Ping replaces an unanswered one
//!   (RFC 6455 §5.5.3 allows answering only the latest), and while it is
//!   pending the read path stops reading (see `core.rs`).
//! * The buffer's allocation is dropped when it empties after holding more
//!   than [`WRITE_RETAIN`] bytes, and whenever the connection goes idle.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};

use super::core::Core;
use super::ready;
use crate::ws::close::{CloseCode, CloseFrame};
use crate::ws::error::Error;
use crate::ws::frame::{Frame, OpCode, MAX_HEADER_LEN};
use crate::ws::frame_codec::Role;
use crate::ws::mask::extend_masked;
use crate::ws::message::{Fragments, Message};

/// Payload size from which a server's data frame is written without being
/// copied into the write buffer (vectored write of header + payload).
///
/// ```
/// // Below it, a payload is copied next to its header (one small write);
/// // from it on, the header and the `Bytes` go out in one vectored write.
/// assert_eq!(pushcodec::ws::stream::LARGE_PAYLOAD, 8 << 10);
/// ```
pub const LARGE_PAYLOAD: usize = 8 << 10;

/// Largest write-buffer allocation kept once the buffer has drained.
pub(super) const WRITE_RETAIN: usize = 4 << 10;

/// A frame payload still to be copied into the write buffer.
struct PayloadRest {
    payload: Bytes,
    /// The client's masking key (`None` for a server).
    mask: Option<[u8; 4]>,
    /// Bytes already copied (the masking phase).
    done: usize,
}

/// What is waiting to be written.
#[derive(Default)]
pub(super) struct WriteQueue {
    pub(super) buf: BytesMut,
    /// Largest length of `buf` since its allocation was last dropped.
    high: usize,
    /// Server: a payload written after `buf` (whose tail is its header).
    large: Option<Bytes>,
    /// The payload of the frame whose header is the tail of `buf`.
    rest: Option<PayloadRest>,
    /// Messages accepted by `start_send` whose frames are not all encoded,
    /// oldest first (more than one only if `poll_ready` was skipped).
    pub(super) data: VecDeque<Fragments>,
    /// The Pong for the latest unanswered Ping.
    pub(super) pong: Option<Bytes>,
    /// A keep-alive Ping.
    pub(super) ping: Option<Bytes>,
}

impl WriteQueue {
    /// Nothing is mid-frame: control frames may go next.
    fn between_frames(&self) -> bool {
        self.large.is_none() && self.rest.is_none()
    }

    /// No bytes at all are waiting (frames may still be queued).
    #[inline]
    pub(super) fn buffer_empty(&self) -> bool {
        self.buf.is_empty() && self.between_frames()
    }

    /// Drops everything not yet in the buffer, except the rest of a frame
    /// already started (a frame cannot be cut short).
    pub(super) fn drop_queued(&mut self) {
        self.data.clear();
        self.pong = None;
        self.ping = None;
    }

    /// Drops everything (the connection is given up).
    pub(super) fn clear(&mut self) {
        *self = WriteQueue::default();
    }

    /// Drops the buffer's allocation if nothing is in it.
    pub(super) fn release(&mut self) {
        if self.buffer_empty() {
            self.buf = BytesMut::new();
            self.high = 0;
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
    /// Whether `n` more bytes may go into the write buffer.
    #[inline]
    fn fits(&self, n: usize) -> bool {
        self.out.buf.is_empty() || self.out.buf.len() + n <= self.config.write_buffer_size()
    }

    /// The frames `msg` is sent as: the message codec's
    /// [`outgoing_frames`](crate::ws::MessageCodec::outgoing_frames)
    /// (compressed whole with permessage-deflate, RSV1 on the first frame).
    pub(super) fn outgoing_frames(&mut self, msg: Message) -> Result<Fragments, Error> {
        Ok(self.codec.outgoing_frames(msg)?)
    }

    /// Encodes a control frame (whole: at most 125 bytes of payload).
    fn encode_control(&mut self, opcode: OpCode, payload: Bytes) -> Result<(), Error> {
        let frame = Frame::new(true, opcode, payload);
        let header = self.codec.frame_codec_mut().outgoing_header(&frame)?;
        let buf = &mut self.out.buf;
        buf.reserve(header.encoded_len() + frame.payload.len());
        header.encode(buf);
        match header.mask {
            Some(key) => extend_masked(buf, &frame.payload, key, 0),
            None => buf.extend_from_slice(&frame.payload),
        }
        Ok(())
    }

    /// Encodes a frame's header and as much of its payload as the bound
    /// allows; the rest follows as the buffer drains. A large server
    /// payload is not copied at all (vectored write), if the transport
    /// writes vectors (otherwise the header would go out alone).
    fn encode_frame(&mut self, frame: Frame) -> Result<(), Error> {
        let header = self.codec.frame_codec_mut().outgoing_header(&frame)?;
        let len = frame.payload.len();
        if self.role == Role::Server && len >= LARGE_PAYLOAD && self.io.is_write_vectored() {
            let mut h = [0u8; MAX_HEADER_LEN];
            let n = header.write(&mut h);
            self.out.buf.extend_from_slice(&h[..n]);
            self.out.large = Some(frame.payload);
            return Ok(());
        }
        let bound = self.config.write_buffer_size();
        let buf = &mut self.out.buf;
        let room = bound.saturating_sub(buf.len() + header.encoded_len());
        let now = len.min(room.max(1));
        buf.reserve(header.encoded_len() + now);
        header.encode(buf);
        match header.mask {
            Some(key) => extend_masked(buf, &frame.payload[..now], key, 0),
            None => buf.extend_from_slice(&frame.payload[..now]),
        }
        if now < len {
            self.out.rest = Some(PayloadRest {
                payload: frame.payload,
                mask: header.mask,
                done: now,
            });
        }
        Ok(())
    }

    /// Copies more of the current frame's payload into the buffer; `true`
    /// once all of it is in.
    fn copy_rest(&mut self) -> bool {
        let bound = self.config.write_buffer_size();
        let Some(rest) = &mut self.out.rest else {
            return true;
        };
        let buf = &mut self.out.buf;
        let room = bound.saturating_sub(buf.len());
        if room == 0 {
            return false;
        }
        let n = (rest.payload.len() - rest.done).min(room);
        let piece = &rest.payload[rest.done..rest.done + n];
        match rest.mask {
            Some(key) => extend_masked(buf, piece, key, rest.done),
            None => buf.extend_from_slice(piece),
        }
        rest.done += n;
        if rest.done == rest.payload.len() {
            self.out.rest = None;
            true
        } else {
            false
        }
    }

    /// Moves queued frames into the write buffer while there is room:
    /// control replies first (between frames), then our Close once what
    /// was accepted before it is in, then data.
    pub(super) fn fill(&mut self) -> Result<(), Error> {
        loop {
            if self.out.large.is_some() || (self.out.rest.is_some() && !self.copy_rest()) {
                break;
            }
            if self.out.pong.is_some() || self.out.ping.is_some() {
                if !self.fill_control()? {
                    break;
                }
                continue;
            }
            if !self.phase.is_open() {
                // Rare: our Close (after what was accepted before it).
                if let Some(len) = self.phase.queued_close_len() {
                    if self.phase.drops_queued_data() {
                        self.out.data.clear();
                    }
                    if self.out.data.is_empty() {
                        if !self.fits(MAX_HEADER_LEN + len) {
                            break;
                        }
                        let payload = match self.phase.take_queued_close().flatten() {
                            Some(cf) => cf.encode()?,
                            None => Bytes::new(),
                        };
                        self.encode_control(OpCode::Close, payload)?;
                        continue;
                    }
                } else if self.phase.close_encoded() {
                    self.out.data.clear(); // nothing follows a Close (§5.5.1)
                    break;
                }
            }
            if self.out.buf.len() >= self.config.write_buffer_size() {
                break;
            }
            let Some(frames) = self.out.data.front_mut() else {
                break;
            };
            match frames.next() {
                Some(frame) => {
                    if frame.fin {
                        self.out.data.pop_front();
                    }
                    self.encode_frame(frame)?;
                }
                None => {
                    self.out.data.pop_front();
                }
            }
        }
        self.out.high = self.out.high.max(self.out.buf.len());
        Ok(())
    }

    /// Encodes a pending Pong, then a keep-alive Ping, if they fit (and no
    /// Close was encoded before them: then they are dropped). `false`: no
    /// room.
    #[cold]
    fn fill_control(&mut self) -> Result<bool, Error> {
        let after_close = self.phase.close_encoded();
        for pong in [true, false] {
            let slot = if pong {
                &mut self.out.pong
            } else {
                &mut self.out.ping
            };
            let Some(p) = slot.take() else { continue };
            if after_close {
                continue; // nothing follows a Close (§5.5.1)
            }
            if !self.fits(MAX_HEADER_LEN + p.len()) {
                let slot = if pong {
                    &mut self.out.pong
                } else {
                    &mut self.out.ping
                };
                *slot = Some(p);
                return Ok(false);
            }
            let op = if pong { OpCode::Pong } else { OpCode::Ping };
            self.encode_control(op, p)?;
        }
        Ok(true)
    }

    /// Whether nothing is left to write (our queued Close included).
    pub(super) fn nothing_to_write(&self) -> bool {
        self.out.buffer_empty()
            && self.out.data.is_empty()
            && self.out.pong.is_none()
            && self.out.ping.is_none()
            && self.phase.queued_close_len().is_none()
    }

    /// One write of what is buffered (filling the buffer first).
    /// `Ready(Ok(false))`: nothing could be written (nothing buffered).
    pub(super) fn poll_write_step(&mut self) -> Poll<Result<bool, Error>> {
        self.fill()?;
        if self.out.buf.is_empty() && self.out.large.is_none() {
            return Poll::Ready(Ok(false));
        }
        let mut cx = Context::from_waker(&self.io_waker);
        let io = Pin::new(&mut self.io);
        let n = match &self.out.large {
            Some(large) => {
                let bufs = [io::IoSlice::new(&self.out.buf), io::IoSlice::new(large)];
                ready!(io.poll_write_vectored(&mut cx, &bufs))?
            }
            None => ready!(io.poll_write(&mut cx, &self.out.buf))?,
        };
        if n == 0 {
            return Poll::Ready(Err(io::Error::from(io::ErrorKind::WriteZero).into()));
        }
        let from_buf = n.min(self.out.buf.len());
        self.out.buf.advance(from_buf);
        if let Some(large) = &mut self.out.large {
            large.advance(n - from_buf);
            if large.is_empty() {
                self.out.large = None;
            }
        }
        if self.out.buf.is_empty() && self.out.high > WRITE_RETAIN {
            // A large message passed through: do not keep its buffer.
            self.out.release();
        }
        Poll::Ready(Ok(true))
    }

    /// Writes everything queued, then flushes the transport.
    pub(super) fn poll_flush_all(&mut self) -> Poll<Result<(), Error>> {
        while !self.nothing_to_write() {
            // `false`: nothing was buffered; `fill` may still have
            // consumed something (an exhausted message), so look again,
            // but never spin.
            if !ready!(self.poll_write_step())? && !self.nothing_to_write() {
                debug_assert!(false, "frames queued but none could be buffered");
                break;
            }
        }
        let mut cx = Context::from_waker(&self.io_waker);
        ready!(Pin::new(&mut self.io).poll_flush(&mut cx))?;
        Poll::Ready(Ok(()))
    }

    pub(super) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.register_writer(cx);
        if !self.phase.is_open() {
            return Poll::Ready(Err(Error::AlreadyClosed));
        }
        loop {
            self.fill()?;
            if self.out.data.is_empty()
                && self.out.between_frames()
                && self.out.buf.len() < self.config.write_buffer_size()
            {
                return Poll::Ready(Ok(()));
            }
            ready!(self.poll_write_step())?;
        }
    }

    pub(super) fn start_send(&mut self, msg: Message) -> Result<(), Error> {
        if !self.phase.is_open() {
            return Err(Error::AlreadyClosed);
        }
        match msg {
            Message::Close(cf) => {
                if let Some(cf) = &cf {
                    if !cf.code.is_valid_on_wire() {
                        return Err(
                            crate::ws::MessageError::InvalidCloseCode { code: cf.code.0 }.into(),
                        );
                    }
                    cf.encode()?;
                }
                self.start_closing(cf);
                Ok(())
            }
            msg => {
                if !msg.is_control() {
                    self.timers.active = true;
                }
                let frames = self.outgoing_frames(msg)?;
                // Queued, never encoded here: if `poll_ready` was skipped, a
                // frame may still be mid-write, and nothing may be appended
                // to the buffer until it is done.
                self.out.data.push_back(frames);
                Ok(())
            }
        }
    }

    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.register_writer(cx);
        self.poll_flush_all()
    }

    /// Queues our Close (§7.1.2) and starts the close timeout.
    pub(super) fn start_closing(&mut self, frame: Option<CloseFrame>) {
        if self.phase.start_close(frame) {
            self.timers.arm_close(self.config.close_timeout());
        }
    }

    /// `close()`'s Close: 1000 Normal Closure.
    pub(super) fn normal_close() -> Option<CloseFrame> {
        Some(CloseFrame::new(CloseCode::NORMAL, ""))
    }
}
