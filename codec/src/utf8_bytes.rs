//! [`Utf8Bytes`]: text validated once, when it is built, either a [`Bytes`]
//! slice (zero-copy, reference-counted) or, for short text, held inline.
//!
//! WebSocket text messages and SSE event fields are handed out as slices of
//! the read buffer. Wrapping them in `Utf8Bytes` keeps that zero-copy
//! property while giving the user a `&str` without a copy and without a
//! second UTF-8 check: every constructor in this module checks the bytes
//! (with `simdutf8`), or starts from a `&str`/`String`, which are valid
//! already; after that [`Utf8Bytes::as_str`] (and `Deref`, `Display`,
//! `Debug`) is a pointer cast.
//!
//! **One of the crate's two audited `unsafe` sites** (the other is
//! `ws::mask::simd`) is in [`Utf8Bytes::as_str`]
//! (`str::from_utf8_unchecked`). Its argument rests on this module alone:
//! the field of `Utf8Bytes` is private to it, and every function here that
//! builds one either validates the bytes it stores or copies/moves a `str`.
//! Nothing else in the crate can build a `Utf8Bytes` but through these
//! functions. The other representation considered, `bytestring::ByteString`
//! (which has the `unsafe` in its own crate), validates with
//! `std::str::from_utf8` at construction; the measured cost of that is in
//! BENCHMARKS.md ("`Utf8Bytes`: validated once").
//! `cargo +nightly miri test -p pushcodec --lib utf8_bytes` runs this
//! module's tests under Miri (`.ci/run` does).
//!
//! **Short text is copied, not shared.** The SSE decoder stores values of at
//! most [`Utf8Bytes::INLINE_CAPACITY`] bytes (event types, IDs, token-sized
//! data) inside the value: a copy of that size costs less than the atomic
//! reference count a shared slice needs, and a value that does not point
//! into the read buffer lets that buffer be reused instead of reallocated
//! (`BytesMut::reserve` reclaims a buffer only while nothing else refers to
//! it). Longer values stay zero-copy slices.

// One of two exceptions to the crate's `deny(unsafe_code)` (the other is
// `ws::mask::simd`): see the module docs.
#![allow(unsafe_code)]

use bytes::Bytes;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Immutable, cheaply clonable UTF-8 text: a [`Bytes`] slice, or up to
/// [`Utf8Bytes::INLINE_CAPACITY`] bytes held inline.
///
/// The bytes are checked once, when the value is built (or come from a
/// `&str`/`String`); [`Utf8Bytes::as_str`] does not check them again.
/// Cloning and slicing never copy shared text; inline text is copied with
/// the value (it is at most 38 bytes).
///
/// ```
/// use pushcodec::Utf8Bytes;
/// let t = Utf8Bytes::from_static("héllo");
/// assert_eq!(t.as_str(), "héllo");
/// assert_eq!(t.len(), 6);
/// let b = bytes::Bytes::from_static(b"\xff");
/// assert!(Utf8Bytes::try_from(b).is_err());
/// let owned = String::from("borrowed, then copied");
/// assert_eq!(Utf8Bytes::from(&owned), owned.as_str());
/// ```
#[derive(Clone)]
pub struct Utf8Bytes(Repr);

/// Invariant (the `unsafe` in `as_str` relies on it): `Shared(b)` holds
/// UTF-8, and so does `buf[..len]` of `Inline`, with `len <= INLINE_CAP`.
#[derive(Clone)]
enum Repr {
    Shared(Bytes),
    Inline { len: u8, buf: [u8; INLINE_CAP] },
}

const INLINE_CAP: usize = 38;

impl Default for Utf8Bytes {
    fn default() -> Self {
        Utf8Bytes(Repr::Inline {
            len: 0,
            buf: [0; INLINE_CAP],
        })
    }
}

/// Whether `buf[..len]` is ASCII (hence UTF-8), for `len <= INLINE_CAP`:
/// the high bits of three overlapping 16-byte vectors as one bit mask
/// (SSE2 `pmovmskb` on x86-64, via the safe `wide` API), masked to `len`.
#[inline(always)]
fn is_ascii_prefix(buf: &[u8; INLINE_CAP], len: usize) -> bool {
    let high = |at: usize| {
        let mut v = [0; 16];
        v.copy_from_slice(&buf[at..at + 16]);
        u64::from(wide::u8x16::new(v).move_mask() as u16) << at
    };
    let high = high(0) | high(16) | high(INLINE_CAP - 16);
    // `len` is at most 38: the shift cannot overflow.
    high & ((1u64 << len) - 1) == 0
}

/// Whether `bytes` is UTF-8, in one pass: short text by `is_ascii` first
/// (cheaper than simdutf8's set-up on token-sized values, which are
/// ASCII), longer text by simdutf8 alone.
#[inline]
fn is_utf8(bytes: &[u8]) -> bool {
    if bytes.len() < 64 && bytes.is_ascii() {
        return true;
    }
    simdutf8::basic::from_utf8(bytes).is_ok()
}

impl Utf8Bytes {
    /// Longest text (in bytes) that [`Utf8Bytes::copy_from_str`] and the SSE
    /// decoder hold inline instead of as a shared [`Bytes`].
    ///
    /// ```
    /// assert_eq!(pushcodec::Utf8Bytes::INLINE_CAPACITY, 38);
    /// ```
    pub const INLINE_CAPACITY: usize = INLINE_CAP;

    /// Wraps a static string without copying it.
    ///
    /// ```
    /// let t = pushcodec::Utf8Bytes::from_static("x");
    /// assert_eq!(&*t, "x");
    /// ```
    pub const fn from_static(s: &'static str) -> Self {
        Utf8Bytes(Repr::Shared(Bytes::from_static(s.as_bytes())))
    }

    /// A copy of `s`: inline (no allocation) if it is at most
    /// [`Utf8Bytes::INLINE_CAPACITY`] bytes, else one allocation. Same as
    /// `Utf8Bytes::from(s)`.
    ///
    /// ```
    /// let t = pushcodec::Utf8Bytes::copy_from_str("token");
    /// assert!(t.is_inline());
    /// assert_eq!(t, "token");
    /// ```
    pub fn copy_from_str(s: &str) -> Self {
        let bytes = s.as_bytes();
        if bytes.len() <= INLINE_CAP {
            let mut buf = [0; INLINE_CAP];
            buf[..bytes.len()].copy_from_slice(bytes);
            // `bytes` is a `str`: UTF-8.
            Utf8Bytes(Repr::Inline {
                len: bytes.len() as u8,
                buf,
            })
        } else {
            // A copy of a `str`: UTF-8.
            Utf8Bytes(Repr::Shared(Bytes::copy_from_slice(bytes)))
        }
    }

    /// `bytes` as text, decoded as the WHATWG UTF-8 decoder does (HTML
    /// §9.2.6 "Streams must be decoded using the UTF-8 decode algorithm"):
    /// the same buffer if it is UTF-8 (one check), else a copy with each
    /// invalid sequence replaced by U+FFFD (Rust's lossy decoding replaces
    /// maximal subparts, as the WHATWG decoder does).
    pub(crate) fn from_utf8_lossy(bytes: Bytes) -> Self {
        if is_utf8(&bytes) {
            // Checked just above.
            Utf8Bytes(Repr::Shared(bytes))
        } else {
            Utf8Bytes::lossy(&bytes)
        }
    }

    /// A copy of `bytes` as text (inline if short), decoded as
    /// [`Utf8Bytes::from_utf8_lossy`] does.
    pub(crate) fn copy_from_utf8_lossy(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAP {
            return Utf8Bytes::inline_from_window_lossy(bytes, 0, bytes.len());
        }
        if is_utf8(bytes) {
            // Checked just above.
            Utf8Bytes(Repr::Shared(Bytes::copy_from_slice(bytes)))
        } else {
            Utf8Bytes::lossy(bytes)
        }
    }

    /// `src[start..start + len]` (`len` at most
    /// [`Utf8Bytes::INLINE_CAPACITY`]) held inline, decoded as
    /// [`Utf8Bytes::from_utf8_lossy`] does. Copies a fixed-size window when
    /// `src` has one: a constant-size copy compiles to a few vector moves,
    /// where a variable-length one calls `memmove`; and ASCII text (the
    /// usual case) is recognised on that window with a few word operations.
    /// Only the `len` bytes of the window that are kept are checked.
    #[inline(always)]
    pub(crate) fn inline_from_window_lossy(src: &[u8], start: usize, len: usize) -> Self {
        if let Some(window) = src.get(start..start + INLINE_CAP) {
            if let Ok(window) = <&[u8; INLINE_CAP]>::try_from(window) {
                // Checked in place, then copied (checking the copy would
                // load from bytes just stored with other widths: a
                // store-forwarding stall).
                if len <= INLINE_CAP && is_ascii_prefix(window, len) {
                    // Checked just above.
                    return Utf8Bytes(Repr::Inline {
                        len: len as u8,
                        buf: *window,
                    });
                }
            }
        }
        Utf8Bytes::inline_from_slice_lossy(src, start, len)
    }

    /// [`Utf8Bytes::inline_from_window_lossy`] into `self`, built in place.
    #[inline(always)]
    pub(crate) fn set_inline_from_window_lossy(&mut self, src: &[u8], start: usize, len: usize) {
        if let Some(window) = src.get(start..start + INLINE_CAP) {
            if let Ok(window) = <&[u8; INLINE_CAP]>::try_from(window) {
                if len <= INLINE_CAP && is_ascii_prefix(window, len) {
                    // Checked just above.
                    *self = Utf8Bytes(Repr::Inline {
                        len: len as u8,
                        buf: *window,
                    });
                    return;
                }
            }
        }
        *self = Utf8Bytes::inline_from_slice_lossy(src, start, len);
    }

    /// The general case of [`Utf8Bytes::inline_from_window_lossy`]: no
    /// full window (a value at the end of the buffer), or not ASCII.
    #[inline(never)]
    fn inline_from_slice_lossy(src: &[u8], start: usize, len: usize) -> Self {
        let kept = src.get(start..).unwrap_or_default();
        let kept = &kept[..len.min(INLINE_CAP).min(kept.len())];
        if !is_utf8(kept) {
            return Utf8Bytes::lossy(kept);
        }
        let mut buf = [0; INLINE_CAP];
        buf[..kept.len()].copy_from_slice(kept);
        // Checked just above.
        Utf8Bytes(Repr::Inline {
            len: kept.len() as u8,
            buf,
        })
    }

    /// `bytes` (not UTF-8) decoded with U+FFFD replacements: a copy.
    #[cold]
    fn lossy(bytes: &[u8]) -> Self {
        Utf8Bytes::copy_from_str(&String::from_utf8_lossy(bytes))
    }

    /// The text's bytes.
    #[inline]
    fn slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Shared(b) => b,
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
        }
    }

    /// The text as a string slice: no copy and no check (the bytes were
    /// checked when the value was built).
    ///
    /// ```
    /// let t = pushcodec::Utf8Bytes::from("abc".to_string());
    /// assert_eq!(t.as_str(), "abc");
    /// ```
    #[inline]
    pub fn as_str(&self) -> &str {
        let bytes = self.slice();
        // Validity is a debug-time assertion here, never a release-time
        // check: that is the point of the type.
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        // SAFETY: `Repr`'s invariant: every constructor in this module
        // either checks the bytes it stores (`is_utf8`, simdutf8, before
        // storing them; `try_from`) or copies/moves a `str`/`String`;
        // `Inline` stores `len <= INLINE_CAP` and checks exactly `buf[..len]`,
        // which `slice` returns. The field is private to this module, no
        // function here hands out `&mut` access to the bytes, and `Bytes`
        // never changes the bytes it points to. So `bytes` is UTF-8.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// The text's bytes, without a copy.
    ///
    /// ```
    /// let t = pushcodec::Utf8Bytes::from_static("ab");
    /// assert_eq!(t.as_bytes(), b"ab");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        self.slice()
    }

    /// The text as [`Bytes`]: a reference-counted clone of shared text, a
    /// copy (one allocation) of inline text.
    ///
    /// ```
    /// let t = pushcodec::Utf8Bytes::from("a longer text, well over thirty-eight bytes".to_string());
    /// assert_eq!(t.to_bytes().as_ptr(), t.as_bytes().as_ptr()); // shared: no copy
    /// ```
    pub fn to_bytes(&self) -> Bytes {
        match &self.0 {
            Repr::Shared(b) => b.clone(),
            Repr::Inline { .. } => Bytes::copy_from_slice(self.slice()),
        }
    }

    /// Unwraps into [`Bytes`]: the shared buffer itself, or a copy (one
    /// allocation) of inline text.
    ///
    /// ```
    /// let b: bytes::Bytes = pushcodec::Utf8Bytes::from_static("ab").into_bytes();
    /// assert_eq!(&b[..], b"ab");
    /// ```
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Repr::Shared(b) => b,
            Repr::Inline { .. } => Bytes::copy_from_slice(self.slice()),
        }
    }

    /// Whether the text is held inline (a copy) rather than shared.
    ///
    /// ```
    /// assert!(!pushcodec::Utf8Bytes::from_static("static text").is_inline());
    /// assert!(pushcodec::Utf8Bytes::copy_from_str("short").is_inline());
    /// ```
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }

    /// Length in bytes.
    ///
    /// ```
    /// assert_eq!(pushcodec::Utf8Bytes::from_static("é").len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Shared(b) => b.len(),
            Repr::Inline { len, .. } => usize::from(*len),
        }
    }

    /// Whether the text is empty.
    ///
    /// ```
    /// assert!(pushcodec::Utf8Bytes::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for Utf8Bytes {
    fn eq(&self, other: &Self) -> bool {
        self.slice() == other.slice()
    }
}

impl Eq for Utf8Bytes {}

impl PartialOrd for Utf8Bytes {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Utf8Bytes {
    fn cmp(&self, other: &Self) -> Ordering {
        self.slice().cmp(other.slice())
    }
}

impl Hash for Utf8Bytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.slice().hash(state);
    }
}

impl Deref for Utf8Bytes {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        self.slice()
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

/// Moves the string's buffer in (no copy).
///
/// ```
/// let t = pushcodec::Utf8Bytes::from(String::from("moved"));
/// assert_eq!(t, "moved");
/// ```
impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        // A `String`: UTF-8.
        Utf8Bytes(Repr::Shared(Bytes::from(s)))
    }
}

/// Copies the string: inline if it is at most
/// [`Utf8Bytes::INLINE_CAPACITY`] bytes, else one allocation (use
/// [`Utf8Bytes::from_static`] to wrap a `&'static str` without a copy).
///
/// ```
/// let borrowed: &str = &String::from("copied");
/// assert_eq!(pushcodec::Utf8Bytes::from(borrowed), "copied");
/// ```
impl From<&str> for Utf8Bytes {
    fn from(s: &str) -> Self {
        Utf8Bytes::copy_from_str(s)
    }
}

/// Copies the string, as `From<&str>` does.
///
/// ```
/// let s = String::from("copied");
/// assert_eq!(pushcodec::Utf8Bytes::from(&s), "copied");
/// ```
impl From<&String> for Utf8Bytes {
    fn from(s: &String) -> Self {
        Utf8Bytes::copy_from_str(s)
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(t: Utf8Bytes) -> Bytes {
        t.into_bytes()
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.slice() == other.as_bytes()
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.slice() == other.as_bytes()
    }
}

/// The error of [`Utf8Bytes::try_from`]: the bytes are not UTF-8.
///
/// ```
/// use pushcodec::Utf8Bytes;
/// let e = Utf8Bytes::try_from(bytes::Bytes::from_static(b"caf\xc3(")).unwrap_err();
/// assert_eq!(e.valid_up_to, 3);
/// assert_eq!(e.to_string(), "invalid UTF-8 at byte 3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 at byte {valid_up_to}")]
#[non_exhaustive]
pub struct NotUtf8 {
    /// Length of the longest valid prefix.
    pub valid_up_to: usize,
}

/// Checks the bytes once (simdutf8) and keeps the same buffer.
///
/// ```
/// use pushcodec::Utf8Bytes;
/// let t = Utf8Bytes::try_from(bytes::Bytes::from_static(b"ok")).unwrap();
/// assert_eq!(t, "ok");
/// let e = Utf8Bytes::try_from(bytes::Bytes::from_static(b"ab\xc3")).unwrap_err();
/// assert_eq!(e.valid_up_to, 2);
/// ```
impl TryFrom<Bytes> for Utf8Bytes {
    type Error = NotUtf8;
    fn try_from(b: Bytes) -> Result<Self, NotUtf8> {
        if is_utf8(&b) {
            // Checked just above.
            return Ok(Utf8Bytes(Repr::Shared(b)));
        }
        // Only on failure: the slower check that says where.
        Err(NotUtf8 {
            valid_up_to: simdutf8::compat::from_utf8(&b).map_or_else(|e| e.valid_up_to(), str::len),
        })
    }
}

#[cfg(feature = "arbitrary")]
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> arbitrary::Arbitrary<'a> for Utf8Bytes {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Utf8Bytes::from(String::arbitrary(u)?))
    }
}

/// These tests also run under Miri (`cargo +nightly miri test -p pushcodec
/// --lib utf8_bytes`, in `.ci/run`): every constructor, on valid and
/// invalid input, at and around the inline capacity and the window edges,
/// followed by `as_str` (the `unsafe` read).
#[cfg(test)]
mod tests {
    use super::*;

    /// Every way of reading the text back, each of which goes through the
    /// unchecked cast (Miri reports any invalid `str` it would produce).
    fn read_back(t: &Utf8Bytes) -> String {
        let s: &str = t;
        assert_eq!(s.len(), t.len());
        assert_eq!(format!("{t}"), s);
        assert_eq!(format!("{t:?}"), format!("{s:?}"));
        assert_eq!(AsRef::<str>::as_ref(t), s);
        assert!(s.chars().count() <= s.len());
        s.to_string()
    }

    /// Inputs on both sides of every branch: empty, ASCII, multi-byte,
    /// invalid (lone continuation, truncated sequence, overlong, surrogate,
    /// 0xFF), at and past the inline capacity and the 64-byte is_ascii cut.
    fn samples() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            "é€😀".as_bytes().to_vec(),
            b"\x80".to_vec(),
            b"ab\xc3".to_vec(),
            b"\xc0\xaf".to_vec(),
            b"\xed\xa0\x80".to_vec(),
            b"x\xffy".to_vec(),
        ];
        for len in [INLINE_CAP - 1, INLINE_CAP, INLINE_CAP + 1, 63, 64, 65] {
            v.push(vec![b'q'; len]);
            let mut bad = vec![b'q'; len];
            bad[len - 1] = 0xE2;
            v.push(bad);
            let mut multi = "é".repeat(len / 2).into_bytes();
            multi.truncate(len);
            v.push(multi);
        }
        v
    }

    #[test]
    fn every_constructor_yields_valid_text_or_the_lossy_decoding() {
        for raw in samples() {
            let lossy = String::from_utf8_lossy(&raw).into_owned();
            let valid = std::str::from_utf8(&raw).is_ok();
            let shared = Utf8Bytes::from_utf8_lossy(Bytes::from(raw.clone()));
            assert_eq!(read_back(&shared), lossy);
            assert_eq!(read_back(&Utf8Bytes::copy_from_utf8_lossy(&raw)), lossy);
            match Utf8Bytes::try_from(Bytes::from(raw.clone())) {
                Ok(t) => {
                    assert!(valid);
                    assert_eq!(read_back(&t), lossy);
                }
                Err(e) => {
                    assert!(!valid);
                    assert_eq!(
                        e.valid_up_to,
                        std::str::from_utf8(&raw).unwrap_err().valid_up_to()
                    );
                }
            }
            if raw.len() <= INLINE_CAP {
                // The window: with room past the value (the fixed-size copy,
                // whose extra bytes are invalid on purpose) and without.
                let mut padded = b"\xff\xff".to_vec();
                padded.extend_from_slice(&raw);
                padded.extend_from_slice(&[0xFF; INLINE_CAP]);
                let t = Utf8Bytes::inline_from_window_lossy(&padded, 2, raw.len());
                // (U+FFFD may make the text longer than the inline capacity.)
                assert_eq!(t.is_inline(), lossy.len() <= INLINE_CAP);
                assert_eq!(read_back(&t), lossy);
                let tight = &padded[..2 + raw.len()];
                let t = Utf8Bytes::inline_from_window_lossy(tight, 2, raw.len());
                assert_eq!(read_back(&t), lossy);
            }
            if let Ok(s) = std::str::from_utf8(&raw) {
                assert_eq!(read_back(&Utf8Bytes::from(s)), s);
                assert_eq!(read_back(&Utf8Bytes::from(s.to_string())), s);
                assert_eq!(read_back(&Utf8Bytes::from(&s.to_string())), s);
                assert_eq!(read_back(&Utf8Bytes::copy_from_str(s)), s);
            }
        }
        assert_eq!(read_back(&Utf8Bytes::default()), "");
        assert_eq!(read_back(&Utf8Bytes::from_static("stätic")), "stätic");
    }

    /// A window that runs past the end of its buffer is never read out of
    /// bounds, however `start` and `len` relate to it.
    #[test]
    fn window_past_the_end_of_the_buffer_is_clamped() {
        let src = b"abc";
        assert_eq!(Utf8Bytes::inline_from_window_lossy(src, 1, 2), "bc");
        assert_eq!(Utf8Bytes::inline_from_window_lossy(src, 3, 0), "");
    }

    /// The word test agrees with `is_ascii` at every length and position of
    /// a high byte, and ignores the bytes past `len`.
    #[test]
    fn ascii_prefix_agrees_with_is_ascii() {
        for len in 0..=INLINE_CAP {
            for high in 0..INLINE_CAP {
                let mut buf = [b'a'; INLINE_CAP];
                buf[high] = 0x80;
                assert_eq!(
                    is_ascii_prefix(&buf, len),
                    buf[..len].is_ascii(),
                    "{len} {high}"
                );
            }
            assert!(is_ascii_prefix(&[b'a'; INLINE_CAP], len));
        }
    }

    #[test]
    fn clone_shares_the_buffer() {
        let t = Utf8Bytes::from("shared".to_string());
        let c = t.clone();
        assert_eq!(t.as_bytes().as_ptr(), c.as_bytes().as_ptr());
    }

    #[test]
    fn short_copies_are_inline_and_long_ones_shared() {
        let short = "x".repeat(INLINE_CAP);
        let long = "x".repeat(INLINE_CAP + 1);
        assert!(Utf8Bytes::copy_from_str(&short).is_inline());
        assert!(!Utf8Bytes::copy_from_str(&long).is_inline());
        assert!(Utf8Bytes::from(short.as_str()).is_inline());
        assert_eq!(Utf8Bytes::copy_from_str(&short), short.as_str());
        assert_eq!(Utf8Bytes::copy_from_str(&long), long.as_str());
    }

    #[test]
    fn valid_bytes_keep_their_buffer() {
        let b = Bytes::from("a text longer than the inline capacity, shared".to_string());
        let t = Utf8Bytes::from_utf8_lossy(b.clone());
        assert_eq!(t.as_bytes().as_ptr(), b.as_ptr());
        let t = Utf8Bytes::try_from(b.clone()).unwrap();
        assert_eq!(t.as_bytes().as_ptr(), b.as_ptr());
    }

    #[test]
    fn inline_and_shared_text_compare_and_hash_alike() {
        use std::collections::hash_map::DefaultHasher;
        let inline = Utf8Bytes::copy_from_str("same");
        let shared = Utf8Bytes::from("same".to_string());
        assert!(inline.is_inline() && !shared.is_inline());
        assert_eq!(inline, shared);
        assert_eq!(inline.cmp(&shared), Ordering::Equal);
        let h = |t: &Utf8Bytes| {
            let mut s = DefaultHasher::new();
            t.hash(&mut s);
            s.finish()
        };
        assert_eq!(h(&inline), h(&shared));
        assert_eq!(&inline.to_bytes()[..], b"same");
        assert_eq!(&inline.into_bytes()[..], b"same");
    }

    #[test]
    fn value_is_no_larger_than_forty_bytes() {
        assert!(std::mem::size_of::<Utf8Bytes>() <= 40);
    }
}
