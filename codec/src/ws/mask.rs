//! Payload masking (RFC 6455 §5.3).
//!
//! Every frame a client sends is masked: byte `i` of the payload is XORed
//! with byte `i % 4` of the frame's 32-bit masking key. Unmasking is the same
//! operation. [`apply_mask`] is the fast path: it XORs eight bytes at a time
//! as a `u64` (safe code: `chunks_exact_mut` + `u64::from_ne_bytes`, which the
//! compiler turns into plain 64-bit loads and stores), then finishes the tail
//! byte by byte. [`apply_mask_naive`] is the obvious byte loop the fast path
//! is tested against at every length 0..=64 and every key phase 0..8.

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
    let p = phase % 4;
    // Rotate the key so that rotated[0] applies to buf[0].
    let rotated = [key[p], key[(p + 1) % 4], key[(p + 2) % 4], key[(p + 3) % 4]];
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

    /// Fast path == naive loop at every length 0..=64, every start offset in
    /// the backing buffer (alignment) 0..8 and every key phase 0..8.
    #[test]
    fn fast_path_matches_naive_at_every_length_alignment_and_phase() {
        let key = [0xA5, 0x3C, 0x0F, 0xF0];
        let backing: Vec<u8> = (0..80u32).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..=64 {
            for align in 0..8 {
                for phase in 0..8 {
                    let mut fast = backing.clone();
                    let mut naive = backing.clone();
                    apply_mask(&mut fast[align..align + len], key, phase);
                    apply_mask_naive(&mut naive[align..align + len], key, phase);
                    assert_eq!(fast, naive, "len {len} align {align} phase {phase}");
                }
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
