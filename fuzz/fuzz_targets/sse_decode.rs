//! `sse_decode`: arbitrary bytes, split into arbitrary reads, through
//! `SseDecoder` with small limits.
//!
//! Input layout: `[flags, max_line, max_event, split_seed, stream...]`
//! (`flags & 1`: emit comments). Laws:
//! * never a panic; every error is a typed limit error (`LineTooLong`,
//!   `EventTooLarge`), never `Io`;
//! * chunking invariance: the split reads give the same items and errors as
//!   one read (errors compared by kind and line number; `LineTooLong`'s
//!   `length` is a lower bound that depends on the split, as documented);
//! * limits: after `Ok(None)` the buffer holds at most `max_line_length`
//!   bytes (2 for a split BOM), the pending event never exceeds
//!   `max_event_size`, and no item is larger than the limits allow.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pushcodec::sse::{DecodeError, SseDecoder, SseItem};
use pushcodec_fuzz::{limit, reads};
use tokio_util::codec::Decoder;

#[derive(Debug, PartialEq, Eq)]
enum Out {
    Item(SseItem),
    LineTooLong { line: u64, max: usize },
    EventTooLarge { line: u64, size: usize, max: usize },
}

struct Limits {
    line: usize,
    event: usize,
}

fn check_item(item: &SseItem, l: &Limits) {
    match item {
        SseItem::Event(ev) => {
            assert!(
                ev.data.len() <= l.event,
                "event data {} > max_event_size {}",
                ev.data.len(),
                l.event
            );
            let type_len = if ev.event_type == "message" {
                0
            } else {
                ev.event_type.len()
            };
            assert!(
                ev.data.len() + type_len <= l.event,
                "event of {} + {} bytes > max_event_size {}",
                ev.data.len(),
                type_len,
                l.event
            );
            assert!(ev.last_event_id.len() <= 3 * l.line);
            assert!(!ev.last_event_id.contains('\0'));
            assert!(!ev.event_type.is_empty());
            for f in [&ev.event_type, &ev.data, &ev.last_event_id] {
                assert!(std::str::from_utf8(f.as_bytes()).is_ok());
            }
            assert!(!ev.event_type.contains(['\r', '\n']));
            assert!(!ev.last_event_id.contains(['\r', '\n']));
            assert!(!ev.data.contains('\r'));
        }
        SseItem::Comment(c) => {
            // The limit counts raw bytes; U+FFFD (3 bytes) may replace 1.
            assert!(c.len() <= 3 * l.line);
            assert!(!c.contains(['\r', '\n']));
        }
        SseItem::Retry(_) => {}
    }
}

fn run(emit_comments: bool, l: &Limits, chunks: &[&[u8]]) -> Vec<Out> {
    let mut dec = SseDecoder::builder()
        .max_line_length(l.line)
        .max_event_size(l.event)
        .emit_comments(emit_comments)
        .build();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let step = |dec: &mut SseDecoder, buf: &mut BytesMut, eof: bool, out: &mut Vec<Out>| {
        // Keep calling after limit errors: the decoder documents recovery.
        let mut guard = 0usize;
        loop {
            guard += 1;
            assert!(guard < 1_000_000, "decoder does not make progress");
            let r = if eof {
                dec.decode_eof(buf)
            } else {
                dec.decode(buf)
            };
            assert!(
                dec.pending_event_size() <= l.event,
                "pending event {} > max_event_size {}",
                dec.pending_event_size(),
                l.event
            );
            match r {
                Ok(Some(item)) => {
                    check_item(&item, l);
                    out.push(Out::Item(item));
                }
                Ok(None) => {
                    if eof {
                        assert!(buf.is_empty(), "decode_eof left {} bytes", buf.len());
                    } else {
                        assert!(
                            buf.len() <= l.line.max(2),
                            "{} bytes buffered without a line end, max_line_length {}",
                            buf.len(),
                            l.line
                        );
                    }
                    return;
                }
                Err(DecodeError::LineTooLong { line, length, max }) => {
                    assert_eq!(max, l.line);
                    assert!(
                        length > max,
                        "LineTooLong with length {length} <= max {max}"
                    );
                    assert!(line >= 1);
                    out.push(Out::LineTooLong { line, max });
                }
                Err(DecodeError::EventTooLarge { line, size, max }) => {
                    assert_eq!(max, l.event);
                    assert!(size > max);
                    out.push(Out::EventTooLarge { line, size, max });
                }
                Err(other) => panic!("untyped or impossible error: {other:?}"),
            }
        }
    };
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        step(&mut dec, &mut buf, false, &mut out);
    }
    let last_id = dec.last_event_id().clone();
    step(&mut dec, &mut buf, true, &mut out);
    // decode_eof discards the unterminated rest; the last event ID string
    // survives (it is what a reconnect sends, §9.2.4).
    assert_eq!(dec.last_event_id(), &last_id);
    out
}

fuzz_target!(|data: &[u8]| {
    let [flags, line, event, seed, stream @ ..] = data else {
        return;
    };
    let l = Limits {
        line: limit(*line, 1 << 20),
        event: limit(*event, 8 << 20),
    };
    let emit = flags & 1 == 1;
    let whole = run(emit, &l, &[stream]);
    let split = run(emit, &l, &reads(*seed, stream));
    assert_eq!(whole, split, "chunking changed the result");
});
