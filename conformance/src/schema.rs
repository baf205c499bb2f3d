//! The vector file format (documented in `conformance/vectors/README.md`).
//!
//! A file holds one protocol's vectors; each vector names the spec section it
//! comes from, its input bytes and the expected outcome. Bytes are written in
//! hex, as UTF-8 text, or with generators (`pattern`, `repeat`, `mask`) so
//! that a 64 KiB payload takes one line instead of 128 KiB of hex.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// One vector file (`conformance/vectors/**/*.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// `"websocket"` or `"sse"`.
    pub protocol: Protocol,
    /// The specification all vectors of the file come from.
    pub spec: String,
    /// What the file covers.
    pub description: String,
    /// The vectors.
    pub vectors: Vec<Vector>,
}

/// The protocol of a vector file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// RFC 6455.
    Websocket,
    /// WHATWG HTML §9.2.
    Sse,
}

/// What a vector exercises, and so how its input is run and what `expect` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// WebSocket frames through `FrameCodec`.
    Frames,
    /// WebSocket messages through `MessageCodec`.
    Messages,
    /// A client opening handshake read by `handshake::accept`.
    Handshake,
    /// `handshake::accept_key` of the input.
    AcceptKey,
    /// An event stream through `SseDecoder`.
    Sse,
    /// permessage-deflate frames → messages (`FrameCodec` + `Inflater`).
    DeflateMessages,
    /// Messages through `Deflater`: the payloads it sends.
    DeflateCompress,
    /// A client offer through `server_negotiate_str`: the response.
    DeflateNegotiate,
}

/// The decoding endpoint of a WebSocket vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads what a server sends: unmasked frames.
    Client,
    /// Reads what a client sends: masked frames.
    Server,
}

/// One vector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// Unique name, prefixed with the section number.
    pub name: String,
    /// The spec section the vector comes from, e.g. `RFC 6455 §5.7`.
    pub section: String,
    /// What the vector checks, quoting the spec where it can.
    pub description: String,
    /// What is run.
    pub kind: Kind,
    /// Decoding endpoint (WebSocket frames and messages).
    #[serde(default)]
    pub role: Option<Role>,
    /// `FrameCodec` / `WebSocketConfig` frame payload limit.
    #[serde(default)]
    pub max_frame_size: Option<usize>,
    /// `WebSocketConfig` message size limit.
    #[serde(default)]
    pub max_message_size: Option<usize>,
    /// permessage-deflate vectors: the agreed `Sec-WebSocket-Extensions`
    /// response (RFC 7692 §5 "agreed parameters").
    #[serde(default)]
    pub extensions: Option<String>,
    /// The input: a list of reads (or one hex string = one read).
    pub input: BytesSpec,
    /// The expected outcome; its shape depends on `kind`.
    pub expect: serde_json::Value,
}

/// Bytes: a hex string, or a list of segments concatenated.
///
/// At the top level of `input`, each list element is one read.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum BytesSpec {
    /// Hex digits; ASCII whitespace and `_` are ignored.
    Hex(String),
    /// Segments, concatenated.
    List(Vec<Segment>),
}

/// One piece of a [`BytesSpec`].
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Segment {
    /// Hex digits.
    Hex(String),
    /// A nested list, concatenated (one read at the top level of `input`).
    List(Vec<Segment>),
    /// `{"text": "..."}`: the UTF-8 encoding of the text.
    Text(TextSegment),
    /// `{"pattern": n}`: bytes `0, 1, ..., 255, 0, 1, ...`, `n` of them.
    Pattern(PatternSegment),
    /// `{"repeat": bytes, "count": n}`: `bytes` `n` times.
    Repeat(RepeatSegment),
    /// `{"mask": "4-byte key hex", "data": bytes}`: `data` XORed with the key
    /// as RFC 6455 §5.3 describes (octet i XOR key[i mod 4]).
    Mask(MaskSegment),
}

/// See [`Segment::Text`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSegment {
    /// The text.
    pub text: String,
}

/// See [`Segment::Pattern`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSegment {
    /// Number of bytes.
    pub pattern: usize,
}

/// See [`Segment::Repeat`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatSegment {
    /// What is repeated.
    pub repeat: Box<BytesSpec>,
    /// How many times.
    pub count: usize,
}

/// See [`Segment::Mask`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskSegment {
    /// The 4-byte masking key in hex.
    pub mask: String,
    /// The unmasked data.
    pub data: Box<BytesSpec>,
}

/// A vector file that cannot be read or does not follow the schema.
#[derive(Debug)]
pub struct SchemaError {
    /// Where.
    pub path: PathBuf,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for SchemaError {}

/// Decodes hex digits, ignoring ASCII whitespace and `_`.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'_')
        .collect();
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits in {s:?}"));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16);
            let lo = (pair[1] as char).to_digit(16);
            match (hi, lo) {
                (Some(h), Some(l)) => Ok((h * 16 + l) as u8),
                _ => Err(format!("not a hex digit in {s:?}")),
            }
        })
        .collect()
}

impl BytesSpec {
    /// All the bytes, concatenated.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.append(&mut out)?;
        Ok(out)
    }

    /// The reads of an `input`: one per top-level list element.
    pub fn reads(&self) -> Result<Vec<Vec<u8>>, String> {
        match self {
            BytesSpec::Hex(h) => Ok(vec![parse_hex(h)?]),
            BytesSpec::List(segs) => segs
                .iter()
                .map(|s| {
                    let mut v = Vec::new();
                    s.append(&mut v)?;
                    Ok(v)
                })
                .collect(),
        }
    }

    fn append(&self, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            BytesSpec::Hex(h) => out.extend(parse_hex(h)?),
            BytesSpec::List(segs) => {
                for s in segs {
                    s.append(out)?;
                }
            }
        }
        Ok(())
    }
}

impl Segment {
    fn append(&self, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            Segment::Hex(h) => out.extend(parse_hex(h)?),
            Segment::List(segs) => {
                for s in segs {
                    s.append(out)?;
                }
            }
            Segment::Text(t) => out.extend_from_slice(t.text.as_bytes()),
            Segment::Pattern(p) => out.extend((0..p.pattern).map(|i| (i % 256) as u8)),
            Segment::Repeat(r) => {
                let one = r.repeat.to_bytes()?;
                for _ in 0..r.count {
                    out.extend_from_slice(&one);
                }
            }
            Segment::Mask(m) => {
                let key = parse_hex(&m.mask)?;
                if key.len() != 4 {
                    return Err(format!("masking key {:?} is not 4 bytes", m.mask));
                }
                let data = m.data.to_bytes()?;
                out.extend(data.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
            }
        }
        Ok(())
    }
}

/// Reads and parses one vector file.
pub fn load_file(path: &Path) -> Result<VectorFile, SchemaError> {
    let err = |message: String| SchemaError {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let file: VectorFile = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    for v in &file.vectors {
        if !v.section.contains('§')
            || !v
                .section
                .starts_with(file.spec.split(' ').next().unwrap_or(""))
        {
            return Err(err(format!(
                "vector {:?}: section {:?} does not name a section (§) of {:?}",
                v.name, v.section, file.spec
            )));
        }
        v.input
            .reads()
            .map_err(|e| err(format!("vector {:?}: input: {e}", v.name)))?;
    }
    Ok(file)
}

/// Every `*.json` file under `dir` (recursively), sorted by path.
pub fn find_files(dir: &Path) -> Result<Vec<PathBuf>, SchemaError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| SchemaError {
            path: d.clone(),
            message: e.to_string(),
        })?;
        for entry in entries {
            let p = entry
                .map_err(|e| SchemaError {
                    path: d.clone(),
                    message: e.to_string(),
                })?
                .path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ignores_spaces_and_rejects_junk() {
        assert_eq!(parse_hex("81 05_48").unwrap(), vec![0x81, 0x05, 0x48]);
        assert!(parse_hex("8").is_err());
        assert!(parse_hex("zz").is_err());
    }

    #[test]
    fn generators_expand() {
        let spec: BytesSpec = serde_json::from_str(
            r#"[["01", {"pattern": 3}], {"repeat": [{"text": "ab"}], "count": 2}, {"mask": "ff000000", "data": "0102"}]"#,
        )
        .unwrap();
        assert_eq!(
            spec.reads().unwrap(),
            vec![vec![1, 0, 1, 2], b"abab".to_vec(), vec![0xfe, 0x02]]
        );
    }

    #[test]
    fn rfc6455_5_7_mask_example() {
        // §5.7: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58.
        let spec: BytesSpec =
            serde_json::from_str(r#"[{"mask": "37fa213d", "data": [{"text": "Hello"}]}]"#).unwrap();
        assert_eq!(
            spec.to_bytes().unwrap(),
            parse_hex("7f 9f 4d 51 58").unwrap()
        );
    }
}
