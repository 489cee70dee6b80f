#!/usr/bin/env bash
# Proves the two ways a CMake user consumes mixq: install + find_package, and add_subdirectory.
# Usage: run.sh MIXQ_SOURCE_DIR MIXQ_BUILD_DIR WORK_DIR
set -euo pipefail
src="$1"; build="$2"; work="$3"
rm -rf "$work"; mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/share/mixq/cmake/mixqConfig.cmake"
test -f "$work/prefix/share/mixq/cmake/mixqConfigVersion.cmake"
test -f "$work/prefix/include/mixq/mixq.hpp"

cmake -S "$src/tests/downstream" -B "$work/find" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/find" >/dev/null
mkdir -p "$work/run1" && "$work/find/downstream" "$work/run1"

cmake -S "$src/tests/downstream" -B "$work/sub" -DMIXQ_SOURCE_DIR="$src" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/sub" >/dev/null
test ! -e "$work/sub/mixq/tests" || { echo "add_subdirectory built mixq's tests"; exit 1; }
mkdir -p "$work/run2" && "$work/sub/downstream" "$work/run2"

# The cuda component without a CUDA toolkit (hidden from find_package here) fails with a clear message.
if cmake -S "$src/tests/downstream" -B "$work/cuda" -DCMAKE_PREFIX_PATH="$work/prefix" -DMIXQ_COMPONENTS=cuda \
     -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON >"$work/cuda.log" 2>&1; then
  echo "find_package(mixq COMPONENTS cuda) without CUDA should have failed"; exit 1
fi
grep -q -E "component 'cuda' (is not available|needs the CUDA toolkit)" "$work/cuda.log"
# ...and succeeds when this installation has mixq::cuda and the toolkit is visible.
if grep -q "mixq::cuda" "$work/prefix/share/mixq/cmake/mixqTargets.cmake"; then
  cmake -S "$src/tests/downstream" -B "$work/cuda-ok" -DCMAKE_PREFIX_PATH="$work/prefix" -DMIXQ_COMPONENTS=cuda >/dev/null
fi
echo "downstream: find_package and add_subdirectory both passed"
