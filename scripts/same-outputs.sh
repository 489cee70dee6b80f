#!/usr/bin/env bash
# Proof that a refactoring moved only code: runs the CLIs of two builds on the bundled models and a random
# Mamba-130M-shaped checkpoint (every preset, int4_g64 + GPTQ, GGUF Q4_K_M and int8, --eval, mixq-search
# --target-ratio 6, mixq-inspect, mixq-eval --json) and compares every output: model files byte for byte,
# reports and JSON after blanking paths and timings. Usage: scripts/same-outputs.sh OLD_BIN NEW_BIN [WORK]
# (OLD_BIN / NEW_BIN: folders holding mixq-convert, mixq-eval, mixq-inspect, mixq-search; copy the old build's
# before rebuilding). Needs build/benchmarks/make_random_mamba. Exit 0 when everything is the same.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
old=$(realpath "$1"); new=$(realpath "$2"); work=${3:-$(mktemp -d)}
data="$root/examples/data"
mkdir -p "$work"
[ -f "$work/m130/model.safetensors" ] || { mkdir -p "$work/m130" && "$root/build/benchmarks/make_random_mamba" "$work/m130/model.safetensors" >/dev/null; }

outputs() {  # outputs BIN OUT
  local B=$1 O=$2
  rm -rf "$O"; mkdir -p "$O"
  run() { local name=$1; shift; "$@" > "$O/$name.out" 2> "$O/$name.err"; echo $? > "$O/$name.rc"; }
  for m in itera-lite-tiny hf-mamba-fortunes mamba2-fortunes nemotronh-fortunes m130; do
    local dir="$data/$m" in="$data/$m" cal="$data/$m/calib_tokens.npy" ev="$data/$m/eval_tokens.npy"
    [ $m = m130 ] && dir="$work/m130" && in="$work/m130/model.safetensors"
    [ $m = itera-lite-tiny ] && in="$dir/model.safetensors"
    local presets="conservative aggressive int8-linear fp16 bf16"
    [ $m = itera-lite-tiny ] && presets="$presets conservative-moe"
    for p in $presets; do run $m-conv-$p "$B/mixq-convert" "$in" -o "$O/$m-conv-$p" --preset $p --quiet; done
    local tab; tab=$(ls "$dir"/tables/*int4_g64_linear.json 2>/dev/null | head -1)
    [ -n "$tab" ] && run $m-gptq "$B/mixq-convert" "$in" -o "$O/$m-gptq" --table "$tab" --lowbit-calibration gptq --calib "$cal" --quiet --json
    if [ $m != itera-lite-tiny ]; then
      run $m-gguf "$B/mixq-convert" "$in" -o "$O/$m-gguf" --format gguf --preset Q4_K_M --quiet
      run $m-gguf8 "$B/mixq-convert" "$in" -o "$O/$m-gguf8" --format gguf --preset int8-linear --quiet --json
      run $m-inspect-gguf "$B/mixq-inspect" "$O/$m-gguf/model.gguf"
    fi
    if [ $m != m130 ]; then
      run $m-evalconv "$B/mixq-convert" "$in" -o "$O/$m-evalconv" --preset int8-linear --eval "$ev" --quiet
      run $m-search "$B/mixq-search" "$in" -o "$O/$m-search" --calib "$cal" --eval "$ev" --target-ratio 6 --quiet --threads 2
      run $m-evaljson "$B/mixq-eval" "$in" --tokens "$ev" --json
    fi
    run $m-inspect "$B/mixq-inspect" "$in"
    run $m-inspect-conv "$B/mixq-inspect" "$O/$m-conv-conservative"
  done
}
outputs "$old" "$work/old"
outputs "$new" "$work/new"

# Paths differ by old/new; timings and speeds differ run to run.
norm() { sed -E "s#$work/(old|new)#OUT#g; s/(\"[a-z_]*seconds\"): [0-9.e+-]+/\1: T/g; s/[0-9]+\.[0-9]+ s\b/T s/g; s/[0-9.]+ (tokens|MiB)\/s/R/g" "$1"; }
differ=0 files=0
while read -r f; do
  files=$((files + 1))
  if [ ! -f "$work/new/$f" ]; then echo "only in the old outputs: $f"; differ=1; continue; fi
  cmp -s "$work/old/$f" "$work/new/$f" && continue
  case "$f" in
    *.safetensors|*.gguf) echo "DIFFERENT BYTES: $f"; differ=1 ;;
    *) if ! diff -q <(norm "$work/old/$f") <(norm "$work/new/$f") >/dev/null; then
         echo "DIFFERENT TEXT: $f"; diff <(norm "$work/old/$f") <(norm "$work/new/$f") | head -6; differ=1
       fi ;;
  esac
done < <(cd "$work/old" && find . -type f | sort)
[ "$(cd "$work/new" && find . -type f | wc -l)" -eq "$files" ] || { echo "the new build wrote other files"; differ=1; }
models=$(cd "$work/new" && find . \( -name '*.safetensors' -o -name '*.gguf' \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
echo "$files outputs compared; sha256 of the model files' sha256 list: $models"
[ $differ -eq 0 ] && echo "same outputs" || { echo "outputs differ"; exit 1; }
