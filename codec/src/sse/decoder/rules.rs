//! The rules of WHATWG HTML §9.2.6 "interpreting an event stream" that
//! look at bytes, each once, as a pure function. The decoder (`mod.rs`)
//! finds lines (`line.rs`, `scan.rs`), asks these functions what a line
//! means, and keeps the buffers; it never re-derives a rule.
//!
//! ```text
//!   ":  note"      -> Field::Comment(" note")   (one space dropped)
//!   "data: x:y"    -> Field::Data("x:y")        (split at the FIRST ':',
//!   "data"         -> Field::Data("")            one leading space dropped)
//!   "Data: x"      -> Field::Ignored            (names compared literally)
//!   "id: 1\0"      -> Field::Id, not accepted   (NUL)
//!   "retry: 10s"   -> Field::Retry, no value    (ASCII digits only)
//! ```
//!
//! This file depends on nothing but `std`, `memchr` and `nom`, so that
//! `benches/sse_field.rs` can include it with `#[path]`.

use std::ops::Range;

/// The UTF-8 byte order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The event type of an event whose event type buffer is empty (dispatch
/// step 6).
pub(crate) const DEFAULT_EVENT_TYPE: &str = "message";

/// What the start of a stream holds, for the BOM rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bom {
    /// No BOM: the stream starts with its first line.
    Absent,
    /// The bytes so far are a proper prefix of a BOM: wait for more.
    Incomplete,
    /// A BOM: skip these 3 bytes.
    Present,
}

/// §9.2.6 "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order
/// Mark (BOM), if any": `start` is the beginning of the stream (possibly
/// only its first byte or two, when it arrives split).
#[inline]
pub(crate) fn bom(start: &[u8]) -> Bom {
    let n = start.len().min(BOM.len());
    if start[..n] != BOM[..n] {
        Bom::Absent
    } else if n < BOM.len() {
        Bom::Incomplete
    } else {
        Bom::Present
    }
}

/// What one non-empty line is (§9.2.6, the `field` and `comment`
/// productions of §9.2.5); ranges index the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    /// "If the line starts with a U+003A COLON character": a comment; the
    /// range is its text after the ':' and one optional space (reported
    /// only when the decoder is asked to).
    Comment(Range<usize>),
    /// "If the field name is data": the value.
    Data(Range<usize>),
    /// "If the field name is event": the value.
    Event(Range<usize>),
    /// "If the field name is id": the value (see [`accepts_id`]).
    Id(Range<usize>),
    /// "If the field name is retry": the value (see [`retry_millis`]).
    Retry(Range<usize>),
    /// "Otherwise: The field is ignored."
    Ignored,
}

/// §9.2.6 "If the line contains a U+003A COLON character": the value is
/// what follows the first ':', without one leading U+0020 SPACE. (Also the
/// text of a comment.)
#[inline(always)]
fn value_after(line: &[u8], colon: usize) -> Range<usize> {
    let mut start = colon + 1;
    if line.get(start) == Some(&b' ') {
        start += 1;
    }
    start..line.len()
}

/// §9.2.6 field dispatch for one non-empty line: comment or field; the
/// field name is everything up to the first ':' (or the whole line, then
/// with an empty value, "Otherwise, the string is not empty but does not
/// contain a U+003A COLON character"), "compared literally, with no case
/// folding performed".
///
/// A ':' byte never occurs inside a multi-byte UTF-8 sequence, and lossy
/// decoding never turns invalid bytes into ':' or ' ' nor swallows an
/// ASCII byte, so splitting the raw bytes gives the same name and value as
/// splitting the decoded text: values are decoded later, once
/// (`Utf8Bytes`).
#[inline(always)]
pub(crate) fn field(line: &[u8]) -> Field {
    // The names an event stream is made of end at a known ':' (they hold
    // none), so the usual lines need no search for it.
    match line.first() {
        Some(b':') => return Field::Comment(value_after(line, 0)),
        Some(b'd') if line.starts_with(b"data:") => return Field::Data(value_after(line, 4)),
        Some(b'i') if line.starts_with(b"id:") => return Field::Id(value_after(line, 2)),
        Some(b'e') if line.starts_with(b"event:") => return Field::Event(value_after(line, 5)),
        _ => {}
    }
    let (name, value) = match memchr::memchr(b':', line) {
        Some(colon) => (&line[..colon], value_after(line, colon)),
        None => (line, line.len()..line.len()),
    };
    match name {
        b"data" => Field::Data(value),
        b"event" => Field::Event(value),
        b"id" => Field::Id(value),
        b"retry" => Field::Retry(value),
        _ => Field::Ignored,
    }
}

/// §9.2.6 "If the field name is id": "If the field value does not contain
/// U+0000 NULL, then set the last event ID buffer to the field value.
/// Otherwise, ignore the field." (U+0000 is the byte 0 in UTF-8, and lossy
/// decoding never produces it.) IDs are short: a plain loop, `memchr`
/// (whose call set-up costs more than a short search) for long ones.
#[inline]
pub(crate) fn accepts_id(value: &[u8]) -> bool {
    #[allow(clippy::manual_contains)]
    if value.len() < 32 {
        !value.iter().any(|&b| b == 0)
    } else {
        memchr::memchr(0, value).is_none()
    }
}

/// §9.2.6 "If the field name is retry": "If the field value consists of
/// only ASCII digits, then interpret the field value as an integer in base
/// ten, and set the event stream's reconnection time to that integer.
/// Otherwise, ignore the field." An empty value is not an integer; a value
/// beyond `u64::MAX` milliseconds saturates.
#[inline]
pub(crate) fn retry_millis(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    // One pass: checks the digits and accumulates.
    value.iter().try_fold(0u64, |acc, &d| {
        d.is_ascii_digit()
            .then(|| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')))
    })
}

/// §9.2.6 "If the field name is data": "Append the field value to the data
/// buffer, then append a single U+000A LINE FEED (LF) character to the data
/// buffer." Dispatch step 3 removes the last LF, so the decoder stores the
/// LFs as separators only: the buffer's length after appending a value of
/// `value` bytes to one of `data` bytes (`None`: no data line yet).
#[inline]
pub(crate) fn data_len_after(data: Option<usize>, value: usize) -> usize {
    match data {
        None => value,
        Some(len) => len.saturating_add(1).saturating_add(value),
    }
}

/// What `max_event_size` bounds (the decoder's own limit; §9.2.6 has
/// none): the data buffer without its trailing LF plus the event type
/// buffer, in bytes as received (a value's U+FFFD replacements are counted
/// when the event is built, see `SseDecoderBuilder::max_event_size`).
#[inline]
pub(crate) fn event_size(data: usize, event_type: usize) -> usize {
    data.saturating_add(event_type)
}

/// The field split of [`field`] written as the §9.2.5 `field` production
/// (`1*name-char [ colon [ space ] *any-char ]`) with `nom`: (name, value)
/// ranges of a non-comment line. Not used by the decoder: the executable
/// grammar the hand-written split is tested against (and timed against in
/// `benches/sse_field.rs`, which chose the hand-written one).
#[allow(dead_code)]
pub(crate) fn split_field_nom(line: &[u8]) -> (Range<usize>, Range<usize>) {
    use nom::bytes::complete::{tag, take_till};
    use nom::combinator::{opt, rest};
    use nom::sequence::preceded;
    use nom::{IResult, Parser};

    /// (name, optional value)
    type Split<'a> = (&'a [u8], Option<&'a [u8]>);
    let parsed: IResult<&[u8], Split<'_>> = (
        take_till(|b| b == b':'),
        opt(preceded((tag(&b":"[..]), opt(tag(&b" "[..]))), rest)),
    )
        .parse(line);
    match parsed {
        Ok((_, (name, Some(value)))) => (0..name.len(), line.len() - value.len()..line.len()),
        // `take_till` and `opt` cannot fail on complete input; a line with
        // no ':' is all name.
        Ok((_, (_, None))) | Err(_) => (0..line.len(), line.len()..line.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value_of(line: &str) -> (&'static str, &str) {
        let (kind, r) = match field(line.as_bytes()) {
            Field::Comment(r) => ("comment", r),
            Field::Data(r) => ("data", r),
            Field::Event(r) => ("event", r),
            Field::Id(r) => ("id", r),
            Field::Retry(r) => ("retry", r),
            Field::Ignored => return ("ignored", ""),
        };
        (kind, &line[r])
    }

    /// §9.2.6: field and value split at the first ':'.
    #[test]
    fn field_and_value_split_at_the_first_colon() {
        assert_eq!(value_of("data:a:b: c"), ("data", "a:b: c"));
        assert_eq!(value_of("retry:1:2"), ("retry", "1:2"));
    }

    /// §9.2.6: one leading space of the value is stripped, and only one.
    #[test]
    fn one_leading_space_of_the_value_is_stripped() {
        assert_eq!(value_of("data: x"), ("data", "x"));
        assert_eq!(value_of("data:  x"), ("data", " x"));
        assert_eq!(value_of("data:x "), ("data", "x "));
        assert_eq!(value_of("data:\tx"), ("data", "\tx"));
        assert_eq!(value_of(":  c"), ("comment", " c"));
    }

    /// §9.2.6: a line with no ':' is a field with an empty value.
    #[test]
    fn line_without_colon_is_a_field_with_empty_value() {
        assert_eq!(value_of("data"), ("data", ""));
        assert_eq!(value_of("id"), ("id", ""));
        assert_eq!(value_of("data "), ("ignored", ""));
    }

    /// §9.2.6: names compared literally.
    #[test]
    fn field_names_are_compared_literally() {
        assert_eq!(value_of("Data: x"), ("ignored", ""));
        assert_eq!(value_of("datax: x"), ("ignored", ""));
        assert_eq!(value_of("retryx: 1"), ("ignored", ""));
        assert_eq!(value_of("event : x"), ("ignored", ""));
    }

    #[test]
    fn id_with_nul_is_not_accepted_short_or_long() {
        assert!(accepts_id(b"41"));
        assert!(!accepts_id(b"4\x001"));
        let mut long = vec![b'7'; 100];
        assert!(accepts_id(&long));
        long[77] = 0;
        assert!(!accepts_id(&long));
    }

    #[test]
    fn retry_is_ascii_digits_only_and_saturates() {
        assert_eq!(retry_millis(b"007"), Some(7));
        for bad in [&b""[..], b" 5", b"5 ", b"+5", b"-1", b"1.5", "٣".as_bytes()] {
            assert_eq!(retry_millis(bad), None, "{bad:?}");
        }
        assert_eq!(retry_millis(b"99999999999999999999999"), Some(u64::MAX));
    }

    #[test]
    fn bom_is_recognised_whole_split_or_absent() {
        assert_eq!(bom(b"\xEF\xBB\xBFdata"), Bom::Present);
        assert_eq!(bom(b"\xEF\xBB"), Bom::Incomplete);
        assert_eq!(bom(b""), Bom::Incomplete);
        assert_eq!(bom(b"\xEF\xBBx"), Bom::Absent);
        assert_eq!(bom(b"data"), Bom::Absent);
    }

    proptest! {
        /// The hand-written split agrees with the §9.2.5 grammar in nom, and
        /// the kind follows the literal name.
        #[test]
        fn field_agrees_with_the_nom_grammar(line in "[a-z :\u{e9}\t]{1,12}") {
            let b = line.as_bytes();
            prop_assume!(b[0] != b':');
            let (name, value) = split_field_nom(b);
            let want = match &b[name] {
                b"data" => Field::Data(value),
                b"event" => Field::Event(value),
                b"id" => Field::Id(value),
                b"retry" => Field::Retry(value),
                _ => Field::Ignored,
            };
            prop_assert_eq!(field(b), want);
        }
    }
}
