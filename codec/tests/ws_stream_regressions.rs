//! Regression tests for `WebSocketStream` defects found by review, each named
//! after the bug it pins down (each failed before its fix).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use futures_util::{Sink, SinkExt, StreamExt};
use pushcodec::ws::{
    Error, Frame, FrameCodec, Message, OpCode, Role, WebSocketConfig, WebSocketStream,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_util::codec::{Decoder, Encoder};

fn client_bytes(frames: &[Frame]) -> Vec<u8> {
    let mut c = FrameCodec::client();
    let mut b = BytesMut::new();
    for f in frames {
        c.encode(f.clone(), &mut b).unwrap();
    }
    b.to_vec()
}

/// Everything the peer (a client) received, as (opcode, fin, payload).
async fn frames_written(mut b: tokio::io::DuplexStream) -> Vec<(OpCode, bool, Vec<u8>)> {
    let mut raw = Vec::new();
    b.read_to_end(&mut raw).await.unwrap();
    let mut buf = BytesMut::from(&raw[..]);
    let mut dec = FrameCodec::new(Role::Client, usize::MAX);
    let mut got = vec![];
    while let Some(f) = dec.decode(&mut buf).unwrap() {
        got.push((f.opcode, f.fin, f.payload.to_vec()));
    }
    assert!(
        buf.is_empty(),
        "truncated frame at the end: {} bytes",
        buf.len()
    );
    got
}

fn close_frame_from_client() -> Vec<u8> {
    client_bytes(&[Frame::new(true, OpCode::Close, &b"\x03\xe8"[..])])
}

// ---- 1. A message accepted by start_send was dropped by a following Close.

#[tokio::test(start_paused = true)]
async fn close_after_feed_sends_the_fed_message_first() {
    let (a, b) = tokio::io::duplex(1 << 20);
    let cfg = WebSocketConfig::builder()
        .close_timeout(Some(Duration::from_secs(1)))
        .build();
    let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
    ws.feed(Message::text("last words")).await.unwrap();
    // The peer never answers: CloseTimeout after 1 s (virtual time).
    assert!(matches!(ws.close().await, Err(Error::CloseTimeout(_))));
    drop(ws);
    let got = frames_written(b).await;
    assert_eq!(
        got,
        vec![
            (OpCode::Text, true, b"last words".to_vec()),
            (OpCode::Close, true, b"\x03\xe8".to_vec())
        ]
    );
}

#[tokio::test]
async fn close_sent_right_after_start_send_goes_after_the_message() {
    // start_send(text) then start_send(Close) with no poll_ready between.
    let (a, b) = tokio::io::duplex(1 << 20);
    let mut ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
    ws.start_send_unpin(Message::text("last words")).unwrap();
    ws.start_send_unpin(Message::Close(None)).unwrap();
    ws.flush().await.unwrap();
    drop(ws);
    let got = frames_written(b).await;
    assert_eq!(
        got,
        vec![
            (OpCode::Text, true, b"last words".to_vec()),
            (OpCode::Close, true, vec![])
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn sink_close_sends_every_accepted_message_first() {
    let (a, b) = tokio::io::duplex(1 << 20);
    let cfg = WebSocketConfig::builder()
        .close_timeout(Some(Duration::from_secs(1)))
        .auto_fragment_size(Some(3))
        .build();
    let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
    ws.feed(Message::text("last words")).await.unwrap();
    // The peer never answers: CloseTimeout after 1 s (virtual time).
    assert!(matches!(ws.close().await, Err(Error::CloseTimeout(_))));
    drop(ws);
    let got = frames_written(b).await;
    let ops: Vec<(OpCode, bool)> = got.iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(
        ops,
        vec![
            (OpCode::Text, false),
            (OpCode::Continuation, false),
            (OpCode::Continuation, false),
            (OpCode::Continuation, true),
            (OpCode::Close, true)
        ]
    );
    let text: Vec<u8> = got[..4].iter().flat_map(|f| f.2.clone()).collect();
    assert_eq!(text, b"last words");
    assert_eq!(got[4].2, b"\x03\xe8", "close() sends 1000 Normal");
}

#[tokio::test(start_paused = true)]
async fn forward_sends_the_last_message_before_closing() {
    let (a, b) = tokio::io::duplex(1 << 20);
    let cfg = WebSocketConfig::builder()
        .close_timeout(Some(Duration::from_secs(1)))
        .build();
    let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
    let msgs = futures_util::stream::iter(["one", "two", "three"].map(|s| Ok(Message::text(s))));
    let r = msgs.forward(&mut ws).await;
    assert!(matches!(r, Err(Error::CloseTimeout(_))), "{r:?}");
    drop(ws);
    let got = frames_written(b).await;
    let ops: Vec<(OpCode, Vec<u8>)> = got.into_iter().map(|f| (f.0, f.2)).collect();
    assert_eq!(
        ops,
        vec![
            (OpCode::Text, b"one".to_vec()),
            (OpCode::Text, b"two".to_vec()),
            (OpCode::Text, b"three".to_vec()),
            (OpCode::Close, b"\x03\xe8".to_vec()),
        ]
    );
}

// ---- 2. Peer input (a Close, a protocol error) panicked the task when the
// runtime had no time driver: the close timer was created on demand.

#[test]
fn runtime_without_time_driver_panics_at_the_first_poll_not_on_peer_close() {
    // Construction never panics (issue 11); with a time bound set (the
    // default close_timeout), the first poll does, before any input.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap(); // no enable_time()
    let (a, _b) = tokio::io::duplex(64);
    let mut ws = rt
        .block_on(async { WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default()) });
    let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let _ = ws.poll_next_unpin(&mut cx);
        })
    }));
    assert!(
        first.is_err(),
        "with a close timeout, the first poll on a runtime without timers must fail at once"
    );
}

/// Issue 11: with every time bound off (`close_timeout(None)`, no keep-alive,
/// no idle timeout) a stream needs no time driver: pings, a close from the
/// peer and a close of ours all work on a runtime without it.
#[test]
fn without_time_bounds_no_time_driver_is_needed() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap(); // no enable_time()
    let cfg = WebSocketConfig::builder().close_timeout(None).build();
    rt.block_on(async {
        let (a, mut b) = tokio::io::duplex(4096);
        let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg.clone());
        b.write_all(&client_bytes(&[
            Frame::new(true, OpCode::Ping, "p"),
            Frame::new(true, OpCode::Text, "hi"),
        ]))
        .await
        .unwrap();
        b.write_all(&close_frame_from_client()).await.unwrap();
        assert!(matches!(ws.next().await, Some(Ok(Message::Ping(_)))));
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hi"));
        assert!(ws.next().await.unwrap().unwrap().is_close());
        assert!(ws.next().await.is_none());
        let got = frames_written(b).await;
        assert_eq!(got[0], (OpCode::Pong, true, b"p".to_vec()));
        assert_eq!(got[1], (OpCode::Close, true, b"\x03\xe8".to_vec()));

        // Our close, answered by a peer that echoes it.
        let (a, b) = tokio::io::duplex(4096);
        let mut ws = WebSocketStream::from_raw(a, Role::Client, cfg.clone());
        let mut peer = WebSocketStream::from_raw(b, Role::Server, cfg);
        let echo = async move { while let Some(Ok(_)) = peer.next().await {} };
        let (r, ()) = futures_util::join!(ws.close(), echo);
        r.unwrap();
    });
}

// ---- 2b. With messages already buffered, the missing-time-driver panic came
// only after they were handed out (the read fast path skipped the timer
// set-up): when it fired depended on what the peer had sent.

#[test]
fn buffered_messages_do_not_postpone_the_missing_time_driver_panic() {
    let early = client_bytes(&[
        Frame::new(true, OpCode::Text, "hi"),
        Frame::new(true, OpCode::Text, "there"),
    ]);
    // Built outside any runtime (no timer yet), first polled on a runtime
    // without the time driver.
    let (a, _b) = tokio::io::duplex(64);
    let mut ws = WebSocketStream::from_partially_read(
        a,
        Role::Server,
        WebSocketConfig::default(),
        BytesMut::from(&early[..]),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap(); // no enable_time()
    let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(ws.next())));
    assert!(
        first.is_err(),
        "the first poll must fail on a runtime without timers, whatever is buffered: {first:?}"
    );
}

/// Polls a future to completion on this thread with a no-op waker (no tokio
/// runtime at all); the in-memory duplex needs no reactor.
fn poll_outside_runtime<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    for _ in 0..10_000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("future still pending after 10000 polls");
}

#[test]
fn peer_close_and_protocol_error_outside_a_tokio_runtime_do_not_panic() {
    let r = std::panic::catch_unwind(|| {
        poll_outside_runtime(async {
            let (a, mut b) = tokio::io::duplex(4096);
            let mut ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
            b.write_all(&close_frame_from_client()).await.unwrap();
            assert!(ws.next().await.unwrap().unwrap().is_close());
            assert!(ws.next().await.is_none());

            let (a, mut b) = tokio::io::duplex(4096);
            let mut ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
            b.write_all(b"\x83\x80\x00\x00\x00\x00").await.unwrap(); // reserved opcode 3
            drop(b);
            let e = ws.next().await.unwrap().unwrap_err();
            assert_eq!(e.close_code().map(|c| c.0), Some(1002), "{e:?}");
        })
    });
    assert!(
        r.is_ok(),
        "network input panicked a stream polled outside tokio"
    );
}

// ---- 3. close_timeout did not bound the closing handshake when the peer
// stopped reading.

#[tokio::test(start_paused = true)]
async fn close_echo_is_bounded_by_close_timeout_while_a_large_frame_is_stuck() {
    let (a, mut b) = tokio::io::duplex(1024);
    let cfg = WebSocketConfig::builder()
        .close_timeout(Some(Duration::from_secs(1)))
        .build();
    let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
    ws.feed(Message::binary(vec![0u8; 100_000])).await.unwrap();
    // The duplex fills up (the peer does not read): the large frame is stuck.
    assert!(tokio::time::timeout(Duration::from_millis(10), ws.flush())
        .await
        .is_err());
    b.write_all(&close_frame_from_client()).await.unwrap();
    assert!(ws.next().await.unwrap().unwrap().is_close());
    let start = tokio::time::Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(60), ws.next()).await;
    assert!(
        r.is_ok(),
        "next() still pending 60 s after the peer's Close (close_timeout 1 s)"
    );
    assert!(start.elapsed() <= Duration::from_secs(2));
    assert!(ws.next().await.is_none(), "the stream stays ended");
}

#[tokio::test(start_paused = true)]
async fn close_is_bounded_by_close_timeout_when_the_peer_stops_reading() {
    let (a, _b) = tokio::io::duplex(1024);
    let cfg = WebSocketConfig::builder()
        .close_timeout(Some(Duration::from_secs(1)))
        .build();
    let mut ws = WebSocketStream::from_raw(a, Role::Client, cfg);
    ws.feed(Message::binary(vec![0u8; 100_000])).await.unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(10), ws.flush())
        .await
        .is_err());
    let r = tokio::time::timeout(Duration::from_secs(60), ws.close()).await;
    assert!(
        matches!(r, Ok(Err(Error::CloseTimeout(_)))),
        "close() must give up after close_timeout (1 s), got {r:?}"
    );
    // Polling again does not hang either.
    let r = tokio::time::timeout(Duration::from_secs(60), ws.close()).await;
    assert!(r.is_ok(), "second close() hangs");
}

#[tokio::test(start_paused = true)]
async fn user_close_is_bounded_while_reading_when_the_close_is_stuck_behind_a_large_frame() {
    // The Close cannot be written (a large frame is stuck in front of it):
    // next() must still end with CloseTimeout after close_timeout.
    let (a, _b) = tokio::io::duplex(1024);
    let cfg = WebSocketConfig::builder()
        .close_timeout(Some(Duration::from_secs(1)))
        .build();
    let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
    ws.feed(Message::binary(vec![0u8; 100_000])).await.unwrap();
    // Queue the Close right behind it (poll_ready would wait for the large
    // frame, which the peer never reads).
    ws.start_send_unpin(Message::Close(None)).unwrap();
    let r = tokio::time::timeout(Duration::from_secs(60), ws.next()).await;
    assert!(
        matches!(r, Ok(Some(Err(Error::CloseTimeout(_))))),
        "got {r:?}"
    );
}

// ---- 4. start_send without poll_ready while a large payload was pending
// wrote the next frames into the middle of that payload.

#[tokio::test]
async fn start_send_without_poll_ready_does_not_interleave_with_a_large_payload() {
    let (a, b) = tokio::io::duplex(64);
    let cfg = WebSocketConfig::builder()
        .auto_fragment_size(Some(10_000))
        .build();
    let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert!(matches!(
        Pin::new(&mut ws).poll_ready(&mut cx),
        Poll::Ready(Ok(()))
    ));
    Pin::new(&mut ws)
        .start_send(Message::binary(vec![1u8; 30_000]))
        .unwrap();
    assert!(Pin::new(&mut ws).poll_flush(&mut cx).is_pending());
    // poll_ready skipped (a contract violation, but it must not corrupt).
    Pin::new(&mut ws).start_send(Message::text("x")).unwrap();
    Pin::new(&mut ws).start_send(Message::text("yz")).unwrap();
    let reader = tokio::spawn(frames_written(b));
    ws.flush().await.unwrap();
    drop(ws);
    let got: Vec<(OpCode, bool, usize)> = reader
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.0, f.1, f.2.len()))
        .collect();
    assert_eq!(
        got,
        vec![
            (OpCode::Binary, false, 10_000),
            (OpCode::Continuation, false, 10_000),
            (OpCode::Continuation, true, 10_000),
            (OpCode::Text, true, 1),
            (OpCode::Text, true, 2),
        ]
    );
}

// ---- 5. A server that sends Close and hangs up at once (RFC 6455 §7.1.1)
// made the client's next() return an I/O error instead of ending.

#[tokio::test]
async fn server_close_then_hang_up_ends_the_client_stream_cleanly() {
    let (a, mut b) = tokio::io::duplex(4096);
    let mut ws = WebSocketStream::from_raw(a, Role::Client, WebSocketConfig::default());
    b.write_all(b"\x88\x02\x03\xe8").await.unwrap();
    drop(b);
    assert!(ws.next().await.unwrap().unwrap().is_close());
    let r = ws.next().await;
    assert!(r.is_none(), "clean close reported as {r:?}");
}

#[tokio::test]
async fn close_after_the_peer_closed_and_hung_up_is_not_an_error() {
    let (a, mut b) = tokio::io::duplex(4096);
    let mut ws = WebSocketStream::from_raw(a, Role::Client, WebSocketConfig::default());
    b.write_all(b"\x88\x02\x03\xe8").await.unwrap();
    drop(b);
    assert!(ws.next().await.unwrap().unwrap().is_close());
    let r = ws.close().await;
    assert!(r.is_ok(), "close() after a clean close reported {r:?}");
}

// ---- 7. Every read zero-filled up to 64 KiB of the read buffer.

/// Hands out one byte per read and records how much of the offered buffer
/// was already initialized (zero-filled by the caller) at each read.
struct Dribble {
    data: Vec<u8>,
    pos: usize,
    max_initialized: usize,
}

impl AsyncRead for Dribble {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.max_initialized = self.max_initialized.max(buf.initialized().len());
        if self.pos < self.data.len() {
            let b = self.data[self.pos];
            self.pos += 1;
            buf.put_slice(&[b]);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Dribble {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        b: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn reads_do_not_zero_fill_the_read_buffer() {
    let n = 20_000;
    let wire = client_bytes(&[Frame::new(true, OpCode::Binary, vec![7u8; n])]);
    let io = Dribble {
        data: wire,
        pos: 0,
        max_initialized: 0,
    };
    let mut ws = WebSocketStream::from_raw(io, Role::Server, WebSocketConfig::default());
    let m = ws.next().await.unwrap().unwrap();
    match &m {
        Message::Binary(b) => assert!(b.len() == n && b.iter().all(|&x| x == 7)),
        other => panic!("got {other:?}"),
    }
    // Zero-filling the free space before each read would show up here as
    // thousands of initialized bytes offered to the transport.
    assert_eq!(ws.get_ref().max_initialized, 0);
}

// ---- Suspected (c): on a transport without vectored writes, a large
// payload's header went out in a tiny write of its own.

/// Accepts every write whole, records each write's size, no vectored writes.
#[derive(Default)]
struct PlainWrites {
    sizes: Vec<usize>,
}

impl AsyncRead for PlainWrites {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Poll::Pending
    }
}

impl AsyncWrite for PlainWrites {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        b: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.sizes.push(b.len());
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn large_payload_header_is_not_written_alone_without_vectored_writes() {
    let mut ws = WebSocketStream::from_raw(
        PlainWrites::default(),
        Role::Server,
        WebSocketConfig::default(),
    );
    ws.send(Message::binary(vec![5u8; 20_000])).await.unwrap();
    // 4-byte header (126 + 16-bit length) and the payload in one write.
    assert_eq!(ws.get_ref().sizes, vec![4 + 20_000]);
}

// ---- Suspected (b): reassembling a fragmented message could reserve up
// to ~2x max_message_size (BytesMut doubling).

#[test]
fn fragmented_message_buffer_stays_within_max_message_size() {
    use pushcodec::ws::MessageCodec;
    let max = 100_000;
    let cfg = WebSocketConfig::builder().max_message_size(max).build();
    let mut codec = MessageCodec::with_config(Role::Server, &cfg);
    let mut wire = BytesMut::from(
        &client_bytes(&[
            Frame::new(false, OpCode::Binary, vec![1u8; 60_000]),
            Frame::new(true, OpCode::Continuation, vec![2u8; 40_000]),
        ])[..],
    );
    let msg = codec.decode(&mut wire).unwrap().unwrap();
    let Message::Binary(b) = msg else {
        panic!("not binary: {msg:?}")
    };
    assert_eq!(b.len(), max);
    let buf = b.try_into_mut().expect("the message is the only owner");
    assert!(
        buf.capacity() <= max,
        "reassembly buffer capacity {} exceeds max_message_size {max}",
        buf.capacity()
    );
}
