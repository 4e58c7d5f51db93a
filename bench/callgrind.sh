#!/usr/bin/env bash
# Instructions per request (valgrind --tool=callgrind), stable where wall and CPU time are not.
# Runs the get, put and page scenarios (minapp, the floor and curl) twice under callgrind with N1
# and N2 measured requests; each run's instructions per request is
# (I(N2) - I(N1)) / (requests(N2) - requests(N1)), so set-up (TLS contexts, handshakes, warm-up)
# cancels out.
#   bench/callgrind.sh BUILD_DIR [N1 N2]      (default 200 1200; needs valgrind)
set -euo pipefail
build=${1:?usage: bench/callgrind.sh BUILD_DIR [N1 N2]}
n1=${2:-200}
n2=${3:-1200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # $1 = requests, $2 = output dir
  mkdir -p "$2"
  # Each measured run (a child process of the bench) logs its pid beside its scenario, so every
  # callgrind output (cg.PID) is paired with its own run, whatever else forks.
  MINAPP_BENCH_PID_LOG="$2/pids.txt" valgrind --tool=callgrind --callgrind-out-file="$2/cg.%p" \
    "$build/bench/minapp-bench" --quick --no-wrk --only get,put,page --requests "$1" \
    --emulator "$build/src/emulator/server/minapp-emulator" >"$2/table.txt" 2>"$2/valgrind.txt"
  # One line per measured run, in run order: "scenario impl conc requests instructions".
  while read -r pid scenario impl conc requests; do
    echo "$scenario $impl $conc $requests $(awk '/^summary:/{print $2}' "$2/cg.$pid")"
  done <"$2/pids.txt"
}

run "$n1" "$work/a" >"$work/a.txt"
run "$n2" "$work/b" >"$work/b.txt"
printf '%-10s %-7s %5s %14s\n' scenario impl conc instr/request
paste "$work/a.txt" "$work/b.txt" |
  awk '{printf "%-10s %-7s %5s %14.0f\n", $1, $2, $3, ($10 - $5) / ($9 - $4)}'
