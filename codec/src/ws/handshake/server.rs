//! The server side of the opening handshake (RFC 6455 §4.2): options,
//! request validation (also for hyper/axum users), [`accept`].

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::BytesMut;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::head::{parse_request_head, read_head, response_bytes};
use super::{
    accept_key, at_most_once, has_token, header_tokens, HandshakeError, Negotiated,
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_HEAD_SIZE,
};
use crate::ws::config::WebSocketConfig;
use crate::ws::extension::deflate::{self, DeflateLimit};
use crate::ws::frame_codec::Role;
use crate::ws::stream::WebSocketStream;

/// Origin check: gets the `Origin` header (if any), returns whether to accept.
///
/// ```
/// use std::sync::Arc;
/// use pushcodec::ws::handshake::OriginCheck;
/// let check: OriginCheck = Arc::new(|origin| origin == Some("https://app.example"));
/// assert!(check(Some("https://app.example")) && !check(None));
/// ```
pub type OriginCheck = Arc<dyn Fn(Option<&str>) -> bool + Send + Sync>;
/// Subprotocol choice: gets the offered protocols, returns the one to use.
///
/// ```
/// use std::sync::Arc;
/// use pushcodec::ws::handshake::SubprotocolChoice;
/// let choose: SubprotocolChoice =
///     Arc::new(|offered| offered.iter().find(|p| **p == "v2").map(|p| p.to_string()));
/// assert_eq!(choose(&["v1", "v2"]).as_deref(), Some("v2"));
/// ```
pub type SubprotocolChoice = Arc<dyn Fn(&[&str]) -> Option<String> + Send + Sync>;

/// Server-side handshake options, built with [`AcceptOptions::builder`].
///
/// | setting | default | meaning |
/// | --- | --- | --- |
/// | `max_head_size` | 16 KiB | limit of the request head (431 beyond) |
/// | `handshake_timeout` | `Some(10 s)` | bound on reading the head and writing the answer ([`HandshakeError::Timeout`]); `None`: no bound (and no timer) |
/// | `origin` | accept all | `Origin` check (403 when it says no) |
/// | `subprotocol` | none | picks one of the offered subprotocols |
/// | `config` | default | the connection's [`WebSocketConfig`] after the handshake; its [`deflate`](WebSocketConfig::deflate) is the permessage-deflate policy (on by default) |
/// | `deflate_limit` | none | a [`DeflateLimit`]: past its number of connections with permessage-deflate, the extension is declined |
///
/// ```
/// use pushcodec::ws::handshake::AcceptOptions;
/// use std::time::Duration;
/// let opts = AcceptOptions::builder()
///     .origin(|o| o == Some("https://example.com"))
///     .subprotocol(|offered| offered.iter().find(|p| **p == "chat").map(|p| p.to_string()))
///     .max_head_size(8192)
///     .handshake_timeout(Some(Duration::from_secs(5)))
///     .build();
/// assert_eq!(opts.max_head_size(), 8192);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct AcceptOptions {
    max_head_size: usize,
    handshake_timeout: Option<Duration>,
    origin: Option<OriginCheck>,
    subprotocol: Option<SubprotocolChoice>,
    config: WebSocketConfig,
    deflate_limit: Option<DeflateLimit>,
}

impl Default for AcceptOptions {
    fn default() -> Self {
        AcceptOptions {
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            origin: None,
            subprotocol: None,
            config: WebSocketConfig::default(),
            deflate_limit: None,
        }
    }
}

impl std::fmt::Debug for AcceptOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptOptions")
            .field("max_head_size", &self.max_head_size)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("origin", &self.origin.is_some())
            .field("subprotocol", &self.subprotocol.is_some())
            .field("config", &self.config)
            .field("deflate_limit", &self.deflate_limit)
            .finish()
    }
}

impl AcceptOptions {
    /// A builder starting from the defaults.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::AcceptOptions::builder().build();
    /// assert_eq!(o.handshake_timeout().unwrap().as_secs(), 10);
    /// ```
    pub fn builder() -> AcceptOptionsBuilder {
        AcceptOptionsBuilder::default()
    }

    /// The limit of the request head.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::handshake::AcceptOptions::default().max_head_size(), 16 << 10);
    /// ```
    pub fn max_head_size(&self) -> usize {
        self.max_head_size
    }

    /// The bound on the handshake.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::AcceptOptions::default();
    /// assert_eq!(o.handshake_timeout(), Some(std::time::Duration::from_secs(10)));
    /// ```
    pub fn handshake_timeout(&self) -> Option<Duration> {
        self.handshake_timeout
    }

    /// The connection's configuration after the handshake.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::AcceptOptions::default();
    /// assert_eq!(o.config().max_frame_size(), 16 << 20);
    /// ```
    pub fn config(&self) -> &WebSocketConfig {
        &self.config
    }

    /// The cap on connections with permessage-deflate, if any.
    ///
    /// ```
    /// assert!(pushcodec::ws::handshake::AcceptOptions::default().deflate_limit().is_none());
    /// ```
    pub fn deflate_limit(&self) -> Option<&DeflateLimit> {
        self.deflate_limit.as_ref()
    }
}

/// Builder of [`AcceptOptions`].
///
/// ```
/// let o = pushcodec::ws::handshake::AcceptOptions::builder().max_head_size(1024).build();
/// assert_eq!(o.max_head_size(), 1024);
/// ```
#[derive(Clone, Debug, Default)]
pub struct AcceptOptionsBuilder {
    options: AcceptOptions,
}

impl AcceptOptionsBuilder {
    /// Limit of the request head (default 16 KiB).
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::AcceptOptions::builder().max_head_size(1024).build();
    /// # drop(o);
    /// ```
    pub fn max_head_size(mut self, n: usize) -> Self {
        self.options.max_head_size = n;
        self
    }

    /// Bound on the whole handshake: reading the request head and writing
    /// the answer (default 10 s). `None`: unbounded (then no timer is
    /// used, nor needed).
    ///
    /// ```
    /// use std::time::Duration;
    /// let o = pushcodec::ws::handshake::AcceptOptions::builder().handshake_timeout(Some(Duration::from_secs(2))).build();
    /// assert_eq!(o.handshake_timeout(), Some(Duration::from_secs(2)));
    /// ```
    pub fn handshake_timeout(mut self, d: Option<Duration>) -> Self {
        self.options.handshake_timeout = d;
        self
    }

    /// Accept only origins for which `check` returns true (403 otherwise).
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::AcceptOptions::builder().origin(|o| o.is_none()).build();
    /// # drop(o);
    /// ```
    pub fn origin(mut self, check: impl Fn(Option<&str>) -> bool + Send + Sync + 'static) -> Self {
        self.options.origin = Some(Arc::new(check));
        self
    }

    /// Pick a subprotocol from those the client offers; the answer is sent
    /// only if it is one of them.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::AcceptOptions::builder()
    ///     .subprotocol(|offered| offered.first().map(|p| p.to_string()))
    ///     .build();
    /// # drop(o);
    /// ```
    pub fn subprotocol(
        mut self,
        choose: impl Fn(&[&str]) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.options.subprotocol = Some(Arc::new(choose));
        self
    }

    /// The connection's configuration after the handshake.
    ///
    /// ```
    /// use pushcodec::ws::{handshake::AcceptOptions, WebSocketConfig};
    /// let o = AcceptOptions::builder()
    ///     .config(WebSocketConfig::builder().max_message_size(1 << 20).build())
    ///     .build();
    /// assert_eq!(o.config().max_message_size(), 1 << 20);
    /// ```
    pub fn config(mut self, config: WebSocketConfig) -> Self {
        self.options.config = config;
        self
    }

    /// Caps the connections that use permessage-deflate at once (default:
    /// no cap): past `limit`'s count the extension is declined and the
    /// connection goes on uncompressed; each connection gives its place
    /// back when dropped. The memory compression takes is then at most
    /// the limit times the per-connection figure of `BENCHMARKS.md` for
    /// the configured windows and memory level.
    ///
    /// ```
    /// use pushcodec::ws::{extension::deflate::DeflateLimit, handshake::AcceptOptions};
    /// let limit = DeflateLimit::new(1000);
    /// let o = AcceptOptions::builder().deflate_limit(limit.clone()).build();
    /// assert_eq!(o.deflate_limit().unwrap().max_connections(), 1000);
    /// ```
    pub fn deflate_limit(mut self, limit: DeflateLimit) -> Self {
        self.options.deflate_limit = Some(limit);
        self
    }

    /// The options.
    ///
    /// ```
    /// let o = pushcodec::ws::handshake::AcceptOptions::builder().build();
    /// # drop(o);
    /// ```
    pub fn build(self) -> AcceptOptions {
        self.options
    }
}

/// Validates an upgrade request (RFC 6455 §4.2.1) and builds the 101
/// response with `Sec-WebSocket-Accept` and the chosen subprotocol; no
/// extension is accepted (see [`server_handshake`], which negotiates
/// permessage-deflate). For hyper/axum users, who send the response
/// themselves and then run [`WebSocketStream::from_raw`] on the upgraded
/// connection.
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

/// [`server_response`] with an origin check and subprotocol choice (no
/// extension is accepted: see [`server_handshake`]).
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
/// let opts = AcceptOptions::builder().origin(|o| o == Some("https://good.example")).build();
/// assert!(matches!(server_response_with(&req, &opts), Err(HandshakeError::OriginRejected { .. })));
/// ```
pub fn server_response_with<B>(
    req: &Request<B>,
    opts: &AcceptOptions,
) -> Result<Response<()>, HandshakeError> {
    check_request_line(req)?;
    let mut resp = Response::new(());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *resp.headers_mut() = response_headers(req.headers(), opts)?;
    Ok(resp)
}

/// The whole server side of the handshake over an `http::Request`, for
/// hyper/axum users: validates the request as [`server_response_with`]
/// does, negotiates permessage-deflate under `opts` (the first acceptable
/// offer, RFC 7692 §5, within the [`DeflateLimit`] if one is set), and
/// returns the 101 (with `Sec-WebSocket-Extensions` when agreed) and what
/// was agreed. Send the response, then build the connection with
/// [`WebSocketStream::from_negotiated`] (the adapters in
/// `pushcodec::integration` do both).
///
/// A `Sec-WebSocket-Extensions` header that breaks the RFC 6455 §9.1
/// grammar is refused with 400 ([`HandshakeError::Extension`]).
///
/// ```
/// use pushcodec::ws::handshake::{server_handshake, AcceptOptions};
/// let req = http::Request::get("/")
///     .header("Host", "h")
///     .header("Upgrade", "websocket")
///     .header("Connection", "Upgrade")
///     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
///     .header("Sec-WebSocket-Version", "13")
///     .header("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")
///     .body(())
///     .unwrap();
/// let (resp, agreed) = server_handshake(&req, &AcceptOptions::default()).unwrap();
/// assert_eq!(resp.headers()["sec-websocket-extensions"], "permessage-deflate");
/// assert!(agreed.deflate().is_some());
/// // then: WebSocketStream::from_negotiated(io, Role::Server, config, agreed, BytesMut::new())
/// ```
pub fn server_handshake<B>(
    req: &Request<B>,
    opts: &AcceptOptions,
) -> Result<(Response<()>, Negotiated), HandshakeError> {
    check_request_line(req)?;
    let (headers, negotiated) = server_handshake_headers(req.headers(), opts)?;
    let mut resp = Response::new(());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *resp.headers_mut() = headers;
    Ok((resp, negotiated))
}

/// RFC 6455 §4.2.1 items 1–2: `GET`, HTTP/1.1 or later, a host.
fn check_request_line<B>(req: &Request<B>) -> Result<(), HandshakeError> {
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
    if !req.headers().contains_key(header::HOST) && req.uri().authority().is_none() {
        return Err(HandshakeError::MissingHost);
    }
    Ok(())
}

/// The header part of [`server_response_with`], for frameworks that hand
/// out only a `HeaderMap` (the method, version and `Host` are then the
/// caller's to check): validates the upgrade headers (RFC 6455 §4.2.1 items
/// 3–6, origin and subprotocol callbacks) and returns the headers of the
/// 101 response (no extension: see [`server_handshake_headers`]).
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
    Ok(upgrade_headers(h, opts)?.0)
}

/// The header part of [`server_handshake`]: [`response_headers`] plus the
/// permessage-deflate negotiation, and what was agreed.
///
/// ```
/// use http::HeaderMap;
/// use pushcodec::ws::extension::{deflate::DeflateLimit, DeflateConfig};
/// use pushcodec::ws::handshake::{server_handshake_headers, AcceptOptions};
/// use pushcodec::ws::WebSocketConfig;
/// let mut h = HeaderMap::new();
/// h.insert("upgrade", "websocket".parse().unwrap());
/// h.insert("connection", "Upgrade".parse().unwrap());
/// h.insert("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap());
/// h.insert("sec-websocket-version", "13".parse().unwrap());
/// h.insert("sec-websocket-extensions", "permessage-deflate".parse().unwrap());
/// let small = WebSocketConfig::builder()
///     .deflate(DeflateConfig::builder().server_max_window_bits(10).build())
///     .build();
/// let opts = AcceptOptions::builder().config(small).deflate_limit(DeflateLimit::new(1)).build();
/// let (out, first) = server_handshake_headers(&h, &opts).unwrap();
/// assert_eq!(out["sec-websocket-extensions"], "permessage-deflate; server_max_window_bits=10");
/// // The limit is taken while `first` lives: the next connection goes uncompressed.
/// let (out, second) = server_handshake_headers(&h, &opts).unwrap();
/// assert!(out.get("sec-websocket-extensions").is_none() && second.deflate().is_none());
/// drop(first);
/// assert!(server_handshake_headers(&h, &opts).unwrap().1.deflate().is_some());
/// ```
pub fn server_handshake_headers(
    h: &HeaderMap,
    opts: &AcceptOptions,
) -> Result<(HeaderMap, Negotiated), HandshakeError> {
    let (mut out, protocol) = upgrade_headers(h, opts)?;
    let mut agreed = None;
    let mut slot = None;
    if opts.config.deflate().enabled() {
        if let Some(params) = deflate::server_negotiate(opts.config.deflate(), h)? {
            match &opts.deflate_limit {
                None => agreed = Some(params),
                Some(limit) => {
                    slot = limit.try_acquire();
                    agreed = slot.as_ref().map(|_| params);
                }
            }
        }
    }
    if let Some(p) = &agreed {
        out.insert(header::SEC_WEBSOCKET_EXTENSIONS, p.to_header_value());
    }
    Ok((out, Negotiated::new(protocol, agreed).with_slot(slot)))
}

/// The upgrade headers and the chosen subprotocol.
fn upgrade_headers(
    h: &HeaderMap,
    opts: &AcceptOptions,
) -> Result<(HeaderMap, Option<String>), HandshakeError> {
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
    let mut chosen = None;
    if let Some(choose) = &opts.subprotocol {
        let offered = header_tokens(h, &header::SEC_WEBSOCKET_PROTOCOL);
        if let Some(p) = choose(&offered) {
            if offered.contains(&p.as_str()) {
                if let Ok(v) = HeaderValue::from_str(&p) {
                    out.insert(header::SEC_WEBSOCKET_PROTOCOL, v);
                    chosen = Some(p);
                }
            }
        }
    }
    Ok((out, chosen))
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
    accept_with_options(io, &AcceptOptions::builder().config(config).build())
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
    match opts.handshake_timeout {
        Some(d) => match tokio::time::timeout(d, accept_inner(&mut io, opts)).await {
            Ok(r) => r,
            Err(_) => Err(HandshakeError::Timeout { after: d }),
        },
        None => accept_inner(&mut io, opts).await,
    }
    .map(|(rest, req, negotiated)| {
        let ws = WebSocketStream::from_negotiated(
            io,
            Role::Server,
            opts.config.clone(),
            negotiated,
            rest,
        );
        (ws, req)
    })
}

/// The handshake proper: read and validate the head, answer; returns the
/// bytes read after the head, the request and what was agreed.
async fn accept_inner<S>(
    io: &mut S,
    opts: &AcceptOptions,
) -> Result<(BytesMut, Request<()>, Negotiated), HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::with_capacity(1024);
    let result = async {
        let head_len = read_head(io, &mut buf, opts.max_head_size).await?;
        let req = parse_request_head(&buf[..head_len])?;
        let (resp, negotiated) = server_handshake(&req, opts)?;
        Ok::<_, HandshakeError>((head_len, req, resp, negotiated))
    }
    .await;
    match result {
        Ok((head_len, req, resp, negotiated)) => {
            io.write_all(&response_bytes(&resp.map(|()| Vec::new())))
                .await?;
            io.flush().await?;
            let _ = buf.split_to(head_len);
            Ok((buf, req, negotiated))
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
