# CI-only system wrapper: Debian's xtl headers under ConanCenter's name. See docs/packaging.md.
from conan import ConanFile


class Systemxtl(ConanFile):
    name = "xtl"
    version = "0.7.2"
    python_requires = "mixq-system-headers/1.0"
    python_requires_extend = "mixq-system-headers.SystemHeaders"
    cmake_file_name = "xtl"
    cmake_target_name = "xtl"
