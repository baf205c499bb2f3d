#!/usr/bin/env bash
# End-to-end checks of token-server as a person and a proxy see it:
#  1. headless Chromium (playwright-core, Debian's /usr/bin/chromium) drives the
#     page over WebSocket, SSE and fetch, presses Stop, watches an SSE
#     reconnect; once against servers on the in-memory store, once against
#     servers on Redis (a redis-server of its own on a loopback port);
#  2. real nginx with examples/nginx.conf: tokens arrive one by one through
#     the proxy for both protocols (the first long before the last).
# Installs what it needs (apt: chromium, nginx, redis-server; npm ci in examples/e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/ci-artifacts}
mkdir -p "$OUT"

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v curl >/dev/null || need_apt+=(curl)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v redis-server >/dev/null || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "e2e: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
(cd examples/e2e && npm ci --no-audit --no-fund --loglevel=error)

cargo build --release -q -p pushcodec-examples --bin token-server --bin token-client
BIN=$ROOT/target/release

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_http() { for _ in $(seq 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "e2e: $1 did not come up"; return 1; }

P1=$(free_port); P2=$(free_port)
"$BIN/token-server" --addr "127.0.0.1:$P1" & pids+=($!)
"$BIN/token-server" --addr "127.0.0.1:$P2" --max-tokens 40 --debug-drop-sse-after 10 & pids+=($!)
RP=$(free_port); RDIR=$(mktemp -d)
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$RDIR" --loglevel warning >/dev/null & pids+=($!)
for _ in $(seq 100); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.1; done
R1=$(free_port); R2=$(free_port)
"$BIN/token-server" --addr "127.0.0.1:$R1" --redis "redis://127.0.0.1:$RP" & pids+=($!)
"$BIN/token-server" --addr "127.0.0.1:$R2" --redis "redis://127.0.0.1:$RP" --max-tokens 40 --debug-drop-sse-after 10 & pids+=($!)
for p in $P1 $P2 $R1 $R2; do wait_http "http://127.0.0.1:$p/healthz"; done

for store in memory redis; do
  if [ $store = memory ]; then base=$P1; flaky=$P2; else base=$R1; flaky=$R2; fi
  echo "=== e2e: page in headless Chromium ($store store)"
  (cd examples/e2e && TAG=$store BASE="http://127.0.0.1:$base" FLAKY_BASE="http://127.0.0.1:$flaky" OUT="$OUT" timeout 300 node page.e2e.mjs)
done

echo "=== e2e: through nginx (examples/nginx.conf)"
NP=$(free_port)
NDIR=$(mktemp -d)
mkdir -p "$NDIR/tmp"
sed -e "s/127.0.0.1:8001/127.0.0.1:$P1/" -e "s/127.0.0.1:8080/127.0.0.1:$NP/" examples/nginx.conf > "$NDIR/nginx.conf"
"$NGINX" -p "$NDIR" -c "$NDIR/nginx.conf" & pids+=($!)
wait_http "http://127.0.0.1:$NP/"
for route in "direct:$P1" "nginx:$NP"; do
 for t in ws sse; do
  name=${route%%:*}; port=${route#*:}
  timeout 60 "$BIN/token-client" --server "http://127.0.0.1:$port" --transport $t --json "through the proxy" > "$OUT/$name-$t.jsonl"
  python3 - "$OUT/$name-$t.jsonl" "$name $t" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
toks = [r for r in rows if "index" in r]
done = [r for r in rows if "done" in r]
assert done and done[-1]["done"] == "complete", f"no done: {rows[-1:]}"
assert [t["index"] for t in toks] == list(range(len(toks))) and len(toks) == 250, len(toks)
first, last = toks[0]["ms"], toks[-1]["ms"]
gaps = sorted(b["ms"] - a["ms"] for a, b in zip(toks, toks[1:]))
p50 = gaps[len(gaps) // 2]
# 250 tokens 35 ms apart take ~8.7 s; a buffering proxy would deliver them in one burst.
assert last - first > 5000, f"tokens arrived in a burst: first {first:.0f} ms, last {last:.0f} ms"
assert 20 < p50 < 60, f"median inter-token gap {p50:.1f} ms"
p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]
print(f"ok   {sys.argv[2]}: {len(toks)} tokens one by one; first at {first:.0f} ms, last at {last:.0f} ms, inter-token p50 {p50:.1f} ms p99 {p99:.1f} ms (generator: 35 ms)")
PY
 done
done
echo "e2e: all green"
