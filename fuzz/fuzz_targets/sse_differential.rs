//! `sse_differential`: `SseDecoder` against the plain reference of HTML
//! §9.2.6 in `src/lib.rs` (`sse_reference`, written from the spec text, with
//! its own WHATWG UTF-8 decoder). Any difference is a bug in one of the two.
//!
//! Input layout: `[flags, split_seed, stream...]` (`flags & 1`: emit
//! comments). The decoder runs with its default limits, which inputs of
//! libFuzzer's sizes never reach, so it must never fail.
//!
//! Compared: every event (type, data, lastEventId), every retry (the
//! reference's digits as an integer, saturated at u64::MAX as pushcodec
//! documents), every comment when comments are on, and the event source's
//! last event ID string after the last complete line.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pushcodec::sse::{SseDecoder, SseItem};
use pushcodec_fuzz::{reads, retry_millis_saturating, sse_reference, RefItem};
use tokio_util::codec::Decoder;

fn ours(item: SseItem) -> RefItem {
    match item {
        SseItem::Event(ev) => RefItem::Event {
            event_type: ev.event_type.to_string(),
            data: ev.data.to_string(),
            last_event_id: ev.last_event_id.to_string(),
        },
        SseItem::Retry(d) => RefItem::Retry(
            u64::try_from(d.as_millis())
                .expect("a retry from u64 milliseconds")
                .to_string(),
        ),
        SseItem::Comment(c) => RefItem::Comment(c.to_string()),
    }
}

fuzz_target!(|data: &[u8]| {
    let [flags, seed, stream @ ..] = data else {
        return;
    };
    let emit_comments = flags & 1 == 1;

    let reference = sse_reference(stream);
    let want: Vec<RefItem> = reference
        .items
        .into_iter()
        .filter(|i| emit_comments || !matches!(i, RefItem::Comment(_)))
        .map(|i| match i {
            RefItem::Retry(d) => RefItem::Retry(retry_millis_saturating(&d).to_string()),
            other => other,
        })
        .collect();

    let mut dec = SseDecoder::builder().emit_comments(emit_comments).build();
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for chunk in reads(*seed, stream) {
        buf.extend_from_slice(chunk);
        while let Some(item) = dec.decode(&mut buf).expect("no limit can be reached") {
            got.push(ours(item));
        }
    }
    let last_event_id = dec.last_event_id().to_string();
    while let Some(item) = dec.decode_eof(&mut buf).expect("no limit can be reached") {
        got.push(ours(item));
    }
    assert_eq!(got, want, "items differ from the §9.2.6 reference");
    assert_eq!(
        last_event_id, reference.last_event_id,
        "last event ID string differs from the §9.2.6 reference"
    );
});
