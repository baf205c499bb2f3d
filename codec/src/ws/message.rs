//! [`Message`]: a whole WebSocket message or control frame, and
//! [`Fragments`]: the frames a message is sent as.
//!
//! ```
//! use pushcodec::ws::{Message, OpCode};
//! let frames: Vec<_> = Message::text("Hello, world").into_frames(Some(5)).unwrap().collect();
//! assert_eq!(frames.len(), 3);
//! assert_eq!((frames[0].opcode, frames[1].opcode), (OpCode::Text, OpCode::Continuation));
//! assert!(frames[2].fin && !frames[0].fin);
//! ```

use bytes::Bytes;

use super::close::CloseFrame;
use super::error::MessageError;
use super::frame::{Frame, OpCode};
use crate::Utf8Bytes;

/// A complete WebSocket message (data messages reassembled from their
/// fragments) or a control frame.
///
/// ```
/// use pushcodec::ws::Message;
/// let m = Message::text("hello");
/// assert_eq!(m.as_text(), Some("hello"));
/// let b = Message::binary(vec![1u8, 2, 3]);
/// assert_eq!(b.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (validated UTF-8, zero-copy).
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping (payload at most 125 bytes).
    Ping(Bytes),
    /// A pong (payload at most 125 bytes).
    Pong(Bytes),
    /// A close frame, with a code and reason or empty.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    ///
    /// ```
    /// let m = pushcodec::ws::Message::text(String::from("hi"));
    /// assert!(m.is_text());
    /// ```
    pub fn text(t: impl Into<Utf8Bytes>) -> Message {
        Message::Text(t.into())
    }

    /// A binary message.
    ///
    /// ```
    /// let m = pushcodec::ws::Message::binary(&b"\x00"[..]);
    /// assert!(m.is_binary());
    /// ```
    pub fn binary(b: impl Into<Bytes>) -> Message {
        Message::Binary(b.into())
    }

    /// A ping.
    ///
    /// ```
    /// assert!(pushcodec::ws::Message::ping(&b"p"[..]).is_control());
    /// ```
    pub fn ping(b: impl Into<Bytes>) -> Message {
        Message::Ping(b.into())
    }

    /// A pong.
    ///
    /// ```
    /// assert!(pushcodec::ws::Message::pong(&b"p"[..]).is_control());
    /// ```
    pub fn pong(b: impl Into<Bytes>) -> Message {
        Message::Pong(b.into())
    }

    /// A close message with a code and reason.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Message};
    /// let m = Message::close(CloseCode::NORMAL, "bye");
    /// assert!(m.is_close());
    /// ```
    pub fn close(code: super::CloseCode, reason: impl Into<Utf8Bytes>) -> Message {
        Message::Close(Some(CloseFrame::new(code, reason)))
    }

    /// Whether this is a text message.
    ///
    /// ```
    /// assert!(pushcodec::ws::Message::text("x").is_text());
    /// ```
    pub fn is_text(&self) -> bool {
        matches!(self, Message::Text(_))
    }

    /// Whether this is a binary message.
    ///
    /// ```
    /// assert!(!pushcodec::ws::Message::text("x").is_binary());
    /// ```
    pub fn is_binary(&self) -> bool {
        matches!(self, Message::Binary(_))
    }

    /// Whether this is a Close.
    ///
    /// ```
    /// assert!(pushcodec::ws::Message::Close(None).is_close());
    /// ```
    pub fn is_close(&self) -> bool {
        matches!(self, Message::Close(_))
    }

    /// Whether this is a control message (Ping, Pong, Close).
    ///
    /// ```
    /// assert!(pushcodec::ws::Message::Close(None).is_control());
    /// ```
    pub fn is_control(&self) -> bool {
        matches!(
            self,
            Message::Ping(_) | Message::Pong(_) | Message::Close(_)
        )
    }

    /// The text, for a text message.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::Message::binary(vec![]).as_text(), None);
    /// ```
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(t) => Some(t.as_str()),
            _ => None,
        }
    }

    /// Payload length in bytes (for Close: the reason's length).
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::Message::text("héllo").len(), 6);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            Message::Text(t) => t.len(),
            Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.len(),
            Message::Close(c) => c.as_ref().map_or(0, |c| c.reason.len()),
        }
    }

    /// Whether the payload is empty.
    ///
    /// ```
    /// assert!(pushcodec::ws::Message::binary(vec![]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload bytes (for Close: the encoded 2-byte code + reason, or
    /// nothing).
    ///
    /// ```
    /// assert_eq!(&pushcodec::ws::Message::text("ab").into_payload().unwrap()[..], b"ab");
    /// ```
    pub fn into_payload(self) -> Result<Bytes, MessageError> {
        Ok(match self {
            Message::Text(t) => t.into_bytes(),
            Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b,
            Message::Close(None) => Bytes::new(),
            Message::Close(Some(c)) => c.encode()?,
        })
    }

    /// The frames this message is sent as: one frame, or for data messages
    /// with `fragment_size = Some(n)`, frames of at most `n` payload bytes
    /// (slices of the payload, no copy). Fails for control messages longer
    /// than 125 bytes and Close codes not valid on the wire (RFC 6455 §5.5,
    /// §7.4).
    ///
    /// ```
    /// use pushcodec::ws::{Message, OpCode};
    /// let frames: Vec<_> = Message::text("abcdefg").into_frames(Some(3)).unwrap().collect();
    /// assert_eq!(frames.len(), 3);
    /// assert_eq!(frames[0].opcode, OpCode::Text);
    /// assert_eq!(frames[1].opcode, OpCode::Continuation);
    /// assert!(frames[2].fin && !frames[1].fin);
    /// ```
    pub fn into_frames(self, fragment_size: Option<usize>) -> Result<Fragments, MessageError> {
        let opcode = match &self {
            Message::Text(_) => OpCode::Text,
            Message::Binary(_) => OpCode::Binary,
            Message::Ping(_) => OpCode::Ping,
            Message::Pong(_) => OpCode::Pong,
            Message::Close(_) => OpCode::Close,
        };
        if let Message::Close(Some(cf)) = &self {
            if !cf.code.is_valid_on_wire() {
                return Err(MessageError::InvalidCloseCode { code: cf.code.0 });
            }
        }
        let payload = self.into_payload()?;
        if opcode.is_control() && payload.len() > 125 {
            return Err(MessageError::ControlFrameTooLong {
                opcode,
                len: payload.len() as u64,
            });
        }
        let size = if opcode.is_control() {
            None
        } else {
            fragment_size.map(|n| n.max(1))
        };
        Ok(Fragments {
            opcode,
            rest: payload,
            size,
            first_rsv: 0,
            started: false,
            done: false,
        })
    }
}

/// Iterator over the frames of one outgoing message; see
/// [`Message::into_frames`].
///
/// ```
/// let n = pushcodec::ws::Message::binary(vec![0u8; 10]).into_frames(None).unwrap().count();
/// assert_eq!(n, 1);
/// ```
#[derive(Debug, Clone)]
pub struct Fragments {
    opcode: OpCode,
    rest: Bytes,
    size: Option<usize>,
    /// RSV bits of the first frame (continuations carry none, RFC 7692 §6.1).
    first_rsv: u8,
    started: bool,
    done: bool,
}

impl Fragments {
    /// The frames of a data message whose payload is already what goes on
    /// the wire (a compressed message, RFC 7692 §6: the opcode is the
    /// message's, the payload not necessarily UTF-8 for Text), with
    /// `first_rsv` on its first frame.
    pub(crate) fn data(
        opcode: OpCode,
        payload: Bytes,
        fragment_size: Option<usize>,
        first_rsv: u8,
    ) -> Fragments {
        debug_assert!(matches!(opcode, OpCode::Text | OpCode::Binary));
        Fragments {
            opcode,
            rest: payload,
            size: fragment_size.map(|n| n.max(1)),
            first_rsv: first_rsv & 0x7,
            started: false,
            done: false,
        }
    }

    /// Sets the RSV bits (`0b0xxx`) of the message's first frame: the hook
    /// for a per-message extension such as permessage-deflate, which sets
    /// RSV1 on the first frame of a compressed message (RFC 7692 §6).
    ///
    /// ```
    /// let mut f = pushcodec::ws::Message::binary(vec![0u8; 4]).into_frames(Some(2)).unwrap().first_rsv(0b100);
    /// assert_eq!(f.next().unwrap().rsv, 0b100);
    /// assert_eq!(f.next().unwrap().rsv, 0);
    /// ```
    pub fn first_rsv(mut self, rsv: u8) -> Fragments {
        self.first_rsv = rsv & 0x7;
        self
    }

    /// Payload bytes not yet handed out as frames.
    ///
    /// ```
    /// let f = pushcodec::ws::Message::binary(vec![0u8; 4]).into_frames(None).unwrap();
    /// assert_eq!(f.remaining(), 4);
    /// ```
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }
}

impl Iterator for Fragments {
    type Item = Frame;

    fn next(&mut self) -> Option<Frame> {
        if self.done {
            return None;
        }
        let opcode = if self.started {
            OpCode::Continuation
        } else {
            self.opcode
        };
        self.started = true;
        let payload = match self.size {
            Some(n) if self.rest.len() > n => self.rest.split_to(n),
            _ => {
                self.done = true;
                std::mem::take(&mut self.rest)
            }
        };
        let rsv = if opcode == OpCode::Continuation {
            0
        } else {
            self.first_rsv
        };
        Some(Frame {
            fin: self.done,
            rsv,
            opcode,
            payload,
        })
    }
}

#[cfg(feature = "arbitrary")]
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> arbitrary::Arbitrary<'a> for Message {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let control = |u: &mut arbitrary::Unstructured<'a>| -> arbitrary::Result<Bytes> {
            let mut v: Vec<u8> = u.arbitrary()?;
            v.truncate(125);
            Ok(Bytes::from(v))
        };
        Ok(match u.int_in_range(0..=4u8)? {
            0 => Message::Text(Utf8Bytes::arbitrary(u)?),
            1 => Message::Binary(Bytes::from(Vec::<u8>::arbitrary(u)?)),
            2 => Message::Ping(control(u)?),
            3 => Message::Pong(control(u)?),
            _ => Message::Close(Option::<CloseFrame>::arbitrary(u)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::CloseCode;

    #[test]
    fn fragments_reassemble_to_the_payload() {
        let data: Vec<u8> = (0..100u8).collect();
        for size in 1..=101 {
            let frames: Vec<Frame> = Message::binary(data.clone())
                .into_frames(Some(size))
                .unwrap()
                .collect();
            assert_eq!(
                frames.len(),
                data.len().div_ceil(size).max(1),
                "size {size}"
            );
            let joined: Vec<u8> = frames.iter().flat_map(|f| f.payload.to_vec()).collect();
            assert_eq!(joined, data);
            assert!(frames.last().unwrap().fin);
            assert!(frames[..frames.len() - 1].iter().all(|f| !f.fin));
        }
    }

    #[test]
    fn empty_message_is_one_frame() {
        let frames: Vec<Frame> = Message::text("").into_frames(Some(4)).unwrap().collect();
        assert_eq!(frames.len(), 1);
        assert!(frames[0].fin);
    }

    #[test]
    fn control_messages_are_never_fragmented_and_are_checked() {
        assert_eq!(
            Message::ping(vec![0u8; 100])
                .into_frames(Some(10))
                .unwrap()
                .count(),
            1
        );
        assert!(Message::ping(vec![0u8; 126]).into_frames(None).is_err());
        assert!(Message::close(CloseCode(1005), "")
            .into_frames(None)
            .is_err());
    }

    /// Arbitrary messages (what the fuzz targets send) are always sendable
    /// and round-trip through the codecs.
    #[cfg(feature = "arbitrary")]
    #[test]
    fn arbitrary_messages_roundtrip() {
        use arbitrary::{Arbitrary, Unstructured};
        use bytes::BytesMut;
        use tokio_util::codec::{Decoder, Encoder};
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..500 {
            let data: Vec<u8> = (0..256)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let mut u = Unstructured::new(&data);
            let m = Message::arbitrary(&mut u).unwrap();
            let mut enc = crate::ws::MessageCodec::new(crate::ws::Role::Client);
            let mut dec = crate::ws::MessageCodec::new(crate::ws::Role::Server);
            let mut wire = BytesMut::new();
            enc.encode(m.clone(), &mut wire).unwrap();
            assert_eq!(dec.decode(&mut wire).unwrap(), Some(m));
        }
    }
}
