// Writes a GGUF export into a directory: model.gguf, metadata.json (and imatrix.gguf), staged, then renamed together.
#pragma once

#include <filesystem>
#include <optional>
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
    for (const auto& f : {model, dir / "metadata.json", dir / "imatrix.gguf"})
        if (fs::is_directory(f)) fail(f.string() + " exists and is a directory; refusing to replace it");
    if (fs::exists(model) && fs::equivalent(model, fs::path(x.input->path()), ec))
        fail(model.string() + " is the input file; refusing to overwrite it (choose another -o)");
    io::atomic_file f_model(model), f_meta(dir / "metadata.json");
    std::optional<io::atomic_file> f_imatrix;
    if (x.imatrix) {  // llama.cpp's own format: llama-quantize --imatrix of it rounds as mixq did
        f_imatrix.emplace(dir / "imatrix.gguf");
        f_imatrix->write(serialize_imatrix(*x.imatrix));
    }
    f_model.write(file);
    f_meta.write(record.dump(1) + "\n");
    f_model.commit();
    f_meta.commit();
    if (f_imatrix) f_imatrix->commit();
}

}  // namespace mixq::gguf
