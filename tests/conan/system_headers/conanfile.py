# Base for CI's system-wrapper recipes: a header-only package whose headers are Debian's, in /usr/include.
# CI only (ConanCenter is unreachable there); real users get these libraries from ConanCenter.
from conan import ConanFile


class SystemHeaders:
    package_type = "header-library"
    cmake_file_name = None    # set by each wrapper: the name find_package() uses
    cmake_target_name = None  # and the target ConanCenter's recipe defines

    def package_id(self):
        self.info.clear()

    def package_info(self):
        self.cpp_info.includedirs = ["/usr/include"]
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", self.cmake_file_name)
        self.cpp_info.set_property("cmake_target_name", self.cmake_target_name)


class SystemHeadersBase(ConanFile):
    name = "mixq-system-headers"
    version = "1.0"
    package_type = "python-require"
