#!/usr/bin/env bash
# The main job: converts the bundled itera-lite-tiny model with the conservative preset, measures perplexity
# before and after, and prints the report.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" --target mixq-convert
data="$root/examples/data/itera-lite-tiny"
"$root/build/examples/mixq-convert" "$data/model.safetensors" -o "$root/out/itera-lite-tiny-conservative" \
  --preset conservative --eval "$data/eval_tokens.npy" --threads "$(nproc)" "$@"
