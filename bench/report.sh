#!/usr/bin/env bash
# Runs every benchmark of the project, one after the other, and writes one Markdown table to a file: each figure
# with the ceiling measured in the same run, the ratio (figure / ceiling for rates, ceiling / figure for latencies)
# and the goal, met or missed. Each benchmark's whole output is kept in bench/target/report/<name>.log.
# Usage: bench/report.sh [output=bench/target/report/report.md] [full|quick] [benchmark ...]
#   full (default): the loads the goals were set for (about 20 minutes on 2 cores); quick: smaller loads (about
#   11 minutes), which show where Chorus stands but are not the figures the goals were set for.
#   Naming benchmarks (send read push stream) runs only those; the table still has every benchmark whose log
#   is there from an earlier run.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-bench/target/report/report.md}"
mode="${2:-full}"
logs=bench/target/report
mkdir -p "$logs" "$(dirname "$out")"

if [ "$mode" = quick ]; then
  send_args=(32 10 20000); read_args=(200 500 10 20); push_args=(500 50 1000 15 2000); stream_args=(100000 16)
else
  send_args=(); read_args=(); push_args=(1000 100 2000 30 5000); stream_args=(1000000 16)
fi

shift 2 2>/dev/null || shift $#
selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=(send read push stream)
failed=()
run() {
  local name=$1; shift
  [[ " ${selected[*]} " == *" $name "* ]] || return 0
  echo "== $name: $* (log: $logs/$name.log)"
  local start=$SECONDS
  if "$@" > "$logs/$name.log" 2>&1; then
    echo "   done in $((SECONDS - start)) s"
  else
    echo "   FAILED after $((SECONDS - start)) s; see $logs/$name.log"
    failed+=("$name")
  fi
}

run send bench/send-benchmark.sh "${send_args[@]}"
run read bench/read-benchmark.sh "${read_args[@]}"
run push bench/push-benchmark.sh "${push_args[@]}"
run stream bench/stream-hazard.sh "${stream_args[@]}"

{
  echo "# Chorus benchmark report"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $mode run, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
  grep -h -m1 "^machine:" "$logs/send.log" "$logs/read.log" "$logs/push.log" "$logs/stream.log" 2>/dev/null | head -1
  echo "Ceilings are measured in the same run with the same harness; absolute figures on a shared machine drift,"
  echo "ratios much less. Each benchmark's own tables are in $logs/."
  echo
  echo "| benchmark | figure | value | ceiling | ratio | goal | |"
  echo "|---|---|---:|---:|---:|---|---|"
  for name in send read push stream; do
    if [[ " ${failed[*]} " == *" $name "* ]]; then
      echo "| $name | the benchmark failed; see $logs/$name.log | | | | | |"
    elif [ -f "$logs/$name.log" ]; then
      grep -h "^REPORT" "$logs/$name.log" \
        | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8 }'
    fi
  done
} > "$out"
echo
cat "$out"
[ ${#failed[@]} -eq 0 ]
