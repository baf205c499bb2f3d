//! Running WebSocket vectors: frames through `FrameCodec`, messages through
//! `MessageCodec`, the accept key, and handshakes through `handshake::accept`.

use crate::drive::{drive_until, show_bytes, Mode};
use crate::schema::{BytesSpec, Kind, Role, Vector};
use pushcodec::ws::{self, FrameCodec, MessageCodec, WebSocketConfig};
use serde::Deserialize;
use std::fmt;

/// The expected outcome of a `frames` or `messages` vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect<T> {
    items: Vec<T>,
    #[serde(default)]
    error: Option<ExpectError>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectError {
    /// The close code the error maps to; `null`: an error that maps to none
    /// (end of input without a Close, RFC 6455 §7.1.5: 1006, never sent).
    close_code: Option<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFrame {
    fin: bool,
    rsv: u8,
    opcode: u8,
    payload: BytesSpec,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum ExpectMessage {
    Text(String),
    Binary(BytesSpec),
    Ping(BytesSpec),
    Pong(BytesSpec),
    Close(Option<ExpectClose>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectClose {
    code: u16,
    reason: String,
}

/// A frame or message in a form both sides can be compared in.
#[derive(PartialEq, Eq)]
enum Seen {
    Frame {
        fin: bool,
        rsv: u8,
        opcode: u8,
        payload: Vec<u8>,
    },
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

impl fmt::Debug for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seen::Frame {
                fin,
                rsv,
                opcode,
                payload,
            } => write!(
                f,
                "Frame(fin={fin}, rsv={rsv:#05b}, opcode={opcode:#x}, payload={})",
                show_bytes(payload)
            ),
            Seen::Text(t) if t.len() <= 64 => write!(f, "Text({t:?})"),
            Seen::Text(t) => write!(f, "Text({})", show_bytes(t.as_bytes())),
            Seen::Binary(b) => write!(f, "Binary({})", show_bytes(b)),
            Seen::Ping(b) => write!(f, "Ping({})", show_bytes(b)),
            Seen::Pong(b) => write!(f, "Pong({})", show_bytes(b)),
            Seen::Close(None) => write!(f, "Close(no body)"),
            Seen::Close(Some((c, r))) => write!(f, "Close({c}, {r:?})"),
        }
    }
}

fn seen_frame(fr: ws::Frame) -> Seen {
    Seen::Frame {
        fin: fr.fin,
        rsv: fr.rsv,
        opcode: fr.opcode.as_u8(),
        payload: fr.payload.to_vec(),
    }
}

fn seen_message(m: ws::Message) -> Seen {
    match m {
        ws::Message::Text(t) => Seen::Text(t.as_str().to_owned()),
        ws::Message::Binary(b) => Seen::Binary(b.to_vec()),
        ws::Message::Ping(b) => Seen::Ping(b.to_vec()),
        ws::Message::Pong(b) => Seen::Pong(b.to_vec()),
        ws::Message::Close(c) => Seen::Close(c.map(|c| (c.code.0, c.reason.as_str().to_owned()))),
    }
}

fn expected_frame(e: &ExpectFrame) -> Result<Seen, String> {
    Ok(Seen::Frame {
        fin: e.fin,
        rsv: e.rsv,
        opcode: e.opcode,
        payload: e.payload.to_bytes()?,
    })
}

fn expected_message(e: &ExpectMessage) -> Result<Seen, String> {
    Ok(match e {
        ExpectMessage::Text(t) => Seen::Text(t.clone()),
        ExpectMessage::Binary(b) => Seen::Binary(b.to_bytes()?),
        ExpectMessage::Ping(b) => Seen::Ping(b.to_bytes()?),
        ExpectMessage::Pong(b) => Seen::Pong(b.to_bytes()?),
        ExpectMessage::Close(c) => Seen::Close(c.as_ref().map(|c| (c.code, c.reason.clone()))),
    })
}

fn role(v: &Vector) -> Result<ws::Role, String> {
    match v.role {
        Some(Role::Client) => Ok(ws::Role::Client),
        Some(Role::Server) => Ok(ws::Role::Server),
        None => Err("a frames/messages vector needs a role".into()),
    }
}

/// Compares what was decoded with what was expected; `Err` describes the
/// first difference.
fn compare(
    mode: Mode,
    got_items: Vec<Seen>,
    got_error: Option<ws::CodecError>,
    want_items: &[Seen],
    want_error: Option<&ExpectError>,
) -> Result<(), String> {
    if got_items != want_items {
        return Err(format!(
            "{mode}: decoded {got_items:?}{}, expected {want_items:?}",
            got_error
                .as_ref()
                .map(|e| format!(" then error \"{e}\""))
                .unwrap_or_default()
        ));
    }
    match (got_error, want_error) {
        (None, None) => Ok(()),
        (Some(e), None) => Err(format!(
            "{mode}: unexpected error \"{e}\" (close code {:?})",
            e.close_code()
        )),
        (None, Some(w)) => Err(format!(
            "{mode}: no error, expected one with close code {:?}",
            w.close_code
        )),
        (Some(e), Some(w)) => {
            let got = e.close_code().map(|c| c.0);
            if got == w.close_code {
                Ok(())
            } else {
                Err(format!(
                    "{mode}: error \"{e}\" maps to close code {got:?}, expected {:?}",
                    w.close_code
                ))
            }
        }
    }
}

/// Runs one `frames` or `messages` vector in every mode; returns the
/// failures (empty = passed).
pub fn run_codec_vector(v: &Vector) -> Vec<String> {
    match run_codec_vector_inner(v) {
        Ok(f) => f,
        Err(e) => vec![format!("bad vector: {e}")],
    }
}

fn modes(reads: &[Vec<u8>]) -> Vec<Mode> {
    let mut m = vec![Mode::OneRead, Mode::ByteByByte];
    if reads.len() > 1 {
        m.push(Mode::AsSplit);
    }
    m
}

fn run_codec_vector_inner(v: &Vector) -> Result<Vec<String>, String> {
    let reads = v.input.reads()?;
    let role = role(v)?;
    let mut failures = Vec::new();
    match v.kind {
        Kind::Frames => {
            if v.max_message_size.is_some() {
                return Err("max_message_size has no meaning for frames".into());
            }
            let exp: Expect<ExpectFrame> =
                serde_json::from_value(v.expect.clone()).map_err(|e| e.to_string())?;
            let want: Vec<Seen> = exp
                .items
                .iter()
                .map(expected_frame)
                .collect::<Result<_, _>>()?;
            for mode in modes(&reads) {
                let codec = match v.max_frame_size {
                    Some(n) => FrameCodec::new(role, n),
                    None => FrameCodec::new(role, ws::config::DEFAULT_MAX_FRAME_SIZE),
                };
                let d = drive_until(codec, &reads, mode, |f: &ws::Frame| {
                    f.opcode == ws::OpCode::Close
                });
                let got = d.items.into_iter().map(seen_frame).collect();
                if let Err(e) = compare(mode, got, d.error, &want, exp.error.as_ref()) {
                    failures.push(e);
                }
            }
        }
        Kind::Messages => {
            let exp: Expect<ExpectMessage> =
                serde_json::from_value(v.expect.clone()).map_err(|e| e.to_string())?;
            let want: Vec<Seen> = exp
                .items
                .iter()
                .map(expected_message)
                .collect::<Result<_, _>>()?;
            let mut builder = WebSocketConfig::builder();
            if let Some(n) = v.max_frame_size {
                builder = builder.max_frame_size(n);
            }
            if let Some(n) = v.max_message_size {
                builder = builder.max_message_size(n);
            }
            let config = builder.build();
            for mode in modes(&reads) {
                let d = drive_until(
                    MessageCodec::with_config(role, &config),
                    &reads,
                    mode,
                    |m: &ws::Message| matches!(m, ws::Message::Close(_)),
                );
                let got = d.items.into_iter().map(seen_message).collect();
                if let Err(e) = compare(mode, got, d.error, &want, exp.error.as_ref()) {
                    failures.push(e);
                }
            }
        }
        other => return Err(format!("kind {other:?} is not a codec vector")),
    }
    Ok(failures)
}
