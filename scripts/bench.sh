#!/usr/bin/env bash
# Runs the benchmark suite (a few minutes on a 2-core machine) and prints the
# short table and the headline ratios, one line each:
#
#   ratio NAME VALUE    our time ÷ the baseline's time for the same work in the
#                       same run (lower is better); the accessor_* ratios are
#                       the median of rounds that time ours and the baseline
#                       back to back, printed with their spread
#   FLAG ...            a measurement not to trust (too noisy, or faster than
#                       any copy can go), with the reason
#
# Extra arguments go to criterion, e.g. `scripts/bench.sh pingpong` runs only
# the ping-pong group. The full criterion output is kept in bench.log in cargo's
# target directory (wherever CARGO_TARGET_DIR or the config puts it).
set -euo pipefail
cd "$(dirname "$0")/.."
metadata=$(cargo metadata --format-version 1 --no-deps)
target_dir=$(printf '%s\n' "$metadata" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ -z "$target_dir" ]; then
  echo "bench.sh: cargo metadata did not say where the target directory is" >&2
  exit 1
fi
mkdir -p "$target_dir"
log="$target_dir/bench.log"
echo "Building and running the benchmarks (full output: $log)..." >&2
cargo bench -p shared --bench ipc -- "$@" 2>&1 | tee "$log" | while IFS= read -r line; do
  case "$line" in
    "Benchmarking "*": Analyzing") name=${line#Benchmarking }; echo "  measured ${name%: Analyzing}" >&2 ;;
    "== summary =="*) summary=1 ;;
  esac
  if [ "${summary:-0}" = 1 ]; then echo "$line"; fi
done
