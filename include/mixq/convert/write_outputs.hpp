// Writes a conversion's four files (and the input's config.json) into a directory: all staged under temporary names, then renamed.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../io/mapped_file.hpp"
#include "../io/safetensors_writer.hpp"
#include "convert.hpp"
#include "model_files.hpp"
#include "report.hpp"
#include "stored_layout.hpp"
#include "svg_chart.hpp"

namespace mixq {

// The model's files as stored_layout describes them (one file, or shards above max_shard bytes), each
// tensor's bytes written by `write` (from memory, or from a streaming conversion's staged data). A scale
// name that would collide with an input tensor is refused.
inline std::vector<std::unique_ptr<io::atomic_file>> stage_model(
    const std::filesystem::path& dir, const conversion& c, std::uint64_t max_shard,
    const std::function<void(io::atomic_file&, const io::tensor_header&, std::span<const std::byte>)>& write,
    const one_file_fn& one_file = {}) {
    for (const auto& x : c.tensors)
        if (x.has_scales() && c.input->find(x.source->name + "_scale"))
            fail("tensor '" + x.source->name + "_scale' already exists in " + c.input->path() +
                 "; cannot store the scales of '" + x.source->name + "'");
    auto meta = stored_metadata();
    std::vector<std::vector<model_part>> units;
    for (const auto& x : c.tensors) {
        std::vector<model_part> unit;
        visit_stored(meta, x, [&](const io::tensor_header& h, std::span<const std::byte> b) {
            unit.push_back({h, [&write, h, b](io::atomic_file& f) { write(f, h, b); }});
        });
        if (!unit.empty()) units.push_back(std::move(unit));
    }
    return stage_model_files(dir, units, meta, max_shard, one_file);
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

// Commits the staged model files and extras, then removes the other form's file left by an earlier run
// (never in the input's own directory, whose files may be the input).
inline void commit_outputs(const std::filesystem::path& dir, const conversion& c, std::vector<std::unique_ptr<io::atomic_file>>& model,
                           staged_extras& extras) {
    for (auto& f : model) f->commit();
    extras.commit();
    std::error_code ec;
    if (!std::filesystem::equivalent(dir, std::filesystem::path(c.input->path()).parent_path(), ec)) remove_other_form(dir, model.size() > 1);
}

// Refuses to overwrite the input; creates `dir` if needed. Nothing appears under a final name
// until every file has been staged completely.
inline void write_outputs(const std::filesystem::path& dir, const conversion& c, std::uint64_t max_shard = default_max_shard_size) {
    prepare_output_dir(dir, *c.input);
    auto model = stage_model(dir, c, max_shard, [](io::atomic_file& f, const io::tensor_header&, std::span<const std::byte> b) { f.write(b); });
    auto extras = stage_extras(dir, c);
    commit_outputs(dir, c, model, *extras);
}

}  // namespace mixq
