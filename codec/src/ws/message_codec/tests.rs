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
