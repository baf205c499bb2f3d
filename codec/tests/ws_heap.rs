//! Heap bytes per server-side WebSocket connection (issue 11), for
//! pushcodec, tokio-tungstenite and tokio-websockets in the same test,
//! counted by a global allocator that tracks live bytes.
//!
//! Method, the same for each library: N loopback TCP pairs; the client
//! sides are raw sockets that write a fixed upgrade request (and later
//! masked frames) and never read, so they hold no heap. The live heap is
//! taken (L0) with the N server-side `TcpStream`s accepted; then each
//! server side does the library's handshake, its stream is kept in a `Vec`
//! (its inline size counts: a server keeps it in a spawned task) and polled
//! once for a message (`Pending`, as a server waiting in `next()`): L1.
//! **Idle** = (L1 − L0) / N − size_of::<TcpStream>() (the socket itself is
//! already in L0). Then each client sends 10 masked 16-byte text messages,
//! each server stream reads them and sends 10 16-byte text messages back
//! (flushed), and nothing is held by the application: **streaming** = the
//! same difference then (buffers in their working state, between
//! messages). The socket's kernel buffers are not heap and not counted.
//!
//! With permessage-deflate (issue 16): the same for pushcodec with the
//! client offering `permessage-deflate` and its 10 messages compressed
//! (context takeover, by a client `MessageCodec::with_deflate` per
//! connection, encoded before L0); the server answers compressed, so it
//! holds a compressor and a decompressor. Rows: the defaults, and the
//! server's memory knobs (`mem_level(1)`, `server_max_window_bits(9)`).
//!
//! `cargo test -p pushcodec --test ws_heap -- --nocapture` prints the
//! table that BENCHMARKS.md shows. Asserted: pushcodec idle ≤ 4 KiB (with
//! deflate too: its state is built at the first compressed message), and
//! the knobs lower a streaming deflate connection's heap.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::task::{Context, Poll};

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

static LIVE: AtomicIsize = AtomicIsize::new(0);

struct Counting;

// SAFETY: delegates every call to `System` unchanged; the counter is an
// atomic that needs no allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

const N: usize = 200;
const MSGS: usize = 10;

const HEAD: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// [`HEAD`] offering permessage-deflate (RFC 7692 §5), as browsers do.
const HEAD_DEFLATE: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

/// 10 masked 16-byte text messages compressed by a client with context
/// takeover (one connection's worth).
fn client_frames_deflate() -> Vec<u8> {
    use pushcodec::ws::extension::deflate::DeflateParams;
    use pushcodec::ws::{Message, MessageCodec, Role, WebSocketConfig};
    use tokio_util::codec::Encoder;
    let mut codec = MessageCodec::with_deflate(
        Role::Client,
        &WebSocketConfig::default(),
        Some(DeflateParams::default()),
    );
    let mut out = bytes::BytesMut::new();
    for i in 0..MSGS {
        codec
            .encode(Message::text(format!("token number {i:03}")), &mut out)
            .unwrap();
    }
    out.to_vec()
}

/// 10 masked 16-byte text frames.
fn client_frames() -> Vec<u8> {
    let key = [1u8, 2, 3, 4];
    let mut v = Vec::new();
    for i in 0..MSGS {
        v.extend_from_slice(&[0x81, 0x80 | 16]);
        v.extend_from_slice(&key);
        let text = format!("token number {i:03}");
        v.extend(text.bytes().enumerate().map(|(j, b)| b ^ key[j % 4]));
    }
    v
}

/// Polls `f` once (a server task waiting for the next message).
async fn poll_once<F: Future + Unpin>(f: &mut F) {
    std::future::poll_fn(|cx: &mut Context<'_>| {
        let _ = Pin::new(&mut *f).poll(cx);
        Poll::Ready(())
    })
    .await
}

async fn pairs(listener: &TcpListener) -> (Vec<TcpStream>, Vec<TcpStream>) {
    pairs_with(listener, HEAD).await
}

async fn pairs_with(listener: &TcpListener, head: &[u8]) -> (Vec<TcpStream>, Vec<TcpStream>) {
    let addr = listener.local_addr().unwrap();
    let mut clients = Vec::with_capacity(N);
    let mut servers = Vec::with_capacity(N);
    for _ in 0..N {
        let c = TcpStream::connect(addr).await.unwrap();
        let (s, _) = listener.accept().await.unwrap();
        c.set_nodelay(true).unwrap();
        s.set_nodelay(true).unwrap();
        clients.push(c);
        servers.push(s);
    }
    for c in &mut clients {
        c.write_all(head).await.unwrap();
    }
    (clients, servers)
}

/// (idle, streaming) bytes per connection.
#[derive(Debug, Clone, Copy)]
struct Figures {
    idle: isize,
    streaming: isize,
}

fn per_conn(l0: isize, l1: isize) -> isize {
    (l1 - l0) / N as isize - std::mem::size_of::<TcpStream>() as isize
}

async fn measure_pushcodec(listener: &TcpListener) -> Figures {
    use pushcodec::ws::{handshake, Message};
    let (mut clients, mut servers) = pairs(listener).await;
    let l0 = live();
    let mut streams = Vec::with_capacity(N);
    for s in servers.drain(..) {
        streams.push(handshake::accept(s).await.unwrap());
    }
    for ws in &mut streams {
        poll_once(&mut ws.next()).await;
    }
    let idle = per_conn(l0, live());
    let frames = client_frames();
    for c in &mut clients {
        c.write_all(&frames).await.unwrap();
    }
    for ws in &mut streams {
        for i in 0..MSGS {
            let m = ws.next().await.unwrap().unwrap();
            assert!(m.is_text());
            ws.send(Message::text(format!("server token {i:03}")))
                .await
                .unwrap();
        }
    }
    let streaming = per_conn(l0, live());
    drop(streams);
    drop(clients);
    Figures { idle, streaming }
}

/// pushcodec with permessage-deflate agreed (server config `deflate`):
/// compressed messages both ways.
async fn measure_pushcodec_deflate(
    listener: &TcpListener,
    deflate: pushcodec::ws::extension::DeflateConfig,
) -> Figures {
    use pushcodec::ws::handshake::{self, AcceptOptions};
    use pushcodec::ws::{Message, WebSocketConfig};
    let frames: Vec<Vec<u8>> = (0..N).map(|_| client_frames_deflate()).collect();
    let opts = AcceptOptions::builder()
        .config(WebSocketConfig::builder().deflate(deflate).build())
        .build();
    let (mut clients, mut servers) = pairs_with(listener, HEAD_DEFLATE).await;
    let l0 = live();
    let mut streams = Vec::with_capacity(N);
    for s in servers.drain(..) {
        let (ws, _) = handshake::accept_with_options(s, &opts).await.unwrap();
        assert!(ws.deflate().is_some(), "permessage-deflate not agreed");
        streams.push(ws);
    }
    for ws in &mut streams {
        poll_once(&mut ws.next()).await;
    }
    let idle = per_conn(l0, live());
    for (c, f) in clients.iter_mut().zip(&frames) {
        c.write_all(f).await.unwrap();
    }
    for ws in &mut streams {
        for i in 0..MSGS {
            let m = ws.next().await.unwrap().unwrap();
            assert_eq!(m, Message::text(format!("token number {i:03}")));
            ws.send(Message::text(format!("server token {i:03}")))
                .await
                .unwrap();
        }
    }
    let streaming = per_conn(l0, live());
    drop(streams);
    drop(clients);
    drop(frames);
    Figures { idle, streaming }
}

async fn measure_tungstenite(listener: &TcpListener) -> Figures {
    use tokio_tungstenite::tungstenite::Message;
    let (mut clients, mut servers) = pairs(listener).await;
    let l0 = live();
    let mut streams = Vec::with_capacity(N);
    for s in servers.drain(..) {
        streams.push(tokio_tungstenite::accept_async(s).await.unwrap());
    }
    for ws in &mut streams {
        poll_once(&mut ws.next()).await;
    }
    let idle = per_conn(l0, live());
    let frames = client_frames();
    for c in &mut clients {
        c.write_all(&frames).await.unwrap();
    }
    for ws in &mut streams {
        for i in 0..MSGS {
            let m = ws.next().await.unwrap().unwrap();
            assert!(m.is_text());
            ws.send(Message::text(format!("server token {i:03}")))
                .await
                .unwrap();
        }
    }
    let streaming = per_conn(l0, live());
    drop(streams);
    drop(clients);
    Figures { idle, streaming }
}

async fn measure_tokio_websockets(listener: &TcpListener) -> Figures {
    use tokio_websockets::{Message, ServerBuilder};
    let (mut clients, mut servers) = pairs(listener).await;
    let l0 = live();
    let mut streams = Vec::with_capacity(N);
    for s in servers.drain(..) {
        streams.push(ServerBuilder::new().accept(s).await.unwrap().1);
    }
    for ws in &mut streams {
        poll_once(&mut ws.next()).await;
    }
    let idle = per_conn(l0, live());
    let frames = client_frames();
    for c in &mut clients {
        c.write_all(&frames).await.unwrap();
    }
    for ws in &mut streams {
        for i in 0..MSGS {
            let m = ws.next().await.unwrap().unwrap();
            assert!(m.is_text());
            ws.send(Message::text(format!("server token {i:03}")))
                .await
                .unwrap();
        }
    }
    let streaming = per_conn(l0, live());
    drop(streams);
    drop(clients);
    Figures { idle, streaming }
}

#[test]
fn heap_bytes_per_connection() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    use pushcodec::ws::extension::DeflateConfig;
    let rows: Vec<(&str, Figures)> = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        // Warm-up: tokio's and the allocator's one-time structures.
        let _ = measure_pushcodec(&listener).await;
        let _ = measure_tungstenite(&listener).await;
        let _ = measure_tokio_websockets(&listener).await;
        let _ = measure_pushcodec_deflate(&listener, DeflateConfig::default()).await;
        vec![
            ("pushcodec", measure_pushcodec(&listener).await),
            (
                "pushcodec, permessage-deflate (defaults: level 6, 15-bit windows, memLevel 8)",
                measure_pushcodec_deflate(&listener, DeflateConfig::default()).await,
            ),
            (
                "pushcodec, permessage-deflate, mem_level(1) + server_max_window_bits(9)",
                measure_pushcodec_deflate(
                    &listener,
                    DeflateConfig::builder()
                        .mem_level(1)
                        .server_max_window_bits(9)
                        .build(),
                )
                .await,
            ),
            (
                "tokio-tungstenite 0.27",
                measure_tungstenite(&listener).await,
            ),
            (
                "tokio-websockets 0.13",
                measure_tokio_websockets(&listener).await,
            ),
        ]
    });
    println!("| server-side connection ({N} at once) | heap bytes, idle after the handshake | heap bytes, streaming 16-byte messages |");
    println!("| --- | ---: | ---: |");
    for (name, f) in &rows {
        println!("| {name} | {} | {} |", f.idle, f.streaming);
    }
    for (name, f) in &rows[..3] {
        assert!(
            f.idle <= 4096,
            "{name}: an idle connection holds {} bytes of heap (goal: at most 4 KiB)",
            f.idle
        );
    }
    // Deflate state is there while streaming (a compressor and a
    // decompressor: more than 128 KiB), and the knobs shrink it.
    let (plain, deflate, capped) = (rows[0].1, rows[1].1, rows[2].1);
    assert!(
        deflate.streaming > plain.streaming + 128 * 1024,
        "{deflate:?}"
    );
    assert!(
        capped.streaming < deflate.streaming,
        "{capped:?} vs {deflate:?}"
    );
    // The counter sees buffers at all (so the figures above can fail).
    for (name, f) in &rows {
        assert!(f.idle > 0 && f.streaming > 0, "{name}: {f:?}");
    }
}
