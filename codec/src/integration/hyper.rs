//! WebSocket upgrade for plain hyper 1 services (feature `hyper`).
//!
//! ```text
//!  Request ──upgrade()──▶ (Response: 101, or 400/403/426 with the reason,
//!                          UpgradeFuture ──(after hyper sent the 101)──▶ WebSocket)
//! ```
//!
//! Return the response from the service and spawn the future: it resolves
//! once hyper has written the 101 and handed the connection over. The
//! server connection must be served with `.with_upgrades()`.
//!
//! ```no_run
//! use futures_util::{SinkExt, StreamExt};
//! use hyper::{body::Incoming, service::service_fn, Request};
//! use hyper_util::rt::TokioIo;
//! use pushcodec::integration::hyper::upgrade;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! loop {
//!     let (tcp, _) = listener.accept().await?;
//!     let service = service_fn(|mut req: Request<Incoming>| async move {
//!         let (response, websocket) = upgrade(&mut req);
//!         tokio::spawn(async move {
//!             let Ok(mut ws) = websocket.await else { return }; // refused: `response` says why
//!             while let Some(Ok(msg)) = ws.next().await {
//!                 if !msg.is_control() && ws.send(msg).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         });
//!         Ok::<_, std::convert::Infallible>(response)
//!     });
//!     tokio::spawn(
//!         hyper::server::conn::http1::Builder::new()
//!             .serve_connection(TokioIo::new(tcp), service)
//!             .with_upgrades(),
//!     );
//! }
//! # }
//! ```

use super::{UpgradeError, WebSocket};
use crate::ws::handshake::{server_handshake, AcceptOptions, Negotiated};
use crate::ws::{Role, WebSocketConfig, WebSocketStream};
use ::hyper::upgrade::OnUpgrade;
use http::{Request, Response};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Validates `req` as a WebSocket upgrade (RFC 6455 §4.2.1) with default
/// options and returns the response to send and a future of the
/// connection.
///
/// * A valid upgrade: `101 Switching Protocols` with `Sec-WebSocket-Accept`;
///   the future resolves to the [`WebSocket`] once hyper has sent the 101.
/// * Otherwise: the refusal from
///   [`HandshakeError::to_response`](crate::ws::handshake::HandshakeError::to_response)
///   (400, or 426 for a wrong version), or 426 when the request carries no
///   hyper upgrade handle; the future resolves at once to the error.
///
/// The response body is a `String` (empty for the 101), which hyper can
/// send as is; `.map(Full::from)` etc. converts it to another body type.
///
/// ```
/// use pushcodec::integration::{hyper::upgrade, UpgradeError};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut req = http::Request::get("/").body(()).unwrap(); // not an upgrade
/// let (resp, ws) = upgrade(&mut req);
/// assert_eq!(resp.status(), 400);
/// assert!(matches!(ws.await, Err(UpgradeError::Handshake(_))));
/// # });
/// ```
pub fn upgrade<B>(req: &mut Request<B>) -> (Response<String>, UpgradeFuture) {
    upgrade_with(req, &AcceptOptions::default())
}

/// [`upgrade`] with an origin check, a subprotocol choice, the
/// connection's [`WebSocketConfig`] (permessage-deflate included: on by
/// default, negotiated with
/// [`server_handshake`]) and a
/// [`DeflateLimit`](crate::ws::extension::deflate::DeflateLimit) (see
/// [`AcceptOptions`]; its `max_head_size` does not apply, hyper has read
/// the head).
///
/// ```
/// use pushcodec::{integration::hyper::upgrade_with, ws::handshake::AcceptOptions};
/// let mut req = http::Request::get("/")
///     .header("host", "h")
///     .header("upgrade", "websocket")
///     .header("connection", "Upgrade")
///     .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
///     .header("sec-websocket-version", "13")
///     .header("origin", "https://evil.example")
///     .body(())
///     .unwrap();
/// let opts = AcceptOptions::builder().origin(|o| o == Some("https://good.example")).build();
/// let (resp, _ws) = upgrade_with(&mut req, &opts);
/// assert_eq!(resp.status(), 403);
/// ```
pub fn upgrade_with<B>(
    req: &mut Request<B>,
    opts: &AcceptOptions,
) -> (Response<String>, UpgradeFuture) {
    let refuse = |e: UpgradeError| {
        let resp = e.to_response();
        (
            resp,
            UpgradeFuture {
                state: State::Failed(Some(e)),
            },
        )
    };
    let (resp, negotiated) = match server_handshake(req, opts) {
        Ok(r) => r,
        Err(e) => return refuse(e.into()),
    };
    let Some(on_upgrade) = req.extensions_mut().remove::<OnUpgrade>() else {
        return refuse(UpgradeError::NotUpgradable);
    };
    let fut = UpgradeFuture {
        state: State::Pending {
            on_upgrade,
            config: Some((opts.config().clone(), negotiated)),
        },
    };
    (resp.map(|()| String::new()), fut)
}

/// The future of [`upgrade`]: resolves to the [`WebSocket`] when hyper hands
/// the connection over after the 101, or to the reason there is none.
///
/// ```
/// fn assert_send<T: Send + 'static>() {}
/// assert_send::<pushcodec::integration::hyper::UpgradeFuture>();
/// ```
#[must_use = "the connection is only handed over when this future is awaited"]
pub struct UpgradeFuture {
    state: State,
}

enum State {
    Pending {
        on_upgrade: OnUpgrade,
        config: Option<(WebSocketConfig, Negotiated)>,
    },
    Failed(Option<UpgradeError>),
}

impl std::fmt::Debug for UpgradeFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Pending { .. } => "pending",
            State::Failed(_) => "failed",
        };
        f.debug_struct("UpgradeFuture")
            .field("state", &state)
            .finish()
    }
}

impl Future for UpgradeFuture {
    type Output = Result<WebSocket, UpgradeError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &mut this.state {
            State::Failed(e) => Poll::Ready(Err(e.take().unwrap_or(UpgradeError::NotUpgradable))),
            State::Pending { on_upgrade, config } => {
                let upgraded = std::task::ready!(Pin::new(on_upgrade).poll(cx));
                let config = config.take().unwrap_or_default();
                this.state = State::Failed(None);
                Poll::Ready(match upgraded {
                    Ok(upgraded) => Ok(WebSocketStream::from_negotiated(
                        TokioIo::new(upgraded),
                        Role::Server,
                        config.0,
                        config.1,
                        bytes::BytesMut::new(),
                    )),
                    Err(e) => Err(UpgradeError::Upgrade(e)),
                })
            }
        }
    }
}
