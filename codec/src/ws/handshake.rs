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

use std::io;
use std::sync::Arc;

use base64::Engine as _;
use bytes::BytesMut;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};
use rand::Rng;
use sha1::{Digest, Sha1};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::config::WebSocketConfig;
use super::frame_codec::Role;
use super::stream::WebSocketStream;

/// The GUID of RFC 6455 §1.3, appended to the key for the accept hash.
pub const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// Default limit of a request or response head: 16 KiB.
pub const DEFAULT_MAX_HEAD_SIZE: usize = 16 << 10;
/// Largest number of header fields accepted in a head.
pub const MAX_HEADERS: usize = 64;

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
    /// More header fields than [`MAX_HEADERS`].
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
fn header_tokens<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(token_list)
        .flatten()
        .collect()
}

fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    header_tokens(headers, name)
        .iter()
        .any(|t| t.eq_ignore_ascii_case(token))
}

/// Origin check: gets the `Origin` header (if any), returns whether to accept.
pub type OriginCheck = Arc<dyn Fn(Option<&str>) -> bool + Send + Sync>;
/// Subprotocol choice: gets the offered protocols, returns the one to use.
pub type SubprotocolChoice = Arc<dyn Fn(&[&str]) -> Option<String> + Send + Sync>;

/// Server-side handshake options.
///
/// ```
/// use pushcodec::ws::handshake::AcceptOptions;
/// let opts = AcceptOptions::default()
///     .origin(|o| o == Some("https://example.com"))
///     .subprotocol(|offered| offered.iter().find(|p| **p == "chat").map(|p| p.to_string()))
///     .max_head_size(8192);
/// # drop(opts);
/// ```
#[derive(Clone, Default)]
pub struct AcceptOptions {
    max_head_size: Option<usize>,
    origin: Option<OriginCheck>,
    subprotocol: Option<SubprotocolChoice>,
    config: WebSocketConfig,
}

impl std::fmt::Debug for AcceptOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptOptions")
            .field("max_head_size", &self.head_limit())
            .field("origin", &self.origin.is_some())
            .field("subprotocol", &self.subprotocol.is_some())
            .field("config", &self.config)
            .finish()
    }
}

impl AcceptOptions {
    /// Limit of the request head (default 16 KiB).
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::AcceptOptions::default().max_head_size(1024);
    /// # drop(o);
    /// ```
    pub fn max_head_size(mut self, n: usize) -> Self {
        self.max_head_size = Some(n);
        self
    }

    /// Accept only origins for which `check` returns true (403 otherwise).
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::AcceptOptions::default().origin(|o| o.is_none());
    /// # drop(o);
    /// ```
    pub fn origin(mut self, check: impl Fn(Option<&str>) -> bool + Send + Sync + 'static) -> Self {
        self.origin = Some(Arc::new(check));
        self
    }

    /// Pick a subprotocol from those the client offers; the answer is sent
    /// only if it is one of them.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::AcceptOptions::default()
    ///     .subprotocol(|offered| offered.first().map(|p| p.to_string()));
    /// # drop(o);
    /// ```
    pub fn subprotocol(
        mut self,
        choose: impl Fn(&[&str]) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.subprotocol = Some(Arc::new(choose));
        self
    }

    /// The connection's configuration after the handshake.
    ///
    /// ```
    /// use pushcodec::ws::{handshake::AcceptOptions, WebSocketConfig};
    /// let o = AcceptOptions::default().config(WebSocketConfig::default().max_message_size(1 << 20));
    /// # drop(o);
    /// ```
    pub fn config(mut self, config: WebSocketConfig) -> Self {
        self.config = config;
        self
    }

    fn head_limit(&self) -> usize {
        self.max_head_size.unwrap_or(DEFAULT_MAX_HEAD_SIZE)
    }

    /// The connection configuration set with [`config`](Self::config), for
    /// the hyper adapter (`integration::hyper::upgrade_with`), which builds
    /// the stream itself.
    #[cfg_attr(not(feature = "hyper"), allow(dead_code))]
    pub(crate) fn connection_config(&self) -> &WebSocketConfig {
        &self.config
    }
}

/// Validates an upgrade request (RFC 6455 §4.2.1) and builds the 101
/// response with `Sec-WebSocket-Accept` — for hyper/axum users, who send
/// the response themselves and then run
/// [`WebSocketStream::from_raw`] on the upgraded connection.
///
/// ```
/// let req = http::Request::get("/chat")
///     .header("Host", "server.example.com")
///     .header("Upgrade", "websocket")
///     .header("Connection", "keep-alive, Upgrade")
///     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
///     .header("Sec-WebSocket-Version", "13")
///     .body(())
///     .unwrap();
/// let resp = pushcodec::ws::handshake::server_response(&req).unwrap();
/// assert_eq!(resp.status(), 101);
/// assert_eq!(resp.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn server_response<B>(req: &Request<B>) -> Result<Response<()>, HandshakeError> {
    server_response_with(req, &AcceptOptions::default())
}

/// [`server_response`] with an origin check and subprotocol choice.
///
/// ```
/// use pushcodec::ws::handshake::{server_response_with, AcceptOptions, HandshakeError};
/// let req = http::Request::get("/")
///     .header("Host", "h")
///     .header("Upgrade", "websocket")
///     .header("Connection", "Upgrade")
///     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
///     .header("Sec-WebSocket-Version", "13")
///     .header("Origin", "https://evil.example")
///     .body(())
///     .unwrap();
/// let opts = AcceptOptions::default().origin(|o| o == Some("https://good.example"));
/// assert!(matches!(server_response_with(&req, &opts), Err(HandshakeError::OriginRejected { .. })));
/// ```
pub fn server_response_with<B>(
    req: &Request<B>,
    opts: &AcceptOptions,
) -> Result<Response<()>, HandshakeError> {
    if req.method() != Method::GET {
        return Err(HandshakeError::Method {
            method: req.method().to_string(),
        });
    }
    if req.version() < Version::HTTP_11 {
        return Err(HandshakeError::HttpVersion {
            version: format!("{:?}", req.version()),
        });
    }
    let h = req.headers();
    if !h.contains_key(header::HOST) && req.uri().authority().is_none() {
        return Err(HandshakeError::MissingHost);
    }
    let mut resp = Response::new(());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *resp.headers_mut() = response_headers(h, opts)?;
    Ok(resp)
}

/// The header part of [`server_response_with`], for frameworks that hand
/// out only a `HeaderMap` (the method, version and `Host` are then the
/// caller's to check): validates the upgrade headers (RFC 6455 §4.2.1 items
/// 3–6, origin and subprotocol callbacks) and returns the headers of the
/// 101 response.
///
/// ```
/// use http::HeaderMap;
/// use pushcodec::ws::handshake::{response_headers, AcceptOptions};
/// let mut h = HeaderMap::new();
/// h.insert("upgrade", "websocket".parse().unwrap());
/// h.insert("connection", "Upgrade".parse().unwrap());
/// h.insert("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap());
/// h.insert("sec-websocket-version", "13".parse().unwrap());
/// let out = response_headers(&h, &AcceptOptions::default()).unwrap();
/// assert_eq!(out["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn response_headers(h: &HeaderMap, opts: &AcceptOptions) -> Result<HeaderMap, HandshakeError> {
    if !has_token(h, &header::UPGRADE, "websocket") {
        return Err(HandshakeError::MissingUpgrade);
    }
    if !has_token(h, &header::CONNECTION, "upgrade") {
        return Err(HandshakeError::MissingConnectionUpgrade);
    }
    at_most_once(h, &header::SEC_WEBSOCKET_KEY, "Sec-WebSocket-Key")?;
    let key = h
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or(HandshakeError::MissingKey)?
        .as_bytes()
        .trim_ascii();
    let decoded = base64::engine::general_purpose::STANDARD.decode(key);
    if !matches!(decoded, Ok(ref k) if k.len() == 16) {
        return Err(HandshakeError::InvalidKey {
            key: String::from_utf8_lossy(key).into_owned(),
        });
    }
    let version = h.get(header::SEC_WEBSOCKET_VERSION);
    if version.map(|v| v.as_bytes().trim_ascii()) != Some(b"13") {
        return Err(HandshakeError::UnsupportedVersion {
            version: version.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        });
    }
    if let Some(check) = &opts.origin {
        let origin = h.get(header::ORIGIN).and_then(|o| o.to_str().ok());
        if !check(origin) {
            return Err(HandshakeError::OriginRejected {
                origin: origin.map(str::to_owned),
            });
        }
    }
    let mut out = HeaderMap::new();
    out.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    out.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    let accept = HeaderValue::from_str(&accept_key(key))
        .map_err(|e| HandshakeError::Malformed(e.to_string()))?;
    out.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    if let Some(choose) = &opts.subprotocol {
        let offered = header_tokens(h, &header::SEC_WEBSOCKET_PROTOCOL);
        if let Some(p) = choose(&offered) {
            if offered.contains(&p.as_str()) {
                if let Ok(v) = HeaderValue::from_str(&p) {
                    out.insert(header::SEC_WEBSOCKET_PROTOCOL, v);
                }
            }
        }
    }
    Ok(out)
}

/// RFC 6455 §11.3.1 / §11.3.3: some fields "MUST NOT appear more than once".
fn at_most_once(
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

/// Finds the end of an HTTP head (`\r\n\r\n`) in a growing buffer, resuming
/// each scan where the last one stopped: over a whole head, each byte is
/// examined a bounded number of times, however the head is split into reads.
///
/// ```
/// use pushcodec::ws::handshake::HeadScanner;
/// let mut s = HeadScanner::default();
/// assert_eq!(s.find(b"GET / HTTP/1.1\r\n"), None);
/// assert_eq!(s.find(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
/// ```
#[derive(Debug, Default, Clone)]
pub struct HeadScanner {
    scanned: usize,
    examined: usize,
}

impl HeadScanner {
    /// `buf` is the whole buffer so far (a prefix of it was seen before).
    /// Returns the head's length including the terminator, once present.
    pub fn find(&mut self, buf: &[u8]) -> Option<usize> {
        // The terminator may straddle the previous end: back up 3 bytes.
        let from = self.scanned.saturating_sub(3).min(buf.len());
        self.examined += buf.len() - from;
        let found = memchr::memmem::find(&buf[from..], b"\r\n\r\n").map(|i| from + i + 4);
        self.scanned = buf.len();
        found
    }

    /// Total bytes examined so far (for the linearity test).
    ///
    /// ```
    /// let mut s = pushcodec::ws::handshake::HeadScanner::default();
    /// s.find(b"abc");
    /// assert_eq!(s.examined(), 3);
    /// ```
    pub fn examined(&self) -> usize {
        self.examined
    }
}

/// Reads until a complete head (ending in `\r\n\r\n`) is buffered; returns
/// its length. Bytes after the head stay in `buf`.
async fn read_head<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
    max: usize,
) -> Result<usize, HandshakeError> {
    let mut scanner = HeadScanner::default();
    loop {
        if let Some(n) = scanner.find(buf) {
            if n > max {
                return Err(HandshakeError::HeadTooLarge { limit: max });
            }
            return Ok(n);
        }
        if buf.len() >= max {
            return Err(HandshakeError::HeadTooLarge { limit: max });
        }
        buf.reserve(4096.min(max + 4 - buf.len()).max(1));
        if io.read_buf(buf).await? == 0 {
            return Err(HandshakeError::Eof {
                received: buf.len(),
            });
        }
    }
}

fn httparse_err(e: httparse::Error) -> HandshakeError {
    match e {
        httparse::Error::TooManyHeaders => HandshakeError::TooManyHeaders { limit: MAX_HEADERS },
        e => HandshakeError::Malformed(e.to_string()),
    }
}

fn copy_headers(dst: &mut HeaderMap, src: &[httparse::Header<'_>]) -> Result<(), HandshakeError> {
    for h in src {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|e| HandshakeError::Malformed(format!("header name {:?}: {e}", h.name)))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|e| HandshakeError::Malformed(format!("header {:?}: {e}", h.name)))?;
        dst.append(name, value);
    }
    Ok(())
}

/// Parses a complete request head (as found by [`HeadScanner`]) into an
/// `http::Request<()>`.
///
/// ```
/// let req = pushcodec::ws::handshake::parse_request_head(
///     b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
/// assert_eq!(req.uri().path(), "/x");
/// assert_eq!(req.headers()["host"], "a");
/// ```
pub fn parse_request_head(head: &[u8]) -> Result<Request<()>, HandshakeError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head).map_err(httparse_err)? {
        httparse::Status::Complete(_) => {}
        httparse::Status::Partial => {
            return Err(HandshakeError::Malformed("incomplete request head".into()))
        }
    }
    let mut out = Request::new(());
    *out.method_mut() = Method::from_bytes(req.method.unwrap_or("").as_bytes())
        .map_err(|e| HandshakeError::Malformed(e.to_string()))?;
    *out.uri_mut() = req
        .path
        .unwrap_or("/")
        .parse()
        .map_err(|e: http::uri::InvalidUri| HandshakeError::Malformed(e.to_string()))?;
    *out.version_mut() = if req.version == Some(1) {
        Version::HTTP_11
    } else {
        Version::HTTP_10
    };
    copy_headers(out.headers_mut(), req.headers)?;
    Ok(out)
}

/// Parses a complete response head into an `http::Response<()>`.
///
/// ```
/// let r = pushcodec::ws::handshake::parse_response_head(
///     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n").unwrap();
/// assert_eq!(r.status(), 101);
/// ```
pub fn parse_response_head(head: &[u8]) -> Result<Response<()>, HandshakeError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(head).map_err(httparse_err)? {
        httparse::Status::Complete(_) => {}
        httparse::Status::Partial => {
            return Err(HandshakeError::Malformed("incomplete response head".into()))
        }
    }
    let mut out = Response::new(());
    *out.status_mut() = StatusCode::from_u16(resp.code.unwrap_or(0))
        .map_err(|e| HandshakeError::Malformed(e.to_string()))?;
    copy_headers(out.headers_mut(), resp.headers)?;
    Ok(out)
}

fn write_headers(out: &mut Vec<u8>, headers: &HeaderMap) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

fn response_bytes<B: AsRef<[u8]>>(resp: &Response<B>) -> Vec<u8> {
    let status = resp.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    let body = resp.body().as_ref();
    let mut headers = resp.headers().clone();
    if status != StatusCode::SWITCHING_PROTOCOLS {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    write_headers(&mut out, &headers);
    out.extend_from_slice(body);
    out
}

/// Server handshake with default options: reads and validates the request,
/// answers 101 (or a refusal, then returns the error).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let (tcp, _) = listener.accept().await?;
/// let ws = pushcodec::ws::handshake::accept(tcp).await?;
/// # drop(ws); Ok(()) }
/// ```
pub async fn accept<S>(io: S) -> Result<WebSocketStream<S>, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with_options(io, &AcceptOptions::default())
        .await
        .map(|(ws, _)| ws)
}

/// [`accept`] with a connection configuration.
///
/// ```no_run
/// # async fn demo(tcp: tokio::net::TcpStream) -> Result<(), pushcodec::ws::handshake::HandshakeError> {
/// use pushcodec::ws::WebSocketConfig;
/// let ws = pushcodec::ws::handshake::accept_with_config(tcp, WebSocketConfig::default()).await?;
/// # drop(ws); Ok(()) }
/// ```
pub async fn accept_with_config<S>(
    io: S,
    config: WebSocketConfig,
) -> Result<WebSocketStream<S>, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with_options(io, &AcceptOptions::default().config(config))
        .await
        .map(|(ws, _)| ws)
}

/// [`accept`] with options; also returns the request (path, headers) for
/// routing or authentication.
///
/// ```no_run
/// # async fn demo(tcp: tokio::net::TcpStream) -> Result<(), pushcodec::ws::handshake::HandshakeError> {
/// use pushcodec::ws::handshake::{accept_with_options, AcceptOptions};
/// let (ws, req) = accept_with_options(tcp, &AcceptOptions::default()).await?;
/// println!("upgraded {}", req.uri().path());
/// # drop(ws); Ok(()) }
/// ```
pub async fn accept_with_options<S>(
    mut io: S,
    opts: &AcceptOptions,
) -> Result<(WebSocketStream<S>, Request<()>), HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::with_capacity(1024);
    let result = async {
        let head_len = read_head(&mut io, &mut buf, opts.head_limit()).await?;
        let req = parse_request_head(&buf[..head_len])?;
        let resp = server_response_with(&req, opts)?;
        Ok::<_, HandshakeError>((head_len, req, resp))
    }
    .await;
    match result {
        Ok((head_len, req, resp)) => {
            io.write_all(&response_bytes(&resp.map(|()| Vec::new())))
                .await?;
            io.flush().await?;
            let _ = buf.split_to(head_len);
            let ws =
                WebSocketStream::from_partially_read(io, Role::Server, opts.config.clone(), buf);
            Ok((ws, req))
        }
        Err(e) => {
            if !matches!(e, HandshakeError::Io(_) | HandshakeError::Eof { .. }) {
                // Best effort: the peer may already be gone.
                let _ = io.write_all(&response_bytes(&e.to_response())).await;
                let _ = io.shutdown().await;
            }
            Err(e)
        }
    }
}

/// Builds a client upgrade request for `uri` (`ws://`, `wss://`, `http://`
/// or `https://`) with a fresh random `Sec-WebSocket-Key`; returns it and
/// the key (needed by [`validate_response`]).
///
/// ```
/// let (req, key) = pushcodec::ws::handshake::client_request("ws://example.com:9001/chat?x=1").unwrap();
/// assert_eq!(req.uri().path_and_query().unwrap(), "/chat?x=1");
/// assert_eq!(req.headers()["host"], "example.com:9001");
/// assert_eq!(req.headers()["sec-websocket-key"], key.as_str());
/// ```
pub fn client_request(uri: &str) -> Result<(Request<()>, String), HandshakeError> {
    let bad = |reason| HandshakeError::InvalidUri {
        uri: uri.to_owned(),
        reason,
    };
    let parsed: http::Uri = uri.parse().map_err(|_| bad("not a URI"))?;
    match parsed.scheme_str() {
        Some("ws" | "wss" | "http" | "https") => {}
        _ => return Err(bad("scheme must be ws, wss, http or https")),
    }
    let authority = parsed.authority().ok_or_else(|| bad("no host"))?;
    let path = parsed.path_and_query().map_or("/", |p| p.as_str());
    let key_bytes: [u8; 16] = rand::rng().random();
    let key = base64::engine::general_purpose::STANDARD.encode(key_bytes);
    let req = Request::get(path)
        .header(header::HOST, authority.as_str())
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade")
        .header(header::SEC_WEBSOCKET_KEY, key.as_str())
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .body(())
        .map_err(|_| bad("not a valid request target"))?;
    Ok((req, key))
}

/// Validates a server's answer to our upgrade request (RFC 6455 §4.1):
/// status 101, `Upgrade: websocket`, `Connection: upgrade`, the accept key
/// for `key`, a subprotocol only from `offered`, no extensions. Returns the
/// chosen subprotocol.
///
/// ```
/// use pushcodec::ws::handshake::{accept_key, validate_response};
/// let resp = http::Response::builder()
///     .status(101)
///     .header("Upgrade", "websocket")
///     .header("Connection", "Upgrade")
///     .header("Sec-WebSocket-Accept", accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="))
///     .body(())
///     .unwrap();
/// assert_eq!(validate_response(&resp, "dGhlIHNhbXBsZSBub25jZQ==", &[]).unwrap(), None);
/// assert!(validate_response(&resp, "AAAAAAAAAAAAAAAAAAAAAA==", &[]).is_err());
/// ```
pub fn validate_response<B>(
    resp: &Response<B>,
    key: &str,
    offered: &[&str],
) -> Result<Option<String>, HandshakeError> {
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        return Err(HandshakeError::Status {
            status: resp.status().as_u16(),
        });
    }
    let h = resp.headers();
    if !has_token(h, &header::UPGRADE, "websocket") {
        return Err(HandshakeError::MissingUpgrade);
    }
    if !has_token(h, &header::CONNECTION, "upgrade") {
        return Err(HandshakeError::MissingConnectionUpgrade);
    }
    let expected = accept_key(key.as_bytes());
    at_most_once(h, &header::SEC_WEBSOCKET_ACCEPT, "Sec-WebSocket-Accept")?;
    match h.get(header::SEC_WEBSOCKET_ACCEPT) {
        Some(v) if v.as_bytes().trim_ascii() == expected.as_bytes() => {}
        _ => return Err(HandshakeError::AcceptMismatch),
    }
    if let Some(ext) = h.get(header::SEC_WEBSOCKET_EXTENSIONS) {
        return Err(HandshakeError::UnexpectedExtension {
            extensions: String::from_utf8_lossy(ext.as_bytes()).into_owned(),
        });
    }
    match h.get(header::SEC_WEBSOCKET_PROTOCOL) {
        None => Ok(None),
        Some(v) => {
            let p = String::from_utf8_lossy(v.as_bytes()).trim().to_owned();
            if offered.contains(&p.as_str()) {
                Ok(Some(p))
            } else {
                Err(HandshakeError::UnexpectedSubprotocol { protocol: p })
            }
        }
    }
}

/// Client-side handshake options.
///
/// ```
/// let o = pushcodec::ws::handshake::ConnectOptions::default().protocols(["chat"]);
/// # drop(o);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    protocols: Vec<String>,
    max_head_size: Option<usize>,
    config: WebSocketConfig,
}

impl ConnectOptions {
    /// Subprotocols to offer (`Sec-WebSocket-Protocol`).
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::ConnectOptions::default().protocols(["a", "b"]);
    /// # drop(o);
    /// ```
    pub fn protocols<I: IntoIterator<Item = T>, T: Into<String>>(mut self, p: I) -> Self {
        self.protocols = p.into_iter().map(Into::into).collect();
        self
    }

    /// Limit of the response head (default 16 KiB).
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::ConnectOptions::default().max_head_size(4096);
    /// # drop(o);
    /// ```
    pub fn max_head_size(mut self, n: usize) -> Self {
        self.max_head_size = Some(n);
        self
    }

    /// The connection's configuration after the handshake.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::ConnectOptions::default()
    ///     .config(pushcodec::ws::WebSocketConfig::default());
    /// # drop(o);
    /// ```
    pub fn config(mut self, config: WebSocketConfig) -> Self {
        self.config = config;
        self
    }
}

/// Client handshake over an established transport (TCP, or TLS for
/// `wss://`): sends the upgrade request for `uri`, validates the 101.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let tcp = tokio::net::TcpStream::connect("127.0.0.1:9001").await?;
/// let ws = pushcodec::ws::handshake::connect(tcp, "ws://127.0.0.1:9001/").await?;
/// # drop(ws); Ok(()) }
/// ```
pub async fn connect<S>(io: S, uri: &str) -> Result<WebSocketStream<S>, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    connect_with_options(io, uri, &ConnectOptions::default())
        .await
        .map(|(ws, _)| ws)
}

/// [`connect`] with a connection configuration.
///
/// ```no_run
/// # async fn demo(tcp: tokio::net::TcpStream) -> Result<(), pushcodec::ws::handshake::HandshakeError> {
/// let cfg = pushcodec::ws::WebSocketConfig::default().auto_fragment_size(Some(64 << 10));
/// let ws = pushcodec::ws::handshake::connect_with_config(tcp, "ws://localhost/", cfg).await?;
/// # drop(ws); Ok(()) }
/// ```
pub async fn connect_with_config<S>(
    io: S,
    uri: &str,
    config: WebSocketConfig,
) -> Result<WebSocketStream<S>, HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    connect_with_options(io, uri, &ConnectOptions::default().config(config))
        .await
        .map(|(ws, _)| ws)
}

/// [`connect`] with options; also returns the server's 101 response (e.g.
/// to read the chosen subprotocol).
///
/// ```no_run
/// # async fn demo(tcp: tokio::net::TcpStream) -> Result<(), pushcodec::ws::handshake::HandshakeError> {
/// use pushcodec::ws::handshake::{connect_with_options, ConnectOptions};
/// let (ws, resp) = connect_with_options(tcp, "ws://h/", &ConnectOptions::default().protocols(["chat"])).await?;
/// println!("{:?}", resp.headers().get("sec-websocket-protocol"));
/// # drop(ws); Ok(()) }
/// ```
pub async fn connect_with_options<S>(
    mut io: S,
    uri: &str,
    opts: &ConnectOptions,
) -> Result<(WebSocketStream<S>, Response<()>), HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut req, key) = client_request(uri)?;
    if !opts.protocols.is_empty() {
        let v = HeaderValue::from_str(&opts.protocols.join(", "))
            .map_err(|e| HandshakeError::Malformed(e.to_string()))?;
        req.headers_mut().insert(header::SEC_WEBSOCKET_PROTOCOL, v);
    }
    let mut out = format!(
        "GET {} HTTP/1.1\r\n",
        req.uri().path_and_query().map_or("/", |p| p.as_str())
    )
    .into_bytes();
    write_headers(&mut out, req.headers());
    io.write_all(&out).await?;
    io.flush().await?;
    let mut buf = BytesMut::with_capacity(1024);
    let max = opts.max_head_size.unwrap_or(DEFAULT_MAX_HEAD_SIZE);
    let head_len = read_head(&mut io, &mut buf, max).await?;
    let resp = parse_response_head(&buf[..head_len])?;
    let offered: Vec<&str> = opts.protocols.iter().map(String::as_str).collect();
    validate_response(&resp, &key, &offered)?;
    let _ = buf.split_to(head_len);
    let ws = WebSocketStream::from_partially_read(io, Role::Client, opts.config.clone(), buf);
    Ok((ws, resp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good_request() -> http::request::Builder {
        Request::get("/chat")
            .header("Host", "server.example.com")
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("Sec-WebSocket-Version", "13")
    }

    /// Regression (conformance vector `11.3.1-duplicated-key`): a request with
    /// two `Sec-WebSocket-Key` fields was accepted, answering the first key.
    #[test]
    fn rfc6455_11_3_1_duplicated_key_is_refused() {
        let req = good_request()
            .header("Sec-WebSocket-Key", "x3JJHMbDL1EzLkh9GBhXDw==")
            .body(())
            .unwrap();
        let err = server_response(&req).unwrap_err();
        assert!(
            matches!(
                err,
                HandshakeError::DuplicateHeader {
                    name: "Sec-WebSocket-Key",
                    count: 2
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.to_response().status(), 400);
    }

    /// RFC 6455 §11.3.3: two `Sec-WebSocket-Accept` fields fail the client side.
    #[test]
    fn rfc6455_11_3_3_duplicated_accept_is_refused() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let resp = http::Response::builder()
            .status(101)
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Accept", accept_key(key.as_bytes()))
            .header("Sec-WebSocket-Accept", accept_key(key.as_bytes()))
            .body(())
            .unwrap();
        assert!(matches!(
            validate_response(&resp, key, &[]),
            Err(HandshakeError::DuplicateHeader { count: 2, .. })
        ));
    }

    #[test]
    fn rfc6455_1_3_accept_key() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn each_missing_requirement_is_named() {
        type Case = (Request<()>, fn(&HandshakeError) -> bool, u16);
        let cases: Vec<Case> = vec![
            (
                Request::post("/").body(()).unwrap(),
                |e| matches!(e, HandshakeError::Method { .. }),
                400,
            ),
            (
                good_request()
                    .header("Upgrade", "h2c")
                    .body(())
                    .map(|r| {
                        let mut r = r;
                        r.headers_mut()
                            .insert("upgrade", HeaderValue::from_static("h2c"));
                        r
                    })
                    .unwrap(),
                |e| matches!(e, HandshakeError::MissingUpgrade),
                400,
            ),
            (
                {
                    let mut r = good_request().body(()).unwrap();
                    r.headers_mut()
                        .insert("connection", HeaderValue::from_static("keep-alive"));
                    r
                },
                |e| matches!(e, HandshakeError::MissingConnectionUpgrade),
                400,
            ),
            (
                {
                    let mut r = good_request().body(()).unwrap();
                    r.headers_mut()
                        .insert("sec-websocket-key", HeaderValue::from_static("c2hvcnQ="));
                    r
                },
                |e| matches!(e, HandshakeError::InvalidKey { .. }),
                400,
            ),
            (
                {
                    let mut r = good_request().body(()).unwrap();
                    r.headers_mut()
                        .insert("sec-websocket-version", HeaderValue::from_static("8"));
                    r
                },
                |e| matches!(e, HandshakeError::UnsupportedVersion { .. }),
                426,
            ),
            (
                {
                    let mut r = good_request().body(()).unwrap();
                    r.headers_mut().remove("sec-websocket-key");
                    r
                },
                |e| matches!(e, HandshakeError::MissingKey),
                400,
            ),
        ];
        for (req, is_expected, status) in cases {
            let err = server_response(&req).unwrap_err();
            assert!(is_expected(&err), "{err:?}");
            assert_eq!(err.to_response().status(), status, "{err:?}");
        }
    }

    #[test]
    fn connection_token_list_is_case_insensitive() {
        let mut r = good_request().body(()).unwrap();
        r.headers_mut().insert(
            "connection",
            HeaderValue::from_static("keep-alive, UPGRADE"),
        );
        r.headers_mut()
            .insert("upgrade", HeaderValue::from_static("WebSocket"));
        assert_eq!(server_response(&r).unwrap().status(), 101);
    }

    #[test]
    fn subprotocol_is_chosen_only_from_the_offer() {
        let req = good_request()
            .header("Sec-WebSocket-Protocol", "chat, superchat")
            .body(())
            .unwrap();
        let pick = AcceptOptions::default().subprotocol(|o| o.last().map(|s| s.to_string()));
        let resp = server_response_with(&req, &pick).unwrap();
        assert_eq!(resp.headers()["sec-websocket-protocol"], "superchat");
        let rogue = AcceptOptions::default().subprotocol(|_| Some("other".into()));
        let resp = server_response_with(&req, &rogue).unwrap();
        assert!(resp.headers().get("sec-websocket-protocol").is_none());
    }

    /// RUSTSEC-2023-0065 lesson: a head arriving one byte at a time is
    /// scanned in linear time.
    #[test]
    fn head_scan_is_linear_when_fed_byte_by_byte() {
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        while head.len() < 15_000 {
            head.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaa\r\n");
        }
        head.extend_from_slice(b"\r\n");
        let mut s = HeadScanner::default();
        let mut found = None;
        for end in 1..=head.len() {
            if let Some(n) = s.find(&head[..end]) {
                found = Some(n);
                break;
            }
        }
        assert_eq!(found, Some(head.len()));
        assert!(
            s.examined() <= 4 * head.len(),
            "examined {} for {}",
            s.examined(),
            head.len()
        );
    }

    #[tokio::test]
    async fn oversized_head_is_refused_with_431() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let task = tokio::spawn(async move {
            accept_with_options(server, &AcceptOptions::default().max_head_size(1024)).await
        });
        let mut req = b"GET / HTTP/1.1\r\n".to_vec();
        req.extend(std::iter::repeat_n(b'a', 2000));
        client.write_all(&req).await.unwrap();
        let err = task.await.unwrap().unwrap_err();
        assert!(
            matches!(err, HandshakeError::HeadTooLarge { limit: 1024 }),
            "{err}"
        );
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        assert!(
            answer.starts_with(b"HTTP/1.1 431 "),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }

    #[tokio::test]
    async fn connect_and_accept_talk_to_each_other() {
        use futures_util::{SinkExt, StreamExt};
        let (c, s) = tokio::io::duplex(1 << 16);
        let server = tokio::spawn(async move {
            let mut ws = accept(s).await.unwrap();
            let m = ws.next().await.unwrap().unwrap();
            ws.send(m).await.unwrap();
        });
        let mut ws = connect(c, "ws://localhost/echo").await.unwrap();
        ws.send(crate::ws::Message::text("ping?")).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            crate::ws::Message::text("ping?")
        );
        server.await.unwrap();
    }

    /// Frames the client sends right behind its request head (in the same
    /// read) are not lost: they are decoded first.
    #[tokio::test]
    async fn bytes_after_the_head_are_kept() {
        use futures_util::StreamExt;
        use tokio_util::codec::Encoder;
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut wire =
            b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                .to_vec();
        let mut frame = BytesMut::new();
        crate::ws::FrameCodec::client()
            .encode(
                crate::ws::Frame::new(true, crate::ws::OpCode::Text, "early"),
                &mut frame,
            )
            .unwrap();
        wire.extend_from_slice(&frame);
        client.write_all(&wire).await.unwrap();
        let mut ws = accept(server).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            crate::ws::Message::text("early")
        );
    }

    #[tokio::test]
    async fn version_8_gets_426_on_the_wire() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let task = tokio::spawn(accept(server));
        client
            .write_all(
                b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
            )
            .await
            .unwrap();
        assert!(task.await.unwrap().is_err());
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 426 "), "{text}");
        assert!(text.contains("sec-websocket-version: 13\r\n"), "{text}");
    }
}
