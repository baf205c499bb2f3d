//! SSE workloads and every implementation of decode/encode on them.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio_util::codec::{Decoder, Encoder};

use crate::common::{block, Summary};

/// A deterministic event stream, the events it holds, and the read size it
/// is fed in.
pub struct SseWork {
    pub name: String,
    pub wire: Bytes,
    /// (event type, data, id) of every event, in order.
    pub events: Vec<(String, String, String)>,
    pub read: usize,
}

impl SseWork {
    pub fn chunks(&self) -> Vec<Bytes> {
        (0..self.wire.len())
            .step_by(self.read)
            .map(|i| self.wire.slice(i..(i + self.read).min(self.wire.len())))
            .collect()
    }
}

fn stream_of(events: &[(String, String, String)]) -> Bytes {
    let mut s = String::new();
    for (ty, data, id) in events {
        s.push_str(&format!("id: {id}\n"));
        if ty != "message" {
            s.push_str(&format!("event: {ty}\n"));
        }
        for line in data.split('\n') {
            s.push_str("data: ");
            s.push_str(line);
            s.push('\n');
        }
        s.push('\n');
    }
    Bytes::from(s)
}

pub fn token_events(n: usize) -> Vec<(String, String, String)> {
    const WORDS: [&str; 8] = [
        "the", "quick", " brown", " fox", "jumps", " over", "lazy", " dog.",
    ];
    (0..n)
        .map(|i| {
            (
                "token".to_string(),
                format!("{{\"i\":{i},\"t\":\"{}\"}}", WORDS[i % 8]),
                i.to_string(),
            )
        })
        .collect()
}

pub fn multiline_events(n: usize) -> Vec<(String, String, String)> {
    (0..n)
        .map(|i| {
            let lines: Vec<String> = (0..20)
                .map(|l| {
                    let head = format!("{i:06}:{l:02} ");
                    let fill: String = (0..60 - head.len())
                        .map(|k| (b'a' + ((i + l + k) % 26) as u8) as char)
                        .collect();
                    head + &fill
                })
                .collect();
            ("message".to_string(), lines.join("\n"), i.to_string())
        })
        .collect()
}

pub fn long_line_events(n: usize, len: usize) -> Vec<(String, String, String)> {
    (0..n)
        .map(|i| {
            let data: String = (0..len)
                .map(|k| (b'A' + ((i + k) % 26) as u8) as char)
                .collect();
            ("message".to_string(), data, i.to_string())
        })
        .collect()
}

pub fn work(name: &str, events: Vec<(String, String, String)>, read: usize) -> SseWork {
    SseWork {
        name: format!("{name}_reads{read}"),
        wire: stream_of(&events),
        events,
        read,
    }
}

pub fn workloads(scale: usize) -> Vec<SseWork> {
    let tok = token_events(100_000 / scale);
    let multi = multiline_events(10_000 / scale);
    let long = long_line_events(64 / scale.min(8), 256 << 10);
    let mut v = Vec::new();
    for read in [4096, 7] {
        v.push(work("token_x100k", tok.clone(), read));
        v.push(work("20lines_x10k", multi.clone(), read));
        v.push(work("256KiB_line_x64", long.clone(), read));
    }
    v
}

pub fn reference(w: &SseWork, check: bool) -> Summary {
    let mut s = Summary::default();
    for e in &w.events {
        s.add(e.1.as_bytes(), check);
    }
    s
}

pub type SseDecode = fn(&SseWork, &[Bytes], bool) -> Summary;

pub fn decoders() -> Vec<(&'static str, &'static str, &'static str, SseDecode)> {
    vec![
        ("pushcodec-SseDecoder", "ours", "events", pc_decode),
        ("sse-stream", "peer", "events", sse_stream_decode),
        ("eventsource-stream", "peer", "events", eventsource_decode),
        ("sseer", "peer", "events", sseer_decode),
        ("sse-parse", "peer", "events", sse_parse_decode),
        (
            "sse-parse-EventStream",
            "peer",
            "events",
            sse_parse_stream_decode,
        ),
        ("sse-codec", "peer", "events", sse_codec_decode),
        ("limit-memchr", "limit", "lines", limit_memchr),
        (
            "limit-reads-copy+memchr",
            "limit",
            "lines",
            limit_reads_copy_scan,
        ),
        (
            "limit-line-copy+memchr",
            "limit",
            "lines",
            limit_line_copy_scan,
        ),
        ("limit-memcpy", "limit", "bytes", limit_memcpy),
    ]
}

fn big_limits() -> pushcodec::sse::SseDecoder {
    pushcodec::sse::SseDecoder::builder()
        .max_line_length(16 << 20)
        .max_event_size(16 << 20)
        .build()
}

fn pc_decode(_w: &SseWork, chunks: &[Bytes], check: bool) -> Summary {
    use pushcodec::sse::SseItem;
    let mut dec = big_limits();
    // As `FramedRead` does (its initial capacity).
    let mut buf = BytesMut::with_capacity(8 << 10);
    let mut s = Summary::default();
    for c in chunks {
        buf.extend_from_slice(c);
        while let Some(item) = dec.decode(&mut buf).unwrap() {
            if let SseItem::Event(e) = item {
                s.add(e.data.as_bytes(), check);
            }
        }
    }
    s
}

fn sse_stream_decode(_w: &SseWork, chunks: &[Bytes], check: bool) -> Summary {
    let st = futures_util::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>));
    let mut st = sse_stream::SseByteStream::new(st);
    block(async {
        let mut s = Summary::default();
        while let Some(e) = st.next().await {
            if let Some(d) = e.unwrap().data {
                s.add(d.as_bytes(), check);
            }
        }
        s
    })
}

fn eventsource_decode(_w: &SseWork, chunks: &[Bytes], check: bool) -> Summary {
    use eventsource_stream::Eventsource;
    let mut st = futures_util::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>))
        .eventsource();
    block(async {
        let mut s = Summary::default();
        while let Some(e) = st.next().await {
            s.add(e.unwrap().data.as_bytes(), check);
        }
        s
    })
}

fn sseer_decode(_w: &SseWork, chunks: &[Bytes], check: bool) -> Summary {
    let st = futures_util::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>));
    let mut st = sseer::EventStream::new(st);
    block(async {
        let mut s = Summary::default();
        while let Some(e) = st.next().await {
            s.add(e.unwrap().data.as_bytes(), check);
        }
        s
    })
}

fn sse_parse_decode(_w: &SseWork, chunks: &[Bytes], check: bool) -> Summary {
    let mut p = sse_parse::SseParser::new();
    let mut s = Summary::default();
    for c in chunks {
        p.feed(c);
        while let Some(e) = p.next_event() {
            s.add(e.data.as_bytes(), check);
        }
    }
    s
}

/// sse-parse's `Stream` adapter (`EventStream` over a stream of `Bytes`),
/// the crate's other API next to the sans-IO `SseParser` above.
fn sse_parse_stream_decode(_w: &SseWork, chunks: &[Bytes], check: bool) -> Summary {
    let st = futures_util::stream::iter(chunks.iter().cloned().map(Ok::<_, std::io::Error>));
    let mut st = sse_parse::EventStream::new(st);
    block(async {
        let mut s = Summary::default();
        while let Some(e) = st.next().await {
            s.add(e.unwrap().data.as_bytes(), check);
        }
        s
    })
}

/// Allocations per event in steady state: the stream is decoded twice by
/// one decoder into one buffer (in the workload's reads, events dropped as
/// they come); only the second pass is counted, after the read buffer
/// reached its working size.
pub fn pc_steady_allocs(w: &SseWork) -> f64 {
    use pushcodec::sse::SseItem;
    let chunks = w.chunks();
    let mut dec = big_limits();
    let mut buf = BytesMut::with_capacity(8 << 10);
    let mut mark = 0;
    let mut events = 0;
    for pass in 0..2 {
        if pass == 1 {
            mark = crate::common::allocs();
            events = 0;
        }
        for c in &chunks {
            buf.extend_from_slice(c);
            while let Some(item) = dec.decode(&mut buf).unwrap() {
                if let SseItem::Event(e) = item {
                    black_box(&e);
                    events += 1;
                }
            }
        }
    }
    assert_eq!(events, w.events.len());
    (crate::common::allocs() - mark) as f64 / events as f64
}

fn sse_codec_decode(_w: &SseWork, chunks: &[Bytes], check: bool) -> Summary {
    // sse-codec's `Decoder` is futures_codec's, over its own `BytesMut`
    // (bytes 0.5): the same codec loop as ours.
    let mut dec = sse_codec::SSECodec::default();
    let mut buf = futures_codec::BytesMut::with_capacity(8 << 10);
    let mut s = Summary::default();
    for c in chunks {
        buf.extend_from_slice(c);
        while let Some(e) = futures_codec::Decoder::decode(&mut dec, &mut buf).unwrap() {
            if let sse_codec::Event::Message { data, .. } = e {
                s.add(data.as_bytes(), check);
            }
        }
    }
    s
}

/// The line-scan limit: memchr2 for CR/LF over the same bytes, once.
fn limit_memchr(w: &SseWork, _chunks: &[Bytes], _check: bool) -> Summary {
    let n = memchr::memchr2_iter(b'\n', b'\r', &w.wire).count();
    Summary {
        items: black_box(n) as u64,
        bytes: w.wire.len() as u64,
        hash: 0,
    }
}

/// The limit for any decoder that owns its buffer and is fed in reads: copy
/// each read into a reused buffer and memchr2-scan the new bytes once.
fn limit_reads_copy_scan(w: &SseWork, chunks: &[Bytes], _check: bool) -> Summary {
    let mut buf = vec![0u8; w.read.min(1 << 20)];
    let mut n = 0;
    for c in chunks {
        let dst = &mut buf[..c.len()];
        dst.copy_from_slice(c);
        n += memchr::memchr2_iter(b'\n', b'\r', black_box(&*dst)).count();
    }
    Summary {
        items: n as u64,
        bytes: w.wire.len() as u64,
        hash: 0,
    }
}

/// The limit for a decoder that hands each line out contiguous (any
/// decoder whose values are one slice or one string): copy each read onto
/// the end of a buffer holding the line so far (reused across runs), scan
/// the new bytes with memchr2, and start the buffer over after a line end.
/// Unlike `limit-reads-copy+memchr`, a long line is written to a buffer as
/// long as the line, as it must be.
fn limit_line_copy_scan(_w: &SseWork, chunks: &[Bytes], _check: bool) -> Summary {
    crate::common::with_line_scratch(|buf| {
        let mut n = 0;
        let mut bytes = 0;
        for c in chunks {
            let start = buf.len();
            buf.extend_from_slice(c);
            let found = memchr::memchr2_iter(b'\n', b'\r', black_box(&buf[start..])).count();
            n += found;
            bytes += c.len();
            if found > 0 {
                buf.clear();
            }
        }
        Summary {
            items: n as u64,
            bytes: bytes as u64,
            hash: 0,
        }
    })
}

/// The copy limit: the same bytes copied once into a buffer allocated (and
/// touched) outside the timed runs.
fn limit_memcpy(w: &SseWork, _chunks: &[Bytes], _check: bool) -> Summary {
    let n = crate::common::copy_to_scratch(&w.wire);
    Summary {
        items: 0,
        bytes: n as u64,
        hash: 0,
    }
}

// ---------------------------------------------------------------- encode --

/// The inputs of an encode run, built outside the timed part (peers whose
/// events own `String`s get fresh ones per run).
pub enum EncInput {
    Ours(Vec<pushcodec::sse::OutgoingEvent>),
    SseStream(Vec<sse_stream::Sse>),
    SseCodec(Vec<sse_codec::Event>),
    Raw,
}

/// Encodes the events; returns the output in check mode (else may return
/// an empty `Bytes` after `black_box`ing its buffer, to add no copy).
pub type SseEncode = fn(&SseWork, EncInput, bool) -> Bytes;

/// Builds an encoder's input (outside the timed part).
pub type MakeInput = fn(&SseWork) -> EncInput;

pub fn encoders() -> Vec<(&'static str, &'static str, SseEncode, MakeInput)> {
    vec![
        ("pushcodec-SseEncoder", "ours", pc_encode, ours_input),
        ("sse-stream", "peer", sse_stream_encode, sse_stream_input),
        ("sse-codec", "peer", sse_codec_encode, sse_codec_input),
        ("limit-memcpy", "limit", limit_enc_memcpy, |_| EncInput::Raw),
    ]
}

fn ours_input(w: &SseWork) -> EncInput {
    EncInput::Ours(
        w.events
            .iter()
            .map(|(t, d, id)| {
                let e = pushcodec::sse::OutgoingEvent::new(d.clone()).id(id.clone());
                if t == "message" {
                    e
                } else {
                    e.event(t.clone())
                }
            })
            .collect(),
    )
}

fn sse_stream_input(w: &SseWork) -> EncInput {
    EncInput::SseStream(
        w.events
            .iter()
            .map(|(t, d, id)| {
                let e = sse_stream::Sse::default().data(d.clone()).id(id.clone());
                if t == "message" {
                    e
                } else {
                    e.event(t.clone())
                }
            })
            .collect(),
    )
}

fn sse_codec_input(w: &SseWork) -> EncInput {
    EncInput::SseCodec(
        w.events
            .iter()
            .map(|(t, d, id)| sse_codec::Event::message(t, d, id.as_str()))
            .collect(),
    )
}

fn pc_encode(w: &SseWork, input: EncInput, _check: bool) -> Bytes {
    let EncInput::Ours(evs) = input else {
        unreachable!()
    };
    let mut enc = pushcodec::sse::SseEncoder::new();
    let mut dst = BytesMut::with_capacity(w.wire.len() + w.wire.len() / 8);
    for e in evs {
        enc.encode(e, &mut dst).unwrap();
    }
    dst.freeze()
}

fn sse_stream_encode(w: &SseWork, input: EncInput, _check: bool) -> Bytes {
    let EncInput::SseStream(evs) = input else {
        unreachable!()
    };
    let mut dst = BytesMut::with_capacity(w.wire.len() + w.wire.len() / 8);
    for e in evs {
        dst.extend_from_slice(&e.encode().unwrap());
    }
    dst.freeze()
}

fn sse_codec_encode(w: &SseWork, input: EncInput, check: bool) -> Bytes {
    let EncInput::SseCodec(evs) = input else {
        unreachable!()
    };
    let mut enc = sse_codec::SSECodec::default();
    let mut dst = futures_codec::BytesMut::with_capacity(w.wire.len() + w.wire.len() / 8);
    for e in evs {
        futures_codec::Encoder::encode(&mut enc, e, &mut dst).unwrap();
    }
    if !check {
        black_box(&dst);
        return Bytes::new();
    }
    Bytes::copy_from_slice(&dst)
}

fn limit_enc_memcpy(w: &SseWork, _: EncInput, _check: bool) -> Bytes {
    let mut dst = BytesMut::with_capacity(w.wire.len());
    dst.extend_from_slice(&w.wire);
    dst.freeze()
}
