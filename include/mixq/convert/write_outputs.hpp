// Writes a conversion's four files into a directory: all staged under temporary names, then renamed.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "../io/safetensors_writer.hpp"
#include "convert.hpp"
#include "report.hpp"
#include "svg_chart.hpp"

namespace mixq {

// Tensors in checkpoint order; an int8 tensor X is followed by X_scale (F32, one value per row).
// __metadata__ holds the format version, each converted tensor's scheme and each alias.
inline void stage_model(io::atomic_file& out, const conversion& c) {
    std::vector<io::tensor_out> tensors;
    std::map<std::string, std::string> meta{{"format", "mixq"}, {"mixq.format_version", std::to_string(format_version)}};
    for (const auto& x : c.tensors) {
        const auto& s = *x.source;
        if (x.alias_of) {
            meta["mixq.alias." + s.name] = *x.alias_of;
            continue;
        }
        tensors.push_back({s.name, x.stored, s.shape, x.bytes()});
        if (x.converted()) meta["mixq.scheme." + s.name] = x.scheme;
        if (x.has_scales()) {
            if (c.input->find(s.name + "_scale"))
                fail("tensor '" + s.name + "_scale' already exists in " + c.input->path() +
                     "; cannot store the scales of '" + s.name + "'");
            tensors.push_back({s.name + "_scale", dtype::f32, shape_t{static_cast<std::int64_t>(x.scales.size())},
                               std::as_bytes(std::span(x.scales))});
        }
    }
    io::write_safetensors(out, tensors, meta);
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
    for (auto* f : {&f_model, &f_meta, &f_stats, &f_svg}) f->commit();
}

}  // namespace mixq
