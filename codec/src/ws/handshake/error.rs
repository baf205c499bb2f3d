//! [`HandshakeError`]: why an opening handshake failed, and the HTTP
//! response refusing it.

use std::io;

use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::ws::extension::ExtensionError;

/// Why a handshake failed.
///
/// ```
/// use pushcodec::ws::handshake::HandshakeError;
/// let e = HandshakeError::UnsupportedVersion { version: Some("8".into()) };
/// assert_eq!(e.to_response().status(), 426);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The transport failed.
    #[error("I/O error during the handshake: {0}")]
    Io(#[from] io::Error),
    /// The handshake did not finish within `handshake_timeout`.
    #[error("opening handshake not finished within {after:?}")]
    Timeout {
        /// The timeout.
        after: std::time::Duration,
    },
    /// The peer closed the connection before the head was complete.
    #[error("connection closed after {received} bytes, before the end of the HTTP head")]
    Eof {
        /// Bytes received.
        received: usize,
    },
    /// The head is over the size limit.
    #[error("HTTP head exceeds {limit} bytes")]
    HeadTooLarge {
        /// The limit.
        limit: usize,
    },
    /// More header fields than [`MAX_HEADERS`](super::MAX_HEADERS).
    #[error("HTTP head has more than {limit} header fields")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// `httparse` rejected the head, or a header is not valid for `http`.
    #[error("malformed HTTP head: {0}")]
    Malformed(String),
    /// The request method is not GET (RFC 6455 §4.2.1 item 1).
    #[error("method {method} is not GET")]
    Method {
        /// The method received.
        method: String,
    },
    /// The HTTP version is below 1.1 (RFC 6455 §4.2.1 item 1).
    #[error("HTTP version {version} is not HTTP/1.1")]
    HttpVersion {
        /// The version received.
        version: String,
    },
    /// No `Host` header (RFC 6455 §4.2.1 item 2).
    #[error("missing Host header")]
    MissingHost,
    /// `Upgrade` missing or without the `websocket` token (§4.2.1 item 3).
    #[error("Upgrade header missing or without the `websocket` token")]
    MissingUpgrade,
    /// `Connection` missing or without the `upgrade` token (§4.2.1 item 4).
    #[error("Connection header missing or without the `upgrade` token")]
    MissingConnectionUpgrade,
    /// `Sec-WebSocket-Key` missing (§4.2.1 item 5).
    #[error("missing Sec-WebSocket-Key header")]
    MissingKey,
    /// A header field that must appear at most once appeared several times:
    /// `Sec-WebSocket-Key` in a request (§11.3.1), `Sec-WebSocket-Accept` in
    /// a response (§11.3.3).
    #[error("header {name} appears {count} times; RFC 6455 §11.3 allows it once")]
    DuplicateHeader {
        /// The header's name.
        name: &'static str,
        /// How many times it appeared.
        count: usize,
    },
    /// `Sec-WebSocket-Key` is not base64 of 16 bytes (§4.2.1 item 5).
    #[error("Sec-WebSocket-Key {key:?} is not base64 of 16 bytes")]
    InvalidKey {
        /// The key received (lossy).
        key: String,
    },
    /// `Sec-WebSocket-Version` is not 13 (§4.2.1 item 6, §4.4): answered
    /// with 426 and `Sec-WebSocket-Version: 13`.
    #[error("unsupported Sec-WebSocket-Version {} (only 13 is supported)", .version.as_deref().unwrap_or("(missing)"))]
    UnsupportedVersion {
        /// The version received, if any.
        version: Option<String>,
    },
    /// The origin callback refused the `Origin` (§4.2.2 item 4): 403.
    #[error("origin {origin:?} is not allowed")]
    OriginRejected {
        /// The `Origin` header, if any.
        origin: Option<String>,
    },
    /// The URI given to `connect` is not usable.
    #[error("invalid WebSocket URI {uri:?}: {reason}")]
    InvalidUri {
        /// The URI.
        uri: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The server answered with another status than 101 (§4.1).
    #[error("server answered HTTP {status} instead of 101 Switching Protocols")]
    Status {
        /// The status code.
        status: u16,
    },
    /// The server's `Sec-WebSocket-Accept` does not match our key (§4.1).
    #[error("Sec-WebSocket-Accept missing or not matching the key sent")]
    AcceptMismatch,
    /// The server chose a subprotocol we did not offer (§4.1).
    #[error("server chose subprotocol {protocol:?}, which was not offered")]
    UnexpectedSubprotocol {
        /// The protocol chosen.
        protocol: String,
    },
    /// The server announced an extension we did not offer (§4.1).
    #[error("server announced extensions {extensions:?}, none were offered")]
    UnexpectedExtension {
        /// The header value.
        extensions: String,
    },
    /// `Sec-WebSocket-Extensions` is unusable: a request's breaks the RFC
    /// 6455 §9.1 grammar (answered with 400), or a server's answer to our
    /// permessage-deflate offer must fail the connection (RFC 7692 §7).
    #[error("Sec-WebSocket-Extensions: {0}")]
    Extension(#[from] ExtensionError),
}

impl HandshakeError {
    /// The HTTP response refusing the upgrade: 426 Upgrade Required (with
    /// `Sec-WebSocket-Version: 13`) for a wrong version, 403 for a refused
    /// origin, 431 for an oversized head, 400 Bad Request otherwise; the body
    /// is the reason, as plain text.
    ///
    /// ```
    /// use pushcodec::ws::handshake::HandshakeError;
    /// let r = HandshakeError::MissingKey.to_response();
    /// assert_eq!(r.status(), 400);
    /// assert_eq!(r.body(), "missing Sec-WebSocket-Key header\n");
    /// ```
    pub fn to_response(&self) -> Response<String> {
        let status = match self {
            HandshakeError::UnsupportedVersion { .. } => StatusCode::UPGRADE_REQUIRED,
            HandshakeError::OriginRejected { .. } => StatusCode::FORBIDDEN,
            HandshakeError::HeadTooLarge { .. } | HandshakeError::TooManyHeaders { .. } => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            HandshakeError::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
            _ => StatusCode::BAD_REQUEST,
        };
        let body = format!("{self}\n");
        let mut resp = Response::new(body);
        *resp.status_mut() = status;
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        if status == StatusCode::UPGRADE_REQUIRED {
            h.insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
            h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        }
        resp
    }
}
