//! [`MessageCodec`]: reassembles frames into [`Message`]s and splits
//! messages into frames (RFC 6455 §5.4 fragmentation, §5.5 control frames,
//! §5.6 + §8.1 UTF-8 text, §7.4 close codes).
//!
//! An unfragmented message is handed out as the frame's own payload slice
//! (no copy). A fragmented one is appended to a per-message buffer as its
//! fragments arrive (one copy; the buffer never grows past
//! `max_message_size`, which is checked from each fragment's header before
//! its payload is buffered). Text is validated incrementally, fragment by
//! fragment, so invalid UTF-8 fails as soon as a received fragment makes the
//! prefix impossible, not at the end of the message; with
//! [`WebSocketConfig::utf8_fail_fast`] also within a frame, as its bytes
//! arrive (unmasked in place as they come, each byte once) — RFC 6455 §8.1.
//! Control frames may arrive between fragments and are handed out at once.
//!
//! ## permessage-deflate (RFC 7692)
//! With the extension negotiated ([`MessageCodec::with_deflate`]) the frame
//! codec lets RSV1 through on the first frame of a data message (§6.1; on a
//! continuation or a control frame it is a protocol error, 1002) and:
//!
//! * **reading**: a message whose first frame has RSV1 is inflated fragment
//!   by fragment as the fragments arrive (with `utf8_fail_fast`, also
//!   within a frame as its bytes arrive), in bounded steps of at most
//!   32 KiB ([`Inflater`](super::extension::deflate::Inflater)), so a
//!   message that inflates past `max_message_size` fails with 1009 at the
//!   step that crosses it (its size on the wire is not checked against
//!   `max_message_size`: compressed data may be a little longer than what
//!   it inflates to; each frame is still bounded by `max_frame_size`, and
//!   is inflated as it arrives, so no more than a frame is held). Text is
//!   validated as UTF-8 on the inflated bytes, each step before the next,
//!   failing fast as for uncompressed text. A compressed message is handed out as a
//!   slice of the inflater's buffer, whose space is reclaimed once the
//!   message is dropped. Data that does not inflate is 1007 (see
//!   [`DeflateError::close_code`](super::extension::DeflateError::close_code)).
//! * **writing** ([`MessageCodec::outgoing_frames`], also the stream's
//!   write path): a data message is compressed whole with a sync flush
//!   (nothing waits in the compressor for a later message), unless it is
//!   shorter than `compression_threshold`; the first frame of a compressed
//!   message carries RSV1, continuations and control frames never do.
//!   `auto_fragment_size` cuts the compressed payload.

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::close::CloseFrame;
use super::config::WebSocketConfig;
use super::error::{CodecError, EofReason, ProtocolError};
use super::extension::deflate::DeflateParams;
use super::frame::OpCode;
use super::frame_codec::{Decoded, FrameCodec, Role};
use super::message::{Fragments, Message};
use super::utf8::Utf8Validator;
use crate::Utf8Bytes;

mod compression;

use compression::{PerMessageDeflate, RSV1};

/// A fragmented message being received.
#[derive(Debug)]
struct Partial {
    text: bool,
    /// The first frame had RSV1: the fragments are inflated as they come
    /// (`buf` stays empty; the inflater holds the message).
    compressed: bool,
    /// The reassembled payload of an uncompressed message.
    buf: BytesMut,
}

/// Message codec: `Decoder<Item = Message>` + `Encoder<Message>`.
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::ws::{Message, MessageCodec, Role, WebSocketConfig};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let cfg = WebSocketConfig::builder().auto_fragment_size(Some(4)).build();
/// let mut client = MessageCodec::with_config(Role::Client, &cfg);
/// let mut server = MessageCodec::new(Role::Server);
/// let mut wire = BytesMut::new();
/// client.encode(Message::text("fragmented text"), &mut wire).unwrap(); // 4 frames
/// assert_eq!(server.decode(&mut wire).unwrap(), Some(Message::text("fragmented text")));
/// ```
#[derive(Debug)]
pub struct MessageCodec {
    frames: FrameCodec,
    max_message_size: usize,
    auto_fragment_size: Option<usize>,
    partial: Option<Partial>,
    /// Validates the text message being received, across its fragments
    /// (and, with `utf8_fail_fast`, while each fragment is still arriving).
    utf8: Utf8Validator,
    utf8_fail_fast: bool,
    /// Capacity for the next reassembly buffer: the size of the last
    /// fragmented message, capped at `REASSEMBLY_HINT_CAP` (and at
    /// `max_message_size`), so that a stream of similar fragmented messages
    /// allocates once per message instead of once per fragment.
    reassembly_hint: usize,
    /// permessage-deflate, when negotiated (boxed: a codec without it
    /// stays small).
    deflate: Option<Box<PerMessageDeflate>>,
}

/// Largest reassembly capacity taken from a previous message.
const REASSEMBLY_HINT_CAP: usize = 64 << 10;

impl MessageCodec {
    /// A codec for `role` with the default limits (16 MiB frame, 64 MiB
    /// message, no auto-fragmentation).
    ///
    /// ```
    /// let c = pushcodec::ws::MessageCodec::new(pushcodec::ws::Role::Server);
    /// assert_eq!(c.max_message_size(), 64 << 20);
    /// ```
    pub fn new(role: Role) -> MessageCodec {
        MessageCodec::with_config(role, &WebSocketConfig::default())
    }

    /// A codec for `role` with the limits of `config`.
    ///
    /// ```
    /// use pushcodec::ws::{MessageCodec, Role, WebSocketConfig};
    /// let c = MessageCodec::with_config(Role::Client, &WebSocketConfig::builder().max_message_size(10).build());
    /// assert_eq!(c.max_message_size(), 10);
    /// ```
    pub fn with_config(role: Role, config: &WebSocketConfig) -> MessageCodec {
        MessageCodec::with_deflate(role, config, None)
    }

    /// A codec for `role` with the limits of `config` and, when `deflate`
    /// is `Some`, permessage-deflate with the parameters the opening
    /// handshake agreed (RFC 7692 §7), compressing with `config.deflate()`'s
    /// level, memory level and threshold. `None` is
    /// [`with_config`](Self::with_config).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pushcodec::ws::extension::deflate::DeflateParams;
    /// use pushcodec::ws::{Message, MessageCodec, Role, WebSocketConfig};
    /// use tokio_util::codec::{Decoder, Encoder};
    ///
    /// let (cfg, agreed) = (WebSocketConfig::default(), DeflateParams::default());
    /// let mut client = MessageCodec::with_deflate(Role::Client, &cfg, Some(agreed));
    /// let mut server = MessageCodec::with_deflate(Role::Server, &cfg, Some(agreed));
    /// let mut wire = BytesMut::new();
    /// let text = r#"{"token":"Hello"} "#.repeat(20);
    /// client.encode(Message::text(text.clone()), &mut wire).unwrap();
    /// assert_eq!(wire[0] & 0x40, 0x40); // RSV1: compressed
    /// assert!(wire.len() < 100);
    /// assert_eq!(server.decode(&mut wire).unwrap(), Some(Message::text(text)));
    /// ```
    pub fn with_deflate(
        role: Role,
        config: &WebSocketConfig,
        deflate: Option<DeflateParams>,
    ) -> MessageCodec {
        let rsv = if deflate.is_some() { RSV1 } else { 0 };
        MessageCodec {
            frames: FrameCodec::new(role, config.max_frame_size()).with_allowed_rsv(rsv),
            max_message_size: config.max_message_size(),
            auto_fragment_size: config.auto_fragment_size(),
            partial: None,
            utf8: Utf8Validator::new(),
            utf8_fail_fast: config.utf8_fail_fast(),
            reassembly_hint: 0,
            deflate: deflate.map(|p| Box::new(PerMessageDeflate::new(role, p, config))),
        }
    }

    /// The permessage-deflate parameters in use, if negotiated.
    ///
    /// ```
    /// let c = pushcodec::ws::MessageCodec::new(pushcodec::ws::Role::Server);
    /// assert!(c.deflate().is_none());
    /// ```
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.deflate.as_deref().map(|d| &d.params)
    }

    /// The largest accepted message.
    ///
    /// ```
    /// let c = pushcodec::ws::MessageCodec::new(pushcodec::ws::Role::Server);
    /// assert_eq!(c.max_message_size(), 64 << 20);
    /// ```
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// The frame layer (e.g. to read its role or limit).
    ///
    /// ```
    /// let c = pushcodec::ws::MessageCodec::new(pushcodec::ws::Role::Server);
    /// assert_eq!(c.frame_codec().max_frame_size(), 16 << 20);
    /// ```
    pub fn frame_codec(&self) -> &FrameCodec {
        &self.frames
    }

    /// Mutable access to the frame layer (the stream uses it to build
    /// outgoing headers with fresh mask keys).
    ///
    /// ```
    /// let mut c = pushcodec::ws::MessageCodec::new(pushcodec::ws::Role::Client);
    /// let f = pushcodec::ws::Frame::new(true, pushcodec::ws::OpCode::Ping, "");
    /// assert!(c.frame_codec_mut().outgoing_header(&f).unwrap().mask.is_some());
    /// ```
    pub fn frame_codec_mut(&mut self) -> &mut FrameCodec {
        &mut self.frames
    }

    /// The auto-fragmentation size used by the encoder.
    ///
    /// ```
    /// let c = pushcodec::ws::MessageCodec::new(pushcodec::ws::Role::Client);
    /// assert_eq!(c.auto_fragment_size(), None);
    /// ```
    pub fn auto_fragment_size(&self) -> Option<usize> {
        self.auto_fragment_size
    }

    /// Whether a fragmented message is partly received.
    ///
    /// ```
    /// let c = pushcodec::ws::MessageCodec::new(pushcodec::ws::Role::Client);
    /// assert!(!c.in_message());
    /// ```
    pub fn in_message(&self) -> bool {
        self.partial.is_some()
    }

    /// Why the input would end early here: a frame or a fragmented message
    /// is incomplete (`None` between messages).
    pub(crate) fn eof_reason(&self, src: &BytesMut) -> Option<EofReason> {
        if !src.is_empty() {
            Some(EofReason::InsideFrame)
        } else if self.partial.is_some() {
            Some(EofReason::InsideMessage)
        } else {
            None
        }
    }

    /// A text message: the payload, checked as UTF-8 by `Utf8Bytes` (once:
    /// then `as_str` is free).
    fn text(payload: Bytes) -> Result<Message, ProtocolError> {
        Utf8Bytes::try_from(payload)
            .map(Message::Text)
            .map_err(|e| Self::utf8_err(e.valid_up_to))
    }

    fn utf8_err(offset: usize) -> ProtocolError {
        ProtocolError::InvalidUtf8 {
            what: "text message",
            offset,
        }
    }
}

impl Decoder for MessageCodec {
    type Item = Message;
    type Error = CodecError;

    /// At the end of the stream, a truncated frame or an unfinished
    /// fragmented message is [`CodecError::UnexpectedEof`]; the partial
    /// message is never handed out as if complete.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Message>, CodecError> {
        match self.decode(src)? {
            Some(m) => Ok(Some(m)),
            None => match self.eof_reason(src) {
                Some(r) => Err(CodecError::UnexpectedEof(r)),
                None => Ok(None),
            },
        }
    }

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message>, CodecError> {
        Ok(self.decode_message(src)?)
    }
}

impl MessageCodec {
    /// [`Decoder::decode`] with the error of the only layer that can fail
    /// here (the peer's protocol).
    #[inline]
    pub(crate) fn decode_message(
        &mut self,
        src: &mut BytesMut,
    ) -> Result<Option<Message>, ProtocolError> {
        loop {
            // The size budget, checked from each data frame's header: the
            // bytes of the message so far. A compressed message has none
            // (its size is the inflated one, bounded by the inflater).
            let budget = match &self.partial {
                Some(p) if p.compressed => None,
                p => Some((
                    p.as_ref().map_or(0, |p| p.buf.len() as u64),
                    self.max_message_size,
                )),
            };
            // Fragments (a non-final data frame, or any data frame while a
            // message is being reassembled) and compressed frames are
            // copied (or inflated) anyway: they are unmasked in place,
            // without being split off the read buffer as a shared slice.
            let fragmented = self.partial.is_some();
            let decoded = self.frames.decode_or_in_place(src, budget, |h| {
                !h.opcode.is_control() && (fragmented || !h.fin || h.rsv & RSV1 != 0)
            })?;
            // Payload bytes already seen (validated or inflated) while the
            // frame arrived.
            let seen = self.frames.last_frame_seen_early();
            let frame = match decoded {
                Some(Decoded::Frame(f)) => f,
                Some(Decoded::InPlace { header, payload }) => {
                    let message = self.data_frame(
                        header.opcode,
                        header.fin,
                        header.rsv,
                        &src[payload.clone()],
                        seen,
                    );
                    src.advance(payload.end);
                    match message? {
                        Some(m) => return Ok(Some(m)),
                        None => continue,
                    }
                }
                None => {
                    self.take_in_arrived_bytes(src)?;
                    return Ok(None);
                }
            };
            let payload: Bytes = frame.payload;
            match frame.opcode {
                OpCode::Ping => return Ok(Some(Message::Ping(payload))),
                OpCode::Pong => return Ok(Some(Message::Pong(payload))),
                OpCode::Close => return Ok(Some(Message::Close(CloseFrame::parse(payload)?))),
                // A final uncompressed data frame with no message in
                // progress: the whole message, handed out as the slice of
                // the read buffer.
                OpCode::Text | OpCode::Binary if frame.fin && !fragmented => {
                    if frame.opcode == OpCode::Binary {
                        return Ok(Some(Message::Binary(payload)));
                    }
                    if seen > 0 {
                        // Checked in part while the frame arrived
                        // (`utf8_fail_fast`): finish that check.
                        self.feed_utf8(&payload[seen..])?;
                        self.utf8.finish().map_err(|e| Self::utf8_err(e.offset))?;
                    }
                    // `Utf8Bytes` checks what it holds (once: then `as_str`
                    // is free); for a whole message this is its only check.
                    return Self::text(payload).map(Some);
                }
                // Fragments are decoded in place (above); a continuation with
                // nothing to continue comes here.
                opcode => {
                    if let Some(m) =
                        self.data_frame(opcode, frame.fin, frame.rsv, &payload, seen)?
                    {
                        return Ok(Some(m));
                    }
                }
            }
        }
    }
}

impl MessageCodec {
    /// A data frame decoded in place: a fragment of a message (§5.4: the
    /// first, non-final Text/Binary, starts it; a Continuation adds to it
    /// and, if final, completes it), or any frame of a compressed message
    /// (RFC 7692 §6.2: its payload is inflated as it comes). `payload` is
    /// the unmasked payload, `seen` how many of its bytes were validated
    /// or inflated while the frame arrived.
    fn data_frame(
        &mut self,
        opcode: OpCode,
        fin: bool,
        rsv: u8,
        payload: &[u8],
        seen: usize,
    ) -> Result<Option<Message>, ProtocolError> {
        match opcode {
            OpCode::Text | OpCode::Binary => {
                if self.partial.is_some() {
                    return Err(ProtocolError::ExpectedContinuation { opcode });
                }
                let text = opcode == OpCode::Text;
                // The frame codec lets RSV1 through only when negotiated.
                let compressed = rsv & RSV1 != 0;
                if (text || compressed) && seen == 0 {
                    self.utf8.reset();
                }
                if compressed {
                    self.inflate(&payload[seen..], text)?;
                    if fin {
                        return self.finish_compressed(text).map(Some);
                    }
                    self.partial = Some(Partial {
                        text,
                        compressed,
                        buf: BytesMut::new(),
                    });
                    return Ok(None);
                }
                if text {
                    self.feed_utf8(&payload[seen..])?;
                }
                let cap = payload
                    .len()
                    .max(self.reassembly_hint.min(self.max_message_size));
                let mut buf = BytesMut::with_capacity(cap);
                buf.extend_from_slice(payload);
                self.partial = Some(Partial {
                    text,
                    compressed,
                    buf,
                });
                // An unfragmented uncompressed frame never comes here (it
                // is the zero-copy path), but a lone final frame would be
                // complete: hand it out.
                if fin {
                    return self.finish_uncompressed().map(Some);
                }
                Ok(None)
            }
            OpCode::Continuation => {
                let p = self
                    .partial
                    .as_mut()
                    .ok_or(ProtocolError::UnexpectedContinuation)?;
                let (text, compressed) = (p.text, p.compressed);
                if compressed {
                    self.inflate(&payload[seen..], text)?;
                    if !fin {
                        return Ok(None);
                    }
                    self.partial = None;
                    return self.finish_compressed(text).map(Some);
                }
                if text {
                    self.utf8
                        .feed(&payload[seen..])
                        .map_err(|e| Self::utf8_err(e.offset))?;
                }
                grow_within(&mut p.buf, payload.len(), self.max_message_size);
                p.buf.extend_from_slice(payload);
                if !fin {
                    return Ok(None);
                }
                self.finish_uncompressed().map(Some)
            }
            // Control frames never reach here (handled by `decode`).
            _ => Ok(None),
        }
    }

    /// Completes the uncompressed message in `partial`.
    fn finish_uncompressed(&mut self) -> Result<Message, ProtocolError> {
        let p = self
            .partial
            .take()
            .ok_or(ProtocolError::UnexpectedContinuation)?;
        self.reassembly_hint = p.buf.len().min(REASSEMBLY_HINT_CAP);
        let data = p.buf.freeze();
        if p.text {
            self.utf8.finish().map_err(|e| Self::utf8_err(e.offset))?;
            // Fragments were checked as they came (§8.1: fail at once);
            // `Utf8Bytes` checks the whole text again.
            return Self::text(data);
        }
        Ok(Message::Binary(data))
    }

    /// Inflates the next compressed bytes of the message being received,
    /// validating text on the inflated bytes step by step (RFC 7692 §6.2,
    /// RFC 6455 §8.1).
    fn inflate(&mut self, compressed: &[u8], text: bool) -> Result<(), ProtocolError> {
        let MessageCodec { deflate, utf8, .. } = self;
        let Some(d) = deflate.as_deref_mut() else {
            // Unreachable: RSV1 passes the frame codec only when negotiated.
            return Err(ProtocolError::ReservedBits { rsv: RSV1 });
        };
        if text {
            d.inflater.inflate_with(compressed, |b| {
                utf8.feed(b).map_err(|e| Self::utf8_err(e.offset))
            })
        } else {
            Ok(d.inflater.inflate_fragment(compressed)?)
        }
    }

    /// Ends the compressed message (the `00 00 ff ff` tail, §7.2.2) and
    /// hands it out.
    fn finish_compressed(&mut self, text: bool) -> Result<Message, ProtocolError> {
        let MessageCodec { deflate, utf8, .. } = self;
        let Some(d) = deflate.as_deref_mut() else {
            return Err(ProtocolError::ReservedBits { rsv: RSV1 });
        };
        if text {
            let data = d
                .inflater
                .finish_message_with(|b| utf8.feed(b).map_err(|e| Self::utf8_err(e.offset)))?;
            utf8.finish().map_err(|e| Self::utf8_err(e.offset))?;
            // Checked step by step as it was inflated (fail-fast);
            // `Utf8Bytes` checks the whole text again.
            return Self::text(data);
        }
        Ok(Message::Binary(d.inflater.finish_message()?))
    }

    fn feed_utf8(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        self.utf8.feed(bytes).map_err(|e| Self::utf8_err(e.offset))
    }

    /// With `utf8_fail_fast`: while a frame is still arriving, takes in
    /// the bytes that came since the last call (unmasked in place): text
    /// is validated, a compressed frame (text or binary) inflated, so
    /// invalid UTF-8 fails as soon as it is received, not when the frame
    /// ends (RFC 6455 §8.1: "as soon as"), and a compressed message that
    /// inflates past `max_message_size` fails as soon as it does. Linear:
    /// each byte is unmasked and validated or inflated once.
    fn take_in_arrived_bytes(&mut self, src: &mut BytesMut) -> Result<(), ProtocolError> {
        if !self.utf8_fail_fast {
            return Ok(());
        }
        let Some((opcode, rsv)) = self.frames.pending_opcode() else {
            return Ok(());
        };
        let (text, compressed) = match (opcode, &self.partial) {
            (OpCode::Text | OpCode::Binary, None) => (opcode == OpCode::Text, rsv & RSV1 != 0),
            (OpCode::Continuation, Some(p)) => (p.text, p.compressed),
            _ => return Ok(()),
        };
        if !text && !compressed {
            return Ok(());
        }
        if let Some((range, before)) = self.frames.unmask_available(src) {
            if before == 0 && opcode != OpCode::Continuation {
                self.utf8.reset();
            }
            let arrived = &src[range];
            if compressed {
                self.inflate(arrived, text)?;
            } else {
                self.feed_utf8(arrived)?;
            }
        }
        Ok(())
    }
}

impl MessageCodec {
    /// The frames `msg` is sent as: one, or frames of at most
    /// `auto_fragment_size` payload bytes. With permessage-deflate a data
    /// message at least `compression_threshold` long is compressed whole
    /// (sync-flushed, §7.2.1) and its first frame carries RSV1 (§6);
    /// control messages never are (§6.1). The one place a message becomes
    /// frames, for the encoder and for the stream.
    ///
    /// ```
    /// use pushcodec::ws::extension::deflate::DeflateParams;
    /// use pushcodec::ws::{Message, MessageCodec, Role, WebSocketConfig};
    /// let mut c = MessageCodec::with_deflate(Role::Server, &WebSocketConfig::default(), Some(DeflateParams::default()));
    /// let frames: Vec<_> = c.outgoing_frames(Message::text("Hello")).unwrap().collect();
    /// assert_eq!((frames[0].rsv, &frames[0].payload[..]), (0b100, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00][..]));
    /// let ping: Vec<_> = c.outgoing_frames(Message::ping("Hello")).unwrap().collect();
    /// assert_eq!((ping[0].rsv, &ping[0].payload[..]), (0, &b"Hello"[..]));
    /// ```
    pub fn outgoing_frames(&mut self, msg: Message) -> Result<Fragments, CodecError> {
        let size = self.auto_fragment_size;
        let Some(d) = self.deflate.as_deref_mut() else {
            return Ok(msg.into_frames(size)?);
        };
        let (opcode, payload) = match msg {
            Message::Text(t) => (OpCode::Text, t.into_bytes()),
            Message::Binary(b) => (OpCode::Binary, b),
            control => return Ok(control.into_frames(size)?),
        };
        Ok(match d.compress(&payload).map_err(CodecError::Compress)? {
            Some(compressed) => Fragments::data(opcode, compressed, size, RSV1),
            None => Fragments::data(opcode, payload, size, 0),
        })
    }
}

impl Encoder<Message> for MessageCodec {
    type Error = CodecError;

    /// Appends the frames of `msg` to `dst` (compressed with
    /// permessage-deflate if negotiated, fragmented at `auto_fragment_size`
    /// if set). Nothing is appended if the message is invalid (oversized
    /// control payload, close code not valid on the wire).
    fn encode(&mut self, msg: Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        for frame in self.outgoing_frames(msg)? {
            self.frames.encode(frame, dst)?;
        }
        Ok(())
    }
}

/// Makes room for `add` more bytes in a message being reassembled, growing
/// by doubling but never past `max` (`max_message_size`; the size check has
/// already bounded `buf.len() + add` by it), so a fragmented message never
/// holds more than `max` bytes of capacity (`reserve` alone could double a
/// buffer to nearly twice the limit).
fn grow_within(buf: &mut BytesMut, add: usize, max: usize) {
    let need = buf.len().saturating_add(add);
    if need <= buf.capacity() {
        return;
    }
    let target = buf.capacity().saturating_mul(2).min(max).max(need);
    let mut grown = BytesMut::with_capacity(target);
    grown.extend_from_slice(buf);
    *buf = grown;
}

#[cfg(test)]
mod tests;
