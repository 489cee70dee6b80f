# vcpkg overlay port for mixq (header-only). Use: vcpkg install mixq --overlay-ports=ports
# scripts/test-vcpkg-port.sh runs the same configure / install steps with plain CMake in CI.
# The overlay port lives in the mixq repository: its source is the repository itself.
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DMIXQ_BUILD_TESTS=OFF
    -DMIXQ_BUILD_EXAMPLES=OFF
    -DMIXQ_BUILD_BENCHMARKS=OFF
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME mixq CONFIG_PATH share/mixq/cmake)
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug")
set(VCPKG_POLICY_EMPTY_PACKAGE enabled)
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
