#!/usr/bin/env bash
# The interop tests (CTest label interop): makes the pinned gguf + llama-cpp-python environment outside the
# source tree (scripts/interop-env.sh), then runs the tests against it. Needs a build (scripts/build.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
MIXQ_INTEROP_PYTHON="$("$root/scripts/interop-env.sh" | tail -n 1)"
export MIXQ_INTEROP_PYTHON
cd "$root/build"
ctest --output-on-failure -L interop -j "$(nproc)" --timeout 900
