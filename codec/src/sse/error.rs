//! Typed errors of the SSE decoder ([`DecodeError`]) and encoder
//! ([`EncodeError`]). Each says what was wrong and where.

/// An error of [`SseDecoder`](super::SseDecoder).
///
/// The decoder recovers from both limit errors (see their docs): if you keep
/// calling it after an error, it skips the offending line or event and goes
/// on. (`FramedRead` itself ends the stream after the first error.)
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::sse::{DecodeError, SseDecoder};
/// use tokio_util::codec::Decoder;
///
/// let mut dec = SseDecoder::builder().max_line_length(4).build();
/// let mut buf = BytesMut::from("data: too long\n");
/// let err = dec.decode(&mut buf).unwrap_err();
/// assert!(matches!(err, DecodeError::LineTooLong { line: 1, max: 4, .. }));
/// assert!(err.to_string().contains("max_line_length 4"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line (without its line end) is longer than `max_line_length`
    /// (§9.2.5 gives lines no bound; this limit keeps an endless line from
    /// eating memory). The line is discarded, and so is its event: `data`
    /// and `event` lines up to the next blank line are ignored (`id` and
    /// `retry` still count).
    #[error(
        "SSE line {line} is at least {length} bytes long, which exceeds max_line_length {max}; \
         the line and its event are discarded"
    )]
    LineTooLong {
        /// 1-based number of the offending line in the stream.
        line: u64,
        /// Bytes of the line seen when the limit was hit (a lower bound of
        /// its length when the line was still unterminated).
        length: usize,
        /// The configured limit.
        max: usize,
    },
    /// The event being assembled (its data buffer, LF separators included,
    /// plus its event type) grew beyond `max_event_size`. The event is
    /// discarded: `data` and `event` lines up to the next blank line are
    /// ignored (`id` and `retry` still count).
    #[error(
        "SSE event would grow to {size} bytes at line {line}, which exceeds max_event_size {max}; \
         the event is discarded up to the next blank line"
    )]
    EventTooLarge {
        /// 1-based number of the line that made the event too large.
        line: u64,
        /// Size the event would have reached.
        size: usize,
        /// The configured limit.
        max: usize,
    },
    /// Reading the underlying transport failed (required by
    /// [`tokio_util::codec::Decoder`]; never produced by the decoder itself).
    #[error("I/O error while reading the event stream: {0}")]
    Io(#[from] std::io::Error),
}

/// An error of [`SseEncoder`](super::SseEncoder): the item cannot be written
/// without changing its meaning, so nothing was written.
///
/// ```
/// use pushcodec::sse::{EncodeError, Outgoing, OutgoingEvent, SseEncoder};
///
/// let bad = Outgoing::from(OutgoingEvent::new("x").event("a\nb"));
/// let err = SseEncoder::encode_to_bytes(&bad).unwrap_err();
/// assert!(matches!(err, EncodeError::InvalidEventType { index: 1, byte: b'\n' }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The `event` name contains CR or LF, which would end the field line
    /// early (§9.2.5 `any-char` excludes CR and LF).
    #[error(
        "SSE event type contains byte {byte:#04x} (CR or LF) at byte {index}; \
         it would end the `event` line early"
    )]
    InvalidEventType {
        /// Byte offset of the first offending byte in the event type.
        index: usize,
        /// The offending byte (`b'\r'` or `b'\n'`).
        byte: u8,
    },
    /// The `id` contains CR or LF (which would end the field line) or NUL
    /// (which makes the browser ignore the field, §9.2.6 "If the field name
    /// is id").
    #[error(
        "SSE event id contains byte {byte:#04x} (CR, LF or NUL) at byte {index}; \
         the id could not be sent intact"
    )]
    InvalidId {
        /// Byte offset of the first offending byte in the id.
        index: usize,
        /// The offending byte (`b'\r'`, `b'\n'` or `0`).
        byte: u8,
    },
    /// Writing to the underlying transport failed (required by
    /// [`tokio_util::codec::Encoder`]; never produced by the encoder itself).
    #[error("I/O error while writing the event stream: {0}")]
    Io(#[from] std::io::Error),
}
