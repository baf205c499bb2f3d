//! WebSocket workloads and every implementation of decode/encode on them.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use tokio_util::codec::{Decoder, Encoder, FramedRead};

use crate::common::{block, MemIo, Summary};

/// Read size of the in-memory transport for stream-level decoders (a
/// typical socket read).
pub const READ: usize = 64 << 10;

/// A deterministic workload: messages, how many fragments each is sent in,
/// and the client-to-server wire (masked, deterministic keys).
pub struct WsWork {
    pub name: &'static str,
    pub text: bool,
    pub msgs: Vec<Bytes>,
    pub fragments: usize,
    /// Masked (client → server) wire.
    pub wire: Bytes,
    /// Unmasked (server → client) wire.
    pub wire_unmasked: Bytes,
}

impl WsWork {
    pub fn frames(&self) -> u64 {
        (self.msgs.len() * self.fragments) as u64
    }
    pub fn payload_bytes(&self) -> u64 {
        self.msgs.iter().map(|m| m.len() as u64).sum()
    }
}

/// Writes one frame by hand (RFC 6455 §5.2), independently of the codec.
fn put_frame(out: &mut Vec<u8>, fin: bool, opcode: u8, payload: &[u8], key: Option<[u8; 4]>) {
    out.push(if fin { 0x80 } else { 0 } | opcode);
    let m = if key.is_some() { 0x80 } else { 0 };
    let n = payload.len();
    if n < 126 {
        out.push(m | n as u8);
    } else if n <= 0xffff {
        out.push(m | 126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    match key {
        Some(k) => {
            out.extend_from_slice(&k);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
}

fn key_for(i: usize) -> [u8; 4] {
    let x = (i as u32).wrapping_mul(0x9E37_79B9) ^ 0xA5A5_5A5A;
    x.to_le_bytes()
}

fn build(name: &'static str, text: bool, msgs: Vec<Bytes>, fragments: usize) -> WsWork {
    let mut wire = Vec::new();
    let mut plain = Vec::new();
    let mut k = 0;
    for m in &msgs {
        let step = m.len().div_ceil(fragments);
        for f in 0..fragments {
            let part = &m[(f * step).min(m.len())..((f + 1) * step).min(m.len())];
            let opcode = if f > 0 {
                0
            } else if text {
                1
            } else {
                2
            };
            let fin = f + 1 == fragments;
            put_frame(&mut wire, fin, opcode, part, Some(key_for(k)));
            put_frame(&mut plain, fin, opcode, part, None);
            k += 1;
        }
    }
    WsWork {
        name,
        text,
        msgs,
        fragments,
        wire: wire.into(),
        wire_unmasked: plain.into(),
    }
}

/// One backing allocation sliced into the messages (so the write-path
/// measurement can tell payload bytes from copies).
fn slices(total: Bytes, n: usize) -> Vec<Bytes> {
    let each = total.len() / n;
    (0..n)
        .map(|i| total.slice(i * each..(i + 1) * each))
        .collect()
}

pub fn workloads(scale: usize) -> Vec<WsWork> {
    // 100k × 16-byte text frames: token-stream frames ("tok 0000000042 \n"-ish).
    let n = 100_000 / scale;
    let mut s = String::with_capacity(n * 16);
    for i in 0..n {
        s.push_str(&format!("tok{i:012} "));
    }
    let tok = build("text_16B_x100k", true, slices(Bytes::from(s), n), 1);

    let n = 10_000 / scale;
    let v: Vec<u8> = (0..n * 1024).map(|i| (i * 7 + i / 1024) as u8).collect();
    let kib = build("binary_1KiB_x10k", false, slices(Bytes::from(v), n), 1);

    let n = 16;
    let v: Vec<u8> = (0..n << 20).map(|i| (i * 13 + (i >> 20)) as u8).collect();
    let mib = build("binary_1MiB_x16", false, slices(Bytes::from(v), n), 1);

    // 10k text messages of 256 bytes in 4 fragments of 64: a 2-byte 'é'
    // straddles the first fragment boundary (incremental UTF-8 is exercised).
    let n = 10_000 / scale;
    let mut s = String::with_capacity(n * 256);
    for i in 0..n {
        let head = format!("msg {i:08} ");
        s.push_str(&head);
        s.push_str(&"a".repeat(63 - head.len()));
        s.push('é');
        s.push_str(&"b".repeat(256 - 65));
    }
    let frag = build("text_256B_4frags_x10k", true, slices(Bytes::from(s), n), 4);
    vec![tok, kib, mib, frag]
}

/// Reference output at message level.
pub fn reference(w: &WsWork, check: bool) -> Summary {
    let mut s = Summary::default();
    for m in &w.msgs {
        s.add(m, check);
    }
    s
}

/// Reference output at frame level.
pub fn reference_frames(w: &WsWork, check: bool) -> Summary {
    let mut s = Summary::default();
    for m in &w.msgs {
        let step = m.len().div_ceil(w.fragments);
        for f in 0..w.fragments {
            s.add(
                &m[(f * step).min(m.len())..((f + 1) * step).min(m.len())],
                check,
            );
        }
    }
    s
}

// ---------------------------------------------------------------- decode --

/// Codec-level decoders, fed the wire in `READ`-byte reads the way
/// `FramedRead` feeds a codec from a socket ([`feed_reads`]), without an
/// async transport around them; and the limits of that feeding.
pub type ReadsDecoder = fn(&WsWork, bool) -> Summary;
/// Decoders that read from an in-memory transport in `READ`-byte reads
/// (the copy into their own buffer is part of their cost, as on a socket).
pub type StreamDecoder = fn(&WsWork, bool) -> Summary;

pub fn reads_decoders() -> Vec<(&'static str, &'static str, &'static str, ReadsDecoder)> {
    vec![
        ("pushcodec-FrameCodec", "ours", "frames", pc_frames_reads),
        ("pushcodec-MessageCodec", "ours", "messages", pc_msgs_reads),
        ("actix-http-Codec", "peer", "frames", actix_reads),
        ("limit-reads-copy", "limit", "bytes", limit_read_copy),
        (
            "limit-reads-copy+unmask",
            "limit",
            "bytes",
            limit_read_copy_unmask,
        ),
        (
            "limit-frame-copy+unmask",
            "limit",
            "bytes",
            limit_frame_copy_unmask,
        ),
    ]
}

pub fn stream_decoders() -> Vec<(&'static str, &'static str, &'static str, StreamDecoder)> {
    vec![
        ("pushcodec-WebSocketStream", "ours", "messages", pc_stream),
        // The default validates text while frames arrive (utf8_fail_fast);
        // this is the opt-out, to show what fail-fast costs.
        (
            "pushcodec-WebSocketStream-utf8-per-fragment",
            "ours-option",
            "messages",
            pc_stream_per_fragment,
        ),
        (
            "pushcodec-FramedRead-MessageCodec",
            "ours",
            "messages",
            pc_framed_msgs,
        ),
        (
            "pushcodec-FramedRead-FrameCodec",
            "ours",
            "frames",
            pc_framed_frames,
        ),
        ("tokio-websockets", "peer", "messages", tws_decode),
        ("fastwebsockets-frames", "peer", "frames", fws_frames),
        (
            "fastwebsockets-FragmentCollector",
            "peer",
            "messages",
            fws_messages,
        ),
        ("tungstenite", "peer", "messages", tung_decode),
        (
            "actix-http-Codec-FramedRead",
            "peer",
            "frames",
            actix_framed,
        ),
        ("soketto", "peer", "messages", soketto_decode),
        ("limit-read-memcpy", "limit", "bytes", limit_read_copy),
    ]
}

/// Feeds `wire` to `decode` as `FramedRead` does over a socket: a buffer
/// of `READ` bytes' initial capacity; before each read `reserve(1)` (which
/// reclaims consumed space or grows the buffer); a read appends at most
/// `READ` bytes and at most the spare capacity (one `poll_read_buf`); then
/// `decode` until it returns `None`. Every byte is copied into the buffer
/// once, as the kernel copies a socket's bytes into it.
fn feed_reads(wire: &[u8], mut decode: impl FnMut(&mut BytesMut) -> bool) {
    let mut buf = BytesMut::with_capacity(READ);
    let mut pos = 0;
    while pos < wire.len() {
        buf.reserve(1);
        let n = (buf.capacity() - buf.len()).min(READ).min(wire.len() - pos);
        buf.extend_from_slice(&wire[pos..pos + n]);
        pos += n;
        while decode(&mut buf) {}
    }
    assert!(buf.is_empty(), "bytes left over after the last frame");
}

fn pc_frames_reads(w: &WsWork, check: bool) -> Summary {
    let mut c = pushcodec::ws::FrameCodec::server();
    let mut s = Summary::default();
    feed_reads(&w.wire, |buf| match c.decode(buf).unwrap() {
        Some(f) => {
            s.add(&f.payload, check);
            true
        }
        None => false,
    });
    s
}

fn pc_msgs_reads(w: &WsWork, check: bool) -> Summary {
    let mut c = pushcodec::ws::MessageCodec::new(pushcodec::ws::Role::Server);
    let mut s = Summary::default();
    feed_reads(&w.wire, |buf| match c.decode(buf).unwrap() {
        Some(pushcodec::ws::Message::Text(t)) => {
            s.add(t.as_bytes(), check);
            true
        }
        Some(pushcodec::ws::Message::Binary(b)) => {
            s.add(&b, check);
            true
        }
        Some(other) => panic!("unexpected {other:?}"),
        None => false,
    });
    s
}

fn actix_reads(w: &WsWork, check: bool) -> Summary {
    use actix_http::ws::{Codec, Frame, Item};
    let mut c = Codec::new().max_size(2 << 20);
    let mut s = Summary::default();
    feed_reads(&w.wire, |buf| match c.decode(buf).unwrap() {
        Some(
            Frame::Text(b)
            | Frame::Binary(b)
            | Frame::Continuation(
                Item::FirstText(b) | Item::FirstBinary(b) | Item::Continue(b) | Item::Last(b),
            ),
        ) => {
            s.add(&b, check);
            true
        }
        Some(other) => panic!("unexpected {other:?}"),
        None => false,
    });
    s
}

/// The floor of a decoder fed reads that also unmasks every byte: each
/// read copied into one reused buffer, then XORed once in place while it
/// is in cache (headers included: a few bytes per frame, ignored).
fn limit_read_copy_unmask(w: &WsWork, _check: bool) -> Summary {
    let mut io = MemIo::reader(w.wire.clone(), READ);
    let mut buf = vec![0u8; READ];
    let mut total = 0u64;
    loop {
        let n = std::io::Read::read(&mut io, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        pushcodec::ws::mask::apply_mask(&mut buf[..n], [0x37, 0xfa, 0x21, 0x3d], 0);
        black_box(&buf[..n]);
        total += n as u64;
    }
    Summary {
        items: w.msgs.len() as u64,
        bytes: total,
        hash: 0,
    }
}

/// The floor of a decoder that hands each frame out contiguous: each read
/// copied onto the end of one reused buffer big enough for the largest
/// frame (so the writes walk a frame-sized region, as they must when the
/// frame is kept whole, instead of one 64 KiB buffer), then XORed once.
fn limit_frame_copy_unmask(w: &WsWork, _check: bool) -> Summary {
    let largest = w.msgs.iter().map(|m| m.len()).max().unwrap_or(0) / w.fragments + 14;
    let region = largest.max(READ);
    let mut io = MemIo::reader(w.wire.clone(), READ);
    let mut buf = vec![0u8; region + READ];
    let (mut at, mut total) = (0, 0u64);
    loop {
        let n = std::io::Read::read(&mut io, &mut buf[at..at + READ]).unwrap();
        if n == 0 {
            break;
        }
        pushcodec::ws::mask::apply_mask(&mut buf[at..at + n], [0x37, 0xfa, 0x21, 0x3d], 0);
        black_box(&buf[at..at + n]);
        at += n;
        if at >= region {
            at = 0;
        }
        total += n as u64;
    }
    Summary {
        items: w.msgs.len() as u64,
        bytes: total,
        hash: 0,
    }
}

fn pc_stream(w: &WsWork, check: bool) -> Summary {
    pc_stream_with(w, check, pushcodec::ws::WebSocketConfig::default())
}

fn pc_stream_per_fragment(w: &WsWork, check: bool) -> Summary {
    let config = pushcodec::ws::WebSocketConfig::builder()
        .utf8_fail_fast(false)
        .build();
    pc_stream_with(w, check, config)
}

fn pc_stream_with(w: &WsWork, check: bool, config: pushcodec::ws::WebSocketConfig) -> Summary {
    use pushcodec::ws::{Message, Role, WebSocketStream};
    let io = MemIo::reader(w.wire.clone(), READ);
    let mut ws = WebSocketStream::from_raw(io, Role::Server, config);
    let n = w.msgs.len() as u64;
    block(async {
        let mut s = Summary::default();
        while s.items < n {
            match ws.next().await.expect("message").unwrap() {
                Message::Text(t) => s.add(t.as_bytes(), check),
                Message::Binary(b) => s.add(&b, check),
                other => panic!("unexpected {other:?}"),
            }
        }
        s
    })
}

fn pc_framed_msgs(w: &WsWork, check: bool) -> Summary {
    use pushcodec::ws::{Message, MessageCodec, Role};
    let io = MemIo::reader(w.wire.clone(), READ);
    let mut fr = FramedRead::with_capacity(io, MessageCodec::new(Role::Server), READ);
    let n = w.msgs.len() as u64;
    block(async {
        let mut s = Summary::default();
        while s.items < n {
            match fr.next().await.expect("message").unwrap() {
                Message::Text(t) => s.add(t.as_bytes(), check),
                Message::Binary(b) => s.add(&b, check),
                other => panic!("unexpected {other:?}"),
            }
        }
        s
    })
}

fn pc_framed_frames(w: &WsWork, check: bool) -> Summary {
    let io = MemIo::reader(w.wire.clone(), READ);
    let mut fr = FramedRead::with_capacity(io, pushcodec::ws::FrameCodec::server(), READ);
    let n = w.frames();
    block(async {
        let mut s = Summary::default();
        while s.items < n {
            let f = fr.next().await.expect("frame").unwrap();
            s.add(&f.payload, check);
        }
        s
    })
}

fn actix_framed(w: &WsWork, check: bool) -> Summary {
    use actix_http::ws::{Codec, Frame, Item};
    let io = MemIo::reader(w.wire.clone(), READ);
    let mut fr = FramedRead::with_capacity(io, Codec::new().max_size(2 << 20), READ);
    let n = w.frames();
    block(async {
        let mut s = Summary::default();
        while s.items < n {
            match fr.next().await.expect("frame").unwrap() {
                Frame::Text(b) | Frame::Binary(b) => s.add(&b, check),
                Frame::Continuation(
                    Item::FirstText(b) | Item::FirstBinary(b) | Item::Continue(b) | Item::Last(b),
                ) => s.add(&b, check),
                other => panic!("unexpected {other:?}"),
            }
        }
        s
    })
}

fn tws_decode(w: &WsWork, check: bool) -> Summary {
    let io = MemIo::reader(w.wire.clone(), READ);
    let mut ws = tokio_websockets::ServerBuilder::new().serve(io);
    let n = w.msgs.len() as u64;
    block(async {
        let mut s = Summary::default();
        while s.items < n {
            let m = ws.next().await.expect("message").unwrap();
            assert!(m.is_text() || m.is_binary());
            s.add(m.as_payload(), check);
        }
        s
    })
}

fn fws_frames(w: &WsWork, check: bool) -> Summary {
    use fastwebsockets::{Role, WebSocket};
    let io = MemIo::reader(w.wire.clone(), READ);
    let mut ws = WebSocket::after_handshake(io, Role::Server);
    ws.set_auto_close(false);
    ws.set_auto_pong(false);
    ws.set_max_message_size(2 << 20);
    let n = w.frames();
    block(async {
        let mut s = Summary::default();
        while s.items < n {
            let f = ws.read_frame().await.unwrap();
            s.add(&f.payload, check);
        }
        s
    })
}

fn fws_messages(w: &WsWork, check: bool) -> Summary {
    use fastwebsockets::{FragmentCollector, Role, WebSocket};
    let io = MemIo::reader(w.wire.clone(), READ);
    let mut ws = WebSocket::after_handshake(io, Role::Server);
    ws.set_auto_close(false);
    ws.set_auto_pong(false);
    ws.set_max_message_size(2 << 20);
    let mut ws = FragmentCollector::new(ws);
    let n = w.msgs.len() as u64;
    block(async {
        let mut s = Summary::default();
        while s.items < n {
            let f = ws.read_frame().await.unwrap();
            assert!(f.fin);
            s.add(&f.payload, check);
        }
        s
    })
}

fn tung_decode(w: &WsWork, check: bool) -> Summary {
    use tungstenite::protocol::{Role, WebSocket};
    use tungstenite::Message;
    let io = MemIo::reader(w.wire.clone(), READ);
    let mut ws = WebSocket::from_raw_socket(io, Role::Server, None);
    let n = w.msgs.len() as u64;
    let mut s = Summary::default();
    while s.items < n {
        match ws.read().unwrap() {
            Message::Text(t) => s.add(t.as_bytes(), check),
            Message::Binary(b) => s.add(&b, check),
            other => panic!("unexpected {other:?}"),
        }
    }
    s
}

fn soketto_decode(w: &WsWork, check: bool) -> Summary {
    use soketto::connection::{Builder, Mode};
    use tokio_util::compat::TokioAsyncReadCompatExt;
    let io = MemIo::reader(w.wire.clone(), READ).compat();
    let mut b = Builder::new(io, Mode::Server);
    b.set_max_message_size(2 << 20);
    b.set_max_frame_size(2 << 20);
    let (_tx, mut rx) = b.finish();
    let n = w.msgs.len() as u64;
    block(async {
        let mut s = Summary::default();
        let mut msg = Vec::new();
        while s.items < n {
            msg.clear();
            let d = rx.receive_data(&mut msg).await.unwrap();
            assert!(d.is_text() || d.is_binary());
            s.add(&msg, check);
        }
        s
    })
}

/// The copy every stream-level decoder makes: the wire in `READ`-byte
/// reads into one read buffer.
fn limit_read_copy(w: &WsWork, _check: bool) -> Summary {
    let mut io = MemIo::reader(w.wire.clone(), READ);
    let mut buf = vec![0u8; READ];
    let mut total = 0u64;
    loop {
        let n = std::io::Read::read(&mut io, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        black_box(&buf[..n]);
        total += n as u64;
    }
    Summary {
        items: w.msgs.len() as u64,
        bytes: total,
        hash: 0,
    }
}

/// Allocations per frame in steady state: the wire is sent twice through
/// one `FramedRead<_, FrameCodec>` (and one `MessageCodec` on a buffer);
/// only the second pass is counted, after the read buffer reached its
/// working size. Returns (FramedRead<FrameCodec>, MessageCodec on a buffer).
pub fn pc_steady_allocs(w: &WsWork) -> (f64, f64) {
    let mut twice = Vec::with_capacity(2 * w.wire.len());
    twice.extend_from_slice(&w.wire);
    twice.extend_from_slice(&w.wire);
    let twice = Bytes::from(twice);
    let n = w.frames();
    let io = MemIo::reader(twice.clone(), READ);
    let mut fr = FramedRead::with_capacity(io, pushcodec::ws::FrameCodec::server(), READ);
    let stream = block(async {
        let mut mark = 0;
        for i in 0..2 * n {
            if i == n {
                mark = crate::common::allocs();
            }
            let f = fr.next().await.expect("frame").unwrap();
            black_box(&f);
        }
        (crate::common::allocs() - mark) as f64 / n as f64
    });
    let mut buf = BytesMut::from(&twice[..]);
    let mut c = pushcodec::ws::MessageCodec::new(pushcodec::ws::Role::Server);
    let m = w.msgs.len();
    let mut mark = 0;
    for i in 0..2 * m {
        if i == m {
            mark = crate::common::allocs();
        }
        black_box(c.decode(&mut buf).unwrap().expect("message"));
    }
    let codec = (crate::common::allocs() - mark) as f64 / m as f64;
    (stream, codec)
}

// ---------------------------------------------------------------- encode --

/// Encoders: `(work, role is client)` → bytes produced. Codec-level ones
/// encode into one `BytesMut`; stream-level ones send through their
/// connection type into an in-memory sink.
pub type WsEncoder = fn(&WsWork, bool) -> u64;

pub fn encoders() -> Vec<(&'static str, &'static str, &'static str, WsEncoder)> {
    vec![
        ("pushcodec-MessageCodec", "ours", "codec", pc_enc_codec),
        ("pushcodec-WebSocketStream", "ours", "stream", pc_enc_stream),
        ("actix-http-Codec", "peer", "codec", actix_enc),
        ("tokio-websockets", "peer", "stream", tws_enc),
        ("fastwebsockets", "peer", "stream", fws_enc),
        ("tungstenite", "peer", "stream", tung_enc),
        ("limit-memcpy", "limit", "codec", limit_enc),
    ]
}

fn pc_message(w: &WsWork, m: &Bytes) -> pushcodec::ws::Message {
    if w.text {
        pushcodec::ws::Message::Text(pushcodec::Utf8Bytes::try_from(m.clone()).unwrap())
    } else {
        pushcodec::ws::Message::Binary(m.clone())
    }
}

fn pc_config(w: &WsWork) -> pushcodec::ws::WebSocketConfig {
    let frag = (w.fragments > 1).then(|| w.msgs[0].len() / w.fragments);
    pushcodec::ws::WebSocketConfig::builder()
        .auto_fragment_size(frag)
        .build()
}

fn role_pc(client: bool) -> pushcodec::ws::Role {
    if client {
        pushcodec::ws::Role::Client
    } else {
        pushcodec::ws::Role::Server
    }
}

fn pc_enc_codec(w: &WsWork, client: bool) -> u64 {
    let mut c = pushcodec::ws::MessageCodec::with_config(role_pc(client), &pc_config(w));
    let mut dst = BytesMut::with_capacity(w.wire.len());
    for m in &w.msgs {
        c.encode(pc_message(w, m), &mut dst).unwrap();
    }
    black_box(&dst);
    dst.len() as u64
}

fn pc_enc_stream(w: &WsWork, client: bool) -> u64 {
    let mut ws =
        pushcodec::ws::WebSocketStream::from_raw(MemIo::sink(), role_pc(client), pc_config(w));
    block(async {
        for m in &w.msgs {
            ws.feed(pc_message(w, m)).await.unwrap();
        }
        ws.flush().await.unwrap();
    });
    ws.get_ref().written
}

/// Sends through `WebSocketStream` (server role) into a sink that tells
/// payload slices from copies: returns (payload bytes copied, bytes written,
/// write calls).
pub fn pc_write_path(w: &WsWork) -> (u64, u64, u64) {
    let all = &w.msgs;
    let start = all.first().unwrap().as_ptr() as usize;
    let end = all.last().unwrap().as_ptr() as usize + all.last().unwrap().len();
    let mut io = MemIo::sink();
    io.zero_copy = start..end;
    let mut ws = pushcodec::ws::WebSocketStream::from_raw(io, role_pc(false), pc_config(w));
    block(async {
        for m in all {
            ws.feed(pc_message(w, m)).await.unwrap();
        }
        ws.flush().await.unwrap();
    });
    let io = ws.get_ref();
    let payload = w.payload_bytes();
    (
        payload - io.written_from_payloads,
        io.written,
        io.write_calls,
    )
}

fn actix_enc(w: &WsWork, client: bool) -> u64 {
    use actix_http::ws::{Codec, Item, Message};
    let mut c = Codec::new().max_size(2 << 20);
    if client {
        c = c.client_mode();
    }
    let mut dst = BytesMut::with_capacity(w.wire.len());
    for m in &w.msgs {
        if w.fragments > 1 {
            let step = m.len() / w.fragments;
            for f in 0..w.fragments {
                let part = m.slice(f * step..(f + 1) * step);
                let item = match f {
                    0 if w.text => Item::FirstText(part),
                    0 => Item::FirstBinary(part),
                    f if f + 1 == w.fragments => Item::Last(part),
                    _ => Item::Continue(part),
                };
                c.encode(Message::Continuation(item), &mut dst).unwrap();
            }
        } else if w.text {
            let s = bytestring::ByteString::try_from(m.clone()).unwrap();
            c.encode(Message::Text(s), &mut dst).unwrap();
        } else {
            c.encode(Message::Binary(m.clone()), &mut dst).unwrap();
        }
    }
    black_box(&dst);
    dst.len() as u64
}

fn tws_enc(w: &WsWork, client: bool) -> u64 {
    let mut cfg = tokio_websockets::Config::default();
    if w.fragments > 1 {
        cfg = cfg.frame_size(w.msgs[0].len() / w.fragments);
    }
    let mut ws = if client {
        tokio_websockets::ClientBuilder::new()
            .config(cfg)
            .take_over(MemIo::sink())
    } else {
        tokio_websockets::ServerBuilder::new()
            .config(cfg)
            .serve(MemIo::sink())
    };
    block(async {
        for m in &w.msgs {
            let msg = if w.text {
                tokio_websockets::Message::text(m.clone())
            } else {
                tokio_websockets::Message::binary(m.clone())
            };
            ws.feed(msg).await.unwrap();
        }
        ws.flush().await.unwrap();
    });
    ws.get_ref().written
}

fn fws_enc(w: &WsWork, client: bool) -> u64 {
    use fastwebsockets::{Frame, OpCode, Payload, Role, WebSocket};
    let role = if client { Role::Client } else { Role::Server };
    let mut ws = WebSocket::after_handshake(MemIo::sink(), role);
    block(async {
        for m in &w.msgs {
            let step = m.len() / w.fragments;
            for f in 0..w.fragments {
                let op = match f {
                    0 if w.text => OpCode::Text,
                    0 => OpCode::Binary,
                    _ => OpCode::Continuation,
                };
                let part = &m[f * step..(f + 1) * step];
                let frame = Frame::new(f + 1 == w.fragments, op, None, Payload::Borrowed(part));
                ws.write_frame(frame).await.unwrap();
            }
        }
        ws.flush().await.unwrap();
    });
    ws.into_inner().written
}

fn tung_enc(w: &WsWork, client: bool) -> u64 {
    use tungstenite::protocol::frame::coding::{Data, OpCode};
    use tungstenite::protocol::frame::Frame;
    use tungstenite::protocol::{Role, WebSocket};
    use tungstenite::Message;
    let role = if client { Role::Client } else { Role::Server };
    let mut ws = WebSocket::from_raw_socket(MemIo::sink(), role, None);
    for m in &w.msgs {
        if w.fragments > 1 {
            let step = m.len() / w.fragments;
            for f in 0..w.fragments {
                let op = match f {
                    0 if w.text => OpCode::Data(Data::Text),
                    0 => OpCode::Data(Data::Binary),
                    _ => OpCode::Data(Data::Continue),
                };
                let part = m.slice(f * step..(f + 1) * step);
                let frame = Frame::message(part, op, f + 1 == w.fragments);
                ws.write(Message::Frame(frame)).unwrap();
            }
        } else if w.text {
            let t = tungstenite::Utf8Bytes::try_from(m.clone()).unwrap();
            ws.write(Message::Text(t)).unwrap();
        } else {
            ws.write(Message::Binary(m.clone())).unwrap();
        }
    }
    ws.flush().unwrap();
    ws.get_ref().written
}

/// The encode limit: copy every payload after its header bytes into one
/// buffer (and, for the client role, XOR it with a key).
fn limit_enc(w: &WsWork, client: bool) -> u64 {
    let mut dst = BytesMut::with_capacity(w.wire.len());
    let hdr = [0u8; 14];
    for (k, m) in w.msgs.iter().enumerate() {
        let step = m.len() / w.fragments;
        for f in 0..w.fragments {
            let part = &m[f * step..(f + 1) * step];
            let h = if part.len() < 126 {
                2
            } else if part.len() <= 0xffff {
                4
            } else {
                10
            } + if client { 4 } else { 0 };
            dst.extend_from_slice(&hdr[..h]);
            let at = dst.len();
            dst.extend_from_slice(part);
            if client {
                pushcodec::ws::mask::apply_mask(&mut dst[at..], key_for(k), 0);
            }
        }
    }
    black_box(&dst);
    dst.len() as u64
}
