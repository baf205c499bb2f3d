//! Allocations per decoded event, counted by a counting global allocator
//! (DEVELOPERS.md: "Zero-copy for real").
//!
//! Stream: the token-streaming shape `id: N`, `event: token`,
//! `data: {"t":"word"}`, blank line. Figures (printed with `--nocapture`):
//!
//! * one buffer, decoder called directly: **0 allocations** for 10,000
//!   events: every value is at most 38 bytes, so it is copied inline into
//!   the event and the buffer is advanced, never split or shared;
//! * through `FramedRead` with 1 KiB reads into a 4 KiB buffer, events
//!   dropped as they arrive: **0 allocations** (the read buffer is never
//!   shared, so `BytesMut::reserve` always reclaims it). Before values were
//!   held inline this was 205: the last event ID, kept as a slice of the read
//!   buffer, kept that storage shared;
//! * two-line data, events dropped as they arrive: **2 allocations in
//!   total** (the decoder's data buffer, and its one-time promotion to
//!   shared storage): the joined data is split off that buffer and its space
//!   reclaimed for the next event once the event is dropped;
//! * two-line data, every event kept: **about 1 allocation per event** (the
//!   data buffer cannot be reclaimed while events still use it).
//!
//! Everything is in one `#[test]` and only allocations made by the test's
//! own thread inside a measured section are counted.

use bytes::BytesMut;
use futures_util::StreamExt;
use pushcodec::sse::{SseDecoder, SseItem};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use tokio_util::codec::{Decoder, FramedRead};

struct Counting;

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: thread-locals may be gone during thread teardown.
    let _ = ACTIVE.try_with(|a| {
        if a.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by this thread while `f` runs.
fn count<R>(f: impl FnOnce() -> R) -> (usize, R) {
    COUNT.with(|c| c.set(0));
    ACTIVE.with(|a| a.set(true));
    let r = f();
    ACTIVE.with(|a| a.set(false));
    (COUNT.with(Cell::get), r)
}

const EVENTS: usize = 10_000;

fn token_stream(two_line_data: bool) -> Vec<u8> {
    let mut s = String::new();
    for n in 0..EVENTS {
        s.push_str(&format!(
            "id: {n}\nevent: token\ndata: {{\"t\":\"word\"}}\n"
        ));
        if two_line_data {
            s.push_str("data: {\"t\":\"more\"}\n");
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// Decodes a whole buffer, checking each event, dropping it at once.
fn decode_all(buf: &mut BytesMut) -> usize {
    let mut dec = SseDecoder::new();
    let mut events = 0;
    while let Some(item) = dec.decode(buf).unwrap() {
        let SseItem::Event(e) = item else {
            panic!("unexpected item")
        };
        assert_eq!(&*e.event_type, "token");
        events += 1;
    }
    events
}

#[test]
fn allocations_per_decoded_event() {
    // 1. One buffer, decoder called directly, single-line data.
    let mut buf = BytesMut::from(&token_stream(false)[..]);
    let (allocs, events) = count(|| decode_all(&mut buf));
    assert_eq!(events, EVENTS);
    println!("single-line data, one buffer: {allocs} allocations for {events} events");
    assert_eq!(
        allocs, 0,
        "{allocs} allocations for {events} events of short values"
    );

    // 2. Two-line data, events dropped: the data buffer is reused.
    let mut buf = BytesMut::from(&token_stream(true)[..]);
    let (allocs, events) = count(|| decode_all(&mut buf));
    assert_eq!(events, EVENTS);
    println!("two-line data, one buffer, events dropped: {allocs} allocations for {events} events");
    assert!(
        allocs <= 4,
        "{allocs} allocations for {events} events: the data buffer is not reused"
    );

    // 2b. Two-line data, every event kept: one data buffer per event, no more.
    let mut buf = BytesMut::from(&token_stream(true)[..]);
    let mut kept = Vec::with_capacity(EVENTS);
    let mut dec = SseDecoder::new();
    let (allocs, ()) = count(|| {
        while let Some(item) = dec.decode(&mut buf).unwrap() {
            kept.push(item);
        }
    });
    assert_eq!(kept.len(), EVENTS);
    assert!(kept.iter().all(
        |i| matches!(i, SseItem::Event(e) if &*e.data == "{\"t\":\"word\"}\n{\"t\":\"more\"}")
    ));
    println!("two-line data, one buffer, events kept: {allocs} allocations for {EVENTS} events");
    assert!(
        allocs <= EVENTS + 2,
        "{allocs} allocations for {EVENTS} kept events: more than 1 per event"
    );

    // 3. FramedRead, 1 KiB reads (the reader hands out at most 1 KiB).
    let input = token_stream(false);
    let reader = tokio_test_reader(&input);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut framed = FramedRead::with_capacity(reader, SseDecoder::new(), 4096);
    let (allocs, events) = count(|| {
        rt.block_on(async {
            let mut events = 0;
            while let Some(item) = framed.next().await {
                assert!(matches!(item.unwrap(), SseItem::Event(_)));
                events += 1;
            }
            events
        })
    });
    assert_eq!(events, EVENTS);
    println!(
        "single-line data, FramedRead with 1 KiB reads: {allocs} allocations for {events} events"
    );
    assert!(
        allocs <= 2,
        "{allocs} allocations for {events} events: the read buffer is not reclaimed"
    );
}

/// An `AsyncRead` that returns at most 1 KiB per read.
fn tokio_test_reader(data: &[u8]) -> impl tokio::io::AsyncRead + Unpin + '_ {
    SmallReads { data }
}

struct SmallReads<'a> {
    data: &'a [u8],
}

impl tokio::io::AsyncRead for SmallReads<'_> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let n = self.data.len().min(1024).min(buf.remaining());
        buf.put_slice(&self.data[..n]);
        self.data = &self.data[n..];
        std::task::Poll::Ready(Ok(()))
    }
}
