#!/usr/bin/env bash
# Runs the benchmarks and prints the summary and the headline ratios.
#
#   scripts/bench.sh                 shared/benches/ipc/: every ratio of ours to
#                                    its baseline, and the latency percentiles
#                                    (about 30 s on 2 cores)
#   scripts/bench.sh pingpong        only the pairs whose name contains a word
#                                    (scripts/bench.sh latency: the one-way
#                                    latency pairs alone, about 15 s)
#   scripts/bench.sh --peers         scripts/peers: the same round trip and
#                                    stream through iceoryx2, ipc-channel,
#                                    shared_memory + raw_sync and Python, next
#                                    to ours (builds it first; about 3 minutes a run)
#   scripts/bench.sh --repeat 3 ...  runs the chosen suite 3 times in a row and
#                                    adds each run's host core-to-core line and a
#                                    table of every ratio in every run, its median
#                                    and how far each run lies from it (a ratio
#                                    missing from some runs, a host state that
#                                    did not occur in them, is marked as such)
#
# Output lines:
#   ratio NAME VALUE (rounds MIN – MAX)   our time ÷ the baseline's for the same
#                       work (lower is better): the median of rounds that time
#                       ours and the baseline back to back, with the spread of
#                       the rounds; FLAGGED at the end when a FLAG line says why
#                       the ratio is not to be trusted
#   ratio NAME@near VALUE (rounds MIN – MAX; N of M rounds, probe median P ns)
#                       the same for a pair across cores (placement free or
#                       apart), from only the rounds whose core-to-core probes
#                       before and after fell in one host state: @core, @near,
#                       @mid or @far (see shared/benches/ipc/main.rs and
#                       scripts/bench-support/src/host_state.rs); one line per state
#                       seen in at least 3 of its rounds
#   state NAME@STATE only N rounds: not reported   a state seen in 1 or 2 rounds
#   host core-to-core: core N rounds, near N, mid N, far N, changed N (...)
#                       how many cross-core rounds (of the pairs and of the
#                       one-way latency pairs) fell in each host state in the
#                       run (changed: the probes around it disagreed)
#   latency NAME@STATE (WHAT, ours / floor): p50 A / B (R), p99 A / B (R), p99.9 A / B (R), max A / B (R)   (samples N / M; K of R rounds, probe median P ns)
#                       a latency as a distribution: WHAT is "round trip" (every
#                       pingpong pair and the futex turns, NAME their ratio's
#                       name) or "one-way" (a lone record into an idle ring, the
#                       receiver spinning, latency_one_way_spin_vs_cacheline, or
#                       asleep, latency_one_way_sleep_vs_futex); A ours, B the
#                       floor's (or "ours / rival": the socket's), R = A ÷ B;
#                       each operation timed alone into an hdrhistogram, ours and
#                       the baseline sampled after the pair's timings in every
#                       round; per host state as the ratios, or without @STATE
#                       and the rounds for a pair on one CPU; FLAGGED when a
#                       FLAG line says why (see docs/performance.md)
#   latency NAME@STATE only N rounds: not reported   as the state lines
#   latency clock: ...  the clock the latency samples read, and what a read costs
#   FLAG ...            a measurement not to trust (too noisy, a floor slower
#                       than what it is the floor for, a copy faster than any
#                       machine can copy, pinning refused), with the reason;
#                       for a latency: p99.9 over 10x p50, with what the counts
#                       point to (a sleep, the scheduler, the host), more than
#                       1% of a phase's samples left out (not of the phase), or
#                       a free placement the scheduler kept on one CPU
#   FAILED ...          a peer that did not build or could not do a workload
#
# The full output of each run is kept in cargo's target directory
# (bench.log, bench-run2.log, ... or peers.log, peers-run2.log, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

peers=0
repeat=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --peers) peers=1 ;;
    --repeat) repeat=${2:?--repeat needs a number}; shift ;;
    *) args+=("$1") ;;
  esac
  shift
done

metadata=$(cargo metadata --format-version 1 --no-deps)
target_dir=$(printf '%s\n' "$metadata" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ -z "$target_dir" ]; then
  echo "bench.sh: cargo metadata did not say where the target directory is" >&2
  exit 1
fi
mkdir -p "$target_dir"

if [ "$peers" = 1 ]; then
  echo "Building scripts/peers (its own Cargo project and target directory)..." >&2
  if ! build_log=$(cd scripts/peers && env -u CARGO_TARGET_DIR nice -n 10 cargo build --release 2>&1); then
    printf '%s\n' "$build_log" | grep -E '^(error|warning: unused)' -A6 >&2 || printf '%s\n' "$build_log" >&2
    echo "FAILED peers: scripts/peers did not build (error above); no peer was measured"
    exit 1
  fi
  if ! command -v python3 > /dev/null; then
    echo "FAILED python: python3 not found; its rows will say so" >&2
  fi
fi

# One run of the chosen suite; its summary on stdout, everything in $1.
run_once() {
  local log=$1
  if [ "$peers" = 1 ]; then
    SHM_PEERS_PY="$root/scripts/peers/peer.py" scripts/peers/target/release/shm-peers bench "${args[@]+"${args[@]}"}" \
      2> >(tee -a "$log.err" >&2) | tee "$log"
  else
    cargo bench -p shared --features demo --bench ipc -- "${args[@]+"${args[@]}"}" 2>&1 | tee "$log" | while IFS= read -r line; do
      case "$line" in
        "  measured "*) echo "$line" >&2 ;;
        "== summary =="*) summary=1 ;;
      esac
      if [ "${summary:-0}" = 1 ]; then echo "$line"; fi
    done
  fi
}

# iceoryx2 keeps a management file in /dev/shm after its last node is gone:
# the ones this run made, and nobody has open at the end, are removed, so
# the run leaves nothing behind.
iceoryx2_files_before=$(ls /dev/shm/iox2_* 2> /dev/null || true)
remove_iceoryx2_leftovers() {
  local file
  for file in /dev/shm/iox2_*; do
    [ -e "$file" ] || continue
    case $'\n'"$iceoryx2_files_before"$'\n' in
      *$'\n'"$file"$'\n'*) continue ;;
    esac
    fuser -s "$file" 2> /dev/null || rm -f "$file"
  done
}
[ "$peers" = 1 ] && trap remove_iceoryx2_leftovers EXIT

name=bench
[ "$peers" = 1 ] && name=peers
logs=()
for run in $(seq 1 "$repeat"); do
  log="$target_dir/$name.log"
  [ "$run" -gt 1 ] && log="$target_dir/$name-run$run.log"
  if [ "$peers" = 1 ]; then : > "$log.err"; fi
  if [ "$repeat" -gt 1 ]; then
    echo "== run $run of $repeat ($(date -u +%H:%M:%SZ)) =="
  fi
  echo "Running (full output: $log)..." >&2
  run_once "$log"
  logs+=("$log")
done

if [ "$repeat" -gt 1 ]; then
  echo
  echo "== repeatability == ($repeat consecutive runs; each ratio's median over the runs, and the largest deviation of a run from it)"
  for run in $(seq 1 "$repeat"); do
    host=$(grep -m1 '^host core-to-core:' "${logs[run - 1]}" || true)
    echo "run $run: ${host:-host core-to-core: no line in ${logs[run - 1]}}"
  done
  echo
  awk -v runs="$repeat" '
    FNR == 1 { file++ }
    $1 == "ratio" && $3 != "n/a" {
      if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
      value[$2, file] = $3
      if ($0 ~ /FLAGGED/) flagged[$2, file] = 1
    }
    END {
      header = "| ratio |"; rule = "|---|"
      for (f = 1; f <= runs; f++) { header = header " run " f " |"; rule = rule "---|" }
      print header " median | max deviation | within ±20% |"
      print rule "---|---|---|"
      for (i = 1; i <= n; i++) {
        name = order[i]; m = 0; delete v
        for (f = 1; f <= runs; f++) if ((name, f) in value) v[++m] = value[name, f]
        # median of the runs that have it
        for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (v[b] < v[a]) { t = v[a]; v[a] = v[b]; v[b] = t }
        med = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
        dev = 0
        row = "| " name " |"
        for (f = 1; f <= runs; f++) {
          if ((name, f) in value) {
            x = value[name, f]
            d = (med > 0) ? (x - med) / med : 0
            if (d < 0) d = -d
            if (d > dev) dev = d
            row = row " " x ((name, f) in flagged ? " (flagged)" : "") " |"
          } else row = row " – |"
        }
        # A ratio missing from a run: its host state did not occur there.
        if (m < runs) ok = "only in " m " of " runs " runs"
        else ok = (dev <= 0.20) ? "yes" : "NO"
        printf "%s %.3g | %.0f%% | %s |\n", row, med, dev * 100, ok
      }
    }' "${logs[@]}"
fi
