//! [`Inflater`]: decompressing messages (RFC 7692 §7.2.2) in bounded steps.

use bytes::{Bytes, BytesMut};
use zlib_rs::{InflateFlush, Status};

use super::compress::TAIL;
use crate::ws::extension::DeflateError;

/// Largest output step: the inflater never produces more than this before
/// the size limit and the caller's check see the bytes.
const MAX_STEP: usize = 32 << 10;
/// First capacity of the message buffer.
const MIN_STEP: usize = 256;
/// Largest message buffer kept for the next message: after a larger
/// message the buffer is let go (freed once the message is dropped), so
/// one large message does not pin its size for the rest of the connection.
const RETAIN: usize = 64 << 10;

thread_local! {
    /// Where each step inflates to before its bytes are checked and copied
    /// to the message: one per thread, not per connection.
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The decompressor of one direction, with the message size limit built in.
///
/// Feed the compressed payload of each fragment (or any part of one) as it
/// arrives with [`Inflater::inflate_fragment`] / [`Inflater::inflate_with`];
/// end the message with [`Inflater::finish_message`], which appends the
/// `00 00 ff ff` tail (§7.2.2 step 1) and hands the message out as
/// [`Bytes`].
///
/// **Bounded.** Output is produced in steps of at most 32 KiB (into a
/// scratch buffer per thread), and at most one byte past
/// `max_message_size`: a message that inflates to more fails with
/// [`DeflateError::MessageTooBig`] (1009) at the step that crosses the
/// limit, whatever its compressed size, before those bytes join the
/// message — a 1 GiB bomb costs at most `max_message_size` bytes of buffer,
/// never a full inflate checked afterwards. No allocation is sized by the
/// peer: the buffer grows by doubling, capped at the limit.
///
/// **Incremental checks.** [`Inflater::inflate_with`] passes each step's new
/// bytes to a callback before going on, so text can be validated as UTF-8 on
/// the inflated bytes, failing fast (RFC 6455 §8.1) without inflating the
/// rest.
///
/// **Reuse.** The message buffer is split off per message; once the caller
/// drops a message's `Bytes` its space is reclaimed, so steady state costs
/// no allocation per message. A buffer that grew past 64 KiB is not kept
/// for the next message (a large message does not pin its size).
///
/// The window carries over between messages (context takeover); without
/// it the peer starts each message from an empty window, which needs
/// nothing of us (§7.2.2 "MAY decompress each new message with an empty
/// LZ77 sliding window"), so the state is never reset. A block with BFINAL
/// set ends zlib's stream; what follows it (§7.2.1 allows more blocks) is
/// inflated by a fresh stream.
///
/// ```
/// use pushcodec::ws::extension::deflate::Inflater;
/// let mut i = Inflater::new(15, 1 << 20);
/// // RFC 7692 §7.2.3.1, as two fragments of 3 and 4 bytes.
/// i.inflate_fragment(&[0xf2, 0x48, 0xcd]).unwrap();
/// i.inflate_fragment(&[0xc9, 0xc9, 0x07, 0x00]).unwrap();
/// assert_eq!(&i.finish_message().unwrap()[..], b"Hello");
/// // §7.2.3.2: the second "Hello", with the shared window.
/// i.inflate_fragment(&[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap();
/// assert_eq!(&i.finish_message().unwrap()[..], b"Hello");
/// ```
pub struct Inflater {
    /// Built at the first compressed message.
    z: Option<zlib_rs::Inflate>,
    window_bits: u8,
    max_message_size: usize,
    /// The message being inflated.
    out: BytesMut,
    /// Compressed bytes of the message consumed so far (error offsets).
    consumed: u64,
    /// Compressed bytes consumed since a BFINAL block ended the stream in
    /// this message (`None`: no BFINAL).
    since_final: Option<u64>,
    /// The peer compresses each message from an empty window (agreed
    /// `*_no_context_takeover`): our window may be dropped between messages.
    peer_no_context_takeover: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("window_bits", &self.window_bits)
            .field("max_message_size", &self.max_message_size)
            .field("message_len", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Inflater {
    /// A decompressor for a peer that compresses with at most
    /// `window_bits` (clamped to 8..=15), refusing messages that inflate to
    /// more than `max_message_size` bytes. Usually built by
    /// [`DeflateParams::inflater`](super::DeflateParams::inflater).
    ///
    /// ```
    /// let i = pushcodec::ws::extension::deflate::Inflater::new(9, 4096);
    /// assert_eq!((i.window_bits(), i.max_message_size()), (9, 4096));
    /// ```
    pub fn new(window_bits: u8, max_message_size: usize) -> Inflater {
        let window_bits = window_bits.clamp(8, 15);
        Inflater {
            z: None,
            window_bits,
            max_message_size,
            out: BytesMut::new(),
            consumed: 0,
            since_final: None,
            peer_no_context_takeover: false,
        }
    }

    /// Tells the inflater whether the peer starts each message from an
    /// empty window (the agreed `*_no_context_takeover` for the peer's
    /// direction), which lets [`Inflater::release`] free the state between
    /// messages. [`DeflateParams::inflater`](super::DeflateParams::inflater)
    /// sets it.
    ///
    /// ```
    /// let i = pushcodec::ws::extension::deflate::Inflater::new(15, 1 << 20)
    ///     .with_peer_no_context_takeover(true);
    /// assert!(i.peer_no_context_takeover());
    /// ```
    pub fn with_peer_no_context_takeover(mut self, on: bool) -> Inflater {
        self.peer_no_context_takeover = on;
        self
    }

    /// Whether the peer starts each message from an empty window.
    ///
    /// ```
    /// assert!(!pushcodec::ws::extension::deflate::Inflater::new(15, 1).peer_no_context_takeover());
    /// ```
    pub fn peer_no_context_takeover(&self) -> bool {
        self.peer_no_context_takeover
    }

    /// Frees the zlib state and the message buffer between messages, when
    /// the peer does not take over its window (otherwise its next message
    /// may refer to ours, RFC 7692 §7.2.2 "MUST decompress each new message
    /// using the LZ77 sliding window used to process the last compressed
    /// message"); returns whether it did. The next compressed message
    /// builds the state again.
    ///
    /// ```
    /// use pushcodec::ws::extension::deflate::Inflater;
    /// let mut i = Inflater::new(15, 1 << 20);
    /// i.inflate_fragment(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap();
    /// i.finish_message().unwrap();
    /// assert!(!i.release()); // the peer may refer back: kept
    /// let mut i = i.with_peer_no_context_takeover(true);
    /// assert!(i.release() && !i.is_allocated());
    /// ```
    pub fn release(&mut self) -> bool {
        if !self.peer_no_context_takeover || self.consumed != 0 || !self.out.is_empty() {
            return false;
        }
        self.z = None;
        self.out = BytesMut::new();
        true
    }

    /// The window (log2) this decompressor keeps.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::extension::deflate::Inflater::new(15, 1).window_bits(), 15);
    /// ```
    pub fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// The limit on an inflated message.
    ///
    /// ```
    /// assert_eq!(pushcodec::ws::extension::deflate::Inflater::new(15, 10).max_message_size(), 10);
    /// ```
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Bytes of the current message inflated so far.
    ///
    /// ```
    /// let mut i = pushcodec::ws::extension::deflate::Inflater::new(15, 1 << 20);
    /// i.inflate_fragment(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap();
    /// assert_eq!(i.message_len(), 5);
    /// ```
    pub fn message_len(&self) -> usize {
        self.out.len()
    }

    /// Inflates the next compressed bytes of the current message (a whole
    /// fragment's payload, or any part of it).
    ///
    /// ```
    /// use pushcodec::ws::extension::{deflate::Inflater, DeflateError};
    /// let mut i = Inflater::new(15, 4);
    /// let e = i.inflate_fragment(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap_err();
    /// assert_eq!(e, DeflateError::MessageTooBig { max: 4 });
    /// ```
    pub fn inflate_fragment(&mut self, compressed: &[u8]) -> Result<(), DeflateError> {
        self.inflate_with(compressed, |_| Ok(()))
    }

    /// [`inflate_fragment`](Inflater::inflate_fragment) with a check run
    /// on each step's newly inflated bytes, in order, before the next step;
    /// its error stops inflating and is returned. The bytes checked are
    /// always within the size limit.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use pushcodec::ws::extension::{deflate::{Deflater, Inflater}, DeflateConfig, DeflateError};
    /// use pushcodec::ws::utf8::Utf8Validator;
    ///
    /// #[derive(Debug)]
    /// enum E { Deflate(DeflateError), Utf8 { offset: usize } }
    /// impl From<DeflateError> for E { fn from(e: DeflateError) -> E { E::Deflate(e) } }
    ///
    /// // A text message whose first bytes are not UTF-8, then 1 MiB more.
    /// let mut text = b"\xff".to_vec();
    /// text.resize(1 << 20, b'a');
    /// let mut wire = BytesMut::new();
    /// Deflater::new(15, false, &DeflateConfig::default()).compress(&text, &mut wire).unwrap();
    ///
    /// let (mut i, mut v) = (Inflater::new(15, 2 << 20), Utf8Validator::new());
    /// let r = i.inflate_with(&wire, |b| v.feed(b).map_err(|e| E::Utf8 { offset: e.offset }));
    /// assert!(matches!(r, Err(E::Utf8 { offset: 0 })));
    /// assert!(i.message_len() <= 32 << 10); // failed at the first step
    /// ```
    pub fn inflate_with<E: From<DeflateError>>(
        &mut self,
        compressed: &[u8],
        check: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.run(compressed, check)
    }

    /// Ends the message: inflates the `00 00 ff ff` tail and hands the
    /// message out. The inflater is then ready for the next message.
    ///
    /// ```
    /// let mut i = pushcodec::ws::extension::deflate::Inflater::new(15, 1 << 20);
    /// i.inflate_fragment(&[0x00]).unwrap(); // §7.2.3.6: an empty message
    /// assert!(i.finish_message().unwrap().is_empty());
    /// ```
    pub fn finish_message(&mut self) -> Result<Bytes, DeflateError> {
        self.finish_message_with(|_| Ok(()))
    }

    /// [`finish_message`](Inflater::finish_message) with the same check as
    /// [`inflate_with`](Inflater::inflate_with) for the last bytes.
    ///
    /// ```
    /// let mut i = pushcodec::ws::extension::deflate::Inflater::new(15, 1 << 20);
    /// i.inflate_fragment(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap();
    /// let m = i.finish_message_with(|_| Ok::<(), pushcodec::ws::extension::DeflateError>(())).unwrap();
    /// assert_eq!(&m[..], b"Hello");
    /// ```
    pub fn finish_message_with<E: From<DeflateError>>(
        &mut self,
        check: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<Bytes, E> {
        if self.consumed == 0 {
            // An empty compressed payload (a compressor sends at least
            // `00`, §7.2.3.6): the tail alone would leave the stream inside
            // a stored block header and shift every later message. The
            // message is empty either way.
            return Ok(self.take_message());
        }
        self.run(&TAIL, check)?;
        if self.since_final == Some(TAIL.len() as u64) {
            // The message ended with its BFINAL block (no block after it):
            // the tail began a stored block that will never complete.
            self.fresh_stream();
        }
        self.since_final = None;
        self.consumed = 0;
        Ok(self.take_message())
    }

    /// Hands out the inflated message; its buffer's space is reclaimed for
    /// the next one once the caller drops it, unless it grew past
    /// [`RETAIN`].
    fn take_message(&mut self) -> Bytes {
        if self.out.capacity() > RETAIN {
            return std::mem::take(&mut self.out).freeze();
        }
        self.out.split().freeze()
    }

    /// Drops the current message (after an error elsewhere). The stream
    /// state is that of the bytes fed so far: after any error the
    /// connection is failed, not continued.
    ///
    /// ```
    /// let mut i = pushcodec::ws::extension::deflate::Inflater::new(15, 1 << 20);
    /// i.inflate_fragment(&[0xf2, 0x48]).unwrap();
    /// i.discard_message();
    /// assert_eq!(i.message_len(), 0);
    /// ```
    pub fn discard_message(&mut self) {
        self.out.clear();
        self.consumed = 0;
        self.since_final = None;
    }

    fn fresh_stream(&mut self) {
        // zlib_rs::Inflate::reset goes back to a 15-bit window; a new one
        // keeps ours. Only reached after a BFINAL block, which zlib-based
        // peers do not send (they sync-flush).
        self.z = Some(zlib_rs::Inflate::new(false, self.window_bits));
    }

    /// Whether the zlib state has been built (at the first compressed
    /// message).
    ///
    /// ```
    /// let i = pushcodec::ws::extension::deflate::Inflater::new(15, 1 << 20);
    /// assert!(!i.is_allocated());
    /// ```
    pub fn is_allocated(&self) -> bool {
        self.z.is_some()
    }

    /// Makes room for `n` more bytes of message (`n` never takes it past
    /// the limit + 1): the spare capacity, the space of a dropped message
    /// reclaimed, or exact growth by doubling, capped at the limit.
    fn reserve(&mut self, n: usize) {
        if self.out.capacity() - self.out.len() >= n || self.out.try_reclaim(n) {
            return;
        }
        let len = self.out.len();
        let cap = self.max_message_size.saturating_add(1);
        let mut target = (len * 2).max(MIN_STEP).max(len + n);
        if target.saturating_mul(2) > cap {
            // The next doubling would pass the cap: go to the cap now, so
            // the last growth is not a second reallocation of the largest
            // buffer.
            target = cap.max(len + n);
        }
        // Exact growth (BytesMut::reserve would double past the cap): a
        // unique buffer goes to a Vec and back without a copy, and
        // `reserve_exact` reallocates in place when the allocator can.
        let mut v: Vec<u8> = std::mem::take(&mut self.out).into();
        v.reserve_exact(target - v.len());
        self.out = BytesMut::from(Bytes::from(v));
    }

    fn run<E: From<DeflateError>>(
        &mut self,
        input: &[u8],
        check: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        // Taken, not borrowed: a check that inflates (on another Inflater)
        // finds it empty and uses a scratch of its own.
        let mut scratch = SCRATCH.take();
        if scratch.len() < MAX_STEP {
            scratch.resize(MAX_STEP, 0);
        }
        let r = self.run_with(input, check, &mut scratch);
        SCRATCH.set(scratch);
        r
    }

    /// Inflates into `scratch` (initialized once per thread, so no step
    /// pays for zeroing) in steps of at most 32 KiB and at most one byte
    /// past the limit, then copies what came out to the message.
    fn run_with<E: From<DeflateError>>(
        &mut self,
        mut input: &[u8],
        mut check: impl FnMut(&[u8]) -> Result<(), E>,
        scratch: &mut [u8],
    ) -> Result<(), E> {
        loop {
            let room = self.max_message_size.saturating_sub(self.out.len());
            // One byte past the limit tells "more than allowed" from "exactly".
            let space = MAX_STEP.min(room.saturating_add(1));
            let bits = self.window_bits;
            let z = self
                .z
                .get_or_insert_with(|| zlib_rs::Inflate::new(false, bits));
            let (in0, out0) = (z.total_in(), z.total_out());
            let r = z.decompress(input, &mut scratch[..space], InflateFlush::NoFlush);
            let consumed = (z.total_in() - in0) as usize;
            let produced = (z.total_out() - out0) as usize;
            let message = z.error_message();
            input = &input[consumed..];
            self.consumed += consumed as u64;
            if let Some(n) = &mut self.since_final {
                *n += consumed as u64;
            }
            if self.out.len() + produced > self.max_message_size {
                return Err(DeflateError::MessageTooBig {
                    max: self.max_message_size,
                }
                .into());
            }
            if produced > 0 {
                check(&scratch[..produced])?;
                self.reserve(produced);
                self.out.extend_from_slice(&scratch[..produced]);
            }
            match r {
                Ok(Status::StreamEnd) => {
                    self.fresh_stream();
                    self.since_final = Some(0);
                    if input.is_empty() {
                        return Ok(());
                    }
                }
                Ok(_) if produced == space => {}
                Ok(_) if input.is_empty() => return Ok(()),
                Ok(_) if consumed == 0 => {
                    return Err(DeflateError::Corrupt {
                        reason: "inflate made no progress",
                        offset: self.consumed,
                    }
                    .into())
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(DeflateError::Corrupt {
                        reason: message.unwrap_or(e.as_str()),
                        offset: self.consumed,
                    }
                    .into())
                }
            }
        }
    }
}
