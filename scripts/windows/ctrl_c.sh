#!/usr/bin/env bash
# Ctrl-C as a person presses it, for the Windows programs: each runs under
# Wine in a tmux pane (a real terminal, whose Ctrl-C Wine turns into the
# console's CTRL_C_EVENT) and gets Ctrl-C while it waits:
#   1. message-server at its Enter prompt, in Chinese (--lang zh: the console
#      shows the article's Chinese line, through the UTF-8 output code page);
#   2. state-server while it holds the mutex, message-server waiting for it.
# Each must leave with exit code 130 and its "interrupted" line within 20 s,
# and the message server must then see the mutex abandoned.
# (The test harness under Wine has no console to send Ctrl-C through, so
# this is a script; test.sh runs it after the cargo tests.)
#
#   scripts/windows/ctrl_c.sh DIR     DIR: the Wine directory setup.sh prepared
set -euo pipefail

die() {
  echo "ctrl_c.sh: error: $*" >&2
  exit 1
}

[ $# -eq 1 ] || die "usage: scripts/windows/ctrl_c.sh DIR"
# shellcheck source=/dev/null
. "$1/env.sh"
cd "$(dirname "$0")/../.."
if ! command -v tmux >/dev/null 2>&1; then
  echo "ctrl_c.sh: SKIPPED: no tmux to press Ctrl-C in"
  exit 0
fi
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
exe_dir="$target_dir/x86_64-pc-windows-gnu/debug"
[ -x "$exe_dir/message-server.exe" ] || die "$exe_dir/message-server.exe is missing: build with --target x86_64-pc-windows-gnu first"

socket="shm-ctrl-c-$$"
work=$(mktemp -d)
cleanup() {
  tmux -u -L "$socket" kill-server >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits until pane $1 shows text $2 (at most $3 s).
wait_for() {
  local pane=$1 text=$2 limit=$3 waited=0
  until tmux -u -L "$socket" capture-pane -p -t "$pane" | grep -qF -- "$text"; do
    sleep 0.5
    waited=$((waited + 1))
    if [ "$waited" -ge $((limit * 2)) ]; then
      tmux -u -L "$socket" capture-pane -p -t "$pane" >&2
      die "pane $pane never showed \"$text\" within $limit s"
    fi
  done
}

# Starts program $2 (with its flags) in pane $1; its exit code goes to $work/$1.code.
run_in() {
  local pane=$1
  shift
  # A UTF-8 terminal, as a person's is: Wine writes the console's text in
  # the terminal's locale.
  tmux -u -L "$socket" send-keys -t "$pane" "LANG=C.UTF-8 LC_ALL=C.UTF-8 wine $exe_dir/$* ; echo \$? > $work/$pane.code" Enter
}

# Checks that pane $1's program ended with code 130 and said it was
# interrupted (in English, or as $2 says).
left_with_130() {
  local pane=$1 said=${2:-interrupted} waited=0
  until [ -s "$work/$pane.code" ]; do
    sleep 0.5
    waited=$((waited + 1))
    [ "$waited" -lt 40 ] || die "pane $pane: the program did not end within 20 s of Ctrl-C"
  done
  [ "$(cat "$work/$pane.code")" = 130 ] || die "pane $pane: exit code $(cat "$work/$pane.code"), not 130"
  wait_for "$pane" "$said" 5
}

name="ctrl-c-$$"
tmux -u -L "$socket" new-session -d -s s -x 200 -y 50
tmux -u -L "$socket" split-window -h -t s

echo "== Ctrl-C: message-server at its Enter prompt, in Chinese"
run_in s.0 message-server.exe --name "$name-1" --lang zh
wait_for s.0 "启动状态服务,按【回车】读取共享内存数据" 60
tmux -u -L "$socket" send-keys -t s.0 C-c
left_with_130 s.0 "已中断: 正在关闭本程序已打开的共享内存并退出"
rm -f "$work/s.0.code"

echo "== Ctrl-C: state-server while it holds the mutex"
run_in s.0 message-server.exe --name "$name-2"
wait_for s.0 "Start the state service" 60
run_in s.1 state-server.exe --name "$name-2" --interval-ms 100 --hold-ms 30000
wait_for s.1 "position 9" 60
tmux -u -L "$socket" send-keys -t s.0 Enter
tmux -u -L "$socket" send-keys -t s.1 C-c
left_with_130 s.1
wait_for s.0 "abandoned" 20
tmux -u -L "$socket" send-keys -t s.0 Enter
echo "== Ctrl-C: both programs left with 130 and said so (in Chinese too); the mutex was handed over as abandoned"
