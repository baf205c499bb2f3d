//! Where the line ends are: the CR and LF bytes of the read buffer, found
//! 64 bytes at a time as a bit mask (how bytes are found; what a line end
//! *means* is `line.rs`).
//!
//! ```text
//!   bytes   i d :   7 \n d a t a :   h i \n \n ...   (one 64-byte block)
//!   ends    0 0 0 0 0 1  0 0 0 0 0 0 0 0 1  1 ...   bit i = byte i is CR/LF
//!   lines   [0, 5)        [6, 14)            [15, 15) ...
//! ```
//!
//! A block costs four 16-byte compares (the `wide` crate: SSE2 on x86-64,
//! NEON on aarch64, scalar elsewhere; a safe API), after which every line
//! end in it is a `trailing_zeros` away: the short lines of an event stream
//! cost a few instructions each, where a `memchr2` call per line costs its
//! set-up. A line that runs on past two blocks is finished with `memchr2`
//! (runtime-selected AVX2), faster per byte on long runs; a tail of a few
//! bytes (small reads) is checked byte by byte.

use wide::u8x16;

/// Bytes per block.
const BLOCK: usize = 64;

/// `LineEnds::base` before a block is loaded: far from any position, so
/// that `from.wrapping_sub(base) < BLOCK` is false for every `from`.
const UNLOADED: usize = usize::MAX / 2;

/// At most this many bytes left: checked byte by byte, no block is loaded.
const SHORT_TAIL: usize = 16;

/// CR-or-LF mask of 16 bytes: bit `i` is byte `i`.
#[inline(always)]
fn mask16(bytes: [u8; 16]) -> u64 {
    let v = u8x16::new(bytes);
    let ends = v.cmp_eq(u8x16::splat(b'\n')) | v.cmp_eq(u8x16::splat(b'\r'));
    u64::from(ends.move_mask() as u16)
}

/// CR-or-LF mask of a block: bit `i` is byte `i`.
#[inline]
fn block_mask(block: &[u8; BLOCK]) -> u64 {
    let mut ends = 0;
    for (i, chunk) in block.chunks_exact(16).enumerate() {
        ends |= mask16(<[u8; 16]>::try_from(chunk).unwrap_or_default()) << (16 * i);
    }
    ends
}

/// Position of the first CR or LF in `hay`, byte by byte (short input).
#[inline]
fn find_short(hay: &[u8]) -> Option<usize> {
    let found = hay.iter().position(|&b| b == b'\n' || b == b'\r');
    count_scanned(found.map_or(hay.len(), |p| p + 1));
    found
}

#[cfg(test)]
thread_local! {
    /// Bytes examined by this thread's scans (for the linear-time test).
    static SCANNED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[inline(always)]
fn count_scanned(_n: usize) {
    #[cfg(test)]
    SCANNED.with(|s| s.set(s.get() + _n));
}

/// Bytes examined by this thread's scans since the last call.
#[cfg(test)]
pub(crate) fn scanned_reset() -> usize {
    SCANNED.with(|s| s.replace(0))
}

/// A cursor over the CR/LF bytes of one buffer, for positions that mostly
/// grow (a smaller or far position reloads the block there). It lives for
/// one `decode` call: the buffer cannot change while it is borrowed.
pub(crate) struct LineEnds<'a> {
    buf: &'a [u8],
    /// Start of the loaded block (`UNLOADED`: none yet).
    base: usize,
    /// CR/LF mask of the loaded block.
    ends: u64,
}

impl<'a> LineEnds<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        LineEnds {
            buf,
            base: UNLOADED,
            ends: 0,
        }
    }

    /// Loads the block at `at` (< `buf.len()`); past the end of `buf` it is
    /// padded with zeros (not CR/LF).
    #[inline]
    fn load(&mut self, at: usize) {
        self.base = at;
        count_scanned(BLOCK.min(self.buf.len() - at));
        self.ends = match self.buf.get(at..at + BLOCK) {
            // `get` gave exactly BLOCK bytes: the conversion cannot fail.
            Some(block) => <&[u8; BLOCK]>::try_from(block).map_or(0, block_mask),
            None => {
                let rest = &self.buf[at..];
                let mut b = [0; BLOCK];
                b[..rest.len()].copy_from_slice(rest);
                block_mask(&b)
            }
        };
    }

    /// The first CR or LF at or after `from`.
    #[inline(always)]
    pub(crate) fn find(&mut self, from: usize) -> Option<usize> {
        // In the loaded block (the usual case: the line after the last one).
        // Past the end of the buffer a block's bits are 0 (padding), and
        // the search below stops at the end: no separate check is needed.
        let rel = from.wrapping_sub(self.base);
        if rel < BLOCK {
            let ends = self.ends & (!0u64 << rel);
            if ends != 0 {
                return Some(self.base + ends.trailing_zeros() as usize);
            }
        }
        self.find_from_next_block(from)
    }

    /// The rest of [`LineEnds::find`]: past the loaded block.
    #[inline]
    fn find_from_next_block(&mut self, from: usize) -> Option<usize> {
        let len = self.buf.len();
        if from >= len {
            return None;
        }
        let loaded = from.wrapping_sub(self.base) < BLOCK;
        if !loaded {
            if len - from <= SHORT_TAIL {
                return find_short(&self.buf[from..]).map(|p| from + p);
            }
            self.load(from);
        }
        let mut rel = from - self.base;
        let mut blocks = 0;
        loop {
            let ends = self.ends & (!0u64 << rel);
            if ends != 0 {
                return Some(self.base + ends.trailing_zeros() as usize);
            }
            let next = self.base + BLOCK;
            if next >= len {
                return None;
            }
            blocks += 1;
            if blocks == 2 {
                // A long line: the rest with memchr2.
                let found = memchr::memchr2(b'\n', b'\r', &self.buf[next..]);
                count_scanned(found.map_or(len - next, |p| p + 1));
                return found.map(|p| next + p);
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
    /// positions, across the short-tail, block and memchr2 hand-overs.
    #[test]
    fn find_agrees_with_a_naive_search() {
        let naive = |h: &[u8], from: usize| {
            h.get(from..)?
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
                    let found = ends.find(from);
                    assert_eq!(found, naive(&h, from), "len {len} seed {seed} from {from}");
                    found
                };
                // Line by line, as the decoder walks.
                let mut ends = LineEnds::new(&h);
                let mut pos = 0;
                while let Some(end) = check(&mut ends, pos) {
                    pos = end + 1;
                }
                // Every start, fresh and reused cursors, and past the end.
                let mut reused = LineEnds::new(&h);
                for from in (0..=len + 1).rev() {
                    check(&mut LineEnds::new(&h), from);
                    check(&mut reused, from);
                }
            }
        }
    }
}
