// What a conversion produces: each output tensor, the totals, the measured quality, and the conversion that holds them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../calib/percentile.hpp"
#include "../io/safetensors_reader.hpp"
#include "../precision/match_plan.hpp"
#include "../quant/error_stats.hpp"
#include "options.hpp"

namespace mixq {

// One output tensor. `data` is empty when the tensor is stored unchanged (bytes come from the source
// view) or when it is an alias of an earlier identical tensor.
struct converted_tensor {
    const tensor_view* source = nullptr;
    std::optional<std::size_t> rule;
    precision target = precision::fp32;
    dtype stored = dtype::f32;
    std::string scheme;                  // "int8:symmetric:per_channel:percentile:99.99", "fp16", ...; empty if unchanged
    std::optional<std::string> alias_of;  // stored once under that name (only a tied head: loader_tie)
    std::optional<std::string> identical_to;  // same contents as that earlier tensor, but stored under its own name
    std::vector<std::byte> data;
    std::vector<float> scales;  // quantized only: int8 / fp8 one per row, int4 / nf4 [rows, groups]
    shape_t stored_shape;       // the shape written: 4-bit codes are [rows, ceil(cols / 2)]; empty: the source's
    shape_t scale_shape;        // the shape of X_scale
    bool quantized = false;     // codes plus scales (int8, int4, nf4, fp8)
    bool gptq = false;          // rounded by GPTQ
    std::optional<error_stats> error;
    float scale_min = 0.0f, scale_max = 0.0f;

    // Streaming conversion (convert/stream.hpp) writes each tensor's bytes and then drops them; these keep their sizes.
    bool released = false;
    std::size_t released_data = 0, released_scales = 0;

    [[nodiscard]] bool converted() const noexcept { return !scheme.empty(); }
    // Quantized by mixq: stored with an "X_scale" tensor (empty for an empty tensor, but always there).
    [[nodiscard]] bool has_scales() const noexcept { return quantized && converted() && !alias_of; }
    [[nodiscard]] const shape_t& shape_written() const noexcept { return stored_shape.empty() ? source->shape : stored_shape; }
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        if (released) return {};  // written already; only its size is known (bytes_after)
        return data.empty() && !alias_of ? source->bytes : std::span<const std::byte>(data);
    }
    [[nodiscard]] std::size_t scale_count() const noexcept { return released ? released_scales : scales.size(); }
    // The data bytes written for this tensor (not its scales); 0 for an alias.
    [[nodiscard]] std::size_t data_bytes() const noexcept { return released ? released_data : alias_of ? 0 : bytes().size(); }
    // Frees what was written (the codes, the scales): the sizes stay for the totals and the header.
    // `recycle`, if given, receives the emptied data buffer with its capacity, for the next tensor.
    void release(std::vector<std::byte>* recycle = nullptr) {
        released_data = data_bytes();
        released_scales = scales.size();
        released = true;
        if (recycle) {
            data.clear();
            recycle->swap(data);
        }
        std::vector<std::byte>().swap(data);
        std::vector<float>().swap(scales);
    }
    [[nodiscard]] std::size_t bytes_before() const noexcept { return source->bytes.size(); }
    // Bytes this tensor adds to the output file (codes plus scales; 0 for an alias).
    [[nodiscard]] std::size_t bytes_after() const noexcept {
        return alias_of ? 0 : data_bytes() + scale_count() * sizeof(float);
    }
};

struct compression_totals {
    std::map<precision, std::int64_t> params;   // unique parameters per stored precision
    std::map<precision, std::int64_t> tensors;  // unique tensors per stored precision
    std::int64_t unique_params = 0;
    std::uint64_t fp32_bytes = 0;   // unique parameters x 4
    std::uint64_t source_bytes = 0; // the same tensors as the input stores them (F16 / BF16 sources: half of fp32_bytes)
    std::uint64_t mixed_bytes = 0;  // every byte of tensor data written, scales included
    std::size_t calibrated_tensors = 0;  // quantized tensors: "calibration_layers" in the seed's schema
    std::size_t gptq_tensors = 0;        // of those, rounded by GPTQ

    [[nodiscard]] double ratio() const noexcept {
        return mixed_bytes ? static_cast<double>(fp32_bytes) / static_cast<double>(mixed_bytes) : 0.0;
    }
    [[nodiscard]] double source_ratio() const noexcept {
        return mixed_bytes ? static_cast<double>(source_bytes) / static_cast<double>(mixed_bytes) : 0.0;
    }
};

// Perplexity of the original and the converted model on the same tokens (mixq-convert --eval).
struct quality_summary {
    double fp32_perplexity = 0.0;   // the original checkpoint as stored
    double mixed_perplexity = 0.0;  // the converted checkpoint
    std::int64_t eval_tokens = 0;   // tokens scored
    double seconds = 0.0;           // both evaluations
    std::optional<double> delta_stderr_percent;  // paired standard error of the change over the windows
    std::int64_t windows = 0;

    [[nodiscard]] double delta_percent() const noexcept { return 100.0 * (mixed_perplexity / fp32_perplexity - 1.0); }
};

struct conversion {
    const io::safetensors_file* input = nullptr;
    rule_table table;
    convert_options options;
    match_plan plan;
    std::vector<converted_tensor> tensors;  // checkpoint order
    compression_totals totals;
    std::optional<quality_summary> quality;
    // Activation ranges (mixq-convert --calib): written into metadata.json as "activation_ranges".
    std::optional<nlohmann::ordered_json> activation_ranges;
    // The precision search that chose the table (mixq-search): written into metadata.json as "search".
    std::optional<nlohmann::ordered_json> search;
    double seconds = 0.0;

    [[nodiscard]] std::string calibration_description() const {
        std::string d = options.calibration == calibration_method::percentile ? percentile{options.percentile}.describe()
                                                                              : std::string(to_string(options.calibration));
        if (options.gptq_int8) d += "+gptq";
        d += std::string(", below int8 ") + (options.lowbit == lowbit_calibration::mse ? "mse" : "max");
        if (options.gptq_lowbit) d += "+gptq";
        return d;
    }
};

}  // namespace mixq
