#!/usr/bin/env bash
# Run ON a lent GPU machine in one call (after scripts/gpu-bundle.sh here, carrying gpu-bundle/):
# the GPU tests, compute-sanitizer (memcheck, racecheck, synccheck) on the small cases, and the CUDA benchmarks.
# Logs and JSON results go under $OUT (default: gpu-out/). Exit status: 0 only if everything passed.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="${MIXQ_GPU_BUNDLE:-$root/gpu-bundle}"
out="${OUT:-$root/gpu-out}"
mkdir -p "$out"
export LD_LIBRARY_PATH="$bundle/lib:${LD_LIBRARY_PATH:-}"
status=0
step() {  # step NAME COMMAND...: runs it, logs to $out/NAME.log, records pass/fail
  local name=$1; shift
  if "$@" >"$out/$name.log" 2>&1; then echo "PASS $name"; else echo "FAIL $name (exit $?, see $name.log)"; status=1; fi
}
nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || true
step gpu_tests "$bundle/bin/mixq_gpu_tests" -r junit -o "$out/gpu_tests.xml"
# compute-sanitizer on the small cases: memcheck (every kernel), racecheck and synccheck (the block-wide
# scan's shared memory and barriers).
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1 || true)
if [ -n "$sanitizer" ]; then
  for tool in memcheck racecheck synccheck; do
    step "$tool" "$sanitizer" --tool "$tool" --error-exitcode 1 "$bundle/bin/mixq_gpu_tests" "[small]"
  done
else
  echo "FAIL compute-sanitizer (not found)"; status=1
fi
for b in "$bundle"/bin/bench_cuda_*; do
  [ -x "$b" ] || continue
  step "$(basename "$b")" "$b" --benchmark_out="$out/$(basename "$b").json" --benchmark_out_format=json
done
exit $status
