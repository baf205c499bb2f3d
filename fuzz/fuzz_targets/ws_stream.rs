//! `ws_stream`: a peer sending arbitrary bytes to a `WebSocketStream`
//! (the connection layer: auto-pong, closing handshake, failing the
//! connection with a close code), over an in-memory transport that hands
//! the bytes out in arbitrary reads and accepts writes a few bytes at a
//! time. Time is paused (tokio test-util), so close timeouts pass at once.
//!
//! Input layout: `[flags, max_frame, max_message, split_seed, write_limit,
//! wire...]`; `flags & 1`: 0 = server, 1 = client; `flags & 2`: 0 =
//! `utf8_fail_fast` (the default), 2 = text checked per fragment.
//!
//! Laws:
//! * never a panic, never an endless stream;
//! * the messages handed out are the reference assembler's (`src/lib.rs`),
//!   up to and including the first Close, after which the stream ends
//!   without error;
//! * without a Close, the stream ends with an error: one of the reference's
//!   close codes if the input breaks a rule, else `UnexpectedEof`;
//! * what we wrote is a valid stream for the peer (decoded by a
//!   `MessageCodec` of the peer's role without error); it holds a Close with
//!   the error's close code when we failed the connection, a Close echo when
//!   the peer closed, and only Pongs that answer a received Ping.
#![no_main]

use bytes::BytesMut;
use futures_util::StreamExt;
use libfuzzer_sys::fuzz_target;
use pushcodec::ws::{Error, Message, MessageCodec, Role, WebSocketConfig, WebSocketStream};
use pushcodec_fuzz::{limit, reads, ws_reference_messages, Peer, RefEnd, RefMessage};
use std::time::Duration;
use tokio_util::codec::Decoder;

fn to_ref(m: &Message) -> RefMessage {
    match m {
        Message::Text(t) => RefMessage::Text(t.to_string()),
        Message::Binary(b) => RefMessage::Binary(b.to_vec()),
        Message::Ping(b) => RefMessage::Ping(b.to_vec()),
        Message::Pong(b) => RefMessage::Pong(b.to_vec()),
        Message::Close(c) => {
            RefMessage::Close(c.as_ref().map(|c| (c.code.0, c.reason.to_string())))
        }
    }
}

thread_local! {
    static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
}

fuzz_target!(|data: &[u8]| {
    let [flags, max_frame, max_message, seed, write_limit, wire @ ..] = data else {
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
        .close_timeout(Some(Duration::from_millis(50)))
        .build();
    let (want, want_end) = ws_reference_messages(
        wire,
        role == Role::Server,
        cfg.max_frame_size() as u64,
        cfg.max_message_size() as u64,
        cfg.utf8_fail_fast(),
    );
    let peer = Peer::new(reads(*seed, wire), usize::from(*write_limit));
    let (got, end, written) = RT.with(|rt| {
        rt.block_on(async {
            let mut ws = WebSocketStream::from_raw(peer, role, cfg.clone());
            let mut got = Vec::new();
            let mut end = None;
            for _ in 0..=wire.len() + 2 {
                match ws.next().await {
                    Some(Ok(m)) => got.push(m),
                    Some(Err(e)) => {
                        end = Some(e);
                        break;
                    }
                    None => break,
                }
            }
            let written = std::mem::take(&mut ws.get_mut().written);
            (got, end, written)
        })
    });
    let got_ref: Vec<RefMessage> = got.iter().map(to_ref).collect();

    let close_at = want.iter().position(|m| matches!(m, RefMessage::Close(_)));
    match close_at {
        Some(k) => {
            assert_eq!(got_ref, want[..=k], "messages up to the peer's Close");
            assert!(
                end.is_none(),
                "stream ended with {end:?} after the peer's Close"
            );
        }
        None => {
            assert_eq!(got_ref, want, "messages differ from the reference");
            let e = end.as_ref().unwrap_or_else(|| {
                panic!("stream ended without Close and without an error; reference: {want_end:?}")
            });
            match (&want_end, e.close_code()) {
                (RefEnd::Error(codes), Some(c)) => assert!(
                    codes.contains(&c.0),
                    "close code {c}, the reference allows {codes:?}"
                ),
                (RefEnd::Clean | RefEnd::Incomplete, None) => {
                    assert!(matches!(e, Error::UnexpectedEof(_)), "ended with {e:?}")
                }
                (w, _) => panic!("stream ended with {e:?}, the reference with {w:?}"),
            }
        }
    }

    // What we wrote must be a valid stream for the peer.
    let mut peer_codec = MessageCodec::new(role.peer());
    let mut buf = BytesMut::from(&written[..]);
    let mut sent = Vec::new();
    loop {
        match peer_codec.decode(&mut buf) {
            Ok(Some(m)) => sent.push(m),
            Ok(None) => break,
            Err(e) => panic!("we wrote an invalid stream: {e}; written {written:x?}"),
        }
    }
    assert!(buf.is_empty(), "we wrote a truncated frame");
    let pings: Vec<&Message> = got
        .iter()
        .filter(|m| matches!(m, Message::Ping(_)))
        .collect();
    for m in &sent {
        match m {
            Message::Pong(p) => assert!(
                pings
                    .iter()
                    .any(|q| matches!(q, Message::Ping(x) if x == p)),
                "unsolicited pong {p:x?}"
            ),
            Message::Close(_) => {}
            other => panic!("we sent {other:?} unprompted"),
        }
    }
    let our_close = sent.iter().find_map(|m| match m {
        Message::Close(c) => Some(c.clone()),
        _ => None,
    });
    if let Some(code) = end.as_ref().and_then(Error::close_code) {
        let c = our_close
            .clone()
            .unwrap_or_else(|| panic!("failed with {code} but sent no Close"));
        assert_eq!(
            c.map(|c| c.code),
            Some(code),
            "our Close has the wrong code"
        );
    }
    if close_at.is_some() {
        assert!(our_close.is_some(), "the peer's Close was not echoed");
    }
});
