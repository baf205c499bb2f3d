//! WebSocket (RFC 6455).
//!
//! Layers, each in its own module, bytes flowing up:
//!
//! | layer | type | job |
//! | --- | --- | --- |
//! | masking | [`mask`] | XOR payloads with the 4-byte key (§5.3), fast u64 path |
//! | frame | [`FrameHeader`], [`Frame`] | parse/encode the 2–14-byte header (§5.2) |
//! | frame codec | [`FrameCodec`] | `Decoder`/`Encoder` of single frames for a [`Role`]; header rules, limits, in-place unmask, zero-copy payloads |
//! | message codec | [`MessageCodec`] | fragments → [`Message`]s, incremental UTF-8 ([`utf8`]), close frames ([`CloseFrame`], [`CloseCode`]) |
//! | connection | [`WebSocketStream`] | `Stream + Sink` over any `AsyncRead + AsyncWrite`: auto-pong, closing handshake, close codes on errors, backpressure, split |
//! | handshake | [`handshake`] | HTTP/1.1 upgrade (§4) for servers and clients, and `http` types for hyper/axum users |
//!
//! Every rule enforced cites its RFC 6455 section in its doc comment.
//! Errors are [`Error`]; [`Error::close_code`] maps a protocol error to the
//! close code sent to the peer.
//!
//! ## Where `nom` is used
//! `httparse` parses HTTP heads. `nom` tokenizes comma-separated header
//! values (the `Connection` token list and the `Sec-WebSocket-Protocol`
//! list, RFC 7230 §7 `#rule`) in [`handshake`]: once per connection, never
//! on the frame path, so it cannot cost the codec anything; the frame header
//! is parsed by hand (a fixed 2–14-byte layout needs no combinators).

pub mod close;
pub mod config;
pub mod error;
pub mod frame;
pub mod frame_codec;
pub mod mask;
pub mod message;
pub mod message_codec;
pub mod utf8;

pub use close::{CloseCode, CloseFrame};
pub use config::WebSocketConfig;
pub use error::Error;
pub use frame::{Frame, FrameHeader, OpCode};
pub use frame_codec::{FrameCodec, Role};
pub use message::{Fragments, Message};
pub use message_codec::MessageCodec;
pub mod stream;
pub use stream::{WebSocketReader, WebSocketStream, WebSocketWriter};
pub mod handshake;
