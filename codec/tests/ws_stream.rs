//! `WebSocketStream` behaviour on the wire: cancel safety, close codes for
//! bad input, pongs from the reader half alone, backpressure, the closing
//! timeout, zero-copy vectored writes and batching.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use pushcodec::ws::{
    CloseCode, Error, Frame, FrameCodec, Message, OpCode, Role, WebSocketConfig, WebSocketStream,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio_util::codec::{Decoder, Encoder};

const LIMIT: Duration = Duration::from_secs(20);

fn client_bytes(frames: &[Frame]) -> Vec<u8> {
    let mut c = FrameCodec::client();
    let mut b = BytesMut::new();
    for f in frames {
        c.encode(f.clone(), &mut b).unwrap();
    }
    b.to_vec()
}

/// Raw bytes with a hand-made header (for frames our encoder refuses to make).
fn raw_masked(b0: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() <= 125);
    let key = [0x11, 0x22, 0x33, 0x44];
    let mut v = vec![b0, 0x80 | payload.len() as u8];
    v.extend_from_slice(&key);
    v.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    v
}

async fn server_frames_until_eof(io: &mut DuplexStream) -> Vec<Frame> {
    let mut raw = Vec::new();
    io.read_to_end(&mut raw).await.unwrap();
    let mut buf = BytesMut::from(&raw[..]);
    let mut c = FrameCodec::new(Role::Client, usize::MAX);
    let mut out = vec![];
    while let Some(f) = c.decode(&mut buf).unwrap() {
        out.push(f);
    }
    out
}

/// Dropping a pending `next()` in `select!` loses no bytes and no partial
/// message: a timer fires again and again while fragmented messages (with
/// pings between fragments) dribble in one byte at a time.
#[tokio::test]
async fn next_is_cancel_safe_under_select() {
    tokio::time::timeout(LIMIT, async {
        let (a, mut b) = tokio::io::duplex(64);
        let mut ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
        let expected = vec![
            Message::text("first message, three fragments: é€𝄞"),
            Message::ping(&b"between"[..]),
            Message::binary((0..200u8).collect::<Vec<u8>>()),
            Message::text("last"),
        ];
        let wire = client_bytes(&[
            Frame::new(
                false,
                OpCode::Text,
                &"first message, three fragments: é€𝄞".as_bytes()[..20],
            ),
            Frame::new(
                false,
                OpCode::Continuation,
                &"first message, three fragments: é€𝄞".as_bytes()[20..35],
            ),
            Frame::new(
                true,
                OpCode::Continuation,
                &"first message, three fragments: é€𝄞".as_bytes()[35..],
            ),
            Frame::new(true, OpCode::Ping, "between"),
            Frame::new(false, OpCode::Binary, (0..100u8).collect::<Vec<u8>>()),
            Frame::new(
                true,
                OpCode::Continuation,
                (100..200u8).collect::<Vec<u8>>(),
            ),
            Frame::new(true, OpCode::Text, "last"),
        ]);
        let writer = tokio::spawn(async move {
            for byte in wire {
                b.write_all(&[byte]).await.unwrap();
                tokio::time::sleep(Duration::from_micros(300)).await;
            }
            b // keep the peer open until the reader is done
        });
        let mut got = vec![];
        let mut ticks = 0u32;
        let mut timer = tokio::time::interval(Duration::from_micros(500));
        while got.len() < expected.len() {
            tokio::select! {
                m = ws.next() => got.push(m.unwrap().unwrap()),
                _ = timer.tick() => ticks += 1,
            }
        }
        assert_eq!(got, expected);
        assert!(
            ticks > 50,
            "the timer must have cancelled next() many times, got {ticks}"
        );
        drop(writer.await.unwrap());
    })
    .await
    .expect("timed out");
}

/// Each kind of bad input yields the matching error and the matching close
/// code on the wire (RFC 6455 §7.4.1): 1002 protocol error, 1007 invalid
/// UTF-8, 1009 too big.
#[tokio::test]
async fn bad_input_sends_the_matching_close_code() {
    let cfg = WebSocketConfig::builder()
        .max_frame_size(1000)
        .max_message_size(1500)
        .build();
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("unmasked frame", b"\x81\x02hi".to_vec(), 1002),
        ("reserved opcode", raw_masked(0x83, b""), 1002),
        ("rsv bit", raw_masked(0xC1, b"x"), 1002),
        ("fragmented ping", raw_masked(0x09, b""), 1002),
        ("ping 126 bytes", b"\x89\xFE\x00\x7E".to_vec(), 1002),
        ("continuation first", raw_masked(0x80, b"x"), 1002),
        ("close 1 byte", raw_masked(0x88, b"\x03"), 1002),
        ("close code 1005", raw_masked(0x88, b"\x03\xed"), 1002),
        ("text not utf-8", raw_masked(0x81, b"ab\xff"), 1007),
        (
            "fragmented text not utf-8",
            [raw_masked(0x01, b"ok"), raw_masked(0x00, b"\xed\xa0\x80")].concat(),
            1007,
        ),
        (
            "close reason not utf-8",
            raw_masked(0x88, b"\x03\xe8\xff"),
            1007,
        ),
        (
            "frame over max_frame_size",
            b"\x82\xFE\x03\xE9\x00\x00\x00\x00".to_vec(),
            1009,
        ),
        (
            "message over max_message_size",
            client_bytes(&[
                Frame::new(false, OpCode::Binary, vec![0u8; 1000]),
                Frame::new(true, OpCode::Continuation, vec![0u8; 600]),
            ]),
            1009,
        ),
    ];
    for (what, input, code) in cases {
        tokio::time::timeout(LIMIT, async {
            let (a, mut b) = tokio::io::duplex(1 << 16);
            let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg.clone());
            b.write_all(&input).await.unwrap();
            // The peer reads until our shutdown, then closes (the stream
            // drains input until then before handing out the error).
            let peer = tokio::spawn(async move { server_frames_until_eof(&mut b).await });
            let err = loop {
                match ws.next().await {
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => break e,
                    None => panic!("{what}: stream ended without error"),
                }
            };
            assert_eq!(err.close_code(), Some(CloseCode(code)), "{what}: {err}");
            assert!(
                ws.next().await.is_none(),
                "{what}: stream ends after the error"
            );
            let frames = peer.await.unwrap();
            let close = frames
                .last()
                .unwrap_or_else(|| panic!("{what}: nothing sent"));
            assert_eq!(close.opcode, OpCode::Close, "{what}");
            assert_eq!(
                u16::from_be_bytes([close.payload[0], close.payload[1]]),
                code,
                "{what}"
            );
            assert!(
                std::str::from_utf8(&close.payload[2..]).is_ok(),
                "{what}: reason is text"
            );
        })
        .await
        .expect("timed out");
    }
}

/// With only the reader half polled, pings are still answered.
#[tokio::test]
async fn reader_half_alone_answers_pings() {
    tokio::time::timeout(LIMIT, async {
        let (a, mut b) = tokio::io::duplex(4096);
        let ws = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
        let (mut reader, writer) = ws.split();
        b.write_all(&client_bytes(&[Frame::new(
            true,
            OpCode::Ping,
            "are you there",
        )]))
        .await
        .unwrap();
        assert_eq!(
            reader.next().await.unwrap().unwrap(),
            Message::ping(&b"are you there"[..])
        );
        let mut buf = BytesMut::new();
        let mut dec = FrameCodec::client();
        let pong = loop {
            b.read_buf(&mut buf).await.unwrap();
            if let Some(f) = dec.decode(&mut buf).unwrap() {
                break f;
            }
        };
        assert_eq!(
            (pong.opcode, &pong.payload[..]),
            (OpCode::Pong, &b"are you there"[..])
        );
        drop(writer);
    })
    .await
    .expect("timed out");
}

/// Split halves in two tasks: the writer streams messages while the reader
/// reads the echo; then the writer closes and the reader sees the end.
#[tokio::test]
async fn split_halves_work_from_two_tasks() {
    tokio::time::timeout(LIMIT, async {
        let (a, b) = tokio::io::duplex(1024);
        let server = WebSocketStream::from_raw(a, Role::Server, WebSocketConfig::default());
        let client = WebSocketStream::from_raw(b, Role::Client, WebSocketConfig::default());
        // Echo server.
        let echo = tokio::spawn(async move {
            let mut s = server;
            while let Some(Ok(m)) = s.next().await {
                if m.is_binary() {
                    s.send(m).await.unwrap();
                }
            }
        });
        let (mut reader, mut writer) = client.split();
        let sender = tokio::spawn(async move {
            for i in 0..200u32 {
                writer
                    .send(Message::binary(i.to_be_bytes().to_vec()))
                    .await
                    .unwrap();
            }
            writer
        });
        for i in 0..200u32 {
            assert_eq!(
                reader.next().await.unwrap().unwrap(),
                Message::binary(i.to_be_bytes().to_vec())
            );
        }
        let mut writer = sender.await.unwrap();
        let closer = tokio::spawn(async move { writer.close().await });
        // The reader sees the server's echo of our close, then the end.
        assert!(matches!(
            reader.next().await,
            Some(Ok(Message::Close(Some(_))))
        ));
        assert!(reader.next().await.is_none());
        closer.await.unwrap().unwrap();
        echo.await.unwrap();
    })
    .await
    .expect("timed out");
}

/// A peer that does not read stalls the sender at the write-buffer bound;
/// once it reads, everything arrives intact.
#[tokio::test]
async fn writes_are_backpressured() {
    tokio::time::timeout(LIMIT, async {
        let (a, mut b) = tokio::io::duplex(256);
        let cfg = WebSocketConfig::builder().write_buffer_size(4096).build();
        let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
        let msg = Message::binary(vec![9u8; 1000]);
        let mut queued = 0;
        loop {
            match tokio::time::timeout(Duration::from_millis(50), ws.feed(msg.clone())).await {
                Ok(r) => {
                    r.unwrap();
                    queued += 1;
                }
                Err(_) => break,
            }
            assert!(queued < 20, "never pushed back (queued {queued})");
        }
        // Roughly write_buffer_size + the duplex buffer's worth got through.
        assert!(queued >= 4, "queued {queued}");
        let reader = tokio::spawn(async move { server_frames_until_eof(&mut b).await });
        ws.send(msg.clone()).await.unwrap();
        queued += 1;
        drop(ws);
        let frames = reader.await.unwrap();
        assert_eq!(frames.len(), queued);
        assert!(frames.iter().all(|f| f.payload[..] == [9u8; 1000][..]));
    })
    .await
    .expect("timed out");
}

/// A peer that never answers our Close: `close()` gives up after
/// `close_timeout` with `Error::CloseTimeout`.
#[tokio::test(start_paused = true)]
async fn close_times_out_when_the_peer_does_not_answer() {
    let (a, _b) = tokio::io::duplex(4096);
    let cfg = WebSocketConfig::builder()
        .close_timeout(Some(Duration::from_secs(3)))
        .build();
    let mut ws = WebSocketStream::from_raw(a, Role::Server, cfg);
    let start = tokio::time::Instant::now();
    let r = ws.close().await;
    assert!(matches!(r, Err(Error::CloseTimeout(_))), "{r:?}");
    assert!(start.elapsed() >= Duration::from_secs(3));
}

/// (address, length) of each slice of one write call.
type WriteCall = Vec<(usize, usize)>;

/// Records every write: what the stream hands to the transport.
#[derive(Clone, Default)]
struct Recorder {
    writes: Arc<Mutex<Vec<WriteCall>>>,
    data: Arc<Mutex<Vec<u8>>>,
}

impl AsyncRead for Recorder {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Pending
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.writes
            .lock()
            .unwrap()
            .push(vec![(buf.as_ptr() as usize, buf.len())]);
        self.data.lock().unwrap().extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.writes.lock().unwrap().push(
            bufs.iter()
                .map(|b| (b.as_ptr() as usize, b.len()))
                .collect(),
        );
        let mut n = 0;
        for b in bufs {
            self.data.lock().unwrap().extend_from_slice(b);
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

/// A large server payload reaches the transport as the caller's own
/// `Bytes` (same pointer: not copied), in one vectored write with its
/// header; small frames fed together go out in a single write.
#[tokio::test]
async fn large_payload_is_written_without_copy_and_small_frames_are_batched() {
    let rec = Recorder::default();
    let mut ws = WebSocketStream::from_raw(rec.clone(), Role::Server, WebSocketConfig::default());
    let payload = Bytes::from(vec![3u8; 1 << 20]);
    ws.send(Message::Binary(payload.clone())).await.unwrap();
    {
        let writes = rec.writes.lock().unwrap();
        assert_eq!(writes.len(), 1, "one vectored write: {writes:?}");
        assert_eq!(writes[0][0].1, 10, "header: 2 bytes + 64-bit length");
        assert_eq!(writes[0][1], (payload.as_ptr() as usize, payload.len()));
    }
    rec.writes.lock().unwrap().clear();
    for i in 0..10 {
        ws.feed(Message::text(format!("small {i}"))).await.unwrap();
    }
    ws.flush().await.unwrap();
    assert_eq!(
        rec.writes.lock().unwrap().len(),
        1,
        "ten small frames, one write"
    );
    // And the bytes are the right frames.
    let mut wire = BytesMut::from(&rec.data.lock().unwrap()[..]);
    let mut dec = FrameCodec::new(Role::Client, usize::MAX);
    let big = dec.decode(&mut wire).unwrap().unwrap();
    assert_eq!(big.payload, payload);
    for i in 0..10 {
        let f = dec.decode(&mut wire).unwrap().unwrap();
        assert_eq!(f.payload, format!("small {i}").into_bytes());
    }
}

/// Regression (Chromium saw 1006 instead of 1009): a server that fails the
/// connection while the peer is still sending must not reset it. The peer
/// here sends a 4 MiB frame that is refused from its header; every byte it
/// writes must be accepted (no EPIPE/ECONNRESET) and it must read our 1009
/// close frame and a clean EOF.
#[tokio::test]
async fn failing_with_unread_input_does_not_reset_the_connection() {
    use tokio::net::{TcpListener, TcpStream};
    tokio::time::timeout(LIMIT, async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (tcp, _) = l.accept().await.unwrap();
            let cfg = WebSocketConfig::builder().max_frame_size(1024).build();
            let mut ws = pushcodec::ws::handshake::accept_with_config(tcp, cfg)
                .await
                .unwrap();
            let err = ws.next().await.unwrap().unwrap_err();
            assert_eq!(err.close_code(), Some(CloseCode::TOO_BIG));
            drop(ws);
        });
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(
            b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(tcp.read_u8().await.unwrap());
        }
        assert!(head.starts_with(b"HTTP/1.1 101 "));
        let (mut rd, mut wr) = tcp.into_split();
        let writer = tokio::spawn(async move {
            // Header: binary, masked, 64-bit length 4 MiB, key 0.
            let mut frame = vec![0x82, 0xFF, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0];
            frame.resize(frame.len() + (4 << 20), b'x');
            let r = wr.write_all(&frame).await;
            (r, wr)
        });
        let mut answer = Vec::new();
        let read = rd.read_to_end(&mut answer).await;
        let (write, wr) = writer.await.unwrap();
        write.expect("every byte accepted, no reset");
        read.expect("clean EOF, no reset");
        drop(wr);
        let mut buf = BytesMut::from(&answer[..]);
        let close = FrameCodec::client().decode(&mut buf).unwrap().unwrap();
        assert_eq!(close.opcode, OpCode::Close);
        assert_eq!(&close.payload[..2], &1009u16.to_be_bytes());
        server.await.unwrap();
    })
    .await
    .expect("timed out");
}
