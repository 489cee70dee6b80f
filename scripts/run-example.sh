#!/usr/bin/env bash
# The main job: converts the bundled itera-lite-tiny model with the conservative preset and prints the report.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" --target mixq-convert
"$root/build/examples/mixq-convert" "$root/examples/data/itera-lite-tiny/model.safetensors" \
  -o "$root/out/itera-lite-tiny-conservative" --preset conservative "$@"
