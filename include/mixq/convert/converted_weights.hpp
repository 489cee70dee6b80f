// A conversion still in memory seen as model weights, so the converter can measure quality before writing.
#pragma once

#include "../model/weights.hpp"
#include "convert.hpp"
#include "stored_layout.hpp"

namespace mixq {

// The same names, dtypes, shapes and metadata the written model.safetensors will hold (stored_layout).
[[nodiscard]] inline checkpoint_weights weights_of(const conversion& c) {
    auto layout = stored_layout(c);
    return checkpoint_weights(c.input->path() + " (converted, table '" + c.table.name() + "')", std::move(layout.tensors),
                              layout.metadata);
}

}  // namespace mixq
