#!/usr/bin/env bash
# The demo: builds both programs (release), then runs the exchange of DEMO.md
# on a fresh region name.
#
#   scripts/demo.sh            interactive: two tmux panes (message | state) when
#                              run in a terminal with tmux; otherwise as --batch
#   scripts/demo.sh --batch    non-interactive: both transcripts, each line
#                              prefixed with its program
#   scripts/demo.sh --fast     shorter pauses (state server: 200 ms per record,
#                              1 s final hold) instead of the original 1 s / 5 s
#   scripts/demo.sh --debug    use a debug build (faster to build, for tests)
#
# Needs only bash and cargo (and tmux for the interactive mode).
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

batch=0
fast=0
profile=release
for arg in "$@"; do
  case "$arg" in
    --batch) batch=1 ;;
    --fast) fast=1 ;;
    --debug) profile=debug ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

echo "Building message-server, state-server and the inspector ($profile)..." >&2
build_flags=(--workspace --bins --example inspect)
if [ "$profile" = release ]; then build_flags+=(--release); fi
cargo build "${build_flags[@]}" >&2
message="$root/target/$profile/message-server"
state="$root/target/$profile/state-server"
inspect="$root/target/$profile/examples/inspect"

name="demo-$$"
dir="$(mktemp -d "${TMPDIR:-/tmp}/shm-demo.XXXXXX")"
state_pace=()
if [ "$fast" = 1 ]; then state_pace=(--interval-ms 200 --hold-ms 1000); fi

children=()
cleanup() {
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$batch" = 0 ] && [ -t 0 ] && [ -t 1 ] && command -v tmux >/dev/null 2>&1; then
  session="shm-demo-$$"
  hold='echo; read -r -p "[this program has exited; press Enter to close the pane]" _'
  tmux new-session -d -s "$session" -x "${COLUMNS:-200}" -y "${LINES:-50}" \
    "$message --name $name --dir $dir; $hold"
  tmux split-window -h -t "$session" \
    "while [ ! -e $dir/$name ]; do sleep 0.1; done; $state --name $name --dir $dir ${state_pace[*]:-}; $hold"
  tmux select-pane -t "$session:0.0"
  tmux set-option -t "$session" status-style "bg=blue,fg=white" >/dev/null
  tmux set-option -t "$session" status-interval 1 >/dev/null
  tmux set-option -t "$session" status-left " next: " >/dev/null
  tmux set-option -t "$session" status-left-length 7 >/dev/null
  tmux set-option -t "$session" status-right-length 0 >/dev/null
  tmux set-option -t "$session" status-right "" >/dev/null
  tmux set-option -t "$session" window-status-format "" >/dev/null
  tmux set-option -t "$session" window-status-current-format "#($inspect --name $name --dir $dir --hint)  [switch pane: Ctrl-b o]" >/dev/null
  if [ -n "${TMUX:-}" ]; then
    tmux switch-client -t "$session"
    echo "Switched to tmux session $session; the region is $dir/$name." >&2
    trap - EXIT
  else
    tmux attach -t "$session"
  fi
  exit 0
fi

# Batch: drive both programs through pipes, label every line.
label() { sed -u "s/^/[$1] /"; }
to_message="$dir/.to-message"
mkfifo "$to_message"

echo "Region $dir/$name; message-server first, then state-server." >&2
"$message" --name "$name" --dir "$dir" --timeout 60 < "$to_message" > >(label "message") 2>&1 &
children+=($!)
exec 3> "$to_message"

for _ in $(seq 1 100); do [ -e "$dir/$name" ] && break; sleep 0.05; done
[ -e "$dir/$name" ] || { echo "error: message-server did not create the region" >&2; exit 1; }

printf '\n' | "$state" --name "$name" --dir "$dir" --timeout 60 "${state_pace[@]}" > >(label "state  ") 2>&1 &
state_pid=$!
children+=("$state_pid")
sleep 0.3
printf '\n' >&3          # Enter in the message server: it waits for the state server
wait "$state_pid"
printf '\n' >&3          # the message server's final Enter
exec 3>&-
wait "${children[0]}"
sleep 0.1
echo "Done: both programs exited and the region is gone: $(ls -A "$dir" | grep -v '^\.to-message$' | wc -l) files left." >&2
