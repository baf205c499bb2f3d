//! [`Utf8Bytes`]: a [`Bytes`] buffer known to hold valid UTF-8.
//!
//! WebSocket text messages and SSE event fields are handed out as slices of the
//! read buffer. Wrapping them in `Utf8Bytes` keeps that zero-copy property
//! while giving the user a `&str` without a copy. Every constructor checks
//! the bytes, so getting the `&str` cannot fail; it is not free, though: the
//! crate forbids `unsafe`, so `as_str` (and `Deref`, `Display`, `Debug`)
//! re-run the UTF-8 check, with SIMD (`simdutf8`, many GB/s, O(n)).
//! Comparisons with `&str` compare bytes and skip it.

use bytes::Bytes;
use std::fmt;
use std::ops::Deref;

/// Immutable, cheaply clonable UTF-8 text backed by [`Bytes`].
///
/// Cloning and slicing never copy the text. The only ways to build one check
/// the bytes (or start from a `&str`/`String`, which are valid already), so
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
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf8Bytes(Bytes);

impl Utf8Bytes {
    /// Wraps a static string without copying it.
    ///
    /// ```
    /// let t = pushcodec::Utf8Bytes::from_static("x");
    /// assert_eq!(&*t, "x");
    /// ```
    pub const fn from_static(s: &'static str) -> Self {
        Utf8Bytes(Bytes::from_static(s.as_bytes()))
    }

    /// Wraps `bytes` without checking them.
    ///
    /// This is not `unsafe` (nothing in this crate relies on the invariant for
    /// memory safety), but [`Utf8Bytes::as_str`] panics if the bytes are not
    /// UTF-8, so it is crate-private: every caller has validated `bytes` just
    /// before.
    pub(crate) fn from_bytes_unchecked(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Utf8Bytes(bytes)
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
        simdutf8::basic::from_utf8(&self.0).expect("Utf8Bytes holds valid UTF-8 by construction")
    }

    /// The underlying bytes (a cheap, reference-counted clone).
    ///
    /// ```
    /// let t = pushcodec::Utf8Bytes::from_static("ab");
    /// assert_eq!(&t.as_bytes()[..], b"ab");
    /// ```
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    /// Unwraps into the underlying [`Bytes`].
    ///
    /// ```
    /// let b: bytes::Bytes = pushcodec::Utf8Bytes::from_static("ab").into_bytes();
    /// assert_eq!(&b[..], b"ab");
    /// ```
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    ///
    /// ```
    /// assert_eq!(pushcodec::Utf8Bytes::from_static("é").len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    ///
    /// ```
    /// assert!(pushcodec::Utf8Bytes::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
        &self.0
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
        Utf8Bytes(Bytes::from(s))
    }
}

impl From<&'static str> for Utf8Bytes {
    fn from(s: &'static str) -> Self {
        Utf8Bytes::from_static(s)
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(t: Utf8Bytes) -> Bytes {
        t.0
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
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
            Ok(_) => Ok(Utf8Bytes(b)),
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
}
