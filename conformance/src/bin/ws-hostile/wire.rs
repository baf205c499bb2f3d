//! The attacker's bytes: masked frames, upgrade heads, connecting, the
//! served-within probe, reading a close code, the deflate bomb, flooding.

use super::*;

/// A masked client frame.
pub(crate) fn frame(fin: bool, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
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

pub(crate) fn request_head(addr: SocketAddr, path: &str) -> String {
    request_head_with(addr, path, "")
}

pub(crate) fn request_head_with(addr: SocketAddr, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// Connects and completes the handshake by hand; returns the socket and
/// any bytes read after the 101 head.
pub(crate) async fn connect(addr: SocketAddr, path: &str) -> Result<(TcpStream, BytesMut), String> {
    connect_with(addr, path, "")
        .await
        .map(|(tcp, buf, _)| (tcp, buf))
}

/// [`connect`] with `extra` header lines in the request; also returns the
/// 101 head.
pub(crate) async fn connect_with(
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
pub(crate) async fn probe(addr: SocketAddr, path: &str) -> Duration {
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
pub(crate) async fn close_code(
    tcp: &mut TcpStream,
    mut buf: BytesMut,
    limit: Duration,
) -> Option<u16> {
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

/// One binary message of `mib` MiB of zeros compressed with
/// permessage-deflate (context takeover) in 1 MiB pieces, one masked frame
/// each: about 1 KiB per MiB on the wire.
pub(crate) fn deflate_bomb(mib: usize) -> Vec<u8> {
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
pub(crate) async fn flood(tcp: &mut TcpStream, data: &[u8], dur: Duration) -> (u64, bool) {
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
