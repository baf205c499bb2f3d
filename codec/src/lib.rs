//! # pushcodec
//!
//! Zero-copy [`tokio_util::codec`] codecs for the two server-push protocols of
//! the web:
//!
//! * [`ws`] — WebSocket (RFC 6455): frames, messages, the opening handshake and
//!   a `Stream + Sink` connection type.
//! * [`sse`] — Server-Sent Events (WHATWG HTML §9.2 "Server-sent events"): a
//!   decoder exact to the "interpreting an event stream" algorithm and an
//!   encoder that cannot emit a broken stream.
//!
//! Payloads are handed out as [`bytes::Bytes`] slices of the read buffer: no
//! copy and no allocation per frame or per event. (SSE values of at most 38
//! bytes are copied inline instead, see [`Utf8Bytes`]: cheaper than sharing
//! at that size.)
//!
//! ```
//! use futures_util::{SinkExt, StreamExt};
//! use pushcodec::sse::{Outgoing, OutgoingEvent, SseDecoder, SseEncoder, SseItem};
//! use pushcodec::ws::{handshake, Message};
//! use tokio_util::codec::{FramedRead, FramedWrite};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // SSE: events out through the encoder, back in through the decoder.
//! let (tx, rx) = tokio::io::duplex(1024);
//! let mut out = FramedWrite::new(tx, SseEncoder::new());
//! out.send(Outgoing::from(OutgoingEvent::new("token 1").event("token"))).await?;
//! drop(out);
//! let mut items = FramedRead::new(rx, SseDecoder::new());
//! let Some(SseItem::Event(ev)) = items.next().await.transpose()? else { panic!() };
//! assert_eq!((&*ev.event_type, &*ev.data), ("token", "token 1"));
//!
//! // WebSocket: a server and a client over any AsyncRead + AsyncWrite.
//! let (a, b) = tokio::io::duplex(4096);
//! let server = tokio::spawn(async move {
//!     let mut ws = handshake::accept(a).await.unwrap();
//!     let msg = ws.next().await.unwrap().unwrap();
//!     ws.send(msg).await.unwrap(); // echo
//!     while let Some(Ok(_)) = ws.next().await {} // until the closing handshake is done
//! });
//! let mut ws = handshake::connect(b, "ws://localhost/").await?;
//! ws.send(Message::text("hello")).await?;
//! assert_eq!(ws.next().await.unwrap()?.as_text(), Some("hello"));
//! ws.close().await?;
//! server.await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Features (all off by default)
//!
//! | feature | adds |
//! |---|---|
//! | `hyper` | `integration::hyper::upgrade`: WebSocket upgrade in a hyper 1 service |
//! | `axum` | `integration::axum`: `WebSocketUpgrade` extractor and `Sse` response (implies `hyper`) |
//! | `client` | `sse::client`: an `EventSource` client over hyper 1 + rustls, HTTPS included |
//! | `arbitrary` | `arbitrary::Arbitrary` for the value types (fuzzing) |
// `unsafe` is denied everywhere but in the modules listed in the crate
// README's "Safety" table (each opts out with `#![allow(unsafe_code)]` and
// has its `// SAFETY:` arguments and Miri tests).
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "hyper")]
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
pub mod integration;
pub mod sse;
mod utf8_bytes;
pub mod ws;

pub use utf8_bytes::{NotUtf8, Utf8Bytes};

/// The crate README's code blocks (`codec/README.md`, the package's README),
/// compiled and run as doctests; the feature-gated quick starts compile only
/// with their feature (`--all-features` in CI).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
