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
//! bytes; it knows nothing of frames or connections. The connection layer
//! offers or accepts at handshake time, sets RSV1 on the first frame of a
//! compressed message, and runs the engine on data messages.
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
