#!/usr/bin/env bash
# Run HERE (no GPU needed): builds the GPU test binary for sm_90 and packs it with the shared libraries a
# bare CUDA image may lack into gpu-bundle/ (git-ignored), to be carried to a lent GPU machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
# Its own build tree without -march=native: the lent machine's CPU is not this one, and host code built for
# this CPU's AVX-512 extensions (FP16 among them) could stop there on an instruction its CPU lacks.
build="$root/build-gpu"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMIXQ_NATIVE=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target mixq_gpu_tests bench_cuda_gemv bench_cuda_scan bench_cuda_percentile
bundle="$root/gpu-bundle"
rm -rf "$bundle"; mkdir -p "$bundle/bin" "$bundle/lib"
cp "$build/tests/mixq_gpu_tests" "$bundle/bin/"
for b in "$build"/benchmarks/bench_cuda_*; do [ -x "$b" ] && cp "$b" "$bundle/bin/"; done
# Every resolved library except the C runtime, the driver and the CUDA libraries: the lent machine has
# CUDA 13 with cudart and cuBLAS, and carrying cuBLAS alone would exceed the 64 MiB carry limit.
for bin in "$bundle"/bin/*; do
  ldd "$bin" | awk '/=> \//{print $3}' |
    grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libcuda|libcudart|libcublas|libcublasLt)\.so' |
    while read -r lib; do cp -L -n "$lib" "$bundle/lib/"; done
done
cp "$root/scripts/gpu-check.sh" "$bundle/"
# The commit the binaries come from (with "+dirty" when the tree had changes), for docs/performance.md.
{ git -C "$root" rev-parse --short HEAD; git -C "$root" diff --quiet HEAD || echo "+dirty"; } | paste -sd '' >"$bundle/VERSION"
size=$(du -sm "$bundle" | cut -f1)
echo "gpu-bundle: ${size} MiB"
[ "$size" -lt 64 ] || { echo "gpu-bundle is over the 64 MiB carry limit"; exit 1; }
