# CI-only system wrapper: Debian's xtensor headers under ConanCenter's name. See docs/packaging.md.
from conan import ConanFile


class Systemxtensor(ConanFile):
    name = "xtensor"
    version = "0.24.3"
    python_requires = "mixq-system-headers/1.0"
    python_requires_extend = "mixq-system-headers.SystemHeaders"
    cmake_file_name = "xtensor"
    cmake_target_name = "xtensor"

    def requirements(self):
        self.requires("xtl/0.7.2")
        self.requires("xsimd/8.1.0")
