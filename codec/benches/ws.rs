//! WebSocket hot paths, plain timing loops (best of 7 runs; criterion is not
//! a dependency of this workspace):
//!
//! * masking: the u64-chunk path vs the naive byte loop;
//! * `FrameCodec` decode throughput (masked frames, in-place unmask);
//! * `MessageCodec` decode throughput (text, UTF-8 checked);
//! * handshake header tokenizing: `nom` (`handshake::token_list`) vs a
//!   hand-written split, to check that nom costs nothing that matters there.
//!
//! `cargo bench -p pushcodec --bench ws`

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use pushcodec::ws::handshake::{is_tchar, token_list};
use pushcodec::ws::mask::{apply_mask, apply_mask_naive};
use pushcodec::ws::{Frame, FrameCodec, MessageCodec, OpCode, Role};
use tokio_util::codec::{Decoder, Encoder};

fn best_of<F: FnMut() -> usize>(runs: usize, mut f: F) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn gib_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / (1u64 << 30) as f64
}

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

fn main() {
    println!("== masking ==");
    for len in [16usize, 125, 1024, 64 << 10, 1 << 20] {
        let mut buf = vec![0x5au8; len];
        let iters = ((64 << 20) / len).max(1);
        let fast = best_of(7, || {
            for _ in 0..iters {
                apply_mask(black_box(&mut buf), [1, 2, 3, 4], 0);
            }
            buf[0] as usize
        });
        let naive = best_of(7, || {
            for _ in 0..iters {
                apply_mask_naive(black_box(&mut buf), [1, 2, 3, 4], 0);
            }
            buf[0] as usize
        });
        println!(
            "{len:>8} B: u64 path {:6.2} GiB/s, naive {:6.2} GiB/s",
            gib_per_s(len * iters, fast),
            gib_per_s(len * iters, naive)
        );
    }

    println!("== decode ==");
    for (what, opcode, len) in [
        ("binary 64 B", OpCode::Binary, 64usize),
        ("binary 1 KiB", OpCode::Binary, 1024),
        ("binary 64 KiB", OpCode::Binary, 64 << 10),
        ("text 1 KiB", OpCode::Text, 1024),
    ] {
        let payload = vec![b'a'; len];
        let mut enc = FrameCodec::client();
        let mut one = BytesMut::new();
        enc.encode(Frame::new(true, opcode, payload), &mut one)
            .unwrap();
        let frames = ((32 << 20) / one.len()).max(1);
        let mut wire = BytesMut::with_capacity(one.len() * frames);
        for _ in 0..frames {
            wire.extend_from_slice(&one);
        }
        // The copy of the input is made outside the timed part.
        let d = (0..7)
            .map(|_| {
                let mut buf = wire.clone();
                let t = Instant::now();
                let mut dec = MessageCodec::new(Role::Server);
                let mut n = 0;
                while let Some(m) = dec.decode(&mut buf).unwrap() {
                    n += m.len();
                }
                black_box(n);
                t.elapsed()
            })
            .min()
            .unwrap();
        println!(
            "{what:>14}: {:6.2} GiB/s, {:6.1} ns/message",
            gib_per_s(wire.len(), d),
            d.as_nanos() as f64 / frames as f64
        );
    }

    println!("== handshake header tokenizing ==");
    for v in [
        "Upgrade",
        "keep-alive, Upgrade",
        "chat, superchat, v1.proto, v2.proto, x",
    ] {
        let iters = 200_000;
        assert_eq!(token_list(v), token_list_by_hand(v));
        let nom = best_of(7, || {
            (0..iters)
                .map(|_| token_list(black_box(v)).map_or(0, |l| l.len()))
                .sum()
        });
        let hand = best_of(7, || {
            (0..iters)
                .map(|_| token_list_by_hand(black_box(v)).map_or(0, |l| l.len()))
                .sum()
        });
        println!(
            "{v:?}: nom {:5.0} ns, by hand {:5.0} ns",
            nom.as_nanos() as f64 / iters as f64,
            hand.as_nanos() as f64 / iters as f64
        );
    }
}
