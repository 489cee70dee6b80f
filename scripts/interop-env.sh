#!/usr/bin/env bash
# Makes the virtual environment the interop tests use (outside the source tree): the pinned PyPI packages
# gguf, safetensors and llama-cpp-python, whose bundled llama.cpp builds from source the first time (~11 min
# on 2 cores; pip caches the wheel). A changed pin list installs only what is missing. Prints the
# environment's python on its last line.
set -euo pipefail
venv="${MIXQ_INTEROP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mixq/interop-venv}"
gguf_pin="gguf==0.19.0"
llama_pin="llama-cpp-python==0.3.36"
numpy_pin="numpy==2.4.6"
safetensors_pin="safetensors==0.8.0"
stamp="$venv/.mixq-pins"
want="$gguf_pin $llama_pin $numpy_pin $safetensors_pin"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --upgrade pip >&2
  # A native build enables AMX on these VMs, which faults (SIGILL) in quantized products: AVX2 only.
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_OPENMP=OFF" \
    "$venv/bin/pip" install -q "$gguf_pin" "$llama_pin" "$numpy_pin" "$safetensors_pin" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
