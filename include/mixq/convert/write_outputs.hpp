// Writes a conversion's four files (and the input's config.json) into a directory: all staged under temporary names, then renamed.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
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

// Creates `dir` if needed and refuses an output that would overwrite the input.
inline void prepare_output_dir(const std::filesystem::path& dir, const io::safetensors_file& in) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) fail(dir.string() + ": cannot create output directory: " + ec.message());
    const auto model = dir / "model.safetensors";
    if (fs::exists(model) && fs::equivalent(model, fs::path(in.path()), ec))
        fail(model.string() + " is the input file; refusing to overwrite it (choose another -o)");
}

// The files beside model.safetensors, staged; the caller commits them with it.
struct staged_extras {
    explicit staged_extras(const std::filesystem::path& dir)
        : meta(dir / "metadata.json"), stats(dir / "statistics.json"), svg(dir / "precision_allocation.svg") {}
    io::atomic_file meta, stats, svg;
    std::optional<io::atomic_file> config;  // the input's config.json, when it had one
    void commit() {
        for (auto* f : {&meta, &stats, &svg}) f->commit();
        if (config) config->commit();
    }
};

inline std::unique_ptr<staged_extras> stage_extras(const std::filesystem::path& dir, const conversion& c) {
    namespace fs = std::filesystem;
    auto x = std::make_unique<staged_extras>(dir);
    x->meta.write(metadata_json(c).dump(1) + "\n");
    x->stats.write(statistics_json(c).dump(1) + "\n");
    x->svg.write(precision_svg(c));
    // A Hugging Face input's config.json travels with the weights, so the output is a model directory too.
    std::error_code ec;
    if (const auto cfg = fs::path(c.input->path()).parent_path() / "config.json"; fs::is_regular_file(cfg, ec)) {
        x->config.emplace(dir / "config.json");
        const io::mapped_file m(cfg.string());
        x->config->write(m.bytes());
    }
    return x;
}

// Refuses to overwrite the input; creates `dir` if needed. Nothing appears under a final name
// until every file has been staged completely.
inline void write_outputs(const std::filesystem::path& dir, const conversion& c) {
    prepare_output_dir(dir, *c.input);
    io::atomic_file f_model(dir / "model.safetensors");
    stage_model(f_model, c);
    auto extras = stage_extras(dir, c);
    f_model.commit();
    extras->commit();
}

}  // namespace mixq
