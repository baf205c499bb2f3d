//! An `EventSource` client (feature `client`): reads an HTTP event stream
//! and yields what a browser's `EventSource` dispatches, reconnecting as it
//! does (HTML §9.2.2 "The EventSource interface", §9.2.3 "Processing
//! model"), over hyper 1 + hyper-util, with HTTPS through rustls (ring
//! provider; webpki roots by default, see [`Client`]).
//!
//! | file | job |
//! |---|---|
//! | `event_source.rs` | [`EventSource`]: the connection phases, the body through [`SseDecoder`](crate::sse::SseDecoder), timeouts |
//! | `builder.rs` | [`EventSourceBuilder`]: request, reconnect, timeout and decoder settings |
//! | `reconnect.rs` | when and after how long to reconnect, the retry limit, `Last-Event-ID` |
//! | `redirect.rs` | following redirects as `fetch` does |
//! | `transport.rs` | [`Client`]: hyper-util's pooled HTTP/1.1 client, rustls, trusted roots |
//! | `error.rs` | [`BuildError`], [`TransportError`], [`Error`] |
//!
//! Reading an LLM API's stream (a POST, not reconnected: that would run the
//! generation again):
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use pushcodec::sse::{client::EventSource, SseItem};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let body = r#"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
//! let mut chunks = EventSource::builder("https://api.openai.com/v1/chat/completions")
//!     .method(http::Method::POST)
//!     .bearer_auth(&std::env::var("OPENAI_API_KEY")?)
//!     .header("content-type", "application/json")
//!     .body(body)
//!     .build()?;
//! while let Some(item) = chunks.next().await {
//!     match item? {
//!         SseItem::Event(ev) if &*ev.data == "[DONE]" => break,
//!         SseItem::Event(ev) => println!("{}", ev.data),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```

mod builder;
mod error;
mod event_source;
mod reconnect;
mod redirect;
mod transport;

pub use builder::EventSourceBuilder;
pub use error::{BuildError, Error, TransportError};
pub use event_source::{EventSource, ReadyState, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT};
pub use redirect::MAX_REDIRECTS;
pub use transport::{Client, ClientBuilder};

/// At most this many bytes of a non-200 response body are read into
/// [`Error::Status`]: 4 KiB.
///
/// ```
/// use pushcodec::sse::client::{Error, MAX_ERROR_BODY};
/// // What an `Error::Status` can hold of a 4xx/5xx body, e.g. an API's JSON error:
/// fn reason(e: &Error) -> Option<&str> {
///     match e {
///         Error::Status { body, .. } => {
///             assert!(body.len() <= MAX_ERROR_BODY);
///             Some(body)
///         }
///         _ => None,
///     }
/// }
/// # let _ = reason;
/// ```
pub const MAX_ERROR_BODY: usize = 4 << 10;

/// The rustls version this module's [`ClientBuilder`] takes types of
/// (`RootCertStore`, `ClientConfig`), re-exported so they match.
pub use rustls;
