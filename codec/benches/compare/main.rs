//! pushcodec against its peers and the physical limits, in one run
//! (issue 7).
//!
//! ```text
//! cargo bench -p pushcodec --bench compare            # full run
//! cargo bench -p pushcodec --bench compare -- --quick # < 3 min
//! python3 codec/benches/report.py                     # → ratio table (Markdown)
//! ```
//!
//! Before timing anything, every implementation runs every workload once
//! with output checking on: item count, payload bytes and a hash of the
//! payloads in order must equal the reference (the workload's own
//! messages/events), else the bench stops — no fast-but-wrong figure. That
//! run also counts allocations (a counting global allocator) per item. A
//! peer whose probe on a prefix of a workload extrapolates to more than
//! `BUDGET` for one run (quadratic rescans) is not timed on it; the probe's
//! figure is recorded instead. The records go to
//! `target/criterion/compare-records.json`, which `report.py` joins with
//! criterion's `estimates.json` files.
//!
//! Lanes, so that like is compared with like:
//! * `ws_decode_reads_*`: codec-level decoders fed the masked wire in
//!   64 KiB reads appended to a `BytesMut`, as `FramedRead` feeds a codec
//!   from a socket (no async transport); limits: the read copy alone, and
//!   the read copy + one XOR pass over each read.
//! * `ws_decode_stream_*`: every implementation reads the wire from an
//!   in-memory transport in 64 KiB reads into its own buffer (as from a
//!   socket); limit: the read copy alone.
//! * `ws_encode_{server,client}_*`: codec-level encoders into one buffer,
//!   connection types into an in-memory sink; limit: copying the payloads
//!   after their header bytes (and XOR for the client role).
//! * `sse_decode_*`: the stream fed in reads of the stated size; limits:
//!   one memchr2 scan for CR/LF, one memcpy of the same bytes.
//! * `sse_encode_*`: events → one buffer; limit: memcpy of the output size.

mod common;
mod sse;
mod ws;

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput};

use common::{allocs, records_json, CountingAlloc, Record, Summary};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Longest a single run of one implementation on one workload may take to
/// be timed (estimated from a probe on a prefix).
const BUDGET: Duration = Duration::from_secs(1);

/// `COMPARE_GROUPS=a,b`: only the groups whose name contains one of the
/// comma-separated substrings are checked and timed (for profiling runs;
/// the published table comes from a run of everything).
fn wanted(group: &str) -> bool {
    match std::env::var("COMPARE_GROUPS") {
        Ok(v) if !v.is_empty() => v.split(',').any(|p| group.contains(p)),
        _ => true,
    }
}

fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration, u64) {
    let a = allocs();
    let t = Instant::now();
    let v = f();
    let d = t.elapsed();
    (v, d, allocs() - a)
}

/// Best of three timings (the first run of a big input pays page faults);
/// one run if that one took more than 50 ms.
fn best3(mut f: impl FnMut()) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        if best > Duration::from_millis(50) {
            break;
        }
    }
    best
}

fn check_eq(what: &str, got: Summary, want: Summary) -> String {
    assert_eq!(
        got, want,
        "{what}: output differs from the reference (items, bytes, hash)"
    );
    format!("{} items, {} bytes, hash ok", got.items, got.bytes)
}

fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .without_plots()
        .configure_from_args()
}

fn target_dir() -> std::path::PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        return d.into();
    }
    // target/release/deps/compare-<hash>
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

fn main() {
    let mut c = criterion();
    let mut records = Vec::new();
    ws_benches(&mut c, &mut records);
    sse_benches(&mut c, &mut records);
    let dir = target_dir().join("criterion");
    std::fs::create_dir_all(&dir).unwrap();
    // A partial run (COMPARE_GROUPS) must not replace the full run's
    // record that report.py reads.
    let partial = std::env::var("COMPARE_GROUPS").is_ok_and(|v| !v.is_empty());
    let path = dir.join(if partial {
        "compare-records-partial.json"
    } else {
        "compare-records.json"
    });
    std::fs::write(&path, records_json(&records)).unwrap();
    eprintln!("records: {}", path.display());
    c.final_summary();
}

// ------------------------------------------------------------------- WS --

fn ws_benches(c: &mut Criterion, records: &mut Vec<Record>) {
    let works = ws::workloads(1);
    for w in &works {
        let msgs = ws::reference(w, true);
        let frames = ws::reference_frames(w, true);
        let items = w.msgs.len() as u64;

        // Codec level: fed 64 KiB reads as FramedRead feeds a codec.
        let group = format!("ws_decode_reads_{}", w.name);
        if wanted(&group) {
            let mut g = c.benchmark_group(&group);
            g.throughput(Throughput::Bytes(w.wire.len() as u64));
            for (id, kind, level, f) in ws::reads_decoders() {
                let (got, _, a) = measured(|| f(w, true));
                let checked = match level {
                    "messages" => check_eq(id, got, msgs),
                    "frames" => check_eq(id, got, frames),
                    _ => format!("{} bytes", got.bytes),
                };
                records.push(Record {
                    group: group.clone(),
                    id: id.into(),
                    kind,
                    level,
                    bytes: w.wire.len() as u64,
                    items,
                    allocs_per_item: a as f64 / items as f64,
                    checked,
                    skipped: None,
                    note: None,
                    single_run_ns: None,
                });
                g.bench_function(id, |b| b.iter(|| f(w, false)));
            }
            g.finish();
        }

        // Stream level: read from an in-memory transport.
        let group = format!("ws_decode_stream_{}", w.name);
        if wanted(&group) {
            let mut g = c.benchmark_group(&group);
            g.throughput(Throughput::Bytes(w.wire.len() as u64));
            for (id, kind, level, f) in ws::stream_decoders() {
                let (got, _, a) = measured(|| f(w, true));
                let checked = match level {
                    "messages" => check_eq(id, got, msgs),
                    "frames" => check_eq(id, got, frames),
                    _ => format!("{} bytes", got.bytes),
                };
                records.push(Record {
                    group: group.clone(),
                    id: id.into(),
                    kind,
                    level,
                    bytes: w.wire.len() as u64,
                    items,
                    allocs_per_item: a as f64 / items as f64,
                    checked,
                    skipped: None,
                    note: None,
                    single_run_ns: None,
                });
                g.bench_function(id, |b| b.iter(|| f(w, false)));
            }
            g.finish();
        }

        for client in [false, true] {
            let role = if client { "client" } else { "server" };
            let group = format!("ws_encode_{role}_{}", w.name);
            if !wanted(&group) {
                continue;
            }
            let mut g = c.benchmark_group(&group);
            g.throughput(Throughput::Bytes(w.payload_bytes()));
            let want = if client {
                w.wire.len()
            } else {
                w.wire_unmasked.len()
            } as u64;
            for (id, kind, level, f) in ws::encoders() {
                let (n, _, a) = measured(|| f(w, client));
                assert_eq!(n, want, "{id} {role} {}: wire length", w.name);
                records.push(Record {
                    group: group.clone(),
                    id: id.into(),
                    kind,
                    level,
                    bytes: w.payload_bytes(),
                    items,
                    allocs_per_item: a as f64 / items as f64,
                    checked: format!("{n} wire bytes (= hand-written frames)"),
                    skipped: None,
                    note: None,
                    single_run_ns: None,
                });
                g.bench_function(id, |b| b.iter(|| f(w, client)));
            }
            g.finish();
        }
    }

    // Steady-state allocations (second pass over the same wire).
    for w in works
        .iter()
        .filter(|w| wanted(&format!("ws_steady_allocs_{}", w.name)))
    {
        let (stream, codec) = ws::pc_steady_allocs(w);
        let note = format!(
            "second pass: FramedRead<FrameCodec> {stream:.4} allocations per frame; \
             MessageCodec on a buffer {codec:.4} per message"
        );
        eprintln!("steady state {}: {note}", w.name);
        records.push(Record {
            group: format!("ws_steady_allocs_{}", w.name),
            id: "pushcodec-FramedRead-FrameCodec".into(),
            kind: "ours",
            level: "frames",
            bytes: w.wire.len() as u64,
            items: w.frames(),
            allocs_per_item: stream,
            checked: "-".into(),
            skipped: None,
            note: Some(note),
            single_run_ns: None,
        });
    }

    // Write path: payload bytes copied by WebSocketStream (server role).
    for w in works
        .iter()
        .filter(|w| w.name.starts_with("binary_1MiB") || w.name.starts_with("text_16B"))
        .filter(|w| wanted(&format!("ws_write_path_{}", w.name)))
    {
        let ((copied, written, calls), _, a) = measured(|| ws::pc_write_path(w));
        let payload = w.payload_bytes();
        let note = format!(
            "{} messages, {payload} payload bytes: {copied} payload bytes copied \
             ({:.4} per payload byte), {written} bytes written in {calls} write calls, \
             {:.3} allocations per message",
            w.msgs.len(),
            copied as f64 / payload as f64,
            a as f64 / w.msgs.len() as f64
        );
        eprintln!("write path {}: {note}", w.name);
        records.push(Record {
            group: format!("ws_write_path_{}", w.name),
            id: "pushcodec-WebSocketStream".into(),
            kind: "ours",
            level: "messages",
            bytes: payload,
            items: w.msgs.len() as u64,
            allocs_per_item: a as f64 / w.msgs.len() as f64,
            checked: format!("{written} bytes written"),
            skipped: None,
            note: Some(note),
            single_run_ns: None,
        });
    }
}

// ------------------------------------------------------------------ SSE --

/// Estimated time of one run of `f` on `w`. Small events: the first 1/64
/// of them, × 64. Long lines (a cost that may grow faster than the line):
/// one event with a 32 KiB and one with a 64 KiB line, fed in the same
/// reads; the growth between them gives the exponent to extrapolate to the
/// workload's line length, × the number of events.
fn probe_estimate(w: &sse::SseWork, f: sse::SseDecode) -> (Duration, String) {
    let run = |p: &sse::SseWork| {
        let pc = p.chunks();
        measured(|| f(p, &pc, false)).1
    };
    let longest = w.events.iter().map(|e| e.1.len()).max().unwrap_or(0);
    if longest <= 64 << 10 {
        let k = (w.events.len() / 64).max(1);
        let t = run(&sse::work("probe", w.events[..k].to_vec(), w.read));
        let est = t.mul_f64(w.events.len() as f64 / k as f64);
        let how = format!(
            "{k} of {} events took {:.1} ms",
            w.events.len(),
            t.as_secs_f64() * 1e3
        );
        return (est, how);
    }
    let t1 = run(&sse::work("p", sse::long_line_events(1, 32 << 10), w.read));
    let t2 = run(&sse::work("p", sse::long_line_events(1, 64 << 10), w.read));
    let g = (t2.as_secs_f64() / t1.as_secs_f64().max(1e-9))
        .log2()
        .clamp(1.0, 2.0);
    let per_event = t2.mul_f64((longest as f64 / (64 << 10) as f64).powf(g));
    let est = per_event.mul_f64(w.events.len() as f64);
    let how = format!(
        "one 32 KiB line took {:.1} ms, one 64 KiB line {:.1} ms (time ∝ length^{g:.1}), so one {} KiB line ≈ {:.2} s",
        t1.as_secs_f64() * 1e3,
        t2.as_secs_f64() * 1e3,
        longest >> 10,
        per_event.as_secs_f64()
    );
    (est, how)
}

fn sse_benches(c: &mut Criterion, records: &mut Vec<Record>) {
    for w in sse::workloads(1) {
        let want = sse::reference(&w, true);
        let chunks = w.chunks();
        let items = w.events.len() as u64;
        let group = format!("sse_decode_{}", w.name);
        if wanted(&group) {
            let mut g = c.benchmark_group(&group);
            g.throughput(Throughput::Bytes(w.wire.len() as u64));
            for (id, kind, level, f) in sse::decoders() {
                // Probe first; skip what would take more than BUDGET per run.
                let mut skipped = None;
                if kind == "peer" {
                    let (est, how) = probe_estimate(&w, f);
                    if est > BUDGET {
                        skipped = Some(format!(
                            "not timed: {how}, so one run ≈ {:.0} s (> {} s budget)",
                            est.as_secs_f64(),
                            BUDGET.as_secs()
                        ));
                    }
                }
                if let Some(s) = skipped {
                    eprintln!("{group}/{id}: {s}");
                    records.push(Record {
                        group: group.clone(),
                        id: id.into(),
                        kind,
                        level,
                        bytes: w.wire.len() as u64,
                        items,
                        allocs_per_item: f64::NAN,
                        checked: "-".into(),
                        skipped: Some(s),
                        note: None,
                        single_run_ns: None,
                    });
                    continue;
                }
                let (got, d, a) = measured(|| f(&w, &chunks, true));
                let checked = if kind == "limit" {
                    format!("{} bytes", got.bytes)
                } else {
                    check_eq(&format!("{group}/{id}"), got, want)
                };
                // Too slow to sample: the checked run is its figure.
                let slow = d > BUDGET;
                records.push(Record {
                    group: group.clone(),
                    id: id.into(),
                    kind,
                    level,
                    bytes: w.wire.len() as u64,
                    items,
                    allocs_per_item: a as f64 / items as f64,
                    checked,
                    skipped: None,
                    note: slow.then(|| {
                        format!("one run, not sampled ({:.2} s > budget)", d.as_secs_f64())
                    }),
                    single_run_ns: slow.then_some(d.as_nanos() as f64),
                });
                if !slow {
                    g.bench_function(id, |b| b.iter(|| f(&w, &chunks, false)));
                }
            }
            g.finish();
        }

        let group = format!("sse_steady_allocs_{}", w.name);
        if wanted(&group) {
            let a = sse::pc_steady_allocs(&w);
            let note = format!("second pass: {a:.4} allocations per event");
            eprintln!("steady state {}: {note}", w.name);
            records.push(Record {
                group,
                id: "pushcodec-SseDecoder".into(),
                kind: "ours",
                level: "events",
                bytes: w.wire.len() as u64,
                items,
                allocs_per_item: a,
                checked: "-".into(),
                skipped: None,
                note: Some(note),
                single_run_ns: None,
            });
        }

        if w.read != 4096 {
            continue;
        }
        let group = format!("sse_encode_{}", w.name.trim_end_matches("_reads4096"));
        if !wanted(&group) {
            continue;
        }
        let mut g = c.benchmark_group(&group);
        g.throughput(Throughput::Bytes(w.wire.len() as u64));
        for (id, kind, f, input) in sse::encoders() {
            let inp = input(&w);
            let (out, _, a) = measured(|| f(&w, inp, true));
            // Decode what it wrote with our decoder: same events.
            let checked = if kind == "limit" {
                format!("{} bytes", out.len())
            } else {
                let ow = sse::SseWork {
                    name: String::new(),
                    wire: out.clone(),
                    events: vec![],
                    read: 1 << 30,
                };
                let got = sse::decoders()[0].3(&ow, std::slice::from_ref(&out), true);
                let s = check_eq(&format!("{group}/{id} (decoded back)"), got, want);
                format!("{} wire bytes; decoded back: {s}", out.len())
            };
            records.push(Record {
                group: group.clone(),
                id: id.into(),
                kind,
                level: "events",
                bytes: w.wire.len() as u64,
                items,
                allocs_per_item: a as f64 / items as f64,
                checked,
                skipped: None,
                note: None,
                single_run_ns: None,
            });
            g.bench_function(id, |b| {
                b.iter_batched(|| input(&w), |i| f(&w, i, false), BatchSize::LargeInput)
            });
        }
        g.finish();
    }
    sse_long_line(c, records);
}

/// One 8 MiB data line in 1 KiB reads: linear or not. Every implementation
/// is probed at 512 KiB and 1 MiB first; superlinear ones are extrapolated
/// (× 64 from 1 MiB if quadratic) and only timed if within budget.
fn sse_long_line(c: &mut Criterion, records: &mut Vec<Record>) {
    let w = sse::work("8MiB_line", sse::long_line_events(1, 8 << 20), 1024);
    let want = sse::reference(&w, true);
    let chunks = w.chunks();
    let group = format!("sse_decode_{}", w.name);
    if !wanted(&group) {
        return;
    }
    let mut g = c.benchmark_group(&group);
    g.throughput(Throughput::Bytes(w.wire.len() as u64));
    g.sample_size(10);
    let half = sse::work("p", sse::long_line_events(1, 512 << 10), 1024);
    let one = sse::work("p", sse::long_line_events(1, 1 << 20), 1024);
    let (hc, oc) = (half.chunks(), one.chunks());
    for (id, kind, level, f) in sse::decoders() {
        let d_half = best3(|| {
            f(&half, &hc, false);
        });
        let d_one = best3(|| {
            f(&one, &oc, false);
        });
        let growth = d_one.as_secs_f64() / d_half.as_secs_f64().max(1e-9);
        let est = if growth > 3.0 {
            d_one.mul_f64(64.0)
        } else {
            d_one.mul_f64(8.0)
        };
        let mut note = format!(
            "512 KiB line {:.2} ms, 1 MiB line {:.2} ms (×{growth:.1} for ×2 input{})",
            d_half.as_secs_f64() * 1e3,
            d_one.as_secs_f64() * 1e3,
            if growth > 3.5 { ": superlinear" } else { "" }
        );
        if est > BUDGET {
            let s = format!("not timed: {note}; 8 MiB ≈ {:.0} s", est.as_secs_f64());
            eprintln!("{group}/{id}: {s}");
            records.push(Record {
                group: group.clone(),
                id: id.into(),
                kind,
                level,
                bytes: w.wire.len() as u64,
                items: 1,
                allocs_per_item: f64::NAN,
                checked: "-".into(),
                skipped: Some(s),
                note: None,
                single_run_ns: None,
            });
            continue;
        }
        let (got, d_check, a) = measured(|| f(&w, &chunks, true));
        let slow = d_check > BUDGET;
        let d8 = best3(|| {
            f(&w, &chunks, false);
        });
        note.push_str(&format!(
            "; 8 MiB {:.1} ms = {:.2} ns/byte vs {:.2} ns/byte at 1 MiB",
            d8.as_secs_f64() * 1e3,
            d8.as_nanos() as f64 / w.wire.len() as f64,
            d_one.as_nanos() as f64 / one.wire.len() as f64
        ));
        let checked = if kind == "limit" {
            format!("{} bytes", got.bytes)
        } else {
            check_eq(&format!("{group}/{id}"), got, want)
        };
        records.push(Record {
            group: group.clone(),
            id: id.into(),
            kind,
            level,
            bytes: w.wire.len() as u64,
            items: 1,
            allocs_per_item: a as f64,
            checked,
            skipped: None,
            note: Some(note),
            single_run_ns: slow.then_some(d8.as_nanos() as f64),
        });
        if !slow {
            g.bench_function(id, |b| b.iter(|| f(&w, &chunks, false)));
        }
    }
    g.finish();
    let _ = Bytes::new();
}
