#!/usr/bin/env bash
# Runs one fuzz target for a fixed time, nice'd, single job, with its seeds
# and dictionary; corpus in fuzz/corpus/<target> (not in git), log in
# fuzz/logs/<target>.log, crashes in fuzz/artifacts/<target>/.
#   usage: fuzz/campaign.sh <target> <seconds> [extra libFuzzer args...]
set -euo pipefail
cd "$(dirname "$0")"
target=$1; secs=$2; shift 2
case $target in
  sse_*) dict=dict/sse.dict ;;
  ws_handshake) dict=dict/http.dict ;;
  ws_*) dict=dict/ws.dict ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
mkdir -p "corpus/$target" logs "seeds/$target" "regressions/$target"
exec nice -n 15 cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" "regressions/$target" -- \
  -dict="$dict" -max_len=4096 -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 "$@" \
  > "logs/$target.log" 2>&1
