#!/usr/bin/env bash
# Run HERE (no GPU needed): builds the GPU test binary for sm_90 and packs it with the shared libraries a
# bare CUDA image may lack into gpu-bundle/ (git-ignored), to be carried to a lent GPU machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" --target mixq_gpu_tests
bundle="$root/gpu-bundle"
rm -rf "$bundle"; mkdir -p "$bundle/bin" "$bundle/lib"
cp "$root/build/tests/mixq_gpu_tests" "$bundle/bin/"
for b in "$root"/build/benchmarks/bench_cuda_*; do [ -x "$b" ] && cp "$b" "$bundle/bin/"; done
# Every resolved library except the C runtime and the driver (libcuda comes with the machine's driver).
for bin in "$bundle"/bin/*; do
  ldd "$bin" | awk '/=> \//{print $3}' | grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libcuda)\.so' |
    while read -r lib; do cp -L -n "$lib" "$bundle/lib/"; done
done
cp "$root/scripts/gpu-check.sh" "$bundle/"
du -sh "$bundle"
