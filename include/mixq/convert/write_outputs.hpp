// Writes a conversion's four files (and the input's config.json) into a directory: all staged under temporary names, then renamed.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../io/mapped_file.hpp"
#include "../io/safetensors_writer.hpp"
#include "convert.hpp"
#include "report.hpp"
#include "stored_layout.hpp"
#include "svg_chart.hpp"

namespace mixq {

// model.safetensors as stored_layout describes it; a scale name that would collide with an input tensor
// is refused.
inline void stage_model(io::atomic_file& out, const conversion& c) {
    const auto layout = stored_layout(c);
    std::vector<io::tensor_out> tensors;
    for (const auto& x : c.tensors)
        if (x.has_scales() && c.input->find(x.source->name + "_scale"))
            fail("tensor '" + x.source->name + "_scale' already exists in " + c.input->path() +
                 "; cannot store the scales of '" + x.source->name + "'");
    for (const auto& t : layout.tensors) tensors.push_back({t.name, t.type, t.shape, t.bytes});
    io::write_safetensors(out, tensors, layout.metadata);
}

// Refuses to overwrite the input; creates `dir` if needed. Nothing appears under a final name
// until every file has been staged completely.
inline void write_outputs(const std::filesystem::path& dir, const conversion& c) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) fail(dir.string() + ": cannot create output directory: " + ec.message());
    const auto model = dir / "model.safetensors";
    if (fs::exists(model) && fs::equivalent(model, fs::path(c.input->path()), ec))
        fail(model.string() + " is the input file; refusing to overwrite it (choose another -o)");
    io::atomic_file f_model(model), f_meta(dir / "metadata.json"), f_stats(dir / "statistics.json"),
        f_svg(dir / "precision_allocation.svg");
    stage_model(f_model, c);
    f_meta.write(metadata_json(c).dump(1) + "\n");
    f_stats.write(statistics_json(c).dump(1) + "\n");
    f_svg.write(precision_svg(c));
    // A Hugging Face input's config.json travels with the weights, so the output is a model directory too.
    std::optional<io::atomic_file> f_config;
    if (const auto cfg = fs::path(c.input->path()).parent_path() / "config.json"; fs::is_regular_file(cfg, ec)) {
        f_config.emplace(dir / "config.json");
        const io::mapped_file m(cfg.string());
        f_config->write(m.bytes());
    }
    for (auto* f : {&f_model, &f_meta, &f_stats, &f_svg}) f->commit();
    if (f_config) f_config->commit();
}

}  // namespace mixq
