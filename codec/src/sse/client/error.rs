//! Errors of the EventSource client, one type per layer:
//! [`BuildError`] (the request cannot be built), [`TransportError`] (the
//! network: a reconnect fixes it) and [`Error`] (what ends a stream).

use crate::sse::DecodeError;
use http::StatusCode;
use std::time::Duration;

/// A request or client that cannot be built: bad URL, bad header, TLS set-up.
///
/// ```
/// use pushcodec::sse::client::{BuildError, EventSource};
/// let err = EventSource::builder("ftp://example.com/").build().unwrap_err();
/// assert!(matches!(err, BuildError::Url { .. }));
/// assert!(err.to_string().contains("http:// or https://"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The URL does not parse, is not `http://` / `https://`, or has no host.
    #[error("bad event stream URL {url:?}: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A header name or value is not valid HTTP.
    #[error("bad request header {name:?}: {reason}")]
    Header {
        /// The header name as given (lossy).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS configuration could not be built with the ring provider.
    #[error("TLS configuration: {0}")]
    Tls(#[source] rustls::Error),
}

/// A network failure of one connection attempt. The stream reconnects
/// after it when reconnecting is on (HTML §9.2.3 "reestablish the
/// connection"); otherwise it ends the stream as [`Error::Transport`].
///
/// ```
/// use pushcodec::sse::client::TransportError;
/// use std::time::Duration;
/// let e = TransportError::ReadTimeout { after: Duration::from_secs(30) };
/// assert_eq!(e.to_string(), "no data from the server for 30s (read_timeout)");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The request failed before a response head arrived: DNS, TCP, TLS,
    /// writing the request or reading the head.
    #[error("request failed: {}", chain(.0))]
    Request(#[source] hyper_util::client::legacy::Error),
    /// No response head within `connect_timeout`.
    #[error("no response within {after:?} (connect_timeout)")]
    ConnectTimeout {
        /// The timeout.
        after: Duration,
    },
    /// No body bytes for `read_timeout`.
    #[error("no data from the server for {after:?} (read_timeout)")]
    ReadTimeout {
        /// The timeout.
        after: Duration,
    },
    /// Reading the response body failed (connection reset, bad chunking).
    #[error("reading the event stream failed: {}", chain(.0))]
    Body(#[source] hyper::Error),
    /// The server ended the response. A clean end of a stream, but for an
    /// `EventSource` a lost connection all the same (HTML §9.2.2 step 14:
    /// "reestablish the connection").
    #[error("the server closed the event stream")]
    Closed,
}

/// Why an [`EventSource`](super::EventSource) stream ended with an error.
/// After it, the stream yields `None`.
///
/// [`is_fatal`](Self::is_fatal) tells "the server or the network said no
/// for good" (HTML §9.2.3 "fail the connection": status, content type,
/// TLS, limits) from "the connection was lost and no more reconnects are
/// allowed" ([`Transport`](Self::Transport) with reconnecting off,
/// [`RetryLimit`](Self::RetryLimit)).
///
/// ```
/// use pushcodec::sse::client::{Error, TransportError};
/// let e = Error::RetryLimit { retries: 3, last: TransportError::Closed };
/// assert!(!e.is_fatal());
/// assert!(e.to_string().contains("3 reconnects"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered a status other than 200 (or 204, which ends the
    /// stream without error). `body` holds the start of the response body
    /// (at most [`MAX_ERROR_BODY`](super::MAX_ERROR_BODY) bytes, lossy
    /// UTF-8), where APIs put the reason.
    #[error("server answered {status} instead of 200 OK{}", snippet(.body))]
    Status {
        /// The status.
        status: StatusCode,
        /// The start of the response body.
        body: String,
    },
    /// A redirect that cannot be followed: no or a bad `Location`, or more
    /// than [`MAX_REDIRECTS`](super::MAX_REDIRECTS) in one attempt.
    #[error(
        "cannot follow the {status} redirect{}: {reason}",
        .location.as_deref().map_or(String::new(), |l| format!(" to {l:?}"))
    )]
    Redirect {
        /// The redirect status.
        status: StatusCode,
        /// The `Location` received (lossy), if any.
        location: Option<String>,
        /// What is wrong.
        reason: &'static str,
    },
    /// A 200 whose `Content-Type` is not `text/event-stream` (HTML §9.2.2).
    #[error(
        "server answered Content-Type {} instead of text/event-stream",
        .content_type.as_deref().map_or("(none)".to_string(), |c| format!("{c:?}"))
    )]
    ContentType {
        /// The `Content-Type` received (lossy), if any.
        content_type: Option<String>,
    },
    /// The TLS handshake failed (an untrusted or invalid certificate, no
    /// common protocol): retrying cannot fix it, so the connection fails
    /// (HTML §9.2.2 "unless the user agent knows that to be futile").
    #[error("TLS handshake failed: {0}")]
    Tls(#[source] rustls::Error),
    /// The event stream broke a decoder limit (`max_line_length`,
    /// `max_event_size`).
    #[error("bad event stream: {0}")]
    Decode(#[from] DecodeError),
    /// The connection was lost and reconnecting is off (the default for a
    /// request with a body, e.g. a POST).
    #[error("connection lost, not reconnecting: {0}")]
    Transport(#[source] TransportError),
    /// `max_retries` reconnects in a row delivered no event.
    #[error("gave up after {retries} reconnects in a row with no event; last: {last}")]
    RetryLimit {
        /// Reconnects tried since the last event.
        retries: u32,
        /// How the last attempt failed.
        #[source]
        last: TransportError,
    },
}

impl Error {
    /// Whether the server or the TLS layer refused the stream (or it broke
    /// a limit), rather than the connection being lost with no reconnect
    /// left ([`Transport`](Self::Transport), [`RetryLimit`](Self::RetryLimit)).
    ///
    /// ```
    /// use pushcodec::sse::client::Error;
    /// let e = Error::ContentType { content_type: Some("text/html".into()) };
    /// assert!(e.is_fatal());
    /// ```
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Error::Transport(_) | Error::RetryLimit { .. })
    }
}

fn snippet(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

/// An error and its sources, `: `-separated (hyper-util's errors say only
/// "client error (Connect)" at the top).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The rustls error behind a request failure, if the TLS layer failed:
/// tokio-rustls reports it as an `io::Error` wrapping the `rustls::Error`,
/// which hyper-rustls wraps in another `io::Error` (`io::Error::source`
/// skips the wrapped error itself, so it is looked into with `get_ref`).
pub(super) fn tls_error(e: &(dyn std::error::Error + 'static)) -> Option<rustls::Error> {
    if let Some(tls) = e.downcast_ref::<rustls::Error>() {
        return Some(tls.clone());
    }
    if let Some(inner) = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        if let Some(tls) = tls_error(inner) {
            return Some(tls);
        }
    }
    e.source().and_then(tls_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_errors_are_found_inside_io_errors() {
        let inner = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, inner.clone());
        assert_eq!(tls_error(&io), Some(inner.clone()));
        // hyper-rustls wraps tokio-rustls's io::Error in another one.
        assert_eq!(tls_error(&std::io::Error::other(io)), Some(inner));
        assert_eq!(tls_error(&std::io::Error::other("reset")), None);
    }

    #[test]
    fn messages_say_what_and_where() {
        let e = Error::Status {
            status: StatusCode::UNAUTHORIZED,
            body: "{\"error\":\"bad key\"}\n".into(),
        };
        assert_eq!(
            e.to_string(),
            "server answered 401 Unauthorized instead of 200 OK: {\"error\":\"bad key\"}"
        );
        let e = Error::ContentType { content_type: None };
        assert!(e.to_string().contains("(none)"));
        assert!(Error::Transport(TransportError::Closed)
            .to_string()
            .contains("not reconnecting"));
    }
}
