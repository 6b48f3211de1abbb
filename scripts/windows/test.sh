#!/usr/bin/env bash
# CI entry point for the Windows target: prepare Wine (setup.sh), then run
#
#   cargo test --workspace --target x86_64-pc-windows-gnu "$@"
#
# with the test binaries running under Wine (env.sh sets the runner, the
# linker, WINEPREFIX and the SHM_* paths of the .NET runtime and the
# article's original programs); and, on a whole run (no arguments),
# scripts/windows/ctrl_c.sh: Ctrl-C pressed in a tmux pane at the programs'
# waits.
#
#   scripts/windows/test.sh [--dir DIR] [cargo test arguments...]
#
# --dir DIR (or SHM_WINE_DIR=DIR): prepare/reuse DIR, and keep it. Without
# it, a temporary directory is used and removed at the end. In every case,
# on exit (success, failure, Ctrl-C) this prefix's wineserver is stopped.
# The exit code is cargo's.
set -euo pipefail

die() {
  echo "test.sh: error: $*" >&2
  exit 1
}

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

dir="${SHM_WINE_DIR:-}"
if [ "${1:-}" = "--dir" ]; then
  [ $# -ge 2 ] || die "--dir needs a directory"
  dir="$2"
  shift 2
fi

temp_dir=""
prefix=""
# shellcheck disable=SC2317 # invoked by the trap below
cleanup() {
  local rc=$?
  set +e
  if [ -n "$prefix" ] && [ -d "$prefix" ]; then
    WINEPREFIX="$prefix" wineserver -k >/dev/null 2>&1
    WINEPREFIX="$prefix" wineserver -w >/dev/null 2>&1
  fi
  [ -n "$temp_dir" ] && rm -rf "$temp_dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "$dir" ]; then
  temp_dir="$(mktemp -d "${TMPDIR:-/tmp}/shm-wine-test.XXXXXX")"
  dir="$temp_dir"
fi
prefix="$(mkdir -p "$dir" && cd "$dir" && pwd)/prefix"

"$script_dir/setup.sh" "$dir" || die "setup.sh $dir failed"
# shellcheck source=/dev/null
. "$dir/env.sh"

repo_root="$(git -C "$script_dir" rev-parse --show-toplevel 2>/dev/null)" ||
  repo_root="$(cd "$script_dir/../.." && pwd)"
cd "$repo_root"

# Keep this prefix's wineserver up for the whole run (cleanup stops it): each
# Wine process then starts in ~0.3 s instead of ~1.2 s, which adds up over
# test binaries and the processes the tests spawn.
wineserver -p || die "cannot start the wineserver for $WINEPREFIX"

echo "== cargo test --workspace --target x86_64-pc-windows-gnu $* (under Wine, WINEPREFIX=$WINEPREFIX)"
start="$(date +%s)"
rc=0
# The tests start the programs and examples themselves, and under Wine they
# cannot run cargo to build them: build them first, so that a filtered run
# (--test NAME) never starts a stale one.
cargo build --workspace --bins --examples --target x86_64-pc-windows-gnu || rc=$?
[ "$rc" -ne 0 ] || cargo test --workspace --target x86_64-pc-windows-gnu "$@" || rc=$?
# Ctrl-C pressed in a terminal (tmux), which the harness cannot send: on a
# whole run only, not a filtered one.
if [ "$rc" -eq 0 ] && [ $# -eq 0 ]; then
  "$script_dir/ctrl_c.sh" "$dir" || rc=$?
fi
echo "== cargo test (windows-gnu under Wine) exited $rc after $(($(date +%s) - start)) s"
exit "$rc"
