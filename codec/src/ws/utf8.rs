//! Incremental UTF-8 validation for fragmented text messages (RFC 6455
//! §8.1, §5.6).
//!
//! [`Utf8Validator::feed`] takes the fragments of a message one by one and
//! fails as soon as the bytes received so far cannot be the prefix of any
//! valid UTF-8 string — not only when the message ends. Only the (at most 3)
//! bytes of a code point cut by a fragment boundary are carried over; each
//! byte is validated once by `simdutf8` (bytes of a cut code point twice).
//!
//! ```
//! use pushcodec::ws::utf8::Utf8Validator;
//! // "€" (E2 82 AC) cut across two fragments, then a byte no UTF-8 string has:
//! let mut v = Utf8Validator::new();
//! v.feed(b"price: \xe2\x82").unwrap();
//! v.feed(b"\xac 5").unwrap();
//! assert_eq!(v.feed(b" \xff").unwrap_err().offset, 13); // 1007, before the message ends
//! ```

/// Where incremental validation failed.
///
/// ```
/// let e = pushcodec::ws::utf8::Utf8Validator::new().feed(b"ab\xff").unwrap_err();
/// assert_eq!(e.offset, 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Utf8PrefixError {
    /// Offset of the offending sequence from the start of the whole input.
    pub offset: usize,
}

/// Incremental UTF-8 validator.
///
/// ```
/// use pushcodec::ws::utf8::Utf8Validator;
/// let mut v = Utf8Validator::new();
/// v.feed(b"caf\xc3").unwrap();      // "é" cut in half: still a valid prefix
/// v.feed(b"\xa9!").unwrap();
/// v.finish().unwrap();
///
/// let mut v = Utf8Validator::new();
/// assert!(v.feed(b"\xc3\x28").is_err()); // fails at once, not at the end
/// ```
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    /// Bytes of an incomplete code point at the end of the input so far.
    partial: [u8; 4],
    partial_len: usize,
    /// Bytes fed so far.
    consumed: usize,
}

impl Utf8Validator {
    /// A validator at the start of a message.
    ///
    /// ```
    /// pushcodec::ws::utf8::Utf8Validator::new().finish().unwrap();
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates the next piece of input. Errors as soon as the input so far
    /// is not a prefix of valid UTF-8.
    ///
    /// ```
    /// let mut v = pushcodec::ws::utf8::Utf8Validator::new();
    /// v.feed("€".as_bytes().split_at(1).0).unwrap();
    /// ```
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), Utf8PrefixError> {
        let chunk_start = self.consumed;
        self.consumed += chunk.len();
        // Short ASCII pieces (token frames, JSON) need no decoder: a word
        // test is cheaper than simdutf8's short-input fallback (bench
        // `compare`, 16-byte text frames). Longer input goes to simdutf8,
        // which has its own ASCII fast path.
        if self.partial_len == 0 && chunk.len() <= 128 && chunk.is_ascii() {
            return Ok(());
        }
        if self.partial_len > 0 {
            // Complete the code point cut by the previous boundary.
            let p = self.partial_len;
            let take = (4 - p).min(chunk.len());
            let mut tmp = self.partial;
            tmp[p..p + take].copy_from_slice(&chunk[..take]);
            let used = match std::str::from_utf8(&tmp[..p + take]) {
                Ok(_) => take,
                Err(e) if e.valid_up_to() >= p => e.valid_up_to() - p,
                Err(e) => {
                    if e.error_len().is_some() {
                        return Err(Utf8PrefixError {
                            offset: chunk_start - p,
                        });
                    }
                    // Still incomplete: the whole chunk was too short.
                    self.partial = tmp;
                    self.partial_len = p + take;
                    return Ok(());
                }
            };
            self.partial_len = 0;
            chunk = &chunk[used..];
        }
        let base = self.consumed - chunk.len();
        match simdutf8::compat::from_utf8(chunk) {
            Ok(_) => Ok(()),
            Err(e) => {
                let at = e.valid_up_to();
                if e.error_len().is_some() {
                    return Err(Utf8PrefixError { offset: base + at });
                }
                let rest = &chunk[at..];
                self.partial[..rest.len()].copy_from_slice(rest);
                self.partial_len = rest.len();
                Ok(())
            }
        }
    }

    /// Ends the message: errors if it stops in the middle of a code point.
    ///
    /// ```
    /// let mut v = pushcodec::ws::utf8::Utf8Validator::new();
    /// v.feed(b"\xe2\x82").unwrap();
    /// assert!(v.finish().is_err());
    /// ```
    pub fn finish(&self) -> Result<(), Utf8PrefixError> {
        if self.partial_len > 0 {
            Err(Utf8PrefixError {
                offset: self.consumed - self.partial_len,
            })
        } else {
            Ok(())
        }
    }

    /// Resets for a new message.
    ///
    /// ```
    /// let mut v = pushcodec::ws::utf8::Utf8Validator::new();
    /// v.feed(b"\xe2").unwrap();
    /// v.reset();
    /// v.finish().unwrap();
    /// ```
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_all_splits(input: &[u8]) {
        let whole = std::str::from_utf8(input);
        for cut in 0..=input.len() {
            let (a, b) = input.split_at(cut);
            let mut v = Utf8Validator::new();
            let r = v.feed(a).and_then(|_| v.feed(b)).and_then(|_| v.finish());
            assert_eq!(r.is_ok(), whole.is_ok(), "{input:x?} cut {cut}");
            // Fail-fast: the first piece fails iff it is not a valid prefix.
            let mut v = Utf8Validator::new();
            let prefix_bad = matches!(std::str::from_utf8(a), Err(e) if e.error_len().is_some());
            assert_eq!(v.feed(a).is_err(), prefix_bad, "{input:x?} cut {cut}");
        }
    }

    #[test]
    fn agrees_with_std_on_edge_sequences() {
        let cases: &[&[u8]] = &[
            b"",
            b"ascii",
            "κόσμε".as_bytes(),
            "𝄞 clef".as_bytes(),
            b"\xed\xa0\x80",     // surrogate
            b"\xf4\x90\x80\x80", // > U+10FFFF
            b"\xc0\xaf",         // overlong
            b"\xe0\x80\xaf",     // overlong 3-byte
            b"\xf0\x9f\x98",     // truncated emoji
            b"ab\xf0\x9f\x98\x80cd",
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
        ];
        for c in cases {
            check_all_splits(c);
        }
    }

    #[test]
    fn byte_by_byte_fails_at_the_first_impossible_byte() {
        // Autobahn 6.3.1-style: valid text followed by a surrogate.
        let input = b"\xce\xba\xe1\xbd\xb9\xed\xa0\x80";
        let mut v = Utf8Validator::new();
        for (i, byte) in input.iter().enumerate() {
            let r = v.feed(std::slice::from_ref(byte));
            if i < 6 {
                r.unwrap();
            } else {
                assert_eq!(
                    r.unwrap_err().offset,
                    5,
                    "fails at the second byte of ED A0"
                );
                return;
            }
        }
        panic!("did not fail");
    }
}
