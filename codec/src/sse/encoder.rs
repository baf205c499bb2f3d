//! [`SseEncoder`]: writes [`Outgoing`] items in the §9.2.5 event stream
//! format, so that the §9.2.6 interpretation gives them back.
//!
//! ```text
//!   OutgoingEvent { event: "t", id: "7", data: "a\r\nb" }
//!     ──▶  "event: t\n" "id: 7\n" "data: a\n" "data: b\n" "\n"
//! ```

use super::error::EncodeError;
use super::event::{Outgoing, OutgoingEvent};
use bytes::{BufMut, Bytes, BytesMut};
use tokio_util::codec::Encoder;

/// Encodes events, comments and retry fields as a `text/event-stream`.
///
/// Rules (each keeps decode(encode(x)) == x, §9.2.6):
/// * data containing CRLF, CR or LF is written as several `data:` lines; the
///   client receives the text with LF line ends;
/// * every value is written after `": "`, so a value that starts with a space
///   keeps it (§9.2.6 strips exactly one space);
/// * an `event` containing CR or LF, or an `id` containing CR, LF or NUL, is
///   refused with an [`EncodeError`] and nothing is written;
/// * a comment containing CR, LF or CRLF is split into several comment lines
///   (comments carry no meaning for `EventSource`, so splitting is harmless);
/// * an event with empty data is written as `data:` and still dispatches.
///
/// Lines end in LF only.
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::sse::{OutgoingEvent, SseEncoder};
/// use tokio_util::codec::Encoder;
///
/// let mut buf = BytesMut::new();
/// SseEncoder::new().encode(OutgoingEvent::new(" spaced\r\nend"), &mut buf).unwrap();
/// assert_eq!(&buf[..], b"data:  spaced\ndata: end\n\n");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SseEncoder {
    _private: (),
}

impl SseEncoder {
    /// A new encoder (it has no state).
    ///
    /// ```
    /// let enc = pushcodec::sse::SseEncoder::new();
    /// # let _ = enc;
    /// ```
    pub fn new() -> Self {
        SseEncoder { _private: () }
    }

    /// Encodes one item into a fresh buffer (one allocation), e.g. for an
    /// HTTP body chunk.
    ///
    /// ```
    /// use pushcodec::sse::{Outgoing, SseEncoder};
    /// use std::time::Duration;
    /// let b = SseEncoder::encode_to_bytes(&Outgoing::Retry(Duration::from_millis(2500))).unwrap();
    /// assert_eq!(&b[..], b"retry: 2500\n");
    /// ```
    pub fn encode_to_bytes(item: &Outgoing) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::new();
        encode_item(item, &mut buf)?;
        Ok(buf.freeze())
    }
}

/// The first byte of `text` that `find` (a memchr search) finds, with its
/// index.
fn find_forbidden(text: &[u8], find: impl Fn(&[u8]) -> Option<usize>) -> Option<(usize, u8)> {
    find(text).map(|i| (i, text[i]))
}

/// Checks the fields that cannot be split (§9.2.5 `any-char`; §9.2.6 "id").
fn validate(ev: &OutgoingEvent) -> Result<(), EncodeError> {
    if let Some(event) = &ev.event {
        if let Some((index, byte)) =
            find_forbidden(event.as_bytes(), |t| memchr::memchr2(b'\r', b'\n', t))
        {
            return Err(EncodeError::InvalidEventType { index, byte });
        }
    }
    if let Some(id) = &ev.id {
        if let Some((index, byte)) =
            find_forbidden(id.as_bytes(), |t| memchr::memchr3(b'\r', b'\n', 0, t))
        {
            return Err(EncodeError::InvalidId { index, byte });
        }
    }
    Ok(())
}

/// Writes `name: value\n` (`name:` alone for an empty value).
fn put_field(dst: &mut BytesMut, name: &[u8], value: &[u8]) {
    dst.reserve(name.len() + value.len() + 3);
    dst.put_slice(name);
    dst.put_u8(b':');
    if !value.is_empty() {
        dst.put_u8(b' ');
        dst.put_slice(value);
    }
    dst.put_u8(b'\n');
}

/// Writes `text` as one `name:` line per line of text, splitting at CRLF, CR
/// or LF (the §9.2.6 line ends).
fn put_multiline(dst: &mut BytesMut, name: &[u8], text: &[u8]) {
    let mut rest = text;
    loop {
        match memchr::memchr2(b'\r', b'\n', rest) {
            None => return put_field(dst, name, rest),
            Some(i) => {
                put_field(dst, name, &rest[..i]);
                let crlf = rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n');
                rest = &rest[i + if crlf { 2 } else { 1 }..];
            }
        }
    }
}

fn encode_event(ev: &OutgoingEvent, dst: &mut BytesMut) -> Result<(), EncodeError> {
    validate(ev)?;
    dst.reserve(ev.data.len() + 16);
    if let Some(event) = &ev.event {
        put_field(dst, b"event", event.as_bytes());
    }
    if let Some(id) = &ev.id {
        put_field(dst, b"id", id.as_bytes());
    }
    put_multiline(dst, b"data", ev.data.as_bytes());
    dst.put_u8(b'\n');
    Ok(())
}

fn encode_item(item: &Outgoing, dst: &mut BytesMut) -> Result<(), EncodeError> {
    match item {
        Outgoing::Event(ev) => encode_event(ev, dst),
        Outgoing::Comment(text) => {
            put_multiline(dst, b"", text.as_bytes());
            Ok(())
        }
        Outgoing::Retry(delay) => {
            let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            put_field(dst, b"retry", ms.to_string().as_bytes());
            Ok(())
        }
    }
}

impl Encoder<Outgoing> for SseEncoder {
    type Error = EncodeError;

    fn encode(&mut self, item: Outgoing, dst: &mut BytesMut) -> Result<(), EncodeError> {
        encode_item(&item, dst)
    }
}

impl Encoder<OutgoingEvent> for SseEncoder {
    type Error = EncodeError;

    fn encode(&mut self, item: OutgoingEvent, dst: &mut BytesMut) -> Result<(), EncodeError> {
        encode_event(&item, dst)
    }
}

impl<'a> Encoder<&'a Outgoing> for SseEncoder {
    type Error = EncodeError;

    fn encode(&mut self, item: &'a Outgoing, dst: &mut BytesMut) -> Result<(), EncodeError> {
        encode_item(item, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn enc(item: impl Into<Outgoing>) -> Result<Vec<u8>, EncodeError> {
        SseEncoder::encode_to_bytes(&item.into()).map(|b| b.to_vec())
    }

    #[test]
    fn multi_line_data_is_written_as_several_data_lines() {
        assert_eq!(
            enc(OutgoingEvent::new("a\r\nb\rc\nd")).unwrap(),
            b"data: a\ndata: b\ndata: c\ndata: d\n\n"
        );
        assert_eq!(
            enc(OutgoingEvent::new("a\n")).unwrap(),
            b"data: a\ndata:\n\n"
        );
    }

    #[test]
    fn value_starting_with_a_space_keeps_it() {
        assert_eq!(
            enc(OutgoingEvent::new(" x").id(" 1")).unwrap(),
            b"id:  1\ndata:  x\n\n"
        );
    }

    #[test]
    fn event_type_with_cr_or_lf_is_refused() {
        for (name, index, byte) in [("a\rb", 1, b'\r'), ("ab\n", 2, b'\n')] {
            let err = enc(OutgoingEvent::new("x").event(name)).unwrap_err();
            assert!(
                matches!(err, EncodeError::InvalidEventType { index: i, byte: b } if i == index && b == byte)
            );
        }
    }

    #[test]
    fn id_with_cr_lf_or_nul_is_refused() {
        for (id, byte) in [("1\r", b'\r'), ("1\n", b'\n'), ("1\0", 0)] {
            let err = enc(OutgoingEvent::new("x").id(id)).unwrap_err();
            assert!(matches!(err, EncodeError::InvalidId { index: 1, byte: b } if b == byte));
        }
    }

    #[test]
    fn refused_event_writes_nothing() {
        let mut buf = BytesMut::from("kept");
        let r = SseEncoder::new().encode(OutgoingEvent::new("x").event("a").id("\n"), &mut buf);
        assert!(r.is_err());
        assert_eq!(&buf[..], b"kept");
    }

    #[test]
    fn event_with_empty_data_still_dispatches() {
        assert_eq!(enc(OutgoingEvent::new("")).unwrap(), b"data:\n\n");
    }

    #[test]
    fn comment_with_line_breaks_is_split_into_comment_lines() {
        assert_eq!(
            enc(Outgoing::Comment("a\r\nb\nc".into())).unwrap(),
            b": a\n: b\n: c\n"
        );
        assert_eq!(enc(Outgoing::Comment("".into())).unwrap(), b":\n");
    }

    #[test]
    fn retry_is_written_in_whole_milliseconds() {
        assert_eq!(
            enc(Outgoing::Retry(Duration::from_micros(1_500_900))).unwrap(),
            b"retry: 1500\n"
        );
        assert_eq!(
            enc(Outgoing::Retry(Duration::MAX)).unwrap(),
            format!("retry: {}\n", u64::MAX).as_bytes()
        );
    }
}
