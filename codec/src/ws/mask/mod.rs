//! Payload masking (RFC 6455 §5.3).
//!
//! Every frame a client sends is masked: byte `i` of the payload is XORed
//! with byte `i % 4` of the frame's 32-bit masking key. Unmasking is the same
//! operation, so one function does both: the server unmasks what it reads
//! with it, and a client masks what it writes with it (a client copies each
//! payload into its write buffer once, since it cannot change the caller's
//! shared `Bytes`, and masks it there: see [`extend_masked`]).
//!
//! [`apply_mask`] picks its path by length:
//!
//! ```text
//!  buf: | head (< 32 B) | blocks of 64 B ..................... | tail (< 64 B) |
//!         scalar          vector: 64-byte key pattern XOR        scalar
//!         (to 32-byte     (AVX2 if the CPU has it, detected
//!          alignment)      at run time; otherwise the portable
//!                          loop, which the compiler vectorizes
//!                          for the baseline: SSE2 / NEON)
//! ```
//!
//! Below 256 bytes it is the scalar path alone: eight bytes at a time as a
//! `u64`, then the tail byte by byte. The vector path is safe Rust (a
//! fixed-size loop over `[u8; 64]` blocks); the only `unsafe` is the call to
//! its AVX2-compiled copy after the run-time check, in `ws/mask/simd.rs` (one
//! small module, tested under miri). [`apply_mask_naive`] is the obvious
//! byte loop every path is tested against, at every length 0..=256, every
//! start offset modulo 64 and every key phase. Why AVX2 and not AVX-512,
//! and the figures: BENCHMARKS.md, "Unmasking".

mod simd;

/// Bytes per block of the vector path (a whole number of key periods).
const BLOCK: usize = 64;
/// Buffers shorter than this take the scalar path alone: the vector path's
/// fixed cost (alignment head, run-time check, tail: ~110 instructions by
/// callgrind) is only paid back from a few hundred bytes (BENCHMARKS.md).
const VECTOR_MIN: usize = 256;
/// The vector path starts at this address alignment (one AVX2 register).
const ALIGN: usize = 32;

/// The key rotated so that its byte 0 applies to the byte at payload
/// offset `phase`.
#[inline]
fn rotate(key: [u8; 4], phase: usize) -> [u8; 4] {
    let p = phase % 4;
    [key[p], key[(p + 1) % 4], key[(p + 2) % 4], key[(p + 3) % 4]]
}

/// XORs `buf` with the repeating 4-byte `key`, starting at key byte
/// `phase % 4` (the phase is the payload offset of `buf[0]`, for callers that
/// unmask a payload in pieces).
///
/// ```
/// use pushcodec::ws::mask::apply_mask;
/// let key = [1, 2, 3, 4];
/// let mut data = *b"Hello, world";
/// apply_mask(&mut data, key, 0);
/// assert_ne!(&data, b"Hello, world");
/// apply_mask(&mut data, key, 0); // masking twice restores the data
/// assert_eq!(&data, b"Hello, world");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], phase: usize) {
    let rotated = rotate(key, phase);
    if buf.len() < VECTOR_MIN {
        scalar(buf, rotated);
    } else {
        vector(buf, rotated);
    }
}

/// The scalar path: `rotated[0]` applies to `buf[0]`.
#[inline]
fn scalar(buf: &mut [u8], rotated: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        rotated[0], rotated[1], rotated[2], rotated[3], rotated[0], rotated[1], rotated[2],
        rotated[3],
    ]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let masked = u64::from_ne_bytes(word) ^ wide;
        chunk.copy_from_slice(&masked.to_ne_bytes());
    }
    // Each 8-byte chunk consumed a whole number of key periods, so the tail
    // starts again at rotated[0].
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= rotated[i % 4];
    }
}

/// The vector path (`buf` at least `VECTOR_MIN` long): a scalar head up to
/// `ALIGN`, whole blocks, a scalar tail.
#[inline(never)]
fn vector(buf: &mut [u8], rotated: [u8; 4]) {
    // `align_offset` on a byte pointer is always computable (< ALIGN); the
    // `min` only keeps the split in bounds whatever it returns.
    let head = buf.as_ptr().align_offset(ALIGN).min(buf.len());
    let (h, rest) = buf.split_at_mut(head);
    scalar(h, rotated);
    let rotated = rotate(rotated, head);
    let blocks = rest.len() - rest.len() % BLOCK;
    let (body, tail) = rest.split_at_mut(blocks);
    simd::xor_blocks(body, rotated);
    // `blocks` is a multiple of 4: the tail starts at rotated[0] again.
    scalar(tail, rotated);
}

/// XORs each `BLOCK`-byte block of `blocks` (a multiple of `BLOCK` long)
/// with the key repeated (`rotated[0]` applies to `blocks[0]`). Written so
/// that the compiler vectorizes it for whatever target features it is
/// compiled with (`simd` compiles it again with AVX2): the pattern becomes
/// one broadcast register, each block a few loads, XORs and stores.
#[inline(always)]
fn xor_blocks_portable(blocks: &mut [u8], rotated: [u8; 4]) {
    let mut pattern = [0u8; BLOCK];
    for word in pattern.chunks_exact_mut(4) {
        word.copy_from_slice(&rotated);
    }
    for block in blocks.chunks_exact_mut(BLOCK) {
        for (b, p) in block.iter_mut().zip(&pattern) {
            *b ^= *p;
        }
    }
}

/// Appends `src` to `dst` masked with `key` from payload offset `phase`:
/// the one copy a client makes of an outgoing payload. It copies and masks
/// 4 KiB at a time, so the XOR pass reads what the copy just wrote while it
/// is still in the L1 cache.
///
/// ```
/// use bytes::BytesMut;
/// use pushcodec::ws::mask::{apply_mask_naive, extend_masked};
/// let mut wire = BytesMut::from(&b"hdr"[..]);
/// extend_masked(&mut wire, b"Hello", [1, 2, 3, 4], 0);
/// let mut payload = wire.split_off(3);
/// apply_mask_naive(&mut payload, [1, 2, 3, 4], 0);
/// assert_eq!(&payload[..], b"Hello");
/// ```
pub fn extend_masked(dst: &mut bytes::BytesMut, src: &[u8], key: [u8; 4], phase: usize) {
    const STEP: usize = 4096;
    dst.reserve(src.len());
    for (i, piece) in src.chunks(STEP).enumerate() {
        let start = dst.len();
        dst.extend_from_slice(piece);
        apply_mask(&mut dst[start..], key, phase + i * STEP);
    }
}

/// The reference implementation: one byte at a time.
///
/// ```
/// use pushcodec::ws::mask::{apply_mask, apply_mask_naive};
/// let mut a = [7u8; 13];
/// let mut b = a;
/// apply_mask(&mut a, [9, 8, 7, 6], 3);
/// apply_mask_naive(&mut b, [9, 8, 7, 6], 3);
/// assert_eq!(a, b);
/// ```
pub fn apply_mask_naive(buf: &mut [u8], key: [u8; 4], phase: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(i + phase) % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length, start offset and phase a test runs: all of them
    /// natively; under miri (slow) every length at two offsets, one phase.
    fn cases() -> impl Iterator<Item = (usize, usize, usize)> {
        let offsets: Vec<usize> = if cfg!(miri) {
            vec![0, 1]
        } else {
            (0..64).collect()
        };
        let phases: Vec<usize> = if cfg!(miri) {
            vec![1]
        } else {
            (0..8).collect()
        };
        let mut all = Vec::new();
        for len in 0..=256 {
            for &off in &offsets {
                for &ph in &phases {
                    all.push((len, off, ph));
                }
            }
        }
        all.into_iter()
    }

    /// A buffer whose byte `start` sits at an address ≡ `off` (mod 64), so
    /// "every alignment" does not depend on where the allocator put it.
    fn at_offset(backing: &[u8], off: usize) -> usize {
        let misalign = backing.as_ptr() as usize % 64;
        (64 + off - misalign) % 64
    }

    /// The fast path (scalar below 256 bytes, head + vector blocks + tail
    /// above) == the naive loop at every length 0..=256, every address
    /// alignment mod 64 and every key phase 0..8; bytes around the slice
    /// are untouched.
    #[test]
    fn fast_path_matches_naive_at_every_length_alignment_and_phase() {
        let key = [0xA5, 0x3C, 0x0F, 0xF0];
        let input: Vec<u8> = (0..256u32).map(|i| (i * 37 + 11) as u8).collect();
        for (len, off, phase) in cases() {
            let mut want = input[..len].to_vec();
            apply_mask_naive(&mut want, key, phase);
            let mut backing = vec![0xEE_u8; 400];
            let s = at_offset(&backing, off);
            backing[s..s + len].copy_from_slice(&input[..len]);
            apply_mask(&mut backing[s..s + len], key, phase);
            assert_eq!(
                backing[s..s + len],
                want[..],
                "len {len} off {off} phase {phase}"
            );
            assert!(
                backing[..s]
                    .iter()
                    .chain(&backing[s + len..])
                    .all(|&b| b == 0xEE),
                "bytes outside the slice changed: len {len} off {off} phase {phase}"
            );
        }
    }

    /// The block kernel on each path the machine has (the run-time choice,
    /// and the portable loop) == the naive loop, for every block count
    /// 0..=4 at several address alignments mod 64 and every pattern phase.
    #[test]
    fn block_kernels_match_naive() {
        let input: Vec<u8> = (0..256u32).map(|i| (i * 91 + 5) as u8).collect();
        type Kernel = fn(&mut [u8], [u8; 4]);
        let kernels: [(&str, Kernel); 2] = [
            ("dispatch", simd::xor_blocks),
            ("portable", |b, k| xor_blocks_portable(b, k)),
        ];
        for phase in 0..4 {
            let key = rotate([1, 0x80, 0x7f, 0xff], phase);
            for blocks in 0..=4 {
                let len = blocks * BLOCK;
                let mut want = input[..len].to_vec();
                apply_mask_naive(&mut want, key, 0);
                for off in [0, 1, 7, 31, 32, 63] {
                    for (name, kernel) in kernels {
                        let mut backing = vec![0xEE_u8; 400];
                        let s = at_offset(&backing, off);
                        backing[s..s + len].copy_from_slice(&input[..len]);
                        kernel(&mut backing[s..s + len], key);
                        assert_eq!(
                            backing[s..s + len],
                            want[..],
                            "{name} blocks {blocks} off {off}"
                        );
                        assert!(backing[..s]
                            .iter()
                            .chain(&backing[s + len..])
                            .all(|&b| b == 0xEE));
                    }
                }
            }
        }
    }

    /// `extend_masked` == copy then naive mask, at lengths around its 4 KiB
    /// step and every phase.
    #[test]
    fn extend_masked_matches_copy_then_naive() {
        let src: Vec<u8> = (0..9000u32).map(|i| (i * 13 + 1) as u8).collect();
        let lens: &[usize] = if cfg!(miri) {
            &[0, 1, 130, 4097]
        } else {
            &[
                0, 1, 3, 127, 128, 129, 4095, 4096, 4097, 8191, 8192, 8193, 9000,
            ]
        };
        for &len in lens {
            for phase in 0..4 {
                let mut dst = bytes::BytesMut::from(&b"head"[..]);
                extend_masked(&mut dst, &src[..len], [9, 8, 7, 6], phase);
                let mut want = src[..len].to_vec();
                apply_mask_naive(&mut want, [9, 8, 7, 6], phase);
                assert_eq!(&dst[..4], b"head");
                assert_eq!(dst[4..], want[..], "len {len} phase {phase}");
            }
        }
    }

    /// Unmasking in two pieces with the right phase equals unmasking at once.
    #[test]
    fn split_unmask_with_phase_equals_whole() {
        let key = [1, 2, 3, 4];
        let data: Vec<u8> = (0..50u8).collect();
        for cut in 0..=data.len() {
            let mut whole = data.clone();
            apply_mask(&mut whole, key, 0);
            let mut parts = data.clone();
            let (a, b) = parts.split_at_mut(cut);
            apply_mask(a, key, 0);
            apply_mask(b, key, cut);
            assert_eq!(whole, parts, "cut {cut}");
        }
    }

    /// RFC 6455 §5.7: a masked "Hello" with key 37 fa 21 3d.
    #[test]
    fn rfc6455_5_7_masked_hello() {
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }
}
