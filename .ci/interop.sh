#!/usr/bin/env bash
# Interop suite of pushcodec against real third-party peers (issue 4).
#
#   bash .ci/interop.sh
#
# Installs its peers itself, pinned: Debian's chromium (/usr/bin/chromium,
# driven by playwright-core; no browser download), Python `websockets` and
# `sse-starlette` (conformance/interop/requirements.txt, in a venv), and the npm packages of
# conformance/interop/package-lock.json (`npm ci`): ws, eventsource,
# playwright-core, better-sse. Starts every server on 127.0.0.1 only, runs
# each suite under a time limit, and prints a closing line
# "interop: N passed, M failed" (checks, summed over the suites).
#
# Under CI=true a peer that cannot be installed or run is a failure, never a
# skip. Outside CI a missing peer is reported as skipped.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INTEROP="$ROOT/conformance/interop"
VENV="${INTEROP_VENV:-${TMPDIR:-/tmp}/pushcodec-interop-venv}"
LOGDIR="$(mktemp -d "${TMPDIR:-/tmp}/pushcodec-interop.XXXXXX")"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
SUITE_TIMEOUT=300
IN_CI="${CI:-}"
[ "$IN_CI" = "true" ] || IN_CI=""

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT

TOTAL_PASSED=0
TOTAL_FAILED=0
SKIPPED=()
FAILED_SUITES=()

note() { printf '\n== %s\n' "$*"; }

missing() { # missing WHAT WHY: a failure in CI, a skip elsewhere
  if [ -n "$IN_CI" ]; then
    echo "FAIL $1: $2 (CI=true: a missing peer is a failure)"
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    FAILED_SUITES+=("$1")
  else
    echo "SKIP $1: $2 (not CI; under CI=true this fails)"
    SKIPPED+=("$1")
  fi
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

# ---------------------------------------------------------------- installs
note "installing peers"
HAVE_CHROMIUM=1
if [ ! -x "$CHROMIUM" ]; then
  echo "installing Debian's chromium"
  if ! { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null; }; then
    echo "apt-get install chromium failed"
  fi
fi
if [ -x "$CHROMIUM" ]; then "$CHROMIUM" --version 2>/dev/null || true; else HAVE_CHROMIUM=0; fi

HAVE_PY=1
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV" || HAVE_PY=0; fi
if [ "$HAVE_PY" = 1 ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$INTEROP/requirements.txt" || HAVE_PY=0
  [ "$HAVE_PY" = 1 ] && "$VENV/bin/pip" freeze | grep -i -E '^(websockets|sse-starlette)='
fi

HAVE_NODE=1
if command -v npm >/dev/null && command -v node >/dev/null; then
  (cd "$INTEROP" && npm ci --no-audit --no-fund --loglevel=error) || HAVE_NODE=0
  [ "$HAVE_NODE" = 1 ] && node -e 'for (const p of ["ws","eventsource","playwright-core","better-sse"]) console.log(p, require("./conformance/interop/node_modules/" + p + "/package.json").version)'
else
  HAVE_NODE=0
fi

# ------------------------------------------------------------------ builds
note "building ws-echo, sse-decode, ws-interop-client, sse-interop-server (release)"
if ! (cd "$ROOT" && cargo build --release -q -p pushcodec-examples --bin ws-echo --bin sse-decode \
      && cargo build --release -q -p pushcodec-conformance --bin ws-interop-client --bin sse-interop-server); then
  echo "FAIL build"
  echo "interop: 0 passed, 1 failed"
  exit 1
fi
BIN="$ROOT/target/release"

# ----------------------------------------------------------------- servers
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { # wait_port PORT NAME: up to 15 s
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server $2 did not listen on 127.0.0.1:$1"; return 1
}
start() { # start NAME PORT CMD...: runs CMD in the background, logs to LOGDIR/NAME.log
  local name=$1 port=$2; shift 2
  "$@" >"$LOGDIR/$name.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port" "$name"
}

# One pair of ws-echo servers (default limits, and a 1 MiB limit for the
# 1009 checks) per third-party client, each logging what it agreed with
# every connection (RUST_LOG=ws_echo=debug: "open, extensions: ..."), so
# that the server's side of the permessage-deflate negotiation is checked
# per client (server_agreed below).
start_echo_pair() { # start_echo_pair CLIENT: sets ECHO_URL, SMALL_URL, ECHO_LOG
  local port small
  port=$(free_port); small=$(free_port)
  NO_COLOR=1 RUST_LOG=ws_echo=debug start "ws-echo-$1" "$port" "$BIN/ws-echo" --addr "127.0.0.1:$port"
  NO_COLOR=1 RUST_LOG=ws_echo=debug start "ws-echo-1MiB-$1" "$small" "$BIN/ws-echo" --addr "127.0.0.1:$small" --max-message-size 1048576
  ECHO_URL="ws://127.0.0.1:$port/"; SMALL_URL="ws://127.0.0.1:$small/"; ECHO_LOG="$LOGDIR/ws-echo-$1.log"
}
# server_agreed NAME LOG NEEDLE...: every NEEDLE is what ws-echo agreed with
# some connection ("open, extensions: NEEDLE"), counted as one check.
server_agreed() {
  local name=$1 log=$2; shift 2
  local missing_needles=() n
  for n in "$@"; do
    grep -qF "open, extensions: $n" "$log" || missing_needles+=("$n")
  done
  if [ ${#missing_needles[@]} = 0 ]; then
    echo "ok $name: ws-echo agreed $(printf '[%s] ' "$@")($(grep -cF 'open, extensions: permessage-deflate' "$log") deflate connections)"
    TOTAL_PASSED=$((TOTAL_PASSED + 1))
  else
    echo "FAIL $name: ws-echo's log ($log) lacks $(printf '[%s] ' "${missing_needles[@]}")"
    TOTAL_FAILED=$((TOTAL_FAILED + 1)); FAILED_SUITES+=("$name")
  fi
}
SSE_PORT=$(free_port)
start sse-interop-server "$SSE_PORT" "$BIN/sse-interop-server" --addr "127.0.0.1:$SSE_PORT" --max-seconds 600
OVERSIZE=1048577

# ------------------------------------------------------------------ suites
run_suite() { # run_suite NAME CMD...: runs, echoes output, adds its closing line's counts
  local name=$1; shift
  note "$name"
  local out="$LOGDIR/suite-$(echo "$name" | tr -c 'a-zA-Z0-9' '-').log"
  timeout "$SUITE_TIMEOUT" "$@" >"$out" 2>&1
  local status=$?
  cat "$out"
  local line
  line=$(grep -E '^[^ ].*: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
  if [ -n "$line" ]; then
    local p f
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/')
    f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/')
    TOTAL_PASSED=$((TOTAL_PASSED + p)); TOTAL_FAILED=$((TOTAL_FAILED + f))
  fi
  if [ "$status" != 0 ] || [ -z "$line" ]; then
    [ "$status" = 124 ] && echo "FAIL $name: no result within ${SUITE_TIMEOUT}s"
    [ -z "$line" ] && TOTAL_FAILED=$((TOTAL_FAILED + 1))
    FAILED_SUITES+=("$name")
  fi
}

# WebSocket: third-party clients against pushcodec's ws-echo server.
# Each client checks the 101's Sec-WebSocket-Extensions (or ws.extensions);
# server_agreed checks ws-echo's side of the same negotiations.
if [ "$HAVE_PY" = 1 ]; then
  start_echo_pair python
  run_suite "python websockets client -> ws-echo" "$VENV/bin/python" "$INTEROP/ws_peer.py" client "$ECHO_URL" "$SMALL_URL" "$OVERSIZE"
  server_agreed "ws-echo's side of python websockets' offers" "$ECHO_LOG" \
    "permessage-deflate" "permessage-deflate; server_max_window_bits=9" \
    "permessage-deflate; server_max_window_bits=8" "permessage-deflate; client_max_window_bits=10" \
    "permessage-deflate; server_no_context_takeover" "permessage-deflate; client_no_context_takeover" \
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9" \
    "none"
else missing "python websockets client" "cannot install websockets (requirements.txt)"; fi
if [ "$HAVE_NODE" = 1 ]; then
  start_echo_pair node
  run_suite "node ws client -> ws-echo" node "$INTEROP/ws_peer.mjs" client "$ECHO_URL" "$SMALL_URL" "$OVERSIZE"
  server_agreed "ws-echo's side of node ws' offers" "$ECHO_LOG" \
    "permessage-deflate; server_no_context_takeover; server_max_window_bits=9" \
    "permessage-deflate; client_no_context_takeover; client_max_window_bits=10"
else missing "node ws client" "node/npm or npm ci failed"; fi
if [ "$HAVE_NODE" = 1 ] && [ "$HAVE_CHROMIUM" = 1 ]; then
  start_echo_pair chromium
  run_suite "chromium WebSocket -> ws-echo" env CHROMIUM="$CHROMIUM" node "$INTEROP/chromium.mjs" ws "$ECHO_URL" "$SMALL_URL" "$OVERSIZE"
  server_agreed "ws-echo's side of Chromium's offer" "$ECHO_LOG" "permessage-deflate"
else missing "chromium WebSocket" "chromium ($CHROMIUM) or playwright-core missing"; fi

# WebSocket: pushcodec's client against third-party echo servers.
if [ "$HAVE_PY" = 1 ]; then
  PY_PORT=$(free_port)
  if start python-websockets-server "$PY_PORT" "$VENV/bin/python" "$INTEROP/ws_peer.py" server "$PY_PORT" 600; then
    run_suite "ws-interop-client -> python websockets server" "$BIN/ws-interop-client" --url "ws://127.0.0.1:$PY_PORT/" --peer python-websockets
  else missing "python websockets server" "did not start (see $LOGDIR/python-websockets-server.log)"; fi
else missing "python websockets server" "cannot install websockets"; fi
if [ "$HAVE_NODE" = 1 ]; then
  NODE_PORT=$(free_port)
  if start node-ws-server "$NODE_PORT" node "$INTEROP/ws_peer.mjs" server "$NODE_PORT" 600; then
    run_suite "ws-interop-client -> node ws server" "$BIN/ws-interop-client" --url "ws://127.0.0.1:$NODE_PORT/" --peer node-ws
  else missing "node ws server" "did not start (see $LOGDIR/node-ws-server.log)"; fi
else missing "node ws server" "node/npm or npm ci failed"; fi

# SSE: browsers' EventSource reading SseEncoder streams; sse-decode reading a third-party encoder.
if [ "$HAVE_NODE" = 1 ] && [ "$HAVE_CHROMIUM" = 1 ]; then
  run_suite "chromium EventSource <- sse-interop-server" env CHROMIUM="$CHROMIUM" node "$INTEROP/chromium.mjs" sse "http://127.0.0.1:$SSE_PORT"
else missing "chromium EventSource" "chromium ($CHROMIUM) or playwright-core missing"; fi
if [ "$HAVE_NODE" = 1 ]; then
  run_suite "node eventsource <- sse-interop-server" node "$INTEROP/sse_peer.mjs" eventsource "http://127.0.0.1:$SSE_PORT"
  run_suite "better-sse encoder -> sse-decode" node "$INTEROP/sse_peer.mjs" better-sse "$BIN/sse-decode"
else missing "node eventsource / better-sse" "node/npm or npm ci failed"; fi
if [ "$HAVE_PY" = 1 ]; then
  run_suite "sse-starlette encoder -> sse-decode" "$VENV/bin/python" "$INTEROP/sse_peer.py" "$BIN/sse-decode"
else missing "sse-starlette encoder" "cannot install sse-starlette (requirements.txt)"; fi

# ----------------------------------------------------------------- summary
note "interop summary"
[ ${#FAILED_SUITES[@]} -gt 0 ] && printf 'failed: %s\n' "${FAILED_SUITES[@]}"
[ ${#SKIPPED[@]} -gt 0 ] && printf 'skipped (not CI): %s\n' "${SKIPPED[@]}"
echo "logs: $LOGDIR"
echo "interop: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" = 0 ] && [ ${#FAILED_SUITES[@]} = 0 ]
