//! Field/value split: hand-written (`memchr`) vs the `nom` grammar, on the
//! lines an SSE stream is made of. Decides which one the decoder uses (see
//! `src/sse/field.rs`).
//!
//! `cargo bench -p pushcodec --bench sse_field` (plain timing loop, best of
//! 7 runs; criterion is not a dependency of this workspace).

#[allow(dead_code)]
#[path = "../src/sse/field.rs"]
mod field;

use std::hint::black_box;
use std::time::{Duration, Instant};

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

fn main() {
    let long_value = format!("data: {}", "x".repeat(4096));
    let long_name = "x".repeat(4096);
    let cases: [(&str, Vec<&[u8]>); 4] = [
        (
            "token lines (id/event/data)",
            vec![b"id: 12345", b"event: token", br#"data: {"t":"word"}"#],
        ),
        ("4 KiB data value", vec![long_value.as_bytes()]),
        ("4 KiB line without ':'", vec![long_name.as_bytes()]),
        ("bare field name `data`", vec![b"data"]),
    ];
    const ITERS: usize = 200_000;
    for (name, lines) in &cases {
        let iters = if lines[0].len() > 1000 {
            ITERS / 50
        } else {
            ITERS
        };
        let time = |split: fn(&[u8]) -> field::FieldRanges| {
            best_of(7, || {
                let mut acc = 0;
                for _ in 0..iters {
                    for line in lines {
                        let r = split(black_box(line));
                        acc += r.name.end + r.value.start;
                    }
                }
                acc
            })
        };
        let hand = time(field::split_field);
        let nom = time(field::split_field_nom);
        let per = |d: Duration| d.as_nanos() as f64 / (iters * lines.len()) as f64;
        println!(
            "{name:32} hand-written {:8.2} ns/line   nom {:8.2} ns/line   nom/hand {:5.2}x",
            per(hand),
            per(nom),
            per(nom) / per(hand)
        );
    }
}
