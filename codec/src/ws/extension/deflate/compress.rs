//! [`Deflater`]: compressing messages (RFC 7692 §7.2.1).

use bytes::BytesMut;
use zlib_rs::{DeflateFlush, Status};

use crate::ws::extension::{DeflateConfig, DeflateError};

/// The 4 bytes an empty stored block ends with; a sync flush ends with them
/// and §7.2.1 removes them from the message's last fragment.
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::ws::extension::deflate::{Compressed, Deflater, TAIL};
/// use pushcodec::ws::extension::DeflateConfig;
/// let mut d = Deflater::new(15, false, &DeflateConfig::default());
/// let mut out = BytesMut::new();
/// assert_eq!(d.compress(b"Hello", &mut out).unwrap(), Compressed::Yes);
/// assert!(!out.ends_with(&TAIL)); // removed, as §7.2.1 says; the peer appends it again
/// ```
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Whether [`Deflater::compress`] compressed the message.
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::ws::extension::deflate::{Compressed, Deflater};
/// use pushcodec::ws::extension::DeflateConfig;
/// // Below the threshold a message goes out as it is (RSV1 clear).
/// let cfg = DeflateConfig::builder().compression_threshold(16).build();
/// let mut d = Deflater::new(15, false, &cfg);
/// let mut out = BytesMut::new();
/// assert_eq!(d.compress(b"short", &mut out).unwrap(), Compressed::No);
/// assert!(out.is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compressed {
    /// The compressed payload was appended: send it with RSV1 set on the
    /// first frame (RFC 7692 §6.1).
    Yes,
    /// Nothing was appended: send the original payload with RSV1 clear
    /// (shorter than the threshold, or, without context takeover, not
    /// smaller compressed).
    No,
}

/// The compressor of one direction: a raw DEFLATE stream (no zlib header)
/// cut into messages by sync flushes (RFC 7692 §7.2.1, §7.3).
///
/// With context takeover the LZ77 window carries over from message to
/// message; without, the stream is reset after each message (no allocation).
/// A compressor built for 8 window bits runs zlib's 9-bit window, whose
/// matches never reach back more than 250 bytes (see the module docs).
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::ws::extension::deflate::{Compressed, Deflater};
/// use pushcodec::ws::extension::DeflateConfig;
/// let mut d = Deflater::new(15, false, &DeflateConfig::default());
/// let mut out = BytesMut::new();
/// assert_eq!(d.compress(b"Hello", &mut out).unwrap(), Compressed::Yes);
/// assert_eq!(&out[..], [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]); // RFC 7692 §7.2.3.1
/// out.clear();
/// d.compress(b"Hello", &mut out).unwrap();
/// assert_eq!(&out[..], [0xf2, 0x00, 0x11, 0x00, 0x00]); // §7.2.3.2, shared window
/// ```
pub struct Deflater {
    /// Built at the first compressed message: a connection that sends
    /// nothing compressed (all below the threshold) holds no zlib state.
    z: Option<zlib_rs::Deflate>,
    config: zlib_rs::DeflateConfig,
    window_bits: u8,
    no_context_takeover: bool,
    threshold: usize,
    /// A fragmented message is being compressed ([`Deflater::compress_fragment`]).
    in_message: bool,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("window_bits", &self.window_bits)
            .field("no_context_takeover", &self.no_context_takeover)
            .field("threshold", &self.threshold)
            .field("in_message", &self.in_message)
            .finish_non_exhaustive()
    }
}

impl Deflater {
    /// A compressor with window `window_bits` (clamped to 8..=15), context
    /// takeover unless `no_context_takeover`, and `config`'s level, memory
    /// level and threshold (its negotiation settings play no part here).
    /// Usually built by
    /// [`DeflateParams::deflater`](super::DeflateParams::deflater).
    ///
    /// ```
    /// use pushcodec::ws::extension::{deflate::Deflater, DeflateConfig};
    /// let d = Deflater::new(8, true, &DeflateConfig::builder().level(1).mem_level(1).build());
    /// assert_eq!(d.window_bits(), 8);
    /// ```
    pub fn new(window_bits: u8, no_context_takeover: bool, config: &DeflateConfig) -> Deflater {
        let window_bits = window_bits.clamp(8, 15);
        let zconfig = zlib_rs::DeflateConfig {
            level: i32::from(config.level()),
            method: zlib_rs::Method::Deflated,
            // zlib refuses a raw 8-bit window; 9 bits keeps distances <= 250.
            window_bits: -i32::from(window_bits.max(9)),
            mem_level: i32::from(config.mem_level()),
            strategy: zlib_rs::Strategy::Default,
        };
        Deflater {
            z: None,
            config: zconfig,
            window_bits,
            no_context_takeover,
            threshold: config.compression_threshold(),
            in_message: false,
        }
    }

    /// The negotiated window (log2) this compressor keeps to.
    ///
    /// ```
    /// use pushcodec::ws::extension::{deflate::Deflater, DeflateConfig};
    /// assert_eq!(Deflater::new(12, false, &DeflateConfig::default()).window_bits(), 12);
    /// ```
    pub fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// Whether each message starts from an empty window.
    ///
    /// ```
    /// use pushcodec::ws::extension::{deflate::Deflater, DeflateConfig};
    /// assert!(Deflater::new(15, true, &DeflateConfig::default()).no_context_takeover());
    /// ```
    pub fn no_context_takeover(&self) -> bool {
        self.no_context_takeover
    }

    /// Compresses a whole message and appends its payload (the sync-flushed
    /// stream without the `00 00 ff ff` tail) to `out`, or appends nothing
    /// and returns [`Compressed::No`] when the message should go
    /// uncompressed: shorter than the threshold, or, without context
    /// takeover, not shorter once compressed (RFC 7692 §7.3). A skipped
    /// message leaves the window as it was, as the peer's is (§7.2.3.2).
    ///
    /// An empty message compresses to the single byte `00` (§7.2.3.6).
    /// `out` grows as needed; its existing bytes are left alone, so a frame
    /// header may be written before the payload by the caller.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pushcodec::ws::extension::deflate::{Compressed, Deflater};
    /// use pushcodec::ws::extension::DeflateConfig;
    /// let mut d = Deflater::new(15, true, &DeflateConfig::default());
    /// let mut out = BytesMut::new();
    /// assert_eq!(d.compress(b"ab", &mut out).unwrap(), Compressed::No); // would grow
    /// assert!(out.is_empty());
    /// ```
    pub fn compress(
        &mut self,
        payload: &[u8],
        out: &mut BytesMut,
    ) -> Result<Compressed, DeflateError> {
        if self.in_message {
            return Err(DeflateError::Compress(
                "compress called inside a fragmented message",
            ));
        }
        if payload.len() < self.threshold {
            return Ok(Compressed::No);
        }
        let start = out.len();
        self.sync_flush(payload, out)?;
        strip_tail(out, start)?;
        if self.no_context_takeover {
            self.state().reset();
            if out.len() - start >= payload.len() {
                out.truncate(start);
                return Ok(Compressed::No);
            }
        }
        Ok(Compressed::Yes)
    }

    /// Compresses one piece of a message whose size is not known up front
    /// (a stream of fragments) and appends it to `out`; the first call is
    /// the first fragment (set RSV1), `fin` marks the last. Each piece is
    /// sync-flushed so it can be sent at once; non-final pieces keep their
    /// `00 00 ff ff` ("the removal ... MUST NOT be done", §7.2.1), the
    /// final one drops it. A final piece with nothing new compresses to
    /// `00` (§7.2.3.6); a non-final one to nothing (an empty fragment).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pushcodec::ws::extension::deflate::{Deflater, Inflater};
    /// use pushcodec::ws::extension::DeflateConfig;
    /// let mut d = Deflater::new(15, false, &DeflateConfig::default());
    /// let (mut a, mut b) = (BytesMut::new(), BytesMut::new());
    /// d.compress_fragment(b"Hel", false, &mut a).unwrap();
    /// d.compress_fragment(b"lo", true, &mut b).unwrap();
    /// assert!(a.ends_with(&[0, 0, 0xff, 0xff]));
    /// let mut i = Inflater::new(15, 1 << 20);
    /// i.inflate_fragment(&a).unwrap();
    /// i.inflate_fragment(&b).unwrap();
    /// assert_eq!(&i.finish_message().unwrap()[..], b"Hello");
    /// ```
    pub fn compress_fragment(
        &mut self,
        piece: &[u8],
        fin: bool,
        out: &mut BytesMut,
    ) -> Result<(), DeflateError> {
        self.in_message = !fin;
        let start = out.len();
        self.sync_flush(piece, out)?;
        if fin {
            strip_tail(out, start)?;
            if self.no_context_takeover {
                self.state().reset();
            }
        }
        Ok(())
    }

    /// Frees the zlib state between messages (a no-op inside a streamed
    /// message); the next compressed message builds it again (one
    /// allocation) and starts from an empty window. Always allowed: a
    /// compressor "MAY take over" the window (RFC 7692 §7.2.1), never
    /// must, and the peer's decompressor reads a message compressed from
    /// an empty window whatever history it keeps. For connections that
    /// have gone quiet, at the cost of the shared window's ratio on the
    /// next message.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pushcodec::ws::extension::{deflate::{Deflater, Inflater}, DeflateConfig};
    /// let (mut d, mut i) = (Deflater::new(15, false, &DeflateConfig::default()), Inflater::new(15, 1 << 20));
    /// for _ in 0..2 {
    ///     let mut wire = BytesMut::new();
    ///     d.compress(b"Hello, Hello, Hello", &mut wire).unwrap();
    ///     d.release();
    ///     assert!(!d.is_allocated());
    ///     i.inflate_fragment(&wire).unwrap(); // the peer kept its window: still fine
    ///     assert_eq!(&i.finish_message().unwrap()[..], b"Hello, Hello, Hello");
    /// }
    /// ```
    pub fn release(&mut self) {
        if !self.in_message {
            self.z = None;
        }
    }

    /// Whether the zlib state has been built (at the first compressed
    /// message).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pushcodec::ws::extension::deflate::Deflater;
    /// use pushcodec::ws::extension::DeflateConfig;
    /// let mut d = Deflater::new(15, false, &DeflateConfig::builder().compression_threshold(64).build());
    /// d.compress(b"short", &mut BytesMut::new()).unwrap(); // below the threshold
    /// assert!(!d.is_allocated());
    /// ```
    pub fn is_allocated(&self) -> bool {
        self.z.is_some()
    }

    fn state(&mut self) -> &mut zlib_rs::Deflate {
        let config = self.config;
        self.z
            .get_or_insert_with(|| zlib_rs::Deflate::new_with_config(config))
    }

    /// Deflates all of `input` with a sync flush, appending to `out`.
    fn sync_flush(&mut self, mut input: &[u8], out: &mut BytesMut) -> Result<(), DeflateError> {
        let z = self.state();
        loop {
            // Room for the input plus block overhead; zlib wants more than
            // 6 bytes of output space for a flush to complete (zlib.h).
            let want = (input.len() + (input.len() >> 8) + 64).min(256 << 10);
            let len = out.len();
            out.resize(len + want, 0);
            let (in0, out0) = (z.total_in(), z.total_out());
            let r = z.compress(input, &mut out[len..], DeflateFlush::SyncFlush);
            let consumed = (z.total_in() - in0) as usize;
            let produced = (z.total_out() - out0) as usize;
            out.truncate(len + produced);
            input = &input[consumed..];
            match r {
                // BufError: no progress possible (nothing new to flush).
                Ok(Status::Ok | Status::BufError) if input.is_empty() && produced < want => {
                    return Ok(())
                }
                Ok(_) => {}
                Err(e) => return Err(DeflateError::Compress(e.as_str())),
            }
        }
    }
}

/// Removes the `00 00 ff ff` a sync flush ends with (RFC 7692 §7.2.1 step
/// 3); an empty flush (nothing new since the last one) becomes `00`, the
/// header of an empty stored block (§7.2.3.6).
fn strip_tail(out: &mut BytesMut, start: usize) -> Result<(), DeflateError> {
    if out.len() == start {
        out.extend_from_slice(&[0x00]);
        return Ok(());
    }
    if !out[start..].ends_with(&TAIL) {
        return Err(DeflateError::Compress(
            "sync flush did not end with an empty stored block",
        ));
    }
    out.truncate(out.len() - TAIL.len());
    Ok(())
}
