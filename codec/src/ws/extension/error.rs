//! The errors of the extension layer and their close codes.
//!
//! Two types, by when they happen:
//!
//! * [`ExtensionError`]: at handshake time, a `Sec-WebSocket-Extensions`
//!   value that breaks the RFC 6455 §9.1 grammar, or a server response that
//!   a client must refuse (RFC 7692 §5, §7 "MUST _Fail the WebSocket
//!   Connection_").
//! * [`DeflateError`]: per message, while inflating what the peer sent or
//!   deflating what we send (RFC 7692 §7.2).
//!
//! Each maps to one close code in one function (`close_code`); a wrapping
//! layer nests them as variants rather than copying them.

use super::header::HeaderError;
use crate::ws::CloseCode;

/// A negotiation failure (RFC 6455 §9.1, RFC 7692 §5, §7).
///
/// On the server side only [`ExtensionError::Header`] can happen (an offer
/// that is merely unacceptable is declined, not an error); the handshake
/// answers it with `400 Bad Request`. On the client side every variant
/// fails the connection.
///
/// ```
/// use pushcodec::ws::extension::ExtensionError;
/// use pushcodec::ws::CloseCode;
/// let e = ExtensionError::DuplicateParam { name: "server_max_window_bits".into() };
/// assert_eq!(e.close_code(), CloseCode::MANDATORY_EXTENSION);
/// assert_eq!(
///     e.to_string(),
///     "permessage-deflate response: parameter server_max_window_bits appears twice (RFC 7692 §7)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The header value does not follow the RFC 6455 §9.1 grammar.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// The response accepts an extension the client did not offer (RFC
    /// 6455 §9.1: "MUST NOT respond with any extension not requested").
    #[error("server accepted extension {name:?}, which was not offered (RFC 6455 §9.1)")]
    NotOffered {
        /// The extension's name as the server wrote it.
        name: String,
    },
    /// The response accepts permessage-deflate more than once: both would
    /// claim RSV1 (RFC 7692 §5).
    #[error("server accepted permessage-deflate {count} times; only one extension may use RSV1 (RFC 7692 §5)")]
    AcceptedTwice {
        /// How many elements named it.
        count: usize,
    },
    /// A parameter not defined for a response (RFC 7692 §7).
    #[error("permessage-deflate response: unknown parameter {name:?} (RFC 7692 §7)")]
    UnknownParam {
        /// The parameter as written.
        name: String,
    },
    /// A parameter given twice (RFC 7692 §7).
    #[error("permessage-deflate response: parameter {name} appears twice (RFC 7692 §7)")]
    DuplicateParam {
        /// The parameter.
        name: String,
    },
    /// A parameter with an invalid value: a value on a parameter that has
    /// none, or window bits that are not 8–15 written without leading
    /// zeroes (RFC 7692 §7.1).
    #[error("permessage-deflate response: invalid {name}{} (RFC 7692 §7.1)", match value { Some(v) => format!("={v}"), None => " without a value".to_owned() })]
    InvalidValue {
        /// The parameter.
        name: &'static str,
        /// Its value, if it had one.
        value: Option<String>,
    },
    /// The response carries `client_max_window_bits`, which the offer did
    /// not (RFC 7692 §7.1.2.2: the response "MUST NOT include" it).
    #[error(
        "permessage-deflate response: client_max_window_bits was not offered (RFC 7692 §7.1.2.2)"
    )]
    ClientWindowBitsNotOffered,
    /// We asked for `server_max_window_bits=offered` and the response
    /// allows a larger window, or says nothing (RFC 7692 §7.1.2.1: it must
    /// answer "with the same or smaller value").
    #[error("permessage-deflate response: server_max_window_bits={} exceeds the requested {requested} (RFC 7692 §7.1.2.1)", answered.map_or("absent (15)".to_owned(), |a| a.to_string()))]
    ServerWindowTooLarge {
        /// What we asked for.
        requested: u8,
        /// What the response said (`None`: absent, which means 15).
        answered: Option<u8>,
    },
    /// We asked for `server_no_context_takeover` and the response does not
    /// carry it (RFC 7692 §7.1.1.1: a server accepts it by including it).
    #[error("permessage-deflate response: server_no_context_takeover was requested and not granted (RFC 7692 §7.1.1.1)")]
    ContextTakeoverNotRefused,
}

impl ExtensionError {
    /// The close code for this error: 1002 (protocol error) for a header
    /// that breaks the §9.1 grammar, 1010 (mandatory extension: RFC 7692
    /// §5.1 "the client starts the closing handshake with close code
    /// 1010") for a response the client cannot go on with. Before the
    /// connection is established a client just drops it (RFC 6455 §4.1);
    /// the code is for logs and for a client that fails it later.
    ///
    /// ```
    /// use pushcodec::ws::extension::{header::parse_extensions, ExtensionError};
    /// let e = ExtensionError::from(parse_extensions("a;").unwrap_err());
    /// assert_eq!(e.close_code().0, 1002);
    /// ```
    pub fn close_code(&self) -> CloseCode {
        match self {
            ExtensionError::Header(_) => CloseCode::PROTOCOL_ERROR,
            ExtensionError::NotOffered { .. }
            | ExtensionError::AcceptedTwice { .. }
            | ExtensionError::UnknownParam { .. }
            | ExtensionError::DuplicateParam { .. }
            | ExtensionError::InvalidValue { .. }
            | ExtensionError::ClientWindowBitsNotOffered
            | ExtensionError::ServerWindowTooLarge { .. }
            | ExtensionError::ContextTakeoverNotRefused => CloseCode::MANDATORY_EXTENSION,
        }
    }
}

/// A per-message failure of permessage-deflate (RFC 7692 §7.2).
///
/// ```
/// use pushcodec::ws::extension::DeflateError;
/// use pushcodec::ws::CloseCode;
/// let e = DeflateError::MessageTooBig { max: 1 << 20 };
/// assert_eq!(e.close_code(), Some(CloseCode::TOO_BIG));
/// assert_eq!(e.to_string(), "inflated message exceeds max_message_size 1048576");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeflateError {
    /// Inflating the message produced more than `max_message_size` bytes;
    /// found after at most one bounded step past the limit, never after
    /// inflating the whole message.
    #[error("inflated message exceeds max_message_size {max}")]
    MessageTooBig {
        /// The limit.
        max: usize,
    },
    /// The compressed payload is not a DEFLATE stream (RFC 1951), after
    /// `offset` compressed bytes of the message.
    #[error("compressed message is not valid DEFLATE data ({reason}) at compressed byte {offset}")]
    Corrupt {
        /// What the inflater said.
        reason: &'static str,
        /// Compressed bytes of the message consumed before the failure.
        offset: u64,
    },
    /// The compressor failed (a local fault, never the peer's).
    #[error("deflate failed: {0}")]
    Compress(&'static str),
}

impl DeflateError {
    /// The close code to send the peer: 1009 (message too big) when the
    /// inflated message is over the limit, 1007 (invalid payload data: RFC
    /// 6455 §7.4.1 "data within a message that was not consistent with the
    /// type of the message", here a compressed message that does not
    /// inflate) for corrupt data; `None` for our own compressor's failure.
    ///
    /// ```
    /// use pushcodec::ws::extension::DeflateError;
    /// let e = DeflateError::Corrupt { reason: "invalid block type", offset: 0 };
    /// assert_eq!(e.close_code().map(|c| c.0), Some(1007));
    /// assert_eq!(DeflateError::Compress("stream error").close_code(), None);
    /// ```
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            DeflateError::MessageTooBig { .. } => Some(CloseCode::TOO_BIG),
            DeflateError::Corrupt { .. } => Some(CloseCode::INVALID_PAYLOAD),
            DeflateError::Compress(_) => None,
        }
    }
}
