#!/usr/bin/env bash
# Configures and builds mixq into build/ (Release). Extra arguments go to cmake --build (e.g. --target X).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j "$(nproc)" "$@"
