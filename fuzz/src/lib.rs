//! Helpers shared by the fuzz targets of `pushcodec`:
//!
//! * [`reads`]: cut an input into reads from one seed byte (one read, byte by
//!   byte, or pseudo-random sizes), so every target checks chunking
//!   invariance the same way;
//! * [`limit`]: small limits from one byte;
//! * [`whatwg_utf8_decode`]: the WHATWG Encoding Standard's "UTF-8 decode"
//!   (BOM sniff + the UTF-8 decoder in replacement mode), written from the
//!   standard's steps, byte by byte;
//! * [`sse_reference`]: a plain reference of HTML §9.2.6 "Interpreting an
//!   event stream", written from the spec text step by step (slow, obvious,
//!   no limits), which `sse_differential` runs against `SseDecoder`;
//! * [`ws_reference_frames`] and [`ws_reference_messages`]: RFC 6455 §5.2
//!   framing and §5.4 message assembly written from the RFC, which the
//!   WebSocket decode targets run against `FrameCodec` and `MessageCodec`.
//!
//! Nothing here uses pushcodec's own code: the reference must stay
//! independent of what it checks.

#![forbid(unsafe_code)]

mod reads;
mod sse_reference;
mod whatwg_utf8;
mod ws_reference;

pub use reads::*;
pub use sse_reference::*;
pub use whatwg_utf8::*;
pub use ws_reference::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatwg_utf8_decode_matches_the_standard_examples() {
        // Encoding Standard examples of maximal-subpart replacement.
        assert_eq!(whatwg_utf8_decode(b"\xEF\xBB\xBFa"), "a");
        assert_eq!(
            whatwg_utf8_decode(b"\xEF\xBB\xBF\xEF\xBB\xBFa"),
            "\u{FEFF}a"
        );
        assert_eq!(whatwg_utf8_decode(b"\xF0\x9F\x92"), "\u{FFFD}");
        assert_eq!(whatwg_utf8_decode(b"\xF0\x9F\x92a"), "\u{FFFD}a");
        assert_eq!(
            whatwg_utf8_decode(b"\xED\xA0\x80"),
            "\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(whatwg_utf8_decode(b"\xC0\xAF"), "\u{FFFD}\u{FFFD}");
        assert_eq!(whatwg_utf8_decode("é€😀".as_bytes()), "é€😀");
        assert_eq!(whatwg_utf8_decode(b"\xE2\x82\n"), "\u{FFFD}\n");
    }

    #[test]
    fn whatwg_utf8_decode_agrees_with_std_lossy_on_many_inputs() {
        // Both implement maximal-subpart replacement; any difference is a
        // bug in the reference (std's is well tested).
        let mut state = 0x1234_5678_9abc_def0u64;
        for len in 0..2000usize {
            let mut v = Vec::new();
            for _ in 0..(len % 12) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let pick = [
                    0x41, 0x80, 0xBF, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xFF, 0x9F, 0xA0,
                ];
                v.push(pick[(state % pick.len() as u64) as usize]);
            }
            if v.starts_with(b"\xEF\xBB\xBF") {
                continue;
            }
            assert_eq!(
                whatwg_utf8_decode(&v),
                String::from_utf8_lossy(&v),
                "{v:x?}"
            );
        }
    }

    /// Fuzz finding (ws_frame_decode, regressions/ws_frame_decode/
    /// rsv-on-continuation-9cfdf5d5): the reference took an allowed RSV bit
    /// on a continuation frame, which RFC 7692 §6.1 puts on a message's
    /// first frame only (FrameCodec refuses it with 1002).
    #[test]
    fn an_allowed_rsv_bit_on_a_continuation_or_control_frame_is_1002() {
        let key = [1, 2, 3, 4];
        for first in [0x40u8, 0x89 | 0x40] {
            // Masked (client to server), empty payload, RSV1 set.
            let mut wire = vec![first, 0x80];
            wire.extend_from_slice(&key);
            let (frames, end) = ws_reference_frames(&wire, true, 0b100, 1 << 20);
            assert!(frames.is_empty());
            assert_eq!(end, RefEnd::Error(vec![1002]), "first byte {first:#x}");
        }
        // On a text frame it is the extension's flag, accepted.
        let mut wire = vec![0xC1, 0x80];
        wire.extend_from_slice(&key);
        let (frames, end) = ws_reference_frames(&wire, true, 0b100, 1 << 20);
        assert_eq!((frames.len(), end), (1, RefEnd::Clean));
    }

    #[test]
    fn reads_cover_the_input_in_order() {
        let data: Vec<u8> = (0..200u8).collect();
        for seed in 0..=255u8 {
            let r = reads(seed, &data);
            assert_eq!(r.concat(), data, "seed {seed}");
            assert!(r.iter().all(|c| !c.is_empty()));
        }
        assert_eq!(reads(1, &data).len(), 200);
        assert_eq!(reads(0, &data).len(), 1);
    }

    /// The reference against the conformance vectors (HTML §9.2.6), so that
    /// the reference itself is checked against hand-worked expectations.
    #[test]
    fn reference_passes_the_sse_conformance_vectors() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../conformance/vectors/sse/parsing.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            panic!("missing {path}");
        };
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut checked = 0;
        for v in file["vectors"].as_array().unwrap() {
            let input = vector_bytes(&v["input"]);
            let got: Vec<RefItem> = sse_reference(&input)
                .items
                .into_iter()
                .filter(|i| !matches!(i, RefItem::Comment(_)))
                .collect();
            let want: Vec<RefItem> = v["expect"]["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| match i.get("retry") {
                    Some(r) => RefItem::Retry(r.to_string()),
                    None => RefItem::Event {
                        event_type: i["type"].as_str().unwrap().to_string(),
                        data: i["data"].as_str().unwrap().to_string(),
                        last_event_id: i["id"].as_str().unwrap().to_string(),
                    },
                })
                .collect();
            // Retry values in the vectors are JSON numbers; compare digits
            // as integers (leading zeros).
            let norm = |items: Vec<RefItem>| -> Vec<RefItem> {
                items
                    .into_iter()
                    .map(|i| match i {
                        RefItem::Retry(d) => {
                            RefItem::Retry(retry_millis_saturating(&d).to_string())
                        }
                        other => other,
                    })
                    .collect()
            };
            assert_eq!(norm(got), norm(want), "vector {}", v["name"]);
            checked += 1;
        }
        assert!(checked > 10, "only {checked} vectors");
    }

    /// The RFC 6455 references against the conformance vectors (frames and
    /// messages), so the references themselves are checked against
    /// hand-worked expectations.
    #[test]
    fn ws_references_pass_the_ws_conformance_vectors() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance/vectors/ws");
        let mut checked = 0;
        for file in ["frames.json", "messages.json", "close.json", "utf8.json"] {
            let Ok(text) = std::fs::read_to_string(format!("{dir}/{file}")) else {
                panic!("missing {dir}/{file}");
            };
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            for v in doc["vectors"].as_array().unwrap() {
                let kind = v["kind"].as_str().unwrap();
                if kind != "frames" && kind != "messages" {
                    continue;
                }
                let input = vector_bytes(&v["input"]);
                let server = v["role"].as_str() == Some("server");
                let max_frame = v["max_frame_size"].as_u64().unwrap_or(16 << 20);
                let max_message = v["max_message_size"].as_u64().unwrap_or(64 << 20);
                // Some(None): an error with no close code (input ending inside
                // a frame or message, RFC 6455 §7.1.5 vectors).
                let want_error = v["expect"]
                    .get("error")
                    .map(|e| e["close_code"].as_u64().map(|c| c as u16));
                let want_items = v["expect"]["items"].as_array().cloned().unwrap_or_default();
                let end = if kind == "frames" {
                    let (frames, end) = ws_reference_frames(&input, server, 0, max_frame);
                    let want: Vec<RefFrame> = want_items
                        .iter()
                        .map(|i| RefFrame {
                            fin: i["fin"].as_bool().unwrap(),
                            rsv: i["rsv"].as_u64().unwrap() as u8,
                            opcode: i["opcode"].as_u64().unwrap() as u8,
                            payload: vector_bytes(&i["payload"]),
                        })
                        .collect();
                    assert_eq!(frames, want, "vector {}", v["name"]);
                    end
                } else {
                    let (msgs, end) =
                        ws_reference_messages(&input, server, max_frame, max_message, false);
                    let want: Vec<RefMessage> = want_items
                        .iter()
                        .map(|i| {
                            let o = i.as_object().unwrap();
                            let (k, val) = o.iter().next().unwrap();
                            match k.as_str() {
                                "text" => RefMessage::Text(val.as_str().unwrap().to_string()),
                                "binary" => RefMessage::Binary(vector_bytes(val)),
                                "ping" => RefMessage::Ping(vector_bytes(val)),
                                "pong" => RefMessage::Pong(vector_bytes(val)),
                                "close" if val.is_null() => RefMessage::Close(None),
                                "close" => RefMessage::Close(Some((
                                    val["code"].as_u64().unwrap() as u16,
                                    val["reason"].as_str().unwrap_or("").to_string(),
                                ))),
                                other => panic!("unknown item {other}"),
                            }
                        })
                        .collect();
                    assert_eq!(msgs, want, "vector {}", v["name"]);
                    end
                };
                match (want_error, &end) {
                    (Some(Some(code)), RefEnd::Error(codes)) => {
                        assert!(
                            codes.contains(&code),
                            "vector {}: {codes:?} vs {code}",
                            v["name"]
                        )
                    }
                    // A vector whose input stops inside a frame expects the
                    // decoder's EOF error, which has no close code.
                    (None, RefEnd::Clean | RefEnd::Incomplete) => {}
                    (Some(None), RefEnd::Incomplete) => {}
                    (w, e) => panic!(
                        "vector {}: expected {w:?}, reference ended {e:?}",
                        v["name"]
                    ),
                }
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} vectors");
    }

    /// The BYTES format of conformance/vectors/README.md.
    fn vector_bytes(v: &serde_json::Value) -> Vec<u8> {
        use serde_json::Value;
        match v {
            Value::String(hex) => {
                let digits: Vec<u8> = hex.bytes().filter(|b| b.is_ascii_hexdigit()).collect();
                digits
                    .chunks(2)
                    .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
                    .collect()
            }
            Value::Array(parts) => parts.iter().flat_map(vector_bytes).collect(),
            Value::Object(o) => {
                if let Some(t) = o.get("text") {
                    t.as_str().unwrap().as_bytes().to_vec()
                } else if let Some(n) = o.get("pattern") {
                    (0..n.as_u64().unwrap()).map(|i| i as u8).collect()
                } else if let Some(r) = o.get("repeat") {
                    vector_bytes(r).repeat(o["count"].as_u64().unwrap() as usize)
                } else if let Some(k) = o.get("mask") {
                    let key = vector_bytes(k);
                    let data = vector_bytes(&o["data"]);
                    data.iter()
                        .enumerate()
                        .map(|(i, b)| b ^ key[i % 4])
                        .collect()
                } else {
                    panic!("unknown segment {o:?}")
                }
            }
            other => panic!("unknown BYTES {other:?}"),
        }
    }
}
