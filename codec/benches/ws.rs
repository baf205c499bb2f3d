//! WebSocket hot paths (criterion; `-- --quick` for a short run):
//!
//! * masking: `apply_mask` (scalar below 256 bytes, AVX2/portable blocks
//!   above) vs the naive byte loop;
//! * `MessageCodec` decode throughput (masked frames, in-place unmask; text
//!   is UTF-8 checked);
//! * handshake header tokenizing: `nom` (`handshake::token_list`) vs a
//!   hand-written split, to check that nom costs nothing that matters there.
//!
//! `cargo bench -p pushcodec --bench ws`. The comparison with the peers is
//! `--bench compare`.

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pushcodec::ws::handshake::{is_tchar, token_list};
use pushcodec::ws::mask::{apply_mask, apply_mask_naive};
use pushcodec::ws::{Frame, FrameCodec, MessageCodec, OpCode, Role};
use tokio_util::codec::{Decoder, Encoder};

/// Hand-written equivalent of `token_list`.
fn token_list_by_hand(v: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    for item in v.split(',') {
        let t = item.trim_matches(|c| c == ' ' || c == '\t');
        if t.is_empty() {
            continue;
        }
        if !t.chars().all(is_tchar) {
            return None;
        }
        out.push(t);
    }
    Some(out)
}

fn masking(c: &mut Criterion) {
    for len in [16usize, 125, 256, 1024, 64 << 10, 1 << 20] {
        let mut g = c.benchmark_group(format!("ws_mask_{len}B"));
        g.throughput(Throughput::Bytes(len as u64));
        let mut a = vec![0x5au8; len];
        let mut b = a.clone();
        apply_mask(&mut a, [1, 2, 3, 4], 1);
        apply_mask_naive(&mut b, [1, 2, 3, 4], 1);
        assert_eq!(a, b);
        g.bench_function("apply_mask", |bch| {
            bch.iter(|| apply_mask(black_box(&mut a), [1, 2, 3, 4], 0))
        });
        g.bench_function("naive", |bch| {
            bch.iter(|| apply_mask_naive(black_box(&mut b), [1, 2, 3, 4], 0))
        });
        g.finish();
    }
}

fn decode(c: &mut Criterion) {
    for (what, opcode, len) in [
        ("binary_64B", OpCode::Binary, 64usize),
        ("binary_1KiB", OpCode::Binary, 1024),
        ("binary_64KiB", OpCode::Binary, 64 << 10),
        ("text_1KiB", OpCode::Text, 1024),
    ] {
        let payload = vec![b'a'; len];
        let mut enc = FrameCodec::client();
        let mut one = BytesMut::new();
        enc.encode(Frame::new(true, opcode, payload), &mut one)
            .unwrap();
        let frames = ((8 << 20) / one.len()).max(1);
        let mut wire = BytesMut::with_capacity(one.len() * frames);
        for _ in 0..frames {
            wire.extend_from_slice(&one);
        }
        let mut g = c.benchmark_group(format!("ws_decode_{what}"));
        g.throughput(Throughput::Elements(frames as u64));
        // The copy of the input is made outside the timed part.
        g.bench_function("MessageCodec", |b| {
            b.iter_batched_ref(
                || wire.clone(),
                |buf| {
                    let mut dec = MessageCodec::new(Role::Server);
                    let mut n = 0;
                    while let Some(m) = dec.decode(buf).unwrap() {
                        n += m.len();
                    }
                    assert_eq!(n, len * frames);
                    n
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();
    }
}

fn handshake_tokens(c: &mut Criterion) {
    for (name, v) in [
        ("Upgrade", "Upgrade"),
        ("keep-alive_Upgrade", "keep-alive, Upgrade"),
        ("5_protocols", "chat, superchat, v1.proto, v2.proto, x"),
    ] {
        assert_eq!(token_list(v), token_list_by_hand(v));
        let mut g = c.benchmark_group(format!("ws_handshake_token_list_{name}"));
        g.bench_function("nom", |b| {
            b.iter(|| token_list(black_box(v)).map_or(0, |l| l.len()))
        });
        g.bench_function("by_hand", |b| {
            b.iter(|| token_list_by_hand(black_box(v)).map_or(0, |l| l.len()))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .without_plots();
    targets = masking, decode, handshake_tokens
}
criterion_main!(benches);
