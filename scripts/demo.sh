#!/usr/bin/env bash
# The demo: builds message-server, state-server and the inspector, then runs
# the exchange of shared/DEMO.md the way the article tells it.
#
#   scripts/demo.sh            interactive: two tmux panes, message-server on the
#                              left, state-server on the right, each at its name
#                              prompt (Enter = testmap). Press Enter in the left
#                              pane, then in the right one, then in the left one
#                              again; the status line says which pane is next.
#                              Without tmux or a terminal, or inside a tmux that
#                              no client is attached to: as --batch
#   scripts/demo.sh --batch    non-interactive: both transcripts, each line
#                              prefixed with its program
#   scripts/demo.sh --fast     shorter pauses (state server: 200 ms per record,
#                              1 s final hold) instead of the original 1 s / 5 s
#   scripts/demo.sh --debug    use a debug build (faster to build, for tests)
#   scripts/demo.sh --lang zh  Chinese: the original's lines, and this project's
#                              lines (waits, warnings, errors, status line) too
#                              [default: zh when LC_ALL/LANG starts with zh]
#
# The region lives in a private directory of the demo's own (never a real
# /dev/shm/testmap), removed at the end with everything in it; no tmux session
# is left behind. The binaries are wherever cargo puts them (CARGO_TARGET_DIR,
# build.target-dir). Needs bash and cargo, and tmux for the interactive mode.
set -euo pipefail

usage() { sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

batch=0
fast=0
profile=release
lang=""
while [ $# -gt 0 ]; do
  case "$1" in
    --batch) batch=1 ;;
    --fast) fast=1 ;;
    --debug) profile=debug ;;
    --lang)
      [ $# -ge 2 ] || { echo "error: --lang needs en or zh" >&2; exit 2; }
      lang="$2"; shift ;;
    --lang=*) lang="${1#--lang=}" ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$lang" ]; then
  # The programs' own rule: the first of LC_ALL, LC_MESSAGES, LANG that is set.
  locale="${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}"
  case "$locale" in [zZ][hH]*) lang=zh ;; *) lang=en ;; esac
fi
case "$lang" in en|zh) ;; *) echo "error: --lang takes en or zh, not $lang" >&2; exit 2 ;; esac

# say ENGLISH CHINESE: one line of this script's own, on stderr, in $lang.
say() { if [ "$lang" = zh ]; then echo "$2" >&2; else echo "$1" >&2; fi; }
now() { echo "${EPOCHREALTIME:-$(date +%s)}"; }

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# ---- Build only what the demo runs, and ask cargo where it put it ----------
# The two programs and the inspector (a binary of `shared` behind its
# `console` feature): no examples, tests or dev-dependencies.
say "Building message-server, state-server and the inspector ($profile)..." \
    "正在构建 message-server、state-server 和 inspector ($profile)……"
build=(build -p message-server -p state-server -p shared --features shared/console
       --bin message-server --bin state-server --bin inspect
       --message-format=json-render-diagnostics)
if [ "$profile" = release ]; then build+=(--release); fi
started="$(now)"
artifacts="$(cargo "${build[@]}")"
took="$(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')"
say "Built in $took s." "构建用时 $took 秒。"

# The executable cargo reported for the binary named $1.
executable() {
  printf '%s\n' "$artifacts" \
    | grep '"reason":"compiler-artifact"' \
    | grep -o '"executable":"[^"]*"' \
    | sed 's/^"executable":"//; s/"$//' \
    | grep -m1 "/$1\$" || true
}
message="$(executable message-server)"
state="$(executable state-server)"
inspect="$(executable inspect)"
for exe in "$message" "$state" "$inspect"; do
  if [ -z "$exe" ] || [ ! -x "$exe" ]; then
    echo "error: cargo did not report the built binaries (got: '$message' '$state' '$inspect')" >&2
    exit 1
  fi
done

# ---- The demo's private directory ---------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/shm-demo.XXXXXX")"
shm="$work/shm"     # the region and its mutex (--dir)
marks="$work/marks" # what the tmux panes leave for the status line
mkdir "$shm" "$marks"
name=testmap        # the prompts' default: the person just presses Enter
lang_args=(--lang "$lang")
state_pace=()
if [ "$fast" = 1 ]; then state_pace=(--interval-ms 200 --hold-ms 1000); fi

session=""
children=()
# Kills our tmux session, if it is still there, and waits for its programs to
# have left: they get SIGHUP and close their regions as on Ctrl-C.
end_session() {
  local groups group alive
  if [ -n "$session" ] && tmux has-session -t "=$session" 2>/dev/null; then
    groups="$(tmux list-panes -s -t "=$session" -F '#{pane_pid}' 2>/dev/null || true)"
    tmux kill-session -t "=$session" 2>/dev/null || true
    for _ in $(seq 1 50); do
      alive=0
      for group in $groups; do kill -0 -- "-$group" 2>/dev/null && alive=1; done
      [ "$alive" = 0 ] && break
      sleep 0.1
    done
  fi
  session=""
}
# Ends whatever is still running (our tmux session, the batch programs), waits
# for it to have left, and removes the private directory.
cleanup() {
  trap - EXIT INT TERM HUP
  end_session
  if [ "${#children[@]}" -gt 0 ]; then
    kill "${children[@]}" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "${children[@]}" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# How many files the programs left in the private directory (0: all removed).
files_left() { find "$shm" -mindepth 1 | wc -l | tr -d ' '; }

# ---- Interactive: two tmux panes -------------------------------------------------

# One pane: runs its program, leaves its exit code in $marks for the status
# line, offers to start state-server again when it was started too early, and
# keeps the pane open on a failure so that the error can be read. (Run inside
# the pane by `bash -c`, its definition passed along with `declare -f`.)
pane() {
  local role="$1" marks="$2" held="$3" again="$4" code
  shift 4
  while :; do
    rm -f "$marks/$role.status"
    "$@" && code=0 || code=$?
    echo "$code" > "$marks/$role.status"
    tmux refresh-client -S 2>/dev/null || true
    if [ "$role" = state ] && [ "$code" = 1 ] && [ ! -e "$marks/message.status" ]; then
      read -r -p "${again//CODE/$code}" _ || break
      continue
    fi
    break
  done
  if [ "$code" != 0 ]; then read -r -p "${held//CODE/$code}" _ || true; fi
  tmux capture-pane -p -J -S - -t "${TMUX_PANE:-}" > "$marks/$role.screen" 2>/dev/null || true
}

# The argv of the pane for program $1 (message or state) with argv "$@" after
# it, in the array `argv`: tmux (3.0 and later) runs it without a shell.
pane_argv() {
  local role="$1" held again
  shift
  if [ "$lang" = zh ]; then
    held="[$role-server 已退出(代码 CODE); 按回车关闭此窗格] "
    again="[$role-server 已停止(代码 CODE); 按回车重新启动它] "
  else
    held="[$role-server exited (code CODE); press Enter to close this pane] "
    again="[$role-server stopped (code CODE); press Enter to start it again] "
  fi
  argv=(bash -c "$(declare -f pane); pane \"\$@\"" pane "$role" "$marks" "$held" "$again" "$@")
}

# Prints what each pane showed when its program ended, labelled.
print_screens() {
  local role screen
  if [ -s "$marks/message.screen" ] || [ -s "$marks/state.screen" ]; then
    say "What the panes showed:" "两个窗格显示的内容:"
  fi
  for role in message state; do
    screen="$marks/$role.screen"
    [ -s "$screen" ] || continue
    awk -v label="[$(printf '%-7s' "$role")] " \
      '{ line[NR] = $0 } NF { last = NR } END { for (i = 1; i <= last; i++) print label line[i] }' "$screen"
  done
}

# Whether a tmux client shows the session this script runs in.
tmux_client_here() {
  local here
  here="$(tmux display-message -p -t "${TMUX_PANE:-}" '#{session_name}' 2>/dev/null)" || return 1
  [ -n "$(tmux list-clients -t "=$here" -F '#{client_name}' 2>/dev/null)" ]
}

# tmux 3.0 or later: it runs a pane's command given as several arguments itself.
tmux_usable() {
  local version
  command -v tmux >/dev/null 2>&1 || return 1
  version="$(tmux -V 2>/dev/null | sed 's/^[^0-9]*\([0-9][0-9]*\).*/\1/')"
  [ -n "$version" ] && [ "$version" -ge 3 ]
}

interactive=0
if [ "$batch" = 0 ] && [ -t 0 ] && [ -t 1 ] && tmux_usable; then
  interactive=1
  if [ -n "${TMUX:-}" ] && ! tmux_client_here; then
    say "Inside tmux, but no client is attached to show a demo session: running as --batch." \
        "在 tmux 里, 但没有客户端可以显示演示会话: 以 --batch 方式运行。"
    interactive=0
  fi
elif [ "$batch" = 0 ]; then
  say "No terminal, or no tmux 3.0 or later: running as --batch." \
      "没有终端, 或没有 tmux 3.0 以上版本: 以 --batch 方式运行。"
fi

if [ "$interactive" = 1 ]; then
  session="shm-demo-$$"
  cols="$(tput cols 2>/dev/null || echo 160)"
  rows="$(tput lines 2>/dev/null || echo 40)"
  pane_argv message "$message" --dir "$shm" "${lang_args[@]}"
  tmux new-session -d -s "$session" -n demo -x "$cols" -y "$rows" "${argv[@]}"
  pane_argv state "$state" --dir "$shm" "${lang_args[@]}" "${state_pace[@]}"
  tmux split-window -h -t "=$session:demo" "${argv[@]}"
  tmux select-pane -t "=$session:demo.0" -T "message-server (IMServer_Message)"
  tmux select-pane -t "=$session:demo.1" -T "state-server (IMServer_State)"
  tmux select-pane -t "=$session:demo.0"
  hint="$(printf '%q ' "$inspect" --name "$name" --dir "$shm" --demo-marks "$marks" --hint "${lang_args[@]}")"
  if [ "$lang" = zh ]; then
    next="下一步:" keys="[切换窗格: Ctrl-b o 或鼠标点击 · 离开并结束演示: Ctrl-b d]"
  else
    next="next:" keys="[other pane: Ctrl-b o or click · leave and end the demo: Ctrl-b d]"
  fi
  set_option() { tmux set-option "$@" >/dev/null; }
  set_option -t "=$session:" status-style "bg=blue,fg=white"
  set_option -t "=$session:" status-interval 1
  set_option -t "=$session:" status-left-length 400
  set_option -t "=$session:" status-left " $next #($hint)  $keys"
  set_option -t "=$session:" status-right ""
  set_option -t "=$session:" window-status-format ""
  set_option -t "=$session:" window-status-current-format ""
  set_option -t "=$session:" mouse on
  # When the demo's session ends, a client that switched to it goes back.
  set_option -t "=$session:" detach-on-destroy off
  set_option -w -t "=$session:demo" pane-border-status top
  set_option -w -t "=$session:demo" pane-border-format " #{pane_title} "

  if [ -n "${TMUX:-}" ]; then
    if tmux switch-client -t "=$session" 2>/dev/null; then
      say "Switched this tmux client to the demo session $session; this pane waits until it ends." \
          "已把这个 tmux 客户端切换到演示会话 $session; 此窗格等待它结束。"
      # Until its programs have exited, or no client shows it any more (the
      # person detached or switched away: that leaves the demo, as outside tmux).
      unseen=0
      while [ "$unseen" -lt 2 ] && tmux has-session -t "=$session" 2>/dev/null; do
        if [ -n "$(tmux list-clients -t "=$session" -F '#{client_name}' 2>/dev/null)" ]; then
          unseen=0
        else
          unseen=$((unseen + 1))
        fi
        sleep 0.5
      done
    else
      say "tmux could not switch this client to the demo session: running as --batch." \
          "tmux 无法把客户端切换到演示会话: 以 --batch 方式运行。"
      end_session
      interactive=0
    fi
  else
    tmux attach-session -t "=$session" || true
  fi
fi

if [ "$interactive" = 1 ]; then
  if tmux has-session -t "=$session" 2>/dev/null; then
    say "You left the demo: closing its tmux session." "你离开了演示: 正在关闭它的 tmux 会话。"
    end_session
  fi
  print_screens
  say "Done: the demo's tmux session is closed and the region is gone: $(files_left) files left." \
      "完成: 演示的 tmux 会话已关闭, 共享内存已删除: 剩余 $(files_left) 个文件。"
  exit 0
fi

# ---- Batch: both programs through pipes, every line labelled -----------------------
# The article's steps, with Enter sent for the person: message-server at its
# name prompt, state-server at its name prompt, message-server reads.
label() { sed -u "s/^/[$1] /"; }
to_message="$work/to-message"
mkfifo "$to_message"

say "Region $shm/$name; message-server first, then state-server." \
    "共享内存 $shm/$name; 先启动 message-server, 再启动 state-server。"
"$message" --dir "$shm" --timeout 60 "${lang_args[@]}" < "$to_message" > >(label "message") 2>&1 &
children+=($!)
exec 3> "$to_message"
printf '\n' >&3          # Enter at the message server's name prompt: testmap

for _ in $(seq 1 200); do [ -e "$shm/$name" ] && break; sleep 0.05; done
[ -e "$shm/$name" ] || { echo "error: message-server did not create the region" >&2; exit 1; }

# Enter at the state server's name prompt, and later its final Enter.
printf '\n\n' | "$state" --dir "$shm" --timeout 60 "${lang_args[@]}" "${state_pace[@]}" \
  > >(label "state  ") 2>&1 &
state_pid=$!
children+=("$state_pid")
sleep 0.3
printf '\n' >&3          # Enter in the message server: it waits for the state server
wait "$state_pid"
printf '\n' >&3          # the message server's final Enter
exec 3>&-
wait "${children[0]}"
sleep 0.1
say "Done: both programs exited and the region is gone: $(files_left) files left." \
    "完成: 两个程序都已退出, 共享内存已删除: 剩余 $(files_left) 个文件。"
