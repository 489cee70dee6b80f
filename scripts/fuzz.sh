#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and runs each one.
#   scripts/fuzz.sh SECONDS      run each target for SECONDS
#   scripts/fuzz.sh --runs N     run each target for N inputs (CI uses a fixed count)
# Seeds come from tests/fuzz/corpus/<target>/ (never modified); crashes land in build-fuzz/artifacts/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${1:-}" = "--runs" ]; then limit="-runs=${2:?--runs needs a count}"; else limit="-max_total_time=${1:-60}"; fi
"$root/scripts/install-deps.sh"
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi
build="$root/build-fuzz"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMIXQ_FUZZ=ON \
  -DMIXQ_BUILD_TESTS=OFF -DMIXQ_BUILD_EXAMPLES=OFF -DMIXQ_BUILD_BENCHMARKS=OFF -DMIXQ_NATIVE=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
mkdir -p "$build/artifacts"
status=0
for t in safetensors npy table_json glob config_json gguf pytorch; do
  work="$(mktemp -d)"
  log="$build/fuzz_$t.log"
  if "$build/tests/fuzz/fuzz_$t" "$limit" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$build/artifacts/$t-" "$work" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz_$t: ok, $(grep -E '^Done [0-9]+ runs' "$log" || tail -n 1 "$log")"
  else
    echo "fuzz_$t: FAILED (see $log and $build/artifacts/)"; tail -n 30 "$log"; status=1
  fi
  rm -rf "$work"
done
exit $status
