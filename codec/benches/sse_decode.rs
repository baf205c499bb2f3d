//! SSE decoder throughput: a token stream in 1 KiB reads, and one 8 MiB
//! line in 1 KiB and 64 KiB reads (linear time: a line split across reads
//! is never rescanned from its start, so it costs about what the token
//! stream costs per byte, not 4000x more).
//!
//! The token stream and a 1 MiB line also go through `eventsource-stream`
//! 0.2 (dev-dependency): it re-parses its whole buffer on every read, so
//! its cost for one long line grows with the square of the line length (at
//! 8 MiB it would take about a minute per run, so it is not run there).
//! The full comparison with every peer is `--bench compare`.
//!
//! `cargo bench -p pushcodec --bench sse_decode` (criterion; `-- --quick`
//! for a short run).

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pushcodec::sse::{SseDecoder, SseItem};
use std::hint::black_box;
use std::time::Duration;
use tokio_util::codec::Decoder;

/// Feeds `input` in `read`-byte reads; returns the number of events.
fn decode_in_reads(dec: SseDecoder, input: &[u8], read: usize) -> usize {
    let mut dec = dec;
    let mut buf = BytesMut::with_capacity(4 * read);
    let mut events = 0;
    for chunk in input.chunks(read) {
        buf.extend_from_slice(chunk);
        while let Some(item) = dec.decode(&mut buf).expect("valid stream") {
            if let SseItem::Event(e) = item {
                black_box(&e);
                events += 1;
            }
        }
    }
    events
}

/// The same through eventsource-stream, one `Bytes` per read.
fn eventsource_stream_in_reads(rt: &tokio::runtime::Runtime, input: &[u8], read: usize) -> usize {
    use eventsource_stream::Eventsource;
    use futures_util::StreamExt;
    let chunks: Vec<bytes::Bytes> = input
        .chunks(read)
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    rt.block_on(async move {
        futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>))
            .eventsource()
            .fold(0, |n, e| async move {
                black_box(e.expect("valid stream"));
                n + 1
            })
            .await
    })
}

fn big() -> SseDecoder {
    SseDecoder::builder()
        .max_line_length(16 << 20)
        .max_event_size(16 << 20)
        .build()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();

    let mut tokens = String::new();
    for n in 0..100_000 {
        tokens.push_str(&format!(
            "id: {n}\nevent: token\ndata: {{\"t\":\"word\"}}\n\n"
        ));
    }
    let mut g = c.benchmark_group("sse_decode_token_stream_1KiB_reads");
    g.throughput(Throughput::Bytes(tokens.len() as u64));
    assert_eq!(
        decode_in_reads(SseDecoder::new(), tokens.as_bytes(), 1024),
        100_000
    );
    assert_eq!(
        eventsource_stream_in_reads(&rt, tokens.as_bytes(), 1024),
        100_000
    );
    g.bench_function("pushcodec", |b| {
        b.iter(|| decode_in_reads(SseDecoder::new(), tokens.as_bytes(), 1024))
    });
    g.bench_function("eventsource-stream", |b| {
        b.iter(|| eventsource_stream_in_reads(&rt, tokens.as_bytes(), 1024))
    });
    g.finish();

    let mut mib = b"data: ".to_vec();
    mib.resize(1 << 20, b'x');
    mib.extend_from_slice(b"\n\n");
    let mut g = c.benchmark_group("sse_decode_1MiB_line_1KiB_reads");
    g.throughput(Throughput::Bytes(mib.len() as u64));
    g.sample_size(10);
    g.bench_function("pushcodec", |b| {
        b.iter(|| decode_in_reads(SseDecoder::new(), &mib, 1024))
    });
    g.bench_function("eventsource-stream", |b| {
        b.iter(|| eventsource_stream_in_reads(&rt, &mib, 1024))
    });
    g.finish();

    let mut long = b"data: ".to_vec();
    long.resize(8 << 20, b'x');
    long.extend_from_slice(b"\n\n");
    let mut g = c.benchmark_group("sse_decode_8MiB_line");
    g.throughput(Throughput::Bytes(long.len() as u64));
    g.sample_size(10);
    for read in [1024, 64 * 1024] {
        assert_eq!(decode_in_reads(big(), &long, read), 1);
        g.bench_function(format!("pushcodec_{read}B_reads"), |b| {
            b.iter(|| decode_in_reads(big(), &long, read))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .without_plots();
    targets = bench
}
criterion_main!(benches);
