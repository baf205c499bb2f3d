//! Feeding a vector's input to a [`Decoder`] in the three ways the runner
//! checks: all at once, one byte at a time, and read by read as the vector
//! splits it.

use bytes::BytesMut;
use std::fmt;
use tokio_util::codec::Decoder;

/// How the input reaches the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The whole input in one buffer, then `decode` until `None`.
    OneRead,
    /// One byte appended at a time, `decode` until `None` after each.
    ByteByByte,
    /// The vector's own reads, one after the other.
    AsSplit,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::OneRead => "one read",
            Mode::ByteByByte => "byte by byte",
            Mode::AsSplit => "as split",
        })
    }
}

/// What the decoder produced: items in order, then the first error if any
/// (decoding stops there, as `FramedRead` does).
#[derive(Debug)]
pub struct Decoded<T, E> {
    /// Items produced before the end or the error.
    pub items: Vec<T>,
    /// The error that stopped decoding.
    pub error: Option<E>,
}

/// Runs `decoder` over `reads` in `mode`, then `decode_eof` until `None`.
///
/// The number of items is bounded (input length + 16) so that a decoder that
/// returns items without consuming input cannot loop forever.
pub fn drive<D: Decoder>(decoder: D, reads: &[Vec<u8>], mode: Mode) -> Decoded<D::Item, D::Error> {
    drive_until(decoder, reads, mode, |_| false)
}

/// [`drive`], but stops at the first item for which `is_last` holds: nothing
/// after it is decoded and `decode_eof` is not called. A WebSocket endpoint
/// reads nothing after a Close frame (RFC 6455 §5.5.1: the closing handshake
/// ends the connection), so a vector whose input ends in a Close, perhaps
/// inside an unfinished fragmented message, says nothing about end of input.
pub fn drive_until<D: Decoder>(
    mut decoder: D,
    reads: &[Vec<u8>],
    mode: Mode,
    is_last: impl Fn(&D::Item) -> bool,
) -> Decoded<D::Item, D::Error> {
    let total: usize = reads.iter().map(Vec::len).sum();
    let max_items = total + 16;
    let chunks: Vec<Vec<u8>> = match mode {
        Mode::OneRead => vec![reads.concat()],
        Mode::ByteByByte => reads.concat().into_iter().map(|b| vec![b]).collect(),
        Mode::AsSplit => reads.to_vec(),
    };
    let mut items: Vec<D::Item> = Vec::new();
    let mut buf = BytesMut::new();
    let done =
        |items: &Vec<D::Item>| items.len() >= max_items || items.last().is_some_and(&is_last);
    for chunk in chunks {
        buf.extend_from_slice(&chunk);
        while !done(&items) {
            match decoder.decode(&mut buf) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(e) => {
                    return Decoded {
                        items,
                        error: Some(e),
                    }
                }
            }
        }
        if done(&items) {
            return Decoded { items, error: None };
        }
    }
    while !done(&items) {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => break,
            Err(e) => {
                return Decoded {
                    items,
                    error: Some(e),
                }
            }
        }
    }
    Decoded { items, error: None }
}

/// Short, readable rendering of bytes for failure messages: short payloads
/// in hex, long ones by length and a checksum.
pub fn show_bytes(b: &[u8]) -> String {
    if b.len() <= 32 {
        let hex: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
        format!("[{}]", hex.join(" "))
    } else {
        let sum = b.iter().fold(0u32, |acc, &x| {
            acc.wrapping_mul(31).wrapping_add(u32::from(x))
        });
        format!(
            "[{} bytes, first {:02x?}, checksum {sum:08x}]",
            b.len(),
            &b[..8]
        )
    }
}
