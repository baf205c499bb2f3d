//! Field/value split: hand-written (`memchr`) vs the `nom` grammar, on the
//! lines an SSE stream is made of. Decides which one the decoder uses (see
//! `src/sse/field.rs`).
//!
//! `cargo bench -p pushcodec --bench sse_field` (criterion; `-- --quick`
//! for a short run). Compare the two ids of each group: the ratio within
//! one run is the figure.

#[allow(dead_code)]
#[path = "../src/sse/field.rs"]
mod field;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

/// One way of splitting a line into field name and value.
type Split = fn(&[u8]) -> field::FieldRanges;

fn bench(c: &mut Criterion) {
    let long_value = format!("data: {}", "x".repeat(4096));
    let long_name = "x".repeat(4096);
    let cases: [(&str, Vec<&[u8]>); 4] = [
        (
            "token_lines",
            vec![b"id: 12345", b"event: token", br#"data: {"t":"word"}"#],
        ),
        ("4KiB_data_value", vec![long_value.as_bytes()]),
        ("4KiB_line_without_colon", vec![long_name.as_bytes()]),
        ("bare_field_name_data", vec![b"data"]),
    ];
    for (name, lines) in &cases {
        let mut g = c.benchmark_group(format!("sse_field_{name}"));
        g.throughput(Throughput::Elements(lines.len() as u64));
        let splits: [(&str, Split); 2] = [
            ("hand-written", field::split_field),
            ("nom", field::split_field_nom),
        ];
        for (id, split) in splits {
            // Both must agree before either is timed.
            for l in lines {
                assert_eq!(field::split_field(l), field::split_field_nom(l));
            }
            g.bench_function(id, |b| {
                b.iter(|| {
                    let mut acc = 0;
                    for line in lines {
                        let r = split(black_box(line));
                        acc += r.name.end + r.value.start;
                    }
                    acc
                })
            });
        }
        g.finish();
    }
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
