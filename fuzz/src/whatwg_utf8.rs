//! The WHATWG Encoding Standard's "UTF-8 decode" (BOM sniff + the UTF-8
//! decoder in replacement mode), written from the standard's steps, byte
//! by byte.

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
