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
pub fn drive<D: Decoder>(
    mut decoder: D,
    reads: &[Vec<u8>],
    mode: Mode,
) -> Decoded<D::Item, D::Error> {
    let total: usize = reads.iter().map(Vec::len).sum();
    let max_items = total + 16;
    let mut items = Vec::new();
    let mut buf = BytesMut::new();
    let chunks: Vec<&[u8]> = match mode {
        Mode::OneRead => {
            let mut all = Vec::with_capacity(total);
            for r in reads {
                all.extend_from_slice(r);
            }
            buf.extend_from_slice(&all);
            Vec::new()
        }
        Mode::ByteByByte => reads.iter().flat_map(|r| r.chunks(1)).collect(),
        Mode::AsSplit => reads.iter().map(Vec::as_slice).collect(),
    };
    let pump =
        |decoder: &mut D, buf: &mut BytesMut, items: &mut Vec<D::Item>| -> Result<(), D::Error> {
            while items.len() < max_items {
                match decoder.decode(buf)? {
                    Some(item) => items.push(item),
                    None => break,
                }
            }
            Ok(())
        };
    if mode == Mode::OneRead {
        if let Err(e) = pump(&mut decoder, &mut buf, &mut items) {
            return Decoded {
                items,
                error: Some(e),
            };
        }
    }
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        if let Err(e) = pump(&mut decoder, &mut buf, &mut items) {
            return Decoded {
                items,
                error: Some(e),
            };
        }
    }
    while items.len() < max_items {
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
