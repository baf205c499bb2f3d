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
//! ## Where a per-message extension goes (permessage-deflate, RFC 7692)
//! The RSV bits of a message's first frame are kept with the message being
//! reassembled (`Partial`'s `rsv`; continuation frames carry none). A
//! per-message transform slots in at the two places a data message is
//! completed — the unfragmented fast path in `decode_message` and the final
//! continuation in `add_fragment` — as "if RSV1: inflate the payload, then
//! validate text"; text of a compressed message must then skip the
//! incremental check (`validate_arrived_text`, `feed_utf8`), which sees
//! compressed bytes. On the write side the transform is the stream's
//! `outgoing_frames` (compress, then `Fragments::first_rsv(0b100)`), and
//! the frame codec lets RSV1 through with `FrameCodec::with_allowed_rsv`.

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::close::CloseFrame;
use super::config::WebSocketConfig;
use super::error::{CodecError, EofReason, ProtocolError};
use super::frame::OpCode;
use super::frame_codec::{Decoded, FrameCodec, Role};
use super::message::Message;
use super::utf8::Utf8Validator;
use crate::Utf8Bytes;

/// A fragmented message being reassembled.
#[derive(Debug)]
struct Partial {
    text: bool,
    /// RSV bits of the first frame (a per-message extension's flag).
    rsv: u8,
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
        MessageCodec {
            frames: FrameCodec::new(role, config.max_frame_size()),
            max_message_size: config.max_message_size(),
            auto_fragment_size: config.auto_fragment_size(),
            partial: None,
            utf8: Utf8Validator::new(),
            utf8_fail_fast: config.utf8_fail_fast(),
            reassembly_hint: 0,
        }
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

    /// A text message: the payload, checked as UTF-8 by `Utf8Bytes` (once:
    /// then `as_str` is free).
    fn text(payload: Bytes) -> Result<Message, ProtocolError> {
        Utf8Bytes::try_from(payload)
            .map(Message::Text)
            .map_err(|e| Self::utf8_err(e.valid_up_to))
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
            let already = self.partial.as_ref().map_or(0, |p| p.buf.len() as u64);
            // Fragments (a non-final data frame, or any data frame while a
            // message is being reassembled) are copied into the reassembly
            // buffer anyway: they are unmasked and copied in place, without
            // being split off the read buffer as a shared slice first.
            let fragmented = self.partial.is_some();
            let decoded = self.frames.decode_or_in_place(
                src,
                Some((already, self.max_message_size)),
                |h| !h.opcode.is_control() && (fragmented || !h.fin),
            )?;
            // Payload bytes already validated while the frame arrived.
            let seen = self.frames.last_frame_seen_early();
            let frame = match decoded {
                Some(Decoded::Frame(f)) => f,
                Some(Decoded::InPlace { header, payload }) => {
                    let message = self.add_fragment(
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
                    self.validate_arrived_text(src)?;
                    return Ok(None);
                }
            };
            let payload: Bytes = frame.payload;
            match frame.opcode {
                OpCode::Ping => return Ok(Some(Message::Ping(payload))),
                OpCode::Pong => return Ok(Some(Message::Pong(payload))),
                OpCode::Close => return Ok(Some(Message::Close(CloseFrame::parse(payload)?))),
                // A final data frame with no message in progress: the whole
                // message, handed out as the slice of the read buffer.
                // (permessage-deflate: `frame.rsv & 0b100` → inflate here.)
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
                        self.add_fragment(opcode, frame.fin, frame.rsv, &payload, seen)?
                    {
                        return Ok(Some(m));
                    }
                }
            }
        }
    }
}

impl MessageCodec {
    /// A data frame that is part of a fragmented message (§5.4): the first
    /// (non-final Text/Binary) starts the reassembly buffer, a Continuation
    /// appends to it and, if final, completes the message. `payload` is the
    /// unmasked payload, `seen` how many of its bytes were UTF-8-checked
    /// while the frame arrived.
    fn add_fragment(
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
                if text {
                    if seen == 0 {
                        self.utf8.reset();
                    }
                    self.feed_utf8(&payload[seen..])?;
                }
                let cap = payload
                    .len()
                    .max(self.reassembly_hint.min(self.max_message_size));
                let mut buf = BytesMut::with_capacity(cap);
                buf.extend_from_slice(payload);
                self.partial = Some(Partial { text, rsv, buf });
                Ok(None)
            }
            OpCode::Continuation => {
                let p = self
                    .partial
                    .as_mut()
                    .ok_or(ProtocolError::UnexpectedContinuation)?;
                if p.text {
                    self.utf8
                        .feed(&payload[seen..])
                        .map_err(|e| Self::utf8_err(e.offset))?;
                }
                grow_within(&mut p.buf, payload.len(), self.max_message_size);
                p.buf.extend_from_slice(payload);
                if !fin {
                    return Ok(None);
                }
                let p = self
                    .partial
                    .take()
                    .ok_or(ProtocolError::UnexpectedContinuation)?;
                // permessage-deflate: `p.rsv & 0b100` → inflate `p.buf` here.
                debug_assert_eq!(p.rsv & !self.frames.allowed_rsv(), 0);
                self.reassembly_hint = p.buf.len().min(REASSEMBLY_HINT_CAP);
                let data = p.buf.freeze();
                if p.text {
                    self.utf8.finish().map_err(|e| Self::utf8_err(e.offset))?;
                    // Fragments were checked as they came (§8.1: fail at
                    // once); `Utf8Bytes` checks the whole text again.
                    return Self::text(data).map(Some);
                }
                Ok(Some(Message::Binary(data)))
            }
            // Control frames never reach here (handled by `decode`).
            _ => Ok(None),
        }
    }

    fn feed_utf8(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        self.utf8.feed(bytes).map_err(|e| Self::utf8_err(e.offset))
    }

    /// With `utf8_fail_fast`: while a text frame (or a continuation of a
    /// text message) is still arriving, unmasks and validates the bytes that came in since the last
    /// call, so that invalid UTF-8 fails as soon as it is received, not when
    /// the frame ends (RFC 6455 §8.1: "as soon as"). Linear: each byte is
    /// unmasked and validated once.
    fn validate_arrived_text(&mut self, src: &mut BytesMut) -> Result<(), ProtocolError> {
        if !self.utf8_fail_fast {
            return Ok(());
        }
        let opcode = self.frames.pending_opcode();
        let text = match opcode {
            Some(OpCode::Text) => self.partial.is_none(),
            Some(OpCode::Continuation) => self.partial.as_ref().is_some_and(|p| p.text),
            _ => false,
        };
        if !text {
            return Ok(());
        }
        if let Some((range, before)) = self.frames.unmask_available(src) {
            if before == 0 && opcode == Some(OpCode::Text) {
                self.utf8.reset();
            }
            let arrived = &src[range];
            self.utf8
                .feed(arrived)
                .map_err(|e| Self::utf8_err(e.offset))?;
        }
        Ok(())
    }
}

impl Encoder<Message> for MessageCodec {
    type Error = CodecError;

    /// Appends the frames of `msg` to `dst` (fragmented at
    /// `auto_fragment_size` if set). Nothing is appended if the message is
    /// invalid (oversized control payload, close code not valid on the wire).
    fn encode(&mut self, msg: Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        for frame in msg.into_frames(self.auto_fragment_size)? {
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
mod tests {
    use super::*;
    use crate::ws::{CloseCode, Frame};

    fn client_frames(frames: &[Frame]) -> BytesMut {
        let mut c = FrameCodec::client();
        let mut b = BytesMut::new();
        for f in frames {
            c.encode(f.clone(), &mut b).unwrap();
        }
        b
    }

    fn decode_all(
        codec: &mut MessageCodec,
        buf: &mut BytesMut,
    ) -> Result<Vec<Message>, ProtocolError> {
        let mut out = vec![];
        while let Some(m) = codec.decode_message(buf)? {
            out.push(m);
        }
        Ok(out)
    }

    #[test]
    fn control_frames_between_fragments() {
        let mut b = client_frames(&[
            Frame::new(false, OpCode::Text, "Hel"),
            Frame::new(true, OpCode::Ping, "p"),
            Frame::new(true, OpCode::Continuation, "lo"),
        ]);
        let got = decode_all(&mut MessageCodec::new(Role::Server), &mut b).unwrap();
        assert_eq!(got, vec![Message::ping(&b"p"[..]), Message::text("Hello")]);
    }

    #[test]
    fn continuation_without_start_is_an_error() {
        let mut b = client_frames(&[Frame::new(true, OpCode::Continuation, "x")]);
        assert!(matches!(
            MessageCodec::new(Role::Server).decode_message(&mut b),
            Err(ProtocolError::UnexpectedContinuation)
        ));
    }

    #[test]
    fn new_data_frame_inside_fragmented_message_is_an_error() {
        let mut b = client_frames(&[
            Frame::new(false, OpCode::Binary, "a"),
            Frame::new(true, OpCode::Text, "b"),
        ]);
        assert!(matches!(
            decode_all(&mut MessageCodec::new(Role::Server), &mut b),
            Err(ProtocolError::ExpectedContinuation {
                opcode: OpCode::Text
            })
        ));
    }

    #[test]
    fn invalid_utf8_fails_at_the_first_bad_fragment() {
        // Second fragment makes the prefix impossible; a third never comes.
        let mut b = client_frames(&[
            Frame::new(false, OpCode::Text, "ok "),
            Frame::new(false, OpCode::Continuation, &b"\xed\xa0\x80"[..]),
        ]);
        let err = decode_all(&mut MessageCodec::new(Role::Server), &mut b).unwrap_err();
        assert!(
            matches!(err, ProtocolError::InvalidUtf8 { offset: 3, .. }),
            "{err}"
        );
        assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
    }

    #[test]
    fn code_point_split_across_fragments_is_fine() {
        let e = "€".as_bytes();
        let mut b = client_frames(&[
            Frame::new(false, OpCode::Text, &e[..1]),
            Frame::new(false, OpCode::Continuation, &e[1..2]),
            Frame::new(true, OpCode::Continuation, &e[2..]),
        ]);
        let got = decode_all(&mut MessageCodec::new(Role::Server), &mut b).unwrap();
        assert_eq!(got, vec![Message::text("€")]);
    }

    /// With `utf8_fail_fast`, invalid UTF-8 fails while the frame is still
    /// arriving (here: the first 8 bytes of a frame announcing 100); without
    /// it, when the frame is complete.
    #[test]
    fn invalid_utf8_fails_before_the_frame_is_complete() {
        let mut payload = b"valid \xff".to_vec();
        payload.resize(100, b'a');
        let wire = client_frames(&[Frame::new(true, OpCode::Text, payload)]);
        let cfg = WebSocketConfig::builder().utf8_fail_fast(true).build();
        let mut codec = MessageCodec::with_config(Role::Server, &cfg);
        let mut buf = BytesMut::from(&wire[..6 + 6]); // header + "valid "
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(&wire[12..14]); // "\xff" and one more byte
        let lenient_cfg = WebSocketConfig::builder().utf8_fail_fast(false).build();
        let mut lenient = MessageCodec::with_config(Role::Server, &lenient_cfg);
        // (From the wire: `buf` was unmasked in place by `codec`.)
        let mut copy = BytesMut::from(&wire[..14]);
        assert_eq!(lenient.decode(&mut copy).unwrap(), None);
        let err = codec.decode_message(&mut buf).unwrap_err();
        assert!(
            matches!(err, ProtocolError::InvalidUtf8 { offset: 6, .. }),
            "{err}"
        );
        copy.extend_from_slice(&wire[14..]);
        assert!(matches!(
            lenient.decode_message(&mut copy),
            Err(ProtocolError::InvalidUtf8 { offset: 6, .. })
        ));
    }

    /// Strict by default (issue 11): a default codec fails on invalid UTF-8
    /// while the frame is still arriving (Autobahn 6.4.3 / 6.4.4).
    #[test]
    fn fail_fast_is_the_default() {
        let mut payload = b"ok \xff".to_vec();
        payload.resize(100, b'a');
        let wire = client_frames(&[Frame::new(true, OpCode::Text, payload)]);
        let mut buf = BytesMut::from(&wire[..6 + 4]); // header + "ok \xff"
        let err = MessageCodec::new(Role::Server)
            .decode_message(&mut buf)
            .unwrap_err();
        assert!(
            matches!(err, ProtocolError::InvalidUtf8 { offset: 3, .. }),
            "{err}"
        );
    }

    /// Bytes validated early are not validated or unmasked twice: the
    /// message is the same whatever the read sizes (also a proptest law).
    #[test]
    fn early_validation_then_completion_gives_the_same_text() {
        let text = "κόσμε €𝄞 ".repeat(30);
        let wire = client_frames(&[
            Frame::new(false, OpCode::Text, text.as_bytes()[..101].to_vec()),
            Frame::new(true, OpCode::Continuation, text.as_bytes()[101..].to_vec()),
        ]);
        for (step, fail_fast) in [1, 2, 3, 7, 50]
            .into_iter()
            .flat_map(|s| [(s, false), (s, true)])
        {
            let cfg = WebSocketConfig::builder().utf8_fail_fast(fail_fast).build();
            let mut codec = MessageCodec::with_config(Role::Server, &cfg);
            let mut buf = BytesMut::new();
            let mut got = vec![];
            for chunk in wire.chunks(step) {
                buf.extend_from_slice(chunk);
                got.extend(decode_all(&mut codec, &mut buf).unwrap());
            }
            assert_eq!(got, vec![Message::text(text.clone())], "step {step}");
        }
    }

    #[test]
    fn truncated_code_point_at_message_end_fails() {
        let mut b = client_frames(&[
            Frame::new(false, OpCode::Text, "a"),
            Frame::new(true, OpCode::Continuation, &b"\xe2\x82"[..]),
        ]);
        assert!(matches!(
            decode_all(&mut MessageCodec::new(Role::Server), &mut b),
            Err(ProtocolError::InvalidUtf8 { offset: 1, .. })
        ));
    }

    #[test]
    fn max_message_size_is_enforced_as_fragments_arrive() {
        let cfg = WebSocketConfig::builder().max_message_size(10).build();
        let mut codec = MessageCodec::with_config(Role::Server, &cfg);
        let mut b = client_frames(&[
            Frame::new(false, OpCode::Binary, vec![0u8; 6]),
            Frame::new(false, OpCode::Continuation, vec![0u8; 6]),
        ]);
        // Only the header of the offending fragment is needed.
        let second_header_end = 6 + 6 + 6;
        let mut partial = b.split_to(second_header_end);
        let err = decode_all(&mut codec, &mut partial).unwrap_err();
        assert!(
            matches!(err, ProtocolError::MessageTooBig { size: 12, max: 10 }),
            "{err}"
        );
        assert_eq!(err.close_code(), CloseCode::TOO_BIG);
    }

    #[test]
    fn clean_eof_between_messages_is_not_an_error() {
        let mut b = client_frames(&[Frame::new(true, OpCode::Text, "done")]);
        let mut c = MessageCodec::new(Role::Server);
        assert_eq!(c.decode_eof(&mut b).unwrap(), Some(Message::text("done")));
        assert_eq!(c.decode_eof(&mut b).unwrap(), None);
    }

    #[test]
    fn unfragmented_payload_is_not_copied() {
        let mut b = client_frames(&[Frame::new(true, OpCode::Text, "zero copy")]);
        let start = b.as_ptr() as usize;
        let m = MessageCodec::new(Role::Server)
            .decode(&mut b)
            .unwrap()
            .unwrap();
        let Message::Text(t) = m else {
            panic!("not text")
        };
        assert_eq!(t.as_bytes().as_ptr() as usize, start + 6);
    }

    #[test]
    fn close_frames_are_validated() {
        for (payload, ok) in [
            (&b""[..], true),
            (&b"\x03\xe8"[..], true),
            (&b"\x03\xe8bye"[..], true),
            (&b"\x03"[..], false),
            (&b"\x03\xec"[..], false), // 1004
            (&b"\x0b\xb8"[..], true),  // 3000
            (&b"\x13\x88"[..], false), // 5000
            (&b"\x03\xe8\xff"[..], false),
        ] {
            let mut b = client_frames(&[Frame::new(true, OpCode::Close, payload)]);
            let r = MessageCodec::new(Role::Server).decode(&mut b);
            assert_eq!(r.is_ok(), ok, "{payload:x?}");
        }
    }
}
