//! permessage-deflate laws (RFC 7692 §7.2), for every parameter
//! combination: window bits 8..=15 in each direction × context takeover
//! on/off in each direction × whole or fragmented messages.
//!
//! * **Round trip**: what one endpoint's [`Deflater`] sends, the peer's
//!   [`Inflater`] (built from the same agreed parameters) gives back, byte
//!   for byte, however the compressed payload is cut into fragments and
//!   however a streamed message is cut into pieces.
//! * **Independent reference**: the compressed stream decodes to the same
//!   bytes with `support/deflate_ref.rs` (a plain RFC 1951 decoder, no
//!   zlib), and no match reaches back further than the agreed window
//!   (§7.2.1 "MUST NOT use an LZ77 sliding window longer than the w-th
//!   power of 2 bytes"), including the 8-bit window zlib cannot run.
//! * Without context takeover every message decodes alone (from an empty
//!   history); with it the stream is one history.

#[path = "support/deflate_ref.rs"]
mod deflate_ref;

use bytes::BytesMut;
use proptest::prelude::*;
use pushcodec::ws::extension::deflate::{
    client_offer, client_validate_str, server_negotiate_str, Compressed, DeflateParams, TAIL,
};
use pushcodec::ws::extension::DeflateConfig;
use pushcodec::ws::Role;

#[derive(Debug, Clone)]
struct Case {
    server_bits: u8,
    client_bits: u8,
    server_nct: bool,
    client_nct: bool,
    level: u8,
}

impl Case {
    fn config(&self) -> DeflateConfig {
        DeflateConfig::builder()
            .server_max_window_bits(self.server_bits)
            .client_max_window_bits(self.client_bits)
            .server_no_context_takeover(self.server_nct)
            .client_no_context_takeover(self.client_nct)
            .level(self.level)
            .build()
    }

    /// Negotiated the way a connection does: our client's offer, our
    /// server's answer, our client's check.
    fn params(&self) -> DeflateParams {
        let c = self.config();
        let offer = client_offer(&c).unwrap();
        let p = server_negotiate_str(&c, offer.to_str().unwrap())
            .unwrap()
            .expect("accepted");
        assert_eq!(client_validate_str(&c, &p.to_string()).unwrap(), Some(p));
        p
    }
}

/// One message: its bytes and how it is cut (fragment sizes).
#[derive(Debug, Clone)]
struct Msg {
    data: Vec<u8>,
    cuts: Vec<usize>,
    streamed: bool,
    /// Release both engines' state after this message (`Deflater::release`
    /// always frees; `Inflater::release` only when the peer resets).
    release: bool,
}

fn split<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    for &c in cuts {
        let c = c.min(rest.len());
        let (a, b) = rest.split_at(c);
        out.push(a);
        rest = b;
    }
    out.push(rest);
    out
}

/// Sends `msgs` from `role` to its peer; checks the round trip and the
/// reference decoder. Returns the longest match distance seen.
fn run(case: &Case, role: Role, msgs: &[Msg]) -> Result<usize, TestCaseError> {
    let cfg = case.config();
    let p = case.params();
    let mut tx = p.deflater(role, &cfg);
    let mut rx = p.inflater(role.peer(), 1 << 24);
    let window = 1usize << p.compressor_window_bits(role);
    let nct = p.compressor_no_context_takeover(role);
    prop_assert_eq!(tx.window_bits(), p.compressor_window_bits(role));
    let mut reference = deflate_ref::Decoded::default();
    let mut longest = 0;
    for m in msgs {
        // What goes on the wire: fragment payloads, and whether RSV1 is set.
        let (frags, compressed): (Vec<Vec<u8>>, bool) = if m.streamed {
            let pieces = split(&m.data, &m.cuts);
            let n = pieces.len();
            let mut frags = Vec::new();
            for (i, piece) in pieces.into_iter().enumerate() {
                let mut out = BytesMut::new();
                tx.compress_fragment(piece, i + 1 == n, &mut out).unwrap();
                frags.push(out.to_vec());
            }
            (frags, true)
        } else {
            let mut out = BytesMut::new();
            match tx.compress(&m.data, &mut out).unwrap() {
                Compressed::Yes => (
                    split(&out, &m.cuts).iter().map(|f| f.to_vec()).collect(),
                    true,
                ),
                Compressed::No => {
                    prop_assert!(out.is_empty());
                    prop_assert!(nct, "with context takeover every message is compressed");
                    (vec![m.data.clone()], false)
                }
            }
        };
        if !compressed {
            continue; // sent as is; neither window changes (§7.2.3.2)
        }
        for f in &frags {
            rx.inflate_fragment(f).unwrap();
        }
        let got = rx.finish_message().unwrap();
        prop_assert_eq!(&got[..], &m.data[..]);
        drop(got);
        if m.release {
            tx.release();
            prop_assert_eq!(
                rx.release(),
                nct,
                "the inflater frees exactly when the peer resets"
            );
        }

        // The reference: the concatenated payload + tail. A released
        // compressor starts its next message from an empty window, which
        // the reference (keeping its history) must read all the same.
        let mut stream = frags.concat();
        stream.extend_from_slice(&TAIL);
        if nct {
            reference = deflate_ref::Decoded::default();
        }
        let before = reference.out.len();
        deflate_ref::inflate(&stream, &mut reference).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&reference.out[before..], &m.data[..]);
        prop_assert!(!reference.saw_final, "a sync flush never sets BFINAL");
        prop_assert!(
            reference.max_distance <= window,
            "match distance {} > window {} (bits {})",
            reference.max_distance,
            window,
            p.compressor_window_bits(role)
        );
        longest = longest.max(reference.max_distance);
    }
    Ok(longest)
}

/// JSON-like text (repetitive, what token streams look like), random
/// bytes, or long runs that produce far matches.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0usize..40, 0usize..200).prop_map(|(n, seed)| {
            let mut s = String::new();
            for i in 0..n {
                s.push_str(&format!(
                    r#"{{"id":{},"token":"tok{}","logprob":-0.{}}}"#,
                    seed + i,
                    (seed * 7 + i * 13) % 97,
                    i % 10
                ));
            }
            s.into_bytes()
        }),
        proptest::collection::vec(any::<u8>(), 0..600),
        (1usize..300, 1usize..4000, any::<u8>()).prop_map(|(period, len, salt)| {
            (0..len)
                .map(|i| ((i % period) as u8).wrapping_mul(31) ^ salt)
                .collect()
        }),
    ]
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        data(),
        proptest::collection::vec(0usize..700, 0..4),
        any::<bool>(),
        proptest::bool::weighted(0.2),
    )
        .prop_map(|(data, cuts, streamed, release)| Msg {
            data,
            cuts,
            streamed,
            release,
        })
}

fn case() -> impl Strategy<Value = Case> {
    (8u8..=15, 8u8..=15, any::<bool>(), any::<bool>(), 0u8..=9).prop_map(
        |(server_bits, client_bits, server_nct, client_nct, level)| Case {
            server_bits,
            client_bits,
            server_nct,
            client_nct,
            level,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_and_reference_agree(
        case in case(),
        msgs in proptest::collection::vec(msg(), 1..6),
        server_sends in any::<bool>(),
    ) {
        let role = if server_sends { Role::Server } else { Role::Client };
        run(&case, role, &msgs)?;
    }
}

/// Every combination, deterministically: 8 × 8 window bits × 4 context
/// takeover settings × both directions, each with whole and fragmented,
/// text-like and far-matching messages.
#[test]
fn every_parameter_combination_round_trips() {
    let json: Vec<u8> = (0..60)
        .flat_map(|i| format!(r#"{{"id":{i},"token":"t{}"}}"#, i % 7).into_bytes())
        .collect();
    // Period 300 (> 256): matches of a 9-bit zlib window would be at 300
    // if it allowed them; 257..512-byte periods test the 8-bit limit.
    let far: Vec<u8> = (0..5000).map(|i| ((i % 300) * 7 % 251) as u8).collect();
    let msgs = [
        Msg {
            data: json.clone(),
            cuts: vec![],
            streamed: false,
            release: false,
        },
        Msg {
            data: far.clone(),
            cuts: vec![3, 100, 1],
            streamed: false,
            release: false,
        },
        Msg {
            data: json.clone(),
            cuts: vec![500, 0, 9],
            streamed: true,
            release: true,
        },
        Msg {
            data: Vec::new(),
            cuts: vec![],
            streamed: false,
            release: false,
        },
        Msg {
            data: far,
            cuts: vec![1000],
            streamed: true,
            release: false,
        },
        Msg {
            data: json,
            cuts: vec![2],
            streamed: false,
            release: false,
        },
    ];
    let mut n = 0;
    for server_bits in 8..=15 {
        for client_bits in 8..=15 {
            for (server_nct, client_nct) in
                [(false, false), (true, false), (false, true), (true, true)]
            {
                let case = Case {
                    server_bits,
                    client_bits,
                    server_nct,
                    client_nct,
                    level: 6,
                };
                for role in [Role::Server, Role::Client] {
                    let longest = run(&case, role, &msgs)
                        .unwrap_or_else(|e| panic!("{case:?} {role:?}: {e}"));
                    // The window check can fail: with room for them, the
                    // period-300 message does produce 300-byte matches.
                    let bits = if role == Role::Server {
                        server_bits
                    } else {
                        client_bits
                    };
                    if bits >= 10 {
                        assert!(longest >= 300, "{case:?} {role:?}: longest match {longest}");
                    }
                    n += 1;
                }
            }
        }
    }
    assert_eq!(n, 8 * 8 * 4 * 2);
}

#[test]
fn the_reference_decodes_the_rfc_examples() {
    // RFC 7692 §7.2.3.1–§7.2.3.5, checked against the reference itself, so
    // that a reference bug cannot hide behind agreeing with zlib.
    let cases: &[(&[u8], &[u8])] = &[
        (&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], b"Hello"),
        (
            &[
                0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
            ],
            b"Hello",
        ),
        (&[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00], b"Hello"),
        (
            &[
                0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
            ],
            b"Hello",
        ),
    ];
    for (payload, text) in cases {
        let mut s = payload.to_vec();
        s.extend_from_slice(&TAIL);
        let mut d = deflate_ref::Decoded::default();
        deflate_ref::inflate(&s, &mut d).unwrap();
        assert_eq!(&d.out[..], *text, "{payload:x?}");
    }
    // §7.2.3.2: the second "Hello" refers back 5 bytes.
    let mut d = deflate_ref::Decoded::default();
    deflate_ref::inflate(
        &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0, 0, 0xff, 0xff],
        &mut d,
    )
    .unwrap();
    deflate_ref::inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00, 0, 0, 0xff, 0xff], &mut d).unwrap();
    assert_eq!(&d.out[..], b"HelloHello");
    assert_eq!(d.max_distance, 5);
}
