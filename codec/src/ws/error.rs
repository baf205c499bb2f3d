//! The errors of the WebSocket layers, nested by layer, and the one mapping
//! from an error to the close code sent to the peer.
//!
//! | type | who produces it | close code |
//! | --- | --- | --- |
//! | [`ProtocolError`] | the decoders, when the peer breaks an RFC 6455 rule | one per variant, [`ProtocolError::close_code`] (1002, 1007, 1009) |
//! | [`MessageError`] | the encoders, when a message *we* were asked to send breaks a rule | none (nothing is sent) |
//! | [`EofReason`] | the decoders and the stream, when the transport ends early | none (1006 is never sent, §7.1.5) |
//! | [`CodecError`] | `FrameCodec` / `MessageCodec` (`Decoder::Error`, `Encoder::Error`): transport, protocol, EOF, message | [`CodecError::close_code`] |
//! | [`Error`] | `WebSocketStream`: everything a codec reports, plus the connection's own timeouts and misuse | [`Error::close_code`] |

use std::time::Duration;

use super::close::CloseCode;
use super::extension::DeflateError;
use super::frame::OpCode;

/// The peer broke a rule of RFC 6455: the connection is failed (§7.1.7)
/// with [`ProtocolError::close_code`].
///
/// ```
/// use pushcodec::ws::{CloseCode, ProtocolError};
/// let e = ProtocolError::FrameTooBig { len: 1 << 40, max: 16 << 20 };
/// assert_eq!(e.close_code(), CloseCode::TOO_BIG);
/// assert_eq!(e.to_string(), "frame payload length 1099511627776 exceeds max_frame_size 16777216");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// RSV1..3 bits set that no negotiated extension claims (RFC 6455 §5.2).
    #[error("reserved bits {rsv:#05b} set in frame header with no extension negotiated for them")]
    ReservedBits {
        /// The RSV bits as `0b0xxx` (RSV1 is `0b100`).
        rsv: u8,
    },
    /// Opcode 3–7 or 0xB–0xF (RFC 6455 §5.2).
    #[error("reserved opcode {opcode:#x} in frame header")]
    ReservedOpcode {
        /// The 4-bit opcode.
        opcode: u8,
    },
    /// A control frame with a payload over 125 bytes (RFC 6455 §5.5).
    #[error("control frame ({opcode:?}) payload length {len} exceeds 125 bytes")]
    ControlFrameTooLong {
        /// The frame's opcode.
        opcode: OpCode,
        /// The payload length.
        len: u64,
    },
    /// A control frame without FIN (RFC 6455 §5.5).
    #[error("control frame ({opcode:?}) is fragmented (FIN bit clear)")]
    FragmentedControlFrame {
        /// The frame's opcode.
        opcode: OpCode,
    },
    /// A server received an unmasked frame (RFC 6455 §5.1).
    #[error("received an unmasked frame from a client (clients must mask every frame)")]
    UnmaskedFrame,
    /// A client received a masked frame (RFC 6455 §5.1).
    #[error("received a masked frame from a server (servers must not mask)")]
    MaskedFrame,
    /// The 64-bit payload length had its most significant bit set (RFC 6455 §5.2).
    #[error("64-bit payload length {len:#x} has its most significant bit set")]
    LengthTopBitSet {
        /// The raw 64-bit length.
        len: u64,
    },
    /// The frame's declared length is over the configured `max_frame_size`.
    #[error("frame payload length {len} exceeds max_frame_size {max}")]
    FrameTooBig {
        /// Declared payload length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A message (all its fragments) is over the configured `max_message_size`.
    #[error("message size {size} exceeds max_message_size {max}")]
    MessageTooBig {
        /// Size reached so far (already received fragments + the new one).
        size: u64,
        /// The limit.
        max: usize,
    },
    /// A text message or close reason is not UTF-8 (RFC 6455 §8.1).
    #[error("invalid UTF-8 in {what} at byte {offset}")]
    InvalidUtf8 {
        /// `"text message"` or `"close reason"`.
        what: &'static str,
        /// Offset (within the message) of the first byte that cannot start or
        /// continue a valid sequence.
        offset: usize,
    },
    /// A continuation frame arrived with no fragmented message in progress
    /// (RFC 6455 §5.4).
    #[error("continuation frame with no fragmented message in progress")]
    UnexpectedContinuation,
    /// A new text/binary frame arrived inside a fragmented message (RFC 6455 §5.4).
    #[error("{opcode:?} frame inside a fragmented message (expected a continuation)")]
    ExpectedContinuation {
        /// The opcode that arrived.
        opcode: OpCode,
    },
    /// A close frame with a 1-byte payload (RFC 6455 §5.5.1).
    #[error("close frame payload of 1 byte (must be empty or hold a 2-byte code)")]
    CloseOneByte,
    /// A close code that must not appear on the wire (RFC 6455 §7.4, IANA registry).
    #[error("close code {code} is not valid on the wire")]
    InvalidCloseCode {
        /// The received code.
        code: u16,
    },
    /// RSV1 on a control frame or a continuation frame: permessage-deflate
    /// sets it on the first frame of a data message only (RFC 7692 §6.1:
    /// "MUST NOT set the 'Per-Message Compressed' bit of control frames
    /// and non-first fragments").
    #[error("RSV1 set on a {opcode:?} frame (permessage-deflate sets it only on the first frame of a data message, RFC 7692 §6.1)")]
    CompressedBitMisplaced {
        /// The frame's opcode.
        opcode: OpCode,
    },
    /// A compressed message (RSV1, RFC 7692 §6) that does not inflate
    /// (1007) or inflates past `max_message_size` (1009).
    #[error("permessage-deflate: {0}")]
    Deflate(#[from] DeflateError),
}

impl ProtocolError {
    /// The close code for this violation (RFC 6455 §7.4.1): 1007 invalid
    /// payload data (UTF-8, and a compressed message that does not inflate:
    /// see [`DeflateError::close_code`]), 1009 message too big (also when
    /// inflated), 1002 protocol error for the rest. The one place where a
    /// protocol error becomes a close code.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, ProtocolError};
    /// assert_eq!(ProtocolError::UnmaskedFrame.close_code(), CloseCode::PROTOCOL_ERROR);
    /// assert_eq!(ProtocolError::InvalidUtf8 { what: "text message", offset: 3 }.close_code(),
    ///            CloseCode::INVALID_PAYLOAD);
    /// ```
    pub fn close_code(&self) -> CloseCode {
        match self {
            ProtocolError::InvalidUtf8 { .. } => CloseCode::INVALID_PAYLOAD,
            ProtocolError::FrameTooBig { .. } | ProtocolError::MessageTooBig { .. } => {
                CloseCode::TOO_BIG
            }
            ProtocolError::ReservedBits { .. }
            | ProtocolError::ReservedOpcode { .. }
            | ProtocolError::ControlFrameTooLong { .. }
            | ProtocolError::FragmentedControlFrame { .. }
            | ProtocolError::UnmaskedFrame
            | ProtocolError::MaskedFrame
            | ProtocolError::LengthTopBitSet { .. }
            | ProtocolError::UnexpectedContinuation
            | ProtocolError::ExpectedContinuation { .. }
            | ProtocolError::CloseOneByte
            | ProtocolError::InvalidCloseCode { .. }
            | ProtocolError::CompressedBitMisplaced { .. } => CloseCode::PROTOCOL_ERROR,
            // Our compressor's failure never reaches the read path; were it
            // to, it would still be a failed connection.
            ProtocolError::Deflate(d) => d.close_code().unwrap_or(CloseCode::PROTOCOL_ERROR),
        }
    }
}

/// A message we were asked to send breaks a rule of RFC 6455; nothing is
/// sent, the connection is unaffected.
///
/// ```
/// use pushcodec::ws::{Message, MessageError};
/// let e = Message::ping(vec![0u8; 126]).into_frames(None).unwrap_err();
/// assert!(matches!(e, MessageError::ControlFrameTooLong { len: 126, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// A control frame with a payload over 125 bytes (RFC 6455 §5.5).
    #[error("control frame ({opcode:?}) payload length {len} exceeds 125 bytes")]
    ControlFrameTooLong {
        /// The frame's opcode.
        opcode: OpCode,
        /// The payload length.
        len: u64,
    },
    /// A control frame without FIN (RFC 6455 §5.5).
    #[error("control frame ({opcode:?}) cannot be fragmented (FIN bit clear)")]
    FragmentedControlFrame {
        /// The frame's opcode.
        opcode: OpCode,
    },
    /// A close code that must not appear on the wire (RFC 6455 §7.4).
    #[error("close code {code} may not be sent")]
    InvalidCloseCode {
        /// The code.
        code: u16,
    },
    /// A close reason that would make the close frame longer than 125 bytes
    /// (RFC 6455 §5.5).
    #[error("close reason of {len} bytes exceeds 123 bytes")]
    CloseReasonTooLong {
        /// Reason length in bytes.
        len: usize,
    },
}

/// Where the transport ended without a closing handshake (RFC 6455 §7.1.5:
/// the close code is then 1006, which is never sent).
///
/// ```
/// use pushcodec::ws::EofReason;
/// assert_eq!(EofReason::InsideFrame.to_string(), "in the middle of a frame");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EofReason {
    /// Inside a frame's header or payload.
    InsideFrame,
    /// Between the fragments of a message.
    InsideMessage,
    /// Between messages, before any Close frame.
    BeforeClose,
}

impl std::fmt::Display for EofReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EofReason::InsideFrame => "in the middle of a frame",
            EofReason::InsideMessage => "in the middle of a fragmented message",
            EofReason::BeforeClose => "before a Close frame",
        })
    }
}

/// The error of [`FrameCodec`](super::FrameCodec) and
/// [`MessageCodec`](super::MessageCodec) (`Decoder::Error` and
/// `Encoder::Error`): what a codec can report, no more.
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::ws::{CodecError, FrameCodec, ProtocolError};
/// use tokio_util::codec::Decoder;
/// let mut unmasked = BytesMut::from(&b"\x81\x02hi"[..]);
/// let e = FrameCodec::server().decode(&mut unmasked).unwrap_err();
/// assert!(matches!(e, CodecError::Protocol(ProtocolError::UnmaskedFrame)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The transport failed (under `FramedRead` / `FramedWrite`).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The peer broke a rule.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The input ended early (`decode_eof`).
    #[error("connection closed by peer without a closing handshake ({0})")]
    UnexpectedEof(EofReason),
    /// A message given to the encoder cannot be sent.
    #[error("cannot send: {0}")]
    InvalidMessage(#[from] MessageError),
    /// Our compressor failed on a message we were asked to send (a local
    /// fault, never the peer's: nothing is sent to the peer for it).
    #[error("cannot send: {0}")]
    Compress(DeflateError),
}

impl CodecError {
    /// The close code to send for this error: [`ProtocolError::close_code`]
    /// for protocol errors, `None` otherwise.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, CodecError, EofReason, ProtocolError};
    /// assert_eq!(CodecError::from(ProtocolError::CloseOneByte).close_code(), Some(CloseCode::PROTOCOL_ERROR));
    /// assert_eq!(CodecError::UnexpectedEof(EofReason::InsideFrame).close_code(), None);
    /// ```
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            CodecError::Protocol(p) => Some(p.close_code()),
            _ => None,
        }
    }
}

/// Everything that can go wrong on a
/// [`WebSocketStream`](super::WebSocketStream).
///
/// Protocol violations by the peer ([`Error::Protocol`]) and the
/// keep-alive and idle timeouts map to a close code ([`Error::close_code`])
/// which the stream sends before closing the connection (RFC 6455 §7.1.7
/// "Fail the WebSocket Connection").
///
/// ```
/// use pushcodec::ws::{CloseCode, Error, ProtocolError};
/// let e = Error::Protocol(ProtocolError::FrameTooBig { len: 1 << 40, max: 16 << 20 });
/// assert_eq!(e.close_code(), Some(CloseCode::TOO_BIG));
/// assert_eq!(e.to_string(), "protocol error: frame payload length 1099511627776 exceeds max_frame_size 16777216");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The underlying transport failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The peer broke a rule of RFC 6455.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The peer closed the transport without a closing handshake.
    #[error("connection closed by peer without a closing handshake ({0})")]
    UnexpectedEof(EofReason),
    /// A message given to `send` cannot be sent (nothing was sent).
    #[error("cannot send: {0}")]
    InvalidMessage(#[from] MessageError),
    /// The closing handshake did not finish within `close_timeout`.
    #[error("closing handshake not finished within {0:?}")]
    CloseTimeout(Duration),
    /// Keep-alive: nothing was received within `keep_alive_timeout` of a
    /// Ping (the connection is failed with 1011).
    #[error("no answer to a keep-alive ping within {0:?}")]
    KeepAliveTimeout(Duration),
    /// No data message was sent or received for `idle_timeout` (the
    /// connection is closed with 1001).
    #[error("connection idle for {0:?}")]
    IdleTimeout(Duration),
    /// A message was sent after the closing handshake started.
    #[error("cannot send: the connection is closing or closed")]
    AlreadyClosed,
    /// Our compressor failed on a message we were asked to send (a local
    /// fault, never the peer's); the message was not sent.
    #[error("cannot send: {0}")]
    Compress(DeflateError),
}

impl From<CodecError> for Error {
    fn from(e: CodecError) -> Error {
        match e {
            CodecError::Io(e) => Error::Io(e),
            CodecError::Protocol(p) => Error::Protocol(p),
            CodecError::UnexpectedEof(r) => Error::UnexpectedEof(r),
            CodecError::InvalidMessage(m) => Error::InvalidMessage(m),
            CodecError::Compress(d) => Error::Compress(d),
        }
    }
}

impl Error {
    /// The close code sent to the peer for this error: the protocol
    /// error's ([`ProtocolError::close_code`]), 1011 for a keep-alive
    /// timeout, 1001 for an idle timeout; `None` for local conditions (I/O
    /// errors, end of input, close timeout, misuse), after which nothing is
    /// sent.
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Error, ProtocolError};
    /// use std::time::Duration;
    /// assert_eq!(Error::from(ProtocolError::UnmaskedFrame).close_code(), Some(CloseCode::PROTOCOL_ERROR));
    /// assert_eq!(Error::KeepAliveTimeout(Duration::from_secs(1)).close_code(), Some(CloseCode::INTERNAL));
    /// assert_eq!(Error::AlreadyClosed.close_code(), None);
    /// ```
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Error::Protocol(p) => Some(p.close_code()),
            Error::KeepAliveTimeout(_) => Some(CloseCode::INTERNAL),
            Error::IdleTimeout(_) => Some(CloseCode::GOING_AWAY),
            Error::Io(_)
            | Error::UnexpectedEof(_)
            | Error::InvalidMessage(_)
            | Error::CloseTimeout(_)
            | Error::AlreadyClosed
            | Error::Compress(_) => None,
        }
    }

    /// The protocol error, if this is one.
    ///
    /// ```
    /// use pushcodec::ws::{Error, ProtocolError};
    /// assert_eq!(Error::from(ProtocolError::MaskedFrame).as_protocol(), Some(&ProtocolError::MaskedFrame));
    /// ```
    pub fn as_protocol(&self) -> Option<&ProtocolError> {
        match self {
            Error::Protocol(p) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_covers_each_class() {
        assert_eq!(
            ProtocolError::ReservedOpcode { opcode: 3 }.close_code(),
            CloseCode(1002)
        );
        assert_eq!(ProtocolError::CloseOneByte.close_code(), CloseCode(1002));
        assert_eq!(
            ProtocolError::MessageTooBig { size: 10, max: 5 }.close_code(),
            CloseCode(1009)
        );
        assert_eq!(
            ProtocolError::InvalidUtf8 {
                what: "close reason",
                offset: 0
            }
            .close_code(),
            CloseCode(1007)
        );
        assert_eq!(Error::AlreadyClosed.close_code(), None);
        assert_eq!(
            Error::UnexpectedEof(EofReason::BeforeClose).close_code(),
            None
        );
        assert_eq!(
            Error::IdleTimeout(Duration::from_secs(1)).close_code(),
            Some(CloseCode(1001))
        );
        let from_codec: Error = CodecError::Protocol(ProtocolError::MaskedFrame).into();
        assert!(matches!(
            from_codec,
            Error::Protocol(ProtocolError::MaskedFrame)
        ));
    }

    #[test]
    fn messages_say_what_and_where() {
        let e = ProtocolError::ControlFrameTooLong {
            opcode: OpCode::Ping,
            len: 126,
        };
        assert_eq!(
            e.to_string(),
            "control frame (Ping) payload length 126 exceeds 125 bytes"
        );
        let e = ProtocolError::ReservedBits { rsv: 0b100 };
        assert!(e.to_string().contains("0b100"), "{e}");
        let e = Error::UnexpectedEof(EofReason::InsideMessage);
        assert_eq!(
            e.to_string(),
            "connection closed by peer without a closing handshake (in the middle of a fragmented message)"
        );
    }
}
