#!/usr/bin/env bash
# Prints one Markdown table row per campaign log in fuzz/logs/: runs, time,
# average execs/s, final cov/ft, corpus size, crashes.
cd "$(dirname "$0")"
for log in logs/*.log; do
  t=$(basename "$log" .log)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n1)
  line=${done_line:-$last}
  runs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$line")
  cov=$(grep -oE 'cov: [0-9]+' <<<"$line" | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' <<<"$line" | cut -d' ' -f2)
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$line" | cut -d' ' -f2)
  eps=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
  secs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | awk '{print $5}')
  files=$(find "corpus/$t" -type f 2>/dev/null | wc -l)
  bytes=$(find "corpus/$t" -type f -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}')
  crashes=$(ls "artifacts/$t" 2>/dev/null | grep -cE '^(crash|leak|timeout|oom)-' || true)
  echo "| $t | ${secs:-?} s | $runs | ${eps:-?} | $cov / $ft | $corp ($files files on disk, $((bytes / 1024)) KiB) | $crashes |"
done
