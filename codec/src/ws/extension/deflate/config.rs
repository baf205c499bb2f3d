//! [`DeflateConfig`]: the local policy for permessage-deflate.

/// Default compression level: zlib's default, 6.
///
/// ```
/// use pushcodec::ws::extension::deflate::{DeflateConfig, DEFAULT_LEVEL};
/// assert_eq!(DeflateConfig::default().level(), DEFAULT_LEVEL);
/// let fast = DeflateConfig::builder().level(1).build(); // a token stream: less CPU per message
/// # let _ = fast;
/// ```
pub const DEFAULT_LEVEL: u8 = 6;
/// Default zlib `memLevel` of the compressor: zlib's default, 8.
///
/// ```
/// use pushcodec::ws::extension::deflate::{DeflateConfig, DEFAULT_MEM_LEVEL};
/// assert_eq!(DeflateConfig::default().mem_level(), DEFAULT_MEM_LEVEL);
/// let small = DeflateConfig::builder().mem_level(1).build(); // less memory per connection
/// # let _ = small;
/// ```
pub const DEFAULT_MEM_LEVEL: u8 = 8;

/// What this endpoint allows and asks for when it negotiates
/// permessage-deflate (RFC 7692 §7.1), and how it compresses.
///
/// The four negotiated settings are named after the RFC 7692 parameters
/// and mean the same thing in both roles: each limits one direction of
/// traffic. `server_*` is about what the server sends (its compressor, the
/// client's decompressor), `client_*` about what the client sends.
///
/// | setting | default | as a server | as a client |
/// | --- | --- | --- | --- |
/// | `enabled` | `true` | accept an offer | offer |
/// | `server_max_window_bits` | 15 | compress with at most 2^N (and say so if N < 15) | ask the server for at most 2^N (our decompressor's window) |
/// | `client_max_window_bits` | 15 | ask the client for at most 2^N (our decompressor's window); an offer that cannot take that answer is declined | compress with at most 2^N, and say so in the offer |
/// | `server_no_context_takeover` | `false` | compress each message from an empty window (and say so) | ask the server to |
/// | `client_no_context_takeover` | `false` | ask the client to (also granted when the client offers it) | compress each message from an empty window (and say so) |
/// | `level` | 6 | zlib level 0–9 of our compressor | same |
/// | `mem_level` | 8 | zlib `memLevel` 1–9 of our compressor: its hash table and block buffer, the largest part of its memory at small windows | same |
/// | `compression_threshold` | 0 | send messages shorter than this uncompressed | same |
///
/// Window bits are clamped to 8..=15, the level to 0..=9, the memory level
/// to 1..=9. A window of 8 bits is compressed with zlib's 9-bit window,
/// whose matches reach back at most 250 bytes, within 2^8 (see the
/// [`deflate`](super) module docs).
///
/// ```
/// use pushcodec::ws::extension::DeflateConfig;
/// let c = DeflateConfig::builder()
///     .client_max_window_bits(12)
///     .server_max_window_bits(12)
///     .level(1)
///     .build();
/// assert_eq!(c.client_max_window_bits(), 12);
/// assert!(c.enabled());
/// assert_eq!(DeflateConfig::default().server_max_window_bits(), 15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    enabled: bool,
    server_max_window_bits: u8,
    client_max_window_bits: u8,
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    level: u8,
    mem_level: u8,
    compression_threshold: usize,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            enabled: true,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            level: DEFAULT_LEVEL,
            mem_level: DEFAULT_MEM_LEVEL,
            compression_threshold: 0,
        }
    }
}

/// Builds a [`DeflateConfig`]; every setter is consuming.
///
/// ```
/// use pushcodec::ws::extension::DeflateConfig;
/// let off = DeflateConfig::builder().enabled(false).build();
/// assert!(!off.enabled());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DeflateConfigBuilder {
    config: DeflateConfig,
}

impl DeflateConfig {
    /// A builder starting from the defaults.
    ///
    /// ```
    /// use pushcodec::ws::extension::DeflateConfig;
    /// assert_eq!(DeflateConfig::builder().build(), DeflateConfig::default());
    /// ```
    pub fn builder() -> DeflateConfigBuilder {
        DeflateConfigBuilder::default()
    }

    /// Whether permessage-deflate is offered (client) or accepted (server).
    ///
    /// ```
    /// assert!(pushcodec::ws::extension::DeflateConfig::default().enabled());
    /// ```
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The largest window (log2) for server-to-client messages.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::extension::DeflateConfig::default().server_max_window_bits(), 15);
    /// ```
    pub fn server_max_window_bits(&self) -> u8 {
        self.server_max_window_bits
    }

    /// The largest window (log2) for client-to-server messages.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::extension::DeflateConfig::default().client_max_window_bits(), 15);
    /// ```
    pub fn client_max_window_bits(&self) -> u8 {
        self.client_max_window_bits
    }

    /// Whether server-to-client messages are each compressed from an empty
    /// window.
    ///
    /// ```
    /// assert!(!pushcodec::ws::extension::DeflateConfig::default().server_no_context_takeover());
    /// ```
    pub fn server_no_context_takeover(&self) -> bool {
        self.server_no_context_takeover
    }

    /// Whether client-to-server messages are each compressed from an empty
    /// window.
    ///
    /// ```
    /// assert!(!pushcodec::ws::extension::DeflateConfig::default().client_no_context_takeover());
    /// ```
    pub fn client_no_context_takeover(&self) -> bool {
        self.client_no_context_takeover
    }

    /// The zlib compression level of our compressor (0–9).
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::extension::DeflateConfig::default().level(), 6);
    /// ```
    pub fn level(&self) -> u8 {
        self.level
    }

    /// The zlib `memLevel` of our compressor (1–9).
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::extension::DeflateConfig::default().mem_level(), 8);
    /// ```
    pub fn mem_level(&self) -> u8 {
        self.mem_level
    }

    /// Messages shorter than this are sent uncompressed.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::extension::DeflateConfig::default().compression_threshold(), 0);
    /// ```
    pub fn compression_threshold(&self) -> usize {
        self.compression_threshold
    }
}

impl DeflateConfigBuilder {
    /// Offer/accept permessage-deflate at all (default `true`).
    ///
    /// ```
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// assert!(!DeflateConfig::builder().enabled(false).build().enabled());
    /// ```
    pub fn enabled(mut self, on: bool) -> Self {
        self.config.enabled = on;
        self
    }

    /// Largest window for server-to-client messages, 8..=15 (default 15).
    ///
    /// ```
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// assert_eq!(DeflateConfig::builder().server_max_window_bits(3).build().server_max_window_bits(), 8);
    /// ```
    pub fn server_max_window_bits(mut self, bits: u8) -> Self {
        self.config.server_max_window_bits = bits.clamp(8, 15);
        self
    }

    /// Largest window for client-to-server messages, 8..=15 (default 15).
    ///
    /// ```
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// assert_eq!(DeflateConfig::builder().client_max_window_bits(10).build().client_max_window_bits(), 10);
    /// ```
    pub fn client_max_window_bits(mut self, bits: u8) -> Self {
        self.config.client_max_window_bits = bits.clamp(8, 15);
        self
    }

    /// Compress server-to-client messages each from an empty window
    /// (default `false`).
    ///
    /// ```
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// assert!(DeflateConfig::builder().server_no_context_takeover(true).build().server_no_context_takeover());
    /// ```
    pub fn server_no_context_takeover(mut self, on: bool) -> Self {
        self.config.server_no_context_takeover = on;
        self
    }

    /// Compress client-to-server messages each from an empty window
    /// (default `false`).
    ///
    /// ```
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// assert!(DeflateConfig::builder().client_no_context_takeover(true).build().client_no_context_takeover());
    /// ```
    pub fn client_no_context_takeover(mut self, on: bool) -> Self {
        self.config.client_no_context_takeover = on;
        self
    }

    /// zlib compression level, 0 (stored blocks only) to 9 (default 6).
    ///
    /// ```
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// assert_eq!(DeflateConfig::builder().level(12).build().level(), 9);
    /// ```
    pub fn level(mut self, level: u8) -> Self {
        self.config.level = level.min(9);
        self
    }

    /// zlib `memLevel` of the compressor, 1 to 9 (default 8): memory of
    /// the hash table and of the block buffer (see BENCHMARKS.md for the
    /// bytes per setting).
    ///
    /// ```
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// assert_eq!(DeflateConfig::builder().mem_level(0).build().mem_level(), 1);
    /// ```
    pub fn mem_level(mut self, mem_level: u8) -> Self {
        self.config.mem_level = mem_level.clamp(1, 9);
        self
    }

    /// Send data messages shorter than `n` bytes uncompressed (default 0:
    /// compress every message). RFC 7692 lets each message choose; with
    /// context takeover a short message usually still shrinks, without it
    /// one that does not shrink is sent as is anyway.
    ///
    /// ```
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// assert_eq!(DeflateConfig::builder().compression_threshold(64).build().compression_threshold(), 64);
    /// ```
    pub fn compression_threshold(mut self, n: usize) -> Self {
        self.config.compression_threshold = n;
        self
    }

    /// The configuration.
    ///
    /// ```
    /// # use pushcodec::ws::extension::DeflateConfig;
    /// let c = DeflateConfig::builder().level(1).build();
    /// assert_eq!(c.level(), 1);
    /// ```
    pub fn build(self) -> DeflateConfig {
        self.config
    }
}
