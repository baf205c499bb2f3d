//! SSE decoder throughput: a token stream in 1 KiB reads, and one 8 MiB
//! line in 1 KiB reads (linear time: a line split across reads is never
//! rescanned from its start, so it costs about what the token stream costs
//! per byte, not 4000x more).
//!
//! The same inputs go through `eventsource-stream` 0.2 (dev-dependency) for
//! comparison; it re-parses its whole buffer on every read, so its cost for
//! one long line grows with the square of the line length (1 MiB here; at
//! 8 MiB it would take minutes).
//!
//! `cargo bench -p pushcodec --bench sse_decode` (plain timing loop, best of
//! 5 runs; criterion is not a dependency of this workspace).

use bytes::BytesMut;
use pushcodec::sse::{SseDecoder, SseItem};
use std::hint::black_box;
use std::time::{Duration, Instant};
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

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn report(name: &str, bytes: usize, d: Duration) {
    let mbps = bytes as f64 / d.as_secs_f64() / 1e6;
    println!(
        "{name:44} {:8.2} ms  {mbps:9.1} MB/s",
        d.as_secs_f64() * 1e3
    );
}

fn main() {
    let mut tokens = String::new();
    for n in 0..100_000 {
        tokens.push_str(&format!(
            "id: {n}\nevent: token\ndata: {{\"t\":\"word\"}}\n\n"
        ));
    }
    let d = best_of(5, || {
        decode_in_reads(SseDecoder::new(), tokens.as_bytes(), 1024)
    });
    report("token stream (100k events), 1 KiB reads", tokens.len(), d);

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let d = best_of(5, || {
        eventsource_stream_in_reads(&rt, tokens.as_bytes(), 1024)
    });
    report("  eventsource-stream, same input", tokens.len(), d);

    let mut mib = b"data: ".to_vec();
    mib.resize(1 << 20, b'x');
    mib.extend_from_slice(b"\n\n");
    let d = best_of(5, || decode_in_reads(SseDecoder::new(), &mib, 1024));
    report("one 1 MiB line, 1 KiB reads", mib.len(), d);
    let d = best_of(1, || eventsource_stream_in_reads(&rt, &mib, 1024));
    report("  eventsource-stream, same input", mib.len(), d);

    let mut long = b"data: ".to_vec();
    long.resize(8 << 20, b'x');
    long.extend_from_slice(b"\n\n");
    let big = || {
        SseDecoder::builder()
            .max_line_length(16 << 20)
            .max_event_size(16 << 20)
            .build()
    };
    let d = best_of(5, || decode_in_reads(big(), &long, 1024));
    report("one 8 MiB line, 1 KiB reads", long.len(), d);
    let d = best_of(5, || decode_in_reads(big(), &long, 64 * 1024));
    report("one 8 MiB line, 64 KiB reads", long.len(), d);
}
