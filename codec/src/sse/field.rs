//! The field layer: splits one line into field name and value (§9.2.6, the
//! `field` production of §9.2.5).
//!
//! ```text
//!   "data: x:y"  ->  name "data", value "x:y"  (split at the FIRST ':',
//!                                               one leading space dropped)
//!   "data"       ->  name "data", value ""     (no ':' at all)
//! ```
//!
//! Two implementations live here: [`split_field`], hand-written on `memchr`
//! (the one the decoder uses), and [`split_field_nom`], the §9.2.5 grammar
//! written with `nom` combinators. A property test checks that they agree,
//! and `benches/sse_field.rs` times them side by side
//! (`cargo bench -p pushcodec --bench sse_field`). Measured (release, best of
//! 7, ns per line, hand-written vs nom): token lines (`id`/`event`/`data`)
//! 4.9 vs 7.8; a 4 KiB data value 4.7 vs 8.4; a 4 KiB line without ':' 39 vs
//! 1164 (memchr vs a byte loop); a bare `data` 5.4 vs 4.3. nom does not cost
//! nothing on the hot path (1.6x on ordinary lines, 30x on long colon-free
//! ones), so the decoder keeps the hand-written split; `nom` keeps its job
//! as the executable §9.2.5 grammar the fast path is tested against.
//!
//! This file depends on nothing but `memchr` and `nom` so the benchmark can
//! include it with `#[path]`.

use std::ops::Range;

/// Field name and value of one non-empty, non-comment line, as byte ranges
/// into that line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldRanges {
    /// The field name: everything before the first ':' (or the whole line).
    pub(crate) name: Range<usize>,
    /// The field value: after the first ':' and one optional space.
    pub(crate) value: Range<usize>,
}

/// Splits `line` at its first ':' (§9.2.6 "If the line contains a U+003A
/// COLON character"), dropping one leading U+0020 SPACE of the value; a line
/// without ':' is all name with an empty value (§9.2.6 "Otherwise").
///
/// A ':' byte never occurs inside a multi-byte UTF-8 sequence, so splitting
/// bytes gives the same result as splitting characters.
#[inline]
pub(crate) fn split_field(line: &[u8]) -> FieldRanges {
    // Fast path for the fields an event stream is made of: `data:`, `id:`,
    // `event:` at the start of the line end the name at a known ':' (the
    // names hold no ':'), with no scan (bench `compare`, token events).
    let known = match line.first() {
        Some(b'd') if line.starts_with(b"data:") => Some(4),
        Some(b'i') if line.starts_with(b"id:") => Some(2),
        Some(b'e') if line.starts_with(b"event:") => Some(5),
        _ => None,
    };
    match known.or_else(|| memchr::memchr(b':', line)) {
        None => FieldRanges {
            name: 0..line.len(),
            value: line.len()..line.len(),
        },
        Some(colon) => {
            let mut start = colon + 1;
            if line.get(start) == Some(&b' ') {
                start += 1;
            }
            FieldRanges {
                name: 0..colon,
                value: start..line.len(),
            }
        }
    }
}

/// The same split written as the §9.2.5 `field` production
/// (`1*name-char [ colon [ space ] *any-char ]`) with `nom`; the line end has
/// already been removed by the line layer.
#[allow(dead_code)] // used by tests and by benches/sse_field.rs
pub(crate) fn split_field_nom(line: &[u8]) -> FieldRanges {
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
        Ok((_, (name, Some(value)))) => FieldRanges {
            name: 0..name.len(),
            value: line.len() - value.len()..line.len(),
        },
        // `take_till` and `opt` cannot fail on complete input; a line with
        // no ':' is all name.
        Ok((_, (_, None))) | Err(_) => FieldRanges {
            name: 0..line.len(),
            value: line.len()..line.len(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(line: &str) -> (&str, &str) {
        let r = split_field(line.as_bytes());
        (&line[r.name], &line[r.value])
    }

    /// §9.2.6: field and value split at the first ':'.
    #[test]
    fn field_and_value_split_at_the_first_colon() {
        assert_eq!(split("data:a:b: c"), ("data", "a:b: c"));
    }

    /// §9.2.6: one leading space of the value is stripped, and only one.
    #[test]
    fn one_leading_space_of_the_value_is_stripped() {
        assert_eq!(split("data: x"), ("data", "x"));
        assert_eq!(split("data:  x"), ("data", " x"));
        assert_eq!(split("data:x "), ("data", "x "));
        assert_eq!(split("data:\tx"), ("data", "\tx"));
    }

    /// §9.2.6: a line with no ':' is a field with an empty value.
    #[test]
    fn line_without_colon_is_a_field_with_empty_value() {
        assert_eq!(split("data"), ("data", ""));
        assert_eq!(split("data "), ("data ", ""));
    }

    proptest! {
        /// The hand-written split agrees with the §9.2.5 grammar in nom.
        #[test]
        fn hand_written_split_agrees_with_the_nom_grammar(line in "[a :\u{e9}\t]{0,12}") {
            prop_assert_eq!(split_field(line.as_bytes()), split_field_nom(line.as_bytes()));
        }
    }
}
