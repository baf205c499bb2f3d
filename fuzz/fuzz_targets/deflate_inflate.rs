//! `deflate_inflate`: arbitrary compressed payloads through the
//! permessage-deflate `Inflater` under a size limit (RFC 7692 §7.2.2), and
//! arbitrary plaintext through `Deflater` → `Inflater`.
//!
//! Input layout: `[flags, max, split_seed] + bytes`; `flags & 7` + 8 is
//! the window bits, `flags & 8` sets no context takeover for the round
//! trip, `flags & 0x10` splits the bytes into two messages; the limit is
//! `max * 64` bytes (0: 1 MiB).
//!
//! Laws:
//! * never a panic; errors are `MessageTooBig` (1009) or `Corrupt` (1007);
//! * bounded: a message never exceeds the limit, the check callback sees
//!   exactly the message's bytes, in order, never past the limit;
//! * split invariance: the bytes fed in one piece or in arbitrary reads
//!   give the same message, or an error in both;
//! * round trip: the bytes as plaintext, compressed by our `Deflater` with
//!   the same window (whole message, or streamed in the same reads), inflate
//!   back to themselves.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pushcodec::ws::extension::deflate::{Compressed, Deflater, Inflater};
use pushcodec::ws::extension::{DeflateConfig, DeflateError};
use pushcodec_fuzz::reads;

fn inflate(bits: u8, max: usize, pieces: &[&[u8]]) -> Result<Vec<u8>, DeflateError> {
    let mut i = Inflater::new(bits, max);
    let mut seen = Vec::new();
    for p in pieces {
        i.inflate_with(p, |b| {
            seen.extend_from_slice(b);
            assert!(seen.len() <= max, "check saw {} > {max}", seen.len());
            Ok::<(), DeflateError>(())
        })?;
        assert!(i.message_len() <= max);
    }
    let m = i.finish_message_with(|b| {
        seen.extend_from_slice(b);
        Ok::<(), DeflateError>(())
    })?;
    assert!(m.len() <= max);
    assert_eq!(
        &m[..],
        &seen[..],
        "the check saw other bytes than the message"
    );
    Ok(m.to_vec())
}

fuzz_target!(|data: &[u8]| {
    let [flags, max, seed, input @ ..] = data else {
        return;
    };
    let bits = (flags & 7) + 8;
    let max = if *max == 0 {
        1 << 20
    } else {
        usize::from(*max) * 64
    };
    let one = inflate(bits, max, &[input]);
    if let Err(e) = &one {
        assert!(matches!(
            e,
            DeflateError::MessageTooBig { .. } | DeflateError::Corrupt { .. }
        ));
        assert!(e.close_code().is_some());
    }
    let chunks = reads(*seed, input);
    let split = inflate(bits, max, &chunks);
    match (&one, &split) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "split reads inflate differently"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("one read {a:?}, split {b:?}"),
    }

    // Round trip of the bytes as plaintext (one or two messages).
    let nct = flags & 8 != 0;
    let messages: Vec<&[u8]> = if flags & 0x10 != 0 {
        let (a, b) = input.split_at(input.len() / 2);
        vec![a, b]
    } else {
        vec![input]
    };
    let mut tx = Deflater::new(bits, nct, &DeflateConfig::default());
    let mut rx = Inflater::new(bits, 1 << 20);
    for (n, m) in messages.iter().enumerate() {
        let mut wire = BytesMut::new();
        if n % 2 == 0 {
            if tx.compress(m, &mut wire).unwrap() == Compressed::No {
                continue;
            }
            rx.inflate_fragment(&wire).unwrap();
        } else {
            let mut pieces = reads(*seed, m);
            if pieces.is_empty() {
                pieces.push(m);
            }
            for (k, p) in pieces.iter().enumerate() {
                wire.clear();
                tx.compress_fragment(p, k + 1 == pieces.len(), &mut wire)
                    .unwrap();
                rx.inflate_fragment(&wire).unwrap();
            }
        }
        assert_eq!(&rx.finish_message().unwrap()[..], *m);
    }
});
