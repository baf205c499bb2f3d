//! One test per §9.2.6 rule, named after the rule, plus every example of
//! the WHATWG event-stream section as a vector.

use super::*;

fn ev(event_type: &str, data: &str, id: &str) -> SseItem {
    SseItem::Event(Event {
        event_type: Utf8Bytes::from(event_type.to_string()),
        data: Utf8Bytes::from(data.to_string()),
        last_event_id: Utf8Bytes::from(id.to_string()),
    })
}

fn msg(data: &str) -> SseItem {
    ev("message", data, "")
}

/// Feeds `chunks` one read at a time, then ends the stream.
fn decode_chunks(mut dec: SseDecoder, chunks: &[&[u8]]) -> Vec<SseItem> {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(item) = dec.decode(&mut buf).expect("no error expected") {
            out.push(item);
        }
    }
    while let Some(item) = dec.decode_eof(&mut buf).expect("no error expected") {
        out.push(item);
    }
    out
}

fn decode(input: &str) -> Vec<SseItem> {
    decode_chunks(SseDecoder::new(), &[input.as_bytes()])
}

/// The same input, once in one read and once one byte per read.
fn decode_both_ways(input: &[u8]) -> Vec<SseItem> {
    let whole = decode_chunks(SseDecoder::new(), &[input]);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(decode_chunks(SseDecoder::new(), &bytes), whole);
    whole
}

// ---- WHATWG §9.2.6 examples -------------------------------------------------

/// §9.2.6 example 1: three data lines joined with LF.
#[test]
fn whatwg_example_yhoo_data_lines_joined_with_lf() {
    assert_eq!(
        decode("data: YHOO\ndata: +2\ndata: 10\n\n"),
        vec![msg("YHOO\n+2\n10")]
    );
}

/// §9.2.6 example 2: comment block, id set, id reset, leading space kept.
#[test]
fn whatwg_example_four_blocks_comment_id_reset_and_space() {
    let stream = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n";
    assert_eq!(
        decode(stream),
        vec![
            ev("message", "first event", "1"),
            ev("message", "second event", "")
        ]
    );
    // "the last still has to end with a blank line"
    assert_eq!(
        decode(&format!("{stream}\n"))[2],
        ev("message", " third event", "")
    );
}

/// §9.2.6 example 3: `data` alone is empty data; two empty data lines are
/// "\n"; the unterminated last block is discarded.
#[test]
fn whatwg_example_empty_data_and_newline_data() {
    assert_eq!(
        decode("data\n\ndata\ndata\n\ndata:"),
        vec![msg(""), msg("\n")]
    );
}

/// §9.2.6 example 4: the space after the colon is ignored if present.
#[test]
fn whatwg_example_two_identical_events() {
    assert_eq!(
        decode("data:test\n\ndata: test\n\n"),
        vec![msg("test"), msg("test")]
    );
}

// ---- UTF-8 and BOM ----------------------------------------------------------

/// §9.2.6 "decoded using the UTF-8 decode algorithm": invalid sequences
/// become U+FFFD (maximal subparts, as the WHATWG decoder does).
#[test]
fn invalid_utf8_becomes_replacement_character() {
    let out = decode_both_ways(b"data: a\xffb\xe2\x82c\xf0\x9f\n\n");
    assert_eq!(out, vec![msg("a\u{fffd}b\u{fffd}c\u{fffd}")]);
}

/// A multi-byte character split across reads is not replaced.
#[test]
fn multi_byte_character_split_across_reads_is_kept() {
    let out = decode_chunks(
        SseDecoder::new(),
        &[b"data: \xf0\x9f", b"\x98", b"\x80\n\n"],
    );
    assert_eq!(out, vec![msg("\u{1f600}")]);
}

/// §9.2.6 note: one leading BOM is stripped, even when split across reads.
#[test]
fn one_leading_bom_is_stripped_even_when_split() {
    let input = b"\xEF\xBB\xBFdata: x\n\n";
    assert_eq!(decode_both_ways(input), vec![msg("x")]);
    // The BOM is what makes "data" a known field name here.
    assert_eq!(
        decode_chunks(SseDecoder::new(), &[b"\xEF", b"\xBB", b"\xBFdata: x\n\n"]),
        vec![msg("x")]
    );
}

/// Only one BOM, only at the start: a second one is part of the field name.
#[test]
fn bom_is_stripped_at_the_start_of_the_stream_only() {
    assert_eq!(decode("\u{feff}\u{feff}data: x\n\n"), vec![]);
    assert_eq!(decode("data: x\n\n\u{feff}data: y\n\n"), vec![msg("x")]);
    assert_eq!(decode("data: \u{feff}x\n\n"), vec![msg("\u{feff}x")]);
}

// ---- lines ------------------------------------------------------------------

/// §9.2.6: CRLF, LF and CR all end a line.
#[test]
fn lines_end_in_crlf_lf_or_cr() {
    assert_eq!(
        decode_both_ways(b"data: a\r\ndata: b\rdata: c\n\r\n"),
        vec![msg("a\nb\nc")]
    );
    assert_eq!(decode_both_ways(b"data: a\r\r"), vec![msg("a")]);
}

/// A CR at the end of one read and an LF at the start of the next are one
/// line end (else "data: a" CR | LF "data: b" would dispatch early).
#[test]
fn cr_at_end_of_read_then_lf_is_one_line_end() {
    let out = decode_chunks(
        SseDecoder::new(),
        &[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"],
    );
    assert_eq!(out, vec![msg("a\nb")]);
}

/// §9.2.6 "Once the end of the file is reached, any pending data must be
/// discarded": an unterminated event is not dispatched.
#[test]
fn stream_ending_mid_event_discards_it() {
    assert_eq!(decode("data: a\n\ndata: b\n"), vec![msg("a")]);
    assert_eq!(decode("data: a\n\ndata: b"), vec![msg("a")]);
    // An unterminated `retry` line is not processed either.
    assert_eq!(decode("retry: 5"), vec![]);
}

// ---- lines and fields -------------------------------------------------------

/// §9.2.6 "If the line starts with a U+003A COLON": ignored (by default).
#[test]
fn comment_lines_are_ignored_by_default() {
    assert_eq!(decode(":data: x\n: hi\ndata: y\n\n"), vec![msg("y")]);
}

/// Comments are reported when asked for, one leading space removed.
#[test]
fn comments_are_emitted_when_asked_for() {
    let dec = SseDecoder::builder().emit_comments(true).build();
    let out = decode_chunks(dec, &[b": ping\n:  two\n:\ndata: y\n\n"]);
    assert_eq!(
        out,
        vec![
            SseItem::Comment("ping".into()),
            SseItem::Comment(" two".into()),
            SseItem::Comment("".into()),
            msg("y"),
        ]
    );
}

/// §9.2.6: field and value split at the first ':'.
#[test]
fn field_and_value_split_at_the_first_colon() {
    assert_eq!(decode("data:a: b:c\n\n"), vec![msg("a: b:c")]);
}

/// §9.2.6: one leading space of the value is stripped, no more.
#[test]
fn one_leading_space_of_the_value_is_stripped() {
    assert_eq!(decode("data:  two\n\n"), vec![msg(" two")]);
    assert_eq!(decode("data:\tx\n\n"), vec![msg("\tx")]);
}

/// §9.2.6 "Otherwise": a line without ':' is a field with an empty value.
#[test]
fn line_without_colon_is_a_field_with_empty_value() {
    assert_eq!(decode("data\ndata\n\n"), vec![msg("\n")]);
    assert_eq!(decode("event\ndata: x\n\n"), vec![msg("x")]);
}

/// §9.2.6 "Field names must be compared literally, with no case folding".
#[test]
fn field_names_are_case_sensitive() {
    assert_eq!(decode("Data: x\nDATA: y\n\n"), vec![]);
    assert_eq!(decode("data : x\n\n"), vec![]);
}

/// §9.2.6 "Otherwise: the field is ignored."
#[test]
fn unknown_fields_are_ignored() {
    assert_eq!(decode("foo: bar\ndata: x\nbaz\n\n"), vec![msg("x")]);
}

// ---- data -------------------------------------------------------------------

/// §9.2.6 "data": values joined with LF, the trailing LF removed.
#[test]
fn data_lines_are_joined_with_lf_and_trailing_lf_removed() {
    assert_eq!(decode("data: a\ndata:\ndata: b\n\n"), vec![msg("a\n\nb")]);
    assert_eq!(decode("data: a\ndata\n\n"), vec![msg("a\n")]);
}

/// §9.2.6 dispatch step 2: an empty data buffer dispatches nothing...
#[test]
fn empty_data_buffer_dispatches_nothing() {
    assert_eq!(decode("\n\nevent: x\n\nid: 1\n\n"), vec![]);
}

/// ...but `data` with an empty value is a non-empty buffer ("\n").
#[test]
fn data_with_empty_value_dispatches_an_empty_event() {
    assert_eq!(decode("data\n\ndata:\n\n"), vec![msg(""), msg("")]);
}

// ---- event ------------------------------------------------------------------

/// §9.2.6 "event" + dispatch steps 6–7: sets the type of the next dispatch
/// only; default `message`.
#[test]
fn event_sets_the_type_of_the_next_dispatch_only() {
    assert_eq!(
        decode("event: a\nevent: b\ndata: 1\n\ndata: 2\n\n"),
        vec![ev("b", "1", ""), msg("2")]
    );
}

/// Dispatch step 2 resets the event type buffer even when nothing fires.
#[test]
fn event_type_is_reset_by_a_blank_line_without_data() {
    assert_eq!(decode("event: a\n\ndata: 1\n\n"), vec![msg("1")]);
}

/// Dispatch step 6: an empty event type means `message`.
#[test]
fn empty_event_type_means_message() {
    assert_eq!(decode("event:\ndata: 1\n\n"), vec![msg("1")]);
}

// ---- id ---------------------------------------------------------------------

/// §9.2.6 "id" + dispatch step 1: the ID persists across events.
#[test]
fn id_persists_across_events() {
    assert_eq!(
        decode("id: 7\ndata: a\n\ndata: b\n\n"),
        vec![ev("message", "a", "7"), ev("message", "b", "7")]
    );
}

/// An `id` with an empty value resets the last event ID.
#[test]
fn id_with_empty_value_resets_it() {
    assert_eq!(
        decode("id: 7\ndata: a\n\nid\ndata: b\n\nid:\ndata: c\n\n"),
        vec![ev("message", "a", "7"), msg("b"), msg("c")]
    );
}

/// §9.2.6 "If the field value does not contain U+0000 NULL".
#[test]
fn id_containing_nul_is_ignored() {
    assert_eq!(
        decode("id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n"),
        vec![ev("message", "a", "1"), ev("message", "b", "1")]
    );
}

/// Dispatch step 1 runs even when no event fires: an id-only block sets the
/// source's last event ID.
#[test]
fn id_only_block_sets_the_last_event_id_without_an_event() {
    let mut dec = SseDecoder::new();
    let mut buf = BytesMut::from("id: 9\n\n");
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert_eq!(dec.last_event_id(), "9");
    // Before the blank line only the buffer is set.
    let mut dec = SseDecoder::new();
    let mut buf = BytesMut::from("id: 9\n");
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert_eq!(dec.last_event_id(), "");
}

// ---- retry ------------------------------------------------------------------

/// §9.2.6 "retry": taken only if all ASCII digits, reported at once.
#[test]
fn retry_is_taken_only_if_all_ascii_digits() {
    let out = decode("retry: 1000\nretry: 10s\nretry: -1\nretry: +5\nretry:  5\nretry: 1.5\nretry: ٣\nretry:\nretry: 007\n");
    assert_eq!(
        out,
        vec![
            SseItem::Retry(Duration::from_millis(1000)),
            SseItem::Retry(Duration::from_millis(7)),
        ]
    );
}

/// A retry value beyond u64 milliseconds saturates instead of failing.
#[test]
fn retry_overflow_saturates() {
    assert_eq!(
        decode("retry: 99999999999999999999999\n"),
        vec![SseItem::Retry(Duration::from_millis(u64::MAX))]
    );
}

// ---- zero copy --------------------------------------------------------------

/// A single-line data value longer than `Utf8Bytes::INLINE_CAPACITY` is a
/// slice of the input, not a copy; short values (type, id) are held inline
/// (copied, no reference to the read buffer).
#[test]
fn long_single_line_data_is_a_slice_of_the_input_short_values_inline() {
    let long = "p".repeat(Utf8Bytes::INLINE_CAPACITY + 1);
    let mut buf = BytesMut::with_capacity(128);
    buf.extend_from_slice(format!("event: t\nid: 1\ndata: {long}\n\n").as_bytes());
    let base = buf.as_ptr() as usize;
    let end = base + buf.len();
    let Some(SseItem::Event(e)) = SseDecoder::new().decode(&mut buf).unwrap() else {
        panic!("expected an event")
    };
    assert_eq!(e.data, long.as_str());
    let p = e.data.as_bytes().as_ptr() as usize;
    assert!(p >= base && p < end, "the long data was copied");
    assert!(!e.data.is_inline());
    assert!(e.event_type.is_inline() && e.last_event_id.is_inline());
    assert_eq!((&*e.event_type, &*e.last_event_id), ("t", "1"));
}

/// A value of exactly `INLINE_CAPACITY` bytes is inline, one more is shared;
/// both decode to the same text, and an event of only short values leaves
/// the read buffer unshared (it was advanced, not split).
#[test]
fn inline_capacity_boundary() {
    for len in [Utf8Bytes::INLINE_CAPACITY, Utf8Bytes::INLINE_CAPACITY + 1] {
        let data = "d".repeat(len);
        let mut buf = BytesMut::from(format!("data: {data}\n\n").as_str());
        let Some(SseItem::Event(e)) = SseDecoder::new().decode(&mut buf).unwrap() else {
            panic!("expected an event")
        };
        assert_eq!(e.data, data.as_str());
        assert_eq!(
            e.data.is_inline(),
            len <= Utf8Bytes::INLINE_CAPACITY,
            "len {len}"
        );
    }
}

// ---- limits -----------------------------------------------------------------

/// Limits: max_line_length is a typed error that says where, and the line's
/// event is skipped; decoding goes on after it.
#[test]
fn max_line_length_is_a_typed_error_and_skips_the_event() {
    let mut dec = SseDecoder::builder().max_line_length(8).build();
    let mut buf = BytesMut::from("data: 1\n\ndata: 123456789\ndata: 2\n\ndata: 3\n\n");
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(msg("1")));
    let err = dec.decode(&mut buf).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::LineTooLong {
                line: 3,
                length: 15,
                max: 8
            }
        ),
        "{err}"
    );
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(msg("3")));
}

/// An endless line is refused once the limit is buffered: memory stays
/// bounded.
#[test]
fn endless_line_is_refused_at_the_limit() {
    let mut dec = SseDecoder::builder().max_line_length(100).build();
    let mut buf = BytesMut::new();
    let mut errors = 0;
    for _ in 0..1000 {
        buf.extend_from_slice(&[b'a'; 64]);
        match dec.decode(&mut buf) {
            Ok(None) => {}
            Err(DecodeError::LineTooLong { .. }) => errors += 1,
            other => panic!("unexpected {other:?}"),
        }
        assert!(buf.len() <= 100);
    }
    assert_eq!(errors, 1);
}

/// Limits: max_event_size is a typed error; the rest of the event is
/// skipped up to the blank line.
#[test]
fn max_event_size_is_a_typed_error_and_skips_the_event() {
    let mut dec = SseDecoder::builder().max_event_size(10).build();
    let mut buf = BytesMut::from("data: 12345\ndata: 6789\ndata: x\n\ndata: ok\n\n");
    let err = dec.decode(&mut buf).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::EventTooLarge {
                line: 3,
                size: 12,
                max: 10
            }
        ),
        "{err}"
    );
    assert_eq!(dec.pending_event_size(), 0);
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(msg("ok")));
    // The event type counts too.
    let mut dec = SseDecoder::builder().max_event_size(4).build();
    let mut buf = BytesMut::from("event: abc\ndata: xy\n\n");
    assert!(matches!(
        dec.decode(&mut buf),
        Err(DecodeError::EventTooLarge { size: 5, .. })
    ));
}

/// The defaults are the documented ones: a 32 MiB event, and a line limit
/// that follows the event limit unless it is set.
#[test]
fn default_limits_are_documented_values() {
    let dec = SseDecoder::new();
    assert_eq!(dec.max_event_size(), 32 << 20);
    assert_eq!(dec.max_line_length(), (32 << 20) + LINE_OVERHEAD);
    assert_eq!(dec.max_line_length(), DEFAULT_MAX_LINE_LENGTH);
    assert!(!dec.emit_comments());
    let dec = SseDecoder::builder().max_event_size(100).build();
    assert_eq!(dec.max_line_length(), 100 + LINE_OVERHEAD);
    let dec = SseDecoder::builder()
        .max_line_length(10)
        .max_event_size(100)
        .build();
    assert_eq!(dec.max_line_length(), 10);
    let dec = SseDecoder::builder().max_event_size(usize::MAX).build();
    assert_eq!(dec.max_line_length(), usize::MAX);
}

/// A line is never refused while its value fits in the event limit (the
/// line limit follows the event limit by default): a `data` or `event`
/// value of exactly the limit passes, one byte more is an event too large
/// (not a line too long), and only a line that could not fit an event
/// value is refused as a line.
#[test]
fn line_limit_follows_the_event_limit_by_default() {
    let max = 100;
    let dec = || SseDecoder::builder().max_event_size(max).build();
    let value = "v".repeat(max);
    for line in [format!("data: {value}"), format!("data:{value}")] {
        let out = decode_chunks(
            dec(),
            &[
                line.as_bytes(),
                b"

",
            ],
        );
        assert_eq!(out, vec![msg(&value)]);
    }
    let out = decode_chunks(
        dec(),
        &[format!(
            "event: {value}
data

"
        )
        .as_bytes()],
    );
    assert_eq!(out, vec![ev(&value, "", "")]);
    let mut d = dec();
    let mut buf = BytesMut::from(
        format!(
            "data: {value}x

data: ok

"
        )
        .as_str(),
    );
    assert!(matches!(
        d.decode(&mut buf),
        Err(DecodeError::EventTooLarge { size: 101, .. })
    ));
    assert_eq!(d.decode(&mut buf).unwrap(), Some(msg("ok")));
    // A comment of the same length as the longest data line passes too;
    // one longer than any field line could be is a line too long.
    let mut d = SseDecoder::builder()
        .max_event_size(max)
        .emit_comments(true)
        .build();
    let long = ":".repeat(max + LINE_OVERHEAD);
    let mut buf = BytesMut::from(
        format!(
            "{long}
{long}:
"
        )
        .as_str(),
    );
    assert!(matches!(d.decode(&mut buf), Ok(Some(SseItem::Comment(_)))));
    assert!(matches!(
        d.decode(&mut buf),
        Err(DecodeError::LineTooLong {
            length: 108,
            max: 107,
            ..
        })
    ));
}

/// decode_eof readies the decoder for a new stream (BOM, CR state, pending
/// event) and keeps the last event ID, as a reconnecting browser does.
#[test]
fn decode_eof_starts_a_new_stream_keeping_the_last_event_id() {
    let mut dec = SseDecoder::new();
    let mut buf = BytesMut::from("id: 1\ndata: a\n\ndata: pending\r");
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(ev("message", "a", "1")));
    assert_eq!(dec.decode_eof(&mut buf).unwrap(), None);
    assert!(buf.is_empty());
    let mut buf = BytesMut::from("\u{feff}\ndata: b\n\n");
    // The BOM is stripped again and the LF is not eaten as half a CRLF.
    assert_eq!(
        dec.decode_eof(&mut buf).unwrap(),
        Some(ev("message", "b", "1"))
    );
    assert_eq!(dec.last_event_id(), "1");
}

/// Retry changes are reported as they occur, not held until the dispatch.
#[test]
fn retry_changes_are_reported_as_they_occur() {
    assert_eq!(
        decode("data: a\nretry: 5\n\n"),
        vec![SseItem::Retry(Duration::from_millis(5)), msg("a")]
    );
}

/// A skipped event still updates the last event ID and the retry time: only
/// its `data` and `event` lines are dropped.
#[test]
fn skipped_event_keeps_its_id_and_retry() {
    let mut dec = SseDecoder::builder().max_event_size(4).build();
    let mut buf = BytesMut::from("data: 12345\nid: 9\nevent: x\ndata: y\nretry: 7\n\ndata: z\n\n");
    assert!(matches!(
        dec.decode(&mut buf),
        Err(DecodeError::EventTooLarge { line: 1, .. })
    ));
    assert_eq!(
        dec.decode(&mut buf).unwrap(),
        Some(SseItem::Retry(Duration::from_millis(7)))
    );
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(ev("message", "z", "9")));
    assert_eq!(dec.last_event_id(), "9");
}

/// Between calls an incomplete event's values stay ranges of the read
/// buffer while it is small (at most 4 KiB), else they are copied out (or
/// split off) and the buffer consumed. A caller that consumes the buffer
/// anyway (against the `Decoder` contract) loses the held values, never
/// more, and nothing panics; values already copied out survive.
#[test]
fn buffer_consumed_between_calls_drops_only_the_held_values() {
    let mut dec = SseDecoder::new();
    let mut buf = BytesMut::from("id: 7\ndata: abc\n");
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert_eq!(buf.len(), 16, "small: held");
    buf.clear();
    buf.extend_from_slice(b"data: x\n\n");
    let Some(SseItem::Event(ev)) = dec.decode(&mut buf).unwrap() else {
        panic!("expected an event")
    };
    assert_eq!((&*ev.data, &*ev.last_event_id), ("x", ""));
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert!(buf.is_empty());

    let long = "l".repeat(5000);
    let mut buf = BytesMut::from(format!("id: 8\nevent: t\ndata: {long}\n").as_str());
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert!(buf.is_empty(), "over 4 KiB: the values are copied out");
    buf.extend_from_slice(b"garbage to be dropped");
    buf.clear();
    buf.extend_from_slice(b"data: x\n\n");
    let Some(SseItem::Event(ev)) = dec.decode(&mut buf).unwrap() else {
        panic!("expected an event")
    };
    assert_eq!(
        (&*ev.event_type, &*ev.data, &*ev.last_event_id),
        ("t", format!("{long}\nx").as_str(), "8")
    );
}

/// A caller that replaces the unconsumed bytes of an unterminated line
/// (against the `Decoder` contract) with a shorter line of invalid UTF-8:
/// the resumed scan position is clamped (the new bytes may be split in the
/// wrong place, as documented), every text is valid (U+FFFD), and neither
/// `decode` nor the event's `Debug`/`as_str` panics.
#[test]
fn buffer_refilled_under_an_unterminated_line_does_not_panic() {
    let mut dec = SseDecoder::new();
    let mut buf = BytesMut::from("data: abcdefghijklmnop");
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    buf.clear();
    buf.extend_from_slice(b"data:\xff\n\n");
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"\n\n");
    let item = dec.decode(&mut buf).unwrap();
    let Some(SseItem::Event(ev)) = item else {
        panic!("expected an event, got {item:?}")
    };
    assert!(ev.data.as_str().starts_with('\u{FFFD}'));
    let _ = format!("{ev:?}");
}

/// Values survive reads: an event split at every byte decodes to the same
/// values as in one read, and the buffer is left empty once `decode` has
/// nothing more to hand out (as `FramedRead` calls it).
#[test]
fn event_split_at_every_byte_keeps_its_values() {
    let wire = b"id: 42\nevent: token\ndata: {\"t\":\"w\"}\n\n";
    let mut dec = SseDecoder::new();
    let mut buf = BytesMut::new();
    let mut got = None;
    for b in wire {
        buf.extend_from_slice(&[*b]);
        while let Some(item) = dec.decode(&mut buf).unwrap() {
            got = Some(item);
        }
    }
    let Some(SseItem::Event(ev)) = got else {
        panic!("expected an event")
    };
    assert_eq!(
        (&*ev.event_type, &*ev.data, &*ev.last_event_id),
        ("token", "{\"t\":\"w\"}", "42")
    );
    assert!(buf.is_empty());
}

/// After an event the buffer may still hold its bytes until the next call
/// (advanced once per read, not per event); the next call goes on after
/// them, and the one that finds nothing more consumes them. A caller that
/// drops bytes in between (against the contract) gets no panic.
#[test]
fn consumed_bytes_are_advanced_past_by_the_call_that_returns_none() {
    let mut dec = SseDecoder::new();
    let mut buf = BytesMut::from("data: a\n\ndata: b\n\ndata: c");
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(msg("a")));
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(msg("b")));
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert_eq!(&buf[..], b"data: c");
    buf.extend_from_slice(b"\n\ndata: d\n\n");
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(msg("c")));
    // (Shorter than what was handed out: detected, decoding starts over at
    // the start of the buffer. A replacement at least as long is misread.)
    buf.clear();
    buf.extend_from_slice(b"data:e\n\n");
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(msg("e")));
}
