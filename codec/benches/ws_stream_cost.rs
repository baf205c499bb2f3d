//! The connection layer's cost in instructions (issue 11): drives
//! `WebSocketStream` over an in-memory transport, for callgrind.
//!
//! ```text
//! cargo bench -p pushcodec --bench ws_stream_cost --no-run   # prints the binary's path
//! valgrind --tool=callgrind --toggle-collect='*run_decode*' target/release/deps/ws_stream_cost-HASH text16
//! valgrind --tool=callgrind --toggle-collect='*run_decode*' target/release/deps/ws_stream_cost-HASH frag
//! valgrind --tool=callgrind --toggle-collect='*run_encode*' target/release/deps/ws_stream_cost-HASH enc16
//! LENIENT=1 valgrind ... text16      # with utf8_fail_fast(false)
//! ```
//!
//! Workloads: 100k masked 16-byte text frames, 10k 256-byte text messages
//! in 4 fragments (decode, 64 KiB reads), 100k 16-byte text messages fed
//! then flushed (encode). Figures in BENCHMARKS.md.
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use pushcodec::ws::{Message, Role, WebSocketConfig, WebSocketStream};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

struct MemIo {
    src: Bytes,
    pos: usize,
    written: u64,
}
impl AsyncRead for MemIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = buf.remaining().min(self.src.len() - self.pos).min(64 << 10);
        let p = self.pos;
        buf.put_slice(&self.src[p..p + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}
impl AsyncWrite for MemIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        b: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.written += b.len() as u64;
        Poll::Ready(Ok(b.len()))
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let n: usize = bufs.iter().map(|b| b.len()).sum();
        self.written += n as u64;
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
fn block<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}
fn masked(fin: bool, op: u8, payload: &[u8], i: usize, out: &mut Vec<u8>) {
    let key = [(i * 7) as u8, (i * 13) as u8, 0x5a, (i >> 3) as u8];
    out.push((u8::from(fin) << 7) | op);
    assert!(payload.len() < 126);
    out.push(0x80 | payload.len() as u8);
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(j, b)| b ^ key[j % 4]));
}
#[inline(never)]
fn run_decode(wire: Bytes, n: usize) -> usize {
    let cfg = if std::env::var("LENIENT").is_ok() {
        WebSocketConfig::builder().utf8_fail_fast(false).build()
    } else {
        WebSocketConfig::default()
    };
    let mut ws = WebSocketStream::from_raw(
        MemIo {
            src: wire,
            pos: 0,
            written: 0,
        },
        Role::Server,
        cfg,
    );
    block(async {
        let mut t = 0;
        for _ in 0..n {
            t += ws.next().await.unwrap().unwrap().len();
        }
        t
    })
}
#[inline(never)]
fn run_encode(msgs: &[Message]) -> u64 {
    let mut ws = WebSocketStream::from_raw(
        MemIo {
            src: Bytes::new(),
            pos: 0,
            written: 0,
        },
        Role::Server,
        WebSocketConfig::default(),
    );
    block(async {
        for m in msgs {
            ws.feed(m.clone()).await.unwrap();
        }
        ws.flush().await.unwrap();
    });
    ws.get_ref().written
}
fn main() {
    // `cargo bench` passes `--bench`; default to all three workloads.
    let arg = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    for what in arg.map_or(
        vec!["text16".to_string(), "frag".into(), "enc16".into()],
        |a| vec![a],
    ) {
        run(&what);
    }
}

fn run(what: &str) {
    let mut wire = Vec::new();
    match what {
        "text16" => {
            for i in 0..100_000 {
                masked(true, 1, b"0123456789abcdef", i, &mut wire);
            }
            println!("{}", run_decode(Bytes::from(wire), 100_000));
        }
        "frag" => {
            let text = "é".repeat(128);
            let t = text.as_bytes();
            for i in 0..10_000 {
                masked(false, 1, &t[..63], i, &mut wire);
                masked(false, 0, &t[63..126], i, &mut wire);
                masked(false, 0, &t[126..189], i, &mut wire);
                masked(true, 0, &t[189..], i, &mut wire);
            }
            println!("{}", run_decode(Bytes::from(wire), 10_000));
        }
        "enc16" => {
            let msgs: Vec<Message> = (0..100_000)
                .map(|i| Message::text(format!("{:016}", i)))
                .collect();
            println!("{}", run_encode(&msgs));
        }
        other => panic!("unknown workload {other}: text16, frag or enc16"),
    }
}
