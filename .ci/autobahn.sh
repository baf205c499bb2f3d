#!/usr/bin/env bash
# Autobahn|Testsuite against pushcodec in both roles (issues 11 and 16):
#   server: wstest -m fuzzingclient  vs  ws-echo
#   client: wstest -m fuzzingserver  vs  conformance's autobahn-client
# Fails on any case that is not OK or INFORMATIONAL (FAILED, NON-STRICT,
# UNIMPLEMENTED, WRONG CODE, ...). Reports: $AUTOBAHN_OUT (default a mktemp
# folder) /server and /client, each with reports/*/index.json and HTML.
#
# By default: every case of 1-10, and a permessage-deflate sample that
# covers every data set and every parameter combination (12.1-12.5: the five
# data sets, default offer; 13.1-13.7: the seven offer/accept combinations
# of context takeover and window bits 9/15), each at small, medium,
# fragmented and (13.3, 13.5: 9-bit windows) 128 KiB messages. The full run
# of all 517 cases takes about 12 min a role on 2 cores:
#
#   bash .ci/autobahn.sh                                       # CI: 1-10 + deflate sample
#   AUTOBAHN_CASES="*" AUTOBAHN_TIMEOUT=3600 bash .ci/autobahn.sh   # all 517 cases
#   AUTOBAHN_CASES="6.4.*" bash .ci/autobahn.sh                # one group
#
# The Python 3 port of wstest lives in ../shared/autobahn (read-only); its
# setup.sh builds a venv in $AUTOBAHN_HOME (default ~/.cache/autobahn-py3)
# when wstest is not there yet. Everything listens on 127.0.0.1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEFLATE_SAMPLE="12.1.1,12.1.4,12.1.11,12.2.1,12.2.4,12.2.11,12.3.1,12.3.4,12.3.11,12.4.1,12.4.4,12.4.11,12.5.1,12.5.4,12.5.11"
for x in 1 2 3 4 5 6 7; do DEFLATE_SAMPLE+=",13.$x.1,13.$x.4,13.$x.7,13.$x.11,13.$x.13"; done
DEFLATE_SAMPLE+=",13.3.10,13.5.10"
CASES="${AUTOBAHN_CASES:-1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*,$DEFLATE_SAMPLE}"
TIMEOUT="${AUTOBAHN_TIMEOUT:-900}"
export AUTOBAHN_HOME="${AUTOBAHN_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/autobahn-py3}"
OUT="${AUTOBAHN_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/pushcodec-autobahn.XXXXXX")}"
mkdir -p "$OUT"

AB=""
for d in "${AUTOBAHN_SHARED:-}" "$ROOT/../shared/autobahn" "$ROOT/../../shared/autobahn" /work/shared/autobahn; do
  if [ -n "$d" ] && [ -f "$d/setup.sh" ]; then AB="$(cd "$d" && pwd)"; break; fi
done
if [ -z "$AB" ]; then
  echo "autobahn: the shared Autobahn port (../shared/autobahn) is missing; set AUTOBAHN_SHARED"
  echo "autobahn: 0 passed, 1 failed"
  exit 1
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
if [ ! -x "$AUTOBAHN_HOME/venv/bin/wstest" ]; then
  need=()
  command -v patch >/dev/null || need+=(patch)
  python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
  if [ ${#need[@]} -gt 0 ]; then
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  echo "autobahn: building wstest in $AUTOBAHN_HOME"
  bash "$AB/setup.sh"
fi

echo "autobahn: building ws-echo and autobahn-client (release)"
cargo build --release -q -p pushcodec-examples --bin ws-echo
cargo build --release -q -p pushcodec-conformance --bin autobahn-client
BIN="$ROOT/target/release"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
ECHO_PORT=$(free_port)
"$BIN/ws-echo" --addr "127.0.0.1:$ECHO_PORT" >"$OUT/ws-echo.log" 2>&1 &
ECHO_PID=$!
trap 'kill "$ECHO_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$ECHO_PORT") 2>/dev/null && break
  sleep 0.1
done

status=0
echo "== fuzzingclient (pushcodec as server: ws-echo), cases $CASES"
AUTOBAHN_TIMEOUT=$TIMEOUT bash "$AB/run-fuzzingclient.sh" "ws://127.0.0.1:$ECHO_PORT" pushcodec-ws-echo "$OUT/server" "$CASES" || status=1
echo "== fuzzingserver (pushcodec as client: autobahn-client), cases $CASES"
AB_PORT=$(free_port)
AUTOBAHN_TIMEOUT=$TIMEOUT bash "$AB/run-fuzzingserver.sh" "$AB_PORT" "$OUT/client" "$CASES" -- \
  "$BIN/autobahn-client" "ws://127.0.0.1:$AB_PORT" pushcodec-client || status=1

# Strict: every case OK or INFORMATIONAL (summarize.py lets NON-STRICT pass).
python3 - "$OUT/server/reports/servers/index.json" "$OUT/client/reports/clients/index.json" <<'PY' || status=1
import json, sys
bad_total, ok_total = 0, 0
for path in sys.argv[1:]:
    try:
        data = json.load(open(path))
    except OSError as e:
        print("autobahn: no report %s (%s)" % (path, e)); bad_total += 1; continue
    for agent, cases in sorted(data.items()):
        bad = sorted((c for c, r in cases.items() if r.get("behavior") not in ("OK", "INFORMATIONAL")),
                     key=lambda c: [int(x) for x in c.split(".")])
        ok_total += len(cases) - len(bad); bad_total += len(bad)
        print("autobahn %s: %d cases, %d not OK/INFORMATIONAL%s" % (
            agent, len(cases), len(bad),
            (": " + " ".join("%s(%s)" % (c, cases[c]["behavior"]) for c in bad)) if bad else ""))
print("autobahn: %d passed, %d failed" % (ok_total, bad_total))
sys.exit(1 if bad_total else 0)
PY
echo "autobahn: reports in $OUT"
exit $status
