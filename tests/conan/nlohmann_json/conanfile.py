# CI-only system wrapper: Debian's nlohmann_json headers under ConanCenter's name. See docs/packaging.md.
from conan import ConanFile


class Systemnlohmannjson(ConanFile):
    name = "nlohmann_json"
    version = "3.11.2"
    python_requires = "mixq-system-headers/1.0"
    python_requires_extend = "mixq-system-headers.SystemHeaders"
    cmake_file_name = "nlohmann_json"
    cmake_target_name = "nlohmann_json::nlohmann_json"
