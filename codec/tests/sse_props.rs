//! Property laws of the SSE codec (WHATWG HTML §9.2.5, §9.2.6):
//!
//! 1. encode → decode is the identity on events, comments and retries (with
//!    CRLF/CR normalised to LF in data, as §9.2.6 line splitting does);
//! 2. splitting a byte stream at any points (including between CR and LF,
//!    and inside a BOM or a multi-byte character) gives the same items as one
//!    read;
//! 3. the decoder agrees with a naive, line-by-line transcription of §9.2.6
//!    written below (whole stream decoded to a `String` first), and at least
//!    a third of the generated streams dispatch events;
//! 4. on arbitrary bytes the decoder never panics and never buffers more than
//!    its limits.

use bytes::BytesMut;
use proptest::prelude::*;
use pushcodec::sse::{
    DecodeError, Event, Outgoing, OutgoingEvent, SseDecoder, SseEncoder, SseItem,
};
use pushcodec::Utf8Bytes;
use std::time::Duration;
use tokio_util::codec::{Decoder, Encoder};

/// What a test compares: items, and errors by kind and line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Item(SseItem),
    LineTooLong { line: u64 },
    EventTooLarge { line: u64 },
}

fn out_of(r: Result<SseItem, DecodeError>) -> Out {
    match r {
        Ok(item) => Out::Item(item),
        Err(DecodeError::LineTooLong { line, .. }) => Out::LineTooLong { line },
        Err(DecodeError::EventTooLarge { line, .. }) => Out::EventTooLarge { line },
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// Runs the decoder over `chunks` (one read each), carrying on after
/// errors, then ends the stream. Checks the buffering bound after every call.
fn run(mut dec: SseDecoder, chunks: &[&[u8]], max_line: usize, max_event: usize) -> Vec<Out> {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut step = |dec: &mut SseDecoder, buf: &mut BytesMut, eof: bool| loop {
        let r = if eof {
            dec.decode_eof(buf)
        } else {
            dec.decode(buf)
        };
        assert!(
            dec.pending_event_size() <= max_event,
            "event buffer over limit"
        );
        match r {
            Ok(Some(item)) => out.push(out_of(Ok(item))),
            Ok(None) => {
                assert!(
                    buf.len() <= max_line.max(2),
                    "line buffer over limit: {}",
                    buf.len()
                );
                break;
            }
            Err(e) => out.push(out_of(Err(e))),
        }
    };
    for c in chunks {
        buf.extend_from_slice(c);
        step(&mut dec, &mut buf, false);
    }
    step(&mut dec, &mut buf, true);
    out
}

fn decoder(max_line: usize, max_event: usize) -> SseDecoder {
    SseDecoder::builder()
        .max_line_length(max_line)
        .max_event_size(max_event)
        .emit_comments(true)
        .build()
}

/// Splits `bytes` at the given cut points (taken modulo its length).
fn split_at_points(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut prev = 0;
    for p in points.into_iter().chain([bytes.len()]) {
        chunks.push(bytes[prev..p].to_vec());
        prev = p;
    }
    chunks
}

/// Free-form byte soup biased towards the interesting cases: field names,
/// colons, spaces, CR/LF, NUL, BOM, multi-byte and invalid UTF-8.
fn soup_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data".to_vec()),
        Just(b"event".to_vec()),
        Just(b"id".to_vec()),
        Just(b"retry".to_vec()),
        Just(b":".to_vec()),
        Just(b": ".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just("é€😀".as_bytes().to_vec()),
        Just(b"\xff\xe2\x82".to_vec()),
        Just(b"12".to_vec()),
        Just(b"x".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..4),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// Streams built line by line (fields, blank lines, comments, soup) with
/// mixed line ends, so most of them dispatch events.
fn line_bytes() -> impl Strategy<Value = Vec<u8>> {
    let value = proptest::collection::vec(
        prop_oneof![
            Just(&b"x"[..]),
            Just(&b"7"[..]),
            Just(&b" "[..]),
            Just(&b":"[..]),
            Just("é€😀".as_bytes()),
            Just(&b"\0"[..]),
            Just(&b"\xEF\xBB\xBF"[..]),
            Just(&b"\xff\xe2\x82"[..]),
        ],
        0..4,
    )
    .prop_map(|v| v.concat());
    let name = prop_oneof![
        3 => Just(&b"data"[..]),
        1 => Just(&b"event"[..]),
        1 => Just(&b"id"[..]),
        1 => Just(&b"retry"[..]),
        1 => Just(&b"Data"[..]),
        1 => Just(&b"x"[..]),
    ];
    let sep = prop_oneof![
        Just(&b""[..]),
        Just(&b":"[..]),
        Just(&b": "[..]),
        Just(&b":  "[..])
    ];
    let line = prop_oneof![
        3 => Just(Vec::new()),
        6 => (name, sep, value.clone()).prop_map(|(n, s, v)| [n, s, &v].concat()),
        1 => value.prop_map(|v| [&b":"[..], &v].concat()),
        1 => soup_bytes(),
    ];
    let end = prop_oneof![3 => Just(&b"\n"[..]), 1 => Just(&b"\r"[..]), 1 => Just(&b"\r\n"[..])];
    (
        proptest::option::weighted(0.1, Just(&b"\xEF\xBB\xBF"[..])),
        proptest::collection::vec((line, end), 0..16),
        proptest::option::weighted(0.3, Just(&b"data: tail"[..])),
    )
        .prop_map(|(bom, lines, tail)| {
            let mut bytes = bom.unwrap_or_default().to_vec();
            for (line, end) in lines {
                bytes.extend_from_slice(&line);
                bytes.extend_from_slice(end);
            }
            bytes.extend_from_slice(tail.unwrap_or_default());
            bytes
        })
}

/// Both generators: structured lines mostly, free soup sometimes.
fn stream_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![3 => line_bytes(), 1 => soup_bytes()]
}

// ---- the naive §9.2.6 model ----------------------------------------------

/// A direct transcription of §9.2.6 over a whole, already decoded stream.
fn reference(bytes: &[u8]) -> Vec<SseItem> {
    // "Streams must be decoded using the UTF-8 decode algorithm" (which
    // strips one leading BOM).
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    let (mut data, mut event_type, mut id_buffer) = (String::new(), String::new(), String::new());
    // Lines end in CRLF, LF or CR; the part after the last line end is not a
    // line (end of file: pending data is discarded).
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['\r', '\n']) {
        lines.push(&rest[..i]);
        let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + skip..];
    }
    for line in lines {
        if line.is_empty() {
            // Dispatch.
            let last_event_id = id_buffer.clone();
            if data.is_empty() {
                event_type.clear();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            let ty = if event_type.is_empty() {
                "message".to_string()
            } else {
                event_type.clone()
            };
            out.push(SseItem::Event(Event {
                event_type: Utf8Bytes::from(ty),
                data: Utf8Bytes::from(std::mem::take(&mut data)),
                last_event_id: Utf8Bytes::from(last_event_id),
            }));
            event_type.clear();
            continue;
        }
        if let Some(comment) = line.strip_prefix(':') {
            let comment = comment.strip_prefix(' ').unwrap_or(comment);
            out.push(SseItem::Comment(Utf8Bytes::from(comment.to_string())));
            continue;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line, ""),
        };
        match field {
            "event" => event_type = value.to_string(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            // "If the field value does not contain U+0000 NULL".
            "id" if !value.contains('\0') => id_buffer = value.to_string(),
            // "If the field value consists of only ASCII digits".
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let ms = value.parse::<u64>().unwrap_or(u64::MAX);
                out.push(SseItem::Retry(Duration::from_millis(ms)));
            }
            _ => {}
        }
    }
    out
}

// ---- generators for the round trip -----------------------------------------

fn text_without(forbidden: &'static [char]) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just(' '),
            Just(':'),
            Just('a'),
            Just('é'),
            Just('\0'),
            Just('\r'),
            Just('\n'),
            Just('\u{feff}'),
            any::<char>()
        ],
        0..12,
    )
    .prop_map(move |cs| cs.into_iter().filter(|c| !forbidden.contains(c)).collect())
}

fn outgoing() -> impl Strategy<Value = Outgoing> {
    prop_oneof![
        4 => (
            proptest::option::of(text_without(&['\r', '\n'])),
            proptest::option::of(text_without(&['\r', '\n', '\0'])),
            text_without(&[]),
        )
            .prop_map(|(event, id, data)| Outgoing::Event(OutgoingEvent {
                event: event.map(Utf8Bytes::from),
                id: id.map(Utf8Bytes::from),
                data: Utf8Bytes::from(data),
            })),
        1 => text_without(&[]).prop_map(|c| Outgoing::Comment(Utf8Bytes::from(c))),
        1 => (0u64..10_000_000, 0u32..1_000_000)
            .prop_map(|(ms, ns)| Outgoing::Retry(Duration::from_millis(ms) + Duration::from_nanos(u64::from(ns)))),
    ]
}

/// CRLF and lone CR become LF (§9.2.6 line ends), split into lines.
fn lines_of(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(str::to_string)
        .collect()
}

/// What decoding the encoding of `items` must give.
fn expected_items(items: &[Outgoing]) -> Vec<SseItem> {
    let mut id = String::new();
    let mut out = Vec::new();
    for item in items {
        match item {
            Outgoing::Event(ev) => {
                if let Some(new_id) = &ev.id {
                    id = new_id.to_string();
                }
                let ty = ev
                    .event
                    .as_deref()
                    .filter(|t| !t.is_empty())
                    .unwrap_or("message");
                out.push(SseItem::Event(Event {
                    event_type: Utf8Bytes::from(ty.to_string()),
                    data: Utf8Bytes::from(lines_of(&ev.data).join("\n")),
                    last_event_id: Utf8Bytes::from(id.clone()),
                }));
            }
            Outgoing::Comment(c) => {
                for line in lines_of(c) {
                    out.push(SseItem::Comment(Utf8Bytes::from(line)));
                }
            }
            Outgoing::Retry(d) => {
                out.push(SseItem::Retry(Duration::from_millis(d.as_millis() as u64)))
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Law 1: decode(encode(items)) == items, modulo LF normalisation.
    #[test]
    fn encode_then_decode_is_the_identity(items in proptest::collection::vec(outgoing(), 0..8), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let mut wire = BytesMut::new();
        let mut enc = SseEncoder::new();
        for item in &items {
            enc.encode(item.clone(), &mut wire).unwrap();
        }
        let chunks = split_at_points(&wire, &cuts);
        let chunk_refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let got = run(decoder(1 << 20, 1 << 20), &chunk_refs, 1 << 20, 1 << 20);
        let want: Vec<Out> = expected_items(&items).into_iter().map(Out::Item).collect();
        prop_assert_eq!(got, want);
    }

    /// Law 2: any split of the input into reads gives the same items and
    /// errors as one read, also with tight limits.
    #[test]
    fn any_split_gives_the_same_items_as_one_read(
        bytes in stream_bytes(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
        max_line in 2usize..40,
        max_event in 0usize..60,
    ) {
        let whole = run(decoder(max_line, max_event), &[&bytes], max_line, max_event);
        let chunks = split_at_points(&bytes, &cuts);
        let chunk_refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        prop_assert_eq!(&run(decoder(max_line, max_event), &chunk_refs, max_line, max_event), &whole);
        // One byte per read: every CR/LF pair and every BOM byte is split.
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(&run(decoder(max_line, max_event), &bytewise, max_line, max_event), &whole);
    }

    /// Law 4: arbitrary bytes never panic and never exceed the limits (the
    /// bounds are asserted inside `run` after every call).
    #[test]
    fn arbitrary_bytes_never_panic_or_exceed_limits(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
        max_line in 0usize..64,
        max_event in 0usize..128,
    ) {
        let chunks = split_at_points(&bytes, &cuts);
        let chunk_refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let _ = run(decoder(max_line, max_event), &chunk_refs, max_line, max_event);
    }
}

/// Law 3: the decoder agrees with the naive §9.2.6 model, however the
/// input is split; at least a third of the cases must dispatch events, so
/// the agreement is not vacuous.
#[test]
fn decoder_agrees_with_the_naive_spec_model() {
    let cases = 1024;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases));
    let with_events = std::cell::Cell::new(0u32);
    let strategy = (
        stream_bytes(),
        proptest::collection::vec(any::<usize>(), 0..12),
    );
    runner
        .run(&strategy, |(bytes, cuts)| {
            let chunks = split_at_points(&bytes, &cuts);
            let chunk_refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
            let got = run(decoder(1 << 20, 1 << 20), &chunk_refs, 1 << 20, 1 << 20);
            let want: Vec<Out> = reference(&bytes).into_iter().map(Out::Item).collect();
            prop_assert_eq!(&got, &want);
            if want
                .iter()
                .any(|o| matches!(o, Out::Item(SseItem::Event(_))))
            {
                with_events.set(with_events.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    assert!(
        with_events.get() * 3 >= cases,
        "only {} of {cases} cases had events",
        with_events.get()
    );
}

/// Streams of the shapes the decoder treats differently inside: values at
/// and past the inline capacity (copied vs split off the buffer), longer
/// than a 64-byte scan block and than the 4 KiB a decoder holds unconsumed
/// between reads, multi-line data (joined), non-ASCII and invalid UTF-8,
/// comments and unknown fields between the lines of an event, all three
/// line ends, a BOM.
fn shaped_stream() -> impl Strategy<Value = Vec<u8>> {
    let cap = Utf8Bytes::INLINE_CAPACITY;
    let value = prop_oneof![
        Just(String::new()),
        "[a-z0-9{}\":,]{1,12}",
        Just("v".repeat(cap)),
        Just("v".repeat(cap + 1)),
        Just("é".repeat(cap / 2)),
        Just("m".repeat(100)),
        Just("l".repeat(5000)),
        Just(" lead".to_string()),
    ];
    let name = prop_oneof![
        5 => Just("data"),
        2 => Just("id"),
        2 => Just("event"),
        1 => Just("retry"),
        1 => Just(""),
        1 => Just("x"),
    ];
    let sep = prop_oneof![Just(": "), Just(":")];
    let end = prop_oneof![6 => Just("\n"), 1 => Just("\r\n"), 1 => Just("\r")];
    let line = (name, sep, value, end.clone())
        .prop_map(|(n, s, v, e)| format!("{n}{s}{v}{e}").into_bytes());
    let blank = end.prop_map(|e| e.as_bytes().to_vec());
    let raw = prop_oneof![
        Just(b"data: \xff\xfe x\n".to_vec()),
        Just(b"\xef\xbb\xbf".to_vec()),
    ];
    proptest::collection::vec(prop_oneof![6 => line, 3 => blank, 1 => raw], 0..24)
        .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Law 3 again on those shapes, in reads of 1 to 8 bytes or cut at
    /// random points: the decoder agrees with the naive §9.2.6 model.
    #[test]
    fn decoder_agrees_with_the_naive_model_on_long_and_boundary_values(
        bytes in shaped_stream(),
        read in 0usize..9,
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let chunks: Vec<Vec<u8>> = if read == 0 {
            split_at_points(&bytes, &cuts)
        } else {
            bytes.chunks(read).map(<[u8]>::to_vec).collect()
        };
        let chunk_refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let got = run(decoder(1 << 20, 1 << 20), &chunk_refs, 1 << 20, 1 << 20);
        let want: Vec<Out> = reference(&bytes).into_iter().map(Out::Item).collect();
        prop_assert_eq!(got, want);
    }
}
