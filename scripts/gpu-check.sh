#!/usr/bin/env bash
# Run ON a lent GPU machine in one call (after scripts/gpu-bundle.sh here, carrying gpu-bundle/):
# the GPU tests, compute-sanitizer (memcheck, racecheck, synccheck) on the small cases, and the CUDA benchmarks.
# Logs and JSON results go under $OUT (default: gpu-out/). Exit status: 0 only if everything passed.
# Back here, scripts/bench-table.py turns each JSON into Markdown tables for docs/performance.md, e.g.
#   scripts/bench-table.py OUT/bench_cuda_gemv.json --args N,K,batch,warps,multi_row_from,mma_from,mma_k_warps
# (add --best warps,multi_row_from or --best mma_k_warps to keep the fastest row of a tuning sweep).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bundle="${MIXQ_GPU_BUNDLE:-$root/gpu-bundle}"
out="${OUT:-$root/gpu-out}"
mkdir -p "$out"
export LD_LIBRARY_PATH="$bundle/lib:${LD_LIBRARY_PATH:-}"
status=0
# step SECONDS NAME COMMAND...: runs it under a time limit (a kernel that never ran before may hang, and
# the lent machine's minutes are few: the steps after it still run), logs to $out/NAME.log, records
# pass/fail and the seconds taken.
step() {
  local limit=$1 name=$2; shift 2
  local t0=$SECONDS rc=0
  timeout --kill-after=10 "$limit" "$@" >"$out/$name.log" 2>&1 || rc=$?
  if [ $rc -eq 0 ]; then echo "PASS $name ($((SECONDS - t0)) s)"
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then echo "FAIL $name (over ${limit} s, see $name.log)"; status=1
  else echo "FAIL $name (exit $rc, see $name.log)"; status=1; fi
}
nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || true
cp "$bundle/VERSION" "$out/" 2>/dev/null || true  # the commit the binaries were built from
# The GPU tests in four runs by tag: a run cut off by its limit loses its report (Catch2 writes the JUnit
# file at the end), not the others'. Their host side (random data, references, bounds), timed by
# scripts/gpu-tests-dry-run.sh on the 2-core development VM: [gemv] 95 s including ~35 s of the stand-ins'
# own sums, the rest under 10 s.
step 200 gpu_tests_gemv "$bundle/bin/mixq_gpu_tests" "[gemv]" -r junit -o "$out/gpu_tests_gemv.xml"
step 90 gpu_tests_ssm "$bundle/bin/mixq_gpu_tests" "[scan],[conv1d]" -r junit -o "$out/gpu_tests_ssm.xml"
step 90 gpu_tests_calibration "$bundle/bin/mixq_gpu_tests" "[percentile],[quantize]" -r junit -o "$out/gpu_tests_calibration.xml"
step 60 gpu_tests_small "$bundle/bin/mixq_gpu_tests" "[small]" -r junit -o "$out/gpu_tests_small.xml"
# compute-sanitizer on the small cases: memcheck (every kernel), racecheck and synccheck (the block-wide
# scan's shared memory and barriers).
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1 || true)
if [ -n "$sanitizer" ]; then
  for tool in memcheck racecheck synccheck; do
    step 90 "$tool" "$sanitizer" --tool "$tool" --error-exitcode 1 "$bundle/bin/mixq_gpu_tests" "[small]"
  done
else
  echo "FAIL compute-sanitizer (not found)"; status=1
fi
for b in "$bundle"/bin/bench_cuda_*; do
  [ -x "$b" ] || continue
  step 150 "$(basename "$b")" "$b" --benchmark_out="$out/$(basename "$b").json" --benchmark_out_format=json
done
exit $status
