// What a conversion writes into model.safetensors: every tensor's name, dtype, shape and bytes, and __metadata__.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "../core/tensor_view.hpp"
#include "../io/safetensors_writer.hpp"
#include "convert.hpp"

namespace mixq {

inline constexpr int format_version = 1;

struct stored_tensors {
    std::vector<tensor_view> tensors;             // file order: each tensor, then its X_scale if it has one
    std::map<std::string, std::string> metadata;  // the header's __metadata__
};

// Checkpoint order; a quantized tensor X is followed by X_scale (F32: [rows] for int8 / fp8, [rows,
// groups] for int4 / nf4). __metadata__ holds the format version, each converted tensor's scheme, the
// logical shape of each quantized tensor (mixq.shape.X, a JSON list) and each alias. The reader
// (checkpoint_weights) and the writer share this one description, so a conversion evaluated in memory
// is the file that gets written.
// Calls f(header, bytes) for what `x` stores (itself, then its X_scale) and adds its metadata entries.
// The bytes are empty once a streaming conversion has written and released them; the header stays exact.
template <class F>
void visit_stored(std::map<std::string, std::string>& metadata, const converted_tensor& x, F&& f) {
    const auto& s = *x.source;
    if (x.alias_of) {
        metadata["mixq.alias." + s.name] = *x.alias_of;
        return;
    }
    f(io::tensor_header{s.name, x.stored, x.shape_written(), x.data_bytes()}, x.bytes());
    if (x.converted()) metadata["mixq.scheme." + s.name] = x.scheme;
    if (x.has_scales()) {
        std::string shape = "[";
        for (std::size_t i = 0; i < s.shape.size(); ++i) shape += (i ? "," : "") + std::to_string(s.shape[i]);
        metadata["mixq.shape." + s.name] = shape + "]";
        f(io::tensor_header{s.name + "_scale", dtype::f32, x.scale_shape, x.scale_count() * sizeof(float)}, std::as_bytes(std::span(x.scales)));
    }
}

inline void append_stored(stored_tensors& out, const converted_tensor& x) {
    visit_stored(out.metadata, x, [&](const io::tensor_header& h, std::span<const std::byte> b) {
        out.tensors.push_back({h.name, h.type, h.shape, b});
    });
}

[[nodiscard]] inline std::map<std::string, std::string> stored_metadata() {
    return {{"format", "mixq"}, {"mixq.format_version", std::to_string(format_version)}};
}

[[nodiscard]] inline stored_tensors stored_layout(const conversion& c) {
    stored_tensors out;
    out.metadata = stored_metadata();
    for (const auto& x : c.tensors) append_stored(out, x);
    return out;
}

}  // namespace mixq
