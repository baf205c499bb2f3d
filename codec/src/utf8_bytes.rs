//! [`Utf8Bytes`]: text known to be valid UTF-8, either a [`Bytes`] slice
//! (zero-copy, reference-counted) or, for short text, held inline.
//!
//! WebSocket text messages and SSE event fields are handed out as slices of the
//! read buffer. Wrapping them in `Utf8Bytes` keeps that zero-copy property
//! while giving the user a `&str` without a copy. Every constructor checks
//! the bytes, so getting the `&str` cannot fail; it is not free, though: the
//! crate forbids `unsafe`, so `as_str` (and `Deref`, `Display`, `Debug`)
//! re-run the UTF-8 check, with SIMD (`simdutf8`, many GB/s, O(n)).
//! Comparisons with `&str` compare bytes and skip it.
//!
//! **Short text is copied, not shared.** The SSE decoder stores values of at
//! most [`Utf8Bytes::INLINE_CAPACITY`] bytes (event types, IDs, token-sized
//! data) inside the value: copying 38 bytes costs less than the atomic
//! reference-count increment and decrement a shared slice costs, and a value
//! that does not point into the read buffer lets that buffer be reused
//! instead of reallocated (`BytesMut::reserve` reclaims a buffer only while
//! nothing else refers to it). Measured in `BENCHMARKS.md` (SSE token
//! events). Longer values stay zero-copy slices.

use bytes::Bytes;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Immutable, cheaply clonable UTF-8 text: a [`Bytes`] slice, or up to
/// [`Utf8Bytes::INLINE_CAPACITY`] bytes held inline.
///
/// Cloning and slicing never copy shared text; inline text is copied with
/// the value (it is at most 38 bytes). The only ways to build one check the
/// bytes (or start from a `&str`/`String`, which are valid already), so
/// [`Utf8Bytes::as_str`] never fails.
///
/// ```
/// use pushcodec::Utf8Bytes;
/// let t = Utf8Bytes::from_static("héllo");
/// assert_eq!(t.as_str(), "héllo");
/// assert_eq!(t.len(), 6);
/// let b = bytes::Bytes::from_static(b"\xff");
/// assert!(Utf8Bytes::try_from(b).is_err());
/// ```
#[derive(Clone)]
pub struct Utf8Bytes(Repr);

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
    /// [`Utf8Bytes::INLINE_CAPACITY`] bytes, else one allocation.
    ///
    /// ```
    /// let t = pushcodec::Utf8Bytes::copy_from_str("token");
    /// assert!(t.is_inline());
    /// assert_eq!(t, "token");
    /// ```
    pub fn copy_from_str(s: &str) -> Self {
        Utf8Bytes::copy_from_slice_unchecked(s.as_bytes())
    }

    /// Wraps `bytes` without checking them.
    ///
    /// This is not `unsafe` (nothing in this crate relies on the invariant for
    /// memory safety), but [`Utf8Bytes::as_str`] panics if the bytes are not
    /// UTF-8, so it is crate-private: every caller has validated `bytes` just
    /// before.
    pub(crate) fn from_bytes_unchecked(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Utf8Bytes(Repr::Shared(bytes))
    }

    /// A copy of `bytes` (inline if short), without checking them (see
    /// [`Utf8Bytes::from_bytes_unchecked`]).
    pub(crate) fn copy_from_slice_unchecked(bytes: &[u8]) -> Self {
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        if bytes.len() <= INLINE_CAP {
            let mut buf = [0; INLINE_CAP];
            buf[..bytes.len()].copy_from_slice(bytes);
            Utf8Bytes(Repr::Inline {
                len: bytes.len() as u8,
                buf,
            })
        } else {
            Utf8Bytes(Repr::Shared(Bytes::copy_from_slice(bytes)))
        }
    }

    /// `src[start..start + len]` held inline (`len` at most
    /// [`Utf8Bytes::INLINE_CAPACITY`]), without checking it is UTF-8 (see
    /// [`Utf8Bytes::from_bytes_unchecked`]). Copies a fixed-size window when
    /// `src` has one: a constant-size copy compiles to a few vector moves,
    /// where a variable-length one calls `memmove` (and its odd-sized stores
    /// then stall the loads that move the value: `perf`, SSE token events).
    /// The bytes past `len` are never read.
    #[inline]
    pub(crate) fn inline_from_window(src: &[u8], start: usize, len: usize) -> Self {
        debug_assert!(len <= INLINE_CAP);
        debug_assert!(std::str::from_utf8(&src[start..start + len]).is_ok());
        let buf = match src.get(start..start + INLINE_CAP) {
            // `get` gave exactly INLINE_CAP bytes: the conversion cannot fail.
            Some(window) => <[u8; INLINE_CAP]>::try_from(window).unwrap_or([0; INLINE_CAP]),
            None => {
                let mut buf = [0; INLINE_CAP];
                buf[..len].copy_from_slice(&src[start..start + len]);
                buf
            }
        };
        Utf8Bytes(Repr::Inline {
            len: len as u8,
            buf,
        })
    }

    /// The text's bytes.
    #[inline]
    fn slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Shared(b) => b,
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
        }
    }

    /// The text as a string slice, without a copy. Each call re-checks the
    /// UTF-8 (O(n), SIMD-fast; cannot fail, the constructors checked it): our
    /// crate forbids the `unsafe` that skipping it would need. Keep the
    /// `&str` rather than calling this in a loop over a large text.
    ///
    /// ```
    /// let t = pushcodec::Utf8Bytes::from("abc".to_string());
    /// assert_eq!(t.as_str(), "abc");
    /// ```
    pub fn as_str(&self) -> &str {
        // The constructors guarantee valid UTF-8; `expect` documents that an
        // invariant (not input) failed if it ever fires.
        simdutf8::basic::from_utf8(self.slice())
            .expect("Utf8Bytes holds valid UTF-8 by construction")
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

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Self {
        Utf8Bytes(Repr::Shared(Bytes::from(s)))
    }
}

impl From<&'static str> for Utf8Bytes {
    fn from(s: &'static str) -> Self {
        Utf8Bytes::from_static(s)
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 at byte {valid_up_to}")]
pub struct NotUtf8 {
    /// Length of the longest valid prefix.
    pub valid_up_to: usize,
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = NotUtf8;
    fn try_from(b: Bytes) -> Result<Self, NotUtf8> {
        match simdutf8::compat::from_utf8(&b) {
            Ok(_) => Ok(Utf8Bytes(Repr::Shared(b))),
            Err(e) => Err(NotUtf8 {
                valid_up_to: e.valid_up_to(),
            }),
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Utf8Bytes {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Utf8Bytes::from(String::arbitrary(u)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_from_rejects_invalid_and_reports_position() {
        let err = Utf8Bytes::try_from(Bytes::from_static(b"ab\xc3")).unwrap_err();
        assert_eq!(err.valid_up_to, 2);
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
        assert_eq!(Utf8Bytes::copy_from_str(&short), short.as_str());
        assert_eq!(Utf8Bytes::copy_from_str(&long), long.as_str());
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
