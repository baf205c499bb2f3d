#!/usr/bin/env bash
# The official OpenAI Python SDK (pinned, in a venv) against token-server's
# OpenAI-compatible API: streaming, non-streaming, early close stops the
# generation. Reuses the release token-server that .ci/e2e.sh built.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV="${OPENAI_VENV:-${TMPDIR:-/tmp}/pushcodec-openai-venv}"
if [ ! -x "$VENV/bin/python" ] && ! python3 -m venv "$VENV" 2>/dev/null; then
  echo "openai-sdk: installing python3-venv"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  rm -rf "$VENV"; python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r examples/openai/requirements.txt
cargo build --release -q -p pushcodec-examples --bin token-server
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$ROOT/target/release/token-server" --addr "127.0.0.1:$port" --max-tokens 60 --token-delay-ms 20 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.1; done
BASE="http://127.0.0.1:$port" timeout 120 "$VENV/bin/python" examples/openai/test_openai_sdk.py
