#!/usr/bin/env bash
# The codec's one audited `unsafe` module (codec/src/ws/mask/simd.rs) and
# the safe paths around it, under miri: the mask tests (every length
# 0..=256 at two alignments, the block kernels, extend_masked) on the scalar
# and portable paths. Miri does not report AVX2, so the dispatch takes the
# portable loop there; the AVX2 copy is the same safe source, tested
# natively by `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "miri-mask: the nightly toolchain is required; none is installed" >&2
  exit 1
fi
rustup component add --toolchain nightly miri rust-src >/dev/null 2>&1 || true
cargo +nightly miri setup
cargo +nightly miri test -p pushcodec --lib ws::mask
