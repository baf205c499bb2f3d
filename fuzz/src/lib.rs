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
//!   no limits), which `sse_differential` runs against `SseDecoder`.
//!
//! Nothing here uses pushcodec's own code: the reference must stay
//! independent of what it checks.

#![forbid(unsafe_code)]

/// An in-memory transport for the async targets: reads hand out the given
/// chunks one by one (then EOF), writes accept at most `write_limit` bytes
/// per call and are kept in `written`; after `shutdown` writes fail.
#[derive(Debug)]
pub struct Peer {
    reads: std::collections::VecDeque<Vec<u8>>,
    /// Everything written so far.
    pub written: Vec<u8>,
    write_limit: usize,
    shut_down: bool,
}

impl Peer {
    /// A peer that sends `reads` (one read each) and accepts writes of at
    /// most `write_limit` bytes (at least 1) per call.
    pub fn new(reads: Vec<&[u8]>, write_limit: usize) -> Peer {
        Peer {
            reads: reads.into_iter().map(<[u8]>::to_vec).collect(),
            written: Vec::new(),
            write_limit: write_limit.max(1),
            shut_down: false,
        }
    }
}

impl tokio::io::AsyncRead for Peer {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if let Some(mut chunk) = self.reads.pop_front() {
            let n = chunk.len().min(buf.remaining());
            buf.put_slice(&chunk[..n]);
            if n < chunk.len() {
                chunk.drain(..n);
                self.reads.push_front(chunk);
            }
        }
        std::task::Poll::Ready(Ok(())) // nothing put: EOF
    }
}

impl tokio::io::AsyncWrite for Peer {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.shut_down {
            return std::task::Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        let n = buf.len().min(self.write_limit);
        self.written.extend_from_slice(&buf[..n]);
        std::task::Poll::Ready(Ok(n))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.shut_down = true;
        std::task::Poll::Ready(Ok(()))
    }
}

/// Cuts `data` into reads according to `seed`:
///
/// | `seed & 3` | reads |
/// | --- | --- |
/// | 0 | one read |
/// | 1 | one byte per read |
/// | 2 | pseudo-random sizes 1..=8 |
/// | 3 | pseudo-random sizes 1..=(seed >> 2) * 4 + 1 |
///
/// The cuts are deterministic in `(seed, data.len())`.
pub fn reads(seed: u8, data: &[u8]) -> Vec<&[u8]> {
    let max = match seed & 3 {
        0 => return if data.is_empty() { vec![] } else { vec![data] },
        1 => return data.chunks(1).collect(),
        2 => 8,
        _ => usize::from(seed >> 2) * 4 + 1,
    };
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ (u64::from(seed) << 32) ^ data.len() as u64;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = (state % max as u64) as usize + 1;
        let n = n.min(rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

/// Cuts `data` at the sizes in `sizes` (each taken as `1 + size % 64`,
/// cycling), for targets whose split comes from `arbitrary`.
pub fn reads_by_sizes<'a>(sizes: &[u8], data: &'a [u8]) -> Vec<&'a [u8]> {
    if sizes.is_empty() {
        return if data.is_empty() { vec![] } else { vec![data] };
    }
    let mut out = Vec::new();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = (1 + usize::from(sizes[i % sizes.len()]) % 64).min(rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
        i += 1;
    }
    out
}

/// A small limit from one byte: 0..=254 bytes mostly, with 255 meaning
/// "large" (`large`), so both the limit paths and the normal paths run.
pub fn limit(byte: u8, large: usize) -> usize {
    if byte == 255 {
        large
    } else {
        usize::from(byte)
    }
}

/// WHATWG Encoding Standard "UTF-8 decode": strips one leading BOM
/// (EF BB BF) and runs the UTF-8 decoder (Encoding §9.1.1) with error mode
/// "replacement" (each error emits U+FFFD). Written from the standard's
/// steps; it shares no code with `String::from_utf8_lossy`.
pub fn whatwg_utf8_decode(input: &[u8]) -> String {
    // "UTF-8 decode": 1. Let buffer be the result of peeking three bytes;
    // 2. if buffer is 0xEF 0xBB 0xBF, read three bytes from ioQueue.
    let bytes = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut out = String::new();
    // The decoder's state: "UTF-8 code point, UTF-8 bytes seen, UTF-8 bytes
    // needed, UTF-8 lower boundary, UTF-8 upper boundary".
    let mut code_point: u32 = 0;
    let mut bytes_seen: u32 = 0;
    let mut bytes_needed: u32 = 0;
    let mut lower: u8 = 0x80;
    let mut upper: u8 = 0xBF;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        i += 1;
        if bytes_needed == 0 {
            match byte {
                0x00..=0x7F => out.push(char::from(byte)),
                0xC2..=0xDF => {
                    bytes_needed = 1;
                    code_point = u32::from(byte & 0x1F);
                }
                0xE0..=0xEF => {
                    if byte == 0xE0 {
                        lower = 0xA0;
                    }
                    if byte == 0xED {
                        upper = 0x9F;
                    }
                    bytes_needed = 2;
                    code_point = u32::from(byte & 0xF);
                }
                0xF0..=0xF4 => {
                    if byte == 0xF0 {
                        lower = 0x90;
                    }
                    if byte == 0xF4 {
                        upper = 0x8F;
                    }
                    bytes_needed = 3;
                    code_point = u32::from(byte & 0x7);
                }
                _ => out.push('\u{FFFD}'),
            }
            continue;
        }
        if !(lower..=upper).contains(&byte) {
            // "set UTF-8 code point, UTF-8 bytes needed, and UTF-8 bytes seen
            // to 0, set UTF-8 lower boundary to 0x80, and UTF-8 upper
            // boundary to 0xBF. Restore byte to ioQueue. Return error."
            code_point = 0;
            bytes_needed = 0;
            bytes_seen = 0;
            lower = 0x80;
            upper = 0xBF;
            i -= 1;
            out.push('\u{FFFD}');
            continue;
        }
        lower = 0x80;
        upper = 0xBF;
        code_point = (code_point << 6) | u32::from(byte & 0x3F);
        bytes_seen += 1;
        if bytes_seen != bytes_needed {
            continue;
        }
        out.push(
            char::from_u32(code_point).expect("the boundaries exclude surrogates and > U+10FFFF"),
        );
        code_point = 0;
        bytes_needed = 0;
        bytes_seen = 0;
    }
    // "If byte is end-of-queue and UTF-8 bytes needed is not 0, set UTF-8
    // bytes needed to 0 and return error."
    if bytes_needed != 0 {
        out.push('\u{FFFD}');
    }
    out
}

/// What the reference interpretation of an event stream yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefItem {
    /// A dispatched event: type, data, lastEventId (§9.2.6 dispatch, steps
    /// 1–6 for web browsers).
    Event {
        /// The event's type (`message` unless the event type buffer is set).
        event_type: String,
        /// The event's data.
        data: String,
        /// The event source's last event ID string at dispatch.
        last_event_id: String,
    },
    /// A `retry` field whose value consists only of ASCII digits (the digits
    /// as written; the spec's integer has no bound).
    Retry(String),
    /// A comment line: the characters after the ':' with one leading space
    /// removed. The spec says "Ignore the line"; pushcodec can report them
    /// (`emit_comments`), with this rule, so the reference records them too.
    Comment(String),
}

/// The reference's result for a whole stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefOutput {
    /// Items in stream order.
    pub items: Vec<RefItem>,
    /// The event source's "last event ID string" after the last complete
    /// line (set on every dispatch, §9.2.6 dispatch step 1).
    pub last_event_id: String,
}

/// HTML §9.2.6 "Interpreting an event stream", for a complete stream (the
/// end of `stream` is the end of the file). No limits.
pub fn sse_reference(stream: &[u8]) -> RefOutput {
    // "Streams must be decoded using the UTF-8 decode algorithm."
    let text: Vec<char> = whatwg_utf8_decode(stream).chars().collect();

    // "The stream must then be parsed by reading everything line by line,
    // with a CRLF character pair, a single LF character not preceded by a
    // CR character, and a single CR character not followed by a LF
    // character being the ways in which a line can end."
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if c == '\r' {
            lines.push(std::mem::take(&mut current));
            if i + 1 < text.len() && text[i + 1] == '\n' {
                i += 1;
            }
        } else if c == '\n' {
            lines.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
        i += 1;
    }
    // "Once the end of the file is reached, any pending data must be
    // discarded": the unterminated `current` line is dropped.

    // "a data buffer, an event type buffer, and a last event ID buffer ...
    // must be initialized to the empty string."
    let mut data_buffer = String::new();
    let mut event_type_buffer = String::new();
    let mut last_event_id_buffer = String::new();
    // The event source's "last event ID string".
    let mut last_event_id_string = String::new();
    let mut out = RefOutput::default();

    for line in lines {
        // "If the line is empty (a blank line): Dispatch the event."
        if line.is_empty() {
            // 1. Set the last event ID string of the event source to the
            //    value of the last event ID buffer.
            last_event_id_string = last_event_id_buffer.clone();
            // 2. If the data buffer is an empty string, set the data buffer
            //    and the event type buffer to the empty string and return.
            if data_buffer.is_empty() {
                data_buffer.clear();
                event_type_buffer.clear();
                continue;
            }
            // 3. If the data buffer's last character is a LF, remove it.
            if data_buffer.ends_with('\n') {
                data_buffer.pop();
            }
            // 5. type `message`, data, lastEventId = last event ID string.
            // 6. If the event type buffer is not empty, use it as the type.
            let event_type = if event_type_buffer.is_empty() {
                "message".to_string()
            } else {
                event_type_buffer.clone()
            };
            out.items.push(RefItem::Event {
                event_type,
                data: data_buffer.clone(),
                last_event_id: last_event_id_string.clone(),
            });
            // 7. Set the data buffer and the event type buffer to the empty
            //    string.
            data_buffer.clear();
            event_type_buffer.clear();
            continue;
        }
        // "If the line starts with a U+003A COLON character (:): Ignore the
        // line." (recorded as a comment, see RefItem::Comment)
        if let Some(rest) = line.strip_prefix(':') {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            out.items.push(RefItem::Comment(rest.to_string()));
            continue;
        }
        // "If the line contains a U+003A COLON character": field is the
        // characters before the first colon, value the ones after it, minus
        // one leading space. "Otherwise": the whole line is the field name
        // and the value is empty.
        let (field, value) = match line.find(':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                let value = value.strip_prefix(' ').unwrap_or(value);
                (line[..colon].to_string(), value.to_string())
            }
            None => (line.clone(), String::new()),
        };
        // "Field names must be compared literally, with no case folding."
        if field == "event" {
            event_type_buffer = value;
        } else if field == "data" {
            data_buffer.push_str(&value);
            data_buffer.push('\n');
        } else if field == "id" {
            if !value.contains('\0') {
                last_event_id_buffer = value;
            }
        } else if field == "retry" {
            // "If the field value consists of only ASCII digits": an empty
            // value is no integer in base ten, so it is ignored (as browsers
            // do).
            if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
                out.items.push(RefItem::Retry(value));
            }
        }
        // "Otherwise: The field is ignored."
    }
    out.last_event_id = last_event_id_string;
    out
}

/// The integer of a `retry` value's digits, saturated at `u64::MAX` (the
/// representation limit pushcodec documents for `Duration::from_millis`).
pub fn retry_millis_saturating(digits: &str) -> u64 {
    digits.bytes().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    })
}

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
/// [`ref_header`] for when each rule fails.
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
/// [`ref_header`]: §5.4 fragmentation (a continuation only inside a
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
                    let (msgs, end) = ws_reference_messages(&input, server, max_frame, max_message, false);
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
