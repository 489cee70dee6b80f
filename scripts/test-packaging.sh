#!/usr/bin/env bash
# Proves the Conan 2 recipe (conan create, offline, with system-wrapper requirements) and the vcpkg
# port's CMake steps (configure with the port's options, install, consume from the prefix).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/build-packaging"
rm -rf "$work"; mkdir -p "$work"

# The version is stated in include/mixq/version.hpp; vcpkg.json must repeat it exactly.
hv=$(sed -n 's/#define MIXQ_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)/\2/p' "$root/include/mixq/version.hpp" | paste -sd.)
grep -q "\"version\": \"$hv\"" "$root/ports/mixq/vcpkg.json" || { echo "ports/mixq/vcpkg.json does not say version $hv"; exit 1; }

echo "== vcpkg port: the portfile's configure and install steps with plain CMake"
opts=$(sed -n '/vcpkg_cmake_configure/,/^)/p' "$root/ports/mixq/portfile.cmake" | grep -o -- '-D[A-Z_]*=[A-Z]*')
# shellcheck disable=SC2086
cmake -S "$root" -B "$work/vcpkg-build" -DCMAKE_BUILD_TYPE=Release $opts >/dev/null
cmake --install "$work/vcpkg-build" --prefix "$work/vcpkg-prefix" >/dev/null
grep -q 'CONFIG_PATH share/mixq/cmake' "$root/ports/mixq/portfile.cmake"
test -f "$work/vcpkg-prefix/share/mixq/cmake/mixqConfig.cmake"   # the path vcpkg_cmake_config_fixup expects
test ! -e "$work/vcpkg-prefix/bin" && test ! -e "$work/vcpkg-prefix/lib"  # header-only: nothing else
cmake -S "$root/tests/downstream" -B "$work/vcpkg-consumer" -DCMAKE_PREFIX_PATH="$work/vcpkg-prefix" >/dev/null
cmake --build "$work/vcpkg-consumer" >/dev/null
mkdir -p "$work/vcpkg-run" && "$work/vcpkg-consumer/downstream" "$work/vcpkg-run"

echo "== Conan 2: conan create, offline"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "conan>=2,<3"
export CONAN_HOME="$work/conan-home"
conan="$work/venv/bin/conan"
"$conan" profile detect >/dev/null 2>&1
"$conan" remote disable conancenter >/dev/null  # offline: requirements come from tests/conan/
for dep in system_headers xtl xsimd xtensor nlohmann_json fmt; do
  "$conan" export "$root/tests/conan/$dep" >/dev/null 2>&1
done
"$conan" create "$root" -s compiler.cppstd=20 --build=missing > "$work/conan-create.log" 2>&1 || { tail -n 40 "$work/conan-create.log"; exit 1; }
grep "test_package: ok" "$work/conan-create.log"
echo "packaging: vcpkg port steps and conan create passed"
