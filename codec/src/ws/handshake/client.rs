//! The client side of the opening handshake (RFC 6455 §4.1): options,
//! the request, validating the server's 101, [`connect`].

use std::time::Duration;

use base64::Engine as _;
use bytes::BytesMut;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use rand::Rng;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::head::{parse_response_head, read_head, write_headers};
use super::{
    accept_key, at_most_once, has_token, HandshakeError, Negotiated, DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_MAX_HEAD_SIZE,
};
use crate::ws::config::WebSocketConfig;
use crate::ws::extension::deflate;
use crate::ws::frame_codec::Role;
use crate::ws::stream::WebSocketStream;

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

/// [`client_request`] with `opts`: the subprotocols it offers
/// (`Sec-WebSocket-Protocol`) and, when `opts.config().deflate()` is
/// enabled, the permessage-deflate offer (`Sec-WebSocket-Extensions`,
/// [`deflate::client_offer`]). Check the answer with
/// [`validate_response_with`].
///
/// ```
/// use pushcodec::ws::handshake::{client_request_with, ConnectOptions};
/// let (req, _key) = client_request_with("ws://h/", &ConnectOptions::builder().protocols(["chat"]).build()).unwrap();
/// assert_eq!(req.headers()["sec-websocket-protocol"], "chat");
/// assert_eq!(req.headers()["sec-websocket-extensions"], "permessage-deflate; client_max_window_bits");
/// ```
pub fn client_request_with(
    uri: &str,
    opts: &ConnectOptions,
) -> Result<(Request<()>, String), HandshakeError> {
    let (mut req, key) = client_request(uri)?;
    if !opts.protocols.is_empty() {
        let v = HeaderValue::from_str(&opts.protocols.join(", "))
            .map_err(|e| HandshakeError::Malformed(e.to_string()))?;
        req.headers_mut().insert(header::SEC_WEBSOCKET_PROTOCOL, v);
    }
    if let Some(offer) = deflate::client_offer(opts.config.deflate()) {
        req.headers_mut()
            .insert(header::SEC_WEBSOCKET_EXTENSIONS, offer);
    }
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
    let protocol = validate_upgrade(resp, key, offered)?;
    if let Some(ext) = resp.headers().get(header::SEC_WEBSOCKET_EXTENSIONS) {
        return Err(HandshakeError::UnexpectedExtension {
            extensions: String::from_utf8_lossy(ext.as_bytes()).into_owned(),
        });
    }
    Ok(protocol)
}

/// Validates a server's answer to a request made with
/// [`client_request_with`] and the same `opts`: the checks of
/// [`validate_response`], and the permessage-deflate answer against our
/// offer ([`deflate::client_validate`]: an extension we did not offer, an
/// invalid or unacceptable parameter fails the handshake, RFC 7692 §7
/// "MUST _Fail the WebSocket Connection_", as
/// [`HandshakeError::Extension`]). Returns what was agreed, for
/// [`WebSocketStream::from_negotiated`].
///
/// ```
/// use pushcodec::ws::handshake::{accept_key, validate_response_with, ConnectOptions, HandshakeError};
/// let key = "dGhlIHNhbXBsZSBub25jZQ==";
/// let answer = |ext: &str| http::Response::builder()
///     .status(101)
///     .header("Upgrade", "websocket")
///     .header("Connection", "Upgrade")
///     .header("Sec-WebSocket-Accept", accept_key(key.as_bytes()))
///     .header("Sec-WebSocket-Extensions", ext)
///     .body(())
///     .unwrap();
/// let opts = ConnectOptions::default();
/// let agreed = validate_response_with(&answer("permessage-deflate; server_no_context_takeover"), key, &opts).unwrap();
/// assert!(agreed.deflate().unwrap().server_no_context_takeover());
/// let bad = validate_response_with(&answer("permessage-deflate; server_max_window_bits=7"), key, &opts);
/// assert!(matches!(bad, Err(HandshakeError::Extension(_))));
/// ```
pub fn validate_response_with<B>(
    resp: &Response<B>,
    key: &str,
    opts: &ConnectOptions,
) -> Result<Negotiated, HandshakeError> {
    let offered: Vec<&str> = opts.protocols.iter().map(String::as_str).collect();
    let protocol = validate_upgrade(resp, key, &offered)?;
    let deflate = deflate::client_validate(opts.config.deflate(), resp.headers())?;
    Ok(Negotiated::new(protocol, deflate))
}

/// Everything but the extensions: status, upgrade headers, accept key,
/// subprotocol.
fn validate_upgrade<B>(
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

/// Client-side handshake options, built with [`ConnectOptions::builder`].
///
/// | setting | default | meaning |
/// | --- | --- | --- |
/// | `protocols` | none | subprotocols offered (`Sec-WebSocket-Protocol`) |
/// | `max_head_size` | 16 KiB | limit of the response head |
/// | `handshake_timeout` | `Some(10 s)` | bound on writing the request and reading the answer ([`HandshakeError::Timeout`]) |
/// | `config` | default | the connection's [`WebSocketConfig`] after the handshake; its [`deflate`](WebSocketConfig::deflate) says what permessage-deflate offer to make (on by default) |
///
/// ```
/// let o = pushcodec::ws::handshake::ConnectOptions::builder().protocols(["chat"]).build();
/// assert_eq!(o.protocols(), ["chat"]);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    protocols: Vec<String>,
    max_head_size: usize,
    handshake_timeout: Option<Duration>,
    config: WebSocketConfig,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            protocols: Vec::new(),
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            config: WebSocketConfig::default(),
        }
    }
}

impl ConnectOptions {
    /// A builder starting from the defaults.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::ConnectOptions::builder().build();
    /// assert!(o.protocols().is_empty());
    /// ```
    pub fn builder() -> ConnectOptionsBuilder {
        ConnectOptionsBuilder::default()
    }

    /// The subprotocols offered.
    ///
    /// ```
    /// assert!(pushcodec::ws::handshake::ConnectOptions::default().protocols().is_empty());
    /// ```
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// The limit of the response head.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::handshake::ConnectOptions::default().max_head_size(), 16 << 10);
    /// ```
    pub fn max_head_size(&self) -> usize {
        self.max_head_size
    }

    /// The bound on the handshake.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::handshake::ConnectOptions::default().handshake_timeout().unwrap().as_secs(), 10);
    /// ```
    pub fn handshake_timeout(&self) -> Option<Duration> {
        self.handshake_timeout
    }

    /// The connection's configuration after the handshake.
    ///
    /// ```
    /// assert!(pushcodec::ws::handshake::ConnectOptions::default().config().utf8_fail_fast());
    /// ```
    pub fn config(&self) -> &WebSocketConfig {
        &self.config
    }
}

/// Builder of [`ConnectOptions`].
///
/// ```
/// let o = pushcodec::ws::handshake::ConnectOptions::builder().max_head_size(4096).build();
/// assert_eq!(o.max_head_size(), 4096);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConnectOptionsBuilder {
    options: ConnectOptions,
}

impl ConnectOptionsBuilder {
    /// Subprotocols to offer (`Sec-WebSocket-Protocol`).
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::ConnectOptions::builder().protocols(["a", "b"]).build();
    /// assert_eq!(o.protocols().len(), 2);
    /// ```
    pub fn protocols<I: IntoIterator<Item = T>, T: Into<String>>(mut self, p: I) -> Self {
        self.options.protocols = p.into_iter().map(Into::into).collect();
        self
    }

    /// Limit of the response head (default 16 KiB).
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::ConnectOptions::builder().max_head_size(4096).build();
    /// # drop(o);
    /// ```
    pub fn max_head_size(mut self, n: usize) -> Self {
        self.options.max_head_size = n;
        self
    }

    /// Bound on the whole handshake: writing the request and reading the
    /// server's answer (default 10 s). `None`: unbounded.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::ConnectOptions::builder().handshake_timeout(None).build();
    /// assert_eq!(o.handshake_timeout(), None);
    /// ```
    pub fn handshake_timeout(mut self, d: Option<Duration>) -> Self {
        self.options.handshake_timeout = d;
        self
    }

    /// The connection's configuration after the handshake.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::ConnectOptions::builder()
    ///     .config(pushcodec::ws::WebSocketConfig::default())
    ///     .build();
    /// # drop(o);
    /// ```
    pub fn config(mut self, config: WebSocketConfig) -> Self {
        self.options.config = config;
        self
    }

    /// The options.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::ConnectOptions::builder().build();
    /// # drop(o);
    /// ```
    pub fn build(self) -> ConnectOptions {
        self.options
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
/// let cfg = pushcodec::ws::WebSocketConfig::builder().auto_fragment_size(Some(64 << 10)).build();
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
    connect_with_options(io, uri, &ConnectOptions::builder().config(config).build())
        .await
        .map(|(ws, _)| ws)
}

/// [`connect`] with options; also returns the server's 101 response (e.g.
/// to read the chosen subprotocol).
///
/// ```no_run
/// # async fn demo(tcp: tokio::net::TcpStream) -> Result<(), pushcodec::ws::handshake::HandshakeError> {
/// use pushcodec::ws::handshake::{connect_with_options, ConnectOptions};
/// let (ws, resp) = connect_with_options(tcp, "ws://h/", &ConnectOptions::builder().protocols(["chat"]).build()).await?;
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
    let (rest, resp, negotiated) = match opts.handshake_timeout {
        Some(d) => match tokio::time::timeout(d, connect_inner(&mut io, uri, opts)).await {
            Ok(r) => r?,
            Err(_) => return Err(HandshakeError::Timeout { after: d }),
        },
        None => connect_inner(&mut io, uri, opts).await?,
    };
    let ws =
        WebSocketStream::from_negotiated(io, Role::Client, opts.config.clone(), negotiated, rest);
    Ok((ws, resp))
}

/// The handshake proper; returns the bytes read after the head, the
/// response and what was agreed.
async fn connect_inner<S>(
    io: &mut S,
    uri: &str,
    opts: &ConnectOptions,
) -> Result<(BytesMut, Response<()>, Negotiated), HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (req, key) = client_request_with(uri, opts)?;
    let mut out = format!(
        "GET {} HTTP/1.1\r\n",
        req.uri().path_and_query().map_or("/", |p| p.as_str())
    )
    .into_bytes();
    write_headers(&mut out, req.headers());
    io.write_all(&out).await?;
    io.flush().await?;
    let mut buf = BytesMut::with_capacity(1024);
    let head_len = read_head(io, &mut buf, opts.max_head_size).await?;
    let resp = parse_response_head(&buf[..head_len])?;
    let negotiated = validate_response_with(&resp, &key, opts)?;
    let _ = buf.split_to(head_len);
    Ok((buf, resp, negotiated))
}
