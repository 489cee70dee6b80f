#!/usr/bin/env bash
# Run HERE (no GPU needed): the GPU tests against host stand-ins of the kernels (scripts/gpu-dry-run/), to
# check their data, references and error bounds and to time their host side before a lent GPU's minutes
# are spent on them. Extra arguments go to the Catch2 runner (e.g. "[gemv]").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" --target mixq_gpu_tests_dry_run
"$root/build/tests/mixq_gpu_tests_dry_run" --durations yes "$@"
