#!/usr/bin/env bash
# Runs the benchmark suite (a few minutes on a 2-core machine) and prints the
# short table and the headline ratios, one line each:
#
#   ratio NAME VALUE    our time ÷ the baseline's time for the same work in the
#                       same run (lower is better)
#
# Extra arguments go to criterion, e.g. `scripts/bench.sh pingpong` runs only
# the ping-pong group. The full criterion output is kept in target/bench.log.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
echo "Building and running the benchmarks (full output: target/bench.log)..." >&2
cargo bench -p shared --bench ipc -- "$@" 2>&1 | tee target/bench.log | while IFS= read -r line; do
  case "$line" in
    "Benchmarking "*": Analyzing") name=${line#Benchmarking }; echo "  measured ${name%: Analyzing}" >&2 ;;
    "== summary =="*) summary=1 ;;
  esac
  if [ "${summary:-0}" = 1 ]; then echo "$line"; fi
done
