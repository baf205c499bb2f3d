//! permessage-deflate against C zlib (through Python's `zlib` module, the
//! library Python `websockets` compresses with), for window bits 8..=15,
//! context takeover on and off, both directions:
//!
//! * C zlib's `decompressobj(-bits)` inflates what our `Deflater` sends
//!   (each payload + `00 00 ff ff`, RFC 7692 §7.2.2), including an 8-bit
//!   window, which our compressor runs as zlib's 9-bit one;
//! * our `Inflater` inflates what C zlib's `compressobj` sends with a sync
//!   flush and the tail removed (§7.2.1), C zlib told 8 bits refusing a raw
//!   8-bit window exactly as the module docs say (it is run with 9).
//!
//! Needs `python3` (CI has it: the fuzz seeds need it too); without it the
//! test is skipped, except under `CI=true`, where it fails.

use std::io::Write;
use std::process::{Command, Stdio};

use bytes::BytesMut;
use pushcodec::ws::extension::deflate::{Compressed, Deflater, Inflater};
use pushcodec::ws::extension::DeflateConfig;

const SCRIPT: &str = r#"
import sys, zlib
out = []
for line in sys.stdin:
    kind, bits, nct, *items = line.split()
    bits, nct = int(bits), nct == "1"
    if kind == "inflate":
        d = zlib.decompressobj(-bits)
        res = []
        for h in items:
            if nct:
                d = zlib.decompressobj(-bits)
            res.append(d.decompress(bytes.fromhex(h) + b"\x00\x00\xff\xff").hex() or "-")
        out.append(" ".join(res))
    else:
        try:
            zlib.compressobj(6, zlib.DEFLATED, -bits)
            refused = "accepted"
        except ValueError:
            refused = "refused"
        c = zlib.compressobj(6, zlib.DEFLATED, -max(bits, 9))
        res = [refused]
        for h in items:
            if nct:
                c = zlib.compressobj(6, zlib.DEFLATED, -max(bits, 9))
            data = c.compress(bytes.fromhex(h) if h != "-" else b"") + c.flush(zlib.Z_SYNC_FLUSH)
            assert data.endswith(b"\x00\x00\xff\xff")
            res.append(data[:-4].hex() or "-")
        out.append(" ".join(res))
print("\n".join(out))
"#;

fn messages() -> Vec<Vec<u8>> {
    let json: Vec<u8> = (0..40)
        .flat_map(|i| format!(r#"{{"id":{i},"token":" t{}"}}"#, i % 9).into_bytes())
        .collect();
    let far: Vec<u8> = (0..6000).map(|i| ((i % 300) * 7 % 251) as u8).collect();
    let noise: Vec<u8> = (0..700u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    vec![json.clone(), far, b"Hello".to_vec(), noise, json]
}

fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn c_zlib_and_pushcodec_agree_for_every_window_and_context_takeover() {
    let py = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let mut py = match py {
        Ok(p) => p,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: python3 not available ({e})");
            return;
        }
        Err(e) => panic!("python3 is required under CI=true: {e}"),
    };
    let msgs = messages();
    let mut input = String::new();
    let mut ours = Vec::new();
    for bits in 8..=15u8 {
        for nct in [false, true] {
            let mut tx = Deflater::new(bits, nct, &DeflateConfig::default());
            let mut payloads = Vec::new();
            for m in &msgs {
                let mut out = BytesMut::new();
                if tx.compress(m, &mut out).unwrap() == Compressed::Yes {
                    payloads.push((m.clone(), out.to_vec()));
                }
            }
            input.push_str(&format!("inflate {bits} {}", u8::from(nct)));
            for (_, p) in &payloads {
                input.push_str(&format!(" {}", hex(p)));
            }
            input.push('\n');
            input.push_str(&format!("deflate {bits} {}", u8::from(nct)));
            for m in &msgs {
                input.push_str(&format!(" {}", hex(m)));
            }
            input.push('\n');
            ours.push((bits, nct, payloads));
        }
    }
    py.stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = py.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 failed");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    for (bits, nct, payloads) in ours {
        // C zlib inflates ours.
        let got: Vec<Vec<u8>> = lines
            .next()
            .unwrap()
            .split_whitespace()
            .map(unhex)
            .collect();
        let want: Vec<&Vec<u8>> = payloads.iter().map(|(m, _)| m).collect();
        assert_eq!(got.len(), want.len(), "bits {bits} nct {nct}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                g, *w,
                "C zlib inflated ours differently: bits {bits} nct {nct}"
            );
        }
        // We inflate C zlib's.
        let mut fields = lines.next().unwrap().split_whitespace();
        let verdict = fields.next().unwrap();
        assert_eq!(
            verdict,
            if bits == 8 { "refused" } else { "accepted" },
            "C zlib and a raw {bits}-bit window"
        );
        let mut rx = Inflater::new(bits, 1 << 20);
        for (m, p) in msgs.iter().zip(fields) {
            rx.inflate_fragment(&unhex(p)).unwrap();
            let got = rx.finish_message().unwrap();
            assert_eq!(
                &got[..],
                &m[..],
                "ours inflated C zlib's: bits {bits} nct {nct}"
            );
        }
    }
}
