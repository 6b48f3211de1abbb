#!/usr/bin/env bash
# Installs Microsoft's .NET Core 3.1 runtime for Linux x64 (PyPI package
# `dotnetcore2`, 3.1.23, a 31 MB wheel) and the C# compiler `mcs` (Debian
# package `mono-mcs`), the way CI runs .NET programs on Linux without Wine.
#
#   scripts/dotnet/setup.sh [--dir DIR]      (default: target/dotnet)
#
# Idempotent: what is already there is kept. Afterwards:
#   DIR/dotnetcore2/bin/dotnet               the runtime (`dotnet X.exe`)
#   DIR/runtimeconfig.json                   copy beside each X.exe as
#                                            X.runtimeconfig.json
#   DIR/env                                  `. DIR/env` sets SHM_DOTNET=DIR and
#                                            DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
# The tests (shared/tests/dotnet_mutex.rs) find the runtime through
# SHM_DOTNET, or at target/dotnet when it is unset.
#
# How long (measured here): 1.5 s for the runtime with an empty pip cache
# (the 31 MB download and the unzip), 0.02 s when it is already there; plus
# `apt-get install mono-mcs` when mcs is missing (not measured: this machine
# had it).
set -euo pipefail

dir=target/dotnet
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir="$2"; shift 2 ;;
        --dir=*) dir="${1#--dir=}"; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

case "$(uname -m)" in
    x86_64) ;;
    *) echo "setup.sh: dotnetcore2 is the x86_64 runtime; this machine is $(uname -m)" >&2; exit 1 ;;
esac

if ! command -v mcs >/dev/null 2>&1; then
    echo "setup.sh: installing mono-mcs" >&2
    sudo_=""
    [ "$(id -u)" -ne 0 ] && sudo_=sudo
    $sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq mono-mcs >/dev/null
fi

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
dotnet="$dir/dotnetcore2/bin/dotnet"
if [ ! -x "$dotnet" ]; then
    wheel="$(ls "$dir"/dotnetcore2-*.whl 2>/dev/null | head -n 1 || true)"
    if [ -z "$wheel" ]; then
        echo "setup.sh: downloading dotnetcore2 (31 MB)" >&2
        pip download --quiet --no-deps --only-binary=:all: \
            --platform manylinux1_x86_64 --dest "$dir" 'dotnetcore2==3.1.23'
        wheel="$(ls "$dir"/dotnetcore2-*.whl | head -n 1)"
    fi
    unzip -q -o "$wheel" 'dotnetcore2/*' -d "$dir"
    chmod +x "$dotnet"
fi

version="$(ls "$dir/dotnetcore2/bin/shared/Microsoft.NETCore.App" | sort -V | tail -n 1)"
cat > "$dir/runtimeconfig.json" <<JSON
{ "runtimeOptions": { "framework": { "name": "Microsoft.NETCore.App", "version": "$version" } } }
JSON
cat > "$dir/env" <<ENV
export SHM_DOTNET="$dir"
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1
ENV

echo "setup.sh: .NET $version at $dotnet; mcs at $(command -v mcs); '. $dir/env' to use it" >&2
