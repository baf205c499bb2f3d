//! Regression tests for the findings of the fuzz targets in `fuzz/` (see
//! `fuzz/README.md`, "Findings"). Each test is named after its finding and
//! replays the minimized input that `fuzz/regressions/<target>/` keeps as a
//! corpus entry.

use bytes::BytesMut;
use pushcodec::ws::{CodecError, EofReason, FrameCodec, MessageCodec, Role};
use tokio_util::codec::Decoder;

/// F1 (`ws_frame_decode`): a stream that ends inside a frame must end with
/// the typed `CodecError::UnexpectedEof(EofReason::InsideFrame)` (close code: none, it is not a protocol
/// error of a frame), not tokio-util's default
/// `Io(Other, "bytes remaining on stream")`. Input: the header of a masked
/// text frame announcing 5 bytes, and 2 of them (`81 85 37 fa 21 3d 7f 9f`).
#[test]
fn f1_frame_codec_eof_inside_a_frame_is_unexpected_eof() {
    let wire: &[u8] = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f";
    let mut codec = FrameCodec::server();
    let mut buf = BytesMut::from(wire);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    let err = codec.decode_eof(&mut buf).unwrap_err();
    assert!(
        matches!(err, CodecError::UnexpectedEof(EofReason::InsideFrame)),
        "got {err:?}"
    );
}

/// F1 for `MessageCodec`: the same frame tail, and a fragmented message
/// whose last fragment never comes (`01 81 <key> 'a'` then EOF): both must
/// end with `CodecError::UnexpectedEof` and the matching `EofReason`, not an untyped I/O error or a silent
/// clean end that drops the partial message.
#[test]
fn f1_message_codec_eof_inside_a_frame_or_message_is_unexpected_eof() {
    let mut codec = MessageCodec::new(Role::Server);
    let mut buf = BytesMut::from(&b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f"[..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    let err = codec.decode_eof(&mut buf).unwrap_err();
    assert!(
        matches!(err, CodecError::UnexpectedEof(EofReason::InsideFrame)),
        "inside a frame: {err:?}"
    );

    let mut codec = MessageCodec::new(Role::Server);
    let mut buf = BytesMut::from(&b"\x01\x81\x00\x00\x00\x00a"[..]);
    assert!(codec.decode(&mut buf).unwrap().is_none());
    assert!(codec.in_message());
    let err = codec.decode_eof(&mut buf).unwrap_err();
    assert!(
        matches!(err, CodecError::UnexpectedEof(EofReason::InsideMessage)),
        "inside a message: {err:?}"
    );
}
