//! `ws_frame_decode`: arbitrary bytes through `FrameCodec`, both roles,
//! small limits, arbitrary reads.
//!
//! Input layout: `[flags, max_frame, _, split_seed, wire...]`; `flags & 1`:
//! 0 = server (reads masked client frames), 1 = client; `(flags >> 1) & 7`:
//! the allowed RSV bits; `max_frame` 0..=254 bytes (255: the 16 MiB default).
//!
//! Laws:
//! * never a panic; every error is a protocol error with a close code;
//! * agreement with the RFC 6455 §5.2 reference parser in `src/lib.rs`:
//!   the same frames, and an error exactly when the reference sees a broken
//!   rule, with the close code of one of the rules broken;
//! * chunking invariance: one read and the split reads agree;
//! * limits: no frame over `max_frame_size`; the read buffer never reserves
//!   more than the frame it waits for needs;
//! * EOF inside a frame is reported as `CodecError::UnexpectedEof`.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pushcodec::ws::{CodecError, Frame, FrameCodec, Role};
use pushcodec_fuzz::{limit, reads, ws_reference_frames, RefEnd, RefFrame};
use tokio_util::codec::Decoder;

const MAX_HEADER_LEN: usize = 14;

struct Run {
    frames: Vec<RefFrame>,
    error: Option<u16>,
}

fn run(role: Role, allowed_rsv: u8, max_frame: usize, chunks: &[&[u8]]) -> Run {
    let mut codec = FrameCodec::new(role, max_frame).with_allowed_rsv(allowed_rsv);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut fed = 0usize;
    let check = |f: Frame, frames: &mut Vec<RefFrame>| {
        assert!(
            f.payload.len() <= max_frame,
            "frame of {} > max_frame_size {max_frame}",
            f.payload.len()
        );
        assert_eq!(f.rsv & !allowed_rsv, 0);
        if f.opcode.is_control() {
            assert!(f.fin && f.payload.len() <= 125);
        }
        frames.push(RefFrame {
            fin: f.fin,
            rsv: f.rsv,
            opcode: f.opcode.as_u8(),
            payload: f.payload.to_vec(),
        });
    };
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        fed += chunk.len();
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(f)) => check(f, &mut frames),
                Ok(None) => break,
                Err(e) => {
                    let code = e
                        .close_code()
                        .unwrap_or_else(|| panic!("error without close code: {e:?}"));
                    return Run {
                        frames,
                        error: Some(code.0),
                    };
                }
            }
            // The buffer grows with what was fed plus what one frame needs.
            assert!(
                buf.capacity() <= 2 * (fed + max_frame + MAX_HEADER_LEN) + 64,
                "capacity {} after {} bytes fed, max_frame_size {}",
                buf.capacity(),
                fed,
                max_frame
            );
        }
    }
    let had_rest = !buf.is_empty();
    match codec.decode_eof(&mut buf) {
        Ok(Some(f)) => panic!("decode_eof produced a frame decode did not: {f:?}"),
        Ok(None) => assert!(!had_rest, "decode_eof ignored {} bytes", buf.len()),
        Err(CodecError::UnexpectedEof(_)) => assert!(had_rest),
        Err(e) => panic!("EOF inside a frame gave {e:?}, not CodecError::UnexpectedEof"),
    }
    Run {
        frames,
        error: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let [flags, max_frame, _, seed, wire @ ..] = data else {
        return;
    };
    let role = if flags & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let allowed_rsv = (flags >> 1) & 7;
    let max_frame = limit(*max_frame, 16 << 20);
    let (want_frames, want_end) =
        ws_reference_frames(wire, role == Role::Server, allowed_rsv, max_frame as u64);
    for chunks in [vec![wire], reads(*seed, wire)] {
        let got = run(role, allowed_rsv, max_frame, &chunks);
        assert_eq!(
            got.frames, want_frames,
            "frames differ from the §5.2 reference"
        );
        match (&got.error, &want_end) {
            (Some(code), RefEnd::Error(codes)) => assert!(
                codes.contains(code),
                "close code {code}, the reference allows {codes:?}"
            ),
            (None, RefEnd::Clean | RefEnd::Incomplete) => {}
            (got, want) => panic!("decoder ended with {got:?}, the reference with {want:?}"),
        }
    }
});
