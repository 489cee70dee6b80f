#!/usr/bin/env bash
# Builds everything and runs the test suite (GPU tests skip themselves without a device).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j "$(nproc)"
