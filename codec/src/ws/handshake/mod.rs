//! The opening handshake (RFC 6455 §4): HTTP/1.1 `Upgrade: websocket`.
//!
//! **Server side**: [`accept`] reads the request head from the transport,
//! validates it ([`server_response_with`]), writes `101 Switching
//! Protocols` (or a 400/403/426/431 refusal with a reason, see
//! [`HandshakeError::to_response`]) and returns a [`WebSocketStream`].
//! hyper/axum users validate their own `http::Request` with
//! [`server_response`], send the returned 101 themselves and run
//! [`WebSocketStream::from_raw`] on the upgraded connection.
//!
//! **Client side**: [`connect`] writes a request with a fresh random key
//! ([`client_request`]) and validates the 101 ([`validate_response`]:
//! status, upgrade headers, `Sec-WebSocket-Accept`, chosen subprotocol, no
//! extension we did not offer).
//!
//! ```
//! use pushcodec::ws::handshake::{client_request, server_response, validate_response};
//! // The http-types path, for servers that read the request themselves:
//! let (request, key) = client_request("ws://example.com/chat").unwrap();
//! let response = server_response(&request).unwrap();
//! assert_eq!(response.status(), 101);
//! assert_eq!(validate_response(&response, &key, &[]).unwrap(), None); // no subprotocol
//! ```
//!
//! | file | job |
//! | --- | --- |
//! | `head.rs` | reading a head (bounded in size, header count and — by the callers — time), parsing it |
//! | `server.rs` | [`AcceptOptions`], validating a request, [`accept`] |
//! | `client.rs` | [`ConnectOptions`], the request, validating the 101, [`connect`] |
//! | `error.rs` | [`HandshakeError`] and its HTTP refusal |
//!
//! **Bounded in time**: [`accept`] and [`connect`] give up after
//! [`DEFAULT_HANDSHAKE_TIMEOUT`] (10 s; `handshake_timeout` in the options)
//! with [`HandshakeError::Timeout`], so a head trickled in one byte a minute
//! cannot hold a task forever.
//!
//! **Bounded, linear head parsing**: the head is read into one buffer; the
//! terminating `CRLFCRLF` is searched with `memchr::memmem`, resuming where
//! the previous scan stopped ([`HeadScanner`]), so a head that dribbles in
//! byte by byte costs O(size) in total, never O(size²). `httparse` runs
//! once, when the terminator has been seen. The head is limited in size
//! ([`DEFAULT_MAX_HEAD_SIZE`]) and header count ([`MAX_HEADERS`]), so a slow
//! or huge head cannot burn CPU or memory (the lesson of RUSTSEC-2023-0065).
//!
//! **nom** tokenizes the comma-separated header values (`Connection`,
//! `Upgrade`, `Sec-WebSocket-Protocol`; RFC 7230 §7 `#rule`) in
//! [`token_list`]: once per connection, off the frame path.

use http::header::{self, HeaderMap, HeaderName};

#[cfg(doc)]
use super::stream::WebSocketStream;

mod client;
mod error;
mod head;
mod negotiated;
mod server;
#[cfg(test)]
mod tests;

pub use client::{
    client_request, client_request_with, connect, connect_with_config, connect_with_options,
    validate_response, validate_response_with, ConnectOptions, ConnectOptionsBuilder,
};
pub use error::HandshakeError;
pub use head::{parse_request_head, parse_response_head, HeadScanner};
pub use negotiated::Negotiated;
pub use server::{
    accept, accept_with_config, accept_with_options, response_headers, server_handshake,
    server_handshake_headers, server_response, server_response_with, AcceptOptions,
    AcceptOptionsBuilder, OriginCheck, SubprotocolChoice,
};

/// Default bound on the whole opening handshake (reading the head,
/// writing the answer): 10 seconds.
///
/// ```
/// use pushcodec::ws::handshake::{AcceptOptions, DEFAULT_HANDSHAKE_TIMEOUT};
/// assert_eq!(AcceptOptions::default().handshake_timeout(), Some(DEFAULT_HANDSHAKE_TIMEOUT));
/// ```
pub const DEFAULT_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The GUID of RFC 6455 §1.3, appended to the key for the accept hash.
///
/// ```
/// use base64::Engine;
/// use sha1::{Digest, Sha1};
/// // RFC 6455 §1.3's example: the key, the GUID, SHA-1, base64.
/// let hash = Sha1::digest(format!("dGhlIHNhbXBsZSBub25jZQ=={}", pushcodec::ws::handshake::WS_GUID));
/// let accept = base64::engine::general_purpose::STANDARD.encode(hash);
/// assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// Default limit of a request or response head: 16 KiB.
///
/// ```
/// use pushcodec::ws::handshake::{AcceptOptions, DEFAULT_MAX_HEAD_SIZE};
/// assert_eq!(AcceptOptions::default().max_head_size(), DEFAULT_MAX_HEAD_SIZE);
/// ```
pub const DEFAULT_MAX_HEAD_SIZE: usize = 16 << 10;
/// Largest number of header fields accepted in a head.
///
/// ```
/// use pushcodec::ws::handshake::{parse_request_head, MAX_HEADERS};
/// let mut head = String::from("GET / HTTP/1.1\r\n");
/// for i in 0..=MAX_HEADERS {
///     head += &format!("x-{i}: 1\r\n");
/// }
/// head += "\r\n";
/// assert!(parse_request_head(head.as_bytes()).is_err()); // one too many
/// ```
pub const MAX_HEADERS: usize = 64;

/// `Sec-WebSocket-Accept` for a client key: base64(SHA-1(key + GUID))
/// (RFC 6455 §4.2.2 item 5.4).
///
/// ```
/// // RFC 6455 §1.3's example.
/// assert_eq!(
///     pushcodec::ws::handshake::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
/// );
/// ```
pub fn accept_key(client_key: &[u8]) -> String {
    use base64::Engine as _;
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(client_key);
    h.update(WS_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// Splits a comma-separated header value into its non-empty elements
/// (RFC 7230 §7 `#rule`: optional whitespace around commas, empty elements
/// allowed). Elements are tokens (`tchar`s, plus `/` for `Upgrade`'s
/// `name/version`). `None` if the value is not such a list.
///
/// ```
/// use pushcodec::ws::handshake::token_list;
/// assert_eq!(token_list("keep-alive, Upgrade"), Some(vec!["keep-alive", "Upgrade"]));
/// assert_eq!(token_list(" chat ,, superchat "), Some(vec!["chat", "superchat"]));
/// assert_eq!(token_list("a b"), None);
/// ```
pub fn token_list(value: &str) -> Option<Vec<&str>> {
    use nom::bytes::complete::{take_while, take_while1};
    use nom::character::complete::char;
    use nom::combinator::{all_consuming, opt};
    use nom::multi::fold_many0;
    use nom::sequence::{delimited, preceded};
    use nom::Parser;

    type Res<'a, T> = nom::IResult<&'a str, T>;
    fn element(i: &str) -> Res<'_, Option<&str>> {
        let ows = || take_while(|c: char| c == ' ' || c == '\t');
        delimited(ows(), opt(take_while1(is_tchar)), ows()).parse(i)
    }
    let (rest, first) = element(value).ok()?;
    // One Vec, filled as the elements are recognized.
    let mut tail = all_consuming(fold_many0(
        preceded(char(','), element),
        move || Vec::from_iter(first),
        |mut acc: Vec<&str>, item| {
            acc.extend(item);
            acc
        },
    ));
    let parsed: Res<'_, Vec<&str>> = tail.parse(rest);
    parsed.ok().map(|(_, items)| items)
}

/// RFC 7230 §3.2.6 `tchar`, plus `/` (for `Upgrade: name/version`).
///
/// ```
/// assert!(pushcodec::ws::handshake::is_tchar('~'));
/// assert!(!pushcodec::ws::handshake::is_tchar(' '));
/// ```
pub fn is_tchar(c: char) -> bool {
    matches!(c,
        'a'..='z' | 'A'..='Z' | '0'..='9'
        | '!' | '#' | '$' | '%' | '&' | '\'' | '*' | '+' | '-' | '.' | '^' | '_' | '`' | '|' | '~'
        | '/')
}

/// All tokens of every `name` header field.
pub(crate) fn header_tokens<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(token_list)
        .flatten()
        .collect()
}

pub(crate) fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    header_tokens(headers, name)
        .iter()
        .any(|t| t.eq_ignore_ascii_case(token))
}

/// RFC 6455 §11.3.1 / §11.3.3: some fields "MUST NOT appear more than once".
pub(crate) fn at_most_once(
    h: &HeaderMap,
    name: &header::HeaderName,
    display: &'static str,
) -> Result<(), HandshakeError> {
    match h.get_all(name).iter().count() {
        0 | 1 => Ok(()),
        count => Err(HandshakeError::DuplicateHeader {
            name: display,
            count,
        }),
    }
}
