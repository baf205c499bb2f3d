//! Reading and parsing an HTTP/1.1 head: the terminator found by a
//! resumed scan ([`HeadScanner`]), size and header-count limits, `httparse`
//! once at the end.

use bytes::BytesMut;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{HandshakeError, MAX_HEADERS};

/// Finds the end of an HTTP head (`\r\n\r\n`) in a growing buffer, resuming
/// each scan where the last one stopped: over a whole head, each byte is
/// examined a bounded number of times, however the head is split into reads.
///
/// ```
/// use pushcodec::ws::handshake::HeadScanner;
/// let mut s = HeadScanner::default();
/// assert_eq!(s.find(b"GET / HTTP/1.1\r\n"), None);
/// assert_eq!(s.find(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
/// ```
#[derive(Debug, Default, Clone)]
pub struct HeadScanner {
    scanned: usize,
    /// Bytes examined in total, for the linear-time test (not public: a
    /// test hook, issue 13).
    #[cfg(any(test, fuzzing))]
    examined: usize,
}

impl HeadScanner {
    /// `buf` is the whole buffer so far (a prefix of it was seen before).
    /// Returns the head's length including the terminator, once present.
    ///
    /// ```
    /// let mut s = pushcodec::ws::handshake::HeadScanner::default();
    /// let mut buf = b"GET / HTTP/1.1\r\nHost: a\r".to_vec();
    /// assert_eq!(s.find(&buf), None); // not yet: resumes here next time
    /// buf.extend_from_slice(b"\n\r\nfirst frame bytes");
    /// assert_eq!(s.find(&buf), Some(27)); // the head, CRLFCRLF included
    /// ```
    pub fn find(&mut self, buf: &[u8]) -> Option<usize> {
        // The terminator may straddle the previous end: back up 3 bytes.
        let from = self.scanned.saturating_sub(3).min(buf.len());
        #[cfg(any(test, fuzzing))]
        {
            self.examined += buf.len() - from;
        }
        let found = memchr::memmem::find(&buf[from..], b"\r\n\r\n").map(|i| from + i + 4);
        self.scanned = buf.len();
        found
    }

    /// Total bytes examined so far: a test hook for the linearity checks
    /// (the unit test and the `ws_handshake` fuzz target, which cargo-fuzz
    /// builds with `--cfg fuzzing`); not part of the public API.
    #[cfg(any(test, fuzzing))]
    #[doc(hidden)]
    pub fn examined(&self) -> usize {
        self.examined
    }
}

/// Reads until a complete head (ending in `\r\n\r\n`) is buffered; returns
/// its length. Bytes after the head stay in `buf`.
pub(super) async fn read_head<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
    max: usize,
) -> Result<usize, HandshakeError> {
    let mut scanner = HeadScanner::default();
    loop {
        if let Some(n) = scanner.find(buf) {
            if n > max {
                return Err(HandshakeError::HeadTooLarge { limit: max });
            }
            return Ok(n);
        }
        if buf.len() >= max {
            return Err(HandshakeError::HeadTooLarge { limit: max });
        }
        buf.reserve(4096.min(max + 4 - buf.len()).max(1));
        if io.read_buf(buf).await? == 0 {
            return Err(HandshakeError::Eof {
                received: buf.len(),
            });
        }
    }
}

fn httparse_err(e: httparse::Error) -> HandshakeError {
    match e {
        httparse::Error::TooManyHeaders => HandshakeError::TooManyHeaders { limit: MAX_HEADERS },
        e => HandshakeError::Malformed(e.to_string()),
    }
}

fn copy_headers(dst: &mut HeaderMap, src: &[httparse::Header<'_>]) -> Result<(), HandshakeError> {
    for h in src {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|e| HandshakeError::Malformed(format!("header name {:?}: {e}", h.name)))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|e| HandshakeError::Malformed(format!("header {:?}: {e}", h.name)))?;
        dst.append(name, value);
    }
    Ok(())
}

/// Parses a complete request head (as found by [`HeadScanner`]) into an
/// `http::Request<()>`.
///
/// ```
/// let req = pushcodec::ws::handshake::parse_request_head(
///     b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
/// assert_eq!(req.uri().path(), "/x");
/// assert_eq!(req.headers()["host"], "a");
/// ```
pub fn parse_request_head(head: &[u8]) -> Result<Request<()>, HandshakeError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head).map_err(httparse_err)? {
        httparse::Status::Complete(_) => {}
        httparse::Status::Partial => {
            return Err(HandshakeError::Malformed("incomplete request head".into()))
        }
    }
    let mut out = Request::new(());
    *out.method_mut() = Method::from_bytes(req.method.unwrap_or("").as_bytes())
        .map_err(|e| HandshakeError::Malformed(e.to_string()))?;
    *out.uri_mut() = req
        .path
        .unwrap_or("/")
        .parse()
        .map_err(|e: http::uri::InvalidUri| HandshakeError::Malformed(e.to_string()))?;
    *out.version_mut() = if req.version == Some(1) {
        Version::HTTP_11
    } else {
        Version::HTTP_10
    };
    copy_headers(out.headers_mut(), req.headers)?;
    Ok(out)
}

/// Parses a complete response head into an `http::Response<()>`.
///
/// ```
/// let r = pushcodec::ws::handshake::parse_response_head(
///     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n").unwrap();
/// assert_eq!(r.status(), 101);
/// ```
pub fn parse_response_head(head: &[u8]) -> Result<Response<()>, HandshakeError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(head).map_err(httparse_err)? {
        httparse::Status::Complete(_) => {}
        httparse::Status::Partial => {
            return Err(HandshakeError::Malformed("incomplete response head".into()))
        }
    }
    let mut out = Response::new(());
    *out.status_mut() = StatusCode::from_u16(resp.code.unwrap_or(0))
        .map_err(|e| HandshakeError::Malformed(e.to_string()))?;
    copy_headers(out.headers_mut(), resp.headers)?;
    Ok(out)
}

pub(super) fn write_headers(out: &mut Vec<u8>, headers: &HeaderMap) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

pub(super) fn response_bytes<B: AsRef<[u8]>>(resp: &Response<B>) -> Vec<u8> {
    let status = resp.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    let body = resp.body().as_ref();
    let mut headers = resp.headers().clone();
    if status != StatusCode::SWITCHING_PROTOCOLS {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    write_headers(&mut out, &headers);
    out.extend_from_slice(body);
    out
}
