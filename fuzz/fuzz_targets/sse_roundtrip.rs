//! `sse_roundtrip`: arbitrary events, comments and retry values → encode →
//! decode (split into arbitrary reads) → equal, after newline normalisation.
//!
//! Laws:
//! * the encoder refuses exactly the items it must: an event type with CR
//!   or LF, an id with CR, LF or NUL (§9.2.5 `any-char`, §9.2.6 "id"), with
//!   the first offending byte and its index, writing nothing; everything
//!   else is accepted;
//! * decoding what was written gives back every accepted item: events with
//!   data CRLF/CR → LF, the type `message` for a missing or empty type, the
//!   last id seen so far (an empty id resets it); a comment as one comment
//!   per line; a retry as its whole milliseconds (saturating at u64::MAX).
#![no_main]

use arbitrary::Arbitrary;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pushcodec::sse::{EncodeError, Event, Outgoing, SseDecoder, SseEncoder, SseItem};
use pushcodec::Utf8Bytes;
use pushcodec_fuzz::reads_by_sizes;
use std::time::Duration;
use tokio_util::codec::{Decoder, Encoder};

#[derive(Debug, Arbitrary)]
struct Input {
    items: Vec<Outgoing>,
    splits: Vec<u8>,
}

/// Splits text at CRLF, CR or LF (the §9.2.6 line ends).
fn lines(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(String::new());
            }
            '\n' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

fn first_of(text: &str, forbidden: &[u8]) -> Option<(usize, u8)> {
    text.bytes()
        .enumerate()
        .find(|(_, b)| forbidden.contains(b))
}

fuzz_target!(|input: Input| {
    let mut wire = BytesMut::new();
    let mut expected: Vec<SseItem> = Vec::new();
    let mut last_id = String::new();
    let mut enc = SseEncoder::new();
    for item in input.items {
        let before = wire.len();
        let one = SseEncoder::encode_to_bytes(&item);
        let result = enc.encode(&item, &mut wire);
        match (&one, &result) {
            (Ok(a), Ok(())) => assert_eq!(&a[..], &wire[before..]),
            (Err(_), Err(_)) => {}
            _ => panic!("encode_to_bytes and encode disagree: {one:?} vs {result:?}"),
        }
        match item {
            Outgoing::Event(ev) => {
                let bad_type = ev.event.as_deref().and_then(|t| first_of(t, b"\r\n"));
                let bad_id = ev.id.as_deref().and_then(|t| first_of(t, b"\r\n\0"));
                match (bad_type, bad_id, result) {
                    (Some((index, byte)), _, Err(EncodeError::InvalidEventType { index: i, byte: b })) => {
                        assert_eq!((i, b), (index, byte));
                        assert_eq!(wire.len(), before, "a refused event wrote bytes");
                    }
                    (None, Some((index, byte)), Err(EncodeError::InvalidId { index: i, byte: b })) => {
                        assert_eq!((i, b), (index, byte));
                        assert_eq!(wire.len(), before, "a refused event wrote bytes");
                    }
                    (None, None, Ok(())) => {
                        if let Some(id) = &ev.id {
                            last_id = id.to_string();
                        }
                        let event_type = match &ev.event {
                            Some(t) if !t.is_empty() => t.clone(),
                            _ => Utf8Bytes::from_static("message"),
                        };
                        expected.push(SseItem::Event(Event {
                            event_type,
                            data: Utf8Bytes::from(lines(&ev.data).join("\n")),
                            last_event_id: Utf8Bytes::from(last_id.clone()),
                        }));
                    }
                    (t, i, r) => panic!(
                        "encoder refused wrongly: type fault {t:?}, id fault {i:?}, got {r:?} for {ev:?}"
                    ),
                }
            }
            Outgoing::Comment(text) => {
                assert!(result.is_ok(), "comment refused: {result:?}");
                for line in lines(&text) {
                    expected.push(SseItem::Comment(Utf8Bytes::from(line)));
                }
            }
            Outgoing::Retry(d) => {
                assert!(result.is_ok(), "retry refused: {result:?}");
                let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
                expected.push(SseItem::Retry(Duration::from_millis(ms)));
            }
        }
    }

    let mut dec = SseDecoder::builder().emit_comments(true).build();
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for chunk in reads_by_sizes(&input.splits, &wire) {
        buf.extend_from_slice(chunk);
        while let Some(item) = dec
            .decode(&mut buf)
            .expect("decoding our own output failed")
        {
            got.push(item);
        }
    }
    while let Some(item) = dec.decode_eof(&mut buf).expect("decode_eof failed") {
        got.push(item);
    }
    assert_eq!(got, expected, "wire: {:?}", String::from_utf8_lossy(&wire));
});
