#!/usr/bin/env bash
# Make this Linux (Debian 12) machine able to build and test the
# x86_64-pc-windows-gnu target under Wine, and to run the article's original
# C# programs under Wine with Microsoft's .NET Core 2.0 runtime.
#
#   scripts/windows/setup.sh DIR
#
# Everything goes under DIR (created if missing):
#   DIR/prefix      a Wine prefix of our own (never anybody else's)
#   DIR/shim        the bcryptprimitives.dll shim (see bcryptprimitives.c)
#   DIR/dotnet      the npm package dotnet-2.0.0-win, unpacked (dotnet.exe)
#   DIR/originals   IMServer_Message.exe, IMServer_State.exe + runtimeconfig
#   DIR/env.sh      `source` it: WINEPREFIX, CARGO_TARGET_*, SHM_* variables
#
# Idempotent: a second run reuses what is already there and is checked
# (the prefix, the unpacked runtime, whose signature is verified again).
# Installs what is missing: Debian packages (apt-get update once, then
# apt-get install -y) and the rustup target. Stops this prefix's wineserver
# before it exits, so nothing is left running. Prints each step's duration.
#
# Environment: SHM_ORIGINAL_DIR overrides where the C# sources are found
# (default: <repository>/../shared/original).
set -euo pipefail

die() {
  echo "setup.sh: error: $*" >&2
  exit 1
}

[ $# -eq 1 ] || die "usage: $0 DIR"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1" || die "cannot create $1"
dir="$(cd "$1" && pwd)"

DOTNET_NPM_PACKAGE="dotnet-2.0.0-win@1.0.5"
# sha512 of that tarball, as the registry publishes it (dist.integrity).
DOTNET_NPM_SHA512=294bf1a83eff4e2d85db2d9da67ce609c6d549d93e9ad7b2147d92c6e6fd7cdc1d067a57d2d8851b87e7ddcbbf2e7092646a358192459be82c16df1f1c47e050
APT_PACKAGES=(gcc-mingw-w64-x86-64 wine wine64 mono-mcs osslsigncode)
WIN_TARGET="x86_64-pc-windows-gnu"

export WINEPREFIX="$dir/prefix"
export WINEARCH=win64
export WINEDEBUG=-all
# mscoree,mshtml= : no Wine Mono / Gecko install dialogs (nothing here needs
#   them: dotnet.exe is a native program that brings its own CoreCLR).
# winedbg.exe=d : an unhandled exception (e.g. the originals' final
#   Console.ReadKey() with stdin redirected) ends the process with its
#   exception code instead of starting winedbg, which would dump registers,
#   stacks and every thread of the prefix into the program's output.
export WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"

# --- step timing -----------------------------------------------------------
now_ms() { date +%s%3N; }
step_name=""
step_start=0
total_start="$(now_ms)"
step() {
  step_end
  step_name="$1"
  step_start="$(now_ms)"
  echo "== [setup] $step_name"
}
step_end() {
  if [ -n "$step_name" ]; then
    local ms=$(($(now_ms) - step_start))
    printf '== [setup] %-34s %3d.%01d s\n' "$step_name:" $((ms / 1000)) $((ms % 1000 / 100))
    step_name=""
  fi
}

# If anything fails, say which step, and do not leave a wineserver behind.
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "setup.sh: FAILED in step: ${step_name:-?} (exit $rc)" >&2
    if [ -d "$WINEPREFIX" ] && command -v wineserver >/dev/null 2>&1; then
      wineserver -k >/dev/null 2>&1 || true
    fi
  fi
}
trap on_exit EXIT

# --- 1. Debian packages ------------------------------------------------------
step "apt packages"
missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}) and not root: install them first"
  echo "installing: ${missing[*]}"
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
else
  echo "all present: ${APT_PACKAGES[*]} npm"
fi
for c in wine wineboot wineserver winepath x86_64-w64-mingw32-gcc mcs osslsigncode npm tar; do
  command -v "$c" >/dev/null 2>&1 || die "command '$c' not found after installing packages"
done

# --- 2. rustup target ----------------------------------------------------------
step "rustup target $WIN_TARGET"
if command -v rustup >/dev/null 2>&1; then
  if rustup target list --installed | grep -qx "$WIN_TARGET"; then
    echo "already installed"
  else
    rustup target add "$WIN_TARGET" || die "rustup target add $WIN_TARGET failed"
  fi
else
  echo "warning: rustup not found; the $WIN_TARGET standard library must already be installed" >&2
fi

# --- 3. Wine prefix ----------------------------------------------------------------
step "wine prefix (wineboot -i)"
if [ -f "$WINEPREFIX/system.reg" ] && [ -d "$WINEPREFIX/drive_c/windows/system32" ]; then
  echo "reusing $WINEPREFIX"
else
  rm -rf "$WINEPREFIX"
  # No display is needed: wineboot runs without X and shows no dialogs here.
  wineboot -i </dev/null || die "wineboot -i failed for $WINEPREFIX"
  wineserver -w || true # let wineboot finish writing the registry
  [ -f "$WINEPREFIX/system.reg" ] || die "wineboot did not create $WINEPREFIX/system.reg"
fi
system32="$WINEPREFIX/drive_c/windows/system32"

# --- 4. bcryptprimitives.dll shim --------------------------------------------------
step "bcryptprimitives.dll shim"
mkdir -p "$dir/shim"
x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -Wextra \
  -o "$dir/shim/bcryptprimitives.dll" \
  "$script_dir/bcryptprimitives.c" "$script_dir/bcryptprimitives.def" -lbcrypt ||
  die "building the bcryptprimitives.dll shim failed"
cp "$dir/shim/bcryptprimitives.dll" "$system32/bcryptprimitives.dll"
echo "installed $system32/bcryptprimitives.dll"

# --- 5. .NET Core 2.0 runtime for Windows (npm) ------------------------------------
step "dotnet runtime (npm pack + verify)"
if [ ! -f "$dir/dotnet/dotnet.exe" ]; then
  tgz="$(cd "$dir" && npm pack "$DOTNET_NPM_PACKAGE" --silent 2>"$dir/npm-pack.log" | tail -n 1)" || {
    cat "$dir/npm-pack.log" >&2
    die "npm pack $DOTNET_NPM_PACKAGE failed"
  }
  if [ -z "$tgz" ] || [ ! -f "$dir/$tgz" ]; then
    cat "$dir/npm-pack.log" >&2
    die "npm pack $DOTNET_NPM_PACKAGE produced no tarball"
  fi
  # The registry's published integrity for that version (npm checks it too).
  got="$(sha512sum "$dir/$tgz" | cut -d' ' -f1)"
  [ "$got" = "$DOTNET_NPM_SHA512" ] ||
    die "$tgz: sha512 $got is not the pinned $DOTNET_NPM_SHA512"
  rm -rf "$dir/dotnet.tmp"
  mkdir -p "$dir/dotnet.tmp"
  tar -xzf "$dir/$tgz" -C "$dir/dotnet.tmp" --strip-components=1 ||
    die "cannot unpack $dir/$tgz"
  [ -f "$dir/dotnet.tmp/dotnet.exe" ] || die "$tgz has no package/dotnet.exe"
  rm -rf "$dir/dotnet"
  mv "$dir/dotnet.tmp" "$dir/dotnet"
  rm -f "$dir/$tgz" "$dir/npm-pack.log"
else
  echo "reusing $dir/dotnet"
fi
# Check the Authenticode signatures of the native binaries every time (cheap).
# osslsigncode exits non-zero here whatever the file: Debian's CA store has no
# Microsoft code-signing root, so the certificate CHAIN cannot be verified
# ("unable to get local issuer certificate"). What it can check, and what we
# require: every signature's digest matches the file's content, and the
# signer is O=Microsoft Corporation (CN=Microsoft Corporation).
verify_signed_by_microsoft() {
  local f="$1" log="$dir/dotnet-verify.log"
  osslsigncode verify -in "$f" >"$log" 2>&1 || true
  awk '
    /^Current message digest/    { cur[++nc] = $NF }
    /^Calculated message digest/ { cal[++nk] = $NF }
    END {
      if (nc == 0 || nc != nk) exit 1
      for (i = 1; i <= nc; i++) if (cur[i] == "" || cur[i] != cal[i]) exit 1
    }' "$log" || {
    cat "$log" >&2
    die "signature check FAILED for $f: no signature, or its digest does not match the file"
  }
  grep -Eq 'Subject: .*/O=Microsoft Corporation/.*CN=Microsoft Corporation' "$log" || {
    cat "$log" >&2
    die "signature check FAILED for $f: the signer is not O=Microsoft Corporation"
  }
  echo "signed by O=Microsoft Corporation, digest matches: ${f#"$dir/"}"
}
for f in dotnet.exe host/fxr/2.0.0/hostfxr.dll \
  shared/Microsoft.NETCore.App/2.0.0/hostpolicy.dll \
  shared/Microsoft.NETCore.App/2.0.0/coreclr.dll; do
  [ -f "$dir/dotnet/$f" ] || die "missing $f in the unpacked runtime $dir/dotnet"
  verify_signed_by_microsoft "$dir/dotnet/$f"
done
rm -f "$dir/dotnet-verify.log"

# --- 6. the article's C# programs ---------------------------------------------------
step "compile originals (mcs)"
if [ -n "${SHM_ORIGINAL_DIR:-}" ]; then
  original_dir="$SHM_ORIGINAL_DIR"
else
  repo_root="$(git -C "$script_dir" rev-parse --show-toplevel 2>/dev/null)" ||
    repo_root="$(cd "$script_dir/../.." && pwd)"
  original_dir="$repo_root/../shared/original"
fi
for name in IMServer_Message IMServer_State; do
  [ -f "$original_dir/$name.cs" ] || die "C# original $original_dir/$name.cs not found (set SHM_ORIGINAL_DIR)"
done
mkdir -p "$dir/originals"
for name in IMServer_Message IMServer_State; do
  mcs -r:System.Core.dll -out:"$dir/originals/$name.exe" "$original_dir/$name.cs" ||
    die "mcs failed for $original_dir/$name.cs"
  cat >"$dir/originals/$name.runtimeconfig.json" <<'JSON'
{ "runtimeOptions": { "framework": { "name": "Microsoft.NETCore.App", "version": "2.0.0" } } }
JSON
  echo "built $dir/originals/$name.exe"
done

# --- 7. Windows paths, then stop the wineserver --------------------------------------
step "winepath + wineserver -k"
winpath() {
  local w
  w="$(winepath -w "$1" 2>/dev/null | tr -d '\r')" || w=""
  [ -n "$w" ] || die "winepath -w $1 failed"
  printf '%s' "$w"
}
win_dotnet="$(winpath "$dir/dotnet/dotnet.exe")"
win_message="$(winpath "$dir/originals/IMServer_Message.exe")"
win_state="$(winpath "$dir/originals/IMServer_State.exe")"
wineserver -k >/dev/null 2>&1 || true
wineserver -w >/dev/null 2>&1 || true

# --- 8. env.sh --------------------------------------------------------------------
step "write env.sh"
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # single-quote for the shell
{
  echo "# Generated by scripts/windows/setup.sh; source it (bash)."
  echo "export WINEPREFIX=$(q "$WINEPREFIX")"
  echo "export WINEARCH=win64"
  echo "export WINEDEBUG=-all"
  echo "export WINEDLLOVERRIDES=$(q "$WINEDLLOVERRIDES")"
  echo "export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc"
  echo "export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine"
  echo "# Windows paths, for tests that run as Windows processes under Wine"
  echo "# and spawn: SHM_DOTNET_EXE SHM_ORIGINAL_MESSAGE (CreateProcess)."
  echo "export SHM_DOTNET_EXE=$(q "$win_dotnet")"
  echo "export SHM_ORIGINAL_MESSAGE=$(q "$win_message")"
  echo "export SHM_ORIGINAL_STATE=$(q "$win_state")"
  echo "# The same files as Linux paths, for scripts (wine \"\$SHM_DOTNET_EXE_UNIX\" ...)."
  echo "export SHM_DOTNET_EXE_UNIX=$(q "$dir/dotnet/dotnet.exe")"
  echo "export SHM_ORIGINAL_MESSAGE_UNIX=$(q "$dir/originals/IMServer_Message.exe")"
  echo "export SHM_ORIGINAL_STATE_UNIX=$(q "$dir/originals/IMServer_State.exe")"
} >"$dir/env.sh"
echo "wrote $dir/env.sh"
step_end

ms=$(($(now_ms) - total_start))
printf '== [setup] %-34s %3d.%01d s\n' "total:" $((ms / 1000)) $((ms % 1000 / 100))
echo "== [setup] done: source $dir/env.sh"
