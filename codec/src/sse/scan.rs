//! The line-end scanner of the SSE fast path: where the CR and LF bytes
//! are, and which bytes are not ASCII, 64 bytes at a time, as bit masks.
//!
//! ```text
//!   bytes   i d :   7 \n d a t a :   h i \n \n ...   (one 64-byte block)
//!   ends    0 0 0 0 0 1  0 0 0 0 0 0 0 0 1  1 ...   bit i = byte i is CR/LF
//!   lines   [0, 5)        [6, 14)            [15, 15) ...
//! ```
//!
//! A block costs four 16-byte compares (the `wide` crate: SSE2 on x86-64,
//! NEON on aarch64, scalar elsewhere; a safe API, so the crate stays
//! `#![forbid(unsafe_code)]`), after which every line end in it is a
//! `trailing_zeros` away. Per call, `memchr2` has a set-up cost that
//! dominates on short lines (callgrind, 20-line events of 66-byte lines:
//! ~150 instructions per line with `memchr2`). A line that runs on for
//! more than two blocks is finished with `memchr2`, which is faster per byte
//! on long runs.

use wide::u8x16;

/// Bytes per block.
const BLOCK: usize = 64;

/// CR-or-LF mask and high-bit (non-ASCII) mask of 16 bytes.
#[inline(always)]
fn masks16(bytes: [u8; 16]) -> (u64, u64) {
    let v = u8x16::new(bytes);
    let ends = v.cmp_eq(u8x16::splat(b'\n')) | v.cmp_eq(u8x16::splat(b'\r'));
    (
        u64::from(ends.move_mask() as u16),
        u64::from(v.move_mask() as u16),
    )
}

/// CR-or-LF mask and high-bit mask of a block: bit `i` is byte `i`.
#[inline]
pub(crate) fn block_masks(block: &[u8; BLOCK]) -> (u64, u64) {
    let mut ends = 0;
    let mut high = 0;
    for (i, chunk) in block.chunks_exact(16).enumerate() {
        let (e, h) = masks16(<[u8; 16]>::try_from(chunk).unwrap_or_default());
        ends |= e << (16 * i);
        high |= h << (16 * i);
    }
    (ends, high)
}

/// A cursor over the line ends of `buf`, for positions that only grow (a
/// smaller or far position reloads the block there).
pub(crate) struct LineEnds<'a> {
    buf: &'a [u8],
    /// Start of the loaded block (`usize::MAX`: none yet).
    base: usize,
    ends: u64,
    high: u64,
}

impl<'a> LineEnds<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        LineEnds {
            buf,
            base: usize::MAX,
            ends: 0,
            high: 0,
        }
    }

    /// Loads the block at `at` (< `buf.len()`); past the end of `buf` it is
    /// padded with zeros (neither CR/LF nor non-ASCII).
    fn load(&mut self, at: usize) {
        self.base = at;
        (self.ends, self.high) = match self.buf.get(at..at + BLOCK) {
            // `get` gave exactly BLOCK bytes: the conversion cannot fail.
            Some(block) => <&[u8; BLOCK]>::try_from(block).map_or((0, 0), block_masks),
            None => {
                let rest = &self.buf[at..];
                let mut b = [0; BLOCK];
                b[..rest.len()].copy_from_slice(rest);
                block_masks(&b)
            }
        };
    }

    /// The first CR or LF at or after `from`, and whether every byte from
    /// `from` up to it is ASCII (`false` also means "not checked": the part
    /// found by `memchr2`).
    #[inline]
    pub(crate) fn find(&mut self, from: usize) -> (Option<usize>, bool) {
        if from >= self.buf.len() {
            return (None, false);
        }
        if from < self.base || from - self.base >= BLOCK {
            self.load(from);
        }
        let mut rel = from - self.base;
        let mut high = 0;
        let mut blocks = 0;
        loop {
            let from_rel = !0u64 << rel;
            let ends = self.ends & from_rel;
            if ends != 0 {
                let at = ends.trailing_zeros() as usize;
                // Bits rel..at: the line's bytes in this block.
                high |= self.high & from_rel & !(!0u64 << at);
                return (Some(self.base + at), high == 0);
            }
            high |= self.high & from_rel;
            let next = self.base + BLOCK;
            if next >= self.buf.len() {
                return (None, false);
            }
            blocks += 1;
            if blocks == 2 {
                // A long line: the rest with memchr2.
                let found = memchr::memchr2(b'\n', b'\r', &self.buf[next..]);
                return (found.map(|p| next + p), false);
            }
            self.load(next);
            rel = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic bytes rich in CR, LF, non-ASCII and their look-alikes.
    fn bytes(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match x % 16 {
                    0 => b'\n',
                    1 => b'\r',
                    2 => 0x8A,
                    3 => 0x8D,
                    4 => 0,
                    5 => 0xFF,
                    6 => b'\n' + 1,
                    _ => b'a' + (x % 26) as u8,
                }
            })
            .collect()
    }

    /// `find` agrees with a byte-by-byte search from every start, walked
    /// forward as the decoder walks (line by line) and from arbitrary
    /// positions; its ASCII flag is never wrong when true, and exact when
    /// the line end is in the first two blocks.
    #[test]
    fn find_agrees_with_a_naive_search() {
        let naive = |h: &[u8], from: usize| {
            h[from..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
                .map(|p| from + p)
        };
        for len in 0..300 {
            for seed in 0..6u64 {
                let mut h = bytes(seed * 1000 + len as u64, len);
                if seed == 5 {
                    // Long runs without line ends (the memchr2 hand-over).
                    for b in h.iter_mut() {
                        if *b == b'\n' || *b == b'\r' {
                            *b = b'x';
                        }
                    }
                    if len > 0 {
                        h[len - 1] = b'\n';
                    }
                }
                let check = |ends: &mut LineEnds, from: usize| {
                    let (found, ascii) = ends.find(from);
                    assert_eq!(found, naive(&h, from), "len {len} seed {seed} from {from}");
                    if let Some(end) = found {
                        assert!(!ascii || h[from..end].is_ascii());
                        if end - from < BLOCK {
                            assert_eq!(ascii, h[from..end].is_ascii(), "from {from}");
                        }
                    }
                    found
                };
                // Line by line, as the fast path walks.
                let mut ends = LineEnds::new(&h);
                let mut pos = 0;
                while let Some(end) = check(&mut ends, pos) {
                    pos = end + 1;
                }
                // Every start, fresh and reused cursors.
                let mut reused = LineEnds::new(&h);
                for from in (0..=len).rev() {
                    check(&mut LineEnds::new(&h), from);
                    check(&mut reused, from);
                }
            }
        }
    }
}
