//! axum adapters (feature `axum`): the [`WebSocketUpgrade`] extractor and
//! the [`Sse`] response, shaped like axum's own `extract::ws` and
//! `response::sse`, running on pushcodec's codecs.
//!
//! A WebSocket echo endpoint:
//!
//! ```
//! use axum::{routing::get, Router};
//! use futures_util::{SinkExt, StreamExt};
//! use pushcodec::integration::axum::WebSocketUpgrade;
//!
//! async fn ws(upgrade: WebSocketUpgrade) -> axum::response::Response {
//!     upgrade.on_upgrade(|mut ws| async move {
//!         while let Some(Ok(msg)) = ws.next().await {
//!             if !msg.is_control() && ws.send(msg).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//! let app: Router = Router::new().route("/ws", get(ws));
//! ```
//!
//! An SSE endpoint; each event is checked when it is built, so a bad one is
//! an error in the handler (here a 500), never a stream that breaks halfway:
//!
//! ```
//! use axum::{routing::get, Router};
//! use futures_util::{stream, Stream};
//! use pushcodec::integration::axum::{Event, Sse};
//! use pushcodec::sse::{EncodeError, OutgoingEvent};
//!
//! async fn events() -> Result<Sse<impl Stream<Item = Event>>, EncodeError> {
//!     let tokens = ["Hel", "lo"].iter().enumerate().map(|(i, text)| {
//!         Event::new(OutgoingEvent::new(*text).event("token").id(i.to_string()))
//!     });
//!     let events = tokens.collect::<Result<Vec<_>, _>>()?;
//!     Ok(Sse::new(stream::iter(events)))
//! }
//! let app: Router = Router::new().route("/events", get(events));
//! ```

//!
//! | file | what |
//! |---|---|
//! | `ws.rs` | [`WebSocketUpgrade`], [`OnFailedUpgrade`] |
//! | `sse.rs` | [`Sse`], [`Event`], [`SseStreamItem`] |

mod sse;
mod ws;

pub use sse::{Event, Sse, SseStreamItem, DEFAULT_KEEP_ALIVE};
pub use ws::{DefaultOnFailedUpgrade, OnFailedUpgrade, WebSocketUpgrade};
