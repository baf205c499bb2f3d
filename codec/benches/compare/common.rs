//! Shared pieces of the comparison bench: a counting allocator, an
//! in-memory transport, a no-runtime executor, output summaries and the
//! record of what every implementation produced.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

/// Counts every allocation and reallocation (the figure is "allocations per
/// item"; frees are not counted).
pub struct CountingAlloc;

pub static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator; the counter
// is a relaxed atomic with no effect on the memory handed out.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(p, l, n) }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Copies `src` into a destination buffer that is allocated and touched
/// once, outside any timed run (a fresh allocation per run would add page
/// faults that no real copy into a reused buffer pays).
pub fn copy_to_scratch(src: &[u8]) -> usize {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < src.len() {
            s.resize(src.len(), 1);
        }
        s[..src.len()].copy_from_slice(src);
        std::hint::black_box(&s[..src.len()]);
        src.len()
    })
}

thread_local! {
    static LINE_SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on an empty buffer that keeps its capacity from run to run (so
/// the timed runs after the first neither allocate nor page-fault).
pub fn with_line_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    LINE_SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        s.clear();
        f(&mut s)
    })
}

pub fn allocs() -> u64 {
    ALLOCS.load(Relaxed)
}

/// Runs a future that never waits on anything but in-memory I/O (always
/// ready) to completion, without a runtime.
pub fn block<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    let mut spins = 0u64;
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        spins += 1;
        assert!(spins < 1_000_000, "future keeps returning Pending");
    }
}

/// What an implementation produced: item count, payload bytes and (in check
/// mode) a hash of the payloads in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub items: u64,
    pub bytes: u64,
    pub hash: u64,
}

impl Summary {
    #[inline]
    pub fn add(&mut self, payload: &[u8], check: bool) {
        self.items += 1;
        self.bytes += payload.len() as u64;
        if check {
            // FNV-1a over the payload, chained item by item.
            let mut h = self.hash ^ 0xcbf2_9ce4_8422_2325;
            for &b in payload {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
            self.hash = h.rotate_left(5) ^ payload.len() as u64;
        }
    }
}

/// An in-memory transport: reads hand out `src` at most `read` bytes at a
/// time; writes are counted and dropped. Bytes written from slices inside
/// `zero_copy` (the address range of the caller's payloads) are counted
/// apart, to measure how many payload bytes a writer copied.
pub struct MemIo {
    pub src: Bytes,
    pub pos: usize,
    pub read: usize,
    pub written: u64,
    pub written_from_payloads: u64,
    pub write_calls: u64,
    pub zero_copy: std::ops::Range<usize>,
}

impl MemIo {
    pub fn reader(src: Bytes, read: usize) -> MemIo {
        MemIo {
            src,
            pos: 0,
            read,
            written: 0,
            written_from_payloads: 0,
            write_calls: 0,
            zero_copy: 0..0,
        }
    }
    pub fn sink() -> MemIo {
        MemIo::reader(Bytes::new(), 1)
    }
    fn take(&mut self, max: usize) -> &[u8] {
        let n = max.min(self.read).min(self.src.len() - self.pos);
        let s = &self.src[self.pos..self.pos + n];
        self.pos += n;
        s
    }
    fn record(&mut self, b: &[u8]) {
        self.written += b.len() as u64;
        let p = b.as_ptr() as usize;
        if self.zero_copy.contains(&p) && p + b.len() <= self.zero_copy.end {
            self.written_from_payloads += b.len() as u64;
        }
    }
}

impl tokio::io::AsyncRead for MemIo {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let s = this.take(buf.remaining());
        buf.put_slice(s);
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for MemIo {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.write_calls += 1;
        this.record(b);
        Poll::Ready(Ok(b.len()))
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.write_calls += 1;
        let mut n = 0;
        for b in bufs {
            this.record(b);
            n += b.len();
        }
        Poll::Ready(Ok(n))
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl io::Read for MemIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let s = self.take(buf.len());
        let n = s.len();
        buf[..n].copy_from_slice(s);
        Ok(n)
    }
}

impl io::Write for MemIo {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.write_calls += 1;
        self.record(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One line of the check record (written as JSON for `report.py`).
#[derive(Debug, Clone)]
pub struct Record {
    pub group: String,
    pub id: String,
    /// "ours", "peer" or "limit".
    pub kind: &'static str,
    /// What the implementation hands out ("frames", "messages", "events",
    /// "bytes") — ratios to peers are taken within the same level.
    pub level: &'static str,
    /// Input bytes per run (for MB/s).
    pub bytes: u64,
    /// Items per run (messages/events, for items/s).
    pub items: u64,
    pub allocs_per_item: f64,
    /// Output checked against the reference (count, bytes, hash).
    pub checked: String,
    /// Why the implementation was not timed, if it was not.
    pub skipped: Option<String>,
    /// Free-form measured note.
    pub note: Option<String>,
    /// Time of the one (checked) run, for an implementation too slow to be
    /// sampled by criterion (more than `BUDGET` per run).
    pub single_run_ns: Option<f64>,
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

pub fn records_json(rs: &[Record]) -> String {
    let mut o = String::from("[\n");
    for (i, r) in rs.iter().enumerate() {
        let opt = |v: &Option<String>| v.as_deref().map_or("null".to_string(), json_str);
        o.push_str(&format!(
            "{{\"group\":{},\"id\":{},\"kind\":{},\"level\":{},\"bytes\":{},\"items\":{},\"allocs_per_item\":{:.4},\"checked\":{},\"skipped\":{},\"note\":{},\"single_run_ns\":{}}}{}\n",
            json_str(&r.group),
            json_str(&r.id),
            json_str(r.kind),
            json_str(r.level),
            r.bytes,
            r.items,
            r.allocs_per_item,
            json_str(&r.checked),
            opt(&r.skipped),
            opt(&r.note),
            r.single_run_ns.map_or("null".to_string(), |v| format!("{v:.0}")),
            if i + 1 < rs.len() { "," } else { "" }
        ));
    }
    o.push(']');
    o
}
