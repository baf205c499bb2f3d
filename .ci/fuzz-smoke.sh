#!/usr/bin/env bash
# Fuzz smoke for CI (called by .ci/run): installs cargo-fuzz if missing
# (pinned), checks the fuzz crate's own references against the conformance
# vectors, builds every fuzz target on nightly and runs each for a short
# fixed time from its committed seeds and regression inputs. Fails on any
# crash, leak, timeout or build error. Also fails if the codec has unsafe
# code outside utf8_bytes.rs (that one block runs under miri in .ci/run).
#
#   FUZZ_SMOKE_SECONDS   seconds per target (default 20; 10 targets ≈ 4 min)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${FUZZ_SMOKE_SECONDS:-20}
CARGO_FUZZ_VERSION=0.13.2

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz-smoke: the nightly toolchain is required (cargo fuzz needs it); none is installed" >&2
  exit 1
fi
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  echo "fuzz-smoke: installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

# The codec denies unsafe code everywhere but its two audited modules, each
# with its own miri step: utf8_bytes.rs (`.ci/run` runs its tests under miri)
# and ws/mask/simd.rs (.ci/miri-mask.sh). Any other unsafe is a failure here.
audited='^codec/src/(utf8_bytes\.rs|ws/mask/simd\.rs)$'
if ! grep -q '^#!\[deny(unsafe_code)\]' codec/src/lib.rs \
  || grep -rlE '\bunsafe\s*(\{|fn|impl)' codec/src | grep -vE "$audited"; then
  echo "fuzz-smoke: unsafe code outside codec/src/utf8_bytes.rs and codec/src/ws/mask/simd.rs (or the crate no longer denies it)" >&2
  exit 1
fi

cd fuzz
if command -v python3 >/dev/null; then
  python3 gen_seeds.py
elif [ "${CI:-}" = "true" ]; then
  echo "fuzz-smoke: python3 is required to generate the seeds (CI=true: no skip)" >&2
  exit 1
else
  echo "fuzz-smoke: python3 missing: seeds not regenerated (not CI; under CI=true this fails)" >&2
fi

echo "fuzz-smoke: reference self-tests (against conformance/vectors)"
liblog=$(mktemp "${TMPDIR:-/tmp}/pushcodec-fuzz-lib.XXXXXX")
cargo +nightly test --lib 2>&1 | tee "$liblog"
grep -q "^test result: ok" "$liblog"

echo "fuzz-smoke: building every target"
cargo +nightly fuzz build

targets=$(cargo +nightly fuzz list)
passed=0
failed=0
failed_names=()
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in $targets; do
  case $t in
    sse_*) dict=dict/sse.dict ;;
    ws_handshake | ws_extension_header) dict=dict/http.dict ;;
    *) dict=dict/ws.dict ;;
  esac
  mkdir -p "$work/$t" "seeds/$t" "regressions/$t"
  log="$work/$t.log"
  # New inputs go to the scratch dir (first corpus dir); seeds and
  # regression inputs are read only.
  if cargo +nightly fuzz run "$t" "$work/$t" "seeds/$t" "regressions/$t" -- \
      -dict="$dict" -max_len=4096 -max_total_time="$SECS" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1 | sed -E 's/^#([0-9]+)[[:space:]]+DONE[[:space:]]+/runs: \1, /')
    echo "ok   $t ($SECS s): $stats"
    passed=$((passed + 1))
  else
    echo "FAIL $t: last lines of its log:"
    tail -n 40 "$log"
    ls "artifacts/$t" 2>/dev/null | sed 's/^/  artifact: /' || true
    failed=$((failed + 1))
    failed_names+=("$t")
  fi
done
echo "fuzz-smoke: $passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
  echo "fuzz-smoke: crashed targets: ${failed_names[*]}"
  exit 1
fi
