//! `ws_message_decode`: arbitrary bytes through `MessageCodec`, both roles,
//! small limits, arbitrary reads.
//!
//! Input layout: `[flags, max_frame, max_message, split_seed, wire...]`;
//! `flags & 1`: 0 = server (reads masked client frames), 1 = client;
//! `flags & 2`: 0 = `utf8_fail_fast` (the default), 2 = text checked per fragment;
//! limits 0..=254 bytes (255: the defaults, 16 MiB / 64 MiB).
//!
//! Laws:
//! * never a panic; every error is a protocol error with a close code;
//! * agreement with the reference message assembler in `src/lib.rs`
//!   (RFC 6455 §5.4, §5.5.1, §5.6, §8.1, limits): the same messages, and an
//!   error exactly when the reference sees a broken rule, with the close
//!   code of one of the rules broken;
//! * chunking invariance: one read and the split reads agree;
//! * limits: no data message over `max_message_size`, no control payload
//!   over 125 bytes, the read buffer bounded by what was fed plus one frame;
//! * EOF inside a frame or inside a fragmented message is
//!   `CodecError::UnexpectedEof`.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pushcodec::ws::{CodecError, Message, MessageCodec, Role, WebSocketConfig};
use pushcodec_fuzz::{limit, reads, ws_reference_messages, RefEnd, RefMessage};
use tokio_util::codec::Decoder;

const MAX_HEADER_LEN: usize = 14;

fn convert(m: Message, max_message: usize) -> RefMessage {
    match m {
        Message::Text(t) => {
            assert!(t.len() <= max_message);
            RefMessage::Text(t.to_string())
        }
        Message::Binary(b) => {
            assert!(b.len() <= max_message);
            RefMessage::Binary(b.to_vec())
        }
        Message::Ping(b) => {
            assert!(b.len() <= 125);
            RefMessage::Ping(b.to_vec())
        }
        Message::Pong(b) => {
            assert!(b.len() <= 125);
            RefMessage::Pong(b.to_vec())
        }
        Message::Close(c) => RefMessage::Close(c.map(|c| {
            assert!(c.code.is_valid_on_wire() && c.reason.len() <= 123);
            (c.code.0, c.reason.to_string())
        })),
    }
}

fn run(role: Role, cfg: &WebSocketConfig, chunks: &[&[u8]]) -> (Vec<RefMessage>, Option<u16>) {
    let max_frame = cfg.max_frame_size();
    let max_message = cfg.max_message_size();
    let mut codec = MessageCodec::with_config(role, cfg);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut fed = 0usize;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        fed += chunk.len();
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(m)) => out.push(convert(m, max_message)),
                Ok(None) => break,
                Err(e) => {
                    let code = e
                        .close_code()
                        .unwrap_or_else(|| panic!("error without close code: {e:?}"));
                    return (out, Some(code.0));
                }
            }
            assert!(
                buf.capacity()
                    <= 2 * (fed + max_frame.min(max_message.max(125)) + MAX_HEADER_LEN) + 64,
                "capacity {} after {} bytes fed",
                buf.capacity(),
                fed
            );
        }
    }
    let had_rest = !buf.is_empty();
    let in_message = codec.in_message();
    match codec.decode_eof(&mut buf) {
        Ok(Some(m)) => panic!("decode_eof produced a message decode did not: {m:?}"),
        Ok(None) => assert!(
            !had_rest && !in_message,
            "decode_eof ended cleanly with {} bytes left, in a message: {in_message}",
            buf.len()
        ),
        Err(CodecError::UnexpectedEof(_)) => assert!(had_rest || in_message),
        Err(e) => panic!("EOF gave {e:?}, not CodecError::UnexpectedEof"),
    }
    (out, None)
}

fuzz_target!(|data: &[u8]| {
    let [flags, max_frame, max_message, seed, wire @ ..] = data else {
        return;
    };
    let role = if flags & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let cfg = WebSocketConfig::builder()
        .max_frame_size(limit(*max_frame, 16 << 20))
        .max_message_size(limit(*max_message, 64 << 20))
        .utf8_fail_fast(flags & 2 == 0)
        .build();
    let (want, want_end) = ws_reference_messages(
        wire,
        role == Role::Server,
        cfg.max_frame_size() as u64,
        cfg.max_message_size() as u64,
        cfg.utf8_fail_fast(),
    );
    for chunks in [vec![wire], reads(*seed, wire)] {
        let (got, err) = run(role, &cfg, &chunks);
        assert_eq!(got, want, "messages differ from the reference");
        match (&err, &want_end) {
            (Some(code), RefEnd::Error(codes)) => assert!(
                codes.contains(code),
                "close code {code}, the reference allows {codes:?}"
            ),
            (None, RefEnd::Clean | RefEnd::Incomplete) => {}
            (got, want) => panic!("decoder ended with {got:?}, the reference with {want:?}"),
        }
    }
});
