// What a conversion writes into model.safetensors: every tensor's name, dtype, shape and bytes, and __metadata__.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "../core/tensor_view.hpp"
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
inline void append_stored(stored_tensors& out, const converted_tensor& x) {
    const auto& s = *x.source;
    if (x.alias_of) {
        out.metadata["mixq.alias." + s.name] = *x.alias_of;
        return;
    }
    out.tensors.push_back({s.name, x.stored, x.shape_written(), x.bytes()});
    if (x.converted()) out.metadata["mixq.scheme." + s.name] = x.scheme;
    if (x.has_scales()) {
        std::string shape = "[";
        for (std::size_t i = 0; i < s.shape.size(); ++i) shape += (i ? "," : "") + std::to_string(s.shape[i]);
        out.metadata["mixq.shape." + s.name] = shape + "]";
        out.tensors.push_back({s.name + "_scale", dtype::f32, x.scale_shape, std::as_bytes(std::span(x.scales))});
    }
}

[[nodiscard]] inline stored_tensors stored_layout(const conversion& c) {
    stored_tensors out;
    out.metadata = {{"format", "mixq"}, {"mixq.format_version", std::to_string(format_version)}};
    for (const auto& x : c.tensors) append_stored(out, x);
    return out;
}

}  // namespace mixq
