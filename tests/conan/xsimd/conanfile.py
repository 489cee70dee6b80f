# CI-only system wrapper: Debian's xsimd headers under ConanCenter's name. See docs/packaging.md.
from conan import ConanFile


class Systemxsimd(ConanFile):
    name = "xsimd"
    version = "8.1.0"
    python_requires = "mixq-system-headers/1.0"
    python_requires_extend = "mixq-system-headers.SystemHeaders"
    cmake_file_name = "xsimd"
    cmake_target_name = "xsimd"
