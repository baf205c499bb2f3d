//! `ws_roundtrip`: arbitrary `Message`s (pushcodec's `arbitrary` feature),
//! arbitrary fragmentation, mask keys, control frames between fragments and
//! read splits → encode → decode → equal.
//!
//! Two encoders:
//! * by hand here (header and §5.3 masking written in this file, not
//!   pushcodec's): each data message cut into fragments of arbitrary sizes
//!   (empty ones included), each frame masked with its own arbitrary key
//!   when the sender is a client, control messages injected between
//!   fragments (§5.4 "Control frames MAY be injected in the middle of a
//!   fragmented message");
//! * pushcodec's `MessageCodec` encoder with an arbitrary
//!   `auto_fragment_size` (random mask keys).
//!
//! Both streams are decoded by `MessageCodec` of the peer role through
//! arbitrary reads and must give back exactly the messages sent, in order
//! (an injected control message before the data message it interrupts).
//! The encoder must refuse exactly what it must: a control payload over 125
//! bytes (§5.5), a close code not valid on the wire (§7.4), a close reason
//! over 123 bytes (§5.5.1).
#![no_main]

use arbitrary::Arbitrary;
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use pushcodec::ws::{
    CloseCode, CloseFrame, Message, MessageCodec, MessageError, Role, WebSocketConfig,
};
use pushcodec::Utf8Bytes;
use pushcodec_fuzz::reads_by_sizes;
use tokio_util::codec::{Decoder, Encoder};

#[derive(Debug, Arbitrary)]
struct Planned {
    msg: Message,
    /// Fragment sizes, each `size % 33` bytes (0..=32); empty: one frame.
    cuts: Vec<u8>,
    /// Mask keys, one per frame, cycled.
    keys: Vec<[u8; 4]>,
    /// Control messages injected between fragments (data ones are skipped).
    inject: Vec<Message>,
}

#[derive(Debug, Arbitrary)]
struct Input {
    sender_is_client: bool,
    plan: Vec<Planned>,
    splits: Vec<u8>,
    auto_fragment: Option<u8>,
    raw_close_code: u16,
    raw_close_reason: String,
    raw_ping: Vec<u8>,
}

/// Writes one frame as RFC 6455 §5.2 lays it out, masking the payload
/// (§5.3) with `key` if given.
fn put_frame(out: &mut Vec<u8>, fin: bool, opcode: u8, payload: &[u8], key: Option<[u8; 4]>) {
    out.push(if fin { 0x80 } else { 0 } | opcode);
    let mask_bit = if key.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match key {
        Some(k) => {
            out.extend_from_slice(&k);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
}

fn opcode_and_payload(m: &Message) -> (u8, Bytes) {
    let op = match m {
        Message::Text(_) => 0x1,
        Message::Binary(_) => 0x2,
        Message::Close(_) => 0x8,
        Message::Ping(_) => 0x9,
        Message::Pong(_) => 0xA,
    };
    let payload = m
        .clone()
        .into_payload()
        .expect("arbitrary messages are encodable");
    (op, payload)
}

fn decode_all(role: Role, wire: &[u8], splits: &[u8]) -> Vec<Message> {
    let mut codec = MessageCodec::new(role);
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for chunk in reads_by_sizes(splits, wire) {
        buf.extend_from_slice(chunk);
        while let Some(m) = codec
            .decode(&mut buf)
            .unwrap_or_else(|e| panic!("decoding valid frames failed: {e}"))
        {
            got.push(m);
        }
    }
    assert!(buf.is_empty(), "{} bytes left over", buf.len());
    assert!(!codec.in_message(), "a message left open");
    got
}

fn check_refusals(input: &Input) {
    let code = CloseCode(input.raw_close_code);
    let reason = Utf8Bytes::from(input.raw_close_reason.clone());
    let close = Message::Close(Some(CloseFrame {
        code,
        reason: reason.clone(),
    }));
    let must_refuse = !code.is_valid_on_wire() || reason.len() > 123;
    match close.into_frames(None) {
        Ok(_) => assert!(
            !must_refuse,
            "close {code} with {}-byte reason accepted",
            reason.len()
        ),
        Err(MessageError::InvalidCloseCode { code: c }) => {
            assert!(!code.is_valid_on_wire());
            assert_eq!(c, code.0)
        }
        Err(MessageError::CloseReasonTooLong { len }) => {
            assert!(
                code.is_valid_on_wire(),
                "invalid code {code} not reported first"
            );
            assert_eq!(len, reason.len());
            assert!(len > 123)
        }
        Err(e) => panic!("close refused with {e:?}"),
    }
    let ping = Message::Ping(Bytes::from(input.raw_ping.clone()));
    match ping.into_frames(None) {
        Ok(_) => assert!(input.raw_ping.len() <= 125),
        Err(MessageError::ControlFrameTooLong { len, .. }) => {
            assert!(input.raw_ping.len() > 125 && len == input.raw_ping.len() as u64)
        }
        Err(e) => panic!("ping refused with {e:?}"),
    }
}

fuzz_target!(|input: Input| {
    check_refusals(&input);
    let (sender, receiver) = if input.sender_is_client {
        (Role::Client, Role::Server)
    } else {
        (Role::Server, Role::Client)
    };

    // 1. Frames written by hand.
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for p in &input.plan {
        let mut key_i = 0;
        let mut next_key = || {
            let k = p
                .keys
                .get(key_i % p.keys.len().max(1))
                .copied()
                .unwrap_or([0; 4]);
            key_i += 1;
            input.sender_is_client.then_some(k)
        };
        let (op, payload) = opcode_and_payload(&p.msg);
        if p.msg.is_control() {
            put_frame(&mut wire, true, op, &payload, next_key());
            expected.push(p.msg.clone());
            continue;
        }
        // Fragments: one per cut (0..=32 bytes each), then the rest.
        let mut frags: Vec<&[u8]> = Vec::new();
        let mut rest = &payload[..];
        for c in &p.cuts {
            let (frag, tail) = rest.split_at(usize::from(c % 33).min(rest.len()));
            frags.push(frag);
            rest = tail;
        }
        frags.push(rest);
        let mut injects = p.inject.iter().filter(|m| m.is_control());
        for (i, frag) in frags.iter().enumerate() {
            let last = i + 1 == frags.len();
            put_frame(
                &mut wire,
                last,
                if i == 0 { op } else { 0x0 },
                frag,
                next_key(),
            );
            if last {
                break;
            }
            if let Some(c) = injects.next() {
                let (cop, cpayload) = opcode_and_payload(c);
                put_frame(&mut wire, true, cop, &cpayload, next_key());
                expected.push(c.clone());
            }
        }
        expected.push(p.msg.clone());
    }
    assert_eq!(
        decode_all(receiver, &wire, &input.splits),
        expected,
        "hand-written frames"
    );

    // 2. pushcodec's own encoder, with auto-fragmentation.
    let cfg = WebSocketConfig::builder()
        .auto_fragment_size(input.auto_fragment.map(usize::from))
        .build();
    let mut enc = MessageCodec::with_config(sender, &cfg);
    let mut wire = BytesMut::new();
    let msgs: Vec<Message> = input.plan.iter().map(|p| p.msg.clone()).collect();
    for m in &msgs {
        enc.encode(m.clone(), &mut wire)
            .expect("arbitrary messages are encodable");
    }
    assert_eq!(
        decode_all(receiver, &wire, &input.splits),
        msgs,
        "MessageCodec encoder"
    );
});
