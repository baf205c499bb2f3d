#!/usr/bin/env bash
# token-load against a fresh token-server on 127.0.0.1, for each N given
# (default: 1000 10000). Raises the fd limit as far as allowed for both
# processes; the server's generations last 3000 tokens × 35 ms = 105 s, so
# every stream is still generating during the measurement window.
#   bash examples/load/run.sh [N...]        (from the workspace root)
#   MAX_TOKENS=1000 bash examples/load/run.sh 1000   (smaller generations)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p pushcodec-examples --bin token-server --bin token-load
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "fd limit: $(ulimit -n)"
port=8021
for n in "${@:-1000 10000}"; do
  for n1 in $n; do
    # token-load's streams all come from 127.0.0.1: lift the per-client cap
    # (16 by default) and the global ones above N.
    ./target/release/token-server --addr 127.0.0.1:$port --max-tokens "${MAX_TOKENS:-3000}" \
      --max-generations-per-client 100000 --max-generations 100000 --max-streams 100000 >/dev/null 2>&1 &
    pid=$!
    sleep 1
    timeout 300 ./target/release/token-load --server http://127.0.0.1:$port \
      --streams "$n1" --duration-secs 20 --server-pid "$pid" || echo "token-load exited $?"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    port=$((port + 1))
  done
done
