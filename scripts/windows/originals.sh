#!/usr/bin/env bash
# Smoke test: the article's original C# pair, IMServer_Message and
# IMServer_State, run unchanged under Wine with .NET Core 2.0 and complete
# their shared-memory exchange.
#
#   scripts/windows/originals.sh [DIR]
#
# DIR: a directory prepared by setup.sh (DIR/env.sh); if DIR has no env.sh,
# setup.sh is run into it; with no DIR, setup.sh runs into a temporary
# directory that is removed afterwards.
#
# The script plays the user at both consoles, through fifos:
#   1. start IMServer_Message, send "\n" (the name prompt; Enter = testmap);
#      it writes positions 0..4 and waits for Enter;
#   2. start IMServer_State, send "\n"; it writes positions 5..9 and five
#      records with NowTime, one a second, then holds the mutex 5 s more;
#   3. when the state program has finished, send the message program its
#      Enter: it prints positions 0..9 and the records.
# Both transcripts are shown. Exit 0 only if the message program printed the
# line for position 9 with value 9 and records with a NowTime.
#
# Under Wine with redirected stdio the Chinese text prints as '?' (the
# console code page), and the final Console.ReadKey() throws
# InvalidOperationException (stdin is not a console): both are expected.
# Every wait is bounded; everything started here is killed at the end.
set -euo pipefail

die() {
  echo "originals.sh: error: $*" >&2
  exit 1
}

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -le 1 ] || die "usage: $0 [DIR]"

setup_dir=""
temp_setup=""
work=""
msg_pid=""
state_pid=""

cleanup() {
  local rc=$?
  set +e
  # Our two background jobs (timeout + wine), if still running ...
  for p in $msg_pid $state_pid; do
    kill "$p" 2>/dev/null
  done
  exec 3>&- 4>&-
  # ... and whatever else runs in OUR prefix (services, explorer, ...).
  if [ -n "${WINEPREFIX:-}" ] && [ -d "$WINEPREFIX" ]; then
    wineserver -k >/dev/null 2>&1
    wineserver -w >/dev/null 2>&1
  fi
  for p in $msg_pid $state_pid; do
    wait "$p" 2>/dev/null
  done
  [ -n "$work" ] && rm -rf "$work"
  [ -n "$temp_setup" ] && rm -rf "$temp_setup"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ $# -eq 1 ]; then
  setup_dir="$1"
else
  temp_setup="$(mktemp -d "${TMPDIR:-/tmp}/shm-originals.XXXXXX")"
  setup_dir="$temp_setup"
fi
if [ ! -f "$setup_dir/env.sh" ]; then
  "$script_dir/setup.sh" "$setup_dir" || die "setup.sh $setup_dir failed"
fi
# shellcheck source=/dev/null
. "$setup_dir/env.sh"
for v in WINEPREFIX SHM_DOTNET_EXE SHM_ORIGINAL_MESSAGE SHM_ORIGINAL_STATE SHM_DOTNET_EXE_UNIX; do
  [ -n "${!v:-}" ] || die "$setup_dir/env.sh does not set $v"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/shm-originals-run.XXXXXX")"
msg_out="$work/IMServer_Message.txt"
state_out="$work/IMServer_State.txt"
mkfifo "$work/message.in" "$work/state.in"
# Hold both fifos open read-write here: opening does not block, the programs
# see no EOF until we close them, and we can write to them when we like.
exec 3<>"$work/message.in" 4<>"$work/state.in"

# wait_for FILE REGEX SECONDS PID: until FILE has a line matching REGEX
# (carriage returns stripped), or fail if PID ends first or time runs out.
wait_for() {
  local file="$1" re="$2" secs="$3" pid="$4" i
  for ((i = 0; i < secs * 5; i++)); do
    if tr -d '\r' <"$file" | grep -Eq "$re"; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tr -d '\r' <"$file" | grep -Eq "$re" && return 0
      echo "originals.sh: the program ended before printing /$re/" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "originals.sh: timed out after ${secs}s waiting for /$re/ in $(basename "$file")" >&2
  return 1
}
# wait_exit PID SECONDS: wait until PID has ended, at most SECONDS.
wait_exit() {
  local pid="$1" secs="$2" i
  for ((i = 0; i < secs * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  return 1
}
show() {
  echo "----- $1 (stdout+stderr) -----"
  tr -d '\r' <"$2"
  echo "----- end of $1 -----"
}

fail() {
  echo "originals.sh: FAILED: $*" >&2
  show IMServer_Message "$msg_out" >&2
  show IMServer_State "$state_out" >&2
  exit 1
}

start="$(date +%s)"
: >"$msg_out"
: >"$state_out"

echo "== starting IMServer_Message"
# timeout(1): a hard bound on each program, whatever happens.
timeout 120 wine "$SHM_DOTNET_EXE_UNIX" "$SHM_ORIGINAL_MESSAGE" \
  <"$work/message.in" >"$msg_out" 2>&1 3>&- 4>&- &
msg_pid=$!
printf '\n' >&3 # the name prompt: Enter = testmap
# Its five writes: "0...:0" .. "4...:4" (the Chinese text prints as '?').
wait_for "$msg_out" '^4[^0-9]*:4$' 60 "$msg_pid" || fail "IMServer_Message did not print its 5 writes"
echo "== IMServer_Message wrote positions 0..4 and waits for Enter"

echo "== starting IMServer_State"
timeout 120 wine "$SHM_DOTNET_EXE_UNIX" "$SHM_ORIGINAL_STATE" \
  <"$work/state.in" >"$state_out" 2>&1 3>&- 4>&- &
state_pid=$!
printf '\n' >&4
# About 10 s: 5 records a second apart, then 5 s holding the mutex.
wait_for "$state_out" '^9[^0-9]*:9$' 60 "$state_pid" || fail "IMServer_State did not write positions 5..9"
wait_exit "$state_pid" 60 || fail "IMServer_State did not finish within 60 s"
state_rc=0
wait "$state_pid" || state_rc=$?
state_pid=""
echo "== IMServer_State finished (exit $state_rc; 82 = 0xe0434352 & 0xff, the expected unhandled exception of its final ReadKey)"

echo "== Enter to IMServer_Message: read the shared memory"
printf '\n' >&3
wait_exit "$msg_pid" 60 || fail "IMServer_Message did not finish within 60 s after Enter"
msg_rc=0
wait "$msg_pid" || msg_rc=$?
msg_pid=""
echo "== IMServer_Message finished (exit $msg_rc; 82 expected, as above), $(($(date +%s) - start)) s in all"
echo

show IMServer_Message "$msg_out"
echo
show IMServer_State "$state_out"
echo

ok=1
if tr -d '\r' <"$msg_out" | grep -Eq '^9[^0-9]*:9$'; then
  echo "ok: IMServer_Message read position 9 = 9 (written by IMServer_State)"
else
  echo "NOT OK: IMServer_Message printed no line for position 9 with value 9"
  ok=0
fi
records="$(tr -d '\r' <"$msg_out" | grep -Ec '^[0-9]+[[:space:]]+NowTime:' || true)"
# A record the state program never wrote reads as DateTime(0): year 0001.
real_records="$(tr -d '\r' <"$msg_out" | grep -E '^[0-9]+[[:space:]]+NowTime:' | grep -Evc '(^|[^0-9])0001([^0-9]|$)' || true)"
if [ "$real_records" -ge 1 ]; then
  echo "ok: IMServer_Message printed $records NowTime records, $real_records with a time set by IMServer_State"
else
  echo "NOT OK: IMServer_Message printed no NowTime record set by IMServer_State ($records records)"
  ok=0
fi
[ "$ok" = 1 ] || exit 1
echo "originals.sh: PASS"
