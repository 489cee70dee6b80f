// llama.cpp's importance matrix (each product's input squared, summed over calibration tokens) and its imatrix GGUF file format.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "reader.hpp"
#include "writer.hpp"

namespace mixq::gguf {

// Per weight: the sum over tokens of its input's squares, column by column, and the number of tokens.
// Stored as llama.cpp's imatrix tool stores it (float sums, a float count per expert, here one expert).
struct importance_entry {
    std::vector<float> sums;
    std::int64_t count = 0;
};

struct importance_matrix {
    std::map<std::string, importance_entry> entries;  // by weight name (Hugging Face names when collected, GGUF in a file)
    std::vector<std::string> datasets;                // what the tokens were (imatrix.datasets)
    std::int64_t chunk_count = 0, chunk_size = 0;      // windows and their length (imatrix.chunk_count / chunk_size)

    // What llama-quantize hands ggml for a tensor (load_imatrix): sums / count, or 1 without tokens.
    [[nodiscard]] std::vector<float> weights(const std::string& name) const {
        const auto& e = entries.at(name);
        std::vector<float> w(e.sums.size(), 1.0f);
        if (e.count > 0)
            for (std::size_t i = 0; i < w.size(); ++i) w[i] = e.sums[i] / static_cast<float>(e.count);
        return w;
    }
};

// llama.cpp's imatrix file (tools/imatrix): general.type = imatrix, the datasets, chunk count and size, and per
// weight "<name>.in_sum2" F32 [columns, 1] and "<name>.counts" F32 [1, 1].
[[nodiscard]] inline std::vector<std::byte> serialize_imatrix(const importance_matrix& m) {
    std::vector<kv> kvs{kv::str("general.type", "imatrix"), kv::strings("imatrix.datasets", m.datasets),
                        kv::u32("imatrix.chunk_count", static_cast<std::uint32_t>(m.chunk_count)),
                        kv::u32("imatrix.chunk_size", static_cast<std::uint32_t>(m.chunk_size))};
    std::vector<float> counts;
    counts.reserve(m.entries.size());
    for (const auto& [name, e] : m.entries) counts.push_back(static_cast<float>(e.count));
    std::vector<tensor_out> tensors;
    std::size_t i = 0;
    for (const auto& [name, e] : m.entries) {
        tensors.push_back({name + ".in_sum2", ggml_type::f32, {static_cast<std::int64_t>(e.sums.size()), 1}, std::as_bytes(std::span(e.sums))});
        tensors.push_back({name + ".counts", ggml_type::f32, {1, 1}, std::as_bytes(std::span(counts).subspan(i++, 1))});
    }
    auto out = gguf_header(kvs, tensors);
    for (const auto& t : tensors) {
        out.insert(out.end(), t.bytes.begin(), t.bytes.end());
        out.resize(align_up(out.size()), std::byte{0});
    }
    return out;
}

// Reads an imatrix file back (as llama.cpp's common_imatrix_load: pairs of in_sum2 / counts, F32, one expert).
[[nodiscard]] inline importance_matrix read_imatrix(const gguf_file& f) {
    importance_matrix m;
    if (const auto* d = f.find_kv("imatrix.datasets"))
        for (const auto& v : d->value) m.datasets.push_back(v.get<std::string>());
    if (f.find_kv("imatrix.chunk_count")) m.chunk_count = static_cast<std::int64_t>(f.get_uint("imatrix.chunk_count"));
    if (f.find_kv("imatrix.chunk_size")) m.chunk_size = static_cast<std::int64_t>(f.get_uint("imatrix.chunk_size"));
    const auto floats = [&](const tensor_info& t) {
        if (t.type != ggml_type::f32) fail(f.path() + ": imatrix tensor '" + t.name + "' is " + std::string(to_string(t.type)) + ", not F32");
        std::vector<float> v(static_cast<std::size_t>(t.numel()));
        std::memcpy(v.data(), t.bytes.data(), v.size() * 4);
        return v;
    };
    for (const auto& t : f.tensors()) {
        if (!t.name.ends_with(".in_sum2")) continue;
        const auto name = t.name.substr(0, t.name.size() - 8);
        const auto* c = f.find(name + ".counts");
        if (!c) fail(f.path() + ": imatrix entry '" + name + "' has sums but no counts");
        const auto cv = floats(*c);
        if (cv.size() != 1) fail(f.path() + ": imatrix entry '" + name + "' has " + std::to_string(cv.size()) + " counts; mixq reads one expert");
        m.entries[name] = {floats(t), std::lround(cv[0])};
    }
    if (m.entries.empty()) fail(f.path() + ": no imatrix entries (<name>.in_sum2 with <name>.counts)");
    return m;
}

}  // namespace mixq::gguf
