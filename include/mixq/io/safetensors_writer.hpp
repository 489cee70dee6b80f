// Writes a safetensors file atomically (temporary name, then rename) with a deterministic header.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "../core/tensor_view.hpp"
#include "atomic_file.hpp"

namespace mixq::io {

struct tensor_out {
    std::string name;
    dtype type;
    shape_t shape;
    std::span<const std::byte> bytes;  // must stay alive until the write returns
};

// A tensor's header entry alone: what a writer that streams the data (convert/stream.hpp) knows up front.
struct tensor_header {
    std::string name;
    dtype type;
    shape_t shape;
    std::uint64_t size;  // bytes
};

// Serialises the header for `tensors` in the given order (data laid out contiguously in that order).
// The header is padded with spaces (as the format allows) so the data starts at a multiple of `align`
// (8 at least: every tensor starts 8-byte aligned in the file).
[[nodiscard]] inline std::string safetensors_header(const std::vector<tensor_header>& tensors,
                                                    const std::map<std::string, std::string>& metadata, std::size_t align = 8) {
    nlohmann::ordered_json h = nlohmann::ordered_json::object();
    if (!metadata.empty()) h["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        const std::uint64_t expected = static_cast<std::uint64_t>(numel(t.shape)) * size_of(t.type);
        if (expected != t.size)
            throw error(errc::internal, "safetensors writer: '" + t.name + "' has " + std::to_string(t.size) +
                                            " bytes, shape needs " + std::to_string(expected));
        h[t.name] = {{"dtype", std::string(to_string(t.type))}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.size}}};
        offset += t.size;
    }
    std::string s = h.dump();
    s.append((align - (8 + s.size()) % align) % align, ' ');
    return s;
}
[[nodiscard]] inline std::string safetensors_header(const std::vector<tensor_out>& tensors,
                                                    const std::map<std::string, std::string>& metadata) {
    std::vector<tensor_header> h;
    h.reserve(tensors.size());
    for (const auto& t : tensors) h.push_back({t.name, t.type, t.shape, t.bytes.size()});
    return safetensors_header(h, metadata);
}

// The 8-byte little-endian header length, then the header: what precedes the data.
[[nodiscard]] inline std::string safetensors_prefix(const std::string& header) {
    std::string p(8, '\0');
    for (int i = 0; i < 8; ++i) p[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return p + header;
}
inline void write_safetensors_header(atomic_file& out, const std::string& header) { out.write(safetensors_prefix(header)); }

// Stages the whole file under a temporary name; the caller commits (renames) when every output is ready.
inline void write_safetensors(atomic_file& out, const std::vector<tensor_out>& tensors,
                              const std::map<std::string, std::string>& metadata = {}) {
    write_safetensors_header(out, safetensors_header(tensors, metadata));
    for (const auto& t : tensors) out.write(t.bytes);
}

inline void write_safetensors(const std::filesystem::path& path, const std::vector<tensor_out>& tensors,
                              const std::map<std::string, std::string>& metadata = {}) {
    atomic_file out(path);
    write_safetensors(out, tensors, metadata);
    out.commit();
}

}  // namespace mixq::io
