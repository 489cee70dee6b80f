// What every storage format states about itself: one format_traits entry per precision, in the format's own header.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "../core/dtype.hpp"
#include "ggml/type_id.hpp"
#include "precision.hpp"

namespace mixq {

// Where a format keeps its scales.
enum class scale_layout : std::uint8_t {
    none,       // a float cast: the stored values are the values
    per_row,    // one fp32 scale per row, "X_scale" [rows] (int8's per-tensor calibration writes one)
    per_group,  // one fp32 scale per `group` values along a row, "X_scale" [rows, ceil(cols / group)]
    in_blocks,  // ggml's blocks hold their own scales (GGUF output only)
};

// Everything the converter, the planner, the report and the exports derive from (format/formats.hpp lists
// the entries; adding a format is its header with its entry plus one line in that list).
struct format_traits {
    precision id;
    std::string_view name;    // the canonical spelling in tables and reports
    std::string_view family;  // the first field of the scheme string ("int4" for every int4 group)
    int bits = 32;            // per stored value, scales aside
    int group = 0;            // values per scale along a row for per_group formats, else 0
    std::optional<dtype> stored;  // the dtype of "X" in a mixq safetensors file; none for GGUF-only blocks
    scale_layout scales = scale_layout::none;
    std::optional<gguf::ggml_type> gguf;  // what a GGUF export writes it as; none where ggml has no twin

    // Bytes of one stored row of `cols` values ("X" only; none for GGUF-only blocks, whose rows
    // format/ggml/types.hpp sizes).
    [[nodiscard]] constexpr std::uint64_t row_bytes(std::uint64_t cols) const noexcept {
        if (!stored) return 0;
        if (*stored == dtype::u8 && bits == 4) return (cols + 1) / 2;  // two codes per byte
        return cols * static_cast<std::uint64_t>(bits / 8);
    }
    // Scales of a [rows, cols] tensor as the converter stores them (per_row: one per row).
    [[nodiscard]] constexpr std::uint64_t scale_count(std::uint64_t rows, std::uint64_t cols) const noexcept {
        switch (scales) {
            case scale_layout::per_row: return rows;
            case scale_layout::per_group: return rows * ((cols + static_cast<std::uint64_t>(group) - 1) / static_cast<std::uint64_t>(group));
            default: return 0;
        }
    }
};

}  // namespace mixq
