//! Server-Sent Events (WHATWG HTML §9.2): a decoder exact to §9.2.6
//! "interpreting an event stream", an encoder that cannot emit a broken
//! stream, an HTTP body helper and client reconnect state.
//!
//! Layers, one module each (bytes → line → field → event):
//!
//! | module              | job                                                  |
//! |---------------------|------------------------------------------------------|
//! | `decoder/scan`      | where the CR/LF bytes are (64-byte SIMD blocks, memchr2) |
//! | `decoder/line`      | lines: CR / LF / CRLF across reads, BOM, resumed scan, line limit |
//! | `decoder/rules`     | every §9.2.6 rule on bytes, once: field dispatch, value, id, retry |
//! | `decoder` (mod.rs)  | [`SseDecoder`]: the §9.2.6 buffers, event size, dispatch |
//! | `event`             | value types: [`SseItem`], [`Event`], [`Outgoing`]     |
//! | `encoder`           | [`SseEncoder`]                                        |
//! | `body`              | [`body_stream`]: events → HTTP body chunks, keep-alives |
//! | `reconnect`         | [`ReconnectState`]: `Last-Event-ID` and retry delay   |
//! | `error`             | [`DecodeError`], [`EncodeError`]                      |
//!
//! ```
//! use bytes::BytesMut;
//! use pushcodec::sse::{Outgoing, OutgoingEvent, SseDecoder, SseEncoder, SseItem};
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! let mut wire = BytesMut::new();
//! SseEncoder::new().encode(OutgoingEvent::new("a\nb").event("token").id("1"), &mut wire).unwrap();
//! let Some(SseItem::Event(ev)) = SseDecoder::new().decode(&mut wire).unwrap() else { panic!() };
//! assert_eq!((&*ev.event_type, &*ev.data, &*ev.last_event_id), ("token", "a\nb", "1"));
//! ```

mod body;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;
mod decoder;
mod encoder;
mod error;
mod event;
mod reconnect;

pub use body::{body_stream, BodyStream};
pub use decoder::{
    SseDecoder, SseDecoderBuilder, DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_LENGTH, LINE_OVERHEAD,
};
pub use encoder::SseEncoder;
pub use error::{DecodeError, EncodeError};
pub use event::{Event, Outgoing, OutgoingEvent, SseItem};
pub use reconnect::{ReconnectState, LAST_EVENT_ID_HEADER};

/// The MIME type of an event stream (§9.2.5).
///
/// ```
/// assert_eq!(pushcodec::sse::CONTENT_TYPE, "text/event-stream");
/// ```
pub const CONTENT_TYPE: &str = "text/event-stream";

/// Response headers an SSE endpoint should send so that proxies pass events
/// through at once:
///
/// * `Content-Type: text/event-stream` — the event stream MIME type (§9.2.5);
///   `EventSource` fails the connection on anything else (§9.2.2).
/// * `Cache-Control: no-cache` — no cache may store or coalesce the stream.
/// * `X-Accel-Buffering: no` — nginx (and compatible proxies) must not buffer
///   the response (§9.2.7 warns that buffering delays dispatch).
///
/// Also avoid compressing the body in a buffering middleware.
///
/// ```
/// let ct = pushcodec::sse::RESPONSE_HEADERS.iter().find(|(k, _)| *k == "content-type");
/// assert_eq!(ct, Some(&("content-type", "text/event-stream")));
/// ```
pub const RESPONSE_HEADERS: [(&str, &str); 3] = [
    ("content-type", CONTENT_TYPE),
    ("cache-control", "no-cache"),
    ("x-accel-buffering", "no"),
];

/// A keep-alive comment (`: keep-alive`), to send every 15 seconds or so on
/// an idle stream so proxies do not drop it (§9.2.7); `EventSource` ignores
/// it (§9.2.6 "If the line starts with a U+003A COLON").
///
/// ```
/// use pushcodec::sse::{keep_alive, SseEncoder};
/// assert_eq!(&SseEncoder::encode_to_bytes(&keep_alive()).unwrap()[..], b": keep-alive\n");
/// ```
pub fn keep_alive() -> Outgoing {
    Outgoing::Comment(crate::Utf8Bytes::from_static("keep-alive"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The headers a proxy needs (§9.2.5 MIME type, §9.2.7 buffering).
    #[test]
    fn response_headers_are_what_proxies_need() {
        assert_eq!(
            RESPONSE_HEADERS,
            [
                ("content-type", "text/event-stream"),
                ("cache-control", "no-cache"),
                ("x-accel-buffering", "no"),
            ]
        );
        // Valid header names and values for the `http` crate (hyper/axum).
        for (name, value) in RESPONSE_HEADERS {
            http::HeaderName::from_static(name);
            http::HeaderValue::from_static(value);
        }
    }

    /// The keep-alive helper is a comment: `EventSource` dispatches nothing.
    #[test]
    fn keep_alive_is_a_comment_that_dispatches_nothing() {
        use tokio_util::codec::Decoder;
        let wire = SseEncoder::encode_to_bytes(&keep_alive()).unwrap();
        assert_eq!(wire[0], b':');
        let mut buf = bytes::BytesMut::from(&wire[..]);
        buf.extend_from_slice(b"\n");
        assert_eq!(SseDecoder::new().decode(&mut buf).unwrap(), None);
    }
}
