//! Field/value split: hand-written (`memchr`, `rules::field`) vs the `nom`
//! grammar (`rules::split_field_nom`), on the lines an SSE stream is made
//! of. Decided which one the decoder uses (see `src/sse/decoder/rules.rs`).
//!
//! `cargo bench -p pushcodec --bench sse_field` (criterion; `-- --quick`
//! for a short run). Compare the two ids of each group: the ratio within
//! one run is the figure.

#[allow(dead_code)]
#[path = "../src/sse/decoder/rules.rs"]
mod rules;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

/// One way of splitting a line into field name and value: the value range
/// and whether the name is one the decoder acts on.
type Split = fn(&[u8]) -> (std::ops::Range<usize>, bool);

fn hand_written(line: &[u8]) -> (std::ops::Range<usize>, bool) {
    use rules::Field;
    match rules::field(line) {
        Field::Data(v) | Field::Event(v) | Field::Id(v) | Field::Retry(v) => (v, true),
        Field::Comment(v) => (v, false),
        Field::Ignored => (0..0, false),
    }
}

fn nom(line: &[u8]) -> (std::ops::Range<usize>, bool) {
    let (name, value) = rules::split_field_nom(line);
    match &line[name] {
        b"data" | b"event" | b"id" | b"retry" => (value, true),
        _ => (0..0, false),
    }
}

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
        let splits: [(&str, Split); 2] = [("hand-written", hand_written), ("nom", nom)];
        for (id, split) in splits {
            // Both must agree before either is timed.
            for l in lines {
                assert_eq!(hand_written(l), nom(l));
            }
            g.bench_function(id, |b| {
                b.iter(|| {
                    let mut acc = 0;
                    for line in lines {
                        let (value, known) = split(black_box(line));
                        acc += value.start + usize::from(known);
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
