// A checkpoint given as a file or as a Hugging Face model directory: the file mixq reads from it.
#pragma once

#include <filesystem>
#include <string>

#include "../core/error.hpp"

namespace mixq::io {

// A directory is read as Hugging Face lays one out: its model.safetensors, else the shards its
// model.safetensors.index.json lists (safetensors_file::open reads either; config.json beside them is
// checked by the model loader). PyTorch files (pytorch_model.bin, *.pt) are recognised and refused with
// what to do, rather than "not a regular file".
[[nodiscard]] inline std::string resolve_checkpoint(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(path, ec)) return path;
    const fs::path dir(path);
    if (fs::is_regular_file(dir / "model.safetensors", ec)) return (dir / "model.safetensors").string();
    if (fs::is_regular_file(dir / "model.safetensors.index.json", ec)) return (dir / "model.safetensors.index.json").string();
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".pt" || e.path().extension() == ".bin")
            fail(path + ": holds a PyTorch checkpoint (" + e.path().filename().string() +
                 "), which mixq does not read yet: save the state dict with safetensors first");
    fail(path + ": a directory without model.safetensors");
}

}  // namespace mixq::io
