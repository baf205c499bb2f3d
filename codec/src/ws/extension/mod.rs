//! WebSocket extensions (RFC 6455 §9): the `Sec-WebSocket-Extensions`
//! header and permessage-deflate (RFC 7692).
//!
//! | module | job |
//! | --- | --- |
//! | [`header`] | the §9.1 grammar, parsed with nom: several offers, parameters with and without values, quoted values, fallbacks |
//! | [`deflate`] | permessage-deflate: [`DeflateConfig`], negotiation per role, [`Deflater`](deflate::Deflater) and [`Inflater`](deflate::Inflater) |
//! | `error` | [`ExtensionError`] (handshake time) and [`DeflateError`] (per message), each with its close code |
//!
//! This layer works on header values, `http::HeaderMap`s and payload
//! bytes; it knows nothing of frames or connections. What a connection
//! does with it (RFC 7692 §6):
//!
//! * **handshake**: a client sends [`deflate::client_offer`] and checks
//!   the 101 with [`deflate::client_validate`]; a server answers with
//!   [`deflate::server_negotiate`] and puts
//!   [`DeflateParams::to_header_value`](deflate::DeflateParams::to_header_value)
//!   in its 101 (a [`ExtensionError::Header`] is a 400). Both get the same
//!   [`DeflateParams`](deflate::DeflateParams).
//! * **reading**: frames are decoded with RSV1 allowed; RSV1 on a
//!   continuation or control frame is a protocol error (1002); a message
//!   whose first frame has RSV1 is compressed: each fragment's payload (or
//!   each part of it, as it arrives) goes to
//!   [`Inflater::inflate_with`](deflate::Inflater::inflate_with), whose
//!   callback validates text as UTF-8 on the inflated bytes; FIN calls
//!   [`Inflater::finish_message_with`](deflate::Inflater::finish_message_with).
//!   The size limit is the inflater's `max_message_size`.
//! * **writing**: a data message goes through
//!   [`Deflater::compress`](deflate::Deflater::compress) (or
//!   [`compress_fragment`](deflate::Deflater::compress_fragment) for a
//!   streamed one); on [`Compressed::Yes`](deflate::Compressed::Yes) the
//!   frames carry the output and the first has RSV1. Control frames are
//!   never compressed. Each message is flushed whole, so compression never
//!   holds a message back.
//!
//! ```
//! use pushcodec::ws::extension::{deflate, DeflateConfig};
//! let offer = deflate::client_offer(&DeflateConfig::default()).unwrap();
//! assert_eq!(offer, "permessage-deflate; client_max_window_bits");
//! ```

pub mod deflate;
mod error;
pub mod header;

pub use deflate::DeflateConfig;
pub use error::{DeflateError, ExtensionError};
