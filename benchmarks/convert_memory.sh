#!/usr/bin/env bash
# Time and peak RSS of mixq-convert (int8-linear, conservative) on random Hugging Face-layout checkpoints
# shaped like Mamba-130M / 1.4B / 2.8B, Mamba2-130m and a 1.3 B Nemotron-H-shaped hybrid, beside llama.cpp's own quantizer (llama_model_quantize, F32 -> Q8_0,
# through the interop venv's llama-cpp-python) on the same weights in the same run. Not a test.
#   benchmarks/convert_memory.sh [130m|1.4b|2.8b|mamba2-130m|hybrid-1.3b ...]     (default: 130m 1.4b)
# Each line is the median of MIXQ_BENCH_REPEAT (3) runs. Checkpoints are generated once into ${MIXQ_BENCH_CACHE:-~/.cache/mixq/bench} (5.9 GB for 1.4b, 11 GB for 2.8b).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build"
cache="${MIXQ_BENCH_CACHE:-$HOME/.cache/mixq/bench}"
py="${MIXQ_INTEROP_PYTHON:-$HOME/.cache/mixq/interop-venv/bin/python}"
threads="${MIXQ_THREADS:-$(nproc)}"
mkdir -p "$cache"
shapes=("$@"); [ ${#shapes[@]} -gt 0 ] || shapes=(130m 1.4b)
repeat="${MIXQ_BENCH_REPEAT:-3}"
measure() {  # label, output, command...: "label: S s wall, M MiB peak RSS", the median of $repeat runs
  local label="$1" output="$2"; shift 2
  local runs=()
  for _ in $(seq "$repeat"); do
    rm -rf "$output"; sync  # each run starts without the previous one's output dirtying the page cache
    /usr/bin/time -f "%e %M" -o "$cache/time.txt" "$@" >/dev/null 2>"$cache/stderr.txt" || { cat "$cache/stderr.txt"; exit 1; }
    runs+=("$(cat "$cache/time.txt")")
  done
  read -r s kib <<< "$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (repeat + 1) / 2 ))p")"
  printf '  %-34s %7.2f s  %7.0f MiB peak RSS   (median of %d: %s s)\n' "$label" "$s" "$(echo "$kib / 1024" | bc -l)" "$repeat" \
    "$(printf '%s\n' "${runs[@]}" | cut -d' ' -f1 | paste -sd' ')"
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); --threads $threads"
for shape in "${shapes[@]}"; do
  case "$shape" in
    130m) args="768 24 50280 1";; 1.4b) args="2048 48 50280 0";; 2.8b) args="2560 64 50280 0";;
    mamba2-130m|hybrid-1.3b) args="";;  # model directories (config.json beside the weights)
    *) echo "unknown shape $shape (130m, 1.4b, 2.8b, mamba2-130m, hybrid-1.3b)"; exit 2;;
  esac
  if [ -z "$args" ]; then
    ck="$cache/$shape"
    [ -f "$ck/model.safetensors" ] || "$build/benchmarks/make_random_mamba2" "$ck" "$shape"
  else
    ck="$cache/mamba-$shape.safetensors"
    [ -f "$ck" ] || "$build/benchmarks/make_random_mamba" "$ck" $args
  fi
  echo "== $shape: $(du -h "$ck" | cut -f1) ($ck)"
  out="$(mktemp -d "$cache/out.XXXXXX")"
  for preset in int8-linear conservative; do
    measure "mixq-convert --preset $preset" "$out/$preset" "$build/examples/mixq-convert" "$ck" -o "$out/$preset" --preset "$preset" --threads "$threads"
    rm -rf "${out:?}/$preset"
  done
  if [ -x "$py" ]; then
    echo '{"name": "fp32", "rules": [["*", "fp32"]]}' > "$out/fp32.json"
    "$build/examples/mixq-convert" "$ck" -o "$out/f32" --table "$out/fp32.json" --format gguf >/dev/null
    measure "llama_model_quantize F32 -> Q8_0" "$out/q8.gguf" "$py" -c "
import ctypes, sys, llama_cpp
p = llama_cpp.llama_model_quantize_default_params(); p.nthread = $threads; p.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
sys.exit(llama_cpp.llama_model_quantize(b'$out/f32/model.gguf', b'$out/q8.gguf', ctypes.byref(p)))"
  else
    echo "  (llama.cpp: no interop venv at $py; run scripts/interop-env.sh)"
  fi
  rm -rf "$out"
done
