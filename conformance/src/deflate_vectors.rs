//! Running permessage-deflate vectors (RFC 7692): compressed messages
//! decoded, messages compressed by `Deflater`, and offers negotiated by
//! `server_negotiate_str`.
//!
//! Each `deflate_messages` vector runs twice, and both must give the
//! expected result: through the connection layer's own
//! `MessageCodec::with_deflate`, and through the independent reference
//! assembler below (frames through `FrameCodec` with RSV1 allowed,
//! payloads through `extension::deflate::Inflater`), the RFC 7692 §6
//! reading of RFC 6455 §5.4 written out plainly: RSV1 on the first frame
//! makes the message compressed; RSV1 on a continuation or control frame
//! is a protocol error (§6.1); each fragment's payload is inflated as it
//! arrives, the tail is appended at FIN (§7.2.2); text is UTF-8 after
//! inflating (§6.1 "subject to the constraints for the original data type
//! again").

use crate::drive::{drive_until, show_bytes, Mode};
use crate::schema::{BytesSpec, Kind, Role, Vector};
use bytes::BytesMut;
use pushcodec::ws::extension::deflate::{
    client_validate_str, server_negotiate_str, Compressed, DeflateParams, Inflater,
};
use pushcodec::ws::extension::{DeflateConfig, DeflateError};
use pushcodec::ws::utf8::Utf8Validator;
use pushcodec::ws::{self, FrameCodec, Message, MessageCodec, OpCode, WebSocketConfig};
use serde::Deserialize;
use tokio_util::codec::Decoder;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectMessages {
    items: Vec<ExpectMessage>,
    #[serde(default)]
    error: Option<ExpectError>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectError {
    close_code: Option<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum ExpectMessage {
    Text(String),
    Binary(BytesSpec),
    Ping(BytesSpec),
    Pong(BytesSpec),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectCompress {
    payloads: Vec<Option<BytesSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectNegotiate {
    #[serde(default)]
    response: Option<String>,
    #[serde(default)]
    malformed: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

#[derive(Debug)]
enum Error {
    Frame(ws::CodecError),
    Deflate(DeflateError),
    /// RSV1 on a continuation or control frame (RFC 7692 §6.1).
    Rsv1,
    /// Fragmentation broken (RFC 6455 §5.4).
    Sequence,
    /// Text not UTF-8 after inflating.
    Utf8,
}

impl From<DeflateError> for Error {
    fn from(e: DeflateError) -> Error {
        Error::Deflate(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Frame(ws::CodecError::Io(e))
    }
}

impl Error {
    fn close_code(&self) -> Option<u16> {
        match self {
            Error::Frame(e) => e.close_code().map(|c| c.0),
            Error::Deflate(e) => e.close_code().map(|c| c.0),
            Error::Rsv1 | Error::Sequence => Some(1002),
            Error::Utf8 => Some(1007),
        }
    }
}

struct Partial {
    text: bool,
    compressed: bool,
    plain: Vec<u8>,
}

/// Frames → messages with permessage-deflate negotiated.
struct DeflateMessages {
    frames: FrameCodec,
    inflater: Inflater,
    partial: Option<Partial>,
    utf8: Utf8Validator,
}

impl Decoder for DeflateMessages {
    type Item = Seen;
    type Error = Error;

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Seen>, Error> {
        match self.decode(buf)? {
            Some(m) => Ok(Some(m)),
            None if buf.is_empty() && self.partial.is_none() => Ok(None),
            None => Err(Error::Frame(ws::CodecError::UnexpectedEof(
                ws::EofReason::InsideMessage,
            ))),
        }
    }

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Seen>, Error> {
        loop {
            let Some(f) = self.frames.decode(buf).map_err(Error::Frame)? else {
                return Ok(None);
            };
            let rsv1 = f.rsv & 0b100 != 0;
            match f.opcode {
                OpCode::Ping | OpCode::Pong | OpCode::Close if rsv1 => return Err(Error::Rsv1),
                OpCode::Ping => return Ok(Some(Seen::Ping(f.payload.to_vec()))),
                OpCode::Pong => return Ok(Some(Seen::Pong(f.payload.to_vec()))),
                OpCode::Close => return Ok(None),
                OpCode::Continuation if rsv1 => return Err(Error::Rsv1),
                OpCode::Continuation if self.partial.is_none() => return Err(Error::Sequence),
                OpCode::Text | OpCode::Binary if self.partial.is_some() => {
                    return Err(Error::Sequence)
                }
                OpCode::Text | OpCode::Binary => {
                    self.utf8.reset();
                    self.partial = Some(Partial {
                        text: f.opcode == OpCode::Text,
                        compressed: rsv1,
                        plain: Vec::new(),
                    });
                }
                _ => {}
            }
            let p = self
                .partial
                .as_mut()
                .expect("a data message is in progress");
            let (utf8, text) = (&mut self.utf8, p.text);
            let mut check = |b: &[u8]| -> Result<(), Error> {
                if text {
                    utf8.feed(b).map_err(|_| Error::Utf8)?;
                }
                Ok(())
            };
            if p.compressed {
                self.inflater.inflate_with(&f.payload, &mut check)?;
            } else {
                check(&f.payload)?;
                p.plain.extend_from_slice(&f.payload);
            }
            if !f.fin {
                continue;
            }
            let p = self.partial.take().expect("in progress");
            let bytes = if p.compressed {
                self.inflater.finish_message_with(&mut check)?.to_vec()
            } else {
                p.plain
            };
            if p.text {
                self.utf8.finish().map_err(|_| Error::Utf8)?;
                let s = String::from_utf8(bytes).map_err(|_| Error::Utf8)?;
                return Ok(Some(Seen::Text(s)));
            }
            return Ok(Some(Seen::Binary(bytes)));
        }
    }
}

/// The connection layer's decoder, its messages as [`Seen`] (a Close ends
/// the input, as in the reference).
struct Connection(MessageCodec);

impl Decoder for Connection {
    type Item = Seen;
    type Error = Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Seen>, Error> {
        let m = self.0.decode(buf).map_err(Error::Frame)?;
        Ok(m.and_then(seen))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Seen>, Error> {
        let m = self.0.decode_eof(buf).map_err(Error::Frame)?;
        Ok(m.and_then(seen))
    }
}

fn seen(m: Message) -> Option<Seen> {
    Some(match m {
        Message::Text(t) => Seen::Text(t.as_str().to_owned()),
        Message::Binary(b) => Seen::Binary(b.to_vec()),
        Message::Ping(b) => Seen::Ping(b.to_vec()),
        Message::Pong(b) => Seen::Pong(b.to_vec()),
        Message::Close(_) => return None,
    })
}

fn role(v: &Vector) -> Result<ws::Role, String> {
    match v.role {
        Some(Role::Client) => Ok(ws::Role::Client),
        Some(Role::Server) => Ok(ws::Role::Server),
        None => Err("a deflate vector needs a role".into()),
    }
}

/// The agreed parameters, as a client reads them from the response.
fn agreed(v: &Vector) -> Result<DeflateParams, String> {
    let ext = v
        .extensions
        .as_deref()
        .ok_or("a deflate vector needs `extensions`, the agreed response")?;
    client_validate_str(&DeflateConfig::default(), ext)
        .map_err(|e| format!("extensions {ext:?}: {e}"))?
        .ok_or_else(|| format!("extensions {ext:?} negotiate nothing"))
}

/// Runs one deflate vector; returns its failures (empty = passed).
pub fn run_deflate_vector(v: &Vector) -> Vec<String> {
    let r = match v.kind {
        Kind::DeflateMessages => run_messages(v),
        Kind::DeflateCompress => run_compress(v),
        Kind::DeflateNegotiate => run_negotiate(v),
        other => Err(format!("kind {other:?} is not a deflate vector")),
    };
    r.unwrap_or_else(|e| vec![format!("bad vector: {e}")])
}

fn run_messages(v: &Vector) -> Result<Vec<String>, String> {
    let reads = v.input.reads()?;
    let role = role(v)?;
    let params = agreed(v)?;
    let exp: ExpectMessages =
        serde_json::from_value(v.expect.clone()).map_err(|e| e.to_string())?;
    let want: Vec<Seen> = exp
        .items
        .iter()
        .map(|m| {
            Ok(match m {
                ExpectMessage::Text(t) => Seen::Text(t.clone()),
                ExpectMessage::Binary(b) => Seen::Binary(b.to_bytes()?),
                ExpectMessage::Ping(b) => Seen::Ping(b.to_bytes()?),
                ExpectMessage::Pong(b) => Seen::Pong(b.to_bytes()?),
            })
        })
        .collect::<Result<_, String>>()?;
    let mut modes = vec![Mode::OneRead, Mode::ByteByByte];
    if reads.len() > 1 {
        modes.push(Mode::AsSplit);
    }
    let max_frame = v
        .max_frame_size
        .unwrap_or(ws::config::DEFAULT_MAX_FRAME_SIZE);
    let max_message = v
        .max_message_size
        .unwrap_or(ws::config::DEFAULT_MAX_MESSAGE_SIZE);
    let mut failures = Vec::new();
    for mode in modes {
        let config = WebSocketConfig::builder()
            .max_frame_size(max_frame)
            .max_message_size(max_message)
            .build();
        let connection = Connection(MessageCodec::with_deflate(role, &config, Some(params)));
        let d = drive_until(connection, &reads, mode, |_| false);
        check_decoded("MessageCodec", mode, d, &want, &exp, &mut failures);
        let reference = DeflateMessages {
            frames: FrameCodec::new(role, max_frame).with_allowed_rsv(0b100),
            inflater: params.inflater(role, max_message),
            partial: None,
            utf8: Utf8Validator::new(),
        };
        let d = drive_until(reference, &reads, mode, |_| false);
        check_decoded("reference", mode, d, &want, &exp, &mut failures);
    }
    Ok(failures)
}

fn check_decoded(
    who: &str,
    mode: Mode,
    d: crate::drive::Decoded<Seen, Error>,
    want: &[Seen],
    exp: &ExpectMessages,
    failures: &mut Vec<String>,
) {
    if d.items != want {
        failures.push(format!(
            "{who}, {mode}: decoded {:?}{}, expected {want:?}",
            d.items,
            d.error
                .as_ref()
                .map(|e| format!(" then error {e:?}"))
                .unwrap_or_default()
        ));
        return;
    }
    let got = d.error.as_ref().map(Error::close_code);
    let wanted = exp.error.as_ref().map(|e| e.close_code);
    if got != wanted {
        failures.push(format!(
            "{who}, {mode}: error {:?} (close code {got:?}), expected close code {wanted:?}",
            d.error
        ));
    }
}

fn run_compress(v: &Vector) -> Result<Vec<String>, String> {
    let messages = v.input.reads()?;
    let role = role(v)?;
    let params = agreed(v)?;
    let exp: ExpectCompress =
        serde_json::from_value(v.expect.clone()).map_err(|e| e.to_string())?;
    if exp.payloads.len() != messages.len() {
        return Err("one expected payload per input message".into());
    }
    let mut tx = params.deflater(role, &DeflateConfig::default());
    let mut failures = Vec::new();
    for (i, (m, want)) in messages.iter().zip(&exp.payloads).enumerate() {
        let mut out = BytesMut::new();
        let got = match tx.compress(m, &mut out) {
            Ok(Compressed::Yes) => Some(out.to_vec()),
            Ok(Compressed::No) => None,
            Err(e) => return Ok(vec![format!("message {i}: {e}")]),
        };
        let want = want.as_ref().map(BytesSpec::to_bytes).transpose()?;
        if got != want {
            failures.push(format!(
                "message {i}: compressed to {}, expected {}",
                got.as_deref().map_or("uncompressed".into(), show_bytes),
                want.as_deref().map_or("uncompressed".into(), show_bytes)
            ));
        }
    }
    Ok(failures)
}

fn run_negotiate(v: &Vector) -> Result<Vec<String>, String> {
    let offer = String::from_utf8(v.input.to_bytes()?).map_err(|e| e.to_string())?;
    let exp: ExpectNegotiate =
        serde_json::from_value(v.expect.clone()).map_err(|e| e.to_string())?;
    let got = server_negotiate_str(&DeflateConfig::default(), &offer);
    Ok(match (got, exp.malformed) {
        (Err(_), true) => vec![],
        (Err(e), false) => vec![format!("offer {offer:?} refused as malformed: {e}")],
        (Ok(p), true) => vec![format!(
            "offer {offer:?} accepted as {:?}, expected a malformed-header error",
            p.map(|p| p.to_string())
        )],
        (Ok(p), false) => {
            let p = p.map(|p| p.to_string());
            if p == exp.response {
                vec![]
            } else {
                vec![format!(
                    "offer {offer:?}: response {p:?}, expected {:?}",
                    exp.response
                )]
            }
        }
    })
}
