//! WebSocket (RFC 6455).
//!
//! Layers, each in its own module, bytes flowing up:
//!
//! | layer | type | job |
//! | --- | --- | --- |
//! | masking | [`mask`] | XOR payloads with the 4-byte key (§5.3): scalar for short payloads, 64-byte vector blocks (AVX2 detected at run time) for long ones |
//! | frame | [`FrameHeader`], [`Frame`] | parse/encode the 2–14-byte header (§5.2) |
//! | frame codec | [`FrameCodec`] | `Decoder`/`Encoder` of single frames for a [`Role`]; header rules, limits, in-place unmask, zero-copy payloads |
//! | message codec | [`MessageCodec`] | fragments → [`Message`]s, incremental UTF-8 ([`utf8`]), close frames ([`CloseFrame`], [`CloseCode`]) |
//! | connection | [`WebSocketStream`] | `Stream + Sink` over any `AsyncRead + AsyncWrite`: auto-pong, closing handshake, close codes on errors, backpressure, split |
//! | handshake | [`handshake`] | HTTP/1.1 upgrade (§4) for servers and clients, and `http` types for hyper/axum users |
//!
//! Every rule enforced cites its RFC 6455 section in its doc comment.
//! Errors are nested by layer ([`error`]): the peer's [`ProtocolError`]s
//! (each with its close code, [`ProtocolError::close_code`]), our own
//! refused [`MessageError`]s, an [`EofReason`] for a transport that ended
//! early, the codecs' [`CodecError`], and the connection's [`Error`]
//! (timeouts, misuse); [`Error::close_code`] is the one mapping to the
//! close code sent to the peer.
//!
//! ```
//! use bytes::BytesMut;
//! use pushcodec::ws::{CloseCode, Message, MessageCodec, Role};
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! // A client's message through the message layer (frames, masking) to a server:
//! let mut wire = BytesMut::new();
//! MessageCodec::new(Role::Client).encode(Message::text("hi"), &mut wire).unwrap();
//! let mut server = MessageCodec::new(Role::Server);
//! assert_eq!(server.decode(&mut wire).unwrap(), Some(Message::text("hi")));
//!
//! // A peer's protocol error carries the close code the connection sends:
//! let mut unmasked = BytesMut::from(&[0x81, 0x02, b'h', b'i'][..]); // a client must mask
//! let err = MessageCodec::new(Role::Server).decode(&mut unmasked).unwrap_err();
//! assert_eq!(err.close_code(), Some(CloseCode::PROTOCOL_ERROR));
//! ```
//!
//! ## Where `nom` is used, and why
//! `httparse` parses HTTP heads. `nom` tokenizes comma-separated header
//! values (`Connection`, `Upgrade` and `Sec-WebSocket-Protocol` lists, RFC
//! 7230 §7 `#rule`) in [`handshake::token_list`]: once per connection, never
//! on the frame path. `cargo bench -p pushcodec --bench ws` compares it with
//! a hand-written split: on par or faster (e.g. 33 vs 29 ns for `Upgrade`,
//! 64 vs 72 ns for `keep-alive, Upgrade`, 126 vs 222 ns for a 5-protocol
//! list, on the 2-core dev machine), and it states the grammar directly.
//! The frame header is parsed by hand: a fixed 2–14-byte layout needs no
//! combinators, and it is the hot path.
//!
//! ## Figures
//! Throughput, allocations per message and heap bytes per connection are
//! measured in `BENCHMARKS.md` (`codec/benches/`, `codec/tests/ws_alloc.rs`,
//! `codec/tests/ws_heap.rs`).

pub mod close;
pub mod config;
pub mod error;
pub mod extension;
pub mod frame;
pub mod frame_codec;
pub mod mask;
pub mod message;
pub mod message_codec;
pub mod utf8;

pub use close::{CloseCode, CloseFrame};
pub use config::{WebSocketConfig, WebSocketConfigBuilder};
pub use error::{CodecError, EofReason, Error, MessageError, ProtocolError};
pub use frame::{Frame, FrameHeader, OpCode};
pub use frame_codec::{FrameCodec, Role};
pub use message::{Fragments, Message};
pub use message_codec::MessageCodec;
pub mod stream;
pub use stream::{WebSocketReader, WebSocketStream, WebSocketWriter};
pub mod handshake;
