//! [`EventSourceBuilder`]: the settings of an [`EventSource`], checked by
//! [`build`](EventSourceBuilder::build).

use super::error::BuildError;
use super::event_source::{
    EventSource, RequestTemplate, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT,
};
use super::reconnect::Reconnect;
use super::transport::Client;
use crate::sse::{ReconnectState, SseDecoder, SseDecoderBuilder, LAST_EVENT_ID_HEADER};
use crate::Utf8Bytes;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Uri};
use std::time::Duration;

/// Builder of an [`EventSource`]; every setting has a default, listed with
/// its setter.
///
/// ```
/// use http::Method;
/// let es = pushcodec::sse::client::EventSource::builder("https://api.example/v1/chat/completions")
///     .method(Method::POST)
///     .header("content-type", "application/json")
///     .bearer_auth("sk-…")
///     .body(r#"{"stream":true}"#)
///     .build()
///     .unwrap();
/// # drop(es);
/// ```
#[must_use]
pub struct EventSourceBuilder {
    url: String,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
    reconnect: Option<bool>,
    max_retries: Option<u32>,
    retry: Duration,
    min_delay: Duration,
    max_delay: Duration,
    connect_timeout: Duration,
    read_timeout: Option<Duration>,
    last_event_id: Utf8Bytes,
    decoder: SseDecoderBuilder,
    client: Option<Client>,
    /// The first bad setting, reported by `build`.
    error: Option<BuildError>,
}

impl std::fmt::Debug for EventSourceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSourceBuilder")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("reconnect", &self.reconnect)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

impl EventSourceBuilder {
    pub(super) fn new(url: &str) -> Self {
        EventSourceBuilder {
            url: url.to_owned(),
            method: Method::GET,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            reconnect: None,
            max_retries: None,
            retry: ReconnectState::DEFAULT_RETRY,
            min_delay: ReconnectState::DEFAULT_MIN_DELAY,
            max_delay: ReconnectState::DEFAULT_MAX_DELAY,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            last_event_id: Utf8Bytes::default(),
            decoder: SseDecoder::builder(),
            client: None,
            error: None,
        }
    }

    /// The request method (default GET). Other methods are not reconnected
    /// unless [`reconnect(true)`](Self::reconnect).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").method(http::Method::POST);
    /// # drop(b);
    /// ```
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The request body (default empty), sent with every attempt.
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").body("{}");
    /// # drop(b);
    /// ```
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Adds a request header (several with one name are all sent). The
    /// defaults `Accept: text/event-stream` and `Cache-Control: no-cache`
    /// are sent unless set here; `Last-Event-ID` is the stream's own.
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").header("x-api-key", "k");
    /// # drop(b);
    /// ```
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: std::fmt::Display,
        V: TryInto<HeaderValue>,
        V::Error: std::fmt::Display,
    {
        match (name.try_into(), value.try_into()) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            (Err(e), _) => self.bad_header("(invalid name)", e.to_string()),
            (Ok(name), Err(e)) => self.bad_header(name.as_str(), e.to_string()),
        }
        self
    }

    /// `Authorization: Bearer <token>`, marked sensitive (not shown by
    /// `Debug` of the request headers).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").bearer_auth("sk-test");
    /// # drop(b);
    /// ```
    pub fn bearer_auth(mut self, token: &str) -> Self {
        match HeaderValue::from_str(&format!("Bearer {token}")) {
            Ok(mut value) => {
                value.set_sensitive(true);
                self.headers.insert(header::AUTHORIZATION, value);
            }
            Err(e) => self.bad_header("authorization", e.to_string()),
        }
        self
    }

    fn bad_header(&mut self, name: &str, reason: String) {
        self.error.get_or_insert(BuildError::Header {
            name: name.to_owned(),
            reason,
        });
    }

    /// Whether a lost connection is reconnected (default: yes for GET, no
    /// for other methods, whose requests should not run twice).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").reconnect(false);
    /// # drop(b);
    /// ```
    pub fn reconnect(mut self, on: bool) -> Self {
        self.reconnect = Some(on);
        self
    }

    /// At most this many reconnects in a row that bring no event, then
    /// [`Error::RetryLimit`](super::Error::RetryLimit) (default: no limit, as a browser).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").max_retries(10);
    /// # drop(b);
    /// ```
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }

    /// The reconnection time until the server sends `retry` (default 3 s).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").retry(std::time::Duration::from_secs(1));
    /// # drop(b);
    /// ```
    pub fn retry(mut self, delay: Duration) -> Self {
        self.retry = delay;
        self
    }

    /// The shortest wait before a reconnect, whatever `retry` says (default
    /// 500 ms, so `retry: 0` cannot make a tight loop).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").min_delay(std::time::Duration::from_millis(100));
    /// # drop(b);
    /// ```
    pub fn min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// The cap of the exponential backoff (default 60 s; a server `retry`
    /// above it is still honoured).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").max_delay(std::time::Duration::from_secs(10));
    /// # drop(b);
    /// ```
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Longest wait for the response head of an attempt: DNS, TCP, TLS,
    /// sending the request (default [`DEFAULT_CONNECT_TIMEOUT`], 10 s).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").connect_timeout(std::time::Duration::from_secs(3));
    /// # drop(b);
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest silence on an open stream before it counts as lost (default
    /// [`DEFAULT_READ_TIMEOUT`], 5 min; `None`: wait forever). Keep-alive
    /// comments count as data.
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").read_timeout(None);
    /// # drop(b);
    /// ```
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The last event ID to start from: sent as `Last-Event-ID` on the first
    /// request too, to resume a stream seen before (default empty: none).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").last_event_id("41");
    /// # drop(b);
    /// ```
    pub fn last_event_id(mut self, id: impl Into<Utf8Bytes>) -> Self {
        self.last_event_id = id.into();
        self
    }

    /// The decoder's longest line (default: the event limit plus the
    /// `event: ` prefix, see [`SseDecoderBuilder::max_line_length`]).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").max_line_length(64 << 10);
    /// # drop(b);
    /// ```
    pub fn max_line_length(mut self, max: usize) -> Self {
        self.decoder = self.decoder.max_line_length(max);
        self
    }

    /// The decoder's largest event (default 32 MiB, see
    /// [`SseDecoderBuilder::max_event_size`]).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").max_event_size(1 << 20);
    /// # drop(b);
    /// ```
    pub fn max_event_size(mut self, max: usize) -> Self {
        self.decoder = self.decoder.max_event_size(max);
        self
    }

    /// Whether comments are yielded as [`SseItem::Comment`](crate::sse::SseItem::Comment) (default no).
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e").emit_comments(true);
    /// # drop(b);
    /// ```
    pub fn emit_comments(mut self, on: bool) -> Self {
        self.decoder = self.decoder.emit_comments(on);
        self
    }

    /// The HTTP client (default: a new [`Client::new`], webpki roots). Share
    /// one between streams to share its pool, or use one with your roots.
    ///
    /// ```
    /// let b = pushcodec::sse::client::EventSource::builder("http://h/e")
    ///     .client(pushcodec::sse::client::Client::new());
    /// # drop(b);
    /// ```
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Checks the settings and builds the stream (nothing is sent before it
    /// is first polled; that needs a tokio runtime with I/O and time).
    ///
    /// ```
    /// use pushcodec::sse::client::{BuildError, EventSource};
    /// let err = EventSource::builder("http://h/e").header("bad name", "v").build().unwrap_err();
    /// assert!(matches!(err, BuildError::Header { .. }));
    /// ```
    pub fn build(self) -> Result<EventSource, BuildError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let bad_url = |reason: &str| BuildError::Url {
            url: self.url.clone(),
            reason: reason.to_owned(),
        };
        let uri: Uri = self
            .url
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad_url(&e.to_string()))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(bad_url("only http:// or https:// URLs are supported"));
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad_url("the URL has no host"));
        }
        let mut headers = self.headers;
        headers
            .entry(header::ACCEPT)
            .or_insert(HeaderValue::from_static(crate::sse::CONTENT_TYPE));
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-cache"));
        headers.remove(LAST_EVENT_ID_HEADER);
        let state = ReconnectState::new()
            .with_retry(self.retry)
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay);
        let reconnect_on = self.reconnect.unwrap_or(self.method == Method::GET);
        let mut reconnect = Reconnect::new(state, reconnect_on, self.max_retries);
        // Seeds the Last-Event-ID of the first request.
        reconnect.seed_last_event_id(&self.last_event_id);
        let client = self.client.unwrap_or_default();
        Ok(EventSource::from_parts(
            client,
            RequestTemplate {
                method: self.method,
                uri,
                headers,
                body: self.body,
            },
            reconnect,
            self.decoder.last_event_id(self.last_event_id).build(),
            self.connect_timeout,
            self.read_timeout,
        ))
    }
}
