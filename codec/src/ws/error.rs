//! The error type of the WebSocket layers and its close-code mapping.

use super::close::CloseCode;
use super::frame::OpCode;

/// Everything that can go wrong while decoding, encoding or running a
/// WebSocket connection.
///
/// Protocol violations by the peer map to a close code
/// ([`Error::close_code`]) which [`WebSocketStream`](super::WebSocketStream)
/// sends before closing the connection (RFC 6455 §7.1.7 "Fail the WebSocket
/// Connection").
///
/// ```
/// use pushcodec::ws::{CloseCode, Error};
/// let e = Error::FrameTooBig { len: 1 << 40, max: 16 << 20 };
/// assert_eq!(e.close_code(), Some(CloseCode::TOO_BIG));
/// assert_eq!(e.to_string(), "frame payload length 1099511627776 exceeds max_frame_size 16777216");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The underlying transport failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
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
    /// A close reason that would make the close frame longer than 125 bytes
    /// (sending side; RFC 6455 §5.5).
    #[error("close reason of {len} bytes exceeds 123 bytes")]
    CloseReasonTooLong {
        /// Reason length in bytes.
        len: usize,
    },
    /// The peer closed the transport in the middle of a frame or without a
    /// closing handshake.
    #[error("connection closed by peer without a closing handshake ({0})")]
    UnexpectedEof(&'static str),
    /// The peer did not answer our Close frame within `close_timeout`.
    #[error("peer did not answer the close frame within {0:?}")]
    CloseTimeout(std::time::Duration),
    /// A message was sent after the closing handshake started.
    #[error("cannot send: the connection is closing or closed")]
    AlreadyClosed,
}

impl Error {
    /// The close code to send the peer for this error, if it is a protocol
    /// error of the peer (RFC 6455 §7.4.1): 1002 protocol error, 1007
    /// invalid payload data (UTF-8), 1009 message too big. `None` for local
    /// conditions (I/O errors, timeouts, misuse).
    ///
    /// ```
    /// use pushcodec::ws::{CloseCode, Error};
    /// assert_eq!(Error::UnmaskedFrame.close_code(), Some(CloseCode::PROTOCOL_ERROR));
    /// assert_eq!(Error::InvalidUtf8 { what: "text message", offset: 3 }.close_code(),
    ///            Some(CloseCode::INVALID_PAYLOAD));
    /// ```
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Error::ReservedBits { .. }
            | Error::ReservedOpcode { .. }
            | Error::ControlFrameTooLong { .. }
            | Error::FragmentedControlFrame { .. }
            | Error::UnmaskedFrame
            | Error::MaskedFrame
            | Error::LengthTopBitSet { .. }
            | Error::UnexpectedContinuation
            | Error::ExpectedContinuation { .. }
            | Error::CloseOneByte
            | Error::InvalidCloseCode { .. } => Some(CloseCode::PROTOCOL_ERROR),
            Error::InvalidUtf8 { .. } => Some(CloseCode::INVALID_PAYLOAD),
            Error::FrameTooBig { .. } | Error::MessageTooBig { .. } => Some(CloseCode::TOO_BIG),
            Error::Io(_)
            | Error::CloseReasonTooLong { .. }
            | Error::UnexpectedEof(_)
            | Error::CloseTimeout(_)
            | Error::AlreadyClosed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_covers_each_class() {
        assert_eq!(
            Error::ReservedOpcode { opcode: 3 }.close_code(),
            Some(CloseCode(1002))
        );
        assert_eq!(Error::CloseOneByte.close_code(), Some(CloseCode(1002)));
        assert_eq!(
            Error::MessageTooBig { size: 10, max: 5 }.close_code(),
            Some(CloseCode(1009))
        );
        assert_eq!(
            Error::InvalidUtf8 {
                what: "close reason",
                offset: 0
            }
            .close_code(),
            Some(CloseCode(1007))
        );
        assert_eq!(Error::AlreadyClosed.close_code(), None);
    }

    #[test]
    fn messages_say_what_and_where() {
        let e = Error::ControlFrameTooLong {
            opcode: OpCode::Ping,
            len: 126,
        };
        assert_eq!(
            e.to_string(),
            "control frame (Ping) payload length 126 exceeds 125 bytes"
        );
        let e = Error::ReservedBits { rsv: 0b100 };
        assert!(e.to_string().contains("0b100"), "{e}");
    }
}
