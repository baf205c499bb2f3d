#!/usr/bin/env bash
# token-load against 2 token-server instances sharing one redis-server,
# behind nginx (examples/nginx-cluster.conf), for each N given (default:
# 1000 5000). Everything on 127.0.0.1, started and stopped here. RSS and CPU
# are the two instances' sums (redis-server's and nginx's RSS are printed
# apart). Each generation outlasts the window (3000 tokens × 35 ms).
#   bash examples/load/cluster.sh [N...]        (from the workspace root)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
cargo build --release -q -p pushcodec-examples --bin token-server --bin token-load
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "fd limit: $(ulimit -n); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
for n in "${@:-1000 5000}"; do
  for n1 in $n; do
    dir=$(mktemp -d); mkdir -p "$dir/tmp"
    rp=$(free_port); a=$(free_port); b=$(free_port); np=$(free_port)
    redis-server --port "$rp" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --loglevel warning --maxclients 20000 >/dev/null &
    rpid=$!
    sleep 0.5
    args=(--redis "redis://127.0.0.1:$rp" --max-tokens "${MAX_TOKENS:-3000}" --client-ip-header x-real-ip
          --max-generations-per-client 100000 --max-generations 100000 --max-streams 100000
          --shutdown-grace-secs 1)
    ./target/release/token-server --addr "127.0.0.1:$a" "${args[@]}" >/dev/null 2>"${LOGDIR:-$dir}/a.log" & apid=$!
    ./target/release/token-server --addr "127.0.0.1:$b" "${args[@]}" >/dev/null 2>"${LOGDIR:-$dir}/b.log" & bpid=$!
    sed -e "s/127.0.0.1:8001 /127.0.0.1:$a /" -e "s/127.0.0.1:8002 /127.0.0.1:$b /" -e "s/127.0.0.1:8080/127.0.0.1:$np/" \
      examples/nginx-cluster.conf > "$dir/nginx.conf"
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" 2>"${LOGDIR:-$dir}/nginx.log" & npid=$!
    sleep 1
    cpu0=$(awk '{print $14+$15}' /proc/$rpid/stat)
    timeout 400 ./target/release/token-load --server "http://127.0.0.1:$np" \
      --streams "$n1" --duration-secs 20 --server-pid "$apid" --server-pid "$bpid" || echo "token-load exited $?"
    cpu1=$(awk '{print $14+$15}' /proc/$rpid/stat)
    echo "  redis-server CPU over the whole run $(( (cpu1 - cpu0) / 100 )) s, RSS $(rss $rpid) KiB, nginx RSS $( (rss $npid; for p in $(pgrep -P $npid); do rss $p; done) | awk '{s+=$1} END {print s}') KiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    kill -TERM "$npid" "$apid" "$bpid"; wait "$npid" "$apid" "$bpid" 2>/dev/null || true
    kill "$rpid"; wait "$rpid" 2>/dev/null || true
    rm -rf "$dir"
  done
done
