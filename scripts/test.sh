#!/usr/bin/env bash
# Builds everything and runs the test suite (GPU tests skip themselves without a device).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
cd "$root/build"
# --timeout: a runaway test fails with its name instead of eating CI's budget (the slowest takes ~55 s).
ctest --output-on-failure -j "$(nproc)" --timeout 300
