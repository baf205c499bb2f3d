//! [`WebSocketStream`]: a WebSocket connection as `Stream<Item =
//! Result<Message, Error>>` + `Sink<Message>` over any `AsyncRead +
//! AsyncWrite`.
//!
//! | file | job |
//! | --- | --- |
//! | `phase.rs` | the connection's phase (open, closing by us / by the peer, failing, closed): RFC 6455 §7's transitions |
//! | `core.rs` | the state (`Core`) and the read path: decode, answer control frames, read, deadlines |
//! | `write.rs` | the bounded write buffer, control replies, the `Sink` side |
//! | `close.rs` | finishing, failing and giving up a connection; `poll_close` |
//! | `timer.rs` | close timeout, keep-alive and idle timeout on one tokio timer |
//! | `split.rs` | the reader and writer halves |
//!
//! ## What it does by itself
//! * **Ping → Pong**: every received Ping is answered with a Pong carrying
//!   its payload. At most one Pong is pending: if the peer pings faster
//!   than we can write, only the latest is answered (RFC 6455 §5.5.3), and
//!   reading pauses until that Pong is in the write buffer, so a peer that
//!   sends pings and never reads fills its own socket, not our memory.
//!   Pings are still handed out.
//! * **Closing handshake** (RFC 6455 §5.5.1, §7): a received Close is
//!   handed out, echoed (same code, or empty), and the transport is shut
//!   down; the next `next()` returns `None` (also if the peer hung up right
//!   after its Close, which a server may do, §7.1.1: a broken pipe or reset
//!   while echoing is a clean end). After *we* send Close (via
//!   `send(Message::Close(..))` or `close()`), everything accepted before it
//!   is sent first (the Close never overtakes a message), then reading goes
//!   on until the peer's Close arrives.
//! * **Close timeout**: `close_timeout` bounds the whole closing handshake,
//!   counted from when a Close is queued or received or the connection is
//!   failed: writing what is queued (a peer that stops reading cannot stall
//!   us), the Close, and waiting for the peer's. When it passes, what is
//!   still queued is dropped, the transport is shut down and
//!   [`Error::CloseTimeout`] is returned (`next()` just ends if the peer's
//!   Close was already handed out).
//! * **Failing the connection** (§7.1.7): on a protocol error the matching
//!   close code ([`Error::close_code`]: 1002, 1007, 1009) is sent with a
//!   short reason and our side of the transport is shut down; input is then
//!   read and discarded until the peer closes (at most `close_timeout`), so
//!   that dropping the stream does not reset a connection with unread input
//!   (a reset can make the peer lose our close frame and report 1006); then
//!   the error is handed out.
//! * **Keep-alive and idle timeout** (optional, see [`WebSocketConfig`]):
//!   a Ping every `keep_alive_interval`, the connection failed with 1011
//!   when nothing arrives within `keep_alive_timeout`; closed with 1001
//!   when no data message moved for `idle_timeout`. Both are driven by
//!   `next()` (or the reader half), like the Pongs.
//!
//! ## Memory
//! Bounded by the configuration whatever the peer does, and released when
//! idle: the read buffer holds at most one read (64 KiB) or the frame in
//! progress (up to `max_frame_size`), the write buffer at most
//! `write_buffer_size` plus one frame header, a fragmented message at most
//! `max_message_size`, and one Pong. An empty buffer that grew past 64 KiB
//! (read) or 4 KiB (write) is dropped, so a large message does not pin its
//! size for the rest of the connection; and both buffers are dropped while
//! the connection waits for input with nothing buffered, so an idle
//! connection holds no buffer at all (the per-connection figures are in
//! `BENCHMARKS.md`). A server holds no CSPRNG state (only clients mask).
//!
//! ## Cancel safety
//! `next()` (`poll_next`) is cancel-safe: every byte read and every partial
//! frame or fragmented message lives in the stream itself (read buffer and
//! codec state), never in the future. Dropping a pending `next()` — e.g. the
//! losing branch of `tokio::select!` — loses nothing; the next call resumes
//! where the last one stopped (`codec/tests/ws_stream.rs` tests this while a
//! fragmented message dribbles in byte by byte).
//!
//! ## Writing and backpressure
//! Outgoing frames are batched in a write buffer; `poll_ready` flushes while
//! it holds `write_buffer_size` bytes or more (default 128 KiB), so a slow
//! peer slows the sender instead of growing memory. `feed` several messages
//! then `flush` to send them in one write. A server's data frame payload of
//! [`LARGE_PAYLOAD`] bytes or more is not copied: its header goes into the
//! buffer and the payload `Bytes` is written after it with one vectored
//! write (if the transport has no vectored writes, `is_write_vectored`, the
//! payload is copied so the header does not go out alone). Other payloads
//! (all of a client's, which must be masked) are copied into the buffer in
//! pieces as it drains, so the buffer never holds more than its bound.
//!
//! ## Timer: only with a time bound
//! The close timeout, keep-alive and idle timeout use one tokio timer,
//! created at the first poll inside a tokio runtime, never at construction.
//! With `close_timeout(None)` and no keep-alive or idle timeout there is no
//! timer at all: the stream works on any executor and on a runtime without
//! the time driver. With a time bound set, a runtime without the time
//! driver (`Builder` without `enable_time`; `#[tokio::main]` and
//! `#[tokio::test]` enable it) makes that first poll panic, never a later
//! one because of what the peer sends. First polled outside any tokio
//! runtime (e.g. with a plain executor over an in-memory transport), the
//! stream works but does not enforce the time bounds.
//!
//! ## Split
//! [`WebSocketStream::split`] gives a reader ([`WebSocketReader`]: `Stream`)
//! and a writer ([`WebSocketWriter`]: `Sink<Message>`) that can live in
//! different tasks; they share the connection behind a mutex held only
//! while polling. Pongs and close echoes are written by whichever half is
//! polled, so the reader alone keeps the connection healthy. While the
//! reader exists, the writer's `close()` waits for the reader to see the
//! peer's Close (or the timeout); without a reader (unsplit or reader
//! dropped), `close()` reads itself and discards incoming data messages.
//!
//! ## permessage-deflate
//! With the extension negotiated ([`WebSocketStream::from_negotiated`],
//! which the handshake functions and adapters use) the stream's one place
//! a message becomes frames compresses it whole
//! ([`MessageCodec::outgoing_frames`](super::MessageCodec::outgoing_frames):
//! a sync flush per message, so every message, a token included, goes out
//! complete at `send`/`flush` and never waits for the next one), and
//! received messages are inflated in bounded steps as their fragments
//! arrive (see [`MessageCodec`](super::MessageCodec)). Control frames are
//! never compressed. Memory: see [`WebSocketConfig`].

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};

use super::config::WebSocketConfig;
use super::error::Error;
use super::extension::deflate::DeflateParams;
use super::frame_codec::Role;
use super::handshake::Negotiated;
use super::message::Message;

mod close;
mod core;
mod phase;
mod split;
mod timer;
mod write;

use self::core::Core;
pub use split::{WebSocketReader, WebSocketWriter};
pub use write::LARGE_PAYLOAD;

/// `std::task::ready!` for `Poll<T>` (also in functions returning `Poll`
/// of another type than the polled one).
macro_rules! ready {
    ($e:expr) => {
        match $e {
            Poll::Ready(v) => v,
            Poll::Pending => return Poll::Pending,
        }
    };
}
use ready;

/// A WebSocket connection; see the [module docs](self) for what it does by
/// itself, cancel safety and backpressure.
///
/// # Panics
/// Construction never panics. With a time bound configured (the default
/// `close_timeout` of 5 s, keep-alive, idle timeout), the first poll
/// panics inside a tokio runtime that has no time driver (`enable_time`);
/// poll it inside `#[tokio::main]`, `#[tokio::test]` or a runtime with
/// `enable_all()`, or turn the time bounds off (`close_timeout(None)`).
/// Nothing the peer sends can make it panic.
///
/// ```no_run
/// # async fn demo(tcp: tokio::net::TcpStream) -> Result<(), pushcodec::ws::Error> {
/// use futures_util::{SinkExt, StreamExt};
/// use pushcodec::ws::{Message, Role, WebSocketConfig, WebSocketStream};
///
/// // After a successful handshake (see `ws::handshake::accept`):
/// let mut ws = WebSocketStream::from_raw(tcp, Role::Server, WebSocketConfig::default());
/// while let Some(msg) = ws.next().await {
///     match msg? {
///         m @ (Message::Text(_) | Message::Binary(_)) => ws.send(m).await?,
///         _ => {} // pings are answered and closes echoed by the stream
///     }
/// }
/// # Ok(()) }
/// ```
pub struct WebSocketStream<S> {
    core: Core<S>,
}

impl<S> std::fmt::Debug for WebSocketStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketStream")
            .field("role", &self.core.role)
            .field("phase", &self.core.phase.name())
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// Wraps a transport on which the opening handshake is already done.
    ///
    /// ```
    /// use pushcodec::ws::{Role, WebSocketConfig, WebSocketStream};
    /// let (a, _b) = tokio::io::duplex(64);
    /// let ws = WebSocketStream::from_raw(a, Role::Client, WebSocketConfig::default());
    /// assert_eq!(ws.role(), Role::Client);
    /// ```
    pub fn from_raw(io: S, role: Role, config: WebSocketConfig) -> Self {
        Self::from_partially_read(io, role, config, BytesMut::new())
    }

    /// Like [`from_raw`](Self::from_raw), with bytes already read from the
    /// transport after the handshake (they are decoded first).
    ///
    /// ```
    /// use pushcodec::ws::{Role, WebSocketConfig, WebSocketStream};
    /// let (a, _b) = tokio::io::duplex(64);
    /// let early = bytes::BytesMut::from(&b"\x81\x02hi"[..]);
    /// let ws = WebSocketStream::from_partially_read(a, Role::Client, WebSocketConfig::default(), early);
    /// # drop(ws);
    /// ```
    pub fn from_partially_read(io: S, role: Role, config: WebSocketConfig, read: BytesMut) -> Self {
        Self::from_negotiated(io, role, config, Negotiated::default(), read)
    }

    /// Like [`from_partially_read`](Self::from_partially_read), with what
    /// the opening handshake agreed: permessage-deflate's parameters (RFC
    /// 7692), from [`server_handshake`](super::handshake::server_handshake),
    /// [`validate_response_with`](super::handshake::validate_response_with)
    /// or [`Negotiated::new`]. `config.deflate()` then sets how this end
    /// compresses (level, memory level, threshold); the agreed parameters
    /// set the windows and context takeover.
    ///
    /// ```
    /// use pushcodec::ws::extension::deflate::DeflateParams;
    /// use pushcodec::ws::handshake::Negotiated;
    /// use pushcodec::ws::{Role, WebSocketConfig, WebSocketStream};
    /// let (a, _b) = tokio::io::duplex(64);
    /// let agreed = Negotiated::new(None, Some(DeflateParams::default()));
    /// let ws = WebSocketStream::from_negotiated(a, Role::Server, WebSocketConfig::default(), agreed, Default::default());
    /// assert!(ws.deflate().is_some());
    /// ```
    pub fn from_negotiated(
        io: S,
        role: Role,
        config: WebSocketConfig,
        negotiated: Negotiated,
        read: BytesMut,
    ) -> Self {
        WebSocketStream {
            core: Core::new(io, role, config, read, negotiated),
        }
    }

    /// The permessage-deflate parameters in use (`None`: messages go
    /// uncompressed).
    ///
    /// ```
    /// # let (a, _b) = tokio::io::duplex(64);
    /// # let ws = pushcodec::ws::WebSocketStream::from_raw(a, pushcodec::ws::Role::Server, Default::default());
    /// assert!(ws.deflate().is_none()); // from_raw: nothing negotiated
    /// ```
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.core.codec.deflate()
    }

    /// Our role.
    ///
    /// ```
    /// # let (a, _b) = tokio::io::duplex(64);
    /// # let ws = pushcodec::ws::WebSocketStream::from_raw(a, pushcodec::ws::Role::Server, Default::default());
    /// assert_eq!(ws.role(), pushcodec::ws::Role::Server);
    /// ```
    pub fn role(&self) -> Role {
        self.core.role
    }

    /// The configuration.
    ///
    /// ```
    /// # let (a, _b) = tokio::io::duplex(64);
    /// # let ws = pushcodec::ws::WebSocketStream::from_raw(a, pushcodec::ws::Role::Server, Default::default());
    /// assert_eq!(ws.config().max_message_size(), 64 << 20);
    /// ```
    pub fn config(&self) -> &WebSocketConfig {
        &self.core.config
    }

    /// The transport.
    ///
    /// ```
    /// # let (a, _b) = tokio::io::duplex(64);
    /// # let ws = pushcodec::ws::WebSocketStream::from_raw(a, pushcodec::ws::Role::Server, Default::default());
    /// let _io: &tokio::io::DuplexStream = ws.get_ref();
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.core.io
    }

    /// The transport, mutably (e.g. to set socket options). Reading or
    /// writing it directly corrupts the WebSocket stream.
    ///
    /// ```
    /// # let (a, _b) = tokio::io::duplex(64);
    /// # let mut ws = pushcodec::ws::WebSocketStream::from_raw(a, pushcodec::ws::Role::Server, Default::default());
    /// let _io: &mut tokio::io::DuplexStream = ws.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.core.io
    }

    /// Splits into a reader (`Stream`) and a writer (`Sink<Message>`) that
    /// can be used from different tasks. Pongs are still answered when only
    /// the reader is polled.
    ///
    /// ```
    /// # async fn demo(ws: pushcodec::ws::WebSocketStream<tokio::net::TcpStream>) {
    /// use futures_util::{SinkExt, StreamExt};
    /// let (mut reader, mut writer) = ws.split();
    /// tokio::spawn(async move { writer.send(pushcodec::ws::Message::text("hi")).await });
    /// while let Some(Ok(msg)) = reader.next().await { println!("{msg:?}"); }
    /// # }
    /// ```
    pub fn split(self) -> (WebSocketReader<S>, WebSocketWriter<S>) {
        let mut core = self.core;
        core.reader_alive = true;
        let shared = Arc::new(Mutex::new(core));
        (
            WebSocketReader {
                shared: shared.clone(),
            },
            WebSocketWriter { shared },
        )
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().core.poll_next_msg(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().core.poll_ready(cx)
    }
    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.get_mut().core.start_send(item)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().core.poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().core.poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::{CloseCode, Frame, FrameCodec, OpCode};
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_util::codec::{Decoder, Encoder};

    fn client_bytes(frames: &[Frame]) -> Vec<u8> {
        let mut c = FrameCodec::client();
        let mut b = BytesMut::new();
        for f in frames {
            c.encode(f.clone(), &mut b).unwrap();
        }
        b.to_vec()
    }

    async fn read_frames(io: &mut tokio::io::DuplexStream, role: Role) -> Vec<Frame> {
        let mut raw = Vec::new();
        io.read_to_end(&mut raw).await.unwrap();
        let mut buf = BytesMut::from(&raw[..]);
        let mut c = FrameCodec::new(role, usize::MAX);
        let mut out = vec![];
        while let Some(f) = c.decode(&mut buf).unwrap() {
            out.push(f);
        }
        out
    }

    #[tokio::test]
    async fn answers_ping_and_echoes_close() {
        let (a, mut b) = tokio::io::duplex(4096);
        let mut ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
        b.write_all(&client_bytes(&[
            Frame::new(true, OpCode::Ping, "p1"),
            Frame::new(true, OpCode::Close, &b"\x03\xe8bye"[..]),
        ]))
        .await
        .unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::ping(&b"p1"[..]));
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::close(CloseCode::NORMAL, "bye")
        );
        assert!(ws.next().await.is_none());
        let frames = read_frames(&mut b, Role::Client).await;
        assert_eq!(frames.len(), 2);
        assert_eq!(
            (frames[0].opcode, &frames[0].payload[..]),
            (OpCode::Pong, &b"p1"[..])
        );
        assert_eq!(
            (frames[1].opcode, &frames[1].payload[..]),
            (OpCode::Close, &b"\x03\xe8"[..])
        );
    }

    #[tokio::test]
    async fn large_server_payload_is_sent_intact() {
        let (a, mut b) = tokio::io::duplex(1 << 16);
        let mut ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let expected = payload.clone();
        let reader = tokio::spawn(async move { read_frames(&mut b, Role::Client).await });
        ws.send(Message::binary(payload)).await.unwrap();
        ws.send(Message::text("small")).await.unwrap();
        drop(ws);
        let frames = reader.await.unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(&frames[0].payload[..], &expected[..]);
        assert_eq!(&frames[1].payload[..], b"small");
    }

    #[test]
    fn stream_and_halves_are_send() {
        fn assert_send<T: Send>() {}
        fn assert_sync<T: Sync>() {}
        assert_send::<WebSocketStream<tokio::net::TcpStream>>();
        assert_send::<WebSocketReader<tokio::net::TcpStream>>();
        assert_send::<WebSocketWriter<tokio::net::TcpStream>>();
        assert_sync::<WebSocketWriter<tokio::net::TcpStream>>();
    }

    #[tokio::test]
    async fn send_after_close_is_refused() {
        let (a, _b) = tokio::io::duplex(4096);
        let mut ws = WebSocketStream::from_raw(a, Role::Client, WebSocketConfig::default());
        ws.send(Message::Close(None)).await.unwrap();
        assert!(matches!(
            ws.send(Message::text("late")).await,
            Err(Error::AlreadyClosed)
        ));
    }

    // ---- Bounds by construction (issue 11), each shown by an attack.

    fn masked_ping(payload: &[u8]) -> Vec<u8> {
        client_bytes(&[Frame::new(true, OpCode::Ping, payload.to_vec())])
    }

    /// The issue's attack: a peer that sends Pings as fast as it can and
    /// never reads. The write buffer stays within its bound, at most one
    /// Pong waits, and reading stops (the attacker's writes block), where
    /// the old stream grew to 4.3 GB.
    #[tokio::test]
    async fn ping_flood_from_a_non_reader_is_bounded_and_pauses_reading() {
        let bound = 4096;
        let (a, mut b) = tokio::io::duplex(16 << 10);
        let cfg = WebSocketConfig::builder().write_buffer_size(bound).build();
        let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
        let ping = masked_ping(&[7u8; 125]);
        let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = sent.clone();
        let attacker = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            for _ in 0..100_000 {
                if b.write_all(&ping).await.is_err() {
                    break;
                }
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            b
        });
        let mut pings = 0;
        loop {
            match tokio::time::timeout(std::time::Duration::from_millis(200), ws.next()).await {
                Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
                Ok(other) => panic!("unexpected {other:?}"),
                Err(_) => break, // reading paused
            }
            let out = &ws.core.out;
            assert!(
                out.buf.len() <= bound + crate::ws::frame::MAX_HEADER_LEN + 125,
                "write buffer {} over its bound {bound}",
                out.buf.len()
            );
        }
        let before = sent.load(std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let after = sent.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(
            before, after,
            "the attacker can still write: we kept reading"
        );
        assert!(after < 100_000, "all {after} pings were accepted");
        assert!(ws.core.out.pong.is_some(), "one Pong waits");
        assert!(
            ws.core.rbuf.len() < 64 << 10,
            "read buffer {}",
            ws.core.rbuf.len()
        );
        assert!(pings > 0 && pings < 1000, "{pings} pings read");
        attacker.abort();
    }

    /// Every frame kind respects `write_buffer_size`: a client's 1 MiB
    /// message (masked, so copied) goes into the buffer in pieces.
    #[tokio::test]
    async fn a_large_client_message_is_copied_in_pieces() {
        let bound = 4096;
        let (a, b) = tokio::io::duplex(1024);
        let cfg = WebSocketConfig::builder().write_buffer_size(bound).build();
        let mut ws = WebSocketStream::from_raw(a, Role::Client, cfg);
        let payload: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
        let expected = payload.clone();
        ws.feed(Message::binary(payload)).await.unwrap();
        for _ in 0..20 {
            let _ = tokio::time::timeout(std::time::Duration::from_millis(5), ws.flush()).await;
            assert!(
                ws.core.out.buf.len() <= bound + crate::ws::frame::MAX_HEADER_LEN,
                "write buffer {}",
                ws.core.out.buf.len()
            );
        }
        // A reader gets the message intact (masking phase kept across pieces).
        let reader = tokio::spawn(async move {
            let mut peer = WebSocketStream::from_raw(b, Role::Server, WebSocketConfig::default());
            peer.next().await.unwrap().unwrap()
        });
        ws.flush().await.unwrap();
        assert_eq!(reader.await.unwrap(), Message::binary(expected));
    }

    /// After a large message, neither buffer keeps its size: the read
    /// buffer is dropped once the connection waits, the write buffer once
    /// it drains.
    #[tokio::test]
    async fn buffers_shrink_back_after_a_large_message() {
        let (a, mut b) = tokio::io::duplex(1 << 16);
        let mut ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
        let big = client_bytes(&[Frame::new(true, OpCode::Binary, vec![1u8; 4 << 20])]);
        let writer = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            b.write_all(&big).await.unwrap();
            b
        });
        let m = ws.next().await.unwrap().unwrap();
        assert_eq!(m.len(), 4 << 20);
        drop(m);
        let mut b = writer.await.unwrap();
        // Waits for more: the 4 MiB read buffer is released.
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), ws.next())
                .await
                .is_err()
        );
        assert_eq!(ws.core.rbuf.capacity(), 0, "read buffer kept");
        // A client-masked 1 MiB message through the write buffer.
        let (c, d) = tokio::io::duplex(1 << 16);
        let mut client = WebSocketStream::from_raw(c, Role::Client, WebSocketConfig::default());
        let drain = tokio::spawn(async move {
            let mut d = d;
            let mut sink = Vec::new();
            let _ = d.read_to_end(&mut sink).await;
        });
        client
            .send(Message::binary(vec![2u8; 1 << 20]))
            .await
            .unwrap();
        assert!(
            client.core.out.buf.capacity() <= write::WRITE_RETAIN,
            "write buffer kept {} bytes",
            client.core.out.buf.capacity()
        );
        drop(client);
        drain.await.unwrap();
        drop(b.shutdown().await);
    }

    /// An idle connection holds no buffer at all.
    #[tokio::test]
    async fn an_idle_connection_holds_no_buffer() {
        let (a, mut b) = tokio::io::duplex(4096);
        let mut ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
        b.write_all(&client_bytes(&[Frame::new(true, OpCode::Text, "hello")]))
            .await
            .unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
        ws.send(Message::text("world")).await.unwrap();
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), ws.next())
                .await
                .is_err()
        );
        assert_eq!(ws.core.rbuf.capacity(), 0);
        assert_eq!(ws.core.out.buf.capacity(), 0);
    }

    /// Keep-alive: a Ping every interval; a peer that sends nothing is
    /// failed with 1011 after the timeout.
    #[tokio::test(start_paused = true)]
    async fn keep_alive_fails_a_silent_peer_with_1011() {
        let (a, mut b) = tokio::io::duplex(4096);
        let cfg = WebSocketConfig::builder()
            .keep_alive_interval(Some(std::time::Duration::from_secs(10)))
            .keep_alive_timeout(std::time::Duration::from_secs(5))
            .close_timeout(Some(std::time::Duration::from_secs(1)))
            .build();
        let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
        let start = tokio::time::Instant::now();
        let r = ws.next().await;
        assert!(matches!(r, Some(Err(Error::KeepAliveTimeout(_)))), "{r:?}");
        let t = start.elapsed();
        assert!(
            t >= std::time::Duration::from_secs(15) && t <= std::time::Duration::from_secs(17),
            "{t:?}"
        );
        assert!(ws.next().await.is_none());
        drop(ws);
        let frames = read_frames(&mut b, Role::Client).await;
        assert_eq!(frames[0].opcode, OpCode::Ping);
        assert_eq!(frames.last().unwrap().opcode, OpCode::Close);
        assert_eq!(&frames.last().unwrap().payload[..2], &1011u16.to_be_bytes());
    }

    /// Keep-alive: a peer that answers stays connected.
    #[tokio::test(start_paused = true)]
    async fn keep_alive_keeps_an_answering_peer() {
        let (a, b) = tokio::io::duplex(4096);
        let cfg = WebSocketConfig::builder()
            .keep_alive_interval(Some(std::time::Duration::from_secs(10)))
            .keep_alive_timeout(std::time::Duration::from_secs(5))
            .build();
        let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
        let mut peer = WebSocketStream::from_raw(b, Role::Client, WebSocketConfig::default());
        let peer_task = tokio::spawn(async move {
            let mut pings = 0;
            while let Some(Ok(m)) = peer.next().await {
                if matches!(m, Message::Ping(_)) {
                    pings += 1;
                }
            }
            pings
        });
        let mut pongs = 0;
        let read = async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Pong(_))) => pongs += 1,
                    other => panic!("the connection ended: {other:?}"),
                }
            }
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(60), read).await;
        assert!(pongs >= 5, "{pongs} pongs in 60 s");
        ws.close().await.unwrap();
        assert!(peer_task.await.unwrap() >= 5);
    }

    /// Idle timeout: no data message either way for the timeout → 1001.
    #[tokio::test(start_paused = true)]
    async fn idle_timeout_closes_with_1001() {
        let (a, mut b) = tokio::io::duplex(4096);
        let cfg = WebSocketConfig::builder()
            .idle_timeout(Some(std::time::Duration::from_secs(8)))
            .close_timeout(Some(std::time::Duration::from_secs(1)))
            .build();
        let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
        let start = tokio::time::Instant::now();
        let r = ws.next().await;
        assert!(matches!(r, Some(Err(Error::IdleTimeout(_)))), "{r:?}");
        let t = start.elapsed();
        assert!(
            t >= std::time::Duration::from_secs(8) && t <= std::time::Duration::from_secs(12),
            "{t:?}"
        );
        drop(ws);
        let frames = read_frames(&mut b, Role::Client).await;
        assert_eq!(frames.last().unwrap().opcode, OpCode::Close);
        assert_eq!(&frames.last().unwrap().payload[..2], &1001u16.to_be_bytes());
    }
}
