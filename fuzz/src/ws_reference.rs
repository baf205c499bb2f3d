//! A reference of RFC 6455 §5.2 framing and §5.4 message assembly,
//! written from the RFC (slow, obvious), for the differential targets.

/// A frame as the RFC 6455 §5.2 reference parser sees it (payload
/// unmasked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefFrame {
    /// FIN bit.
    pub fin: bool,
    /// RSV1..3 as `0b0xxx`.
    pub rsv: u8,
    /// The 4-bit opcode.
    pub opcode: u8,
    /// The unmasked payload.
    pub payload: Vec<u8>,
}

/// How a reference parse of a whole input ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefEnd {
    /// Every byte was consumed by complete frames.
    Clean,
    /// The input ends inside a frame that breaks no rule seen so far.
    Incomplete,
    /// A frame breaks rules; the close codes (RFC 6455 §7.4.1) of every
    /// rule it breaks: a decoder may report any one of them.
    Error(Vec<u16>),
}

/// One frame header as the reference reads it.
struct RefHeader {
    fin: bool,
    rsv: u8,
    opcode: u8,
    len: u64,
    key: Option<[u8; 4]>,
    header_len: usize,
}

/// The next frame header of `rest` (RFC 6455 §5.2), or how it ends.
///
/// Rules decidable from the first two bytes (reserved opcode §5.2, control
/// frame fragmented or with a payload length over 125 §5.5) fail as soon as
/// two bytes are there; the 64-bit length's top bit (§5.2) once the length
/// is there; the others (RSV bits §5.2, masking by role §5.1,
/// max_frame_size → 1009, and `extra`, the caller's header-time rules) once
/// the whole header is there.
fn ref_header(
    rest: &[u8],
    server_role: bool,
    allowed_rsv: u8,
    max_frame_size: u64,
    extra: impl Fn(u8, u64) -> Vec<u16>,
) -> Result<RefHeader, RefEnd> {
    if rest.is_empty() {
        return Err(RefEnd::Clean);
    }
    if rest.len() < 2 {
        return Err(RefEnd::Incomplete);
    }
    let fin = rest[0] & 0x80 != 0;
    let rsv = (rest[0] >> 4) & 0x7;
    let opcode = rest[0] & 0x0F;
    let masked = rest[1] & 0x80 != 0;
    let len7 = u64::from(rest[1] & 0x7F);
    let control = opcode >= 0x8;
    let mut early = Vec::new();
    if !matches!(opcode, 0x0 | 0x1 | 0x2 | 0x8 | 0x9 | 0xA) {
        early.push(1002); // §5.2 reserved opcode
    }
    if control && !fin {
        early.push(1002); // §5.5 control frames must not be fragmented
    }
    if control && len7 > 125 {
        early.push(1002); // §5.5 control payload length <= 125
    }
    if !early.is_empty() {
        return Err(RefEnd::Error(early));
    }
    let (len, len_bytes) = match len7 {
        126 => {
            if rest.len() < 4 {
                return Err(RefEnd::Incomplete);
            }
            (u64::from(rest[2]) << 8 | u64::from(rest[3]), 2)
        }
        127 => {
            if rest.len() < 10 {
                return Err(RefEnd::Incomplete);
            }
            let mut l = 0u64;
            for b in &rest[2..10] {
                l = l << 8 | u64::from(*b);
            }
            (l, 8)
        }
        n => (n, 0),
    };
    if len >> 63 != 0 {
        // §5.2 "the most significant bit MUST be 0": decidable once the
        // length bytes are there.
        return Err(RefEnd::Error(vec![1002]));
    }
    let header_len = 2 + len_bytes + if masked { 4 } else { 0 };
    if rest.len() < header_len {
        return Err(RefEnd::Incomplete);
    }
    let mut errors = Vec::new();
    if rsv & !allowed_rsv != 0 {
        errors.push(1002); // §5.2 RSV bits without a negotiated extension
    }
    if rsv != 0 && (opcode == 0 || opcode >= 8) {
        // RFC 7692 §6.1: a negotiated extension's bit (permessage-deflate's
        // RSV1) belongs on the first frame of a data message only, never on
        // a continuation or a control frame.
        errors.push(1002);
    }
    if server_role != masked {
        errors.push(1002); // §5.1 clients mask, servers do not
    }
    if len > max_frame_size {
        errors.push(1009); // §7.4.1 "too big to process"
    }
    errors.extend(extra(opcode, len));
    if !errors.is_empty() {
        return Err(RefEnd::Error(errors));
    }
    let key = masked.then(|| {
        let k = &rest[2 + len_bytes..2 + len_bytes + 4];
        [k[0], k[1], k[2], k[3]]
    });
    Ok(RefHeader {
        fin,
        rsv,
        opcode,
        len,
        key,
        header_len,
    })
}

/// The unmasked payload of a frame whose header is `h`, if all of it is in
/// `rest` (§5.3: byte i XOR key[i mod 4]).
fn ref_payload(rest: &[u8], h: &RefHeader) -> Option<Vec<u8>> {
    let len = usize::try_from(h.len).ok()?;
    let body = rest.get(h.header_len..)?.get(..len)?;
    Some(
        body.iter()
            .enumerate()
            .map(|(i, b)| match h.key {
                Some(k) => b ^ k[i % 4],
                None => *b,
            })
            .collect(),
    )
}

/// RFC 6455 §5.2 frame parsing as a slow, obvious reference, for a decoder
/// of `server_role` (true: reads masked client frames) accepting the RSV
/// bits in `allowed_rsv` and payloads up to `max_frame_size`. See
/// `ref_header` for when each rule fails.
pub fn ws_reference_frames(
    input: &[u8],
    server_role: bool,
    allowed_rsv: u8,
    max_frame_size: u64,
) -> (Vec<RefFrame>, RefEnd) {
    let mut frames = Vec::new();
    let mut pos = 0usize;
    loop {
        let rest = &input[pos..];
        let h = match ref_header(
            rest,
            server_role,
            allowed_rsv,
            max_frame_size,
            |_, _| vec![],
        ) {
            Ok(h) => h,
            Err(end) => return (frames, end),
        };
        let Some(payload) = ref_payload(rest, &h) else {
            return (frames, RefEnd::Incomplete);
        };
        pos += h.header_len + payload.len();
        frames.push(RefFrame {
            fin: h.fin,
            rsv: h.rsv,
            opcode: h.opcode,
            payload,
        });
    }
}

/// A message as the reference assembles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefMessage {
    /// A text message (valid UTF-8).
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A ping.
    Ping(Vec<u8>),
    /// A pong.
    Pong(Vec<u8>),
    /// A close frame: `None` for an empty body, else code and reason.
    Close(Option<(u16, String)>),
}

/// RFC 6455 message assembly as a slow, obvious reference, over
/// `ref_header`: §5.4 fragmentation (a continuation only inside a
/// message, a new data frame only outside one, control frames anywhere),
/// §5.6/§8.1 text is UTF-8 (1007 as soon as a fragment makes the text an
/// impossible prefix, or at the end if it is incomplete), §5.5.1 close
/// bodies (1 byte → 1002; a code not valid on the wire per §7.4 and the IANA
/// registry → 1002; a reason not UTF-8 → 1007), and max_message_size (1009)
/// checked from each data frame's header (size so far + this frame).
/// With `utf8_fail_fast`, text is also checked inside a frame that has not
/// fully arrived: input ending inside a text frame whose arrived bytes are
/// already an impossible prefix is 1007, not an incomplete frame.
pub fn ws_reference_messages(
    input: &[u8],
    server_role: bool,
    max_frame_size: u64,
    max_message_size: u64,
    utf8_fail_fast: bool,
) -> (Vec<RefMessage>, RefEnd) {
    let mut out = Vec::new();
    // (is_text, bytes so far) of the fragmented message in progress.
    let mut partial: Option<(bool, Vec<u8>)> = None;
    let mut pos = 0usize;
    loop {
        let rest = &input[pos..];
        let so_far = partial.as_ref().map_or(0, |p| p.1.len() as u64);
        let budget = |opcode: u8, len: u64| {
            if opcode < 0x8 && so_far.saturating_add(len) > max_message_size {
                vec![1009]
            } else {
                vec![]
            }
        };
        let h = match ref_header(rest, server_role, 0, max_frame_size, budget) {
            Ok(h) => h,
            // Input ending between frames but inside a fragmented message
            // is an unfinished message, not a clean end (RFC 6455 §7.1.5).
            Err(RefEnd::Clean) if partial.is_some() => return (out, RefEnd::Incomplete),
            Err(end) => return (out, end),
        };
        let Some(payload) = ref_payload(rest, &h) else {
            let text = match h.opcode {
                0x1 => partial.is_none(),
                0x0 => partial.as_ref().is_some_and(|p| p.0),
                _ => false,
            };
            if utf8_fail_fast && text {
                // The bytes of the frame that did arrive, unmasked.
                let arrived: Vec<u8> = rest
                    .get(h.header_len..)
                    .unwrap_or(&[])
                    .iter()
                    .enumerate()
                    .map(|(i, b)| h.key.map_or(*b, |k| b ^ k[i % 4]))
                    .collect();
                let mut prefix = match (&partial, h.opcode) {
                    (Some((_, buf)), 0x0) => buf.clone(),
                    _ => Vec::new(),
                };
                prefix.extend_from_slice(&arrived);
                if matches!(std::str::from_utf8(&prefix), Err(e) if e.error_len().is_some()) {
                    return (out, RefEnd::Error(vec![1007]));
                }
            }
            return (out, RefEnd::Incomplete);
        };
        pos += h.header_len + payload.len();
        match h.opcode {
            0x9 => out.push(RefMessage::Ping(payload)),
            0xA => out.push(RefMessage::Pong(payload)),
            0x8 => {
                if payload.is_empty() {
                    out.push(RefMessage::Close(None));
                    continue;
                }
                let mut errors = Vec::new();
                if payload.len() == 1 {
                    return (out, RefEnd::Error(vec![1002]));
                }
                let code = u16::from(payload[0]) << 8 | u16::from(payload[1]);
                // §7.4.1 defined codes minus 1004-1006 and 1015 (reserved,
                // never on the wire), IANA-registered 1012-1014, §7.4.2
                // 3000-4999 (libraries, frameworks, applications).
                let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
                if !valid {
                    errors.push(1002);
                }
                let reason = std::str::from_utf8(&payload[2..]);
                if reason.is_err() {
                    errors.push(1007);
                }
                if !errors.is_empty() {
                    return (out, RefEnd::Error(errors));
                }
                out.push(RefMessage::Close(Some((code, reason.unwrap().to_string()))));
            }
            0x1 | 0x2 => {
                if partial.is_some() {
                    return (out, RefEnd::Error(vec![1002]));
                }
                partial = Some((h.opcode == 0x1, Vec::new()));
                if let Some(end) = ref_append(&mut partial, &payload, h.fin, &mut out) {
                    return (out, end);
                }
            }
            _ => {
                if partial.is_none() {
                    return (out, RefEnd::Error(vec![1002]));
                }
                if let Some(end) = ref_append(&mut partial, &payload, h.fin, &mut out) {
                    return (out, end);
                }
            }
        }
    }
}

/// Appends a fragment to the message in progress; on FIN hands the message
/// out. Returns the error end if the text can no longer be UTF-8.
fn ref_append(
    partial: &mut Option<(bool, Vec<u8>)>,
    payload: &[u8],
    fin: bool,
    out: &mut Vec<RefMessage>,
) -> Option<RefEnd> {
    let (text, buf) = partial.as_mut().expect("a message in progress");
    buf.extend_from_slice(payload);
    if *text {
        match std::str::from_utf8(buf) {
            Ok(_) => {}
            // error_len() == None: the text ends inside a character, which
            // is only an error at the end of the message.
            Err(e) if e.error_len().is_none() && !fin => {}
            Err(_) => return Some(RefEnd::Error(vec![1007])),
        }
    }
    if fin {
        let (text, buf) = partial.take().expect("a message in progress");
        out.push(if text {
            RefMessage::Text(String::from_utf8(buf).expect("checked above"))
        } else {
            RefMessage::Binary(buf)
        });
    }
    None
}
