// Writes a GGUF export into a directory: model.gguf and metadata.json, staged, then renamed together.
#pragma once

#include <filesystem>
#include <span>

#include "../io/atomic_file.hpp"
#include "report.hpp"

namespace mixq::gguf {

// `file` is the serialized export (serialize(x)); `record` is metadata.json's content.
inline void write_outputs(const std::filesystem::path& dir, const gguf_export& x, std::span<const std::byte> file,
                          const nlohmann::ordered_json& record) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) fail(dir.string() + ": cannot create output directory: " + ec.message());
    const auto model = dir / "model.gguf";
    for (const auto& f : {model, dir / "metadata.json"})
        if (fs::is_directory(f)) fail(f.string() + " exists and is a directory; refusing to replace it");
    if (fs::exists(model) && fs::equivalent(model, fs::path(x.input->path()), ec))
        fail(model.string() + " is the input file; refusing to overwrite it (choose another -o)");
    io::atomic_file f_model(model), f_meta(dir / "metadata.json");
    f_model.write(file);
    f_meta.write(record.dump(1) + "\n");
    f_model.commit();
    f_meta.commit();
}

}  // namespace mixq::gguf
