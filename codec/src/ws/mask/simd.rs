//! One of the crate's two audited `unsafe` modules (the other is
//! `utf8_bytes.rs`): calling the AVX2-compiled copy of the block kernel
//! once the CPU is known to have AVX2.
//!
//! The kernel itself is safe Rust ([`super::xor_blocks_portable`]: indexes
//! checked, no pointers, no intrinsics); `#[target_feature(enable = "avx2")]`
//! only lets the compiler vectorize it with 32-byte registers. Calling such
//! a function is `unsafe` (on Rust 1.85, our MSRV, for every caller; from
//! 1.86 still for a caller not compiled with the feature) because running
//! AVX2 instructions on a CPU without them is undefined behaviour. The
//! run-time check right before the call is what makes it sound.
//!
//! Not here, by measurement (BENCHMARKS.md, "Unmasking"): an AVX-512 copy
//! (no faster than AVX2 on this Xeon at 4 KiB–16 MiB, and its target
//! feature needs Rust 1.89); an SSE2 copy (the baseline of x86-64: the
//! portable loop already compiles to it); NEON (the baseline of aarch64,
//! likewise).
#![allow(unsafe_code)]

use super::xor_blocks_portable;

/// [`xor_blocks_portable`] with the widest vectors the CPU has (AVX2, else
/// the target's baseline).
#[inline]
pub(super) fn xor_blocks(blocks: &mut [u8], rotated: [u8; 4]) {
    #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: `xor_blocks_avx2` only requires that the CPU executes
        // AVX2 instructions, which `is_x86_feature_detected!` has just
        // confirmed at run time. Its body is safe code (bounds-checked
        // slices), so no other obligation exists.
        unsafe { xor_blocks_avx2(blocks, rotated) };
        return;
    }
    xor_blocks_portable(blocks, rotated);
}

/// [`xor_blocks_portable`] compiled with AVX2 enabled.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
#[target_feature(enable = "avx2")]
unsafe fn xor_blocks_avx2(blocks: &mut [u8], rotated: [u8; 4]) {
    xor_blocks_portable(blocks, rotated);
}
