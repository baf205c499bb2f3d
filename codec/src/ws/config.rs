//! Limits, time bounds and tuning of a WebSocket connection.

use std::time::Duration;

use super::extension::DeflateConfig;

/// Default `max_frame_size`: 16 MiB.
///
/// ```
/// use pushcodec::ws::{config::DEFAULT_MAX_FRAME_SIZE, WebSocketConfig};
/// assert_eq!(WebSocketConfig::default().max_frame_size(), DEFAULT_MAX_FRAME_SIZE);
/// ```
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 << 20;
/// Default `max_message_size`: 64 MiB.
///
/// ```
/// use pushcodec::ws::{config::DEFAULT_MAX_MESSAGE_SIZE, WebSocketConfig};
/// assert_eq!(WebSocketConfig::default().max_message_size(), DEFAULT_MAX_MESSAGE_SIZE);
/// ```
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 << 20;
/// Default `write_buffer_size`: 128 KiB.
///
/// ```
/// use pushcodec::ws::{config::DEFAULT_WRITE_BUFFER_SIZE, WebSocketConfig};
/// assert_eq!(WebSocketConfig::default().write_buffer_size(), DEFAULT_WRITE_BUFFER_SIZE);
/// ```
pub const DEFAULT_WRITE_BUFFER_SIZE: usize = 128 << 10;
/// Default `close_timeout`: 5 seconds.
///
/// ```
/// use pushcodec::ws::{config::DEFAULT_CLOSE_TIMEOUT, WebSocketConfig};
/// assert_eq!(WebSocketConfig::default().close_timeout(), Some(DEFAULT_CLOSE_TIMEOUT));
/// ```
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Default `keep_alive_timeout`: 20 seconds.
///
/// ```
/// use pushcodec::ws::{config::DEFAULT_KEEP_ALIVE_TIMEOUT, WebSocketConfig};
/// assert_eq!(WebSocketConfig::default().keep_alive_timeout(), DEFAULT_KEEP_ALIVE_TIMEOUT);
/// ```
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Configuration of a [`WebSocketStream`](super::WebSocketStream) (and of
/// [`MessageCodec`](super::MessageCodec)), built with
/// [`WebSocketConfig::builder`].
///
/// | setting | default | meaning |
/// | --- | --- | --- |
/// | `max_frame_size` | 16 MiB | largest accepted frame payload; checked from the header, before buffering |
/// | `max_message_size` | 64 MiB | largest accepted message (sum of its fragments), checked as fragments arrive |
/// | `write_buffer_size` | 128 KiB | bound of the write buffer, for every frame kind: `poll_ready` waits (flushes) while it is full, Pongs and Closes wait for room, and reading pauses while a Pong cannot be queued |
/// | `auto_fragment_size` | `None` | split outgoing data messages into frames of at most this payload size |
/// | `close_timeout` | `Some(5 s)` | bound on the closing handshake, from the moment a Close is queued or received (or the connection is failed): writing what is queued, our Close, and waiting for the peer's. `None`: unbounded |
/// | `keep_alive_interval` | `None` | send a Ping this often (while the connection is open) |
/// | `keep_alive_timeout` | 20 s | with `keep_alive_interval`: fail the connection (1011, [`Error::KeepAliveTimeout`](super::Error::KeepAliveTimeout)) when nothing arrives this long after a Ping |
/// | `idle_timeout` | `None` | close the connection (1001, [`Error::IdleTimeout`](super::Error::IdleTimeout)) when no data message was sent or received for this long |
/// | `utf8_fail_fast` | `true` | validate text inside a frame while it arrives, not only per fragment (RFC 6455 §8.1 "as soon as"); a compressed frame is then also inflated as it arrives |
/// | `deflate` | [`DeflateConfig::default`]: on, 15-bit windows, context takeover, level 6 | permessage-deflate (RFC 7692) offered by a client and accepted by a server in the opening handshake; [`DeflateConfig::builder`]`().enabled(false)` turns it off |
///
/// permessage-deflate is on by default, as in browsers and Python
/// `websockets`: it is negotiated by the handshake functions
/// ([`handshake::accept`](super::handshake::accept),
/// [`handshake::connect`](super::handshake::connect),
/// [`handshake::server_handshake`](super::handshake::server_handshake),
/// the axum and hyper adapters), never by
/// [`WebSocketStream::from_raw`](super::WebSocketStream::from_raw). A
/// connection that uses it holds a compressor and a decompressor, built at
/// the first compressed message of each direction (about 430 KiB at the
/// defaults; the figures per window size and memory level are in
/// `BENCHMARKS.md`); a server caps the total with
/// [`DeflateLimit`](super::extension::deflate::DeflateLimit).
///
/// The three time bounds need tokio's time driver; with all of them `None`
/// (`close_timeout(None)`), the stream never creates a timer and runs on
/// any executor.
///
/// ```
/// use pushcodec::ws::WebSocketConfig;
/// use std::time::Duration;
/// let c = WebSocketConfig::builder()
///     .max_message_size(1 << 20)
///     .max_frame_size(64 << 10)
///     .auto_fragment_size(Some(16 << 10))
///     .keep_alive_interval(Some(Duration::from_secs(30)))
///     .close_timeout(Some(Duration::from_secs(1)))
///     .build();
/// assert_eq!(c.max_frame_size(), 64 << 10);
/// assert_eq!(c.close_timeout(), Some(Duration::from_secs(1)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebSocketConfig {
    max_frame_size: usize,
    max_message_size: usize,
    write_buffer_size: usize,
    auto_fragment_size: Option<usize>,
    close_timeout: Option<Duration>,
    keep_alive_interval: Option<Duration>,
    keep_alive_timeout: Duration,
    idle_timeout: Option<Duration>,
    utf8_fail_fast: bool,
    deflate: DeflateConfig,
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        WebSocketConfig {
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            write_buffer_size: DEFAULT_WRITE_BUFFER_SIZE,
            auto_fragment_size: None,
            close_timeout: Some(DEFAULT_CLOSE_TIMEOUT),
            keep_alive_interval: None,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            idle_timeout: None,
            utf8_fail_fast: true,
            deflate: DeflateConfig::default(),
        }
    }
}

/// Builder of a [`WebSocketConfig`]: consuming setters, then
/// [`build`](WebSocketConfigBuilder::build).
///
/// ```
/// let c = pushcodec::ws::WebSocketConfig::builder().max_frame_size(1024).build();
/// assert_eq!(c.max_frame_size(), 1024);
/// ```
#[derive(Debug, Clone, Default)]
pub struct WebSocketConfigBuilder {
    config: WebSocketConfig,
}

impl WebSocketConfig {
    /// A builder starting from the defaults.
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::builder().build();
    /// assert_eq!(c, pushcodec::ws::WebSocketConfig::default());
    /// ```
    pub fn builder() -> WebSocketConfigBuilder {
        WebSocketConfigBuilder::default()
    }

    /// A builder starting from this configuration.
    ///
    /// ```
    /// use pushcodec::ws::WebSocketConfig;
    /// let base = WebSocketConfig::builder().max_frame_size(10).build();
    /// let c = base.to_builder().max_message_size(20).build();
    /// assert_eq!((c.max_frame_size(), c.max_message_size()), (10, 20));
    /// ```
    pub fn to_builder(&self) -> WebSocketConfigBuilder {
        WebSocketConfigBuilder {
            config: self.clone(),
        }
    }

    /// The largest accepted frame payload.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().max_frame_size(), 16 << 20);
    /// ```
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// The largest accepted message.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().max_message_size(), 64 << 20);
    /// ```
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// The write-buffer bound.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().write_buffer_size(), 128 << 10);
    /// ```
    pub fn write_buffer_size(&self) -> usize {
        self.write_buffer_size
    }

    /// The auto-fragmentation size.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().auto_fragment_size(), None);
    /// ```
    pub fn auto_fragment_size(&self) -> Option<usize> {
        self.auto_fragment_size
    }

    /// The close timeout (`None`: the closing handshake is not bounded).
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().close_timeout().unwrap().as_secs(), 5);
    /// ```
    pub fn close_timeout(&self) -> Option<Duration> {
        self.close_timeout
    }

    /// The keep-alive ping interval (`None`: no pings).
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().keep_alive_interval(), None);
    /// ```
    pub fn keep_alive_interval(&self) -> Option<Duration> {
        self.keep_alive_interval
    }

    /// How long after a keep-alive Ping something must arrive.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().keep_alive_timeout().as_secs(), 20);
    /// ```
    pub fn keep_alive_timeout(&self) -> Duration {
        self.keep_alive_timeout
    }

    /// The idle timeout (`None`: none).
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().idle_timeout(), None);
    /// ```
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// Whether text is validated while frames arrive (default `true`).
    ///
    /// ```
    /// assert!(pushcodec::ws::WebSocketConfig::default().utf8_fail_fast());
    /// ```
    pub fn utf8_fail_fast(&self) -> bool {
        self.utf8_fail_fast
    }

    /// The permessage-deflate policy (RFC 7692): what the handshake offers
    /// or accepts, and how this end compresses.
    ///
    /// ```
    /// assert!(pushcodec::ws::WebSocketConfig::default().deflate().enabled());
    /// ```
    pub fn deflate(&self) -> &DeflateConfig {
        &self.deflate
    }

    /// Whether any time bound is set (then the stream needs tokio's time
    /// driver).
    pub(crate) fn needs_timer(&self) -> bool {
        self.close_timeout.is_some()
            || self.keep_alive_interval.is_some()
            || self.idle_timeout.is_some()
    }
}

impl WebSocketConfigBuilder {
    /// Sets the largest accepted frame payload (default 16 MiB).
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::builder().max_frame_size(1024).build();
    /// assert_eq!(c.max_frame_size(), 1024);
    /// ```
    pub fn max_frame_size(mut self, n: usize) -> Self {
        self.config.max_frame_size = n;
        self
    }

    /// Sets the largest accepted message (default 64 MiB).
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::builder().max_message_size(1024).build();
    /// assert_eq!(c.max_message_size(), 1024);
    /// ```
    pub fn max_message_size(mut self, n: usize) -> Self {
        self.config.max_message_size = n;
        self
    }

    /// Sets the write-buffer bound (default 128 KiB, at least 1). Every
    /// frame kind respects it: data frames are copied (and masked) into the
    /// buffer in pieces as it drains, Pongs and Closes wait for room, and
    /// the buffer holds at most this much plus one frame header (or one
    /// control frame, if the bound is below 131 bytes).
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::builder().write_buffer_size(4096).build();
    /// assert_eq!(c.write_buffer_size(), 4096);
    /// ```
    pub fn write_buffer_size(mut self, n: usize) -> Self {
        self.config.write_buffer_size = n.max(1);
        self
    }

    /// Sets the auto-fragmentation size for outgoing data messages (default
    /// `None`: one frame per message). `Some(0)` is treated as `Some(1)`.
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::builder().auto_fragment_size(Some(4096)).build();
    /// assert_eq!(c.auto_fragment_size(), Some(4096));
    /// ```
    pub fn auto_fragment_size(mut self, n: Option<usize>) -> Self {
        self.config.auto_fragment_size = n.map(|n| n.max(1));
        self
    }

    /// Sets the bound on the closing handshake (default 5 s): counted from
    /// when our Close is queued, the peer's arrives or the connection is
    /// failed, it covers writing what is still queued (a peer that stops
    /// reading cannot stall `close()`), our Close or echo, and waiting for
    /// the peer's Close. When it passes the connection is given up
    /// ([`Error::CloseTimeout`](super::Error::CloseTimeout)). `None`: no
    /// bound (and, with the other time bounds off, no timer at all).
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = pushcodec::ws::WebSocketConfig::builder().close_timeout(Some(Duration::from_millis(100))).build();
    /// assert_eq!(c.close_timeout(), Some(Duration::from_millis(100)));
    /// ```
    pub fn close_timeout(mut self, d: Option<Duration>) -> Self {
        self.config.close_timeout = d;
        self
    }

    /// Sends a Ping every `interval` while the connection is open (default
    /// `None`). When not a single byte arrives from the peer within
    /// [`keep_alive_timeout`](Self::keep_alive_timeout) of a Ping, the
    /// connection is failed with 1011 and `next()` returns
    /// [`Error::KeepAliveTimeout`](super::Error::KeepAliveTimeout). Pings
    /// are sent and checked while the stream (or its reader half) is
    /// polled for messages.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = pushcodec::ws::WebSocketConfig::builder().keep_alive_interval(Some(Duration::from_secs(30))).build();
    /// assert_eq!(c.keep_alive_interval(), Some(Duration::from_secs(30)));
    /// ```
    pub fn keep_alive_interval(mut self, interval: Option<Duration>) -> Self {
        self.config.keep_alive_interval = interval.filter(|d| !d.is_zero());
        self
    }

    /// How long after a keep-alive Ping something must arrive (default
    /// 20 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = pushcodec::ws::WebSocketConfig::builder().keep_alive_timeout(Duration::from_secs(5)).build();
    /// assert_eq!(c.keep_alive_timeout(), Duration::from_secs(5));
    /// ```
    pub fn keep_alive_timeout(mut self, d: Duration) -> Self {
        self.config.keep_alive_timeout = d;
        self
    }

    /// Closes the connection with 1001 (Going Away) when no data message
    /// (text or binary) was sent or received for `d` (default `None`);
    /// `next()` then returns [`Error::IdleTimeout`](super::Error::IdleTimeout)
    /// after the closing handshake. Pings and Pongs do not count as
    /// activity. Checked in steps of `d / 4`: the close comes between `d`
    /// and `1.25 d` after the last message.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = pushcodec::ws::WebSocketConfig::builder().idle_timeout(Some(Duration::from_secs(300))).build();
    /// assert_eq!(c.idle_timeout(), Some(Duration::from_secs(300)));
    /// ```
    pub fn idle_timeout(mut self, d: Option<Duration>) -> Self {
        self.config.idle_timeout = d.filter(|d| !d.is_zero());
        self
    }

    /// Validate text while each frame is still arriving, not only once per
    /// fragment (default `true`). With it, a 16 MiB text frame whose first
    /// bytes are not UTF-8 fails (1007) as soon as those bytes are read,
    /// before the rest arrives: the strict reading of RFC 6455 §8.1 (Autobahn
    /// 6.4.x "fail fast"). Without it, text is validated fragment by fragment:
    /// a stream that ends inside an invalid frame ends as truncated, not as
    /// invalid UTF-8. Each byte is unmasked and validated once either way;
    /// the cost is measured in `BENCHMARKS.md`.
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::builder().utf8_fail_fast(false).build();
    /// assert!(!c.utf8_fail_fast());
    /// ```
    pub fn utf8_fail_fast(mut self, on: bool) -> Self {
        self.config.utf8_fail_fast = on;
        self
    }

    /// Sets the permessage-deflate policy (default [`DeflateConfig::default`]:
    /// offered and accepted). A token stream is best served by level 1
    /// (a fraction of level 6's CPU per small message, nearly its ratio
    /// with context takeover, see `BENCHMARKS.md`).
    ///
    /// ```
    /// use pushcodec::ws::{extension::DeflateConfig, WebSocketConfig};
    /// let c = WebSocketConfig::builder()
    ///     .deflate(DeflateConfig::builder().level(1).build())
    ///     .build();
    /// assert_eq!(c.deflate().level(), 1);
    /// let off = WebSocketConfig::builder().deflate(DeflateConfig::builder().enabled(false).build()).build();
    /// assert!(!off.deflate().enabled());
    /// ```
    pub fn deflate(mut self, deflate: DeflateConfig) -> Self {
        self.config.deflate = deflate;
        self
    }

    /// The configuration.
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::builder().build();
    /// assert_eq!(c.max_frame_size(), 16 << 20);
    /// ```
    pub fn build(self) -> WebSocketConfig {
        self.config
    }
}
