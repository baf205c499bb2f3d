//! Property laws of the WebSocket codecs (RFC 6455 §5): round trips in both
//! roles across the 125/126/65535/65536 length boundaries, chunking
//! invariance, incremental UTF-8 agreeing with `std`, and bounded buffering
//! on arbitrary input.

use bytes::BytesMut;
use proptest::prelude::*;
use pushcodec::ws::frame::MAX_HEADER_LEN;
use pushcodec::ws::utf8::Utf8Validator;
use pushcodec::ws::{
    CloseCode, CloseFrame, Frame, FrameCodec, Message, MessageCodec, OpCode, Role, WebSocketConfig,
};
use tokio_util::codec::{Decoder, Encoder};

fn payload_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..=130,
        65530usize..=65540,
        Just(125),
        Just(126),
        Just(65535),
        Just(65536),
    ]
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    payload_len().prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n..=n))
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
}

fn frame() -> impl Strategy<Value = Frame> {
    let data = (
        prop_oneof![
            Just(OpCode::Continuation),
            Just(OpCode::Text),
            Just(OpCode::Binary)
        ],
        any::<bool>(),
        payload(),
    )
        .prop_map(|(op, fin, p)| Frame::new(fin, op, p));
    let control = (
        prop_oneof![Just(OpCode::Close), Just(OpCode::Ping), Just(OpCode::Pong)],
        proptest::collection::vec(any::<u8>(), 0..=125),
    )
        .prop_map(|(op, p)| Frame::new(true, op, p));
    prop_oneof![data, control]
}

fn close_code() -> impl Strategy<Value = CloseCode> {
    prop_oneof![1000u16..=1003, 1007u16..=1014, 3000u16..=4999].prop_map(CloseCode)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        (payload_len(), any::<char>()).prop_map(|(n, c)| c.to_string().repeat(n / c.len_utf8())),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        text().prop_map(Message::text),
        payload().prop_map(Message::binary),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Message::ping),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Message::pong),
        Just(Message::Close(None)),
        (close_code(), "[a-zA-Z0-9 é€]{0,30}")
            .prop_map(|(c, r)| Message::Close(Some(CloseFrame::new(c, r)))),
    ]
}

/// Messages small enough to feed byte-by-byte-ish quickly.
fn small_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        any::<String>().prop_map(Message::text),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Message::binary),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Message::ping),
        (close_code(), "[a-z]{0,10}").prop_map(|(c, r)| Message::close(c, r)),
    ]
}

fn decode_all<D: Decoder>(d: &mut D, buf: &mut BytesMut) -> Result<Vec<D::Item>, D::Error> {
    let mut out = vec![];
    while let Some(x) = d.decode(buf)? {
        out.push(x);
    }
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Every frame encodes and decodes back to itself, in both roles.
    #[test]
    fn frame_roundtrip(f in frame(), sender in role()) {
        let mut enc = FrameCodec::new(sender, usize::MAX);
        let mut dec = FrameCodec::new(sender.peer(), usize::MAX);
        let mut wire = BytesMut::new();
        enc.encode(f.clone(), &mut wire).unwrap();
        let got = dec.decode(&mut wire).unwrap();
        prop_assert_eq!(got, Some(f));
        prop_assert!(wire.is_empty());
    }

    /// Every message encodes and decodes back to itself, in both roles,
    /// with or without auto-fragmentation.
    #[test]
    fn message_roundtrip(m in message(), sender in role(), frag in proptest::option::of(1usize..70000)) {
        let cfg = WebSocketConfig::default().auto_fragment_size(frag);
        let mut enc = MessageCodec::with_config(sender, &cfg);
        let mut dec = MessageCodec::new(sender.peer());
        let mut wire = BytesMut::new();
        enc.encode(m.clone(), &mut wire).unwrap();
        let got = decode_all(&mut dec, &mut wire).unwrap();
        prop_assert_eq!(got, vec![m]);
    }

    /// Any split of the byte stream into reads decodes to the same messages.
    #[test]
    fn chunking_invariance(
        msgs in proptest::collection::vec(small_message(), 1..6),
        frag in proptest::option::of(1usize..64),
        cuts in proptest::collection::vec(1usize..50, 1..200),
    ) {
        let cfg = WebSocketConfig::default().auto_fragment_size(frag);
        let mut enc = MessageCodec::with_config(Role::Client, &cfg);
        let mut wire = BytesMut::new();
        for m in &msgs {
            enc.encode(m.clone(), &mut wire).unwrap();
        }
        let whole = decode_all(&mut MessageCodec::new(Role::Server), &mut wire.clone()).unwrap();
        prop_assert_eq!(&whole, &msgs);

        let mut dec = MessageCodec::new(Role::Server);
        let mut buf = BytesMut::new();
        let mut got = vec![];
        let mut rest = &wire[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            got.extend(decode_all(&mut dec, &mut buf).unwrap());
        }
        prop_assert_eq!(got, msgs);
    }

    /// Incremental UTF-8 validation agrees with `std::str::from_utf8` for
    /// every split point, and fails on the first piece exactly when that
    /// piece is no valid prefix.
    #[test]
    fn utf8_incremental_agrees_with_std(
        input in prop_oneof![
            any::<String>().prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..40),
            (any::<String>(), any::<u8>(), any::<String>()).prop_map(|(a, b, c)| {
                let mut v = a.into_bytes(); v.push(b); v.extend(c.into_bytes()); v
            }),
        ]
    ) {
        let expected = std::str::from_utf8(&input).is_ok();
        for cut in 0..=input.len() {
            let (a, b) = input.split_at(cut);
            let mut v = Utf8Validator::new();
            let first = v.feed(a);
            let prefix_invalid = matches!(std::str::from_utf8(a), Err(e) if e.error_len().is_some());
            prop_assert_eq!(first.is_err(), prefix_invalid, "cut {}", cut);
            let ok = first.is_ok() && v.feed(b).is_ok() && v.finish().is_ok();
            prop_assert_eq!(ok, expected, "cut {}", cut);
        }
    }

    /// On arbitrary bytes the decoders never panic, never sit on more than
    /// `max_frame_size` + a header without producing an item or an error,
    /// and never reserve past the frame's bounded size.
    #[test]
    fn arbitrary_bytes_are_bounded(
        bytes in proptest::collection::vec(any::<u8>(), 0..4000),
        cuts in proptest::collection::vec(1usize..300, 1..50),
        r in role(),
        messages in any::<bool>(),
    ) {
        const MAX: usize = 1000;
        let cfg = WebSocketConfig::default().max_frame_size(MAX).max_message_size(3 * MAX);
        let mut frames = FrameCodec::new(r, MAX);
        let mut msgs = MessageCodec::with_config(r, &cfg);
        let mut buf = BytesMut::new();
        let mut rest = &bytes[..];
        let mut i = 0;
        'feed: while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            i += 1;
            buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            loop {
                let cap_before = buf.capacity();
                let r = if messages {
                    msgs.decode(&mut buf).map(|m| m.is_some())
                } else {
                    frames.decode(&mut buf).map(|f| f.is_some())
                };
                prop_assert!(
                    buf.capacity() <= cap_before.max(2 * (MAX_HEADER_LEN + MAX)),
                    "capacity {} after {}", buf.capacity(), cap_before
                );
                match r {
                    Ok(true) => continue,
                    Ok(false) => {
                        prop_assert!(buf.len() < MAX_HEADER_LEN + MAX, "sitting on {} bytes", buf.len());
                        break;
                    }
                    Err(_) => break 'feed,
                }
            }
        }
    }
}
