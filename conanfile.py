# Conan 2 recipe for mixq: a header-only library with components core, model, pytorch and cuda (mixq::core, ...).
import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout


class MixqConan(ConanFile):
    name = "mixq"
    description = "Layer-wise mixed-precision quantization of state-space language models"
    license = "MIT"
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    exports_sources = "include/*"
    no_copy_source = True

    def set_version(self):
        # The version is stated once, in include/mixq/version.hpp.
        text = load(self, os.path.join(self.recipe_folder, "include", "mixq", "version.hpp"))
        parts = [re.search(rf"#define MIXQ_VERSION_{p} (\d+)", text).group(1) for p in ("MAJOR", "MINOR", "PATCH")]
        self.version = ".".join(parts)

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # The same references as on ConanCenter.
        self.requires("xtensor/0.24.3")
        self.requires("nlohmann_json/3.11.2")
        self.requires("fmt/9.1.0")
        self.requires("xsimd/8.1.0")

    def package_id(self):
        self.info.clear()

    def validate(self):
        check_min_cppstd(self, 20)

    def package(self):
        copy(self, "*.hpp", os.path.join(self.source_folder, "include"), os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "mixq")
        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "mixq::core")
        core.requires = ["xtensor::xtensor", "nlohmann_json::nlohmann_json", "fmt::fmt"]
        core.bindirs = []
        core.libdirs = []
        # mixq::model also needs a CBLAS at link time (OpenBLAS from the system; see docs/packaging.md).
        model = self.cpp_info.components["model"]
        model.set_property("cmake_target_name", "mixq::model")
        model.requires = ["core", "xsimd::xsimd"]
        model.system_libs = ["openblas"]
        model.bindirs = []
        model.libdirs = []
        # mixq::pytorch: torch.save checkpoints (io/pytorch_reader.hpp, io/checkpoint.hpp) read through libzip,
        # from the system like OpenBLAS (Debian: libzip-dev).
        pt = self.cpp_info.components["pytorch"]
        pt.set_property("cmake_target_name", "mixq::pytorch")
        pt.requires = ["core"]
        pt.system_libs = ["zip"]
        pt.bindirs = []
        pt.libdirs = []
        # mixq::cuda: the CUDA headers of mixq; the CUDA toolkit (cudart, CCCL) comes from the system,
        # as ConanCenter has no CUDA toolkit package.
        cuda = self.cpp_info.components["cuda"]
        cuda.set_property("cmake_target_name", "mixq::cuda")
        cuda.requires = ["core"]
        cuda.system_libs = ["cudart"]
        cuda.bindirs = []
        cuda.libdirs = []
