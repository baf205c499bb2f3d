//! Drop-in adapters for the HTTP stacks most tokio services run on (features,
//! off by default):
//!
//! | module | feature | what |
//! |---|---|---|
//! | [`hyper`](mod@self::hyper) | `hyper` | [`upgrade`](self::hyper::upgrade): a WebSocket upgrade for a plain hyper 1 service |
//! | [`axum`](mod@self::axum) | `axum` | [`WebSocketUpgrade`](self::axum::WebSocketUpgrade) extractor and [`Sse`](self::axum::Sse) response |
//!
//! Both run the upgrade through hyper (HTTP/1.1 `101 Switching Protocols`,
//! RFC 6455 §4.2.2) and validate the request with
//! [`ws::handshake::server_response_with`](crate::ws::handshake::server_response_with),
//! so a bad upgrade gets the same 400/403/426 answers as
//! [`ws::handshake::accept`](crate::ws::handshake::accept) gives. The
//! upgraded connection is a [`WebSocketStream`] over hyper's
//! [`Upgraded`](::hyper::upgrade::Upgraded) ([`WebSocket`]).
//!
//! The EventSource *client* lives in `sse::client` (feature `client`).
//!
//! ```
//! use pushcodec::integration::{hyper::upgrade, UpgradeError};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // A plain GET is refused with the reason, and the future says why too:
//! let mut req = http::Request::get("/ws").header("host", "h").body(()).unwrap();
//! let (response, websocket) = upgrade(&mut req);
//! assert_eq!(response.status(), 400);
//! assert!(matches!(websocket.await, Err(UpgradeError::Handshake(_))));
//! # });
//! ```

use crate::ws::handshake::HandshakeError;
use crate::ws::WebSocketStream;
use http::{header, HeaderValue, Response, StatusCode};

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
pub mod hyper;

/// The I/O of an upgraded hyper connection, as tokio's `AsyncRead +
/// AsyncWrite`.
///
/// ```
/// use pushcodec::integration::{UpgradedIo, WebSocket};
/// use pushcodec::ws::{Role, WebSocketConfig, WebSocketStream};
/// // What the adapters do once hyper hands over the connection:
/// fn wrap(io: UpgradedIo) -> WebSocket {
///     WebSocketStream::from_raw(io, Role::Server, WebSocketConfig::default())
/// }
/// # let _ = wrap;
/// ```
pub type UpgradedIo = hyper_util::rt::TokioIo<::hyper::upgrade::Upgraded>;

/// A server-side WebSocket connection on an upgraded hyper connection.
///
/// ```
/// use futures_util::{SinkExt, StreamExt};
/// use pushcodec::{integration::WebSocket, ws::Message};
///
/// async fn echo(mut ws: WebSocket) {
///     while let Some(Ok(msg)) = ws.next().await {
///         if let Message::Text(_) | Message::Binary(_) = msg {
///             if ws.send(msg).await.is_err() {
///                 break;
///             }
///         }
///     }
/// }
/// ```
pub type WebSocket = WebSocketStream<UpgradedIo>;

/// Why an upgrade through an adapter failed.
///
/// ```
/// use pushcodec::{integration::UpgradeError, ws::handshake::HandshakeError};
/// let e = UpgradeError::from(HandshakeError::MissingKey);
/// assert_eq!(e.to_response().status(), 400);
/// assert_eq!(UpgradeError::NotUpgradable.to_response().status(), 426);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpgradeError {
    /// The request is not a valid upgrade, or the origin check refused it
    /// (answered with [`HandshakeError::to_response`]: 400, 403 or 426).
    #[error("WebSocket upgrade refused: {0}")]
    Handshake(#[from] HandshakeError),
    /// The request carries no hyper upgrade handle: it came over HTTP/2, or
    /// through a server that does not support upgrades (hyper's
    /// `serve_connection` needs `.with_upgrades()`), or the handle was
    /// already taken. Answered with 426.
    #[error(
        "this connection cannot be upgraded: the request has no hyper upgrade handle \
         (HTTP/2, a server without upgrade support, or the handle was already taken)"
    )]
    NotUpgradable,
    /// The 101 was sent but hyper did not hand over the connection (the
    /// client went away, or the server was not set up for upgrades).
    #[error("the connection was not handed over after 101 Switching Protocols: {0}")]
    Upgrade(#[source] ::hyper::Error),
}

impl UpgradeError {
    /// The HTTP response for a refused upgrade: the handshake error's own
    /// ([`HandshakeError::to_response`]), 426 for
    /// [`NotUpgradable`](Self::NotUpgradable), 500 for
    /// [`Upgrade`](Self::Upgrade) (which happens after the 101, so a
    /// response cannot be sent any more; this exists for completeness).
    ///
    /// ```
    /// let r = pushcodec::integration::UpgradeError::NotUpgradable.to_response();
    /// assert!(r.body().contains("cannot be upgraded"));
    /// ```
    pub fn to_response(&self) -> Response<String> {
        let status = match self {
            UpgradeError::Handshake(e) => return e.to_response(),
            UpgradeError::NotUpgradable => StatusCode::UPGRADE_REQUIRED,
            UpgradeError::Upgrade(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut resp = Response::new(format!("{self}\n"));
        *resp.status_mut() = status;
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        resp
    }
}
