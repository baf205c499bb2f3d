#!/usr/bin/env bash
# Server CPU per token and RSS per stream: token-server against the obvious
# axum server (baseline-server: axum's Sse + axum::extract::ws), each driven
# by token-load on 127.0.0.1 with the same generator (35 ms per token), for
# each N and each protocol (all streams WebSocket, then all SSE).
#
#   bash examples/load/cpu-per-token.sh                 # N = 1000 10000
#   bash examples/load/cpu-per-token.sh 1000            # N = 1000 only
#   SERVERS="token-server" PROTOCOLS="ws" DURATION=10 bash examples/load/cpu-per-token.sh 1000
#   TOKEN_SERVER_ARGS=--no-ws-deflate ...   # extra token-server flags
# token-load offers permessage-deflate (the crate's client default) and
# token-server agrees to it on /ws; the baseline (tungstenite) has none.
#
# Per run: a fresh server (--max-tokens 3000: each generation outlasts the
# window) on a free ephemeral loopback port; token-load --server-pid reads
# the server's CPU time (utime + stime in /proc/PID/stat) and VmRSS
# (/proc/PID/status) at the start and end of the measurement window. Here:
#   µs CPU per token = server CPU seconds in the window / tokens received
#   RSS per stream   = (RSS at end of window - RSS before connecting) / held
# Prints one Markdown row per run, and the raw JSON lines to $OUT
# (default /tmp/cpu-per-token.jsonl). Bounded: token-load is killed after
# 300 s, every server is stopped by its pid.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVERS=${SERVERS:-"baseline-server token-server"}
PROTOCOLS=${PROTOCOLS:-"ws sse"}
DURATION=${DURATION:-20}
OUT=${OUT:-/tmp/cpu-per-token.jsonl}
# NO_BUILD=1: use the release binaries as they are (e.g. while another
# cargo holds the build lock).
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p pushcodec-examples --bin token-server --bin baseline-server --bin token-load
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "fd limit: $(ulimit -n); raw results: $OUT" >&2
: >"$OUT"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

echo "| streams | protocol | server | tokens/s | server CPU (one core = 100 %) | µs CPU per token | RSS per stream | p99 gap | held / failed |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in ${@:-1000 10000}; do
  for proto in $PROTOCOLS; do
    share=0
    [ "$proto" = sse ] && share=1
    for server in $SERVERS; do
      port=$(free_port)
      extra=()
      # token-server's limits (issue 15) would refuse most of token-load's
      # streams, which all come from 127.0.0.1; the baseline has none.
      [ "$server" = token-server ] && extra=(--max-generations-per-client 100000 \
        --max-generations 100000 --max-streams 100000 ${TOKEN_SERVER_ARGS:-})
      RUST_LOG=warn ./target/release/"$server" --addr 127.0.0.1:"$port" --max-tokens 3000 \
        "${extra[@]}" >/dev/null 2>&1 &
      pid=$!
      for _ in $(seq 50); do
        (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
        sleep 0.1
      done
      line=$(timeout 300 ./target/release/token-load --server http://127.0.0.1:"$port" \
        --streams "$n" --sse-share "$share" --duration-secs "$DURATION" --server-pid "$pid" \
        2>/dev/null | tail -1) || line=""
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      if [ -z "$line" ]; then
        echo "| $n | $proto | $server | token-load failed | | | | | |"
        continue
      fi
      echo "{\"server\":\"$server\",\"protocol\":\"$proto\",\"run\":$line}" >>"$OUT"
      python3 - "$n" "$proto" "$server" "$line" <<'EOF'
import json, sys
n, proto, server, r = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
tps, cpu = r["tokens_per_s"], r["server_cpu_pct"]
us = cpu / 100 / tps * 1e6 if tps else float("nan")
held = r["held_at_end"]
rss = ((r["rss_after_kib"] or 0) - (r["rss_before_kib"] or 0)) / held if held else float("nan")
print(f"| {int(n):,} | {proto} | {server} | {tps:,.0f} | {cpu:.0f} % | {us:.1f} | {rss:.1f} KiB | {r['p99_ms']:.1f} ms | {held} / {r['failed']} |")
EOF
    done
  done
done
