# CI-only system wrapper: Debian's {fmt} (libfmt-dev: headers and libfmt.so) under ConanCenter's name. See docs/packaging.md.
from conan import ConanFile


class Systemfmt(ConanFile):
    name = "fmt"
    version = "9.1.0"
    python_requires = "mixq-system-headers/1.0"
    python_requires_extend = "mixq-system-headers.SystemHeaders"
    cmake_file_name = "fmt"
    cmake_target_name = "fmt::fmt"

    def package_info(self):
        super().package_info()
        self.cpp_info.system_libs = ["fmt"]  # a compiled library, unlike the header-only wrappers: link Debian's
