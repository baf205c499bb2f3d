#!/usr/bin/env bash
# The hostile-peer suite (issue 11): conformance's ws-hostile attacks
# ws-echo and the token server's /ws on 127.0.0.1 (a fresh server process
# per case, each case bounded in time) and prints the table that
# conformance/README.md shows. Fails when a case exceeds its bound.
#
#   bash .ci/hostile.sh                 # HOSTILE_ARGS="--only ping-flood --target ws-echo"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
echo "hostile: building ws-echo, token-server, ws-hostile (release)"
cargo build --release -q -p pushcodec-examples --bin ws-echo --bin token-server
cargo build --release -q -p pushcodec-conformance --bin ws-hostile
# shellcheck disable=SC2086
timeout 600 "$ROOT/target/release/ws-hostile" --bin-dir "$ROOT/target/release" ${HOSTILE_ARGS:-}
