//! permessage-deflate memory, measured by a counting global allocator:
//!
//! * **0 allocations per message** in steady state with context takeover
//!   (compress into a reused buffer, inflate, hand the message out, drop
//!   it), and without context takeover;
//! * **heap bytes per connection** of the engine for each window bits
//!   setting and memory level (printed; `--nocapture` shows the table that
//!   BENCHMARKS.md quotes);
//! * **the bomb**: a message that inflates to 1 GiB is refused with the
//!   1009 error after inflating at most `max_message_size` + 1 bytes, and
//!   the heap never holds more than `max_message_size` plus a window and
//!   the inflater's state.
//!
//! The counters are per thread: each test measures its own thread's
//! allocations only.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::BytesMut;
use pushcodec::ws::extension::deflate::{Compressed, Deflater, Inflater};
use pushcodec::ws::extension::{DeflateConfig, DeflateError};
use pushcodec::ws::CloseCode;

thread_local! {
    // Per thread (`const`, no destructor: reading them never allocates), so
    // the test harness's own threads cannot disturb a measurement.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// Highest `LIVE`, a realloc counted as a resize of one block.
    static PEAK: Cell<isize> = const { Cell::new(0) };
    /// Highest `LIVE` if every realloc moved (old and new block both held).
    static PEAK_MOVING: Cell<isize> = const { Cell::new(0) };
}

struct Counting;

fn add(c: &'static std::thread::LocalKey<Cell<isize>>, d: isize) -> isize {
    c.with(|c| {
        c.set(c.get() + d);
        c.get()
    })
}

fn grew(live: isize, transient: isize) {
    PEAK.with(|p| p.set(p.get().max(live)));
    PEAK_MOVING.with(|p| p.set(p.get().max(transient)));
}

fn count() {
    ALLOCS.with(|c| c.set(c.get() + 1));
}

// SAFETY: delegates every call to `System` unchanged; the counters are
// `const` thread-locals without destructors, which need no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        let live = add(&LIVE, layout.size() as isize);
        grew(live, live);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        let live = add(&LIVE, layout.size() as isize);
        grew(live, live);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(&LIVE, -(layout.size() as isize));
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        let delta = new_size as isize - layout.size() as isize;
        let live = add(&LIVE, delta);
        grew(live, live - delta + new_size as isize);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

fn reset_peaks() {
    PEAK.with(|p| p.set(live()));
    PEAK_MOVING.with(|p| p.set(live()));
}

/// A token-stream message (what an LLM server sends, one per token).
fn token(i: usize) -> Vec<u8> {
    format!(
        r#"{{"id":"chatcmpl-7","object":"chat.completion.chunk","choices":[{{"index":0,"delta":{{"content":" word{}"}}}}],"n":{i}}}"#,
        i % 50
    )
    .into_bytes()
}

fn steady_state_allocations(no_context_takeover: bool) -> usize {
    let msgs: Vec<Vec<u8>> = (0..64).map(token).collect();
    let mut tx = Deflater::new(15, no_context_takeover, &DeflateConfig::default());
    let mut rx = Inflater::new(15, 1 << 20);
    let mut wire = BytesMut::with_capacity(4096);
    let mut round = |i: usize| {
        wire.clear();
        let m = &msgs[i % msgs.len()];
        assert_eq!(tx.compress(m, &mut wire).unwrap(), Compressed::Yes);
        rx.inflate_fragment(&wire).unwrap();
        let got = rx.finish_message().unwrap();
        assert_eq!(&got[..], &m[..]);
    };
    for i in 0..200 {
        round(i); // warm-up: windows allocated, buffers shared once
    }
    let before = allocs();
    for i in 0..10_000 {
        round(i);
    }
    allocs() - before
}

#[test]
fn zero_allocations_per_message_in_steady_state() {
    let with = steady_state_allocations(false);
    let without = steady_state_allocations(true);
    println!(
        "allocations per 10,000 messages: context takeover {with}, no context takeover {without}"
    );
    assert_eq!(with, 0, "with context takeover");
    assert_eq!(without, 0, "without context takeover");
}

/// Heap bytes a compressor and a decompressor hold once each has handled a
/// message (zlib allocates the inflate window at the first output).
fn engine_bytes(bits: u8, mem_level: u8) -> (isize, isize) {
    warm_scratch();
    let msg = token(1);
    let base = live();
    let mut tx = Deflater::new(
        bits,
        false,
        &DeflateConfig::builder().mem_level(mem_level).build(),
    );
    let rx = Inflater::new(bits, 1 << 20);
    assert_eq!(
        live(),
        base,
        "the zlib states are built at the first message"
    );
    drop(rx);
    let mut wire = BytesMut::with_capacity(4096);
    tx.compress(&msg, &mut wire).unwrap();
    let deflate = live() - base - wire.capacity() as isize;
    let base = live();
    let mut rx = Inflater::new(bits, 1 << 20);
    rx.inflate_fragment(&wire).unwrap();
    drop(rx.finish_message().unwrap());
    // The inflater keeps its message buffer for reuse; count it apart.
    let inflate = live() - base;
    drop((tx, rx));
    (deflate, inflate)
}

#[test]
fn released_engines_hold_nothing_and_work_again() {
    warm_scratch();
    let msg = token(3);
    let base = live();
    let mut tx = Deflater::new(15, true, &DeflateConfig::default());
    let mut rx = Inflater::new(15, 1 << 20).with_peer_no_context_takeover(true);
    let mut wire = BytesMut::with_capacity(4096);
    let wire_cap = wire.capacity() as isize;
    let mut seen = [(0isize, 0isize); 3]; // no Vec: it would be counted
    for slot in &mut seen {
        wire.clear();
        assert_eq!(tx.compress(&msg, &mut wire).unwrap(), Compressed::Yes);
        rx.inflate_fragment(&wire).unwrap();
        assert_eq!(&rx.finish_message().unwrap()[..], &msg[..]);
        let held = live() - base - wire_cap;
        tx.release();
        assert!(rx.release());
        let idle = live() - base - wire_cap;
        *slot = (held, idle);
    }
    // Printed after measuring: a captured println! allocates on this thread.
    println!("(active, released) bytes per round: {seen:?}");
    for (held, idle) in seen {
        assert!(held > 300_000, "{held}");
        assert_eq!(idle, 0, "an idle connection holds no deflate state");
    }
}

/// The inflater's per-thread scratch (32 KiB) is allocated at the first
/// inflate of a thread; per connection figures leave it out.
fn warm_scratch() {
    let mut i = Inflater::new(15, 16);
    i.inflate_fragment(&[0x00]).unwrap();
    i.finish_message().unwrap();
}

#[test]
fn memory_per_connection_by_window_bits() {
    println!("| window bits | compressor memLevel 8 | memLevel 4 | memLevel 1 | decompressor | total (memLevel 8) |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut last = (0, 0);
    for bits in 8..=15u8 {
        let (d8, i) = engine_bytes(bits, 8);
        let (d4, _) = engine_bytes(bits, 4);
        let (d1, _) = engine_bytes(bits, 1);
        println!("| {bits} | {d8} | {d4} | {d1} | {i} | {} |", d8 + i);
        // Sanity: windows grow with the bits, memLevel shrinks the compressor.
        assert!(
            d8 >= last.0 && i >= last.1,
            "bits {bits}: {d8} {i} after {last:?}"
        );
        assert!(d1 < d4 && d4 < d8, "bits {bits}: {d1} {d4} {d8}");
        // Upper bounds from zlib-rs's layout: window 2·2^b and prev 2·2^b
        // (b at least 9), a fixed 128 KiB hash table, pending and symbol
        // buffers of 7·2^(m+6), the state; inflate: window 2^b, ~46 KiB of
        // state and tables.
        assert!(d8 <= (4 << bits.max(9)) + (256 << 10), "{d8}");
        assert!(i <= (1 << bits) + (64 << 10), "{i}");
        last = (d8, i);
    }
}

/// A compressed message of 1 GiB of zeros, about 1 MiB long: the first
/// 1 MiB compressed, then the next 1 MiB (which only refers to the zeros
/// before it) repeated.
fn bomb() -> (Vec<u8>, u64) {
    let zeros = vec![0u8; 1 << 20];
    let mut tx = Deflater::new(15, false, &DeflateConfig::builder().level(9).build());
    let (mut first, mut next) = (BytesMut::new(), BytesMut::new());
    tx.compress_fragment(&zeros, false, &mut first).unwrap();
    tx.compress_fragment(&zeros, false, &mut next).unwrap();
    let mut wire = first.to_vec();
    for _ in 1..1024 {
        wire.extend_from_slice(&next);
    }
    (wire, 1 << 30)
}

#[test]
fn a_1_gib_bomb_is_refused_within_the_limit() {
    let (wire, inflated) = bomb();
    // The bomb is what it says: a 1 MiB prefix inflates to 1 MiB... and
    // the whole inflates to 1 GiB under a limit that allows it (checked on
    // a prefix: 64 repetitions = 64 MiB, to keep the test fast).
    let per_rep = wire.len() / 1024;
    let mut ok = Inflater::new(15, 64 << 20);
    ok.inflate_fragment(&wire[..wire.len() / 16]).unwrap();
    assert!(ok.message_len() >= (63 << 20), "{}", ok.message_len());
    drop(ok);
    println!(
        "bomb: {} compressed bytes inflate to {inflated} bytes ({}:1)",
        wire.len(),
        inflated / wire.len() as u64
    );

    const MAX: usize = 16 << 20;
    warm_scratch();
    let base = live();
    reset_peaks();
    let mut rx = Inflater::new(15, MAX);
    rx.inflate_fragment(&wire[..1]).unwrap(); // builds the zlib state
    let state = live() - base;
    let mut fed = 1usize;
    let mut err = None;
    let mut checked = 0usize;
    for chunk in wire[1..].chunks(64 << 10) {
        fed += chunk.len();
        match rx.inflate_with(chunk, |b| {
            checked += b.len();
            assert!(checked <= MAX, "the check saw bytes past the limit");
            Ok::<(), DeflateError>(())
        }) {
            Ok(()) => {}
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let peak = PEAK.with(Cell::get) - base;
    let peak_moving = PEAK_MOVING.with(Cell::get) - base;
    let e = err.expect("the bomb must be refused");
    assert_eq!(e, DeflateError::MessageTooBig { max: MAX });
    assert_eq!(e.close_code(), Some(CloseCode::TOO_BIG));
    println!(
        "bomb refused after {fed} of {} compressed bytes ({} per 1 MiB), {checked} bytes inflated and checked; \
         heap: inflater state {state} B, peak {peak} B (max_message_size {MAX} + {} B), \
         peak if every realloc moved {peak_moving} B",
        wire.len(),
        per_rep,
        peak - MAX as isize
    );
    // Refused early: about MAX / (1 MiB) repetitions in, not 1 GiB.
    assert!(fed <= (MAX >> 20) * per_rep + (128 << 10), "fed {fed}");
    // Within max_message_size + a window (32 KiB) + the inflater's state + one step.
    assert!(
        peak <= (MAX + 1) as isize + (32 << 10) + state + (32 << 10),
        "peak {peak}"
    );
    drop(rx);
}
