//! Allocations per decoded frame in steady state, counted by a global
//! allocator. Target and asserted figure: **0** allocations per frame for
//! `FrameCodec` and for `MessageCodec` (unfragmented text, UTF-8 checked,
//! and binary): the payload is split off the read buffer, and the buffer's
//! space is reclaimed (no new allocation) once the frames are dropped.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::BytesMut;
use pushcodec::ws::{Frame, FrameCodec, Message, MessageCodec, OpCode, Role};
use tokio_util::codec::{Decoder, Encoder};

thread_local! {
    // `const` thread-local without destructor: reading it never allocates.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

struct Counting;

// SAFETY: delegates every call to `System` unchanged; the counter is a
// thread-local `Cell` that needs no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.with(|c| c.get())
}

fn client_wire(frames: &[Frame]) -> Vec<u8> {
    let mut c = FrameCodec::client();
    let mut b = BytesMut::new();
    for f in frames {
        c.encode(f.clone(), &mut b).unwrap();
    }
    b.to_vec()
}

const ROUNDS: usize = 10_000;

#[test]
fn frame_decoding_allocates_nothing_per_frame() {
    let wire = client_wire(&[Frame::new(true, OpCode::Binary, vec![7u8; 1024])]);
    let mut codec = FrameCodec::server();
    let mut buf = BytesMut::with_capacity(64 << 10);
    let mut run = |rounds: usize| {
        for _ in 0..rounds {
            buf.extend_from_slice(&wire);
            let f = codec.decode(&mut buf).unwrap().unwrap();
            assert_eq!(f.payload.len(), 1024);
        }
    };
    run(100); // warm-up: the buffer's allocation becomes shared once
    let before = allocs();
    run(ROUNDS);
    let n = allocs() - before; // read before println!, which may allocate
    let per_frame = n as f64 / ROUNDS as f64;
    println!("FrameCodec: {per_frame} allocations per decoded frame");
    assert_eq!(n, 0, "allocations per frame: {per_frame}");
}

#[test]
fn message_decoding_allocates_nothing_per_message() {
    let wire = client_wire(&[
        Frame::new(true, OpCode::Text, "héllo wörld ".repeat(40)),
        Frame::new(true, OpCode::Binary, vec![1u8; 300]),
        Frame::new(true, OpCode::Ping, "p"),
    ]);
    let mut codec = MessageCodec::new(Role::Server);
    let mut buf = BytesMut::with_capacity(64 << 10);
    let mut run = |rounds: usize| {
        for _ in 0..rounds {
            buf.extend_from_slice(&wire);
            // Hold all three at once, as a consumer of a batch would.
            let a = codec.decode(&mut buf).unwrap().unwrap();
            let b = codec.decode(&mut buf).unwrap().unwrap();
            let c = codec.decode(&mut buf).unwrap().unwrap();
            assert!(matches!(
                (&a, &b, &c),
                (Message::Text(_), Message::Binary(_), Message::Ping(_))
            ));
        }
    };
    run(100);
    let before = allocs();
    run(ROUNDS);
    let n = allocs() - before;
    println!(
        "MessageCodec: {} allocations per decoded message",
        n as f64 / (3 * ROUNDS) as f64
    );
    assert_eq!(n, 0);
}

/// The counter itself works (so the zero figures above can fail).
#[test]
fn counter_sees_allocations() {
    let before = allocs();
    let v: Vec<u8> = Vec::with_capacity(10);
    drop(std::hint::black_box(v));
    assert_eq!(allocs() - before, 1);
}

/// An in-memory transport that serves the same wire bytes forever (memcpy
/// only) and swallows writes.
struct Repeat {
    wire: Vec<u8>,
    pos: usize,
}

impl tokio::io::AsyncRead for Repeat {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        let n = buf.remaining().min(this.wire.len() - this.pos);
        buf.put_slice(&this.wire[this.pos..this.pos + n]);
        this.pos = (this.pos + n) % this.wire.len();
        std::task::Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for Repeat {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// The whole read path of `WebSocketStream` (transport read, frame decode,
/// UTF-8 check, auto-pong for pings) in steady state: 0 allocations per
/// message, polled with a no-op waker (no runtime in the count).
#[test]
fn stream_reading_allocates_nothing_per_message() {
    use futures_util::StreamExt;
    use pushcodec::ws::{WebSocketConfig, WebSocketStream};
    let wire = client_wire(&[
        Frame::new(true, OpCode::Text, "stream text ".repeat(20)),
        Frame::new(true, OpCode::Binary, vec![2u8; 700]),
        Frame::new(true, OpCode::Ping, "keepalive"),
    ]);
    let io = Repeat { wire, pos: 0 };
    let mut ws = WebSocketStream::from_raw(io, Role::Server, WebSocketConfig::default());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut run = |rounds: usize| {
        for _ in 0..rounds {
            match ws.poll_next_unpin(&mut cx) {
                std::task::Poll::Ready(Some(Ok(m))) => assert!(!m.is_close()),
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    run(3000);
    let before = allocs();
    run(3 * ROUNDS);
    let n = allocs() - before;
    println!(
        "WebSocketStream: {} allocations per received message",
        n as f64 / (3 * ROUNDS) as f64
    );
    assert_eq!(n, 0);
}

/// A client peer over memory: each read the server makes gets the next
/// compressed token from a client `MessageCodec` (context takeover, RSV1,
/// masked); each write the server makes is decoded (inflated) and checked.
struct DeflatePeer {
    codec: MessageCodec,
    tokens: Vec<Message>,
    next: usize,
    inbound: BytesMut,
    outbound: BytesMut,
    echoed: usize,
}

impl tokio::io::AsyncRead for DeflatePeer {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.inbound.is_empty() {
            let m = this.tokens[this.next % this.tokens.len()].clone();
            this.next += 1;
            this.codec.encode(m, &mut this.inbound).unwrap();
        }
        let n = buf.remaining().min(this.inbound.len());
        buf.put_slice(&this.inbound.split_to(n));
        std::task::Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for DeflatePeer {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = &mut *self;
        this.outbound.extend_from_slice(buf);
        while let Some(m) = this.codec.decode(&mut this.outbound).unwrap() {
            assert_eq!(m, this.tokens[this.echoed % this.tokens.len()]);
            this.echoed += 1;
        }
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// permessage-deflate through the whole stream, both directions, context
/// takeover both ways: a server reads compressed tokens (inflated, UTF-8
/// checked) and echoes each one compressed (sync-flushed, written) —
/// 0 allocations per message in steady state, the peer's codec included.
#[test]
fn deflate_stream_echo_allocates_nothing_per_message() {
    use futures_util::{SinkExt, StreamExt};
    use pushcodec::ws::extension::deflate::DeflateParams;
    use pushcodec::ws::handshake::Negotiated;
    use pushcodec::ws::{WebSocketConfig, WebSocketStream};
    use std::task::Poll;
    let cfg = WebSocketConfig::default();
    let params = DeflateParams::default();
    let tokens: Vec<Message> = (0..64)
        .map(|i| {
            Message::text(format!(
                r#"{{"type":"token","index":{i},"text":" wörd{}"}}"#,
                i * 7 % 13
            ))
        })
        .collect();
    let peer = DeflatePeer {
        codec: MessageCodec::with_deflate(Role::Client, &cfg, Some(params)),
        tokens,
        next: 0,
        inbound: BytesMut::new(),
        outbound: BytesMut::new(),
        echoed: 0,
    };
    let negotiated = Negotiated::new(None, Some(params));
    let mut ws =
        WebSocketStream::from_negotiated(peer, Role::Server, cfg, negotiated, BytesMut::new());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut run = |rounds: usize| {
        for _ in 0..rounds {
            let m = match ws.poll_next_unpin(&mut cx) {
                Poll::Ready(Some(Ok(m))) => m,
                other => panic!("unexpected {other:?}"),
            };
            assert!(matches!(ws.poll_ready_unpin(&mut cx), Poll::Ready(Ok(()))));
            ws.start_send_unpin(m).unwrap();
            assert!(matches!(ws.poll_flush_unpin(&mut cx), Poll::Ready(Ok(()))));
        }
    };
    run(2000);
    let before = allocs();
    run(ROUNDS);
    let n = allocs() - before;
    let echoed = ws.get_ref().echoed;
    println!(
        "WebSocketStream with permessage-deflate: {} allocations per echoed message",
        n as f64 / ROUNDS as f64
    );
    assert_eq!(echoed, 2000 + ROUNDS);
    assert_eq!(n, 0);
}
