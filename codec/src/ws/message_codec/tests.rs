//! Unit tests of the message codec (uncompressed and permessage-deflate).

use super::*;
use crate::ws::{CloseCode, Frame};

fn client_frames(frames: &[Frame]) -> BytesMut {
    let mut c = FrameCodec::client();
    let mut b = BytesMut::new();
    for f in frames {
        c.encode(f.clone(), &mut b).unwrap();
    }
    b
}

fn decode_all(codec: &mut MessageCodec, buf: &mut BytesMut) -> Result<Vec<Message>, ProtocolError> {
    let mut out = vec![];
    while let Some(m) = codec.decode_message(buf)? {
        out.push(m);
    }
    Ok(out)
}

#[test]
fn control_frames_between_fragments() {
    let mut b = client_frames(&[
        Frame::new(false, OpCode::Text, "Hel"),
        Frame::new(true, OpCode::Ping, "p"),
        Frame::new(true, OpCode::Continuation, "lo"),
    ]);
    let got = decode_all(&mut MessageCodec::new(Role::Server), &mut b).unwrap();
    assert_eq!(got, vec![Message::ping(&b"p"[..]), Message::text("Hello")]);
}

#[test]
fn continuation_without_start_is_an_error() {
    let mut b = client_frames(&[Frame::new(true, OpCode::Continuation, "x")]);
    assert!(matches!(
        MessageCodec::new(Role::Server).decode_message(&mut b),
        Err(ProtocolError::UnexpectedContinuation)
    ));
}

#[test]
fn new_data_frame_inside_fragmented_message_is_an_error() {
    let mut b = client_frames(&[
        Frame::new(false, OpCode::Binary, "a"),
        Frame::new(true, OpCode::Text, "b"),
    ]);
    assert!(matches!(
        decode_all(&mut MessageCodec::new(Role::Server), &mut b),
        Err(ProtocolError::ExpectedContinuation {
            opcode: OpCode::Text
        })
    ));
}

#[test]
fn invalid_utf8_fails_at_the_first_bad_fragment() {
    // Second fragment makes the prefix impossible; a third never comes.
    let mut b = client_frames(&[
        Frame::new(false, OpCode::Text, "ok "),
        Frame::new(false, OpCode::Continuation, &b"\xed\xa0\x80"[..]),
    ]);
    let err = decode_all(&mut MessageCodec::new(Role::Server), &mut b).unwrap_err();
    assert!(
        matches!(err, ProtocolError::InvalidUtf8 { offset: 3, .. }),
        "{err}"
    );
    assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
}

#[test]
fn code_point_split_across_fragments_is_fine() {
    let e = "€".as_bytes();
    let mut b = client_frames(&[
        Frame::new(false, OpCode::Text, &e[..1]),
        Frame::new(false, OpCode::Continuation, &e[1..2]),
        Frame::new(true, OpCode::Continuation, &e[2..]),
    ]);
    let got = decode_all(&mut MessageCodec::new(Role::Server), &mut b).unwrap();
    assert_eq!(got, vec![Message::text("€")]);
}

/// With `utf8_fail_fast`, invalid UTF-8 fails while the frame is still
/// arriving (here: the first 8 bytes of a frame announcing 100); without
/// it, when the frame is complete.
#[test]
fn invalid_utf8_fails_before_the_frame_is_complete() {
    let mut payload = b"valid \xff".to_vec();
    payload.resize(100, b'a');
    let wire = client_frames(&[Frame::new(true, OpCode::Text, payload)]);
    let cfg = WebSocketConfig::builder().utf8_fail_fast(true).build();
    let mut codec = MessageCodec::with_config(Role::Server, &cfg);
    let mut buf = BytesMut::from(&wire[..6 + 6]); // header + "valid "
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(&wire[12..14]); // "\xff" and one more byte
    let lenient_cfg = WebSocketConfig::builder().utf8_fail_fast(false).build();
    let mut lenient = MessageCodec::with_config(Role::Server, &lenient_cfg);
    // (From the wire: `buf` was unmasked in place by `codec`.)
    let mut copy = BytesMut::from(&wire[..14]);
    assert_eq!(lenient.decode(&mut copy).unwrap(), None);
    let err = codec.decode_message(&mut buf).unwrap_err();
    assert!(
        matches!(err, ProtocolError::InvalidUtf8 { offset: 6, .. }),
        "{err}"
    );
    copy.extend_from_slice(&wire[14..]);
    assert!(matches!(
        lenient.decode_message(&mut copy),
        Err(ProtocolError::InvalidUtf8 { offset: 6, .. })
    ));
}

/// Strict by default (issue 11): a default codec fails on invalid UTF-8
/// while the frame is still arriving (Autobahn 6.4.3 / 6.4.4).
#[test]
fn fail_fast_is_the_default() {
    let mut payload = b"ok \xff".to_vec();
    payload.resize(100, b'a');
    let wire = client_frames(&[Frame::new(true, OpCode::Text, payload)]);
    let mut buf = BytesMut::from(&wire[..6 + 4]); // header + "ok \xff"
    let err = MessageCodec::new(Role::Server)
        .decode_message(&mut buf)
        .unwrap_err();
    assert!(
        matches!(err, ProtocolError::InvalidUtf8 { offset: 3, .. }),
        "{err}"
    );
}

/// Bytes validated early are not validated or unmasked twice: the
/// message is the same whatever the read sizes (also a proptest law).
#[test]
fn early_validation_then_completion_gives_the_same_text() {
    let text = "κόσμε €𝄞 ".repeat(30);
    let wire = client_frames(&[
        Frame::new(false, OpCode::Text, text.as_bytes()[..101].to_vec()),
        Frame::new(true, OpCode::Continuation, text.as_bytes()[101..].to_vec()),
    ]);
    for (step, fail_fast) in [1, 2, 3, 7, 50]
        .into_iter()
        .flat_map(|s| [(s, false), (s, true)])
    {
        let cfg = WebSocketConfig::builder().utf8_fail_fast(fail_fast).build();
        let mut codec = MessageCodec::with_config(Role::Server, &cfg);
        let mut buf = BytesMut::new();
        let mut got = vec![];
        for chunk in wire.chunks(step) {
            buf.extend_from_slice(chunk);
            got.extend(decode_all(&mut codec, &mut buf).unwrap());
        }
        assert_eq!(got, vec![Message::text(text.clone())], "step {step}");
    }
}

#[test]
fn truncated_code_point_at_message_end_fails() {
    let mut b = client_frames(&[
        Frame::new(false, OpCode::Text, "a"),
        Frame::new(true, OpCode::Continuation, &b"\xe2\x82"[..]),
    ]);
    assert!(matches!(
        decode_all(&mut MessageCodec::new(Role::Server), &mut b),
        Err(ProtocolError::InvalidUtf8 { offset: 1, .. })
    ));
}

#[test]
fn max_message_size_is_enforced_as_fragments_arrive() {
    let cfg = WebSocketConfig::builder().max_message_size(10).build();
    let mut codec = MessageCodec::with_config(Role::Server, &cfg);
    let mut b = client_frames(&[
        Frame::new(false, OpCode::Binary, vec![0u8; 6]),
        Frame::new(false, OpCode::Continuation, vec![0u8; 6]),
    ]);
    // Only the header of the offending fragment is needed.
    let second_header_end = 6 + 6 + 6;
    let mut partial = b.split_to(second_header_end);
    let err = decode_all(&mut codec, &mut partial).unwrap_err();
    assert!(
        matches!(err, ProtocolError::MessageTooBig { size: 12, max: 10 }),
        "{err}"
    );
    assert_eq!(err.close_code(), CloseCode::TOO_BIG);
}

#[test]
fn clean_eof_between_messages_is_not_an_error() {
    let mut b = client_frames(&[Frame::new(true, OpCode::Text, "done")]);
    let mut c = MessageCodec::new(Role::Server);
    assert_eq!(c.decode_eof(&mut b).unwrap(), Some(Message::text("done")));
    assert_eq!(c.decode_eof(&mut b).unwrap(), None);
}

#[test]
fn unfragmented_payload_is_not_copied() {
    let mut b = client_frames(&[Frame::new(true, OpCode::Text, "zero copy")]);
    let start = b.as_ptr() as usize;
    let m = MessageCodec::new(Role::Server)
        .decode(&mut b)
        .unwrap()
        .unwrap();
    let Message::Text(t) = m else {
        panic!("not text")
    };
    assert_eq!(t.as_bytes().as_ptr() as usize, start + 6);
}

#[test]
fn close_frames_are_validated() {
    for (payload, ok) in [
        (&b""[..], true),
        (&b"\x03\xe8"[..], true),
        (&b"\x03\xe8bye"[..], true),
        (&b"\x03"[..], false),
        (&b"\x03\xec"[..], false), // 1004
        (&b"\x0b\xb8"[..], true),  // 3000
        (&b"\x13\x88"[..], false), // 5000
        (&b"\x03\xe8\xff"[..], false),
    ] {
        let mut b = client_frames(&[Frame::new(true, OpCode::Close, payload)]);
        let r = MessageCodec::new(Role::Server).decode(&mut b);
        assert_eq!(r.is_ok(), ok, "{payload:x?}");
    }
}

// ---- permessage-deflate (RFC 7692)

use crate::ws::extension::deflate::{client_validate_str, DeflateParams};
use crate::ws::extension::{DeflateConfig, DeflateError};

fn deflate_codec(role: Role, cfg: &WebSocketConfig) -> MessageCodec {
    MessageCodec::with_deflate(role, cfg, Some(DeflateParams::default()))
}

/// Decodes the bytes of frames a server sent (unmasked), as a client.
fn as_client(codec: &mut MessageCodec, wire: &[u8]) -> Result<Vec<Message>, ProtocolError> {
    let mut b = BytesMut::from(wire);
    decode_all(codec, &mut b)
}

/// RFC 7692 §7.2.3.1–§7.2.3.6: the "Hello" frames, decoded by a client
/// that negotiated the extension.
#[test]
fn rfc7692_examples_decode() {
    let cfg = WebSocketConfig::default();
    // §7.2.3.1: one compressed frame, then the same as two fragments.
    let mut c = deflate_codec(Role::Client, &cfg);
    let one = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(as_client(&mut c, &one).unwrap(), [Message::text("Hello")]);
    let mut c = deflate_codec(Role::Client, &cfg);
    let two = [
        0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(as_client(&mut c, &two).unwrap(), [Message::text("Hello")]);
    // §7.2.3.2: the second message refers to the first one's window.
    let mut c = deflate_codec(Role::Client, &cfg);
    let mut shared = one.to_vec();
    shared.extend_from_slice(&[0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00]);
    assert_eq!(
        as_client(&mut c, &shared).unwrap(),
        [Message::text("Hello"), Message::text("Hello")]
    );
    // §7.2.3.3: a stored (uncompressed) DEFLATE block.
    let mut c = deflate_codec(Role::Client, &cfg);
    let stored = [
        0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    assert_eq!(
        as_client(&mut c, &stored).unwrap(),
        [Message::text("Hello")]
    );
    // §7.2.3.4: a block with BFINAL set, then another message.
    let mut c = deflate_codec(Role::Client, &cfg);
    let mut bfinal = vec![0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    bfinal.extend_from_slice(&one);
    assert_eq!(
        as_client(&mut c, &bfinal).unwrap(),
        [Message::text("Hello"), Message::text("Hello")]
    );
    // §7.2.3.5: two DEFLATE blocks in one message.
    let mut c = deflate_codec(Role::Client, &cfg);
    let blocks = [
        0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(
        as_client(&mut c, &blocks).unwrap(),
        [Message::text("Hello")]
    );
    // §7.2.3.6: an empty message, then an uncompressed one (RSV1 clear).
    let mut c = deflate_codec(Role::Client, &cfg);
    let empty = [0xc1, 0x01, 0x00, 0x81, 0x02, b'h', b'i'];
    assert_eq!(
        as_client(&mut c, &empty).unwrap(),
        [Message::text(""), Message::text("hi")]
    );
}

/// Our encoder writes the §7.2.3.1/§7.2.3.2 bytes (a server's frames are
/// unmasked, so the wire is exactly the RFC's).
#[test]
fn rfc7692_examples_encode() {
    let mut s = deflate_codec(Role::Server, &WebSocketConfig::default());
    let mut wire = BytesMut::new();
    s.encode(Message::text("Hello"), &mut wire).unwrap();
    s.encode(Message::text("Hello"), &mut wire).unwrap();
    assert_eq!(
        &wire[..],
        [
            0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2, 0x00, 0x11,
            0x00, 0x00
        ]
    );
    // Control frames are never compressed (§6.1).
    let mut wire = BytesMut::new();
    s.encode(Message::ping("Hello"), &mut wire).unwrap();
    assert_eq!(&wire[..], b"\x89\x05Hello");
}

#[test]
fn rsv1_without_negotiation_and_on_continuations_is_a_protocol_error() {
    let mut f = Frame::new(true, OpCode::Text, "x");
    f.rsv = 0b100;
    let mut b = client_frames(&[f]);
    let err = MessageCodec::new(Role::Server)
        .decode_message(&mut b)
        .unwrap_err();
    assert!(
        matches!(err, ProtocolError::ReservedBits { rsv: 0b100 }),
        "{err}"
    );
    assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);

    let mut cont = Frame::new(true, OpCode::Continuation, "x");
    cont.rsv = 0b100;
    let mut b = client_frames(&[Frame::new(false, OpCode::Text, "a"), cont]);
    let mut codec = deflate_codec(Role::Server, &WebSocketConfig::default());
    let err = decode_all(&mut codec, &mut b).unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::CompressedBitMisplaced {
                opcode: OpCode::Continuation
            }
        ),
        "{err}"
    );
    assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
}

/// Compresses `msg` as a client would (RSV1 on the first frame, masked),
/// cut into frames of `fragment` compressed bytes.
fn compressed_client_frames(cfg: &WebSocketConfig, msgs: &[Message], fragment: usize) -> BytesMut {
    let cfg = cfg.to_builder().auto_fragment_size(Some(fragment)).build();
    let mut c = deflate_codec(Role::Client, &cfg);
    let mut wire = BytesMut::new();
    for m in msgs {
        c.encode(m.clone(), &mut wire).unwrap();
    }
    wire
}

#[test]
fn fragmented_compressed_messages_with_control_frames_between() {
    let cfg = WebSocketConfig::default();
    let text = "κόσμε, {\"token\":\"Hello\"} ".repeat(50);
    let msgs = [
        Message::text(text.clone()),
        Message::binary(vec![3u8; 5000]),
    ];
    let wire = compressed_client_frames(&cfg, &msgs, 7);
    // Insert a ping after the first frame (between fragments).
    let mut ping = client_frames(&[Frame::new(true, OpCode::Ping, "p")]);
    let first_len = 2 + 4 + 7;
    let mut b = BytesMut::from(&wire[..first_len]);
    b.extend_from_slice(&ping.split());
    b.extend_from_slice(&wire[first_len..]);
    let got = decode_all(&mut deflate_codec(Role::Server, &cfg), &mut b).unwrap();
    assert_eq!(got, [Message::ping("p"), msgs[0].clone(), msgs[1].clone()]);
}

/// Any split of the input into reads decodes alike, with and without
/// fail-fast (compressed frames are then inflated as they arrive).
#[test]
fn compressed_messages_decode_alike_whatever_the_reads() {
    let text = "token ".repeat(300);
    let msgs = [
        Message::text(text.clone()),
        Message::text("short"),
        Message::binary((0..3000u32).map(|i| (i % 7) as u8).collect::<Vec<_>>()),
        Message::text(""),
    ];
    for fail_fast in [true, false] {
        let cfg = WebSocketConfig::builder().utf8_fail_fast(fail_fast).build();
        for fragment in [1 << 20, 100, 3] {
            let wire = compressed_client_frames(&cfg, &msgs, fragment);
            for step in [1, 2, 5, 64, 1 << 20] {
                let mut codec = deflate_codec(Role::Server, &cfg);
                let mut buf = BytesMut::new();
                let mut got = vec![];
                for chunk in wire.chunks(step) {
                    buf.extend_from_slice(chunk);
                    got.extend(decode_all(&mut codec, &mut buf).unwrap());
                }
                assert_eq!(
                    got, msgs,
                    "fail_fast {fail_fast} fragment {fragment} step {step}"
                );
            }
        }
    }
}

/// A compressed text message whose first inflated bytes are not UTF-8
/// fails (1007) as soon as they are inflated: with fail-fast, while its
/// one frame is still arriving; without, at the first fragment.
#[test]
fn invalid_utf8_in_a_compressed_message_fails_fast() {
    let mut bad = b"ok \xff".to_vec();
    let mut x = 0x2545_f491u32;
    bad.extend((0..200_000).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b'a' + (x % 26) as u8
    }));
    // Compress as raw bytes (a Text frame carrying invalid UTF-8).
    let mut d = crate::ws::extension::deflate::Deflater::new(15, false, &DeflateConfig::default());
    let mut payload = BytesMut::new();
    d.compress(&bad, &mut payload).unwrap();
    let mut f = Frame::new(true, OpCode::Text, payload.freeze());
    f.rsv = 0b100;
    let wire = client_frames(&[f]);
    assert!(wire.len() > 20_000, "{}", wire.len());
    let cfg = WebSocketConfig::default();
    let mut codec = deflate_codec(Role::Server, &cfg);
    let mut buf = BytesMut::from(&wire[..wire.len() / 4]);
    let err = codec.decode_message(&mut buf).unwrap_err();
    assert!(
        matches!(err, ProtocolError::InvalidUtf8 { offset: 3, .. }),
        "{err}"
    );
    assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
}

/// A bomb: a message that inflates far past `max_message_size` fails with
/// 1009 at the step that crosses it, not after inflating it all.
#[test]
fn a_compressed_message_past_the_limit_fails_with_1009() {
    let max = 100 << 10;
    let cfg = WebSocketConfig::builder().max_message_size(max).build();
    let big = Message::binary(vec![0u8; 50 << 20]);
    let wire = compressed_client_frames(&WebSocketConfig::default(), &[big], 16 << 10);
    assert!(wire.len() < 100 << 10, "{}", wire.len());
    let mut codec = deflate_codec(Role::Server, &cfg);
    let mut buf = wire.clone();
    let err = decode_all(&mut codec, &mut buf).unwrap_err();
    assert_eq!(
        err,
        ProtocolError::Deflate(DeflateError::MessageTooBig { max })
    );
    assert_eq!(err.close_code(), CloseCode::TOO_BIG);
    // Found within the first frames: most of the wire is still unread.
    assert!(
        buf.len() > wire.len() / 2,
        "{} of {} left",
        buf.len(),
        wire.len()
    );
}

/// The limit is on the inflated message: compressed bytes beyond
/// `max_message_size` that inflate within it are accepted (random data
/// compresses to a little more than itself), many empty blocks included.
#[test]
fn the_limit_is_on_the_inflated_size_not_the_wire_size() {
    let cfg = WebSocketConfig::builder().max_message_size(1000).build();
    let mut x = 0x9e37_79b9u32;
    let random: Vec<u8> = (0..1000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let wire = compressed_client_frames(&cfg, &[Message::binary(random.clone())], 1 << 20);
    assert!(wire.len() > 1000 + 6, "{}", wire.len());
    let got = decode_all(&mut deflate_codec(Role::Server, &cfg), &mut wire.clone()).unwrap();
    assert_eq!(got, [Message::binary(random)]);
    // 2000 bytes of empty stored blocks, then the message.
    let mut f = Frame::new(false, OpCode::Binary, b"\x00\x00\x00\xff\xff".repeat(400));
    f.rsv = 0b100;
    let mut b = client_frames(&[
        f,
        Frame::new(
            true,
            OpCode::Continuation,
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00][..],
        ),
    ]);
    let got = decode_all(&mut deflate_codec(Role::Server, &cfg), &mut b).unwrap();
    assert_eq!(got, [Message::binary(&b"Hello"[..])]);
}

#[test]
fn corrupt_compressed_data_is_1007() {
    let mut f = Frame::new(true, OpCode::Binary, &b"\xff\xff\xff\xff"[..]);
    f.rsv = 0b100;
    let mut b = client_frames(&[f]);
    let err = decode_all(
        &mut deflate_codec(Role::Server, &WebSocketConfig::default()),
        &mut b,
    )
    .unwrap_err();
    assert!(
        matches!(err, ProtocolError::Deflate(DeflateError::Corrupt { .. })),
        "{err}"
    );
    assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
}

/// `compression_threshold`: shorter messages go uncompressed (RSV1 clear),
/// longer ones compressed; the peer reads both.
#[test]
fn messages_below_the_threshold_go_uncompressed() {
    let cfg = WebSocketConfig::builder()
        .deflate(DeflateConfig::builder().compression_threshold(10).build())
        .build();
    let mut tx = deflate_codec(Role::Server, &cfg);
    let short: Vec<_> = tx.outgoing_frames(Message::text("tiny")).unwrap().collect();
    assert_eq!((short[0].rsv, &short[0].payload[..]), (0, &b"tiny"[..]));
    let long: Vec<_> = tx
        .outgoing_frames(Message::text("long enough, long enough"))
        .unwrap()
        .collect();
    assert_eq!(long[0].rsv, 0b100);
    let mut tx = deflate_codec(Role::Server, &cfg);
    let mut wire = BytesMut::new();
    tx.encode(Message::text("tiny"), &mut wire).unwrap();
    tx.encode(Message::text("long enough, long enough"), &mut wire)
        .unwrap();
    let got = as_client(&mut deflate_codec(Role::Client, &cfg), &wire).unwrap();
    assert_eq!(
        got,
        [
            Message::text("tiny"),
            Message::text("long enough, long enough")
        ]
    );
}

/// RSV1 only on the first frame when a compressed message is fragmented.
#[test]
fn rsv1_is_set_on_the_first_frame_only() {
    let cfg = WebSocketConfig::builder()
        .auto_fragment_size(Some(4))
        .build();
    let mut tx = deflate_codec(Role::Server, &cfg);
    let frames: Vec<_> = tx
        .outgoing_frames(Message::text("a message long enough for three frames"))
        .unwrap()
        .collect();
    assert!(frames.len() > 2);
    assert_eq!(frames[0].rsv, 0b100);
    assert!(frames[1..]
        .iter()
        .all(|f| f.rsv == 0 && f.opcode == OpCode::Continuation));
}

/// The agreed parameters reach the engines: windows and context takeover
/// per direction, for the role of each end.
#[test]
fn agreed_parameters_reach_both_engines() {
    let p = client_validate_str(
        &DeflateConfig::default(),
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10",
    )
    .unwrap()
    .unwrap();
    let cfg = WebSocketConfig::default();
    let server = MessageCodec::with_deflate(Role::Server, &cfg, Some(p));
    let client = MessageCodec::with_deflate(Role::Client, &cfg, Some(p));
    let (s, c) = (
        server.deflate.as_ref().unwrap(),
        client.deflate.as_ref().unwrap(),
    );
    assert_eq!(
        (
            s.deflater().window_bits(),
            s.deflater().no_context_takeover()
        ),
        (9, true)
    );
    assert_eq!(
        (s.inflater.window_bits(), c.inflater.window_bits()),
        (10, 9)
    );
    assert_eq!(
        (
            c.deflater().window_bits(),
            c.deflater().no_context_takeover()
        ),
        (10, false)
    );
    assert_eq!(server.deflate(), Some(&p));
}
