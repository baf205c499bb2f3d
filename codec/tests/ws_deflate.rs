//! permessage-deflate (RFC 7692) through the handshake and the stream:
//! negotiation in both roles with every parameter, compressed messages both
//! ways (RSV1 on the wire), a server's `DeflateLimit`, an invalid answer
//! failing the connection, tokens never delayed, and a bomb refused with
//! 1009.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use pushcodec::ws::extension::deflate::{DeflateLimit, Deflater};
use pushcodec::ws::extension::{DeflateConfig, DeflateError};
use pushcodec::ws::handshake::{self, AcceptOptions, ConnectOptions, HandshakeError};
use pushcodec::ws::{
    CloseCode, Error, Frame, FrameCodec, Message, OpCode, ProtocolError, Role, WebSocketConfig,
    WebSocketStream,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio_util::codec::{Decoder, Encoder};

const LIMIT: Duration = Duration::from_secs(60);

/// A transport that records every byte read through it (what the peer
/// sent), so a test can look at the frames on the wire.
struct Tap {
    io: DuplexStream,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl AsyncRead for Tap {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        let new = buf.filled()[before..].to_vec();
        self.seen.lock().unwrap().extend_from_slice(&new);
        r
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The frames a server sent, from the bytes a client read (after the 101).
fn server_frames(seen: &[u8]) -> Vec<Frame> {
    let head = memchr::memmem::find(seen, b"\r\n\r\n").expect("a 101 head") + 4;
    let mut buf = BytesMut::from(&seen[head..]);
    let mut c = FrameCodec::new(Role::Client, usize::MAX).with_allowed_rsv(0b100);
    let mut out = vec![];
    while let Ok(Some(f)) = c.decode(&mut buf) {
        out.push(f);
    }
    out
}

struct Pair {
    client: WebSocketStream<Tap>,
    server: WebSocketStream<DuplexStream>,
    /// Bytes the client read: the 101 and the server's frames.
    client_saw: Arc<Mutex<Vec<u8>>>,
}

async fn pair(client: ConnectOptions, server: AcceptOptions) -> Result<Pair, HandshakeError> {
    let (a, b) = tokio::io::duplex(1 << 20);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let tap = Tap {
        io: a,
        seen: seen.clone(),
    };
    let s = tokio::spawn(async move { handshake::accept_with_options(b, &server).await });
    let c = handshake::connect_with_options(tap, "ws://localhost/", &client).await;
    let s = s.await.unwrap();
    let (client, _) = c?;
    let (server, _) = s?;
    Ok(Pair {
        client,
        server,
        client_saw: seen,
    })
}

fn connect_opts(deflate: DeflateConfig) -> ConnectOptions {
    ConnectOptions::builder()
        .config(WebSocketConfig::builder().deflate(deflate).build())
        .build()
}

fn accept_opts(deflate: DeflateConfig) -> AcceptOptions {
    AcceptOptions::builder()
        .config(WebSocketConfig::builder().deflate(deflate).build())
        .build()
}

fn token(i: usize) -> Message {
    Message::text(format!(
        r#"{{"type":"token","index":{i},"text":" word{}"}}"#,
        i % 17
    ))
}

/// A message longer than any window, with far repeats (matches up to the
/// window's reach only).
fn long_message(seed: u32) -> Message {
    let mut x = seed | 1;
    let block: Vec<u8> = (0..3000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b'a' + (x % 26) as u8
        })
        .collect();
    Message::binary(block.repeat(40))
}

/// Messages both ways: each end gets what the other sent.
async fn exchange(p: &mut Pair, n: usize) {
    for i in 0..n {
        let m = if i % 10 == 9 {
            long_message(i as u32)
        } else {
            token(i)
        };
        p.server.send(m.clone()).await.unwrap();
        assert_eq!(
            p.client.next().await.unwrap().unwrap(),
            m,
            "server → client {i}"
        );
        p.client.send(m.clone()).await.unwrap();
        assert_eq!(
            p.server.next().await.unwrap().unwrap(),
            m,
            "client → server {i}"
        );
    }
}

#[tokio::test]
async fn defaults_negotiate_and_compress_both_ways() {
    tokio::time::timeout(LIMIT, async {
        let mut p = pair(ConnectOptions::default(), AcceptOptions::default())
            .await
            .unwrap();
        assert_eq!(p.client.deflate(), p.server.deflate());
        assert_eq!(
            p.server.deflate().unwrap().to_string(),
            "permessage-deflate"
        );
        exchange(&mut p, 30).await;
        // On the wire: every data frame compressed (RSV1), and smaller.
        let frames = server_frames(&p.client_saw.lock().unwrap());
        assert_eq!(frames.len(), 30);
        assert!(frames.iter().all(|f| f.rsv == 0b100), "{frames:?}");
        let wire: usize = frames.iter().map(|f| f.payload.len()).sum();
        let sent: usize = (0..30)
            .map(|i| if i % 10 == 9 { 120_000 } else { token(i).len() })
            .sum();
        assert!(wire * 4 < sent, "{wire} compressed bytes for {sent}");
        // Control frames are never compressed.
        p.client.send(Message::ping("p")).await.unwrap();
        assert_eq!(p.server.next().await.unwrap().unwrap(), Message::ping("p"));
        let server = async {
            let close = p.server.next().await;
            (close, p.server.next().await) // the echo goes out
        };
        let (closed, (got, end)) = tokio::join!(p.client.close(), server);
        closed.unwrap();
        assert!(matches!(got, Some(Ok(Message::Close(_)))));
        assert!(end.is_none());
        let frames = server_frames(&p.client_saw.lock().unwrap());
        let pong = frames.iter().find(|f| f.opcode == OpCode::Pong).unwrap();
        assert_eq!((pong.rsv, &pong.payload[..]), (0, &b"p"[..]));
    })
    .await
    .unwrap();
}

/// RFC 7692 §7.1: every parameter, asked for by either side, ends in the
/// agreed parameters (the tighter of offer and policy), and messages go
/// through both ways with windows 8–15 and without context takeover.
#[tokio::test]
async fn every_parameter_combination_through_the_handshake() {
    tokio::time::timeout(Duration::from_secs(240), async {
        let b = DeflateConfig::builder;
        let sides = [
            b().build(),
            b().server_max_window_bits(8).build(),
            b().server_max_window_bits(11).build(),
            b().client_max_window_bits(8).build(),
            b().client_max_window_bits(13).build(),
            b().server_no_context_takeover(true).build(),
            b().client_no_context_takeover(true).build(),
            b().server_max_window_bits(9)
                .client_max_window_bits(9)
                .server_no_context_takeover(true)
                .client_no_context_takeover(true)
                .build(),
        ];
        for c in &sides {
            for s in &sides {
                let mut p = pair(connect_opts(*c), accept_opts(*s)).await.unwrap();
                let agreed = *p.server.deflate().unwrap();
                assert_eq!(Some(&agreed), p.client.deflate());
                // The tighter of what each side asked for, per direction.
                let want = |x: u8, y: u8| Some(x.min(y)).filter(|&b| b < 15);
                assert_eq!(
                    agreed.server_max_window_bits(),
                    want(c.server_max_window_bits(), s.server_max_window_bits()),
                    "{c:?} / {s:?}"
                );
                assert_eq!(
                    agreed.client_max_window_bits(),
                    want(c.client_max_window_bits(), s.client_max_window_bits()),
                    "{c:?} / {s:?}"
                );
                assert_eq!(
                    agreed.server_no_context_takeover(),
                    c.server_no_context_takeover() || s.server_no_context_takeover()
                );
                assert_eq!(
                    agreed.client_no_context_takeover(),
                    c.client_no_context_takeover() || s.client_no_context_takeover()
                );
                exchange(&mut p, 10).await;
                let frames = server_frames(&p.client_saw.lock().unwrap());
                assert!(frames.iter().any(|f| f.rsv == 0b100));
            }
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn deflate_off_on_either_side_means_uncompressed() {
    tokio::time::timeout(LIMIT, async {
        let off = DeflateConfig::builder().enabled(false).build();
        for (c, s) in [
            (off, DeflateConfig::default()),
            (DeflateConfig::default(), off),
        ] {
            let mut p = pair(connect_opts(c), accept_opts(s)).await.unwrap();
            assert!(p.client.deflate().is_none() && p.server.deflate().is_none());
            exchange(&mut p, 10).await;
            let frames = server_frames(&p.client_saw.lock().unwrap());
            assert!(frames.iter().all(|f| f.rsv == 0));
        }
    })
    .await
    .unwrap();
}

/// The server's cap: past `DeflateLimit`'s count the extension is declined;
/// a dropped connection gives its place back.
#[tokio::test]
async fn deflate_limit_declines_past_the_cap() {
    tokio::time::timeout(LIMIT, async {
        let limit = DeflateLimit::new(1);
        let server = AcceptOptions::builder()
            .deflate_limit(limit.clone())
            .build();
        let mut first = pair(ConnectOptions::default(), server.clone())
            .await
            .unwrap();
        let mut second = pair(ConnectOptions::default(), server.clone())
            .await
            .unwrap();
        assert!(first.server.deflate().is_some());
        assert!(second.server.deflate().is_none() && second.client.deflate().is_none());
        assert_eq!(limit.in_use(), 1);
        exchange(&mut first, 3).await;
        exchange(&mut second, 3).await;
        drop(first);
        assert_eq!(limit.in_use(), 0);
        let third = pair(ConnectOptions::default(), server).await.unwrap();
        assert!(third.server.deflate().is_some());
    })
    .await
    .unwrap();
}

/// A fake server that answers the upgrade with `extensions`.
async fn answer_with(extensions: &str) -> Result<(), HandshakeError> {
    let (a, mut b) = tokio::io::duplex(1 << 16);
    let ext = extensions.to_owned();
    let server = tokio::spawn(async move {
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            if b.read(&mut byte).await.unwrap() == 0 {
                return;
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(
            head.to_ascii_lowercase()
                .contains("sec-websocket-extensions: permessage-deflate; client_max_window_bits"),
            "{head}"
        );
        let key = head
            .lines()
            .find_map(|l| l.strip_prefix("sec-websocket-key: "))
            .unwrap()
            .trim()
            .to_owned();
        let resp = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Extensions: {ext}\r\n\r\n",
            handshake::accept_key(key.as_bytes())
        );
        let _ = b.write_all(resp.as_bytes()).await;
    });
    let r = handshake::connect(a, "ws://localhost/").await.map(drop);
    server.await.unwrap();
    r
}

/// RFC 7692 §7: an answer the client cannot accept fails the connection
/// (here: the handshake), never a connection with unagreed compression.
#[tokio::test]
async fn an_invalid_answer_fails_the_connection() {
    tokio::time::timeout(LIMIT, async {
        assert!(answer_with("permessage-deflate; client_max_window_bits=12")
            .await
            .is_ok());
        for bad in [
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; x-unknown",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate, permessage-deflate",
            "x-webkit-deflate-frame",
            "permessage-deflate;",
        ] {
            let e = answer_with(bad).await.unwrap_err();
            assert!(matches!(e, HandshakeError::Extension(_)), "{bad}: {e}");
        }
    })
    .await
    .unwrap();
}

/// A malformed offer is refused with 400 (RFC 6455 §9.1 grammar).
#[tokio::test]
async fn a_malformed_offer_is_a_400() {
    let (mut a, b) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(async move { handshake::accept(b).await.map(drop) });
    a.write_all(
        b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
          Sec-WebSocket-Extensions: permessage-deflate; =\r\n\r\n",
    )
    .await
    .unwrap();
    let mut resp = Vec::new();
    let _ = a.read_to_end(&mut resp).await;
    assert!(
        resp.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&resp)
    );
    assert!(matches!(
        server.await.unwrap(),
        Err(HandshakeError::Extension(_))
    ));
}

/// Compression never delays a message: each token `send` puts the whole
/// compressed message on the wire (sync flush), so the peer reads it
/// before the next one is even made.
#[tokio::test]
async fn each_token_arrives_before_the_next_is_sent() {
    tokio::time::timeout(LIMIT, async {
        let mut p = pair(ConnectOptions::default(), AcceptOptions::default())
            .await
            .unwrap();
        for i in 0..200 {
            p.server.send(token(i)).await.unwrap();
            let got = tokio::time::timeout(Duration::from_secs(5), p.client.next())
                .await
                .expect("the token arrived on its own")
                .unwrap()
                .unwrap();
            assert_eq!(got, token(i));
        }
        let frames = server_frames(&p.client_saw.lock().unwrap());
        assert_eq!(frames.len(), 200);
        assert!(frames.iter().all(|f| f.rsv == 0b100 && f.fin));
        // With context takeover, later tokens shrink well below their size.
        let late: usize = frames[100..].iter().map(|f| f.payload.len()).sum();
        let sent: usize = (100..200).map(|i| token(i).len()).sum();
        assert!(late * 2 < sent, "{late} bytes for {sent}");
    })
    .await
    .unwrap();
}

/// A server-side transport that counts the bytes read, and notes how many
/// had been read when the server wrote its Close frame.
struct Counting {
    io: DuplexStream,
    read: usize,
    read_at_close: Arc<Mutex<Option<usize>>>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        self.read += buf.filled().len() - before;
        r
    }
}

impl AsyncWrite for Counting {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if buf.first() == Some(&0x88) {
            let read = self.read;
            self.read_at_close.lock().unwrap().get_or_insert(read);
        }
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The frames of one binary message of `mib` MiB of zeros, compressed
/// (context takeover) in 1 MiB pieces, one frame per piece.
fn zero_bomb(mib: usize) -> Vec<u8> {
    let mut d = Deflater::new(15, false, &DeflateConfig::default());
    let zeros = vec![0u8; 1 << 20];
    let mut pieces = Vec::new();
    for _ in 0..3 {
        let mut piece = BytesMut::new();
        d.compress_fragment(&zeros, false, &mut piece).unwrap();
        pieces.push(piece);
    }
    // Past the first piece the window is all zeros: every later piece
    // compresses to the same bytes, so they are repeated, not recomputed.
    assert_eq!(pieces[1], pieces[2]);
    let mut frames = FrameCodec::client();
    let mut wire = BytesMut::new();
    for i in 0..mib {
        let (opcode, rsv) = if i == 0 {
            (OpCode::Binary, 0b100)
        } else {
            (OpCode::Continuation, 0)
        };
        let piece = pieces[i.min(1)].clone().freeze();
        let mut f = Frame::new(i + 1 == mib, opcode, piece);
        f.rsv = rsv;
        frames.encode(f, &mut wire).unwrap();
    }
    wire.to_vec()
}

/// The bomb through a connection: a client message that inflates to 1 GiB
/// (about 1 MiB on the wire) is refused with 1009 once `max_message_size`
/// is crossed, after reading a sliver of it.
#[tokio::test]
async fn a_1_gib_bomb_is_refused_with_1009() {
    tokio::time::timeout(Duration::from_secs(120), async {
        let max = 1 << 20;
        let server = AcceptOptions::builder()
            .config(
                WebSocketConfig::builder()
                    .max_message_size(max)
                    .close_timeout(Some(Duration::from_millis(500)))
                    .build(),
            )
            .build();
        let (a, mut b) = tokio::io::duplex(1 << 16);
        let read_at_close = Arc::new(Mutex::new(None));
        let io = Counting {
            io: a,
            read: 0,
            read_at_close: read_at_close.clone(),
        };
        let srv = tokio::spawn(async move {
            let (mut ws, _) = handshake::accept_with_options(io, &server).await.unwrap();
            ws.next().await
        });
        b.write_all(
            b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
              Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
        )
        .await
        .unwrap();
        let bomb = zero_bomb(1024);
        let (mut rd, mut wr) = tokio::io::split(b);
        let writer = tokio::spawn(async move {
            let _ = wr.write_all(&bomb).await;
            bomb.len()
        });
        let got = srv.await.unwrap();
        match got {
            Some(Err(Error::Protocol(ProtocolError::Deflate(DeflateError::MessageTooBig {
                max: m,
            })))) => assert_eq!(m, max),
            other => panic!("{other:?}"),
        }
        let total = writer.await.unwrap();
        let read = read_at_close.lock().unwrap().expect("a Close was written");
        // 1 MiB of zeros is ~1 KiB compressed: the limit is crossed in the
        // first few KiB; reads come 64 KiB at a time.
        assert!(
            read < 256 << 10,
            "read {read} of {total} bytes before failing"
        );
        // The close frame says 1009.
        let mut rest = Vec::new();
        let _ = rd.read_to_end(&mut rest).await;
        let head = memchr::memmem::find(&rest, b"\r\n\r\n").unwrap() + 4;
        let mut buf = BytesMut::from(&rest[head..]);
        let close = FrameCodec::new(Role::Client, usize::MAX)
            .decode(&mut buf)
            .unwrap()
            .unwrap();
        assert_eq!(close.opcode, OpCode::Close);
        assert_eq!(&close.payload[..2], &CloseCode::TOO_BIG.0.to_be_bytes());
    })
    .await
    .unwrap();
}
