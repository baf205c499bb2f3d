//! [`WebSocketUpgrade`]: the axum extractor of a WebSocket upgrade.

use crate::integration::{UpgradeError, WebSocket};
use crate::ws::extension::deflate::DeflateLimit;
use crate::ws::handshake::{
    server_handshake, server_response_with, token_list, AcceptOptions, OriginCheck,
};
use crate::ws::{Role, WebSocketConfig, WebSocketStream};
use ::hyper::upgrade::OnUpgrade;
use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, Request};
use hyper_util::rt::TokioIo;
use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

/// Extractor for a WebSocket upgrade (RFC 6455 §4.2), like axum's
/// `extract::ws::WebSocketUpgrade`: extract it in a `GET` handler, set
/// [`protocols`](Self::protocols), [`origin`](Self::origin) and
/// [`config`](Self::config) as needed, and return
/// [`on_upgrade`](Self::on_upgrade)'s response.
///
/// Extraction validates the request as
/// [`server_response_with`]
/// does (method `GET`, HTTP/1.1, `Host`, `Upgrade`, `Connection`, key,
/// version 13); a bad request is rejected with [`UpgradeError`], whose
/// response is the 400 or 426 (with `Sec-WebSocket-Version: 13`) of
/// [`HandshakeError::to_response`](crate::ws::handshake::HandshakeError::to_response).
/// The origin check runs in `on_upgrade` (403 when it refuses).
///
/// HTTP/1.1 only: the connection is taken over through hyper's upgrade
/// (`axum::serve` enables it). An HTTP/2 request is refused.
///
/// ```
/// use axum::{response::Response, routing::get, Router};
/// use pushcodec::integration::axum::WebSocketUpgrade;
/// use pushcodec::ws::WebSocketConfig;
///
/// async fn handler(ws: WebSocketUpgrade) -> Response {
///     ws.protocols(["graphql-transport-ws", "graphql-ws"])
///         .origin(|origin| origin == Some("https://app.example"))
///         .config(WebSocketConfig::builder().max_message_size(1 << 20).build())
///         .on_upgrade(|socket| async move { drop(socket) })
/// }
/// let app: Router = Router::new().route("/ws", get(handler));
/// ```
#[must_use = "return the response of `on_upgrade`, or nothing is upgraded"]
pub struct WebSocketUpgrade<F = DefaultOnFailedUpgrade> {
    /// Method, URI, version and headers of the request (no body), checked
    /// again with the full options in `on_upgrade`.
    request: Request<()>,
    on_upgrade: OnUpgrade,
    selected_protocol: Option<String>,
    origin: Option<OriginCheck>,
    config: WebSocketConfig,
    deflate_limit: Option<DeflateLimit>,
    on_failed_upgrade: F,
}

impl<F> std::fmt::Debug for WebSocketUpgrade<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("uri", self.request.uri())
            .field("selected_protocol", &self.selected_protocol)
            .field("origin_check", &self.origin.is_some())
            .field("config", &self.config)
            .field("deflate_limit", &self.deflate_limit)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = UpgradeError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, UpgradeError> {
        let mut request = Request::new(());
        *request.method_mut() = parts.method.clone();
        *request.uri_mut() = parts.uri.clone();
        *request.version_mut() = parts.version;
        *request.headers_mut() = parts.headers.clone();
        // The request rules, checked once here (origin and subprotocol
        // callbacks come later, in `on_upgrade`).
        server_response_with(&request, &AcceptOptions::default())?;
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(UpgradeError::NotUpgradable)?;
        Ok(WebSocketUpgrade {
            request,
            on_upgrade,
            selected_protocol: None,
            origin: None,
            config: WebSocketConfig::default(),
            deflate_limit: None,
            on_failed_upgrade: DefaultOnFailedUpgrade,
        })
    }
}

impl<F> WebSocketUpgrade<F> {
    /// The subprotocols this endpoint speaks, in order of preference: the
    /// first one the client offered in `Sec-WebSocket-Protocol` is chosen
    /// and echoed in the 101 (RFC 6455 §4.2.2 item 5.4). None offered: no
    /// subprotocol header, and the connection goes ahead.
    ///
    /// ```
    /// # use pushcodec::integration::axum::WebSocketUpgrade;
    /// fn pick(ws: WebSocketUpgrade) -> Option<String> {
    ///     ws.protocols(["v2.chat", "v1.chat"]).selected_protocol().map(str::to_owned)
    /// }
    /// ```
    pub fn protocols<I>(mut self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Cow<'static, str>>,
    {
        let selected = protocols
            .into_iter()
            .map(Into::into)
            .find(|ours| self.requested_protocols().any(|p| p == ours))
            .map(Cow::into_owned);
        self.selected_protocol = selected;
        self
    }

    /// The subprotocols the client offered, in its order.
    ///
    /// ```
    /// # use pushcodec::integration::axum::WebSocketUpgrade;
    /// fn offered(ws: &WebSocketUpgrade) -> Vec<&str> {
    ///     ws.requested_protocols().collect()
    /// }
    /// ```
    pub fn requested_protocols(&self) -> impl Iterator<Item = &str> {
        self.request
            .headers()
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(token_list)
            .flatten()
    }

    /// The subprotocol [`protocols`](Self::protocols) chose, if any.
    ///
    /// ```
    /// # use pushcodec::integration::axum::WebSocketUpgrade;
    /// fn chosen(ws: &WebSocketUpgrade) -> bool { ws.selected_protocol().is_some() }
    /// ```
    pub fn selected_protocol(&self) -> Option<&str> {
        self.selected_protocol.as_deref()
    }

    /// Accepts only requests whose `Origin` (`None` when absent) `check`
    /// approves; others get 403 Forbidden (RFC 6455 §4.2.2 item 4, §10.2).
    /// Browsers always send `Origin`; other clients may not.
    ///
    /// ```
    /// # use pushcodec::integration::axum::WebSocketUpgrade;
    /// fn same_site(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ///     ws.origin(|o| matches!(o, Some("https://app.example") | None))
    /// }
    /// ```
    pub fn origin(mut self, check: impl Fn(Option<&str>) -> bool + Send + Sync + 'static) -> Self {
        self.origin = Some(Arc::new(check));
        self
    }

    /// The connection's limits and tuning (default
    /// [`WebSocketConfig::default`]), permessage-deflate included: its
    /// [`deflate`](WebSocketConfig::deflate) policy (on by default) decides
    /// what is accepted of the client's offer (RFC 7692).
    ///
    /// ```
    /// # use pushcodec::integration::axum::WebSocketUpgrade;
    /// use pushcodec::ws::WebSocketConfig;
    /// fn small(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ///     ws.config(WebSocketConfig::builder().max_message_size(64 << 10).build())
    /// }
    /// ```
    pub fn config(mut self, config: WebSocketConfig) -> Self {
        self.config = config;
        self
    }

    /// Caps the connections that use permessage-deflate at once: share one
    /// [`DeflateLimit`] between the handlers of a server (e.g. in its
    /// state); past it the extension is declined (see
    /// [`AcceptOptionsBuilder::deflate_limit`](crate::ws::handshake::AcceptOptionsBuilder::deflate_limit)).
    ///
    /// ```
    /// # use pushcodec::integration::axum::WebSocketUpgrade;
    /// use pushcodec::ws::extension::deflate::DeflateLimit;
    /// fn capped(ws: WebSocketUpgrade, limit: &DeflateLimit) -> WebSocketUpgrade {
    ///     ws.deflate_limit(limit.clone())
    /// }
    /// ```
    pub fn deflate_limit(mut self, limit: DeflateLimit) -> Self {
        self.deflate_limit = Some(limit);
        self
    }

    /// Called with the error if hyper does not hand the connection over
    /// after the 101 (by default the error is dropped, as axum does).
    ///
    /// ```
    /// # use pushcodec::integration::axum::WebSocketUpgrade;
    /// fn logged(ws: WebSocketUpgrade) -> axum::response::Response {
    ///     ws.on_failed_upgrade(|e| eprintln!("upgrade failed: {e}"))
    ///         .on_upgrade(|socket| async move { drop(socket) })
    /// }
    /// ```
    pub fn on_failed_upgrade<C: OnFailedUpgrade>(self, callback: C) -> WebSocketUpgrade<C> {
        WebSocketUpgrade {
            request: self.request,
            on_upgrade: self.on_upgrade,
            selected_protocol: self.selected_protocol,
            origin: self.origin,
            config: self.config,
            deflate_limit: self.deflate_limit,
            on_failed_upgrade: callback,
        }
    }

    /// Answers the upgrade and runs `callback` on the connection in a new
    /// task once hyper has sent the 101. Returns the 101, or the 403 of a
    /// refused origin (then `callback` never runs).
    ///
    /// ```
    /// use futures_util::SinkExt;
    /// use pushcodec::{integration::axum::WebSocketUpgrade, ws::Message};
    /// async fn hello(ws: WebSocketUpgrade) -> axum::response::Response {
    ///     ws.on_upgrade(|mut socket| async move {
    ///         let _ = socket.send(Message::text("hello")).await;
    ///     })
    /// }
    /// ```
    pub fn on_upgrade<C, Fut>(self, callback: C) -> Response
    where
        C: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
        F: OnFailedUpgrade,
    {
        let mut opts = AcceptOptions::builder();
        if let Some(check) = self.origin {
            opts = opts.origin(move |origin| check(origin));
        }
        if let Some(protocol) = self.selected_protocol {
            opts = opts.subprotocol(move |_| Some(protocol.clone()));
        }
        if let Some(limit) = self.deflate_limit {
            opts = opts.deflate_limit(limit);
        }
        let opts = opts.config(self.config).build();
        let (resp, negotiated) = match server_handshake(&self.request, &opts) {
            Ok(r) => r,
            Err(e) => return UpgradeError::from(e).into_response(),
        };
        let (on_upgrade, on_failed) = (self.on_upgrade, self.on_failed_upgrade);
        let config = opts.config().clone();
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let ws = WebSocketStream::from_negotiated(
                        TokioIo::new(upgraded),
                        Role::Server,
                        config,
                        negotiated,
                        bytes::BytesMut::new(),
                    );
                    callback(ws).await;
                }
                Err(e) => on_failed.call(UpgradeError::Upgrade(e)),
            }
        });
        resp.map(|()| Body::empty())
    }
}

/// What [`WebSocketUpgrade::on_upgrade`] does when hyper does not hand the
/// connection over; any `FnOnce(UpgradeError) + Send + 'static` is one.
///
/// ```
/// use pushcodec::integration::{axum::OnFailedUpgrade, UpgradeError};
/// fn takes(_: impl OnFailedUpgrade) {}
/// takes(|e: UpgradeError| eprintln!("{e}"));
/// ```
pub trait OnFailedUpgrade: Send + 'static {
    /// Handles the error.
    ///
    /// ```
    /// use pushcodec::integration::{axum::OnFailedUpgrade, UpgradeError};
    /// let log = |e: UpgradeError| eprintln!("upgrade failed: {e}");
    /// log.call(UpgradeError::NotUpgradable);
    /// ```
    fn call(self, error: UpgradeError);
}

impl<F: FnOnce(UpgradeError) + Send + 'static> OnFailedUpgrade for F {
    fn call(self, error: UpgradeError) {
        self(error)
    }
}

/// The default [`OnFailedUpgrade`]: drops the error.
///
/// ```
/// use pushcodec::integration::axum::{DefaultOnFailedUpgrade, OnFailedUpgrade};
/// DefaultOnFailedUpgrade.call(pushcodec::integration::UpgradeError::NotUpgradable);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultOnFailedUpgrade;

impl OnFailedUpgrade for DefaultOnFailedUpgrade {
    fn call(self, _error: UpgradeError) {}
}

/// A refused upgrade answers with [`UpgradeError::to_response`].
impl IntoResponse for UpgradeError {
    fn into_response(self) -> Response {
        self.to_response().map(Body::from)
    }
}
