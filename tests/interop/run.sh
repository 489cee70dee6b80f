#!/usr/bin/env bash
# run.sh SCRIPT ARGS...: runs SCRIPT (gguf_interop.py, safetensors_interop.py) beside this file with the
# interop environment's python (MIXQ_INTEROP_PYTHON, set by scripts/test-interop.sh); without it the test is
# skipped (exit 77), with a message that says how to run it.
# `--random D L V TIED` first writes a random Hugging Face Mamba checkpoint with MAKE_RANDOM (the next argument).
set -euo pipefail
py="${MIXQ_INTEROP_PYTHON:-}"
if [ -z "$py" ] || [ ! -x "$py" ]; then
  echo "SKIP: MIXQ_INTEROP_PYTHON is not set; scripts/test-interop.sh makes the environment and runs these tests"
  exit 77
fi
script="$1"
shift
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--random" ]; then
    "$2" "$work/model.safetensors" "$3" "$4" "$5" "$6" >/dev/null
    args+=(--model "$work/model.safetensors")
    shift 6
  else
    args+=("$1")
    shift
  fi
done
"$py" "$(dirname "$0")/$script" "${args[@]}"
