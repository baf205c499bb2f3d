//! permessage-deflate (issue 16): compress and decompress throughput and
//! ratio, pushcodec against yawc (the one Rust peer with deflate) in the
//! same run, with uncompressed framing as the reference, and the backend we
//! did not pick (flate2 over the same zlib-rs).
//!
//! ```text
//! cargo bench -p pushcodec --bench deflate            # ≈ 2 min
//! cargo bench -p pushcodec --bench deflate -- --quick
//! ```
//!
//! Workloads (JSON, what a token server sends; level 6 and a 15-bit
//! window with context takeover for everyone, zlib's defaults; our level
//! 1 as an extra row):
//! * `tokens`: 10,000 chat-completion chunks of ~150 bytes, one per message;
//! * `json_1KiB`: 1,000 messages of 1 KiB of JSON records;
//! * `json_1MiB`: 4 messages of 1 MiB of JSON records.
//!
//! Throughput is per uncompressed payload byte in both directions.
//! Lanes, so that like is compared with like:
//! * `*-engine`: payload in, payload out (no framing): our `Deflater` /
//!   `Inflater` and the same over flate2;
//! * `*-frames`: the engine plus frame headers, server to client (no
//!   masking): our `Deflater` + `FrameCodec` encoder (RSV1 set), and
//!   `FrameCodec` decoder + `Inflater`; yawc's `WebSocket` over an
//!   in-memory transport (its compression is only reachable there);
//! * `*-uncompressed`: the same framing without deflate: the floor.
//!
//! Before timing, every implementation's output is checked (decompressed
//! messages equal the originals; what each compressor sends inflates back
//! with the other side's decoder) and its allocations per message are
//! counted; the ratios and counts are printed.

#[path = "compare/common.rs"]
mod common;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput};
use futures_util::{SinkExt, StreamExt};
use pushcodec::ws::extension::deflate::{Compressed, Deflater, Inflater, TAIL};
use pushcodec::ws::extension::DeflateConfig;
use pushcodec::ws::{Frame, FrameCodec, OpCode};
use std::time::Duration;
use tokio_util::codec::{Decoder, Encoder};

use common::{allocs, block, CountingAlloc, MemIo};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const LEVEL: u8 = 6;

struct Work {
    name: &'static str,
    msgs: Vec<Bytes>,
}

impl Work {
    fn bytes(&self) -> u64 {
        self.msgs.iter().map(|m| m.len() as u64).sum()
    }
}

fn tokens() -> Vec<Bytes> {
    const WORDS: [&str; 16] = [
        " the", " model", " streams", " tokens", " to", " a", " browser", ",", " one", " by",
        " one", ".", " It", " is", " fast", "\n",
    ];
    (0..10_000)
        .map(|i| {
            Bytes::from(format!(
                r#"{{"id":"chatcmpl-9f8e7d","object":"chat.completion.chunk","created":1764633600,"model":"gpt-4o-mini","choices":[{{"index":0,"delta":{{"content":"{}"}},"finish_reason":null}}],"seq":{i}}}"#,
                WORDS[(i * 7 + i / 3) % WORDS.len()]
            ))
        })
        .collect()
}

fn json(len: usize, seed: usize) -> Bytes {
    let mut s = String::from("[");
    let mut i = seed;
    while s.len() < len {
        s.push_str(&format!(
            r#"{{"user":"u{}","ts":{},"price":{}.{:02},"side":"{}","tags":["t{}","t{}"]}},"#,
            i % 997,
            1_764_633_600 + i * 37,
            100 + (i * 13) % 900,
            (i * 7) % 100,
            if i % 3 == 0 { "buy" } else { "sell" },
            i % 11,
            (i * 5) % 17
        ));
        i += 1;
    }
    s.truncate(len - 1);
    s.push(']');
    Bytes::from(s)
}

fn workloads() -> Vec<Work> {
    vec![
        Work {
            name: "tokens",
            msgs: tokens(),
        },
        Work {
            name: "json_1KiB",
            msgs: (0..1000).map(|i| json(1024, i * 3)).collect(),
        },
        Work {
            name: "json_1MiB",
            msgs: (0..4).map(|i| json(1 << 20, i * 50_000)).collect(),
        },
    ]
}

// ------------------------------------------------------------ compress --

fn pc_engine_compress(w: &Work, out: &mut Vec<Bytes>) -> u64 {
    let mut d = Deflater::new(15, false, &DeflateConfig::builder().level(LEVEL).build());
    let mut buf = BytesMut::with_capacity(64 << 10);
    let mut n = 0;
    for m in &w.msgs {
        buf.clear();
        assert_eq!(d.compress(m, &mut buf).unwrap(), Compressed::Yes);
        n += buf.len() as u64;
        out.push(Bytes::copy_from_slice(&buf));
    }
    n
}

fn pc_engine_compress_timed(w: &Work, level: u8) -> u64 {
    let mut d = Deflater::new(15, false, &DeflateConfig::builder().level(level).build());
    let mut buf = BytesMut::with_capacity(64 << 10);
    let mut n = 0;
    for m in &w.msgs {
        buf.clear();
        d.compress(m, &mut buf).unwrap();
        n += buf.len() as u64;
    }
    n
}

fn flate2_engine_compress(w: &Work) -> u64 {
    let mut c = flate2::Compress::new_with_window_bits(flate2::Compression::new(6), false, 15);
    let mut buf: Vec<u8> = Vec::with_capacity(64 << 10);
    let mut n = 0;
    for m in &w.msgs {
        buf.clear();
        let mut input = &m[..];
        loop {
            buf.reserve(input.len() + 64);
            let before = c.total_in();
            c.compress_vec(input, &mut buf, flate2::FlushCompress::Sync)
                .unwrap();
            input = &input[(c.total_in() - before) as usize..];
            if input.is_empty() && buf.len() < buf.capacity() {
                break;
            }
        }
        assert!(buf.ends_with(&TAIL));
        n += buf.len() as u64 - 4;
    }
    n
}

fn pc_frames_compress(w: &Work) -> u64 {
    let mut d = Deflater::new(15, false, &DeflateConfig::builder().level(LEVEL).build());
    let mut codec = FrameCodec::server();
    let mut payload = BytesMut::with_capacity(64 << 10);
    let mut wire = BytesMut::with_capacity(256 << 10);
    let mut n = 0;
    for m in &w.msgs {
        d.compress(m, &mut payload).unwrap();
        let f = Frame {
            fin: true,
            rsv: 0b100,
            opcode: OpCode::Text,
            payload: payload.split().freeze(),
        };
        codec.encode(f, &mut wire).unwrap();
        n += wire.len() as u64;
        wire.clear();
    }
    n
}

fn pc_frames_uncompressed(w: &Work) -> u64 {
    let mut codec = FrameCodec::server();
    let mut wire = BytesMut::with_capacity(256 << 10);
    let mut n = 0;
    for m in &w.msgs {
        codec
            .encode(Frame::new(true, OpCode::Text, m.clone()), &mut wire)
            .unwrap();
        n += wire.len() as u64;
        wire.clear();
    }
    n
}

/// A sink that counts what is written into a shared cell (yawc's
/// `WebSocket` does not hand its transport back).
struct CountSink(std::rc::Rc<std::cell::Cell<u64>>);

impl tokio::io::AsyncRead for CountSink {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for CountSink {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        b: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.0.set(self.0.get() + b.len() as u64);
        std::task::Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

fn yawc_opts(deflate: bool) -> yawc::Options {
    let o = yawc::Options::default().with_limits(4 << 20, 8 << 20);
    if deflate {
        o.with_compression_level(yawc::CompressionLevel::new(u32::from(LEVEL)))
    } else {
        o.without_compression()
    }
}

fn yawc_compress(w: &Work, deflate: bool) -> u64 {
    let ext = deflate.then_some("permessage-deflate");
    let written = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut ws = yawc::WebSocket::from_stream_with_extensions(
        CountSink(written.clone()),
        yawc::Role::Server,
        ext,
        yawc_opts(deflate),
    )
    .unwrap();
    block(async {
        for m in &w.msgs {
            ws.feed(yawc::Frame::text(m.clone())).await.unwrap();
        }
        ws.flush().await.unwrap();
    });
    written.get()
}

// ---------------------------------------------------------- decompress --

/// Server-to-client frames, compressed by our Deflater (RSV1) or plain.
fn wire(payloads: &[Bytes], compressed: bool) -> Bytes {
    let mut codec = FrameCodec::server();
    let mut wire = BytesMut::new();
    for p in payloads {
        let f = Frame {
            fin: true,
            rsv: if compressed { 0b100 } else { 0 },
            opcode: OpCode::Text,
            payload: p.clone(),
        };
        codec.encode(f, &mut wire).unwrap();
    }
    wire.freeze()
}

fn pc_engine_decompress(payloads: &[Bytes], check: Option<&Work>) -> u64 {
    let mut i = Inflater::new(15, 4 << 20);
    let mut n = 0;
    for (k, p) in payloads.iter().enumerate() {
        i.inflate_fragment(p).unwrap();
        let m = i.finish_message().unwrap();
        if let Some(w) = check {
            assert_eq!(m, w.msgs[k]);
        }
        n += m.len() as u64;
    }
    n
}

fn flate2_engine_decompress(payloads: &[Bytes], check: Option<&Work>) -> u64 {
    let mut d = flate2::Decompress::new_with_window_bits(false, 15);
    let mut out: Vec<u8> = Vec::with_capacity(2 << 20);
    let mut n = 0;
    for (k, p) in payloads.iter().enumerate() {
        out.clear();
        for part in [&p[..], &TAIL[..]] {
            let mut input = part;
            loop {
                if out.capacity() - out.len() < 32 << 10 {
                    out.reserve(64 << 10);
                }
                let before = d.total_in();
                d.decompress_vec(input, &mut out, flate2::FlushDecompress::Sync)
                    .unwrap();
                input = &input[(d.total_in() - before) as usize..];
                if input.is_empty() && out.len() < out.capacity() {
                    break;
                }
            }
        }
        if let Some(w) = check {
            assert_eq!(out, w.msgs[k]);
        }
        n += out.len() as u64;
    }
    n
}

fn pc_frames_decompress(wire: &Bytes, compressed: bool, check: Option<&Work>) -> u64 {
    let mut codec = FrameCodec::client().with_allowed_rsv(0b100);
    let mut i = Inflater::new(15, 4 << 20);
    let mut buf = BytesMut::from(&wire[..]);
    let mut n = 0;
    let mut k = 0;
    while let Some(f) = codec.decode(&mut buf).unwrap() {
        let m = if compressed {
            i.inflate_fragment(&f.payload).unwrap();
            i.finish_message().unwrap()
        } else {
            f.payload
        };
        if let Some(w) = check {
            assert_eq!(m, w.msgs[k]);
        }
        k += 1;
        n += m.len() as u64;
    }
    n
}

fn yawc_decompress(wire: &Bytes, compressed: bool, check: Option<&Work>, count: usize) -> u64 {
    let ext = compressed.then_some("permessage-deflate");
    let mut ws = yawc::WebSocket::from_stream_with_extensions(
        MemIo::reader(wire.clone(), 64 << 10),
        yawc::Role::Client,
        ext,
        yawc_opts(compressed),
    )
    .unwrap();
    block(async {
        let mut n = 0;
        for k in 0..count {
            let f = ws.next().await.unwrap();
            if let Some(w) = check {
                assert_eq!(f.payload(), &w.msgs[k]);
            }
            n += f.payload().len() as u64;
        }
        n
    })
}

fn allocs_per_msg(w: &Work, f: impl FnOnce()) -> f64 {
    let a = allocs();
    f();
    (allocs() - a) as f64 / w.msgs.len() as f64
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .without_plots()
        .configure_from_args();
    for w in workloads() {
        let total = w.bytes();
        let mut payloads = Vec::new();
        let ours = pc_engine_compress(&w, &mut payloads);
        let compressed_wire = wire(&payloads, true);
        let plain_wire = wire(&w.msgs, false);
        // Checks: everyone decodes our frames to the originals; what yawc
        // and flate2 send inflates back with our Inflater.
        assert_eq!(pc_engine_decompress(&payloads, Some(&w)), total);
        assert_eq!(flate2_engine_decompress(&payloads, Some(&w)), total);
        assert_eq!(
            pc_frames_decompress(&compressed_wire, true, Some(&w)),
            total
        );
        assert_eq!(
            yawc_decompress(&compressed_wire, true, Some(&w), w.msgs.len()),
            total
        );
        let yawc_wire = yawc_compress(&w, true);
        let flate2_bytes = flate2_engine_compress(&w);
        let level1 = pc_engine_compress_timed(&w, 1);
        let our_wire = pc_frames_compress(&w);
        eprintln!(
            "{}: {} messages, {total} bytes; compressed payloads: pushcodec {ours} ({:.3}), \
             flate2 {flate2_bytes} ({:.3}), pushcodec level 1 {level1} ({:.3}); wire with headers: pushcodec {our_wire} ({:.3}), \
             yawc {yawc_wire} ({:.3}), uncompressed {}",
            w.name,
            w.msgs.len(),
            ours as f64 / total as f64,
            flate2_bytes as f64 / total as f64,
            level1 as f64 / total as f64,
            our_wire as f64 / total as f64,
            yawc_wire as f64 / total as f64,
            plain_wire.len()
        );
        eprintln!(
            "{}: allocations per message (one run, state built inside): compress pushcodec-frames {:.3}, \
             yawc {:.3}; decompress pushcodec-frames {:.3}, yawc {:.3}",
            w.name,
            allocs_per_msg(&w, || {
                pc_frames_compress(&w);
            }),
            allocs_per_msg(&w, || {
                yawc_compress(&w, true);
            }),
            allocs_per_msg(&w, || {
                pc_frames_decompress(&compressed_wire, true, None);
            }),
            allocs_per_msg(&w, || {
                yawc_decompress(&compressed_wire, true, None, w.msgs.len());
            }),
        );

        let mut g = c.benchmark_group(format!("deflate_compress_{}", w.name));
        g.throughput(Throughput::Bytes(total));
        g.bench_function("pushcodec-engine", |b| {
            b.iter(|| pc_engine_compress_timed(&w, LEVEL))
        });
        g.bench_function("pushcodec-engine-level1", |b| {
            b.iter(|| pc_engine_compress_timed(&w, 1))
        });
        g.bench_function("flate2-engine", |b| b.iter(|| flate2_engine_compress(&w)));
        g.bench_function("pushcodec-frames", |b| b.iter(|| pc_frames_compress(&w)));
        g.bench_function("yawc-WebSocket", |b| b.iter(|| yawc_compress(&w, true)));
        g.bench_function("pushcodec-frames-uncompressed", |b| {
            b.iter(|| pc_frames_uncompressed(&w))
        });
        g.bench_function("yawc-WebSocket-uncompressed", |b| {
            b.iter(|| yawc_compress(&w, false))
        });
        g.finish();

        let mut g = c.benchmark_group(format!("deflate_decompress_{}", w.name));
        g.throughput(Throughput::Bytes(total));
        g.bench_function("pushcodec-engine", |b| {
            b.iter(|| pc_engine_decompress(&payloads, None))
        });
        g.bench_function("flate2-engine", |b| {
            b.iter(|| flate2_engine_decompress(&payloads, None))
        });
        g.bench_function("pushcodec-frames", |b| {
            b.iter(|| pc_frames_decompress(&compressed_wire, true, None))
        });
        g.bench_function("yawc-WebSocket", |b| {
            b.iter(|| yawc_decompress(&compressed_wire, true, None, w.msgs.len()))
        });
        g.bench_function("pushcodec-frames-uncompressed", |b| {
            b.iter(|| pc_frames_decompress(&plain_wire, false, None))
        });
        g.bench_function("yawc-WebSocket-uncompressed", |b| {
            b.iter(|| yawc_decompress(&plain_wire, false, None, w.msgs.len()))
        });
        g.finish();
    }
    c.final_summary();
}
