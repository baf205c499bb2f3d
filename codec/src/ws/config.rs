//! Limits and tuning of a WebSocket connection.

use std::time::Duration;

/// Default `max_frame_size`: 16 MiB.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 << 20;
/// Default `max_message_size`: 64 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 << 20;
/// Default `write_buffer_size`: 128 KiB.
pub const DEFAULT_WRITE_BUFFER_SIZE: usize = 128 << 10;
/// Default `close_timeout`: 5 seconds.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Configuration of a [`WebSocketStream`](super::WebSocketStream) (and of
/// [`MessageCodec`](super::MessageCodec)).
///
/// | setting | default | meaning |
/// | --- | --- | --- |
/// | `max_frame_size` | 16 MiB | largest accepted frame payload; checked from the header, before buffering |
/// | `max_message_size` | 64 MiB | largest accepted message (sum of its fragments), checked as fragments arrive |
/// | `write_buffer_size` | 128 KiB | `poll_ready` waits (flushes) while this many bytes are queued: the backpressure bound |
/// | `auto_fragment_size` | `None` | split outgoing data messages into frames of at most this payload size |
/// | `close_timeout` | 5 s | bound on the closing handshake, from the moment a Close is queued or received (or the connection is failed): writing what is queued, our Close, and waiting for the peer's |
/// | `utf8_fail_fast` | `false` | also validate text inside a frame while it arrives (not only per fragment) |
///
/// ```
/// use pushcodec::ws::WebSocketConfig;
/// use std::time::Duration;
/// let c = WebSocketConfig::default()
///     .max_message_size(1 << 20)
///     .max_frame_size(64 << 10)
///     .auto_fragment_size(Some(16 << 10))
///     .close_timeout(Duration::from_secs(1));
/// assert_eq!(c.get_max_frame_size(), 64 << 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSocketConfig {
    pub(crate) max_frame_size: usize,
    pub(crate) max_message_size: usize,
    pub(crate) write_buffer_size: usize,
    pub(crate) auto_fragment_size: Option<usize>,
    pub(crate) close_timeout: Duration,
    pub(crate) utf8_fail_fast: bool,
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        WebSocketConfig {
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            write_buffer_size: DEFAULT_WRITE_BUFFER_SIZE,
            auto_fragment_size: None,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            utf8_fail_fast: false,
        }
    }
}

impl WebSocketConfig {
    /// Sets the largest accepted frame payload (default 16 MiB).
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::default().max_frame_size(1024);
    /// assert_eq!(c.get_max_frame_size(), 1024);
    /// ```
    pub fn max_frame_size(mut self, n: usize) -> Self {
        self.max_frame_size = n;
        self
    }

    /// Sets the largest accepted message (default 64 MiB).
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::default().max_message_size(1024);
    /// assert_eq!(c.get_max_message_size(), 1024);
    /// ```
    pub fn max_message_size(mut self, n: usize) -> Self {
        self.max_message_size = n;
        self
    }

    /// Sets the write-buffer bound (default 128 KiB, at least 1).
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::default().write_buffer_size(4096);
    /// assert_eq!(c.get_write_buffer_size(), 4096);
    /// ```
    pub fn write_buffer_size(mut self, n: usize) -> Self {
        self.write_buffer_size = n.max(1);
        self
    }

    /// Sets the auto-fragmentation size for outgoing data messages (default
    /// `None`: one frame per message). `Some(0)` is treated as `Some(1)`.
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::default().auto_fragment_size(Some(4096));
    /// assert_eq!(c.get_auto_fragment_size(), Some(4096));
    /// ```
    pub fn auto_fragment_size(mut self, n: Option<usize>) -> Self {
        self.auto_fragment_size = n.map(|n| n.max(1));
        self
    }

    /// Sets the bound on the closing handshake (default 5 s): counted from
    /// when our Close is queued, the peer's arrives or the connection is
    /// failed, it covers writing what is still queued (a peer that stops
    /// reading cannot stall `close()`), our Close or echo, and waiting for
    /// the peer's Close. When it passes the connection is given up
    /// ([`Error::CloseTimeout`](super::Error::CloseTimeout)).
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = pushcodec::ws::WebSocketConfig::default().close_timeout(Duration::from_millis(100));
    /// assert_eq!(c.get_close_timeout(), Duration::from_millis(100));
    /// ```
    pub fn close_timeout(mut self, d: Duration) -> Self {
        self.close_timeout = d;
        self
    }

    /// Validate text while each frame is still arriving, not only once per
    /// fragment (default `false`). With it, a 16 MiB text frame whose first
    /// bytes are not UTF-8 fails (1007) as soon as those bytes are read,
    /// before the rest arrives: the strict reading of RFC 6455 §8.1 (Autobahn
    /// 6.4.x "fail fast"). Without it, text is validated fragment by fragment:
    /// a stream that ends inside an invalid frame ends as truncated, not as
    /// invalid UTF-8. The cost is the same (each byte is unmasked and
    /// validated once either way).
    ///
    /// ```
    /// let c = pushcodec::ws::WebSocketConfig::default().utf8_fail_fast(true);
    /// assert!(c.get_utf8_fail_fast());
    /// ```
    pub fn utf8_fail_fast(mut self, on: bool) -> Self {
        self.utf8_fail_fast = on;
        self
    }

    /// Whether text is validated while frames arrive.
    ///
    /// ```
    /// assert!(!pushcodec::ws::WebSocketConfig::default().get_utf8_fail_fast());
    /// ```
    pub fn get_utf8_fail_fast(&self) -> bool {
        self.utf8_fail_fast
    }

    /// The largest accepted frame payload.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().get_max_frame_size(), 16 << 20);
    /// ```
    pub fn get_max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// The largest accepted message.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().get_max_message_size(), 64 << 20);
    /// ```
    pub fn get_max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// The write-buffer bound.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().get_write_buffer_size(), 128 << 10);
    /// ```
    pub fn get_write_buffer_size(&self) -> usize {
        self.write_buffer_size
    }

    /// The auto-fragmentation size.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().get_auto_fragment_size(), None);
    /// ```
    pub fn get_auto_fragment_size(&self) -> Option<usize> {
        self.auto_fragment_size
    }

    /// The close timeout.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::WebSocketConfig::default().get_close_timeout().as_secs(), 5);
    /// ```
    pub fn get_close_timeout(&self) -> Duration {
        self.close_timeout
    }
}
