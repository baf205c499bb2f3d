//! The hostile-peer suite (issue 11): attacks `ws-echo` and the token
//! server's `/ws` on 127.0.0.1 and checks that each stays within its bounds.
//!
//! ```text
//! ws-hostile --bin-dir target/release [--only ping-flood] [--target ws-echo]
//! ```
//!
//! Each case gets a fresh server process (`--addr 127.0.0.1:0`), runs for a
//! bounded time, and reports: the server's RSS growth (peak `VmRSS` from
//! `/proc/PID/status` during the attack, minus the RSS before it), whether
//! other clients were still served within 100 ms (fresh connections doing a
//! handshake and a Ping/Pong every 250 ms during the attack: the slowest
//! one is shown), and the close code the attacking connection(s) got. Each
//! case states its bound and fails when it is exceeded. Prints a Markdown
//! table and `ws-hostile: N passed, M failed`; exits 1 on any failure.
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use pushcodec::ws::{FrameCodec, OpCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Decoder;

const MIB: u64 = 1 << 20;
/// Other clients must be served within this.
const SERVED_WITHIN: Duration = Duration::from_millis(100);
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Echo,
    TokenServer,
}

impl Kind {
    /// The target's `max_message_size` as started here (ws-echo's default,
    /// the token server's `ServerConfig::max_ws_message`).
    fn max_message(self) -> u64 {
        match self {
            Kind::Echo => 64 * MIB,
            Kind::TokenServer => 64 * 1024,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Echo => "ws-echo",
            Kind::TokenServer => "token-server /ws",
        }
    }
    fn path(self) -> &'static str {
        match self {
            Kind::Echo => "/",
            Kind::TokenServer => "/ws",
        }
    }
}

struct Target {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Target {
    fn start(kind: Kind, bin_dir: &str) -> Result<Target, String> {
        let mut cmd = match kind {
            Kind::Echo => {
                let mut c = Command::new(format!("{bin_dir}/ws-echo"));
                // Short time bounds, so that the cases can watch them act.
                c.args([
                    "--addr",
                    "127.0.0.1:0",
                    "--handshake-timeout-ms",
                    "2000",
                    "--keep-alive-ms",
                    "1000",
                    "--keep-alive-timeout-ms",
                    "1000",
                    "--send-timeout-ms",
                    "2000",
                    "--close-timeout-ms",
                    "1000",
                ]);
                c
            }
            Kind::TokenServer => {
                let mut c = Command::new(format!("{bin_dir}/token-server"));
                c.args(["--addr", "127.0.0.1:0", "--token-delay-ms", "1"]);
                c
            }
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", kind.name()))?;
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                if let Some(i) = line.find("listening on ") {
                    let rest = &line[i + "listening on ".len()..];
                    let addr = rest
                        .trim_start_matches("ws://")
                        .trim_start_matches("http://")
                        .split_whitespace()
                        .next()
                        .unwrap_or("");
                    if let Ok(addr) = addr.parse() {
                        return Ok(Target { child, addr });
                    }
                }
            }
        }
        Err(format!("{} did not report its address", kind.name()))
    }

    fn rss(&self) -> u64 {
        rss_of(self.child.id())
    }
}

fn rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// A masked client frame.
fn frame(fin: bool, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![(u8::from(fin) << 7) | opcode.as_u8()];
    match payload.len() {
        n @ 0..=125 => v.push(0x80 | n as u8),
        n @ 126..=65535 => {
            v.push(0x80 | 126);
            v.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            v.push(0x80 | 127);
            v.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    v.extend_from_slice(&KEY);
    v.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    v
}

fn request_head(addr: SocketAddr, path: &str) -> String {
    request_head_with(addr, path, "")
}

fn request_head_with(addr: SocketAddr, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// Connects and completes the handshake by hand; returns the socket and
/// any bytes read after the 101 head.
async fn connect(addr: SocketAddr, path: &str) -> Result<(TcpStream, BytesMut), String> {
    connect_with(addr, path, "")
        .await
        .map(|(tcp, buf, _)| (tcp, buf))
}

/// [`connect`] with `extra` header lines in the request; also returns the
/// 101 head.
async fn connect_with(
    addr: SocketAddr,
    path: &str,
    extra: &str,
) -> Result<(TcpStream, BytesMut, String), String> {
    let mut tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    tcp.write_all(request_head_with(addr, path, extra).as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        if let Some(i) = memchr::memmem::find(&buf, b"\r\n\r\n") {
            if !buf.starts_with(b"HTTP/1.1 101") {
                return Err(format!("no 101: {:?}", String::from_utf8_lossy(&buf[..i])));
            }
            let head = String::from_utf8_lossy(&buf[..i]).into_owned();
            let _ = buf.split_to(i + 4);
            return Ok((tcp, buf, head));
        }
        if tcp.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
            return Err("closed during the handshake".into());
        }
    }
}

/// A probe: a fresh connection, handshake, Ping, Pong. Its duration.
async fn probe(addr: SocketAddr, path: &str) -> Duration {
    let start = Instant::now();
    let run = async {
        let (mut tcp, mut buf) = connect(addr, path).await?;
        tcp.write_all(&frame(true, OpCode::Ping, b"probe"))
            .await
            .map_err(|e| e.to_string())?;
        let mut dec = FrameCodec::client();
        loop {
            while let Some(f) = dec.decode(&mut buf).map_err(|e| e.to_string())? {
                if f.opcode == OpCode::Pong {
                    return Ok::<_, String>(());
                }
            }
            if tcp.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
                return Err("closed".into());
            }
        }
    };
    match tokio::time::timeout(Duration::from_secs(5), run).await {
        Ok(Ok(())) => start.elapsed(),
        _ => Duration::from_secs(5),
    }
}

/// Reads what the server sends until EOF, an error or `limit`; returns the
/// code of the first Close frame, if any.
async fn close_code(tcp: &mut TcpStream, mut buf: BytesMut, limit: Duration) -> Option<u16> {
    let mut dec = FrameCodec::client().with_max_frame_size(usize::MAX >> 1);
    let end = tokio::time::Instant::now() + limit;
    loop {
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(f)) if f.opcode == OpCode::Close => {
                    return Some(if f.payload.len() >= 2 {
                        u16::from_be_bytes([f.payload[0], f.payload[1]])
                    } else {
                        1005
                    });
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return None,
            }
        }
        match tokio::time::timeout_at(end, tcp.read_buf(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return None,
        }
    }
}

/// What a case observed.
#[derive(Default)]
struct Outcome {
    close: Vec<String>,
    note: String,
    /// A case-specific check failed.
    failed: Option<String>,
    /// RSS after the attack ended (for cases bounding what is kept).
    rss_after: Option<u64>,
}

struct Case {
    name: &'static str,
    /// RSS growth bound, bytes.
    rss_bound: u64,
    /// The bound is `rss_bound` plus the target's `max_message_size`.
    plus_max_message: bool,
    bound_text: &'static str,
}

impl Case {
    fn bound(&self, kind: Kind) -> u64 {
        self.rss_bound
            + if self.plus_max_message {
                kind.max_message()
            } else {
                0
            }
    }
}

const CASES: &[Case] = &[
    Case {
        name: "ping-flood",
        rss_bound: 16 * MIB,
        plus_max_message: false,
        bound_text: "RSS +16 MiB; reading pauses",
    },
    Case {
        name: "pong-flood",
        rss_bound: 16 * MIB,
        plus_max_message: false,
        bound_text: "RSS +16 MiB",
    },
    Case {
        name: "one-byte-writes",
        rss_bound: 16 * MIB,
        plus_max_message: false,
        bound_text: "RSS +16 MiB; message intact",
    },
    Case {
        name: "65536-fragments",
        rss_bound: 16 * MIB,
        plus_max_message: false,
        bound_text: "RSS +16 MiB",
    },
    Case {
        name: "2^63-1-header",
        rss_bound: 4 * MIB,
        plus_max_message: false,
        bound_text: "RSS +4 MiB; close 1009",
    },
    Case {
        name: "1100-trickling-heads",
        rss_bound: 48 * MIB,
        plus_max_message: false,
        bound_text: "RSS +48 MiB",
    },
    Case {
        name: "64MiB-to-non-reader",
        rss_bound: 96 * MIB,
        plus_max_message: false,
        bound_text: "RSS +96 MiB (the message is 64 MiB), released after",
    },
    Case {
        name: "1000-vanished-peers",
        rss_bound: 48 * MIB,
        plus_max_message: false,
        bound_text: "RSS +48 MiB",
    },
    Case {
        name: "1GiB-deflate-bomb",
        // max_message_size (ws-echo: 64 MiB) plus a window, the zlib
        // states and the read buffer: 2 MiB of slack.
        rss_bound: 2 * MIB,
        plus_max_message: true,
        bound_text: "RSS + max_message_size + 2 MiB; close 1009; released after",
    },
];

/// One binary message of `mib` MiB of zeros compressed with
/// permessage-deflate (context takeover) in 1 MiB pieces, one masked frame
/// each: about 1 KiB per MiB on the wire.
fn deflate_bomb(mib: usize) -> Vec<u8> {
    use pushcodec::ws::extension::{deflate::Deflater, DeflateConfig};
    let mut d = Deflater::new(15, false, &DeflateConfig::default());
    let zeros = vec![0u8; 1 << 20];
    let mut pieces = Vec::new();
    for _ in 0..2 {
        let mut piece = BytesMut::new();
        d.compress_fragment(&zeros, false, &mut piece)
            .expect("compress");
        pieces.push(piece);
    }
    // Past the first piece the window is all zeros: every later piece
    // compresses to the same bytes (checked by codec/tests/ws_deflate.rs).
    let mut wire = Vec::new();
    for i in 0..mib {
        let op = if i == 0 {
            OpCode::Binary
        } else {
            OpCode::Continuation
        };
        let mut f = frame(i + 1 == mib, op, &pieces[i.min(1)]);
        if i == 0 {
            f[0] |= 0x40; // RSV1: compressed (RFC 7692 §6)
        }
        wire.extend(f);
    }
    wire
}

/// Writes `data` repeatedly until `dur` passes; returns the bytes written
/// and whether a write stayed blocked for 500 ms (TCP backpressure).
async fn flood(tcp: &mut TcpStream, data: &[u8], dur: Duration) -> (u64, bool) {
    let end = Instant::now() + dur;
    let mut sent = 0u64;
    let mut blocked = false;
    while Instant::now() < end {
        match tokio::time::timeout(Duration::from_millis(500), tcp.write_all(data)).await {
            Ok(Ok(())) => sent += data.len() as u64,
            Ok(Err(_)) => break,
            Err(_) => blocked = true,
        }
    }
    (sent, blocked)
}

async fn attack(case: &str, kind: Kind, addr: SocketAddr, pid: u32) -> Result<Outcome, String> {
    let path = kind.path();
    let mut out = Outcome::default();
    match case {
        "ping-flood" | "pong-flood" => {
            let (mut tcp, _) = connect(addr, path).await?;
            let op = if case == "ping-flood" {
                OpCode::Ping
            } else {
                OpCode::Pong
            };
            let one = frame(true, op, &[0x5a; 125]);
            let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 512).collect();
            let (sent, blocked) = flood(&mut tcp, &batch, Duration::from_secs(3)).await;
            out.note = format!(
                "{} MiB sent in 3 s; {}",
                sent / MIB,
                if blocked {
                    "server stopped reading (backpressure)"
                } else {
                    "never blocked"
                }
            );
            if case == "ping-flood" && !blocked && kind == Kind::Echo {
                out.failed = Some("reading never paused".into());
            }
            drop(tcp);
        }
        "one-byte-writes" => {
            let (mut tcp, buf) = connect(addr, path).await?;
            let text: &[u8] = match kind {
                Kind::Echo => &[b'x'; 2048],
                Kind::TokenServer => br#"{"type":"prompt","text":"one byte at a time"}"#,
            };
            let wire = frame(true, OpCode::Text, text);
            for b in &wire {
                tcp.write_all(std::slice::from_ref(b))
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
            // The answer: the echo, or the first token.
            let mut buf = buf;
            let mut dec = FrameCodec::client();
            let got = tokio::time::timeout(Duration::from_secs(5), async {
                loop {
                    if let Some(f) = dec.decode(&mut buf).map_err(|e| e.to_string())? {
                        if f.opcode == OpCode::Text {
                            return Ok::<_, String>(f.payload.len());
                        }
                        continue;
                    }
                    if tcp.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
                        return Err("closed".into());
                    }
                }
            })
            .await;
            match &got {
                Ok(Ok(n)) => {
                    out.note = format!("{} writes of 1 byte; answered ({n} B)", wire.len())
                }
                other => out.failed = Some(format!("no answer: {other:?}")),
            }
            if kind == Kind::Echo && !matches!(got, Ok(Ok(2048))) {
                out.failed = Some("echo not intact".into());
            }
        }
        "65536-fragments" => {
            let (mut tcp, buf) = connect(addr, path).await?;
            let mut wire = Vec::with_capacity(65_536 * 7);
            for i in 0..65_536u32 {
                let op = if i == 0 {
                    OpCode::Binary
                } else {
                    OpCode::Continuation
                };
                wire.extend(frame(i == 65_535, op, &[i as u8]));
            }
            let writer = async {
                let _ = tcp.write_all(&wire).await;
                tcp
            };
            let mut tcp = tokio::time::timeout(Duration::from_secs(10), writer)
                .await
                .map_err(|_| "writing the fragments timed out")?;
            let mut buf = buf;
            let mut dec = FrameCodec::client();
            let got = tokio::time::timeout(Duration::from_secs(5), async {
                loop {
                    if let Some(f) = dec.decode(&mut buf).map_err(|e| e.to_string())? {
                        return Ok::<_, String>((f.opcode, f.payload.len(), f.payload.to_vec()));
                    }
                    if tcp.read_buf(&mut buf).await.map_err(|e| e.to_string())? == 0 {
                        return Err("closed".into());
                    }
                }
            })
            .await;
            match &got {
                Ok(Ok((OpCode::Binary, n, _))) => {
                    out.note = format!("echoed as one {n}-byte message")
                }
                Ok(Ok((OpCode::Close, _, p))) if p.len() >= 2 => {
                    out.close.push(u16::from_be_bytes([p[0], p[1]]).to_string());
                    out.note = "refused".into();
                }
                other => {
                    out.note = format!(
                        "answer: {:?}",
                        other.as_ref().map(|r| r.as_ref().map(|(o, n, _)| (*o, *n)))
                    )
                }
            }
            if kind == Kind::Echo && !matches!(got, Ok(Ok((OpCode::Binary, 65_536, _)))) {
                out.failed = Some("not echoed intact".into());
            }
        }
        "2^63-1-header" => {
            let (mut tcp, buf) = connect(addr, path).await?;
            let mut h = vec![0x82, 0xFF];
            h.extend_from_slice(&(u64::MAX >> 1).to_be_bytes());
            h.extend_from_slice(&KEY);
            h.extend_from_slice(&[0u8; 1024]);
            tcp.write_all(&h).await.map_err(|e| e.to_string())?;
            let code = close_code(&mut tcp, buf, Duration::from_secs(3)).await;
            out.close
                .push(code.map_or("none".into(), |c| c.to_string()));
            if code != Some(1009) {
                out.failed = Some(format!("expected close 1009, got {code:?}"));
            }
        }
        "1100-trickling-heads" => {
            let head = request_head(addr, path);
            let mut socks = Vec::new();
            for _ in 0..1100 {
                let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
                socks.push(tcp);
            }
            // One byte per 100 ms each, for 3 s: never a whole head.
            let start = Instant::now();
            let mut pos = 0;
            while start.elapsed() < Duration::from_secs(3) {
                for s in &mut socks {
                    let _ = s.try_write(&head.as_bytes()[pos..pos + 1]);
                }
                pos += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // ws-echo's handshake timeout is 2 s here: count who was let go.
            let mut closed = 0;
            for s in &mut socks {
                let mut b = [0u8; 64];
                if let Ok(Ok(0) | Err(_)) =
                    tokio::time::timeout(Duration::from_millis(2), s.read(&mut b)).await
                {
                    closed += 1;
                }
            }
            out.note = format!("{closed}/1100 closed by the server within 3 s");
            out.close.push("-".into());
            if kind == Kind::Echo && closed < 1100 {
                out.failed = Some(format!(
                    "only {closed}/1100 dropped after the 2 s handshake timeout"
                ));
            }
        }
        "64MiB-to-non-reader" => {
            let (mut tcp, _) = connect(addr, path).await?;
            let chunk = vec![0x42u8; 16 << 20];
            let mut wire = Vec::with_capacity((64 << 20) + 64);
            for i in 0..4 {
                let op = if i == 0 {
                    OpCode::Binary
                } else {
                    OpCode::Continuation
                };
                wire.extend(frame(i == 3, op, &chunk));
            }
            drop(chunk);
            let written = tokio::time::timeout(Duration::from_secs(10), tcp.write_all(&wire)).await;
            drop(wire);
            // Now do not read: the server's echo (or its refusal) is stuck.
            tokio::time::sleep(Duration::from_secs(3)).await;
            out.note = match written {
                Ok(Ok(())) => "64 MiB sent, never read".into(),
                _ => "the server stopped reading before 64 MiB".into(),
            };
            if kind == Kind::TokenServer {
                // Its messages are limited to 64 KiB: expect a refusal.
                let code = close_code(&mut tcp, BytesMut::new(), Duration::from_millis(500)).await;
                out.close
                    .push(code.map_or("none".into(), |c| c.to_string()));
            }
            drop(tcp);
            tokio::time::sleep(Duration::from_millis(500)).await;
            out.rss_after = Some(rss_of(pid));
        }
        "1000-vanished-peers" => {
            let head = request_head(addr, path);
            let mut socks = Vec::new();
            for _ in 0..1000 {
                let mut tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
                tcp.write_all(head.as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
                socks.push(tcp);
            }
            // Silent from here on: no read, no write, no FIN, as a peer
            // whose machine vanished. ws-echo pings every 1 s and gives up
            // 1 s later.
            tokio::time::sleep(Duration::from_secs(3)).await;
            let mut codes = std::collections::BTreeMap::<String, u32>::new();
            for s in &mut socks {
                let mut buf = BytesMut::new();
                // Skip the 101 head.
                let c = tokio::time::timeout(Duration::from_millis(50), async {
                    loop {
                        if let Some(i) = memchr::memmem::find(&buf, b"\r\n\r\n") {
                            let _ = buf.split_to(i + 4);
                            return close_code(s, buf, Duration::from_millis(20)).await;
                        }
                        match s.read_buf(&mut buf).await {
                            Ok(n) if n > 0 => {}
                            _ => return None,
                        }
                    }
                })
                .await
                .ok()
                .flatten();
                *codes
                    .entry(c.map_or("none".into(), |c| c.to_string()))
                    .or_default() += 1;
            }
            out.close = codes.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
            if kind == Kind::Echo && codes.get("1011") != Some(&1000) {
                out.failed = Some("not every vanished peer was failed with 1011".into());
            }
        }
        "1GiB-deflate-bomb" => {
            let (mut tcp, buf, head) = connect_with(
                addr,
                path,
                "Sec-WebSocket-Extensions: permessage-deflate\r\n",
            )
            .await?;
            if !head
                .to_ascii_lowercase()
                .contains("sec-websocket-extensions: permessage-deflate")
            {
                return Err(format!("permessage-deflate not negotiated: {head:?}"));
            }
            let bomb = deflate_bomb(1024);
            let wire_len = bomb.len();
            let (mut rd, mut wr) = tcp.split();
            let writer = async {
                let _ = tokio::time::timeout(Duration::from_secs(10), wr.write_all(&bomb)).await;
            };
            let reader = async {
                let mut dec = FrameCodec::client().with_max_frame_size(usize::MAX >> 1);
                let mut buf = buf;
                let end = tokio::time::Instant::now() + Duration::from_secs(10);
                loop {
                    while let Ok(Some(f)) = dec.decode(&mut buf) {
                        if f.opcode == OpCode::Close && f.payload.len() >= 2 {
                            return Some(u16::from_be_bytes([f.payload[0], f.payload[1]]));
                        }
                    }
                    match tokio::time::timeout_at(end, rd.read_buf(&mut buf)).await {
                        Ok(Ok(n)) if n > 0 => {}
                        _ => return None,
                    }
                }
            };
            let ((), code) = tokio::join!(writer, reader);
            out.close
                .push(code.map_or("none".into(), |c| c.to_string()));
            out.note = format!(
                "{:.1} MiB on the wire inflating to 1 GiB",
                wire_len as f64 / MIB as f64
            );
            if code != Some(1009) {
                out.failed = Some(format!("expected close 1009, got {code:?}"));
            }
            drop(tcp);
            tokio::time::sleep(Duration::from_millis(1500)).await;
            out.rss_after = Some(rss_of(pid));
        }
        other => return Err(format!("unknown case {other}")),
    }
    Ok(out)
}

struct Row {
    target: &'static str,
    case: &'static str,
    bound: String,
    rss_growth: u64,
    rss_after: Option<u64>,
    slowest_probe: Duration,
    close: String,
    note: String,
    pass: Result<(), String>,
}

async fn run_case(case: &'static Case, kind: Kind, bin_dir: &str) -> Row {
    let mut row = Row {
        target: kind.name(),
        case: case.name,
        bound: if case.plus_max_message {
            format!(
                "{} (+{:.1} MiB)",
                case.bound_text,
                case.bound(kind) as f64 / MIB as f64
            )
        } else {
            case.bound_text.into()
        },
        rss_growth: 0,
        rss_after: None,
        slowest_probe: Duration::ZERO,
        close: "-".into(),
        note: String::new(),
        pass: Ok(()),
    };
    let target = match Target::start(kind, bin_dir) {
        Ok(t) => t,
        Err(e) => {
            row.pass = Err(e);
            return row;
        }
    };
    let (addr, pid) = (target.addr, target.child.id());
    // Warm up (first connection, allocator arenas), then the baseline.
    for _ in 0..3 {
        probe(addr, kind.path()).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let base = target.rss();
    let peak = Arc::new(AtomicU64::new(base));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_of(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let prober = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            tokio::time::sleep(Duration::from_millis(300)).await;
            while !stop.load(Ordering::Relaxed) {
                slowest = slowest.max(probe(addr, kind.path()).await);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            slowest
        })
    };
    let result =
        tokio::time::timeout(Duration::from_secs(30), attack(case.name, kind, addr, pid)).await;
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    row.slowest_probe = prober.await.unwrap_or(Duration::from_secs(5));
    row.rss_growth = peak.load(Ordering::Relaxed).saturating_sub(base);
    match result {
        Ok(Ok(o)) => {
            if !o.close.is_empty() {
                row.close = o.close.join(", ");
            }
            row.note = o.note;
            row.rss_after = o.rss_after.map(|r| r.saturating_sub(base));
            if let Some(f) = o.failed {
                row.pass = Err(f);
            }
        }
        Ok(Err(e)) => row.pass = Err(e),
        Err(_) => row.pass = Err("case did not end within 30 s".into()),
    }
    if row.pass.is_ok() && row.rss_growth > case.bound(kind) {
        row.pass = Err(format!(
            "RSS grew {:.1} MiB (bound {:.1} MiB)",
            row.rss_growth as f64 / MIB as f64,
            case.bound(kind) as f64 / MIB as f64
        ));
    }
    if row.pass.is_ok() && row.slowest_probe > SERVED_WITHIN {
        row.pass = Err(format!(
            "a probe took {:?} (bound 100 ms)",
            row.slowest_probe
        ));
    }
    if let (Ok(()), Some(after)) = (&row.pass, row.rss_after) {
        if after > 16 * MIB {
            row.pass = Err(format!(
                "{:.1} MiB still held after the client left",
                after as f64 / MIB as f64
            ));
        }
    }
    drop(target);
    row
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let mut bin_dir = "target/release".to_string();
    let mut only: Option<String> = None;
    let mut targets = vec![Kind::Echo, Kind::TokenServer];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bin-dir" => bin_dir = args.next().unwrap_or(bin_dir),
            "--only" => only = args.next(),
            "--target" => {
                targets = match args.next().as_deref() {
                    Some("ws-echo") => vec![Kind::Echo],
                    Some("token-server") => vec![Kind::TokenServer],
                    _ => targets,
                }
            }
            other => {
                eprintln!("ws-hostile: unknown argument {other}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("ws-hostile: cannot raise the fd limit: {e}");
    }
    let mut rows = Vec::new();
    for kind in targets {
        for case in CASES {
            if only.as_deref().is_some_and(|o| o != case.name) {
                continue;
            }
            let row = run_case(case, kind, &bin_dir).await;
            eprintln!(
                "{} {}: {}",
                row.target,
                row.case,
                match &row.pass {
                    Ok(()) => "ok".to_string(),
                    Err(e) => format!("FAIL {e}"),
                }
            );
            rows.push(row);
        }
    }
    println!("| target | case | bound | RSS growth | served ≤ 100 ms (slowest probe) | close code | observed | result |");
    println!("| --- | --- | --- | ---: | --- | --- | --- | --- |");
    for r in &rows {
        let growth = match r.rss_after {
            Some(a) => format!(
                "{:.1} MiB (after: {:.1})",
                r.rss_growth as f64 / MIB as f64,
                a as f64 / MIB as f64
            ),
            None => format!("{:.1} MiB", r.rss_growth as f64 / MIB as f64),
        };
        println!(
            "| {} | {} | {} | {} | {} ({} ms) | {} | {} | {} |",
            r.target,
            r.case,
            r.bound,
            growth,
            if r.slowest_probe <= SERVED_WITHIN {
                "yes"
            } else {
                "no"
            },
            r.slowest_probe.as_millis(),
            r.close,
            r.note,
            match &r.pass {
                Ok(()) => "pass".to_string(),
                Err(e) => format!("**FAIL**: {e}"),
            }
        );
    }
    let failed = rows.iter().filter(|r| r.pass.is_err()).count();
    println!(
        "ws-hostile: {} passed, {} failed",
        rows.len() - failed,
        failed
    );
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
