// A checkpoint given as a file or as a Hugging Face model directory: the file mixq reads from it.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "../core/error.hpp"

namespace mixq::io {

// A directory is read as Hugging Face lays one out: its model.safetensors, else the shards its
// model.safetensors.index.json lists (config.json beside them is checked by the model loader), else its
// PyTorch checkpoint: pytorch_model.bin or the one *.pt / *.pth file (io/checkpoint.hpp opens them all).
[[nodiscard]] inline std::string resolve_checkpoint(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(path, ec)) return path;
    const fs::path dir(path);
    if (fs::is_regular_file(dir / "model.safetensors", ec)) return (dir / "model.safetensors").string();
    if (fs::is_regular_file(dir / "model.safetensors.index.json", ec)) return (dir / "model.safetensors.index.json").string();
    if (fs::is_regular_file(dir / "pytorch_model.bin", ec)) return (dir / "pytorch_model.bin").string();
    if (fs::exists(dir / "pytorch_model.bin.index.json", ec))
        fail(path + ": a sharded PyTorch checkpoint (pytorch_model.bin.index.json), which mixq does not read: "
                    "convert it to safetensors shards first");
    std::vector<std::string> pt;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && (e.path().extension() == ".pt" || e.path().extension() == ".pth")) pt.push_back(e.path().filename().string());
    std::sort(pt.begin(), pt.end());
    if (pt.size() == 1) return (dir / pt.front()).string();
    if (pt.size() > 1) fail(path + ": holds several PyTorch checkpoints (" + pt[0] + ", " + pt[1] + (pt.size() > 2 ? ", ..." : "") + "); name the one to read");
    fail(path + ": a directory with neither model.safetensors, model.safetensors.index.json, pytorch_model.bin nor a .pt file");
}

}  // namespace mixq::io
