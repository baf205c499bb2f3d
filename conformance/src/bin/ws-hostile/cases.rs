//! The cases: each one's bound, and the attack that tests it.

use super::*;

/// What a case observed.
#[derive(Default)]
pub(crate) struct Outcome {
    pub(crate) close: Vec<String>,
    pub(crate) note: String,
    /// A case-specific check failed.
    pub(crate) failed: Option<String>,
    /// RSS after the attack ended (for cases bounding what is kept).
    pub(crate) rss_after: Option<u64>,
}

pub(crate) struct Case {
    pub(crate) name: &'static str,
    /// RSS growth bound, bytes.
    pub(crate) rss_bound: u64,
    /// The bound is `rss_bound` plus the target's `max_message_size`.
    pub(crate) plus_max_message: bool,
    pub(crate) bound_text: &'static str,
}

impl Case {
    pub(crate) fn bound(&self, kind: Kind) -> u64 {
        self.rss_bound
            + if self.plus_max_message {
                kind.max_message()
            } else {
                0
            }
    }
}

pub(crate) const CASES: &[Case] = &[
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

pub(crate) async fn attack(
    case: &str,
    kind: Kind,
    addr: SocketAddr,
    pid: u32,
) -> Result<Outcome, String> {
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
            // All sockets read at once: one after another, the 1,000 time
            // limits below add up to more than the case's 30 s on a busy
            // machine, when the target (the token server pings every 15 s)
            // leaves them open.
            let reads = socks.iter_mut().map(|s| async move {
                let mut buf = BytesMut::new();
                // Skip the 101 head.
                tokio::time::timeout(Duration::from_millis(500), async {
                    loop {
                        if let Some(i) = memchr::memmem::find(&buf, b"\r\n\r\n") {
                            let _ = buf.split_to(i + 4);
                            return close_code(s, buf, Duration::from_millis(200)).await;
                        }
                        match s.read_buf(&mut buf).await {
                            Ok(n) if n > 0 => {}
                            _ => return None,
                        }
                    }
                })
                .await
                .ok()
                .flatten()
            });
            let mut codes = std::collections::BTreeMap::<String, u32>::new();
            for c in futures_util::future::join_all(reads).await {
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
