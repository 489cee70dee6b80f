#!/usr/bin/env bash
# Builds the CPU test suite with AddressSanitizer + UBSan into build-sanitize/ and runs it; any report fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
# A CPU build: the GPU tests cannot run under ASan here (and have no device). -g1 (line tables only) is
# what a report's stack trace needs; full -g made the template-heavy test files a third slower to build
# (154 s against 103 s for tests/eval/test_paired_change.cpp on the 2-core VM) for variables nobody reads.
# -O1, as the ASan documentation advises for speed with usable stacks: the largest unity batch of the tests
# built in 122 s against 189 s at -O2 on the 2-core VM; the suite runs somewhat slower, far less than that.
cmake -S "$root" -B "$root/build-sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DMIXQ_SANITIZE=ON -DMIXQ_ENABLE_CUDA=OFF -DMIXQ_BUILD_BENCHMARKS=OFF >/dev/null
# The SIMD-variant test builds (the same kernel tests compiled for AVX2 and plain x86-64) are not made here
# (tests/CMakeLists.txt): the plain suite runs them.
cmake --build "$root/build-sanitize" -j "$(nproc)" --target mixq_tests mixq-convert mixq-inspect mixq-eval
cd "$root/build-sanitize"
# Left out here, run in the normal suite: the packaging and header tests build other trees, and the
# evaluations of the whole fixture (over a minute each under ASan: the oracle tables, the int4 calibrator
# goal, the searches end to end through mixq-search and under a quality budget) run the same kernels,
# forward and search that the small-shape and few-token tests exercise here: the size-budget search on
# few windows (every phase of a search, MIXQ_TEST_SMALL), the KL passes.
skip='downstream_cmake_consumers|headers_compile_on_their_own|PyTorch|evaluates exactly like|mixq-eval prints|bring the oracle|seven outputs'
skip+='|search under a quality budget'
# Larger than the kernels they check (plain suite only): many row blocks on threads, sharded outputs, GPTQ a
# layer at a time on two fixtures, the search CLI's bad inputs.
skip+='|row blocks on several threads|max-shard-size shards|a layer at a time|mixq-search bad input'
skip+='|Mamba-2 and Nemotron-H fixtures|256-wide Mamba-1 fixture|same types and sizes|Mamba-2 family through the CLIs|mixq-search on the hybrid|GGUF search: exact|mixq-search --format gguf|ggml block types to GGUF'  # whole-model evaluations and searches: plain suite only
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j "$(nproc)" --timeout 900 -E "$skip"
