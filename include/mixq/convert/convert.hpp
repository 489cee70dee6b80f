// The conversion itself: decide each tensor's precision, quantize or cast it, store tied tensors once, total up.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "../calib/absmax.hpp"
#include "../calib/entropy.hpp"
#include "../calib/method.hpp"
#include "../calib/mse.hpp"
#include "../calib/percentile.hpp"
#include "../io/safetensors_reader.hpp"
#include "../precision/match_plan.hpp"
#include "../quant/check_finite.hpp"
#include "../quant/error_stats.hpp"
#include "../quant/float_cast.hpp"
#include "../quant/symmetric.hpp"

namespace mixq {

struct convert_options {
    calibration_method calibration = calibration_method::percentile;
    double percentile = 99.99;  // used by calibration_method::percentile
    bool strict = false;        // unmatched tensors and rules that match nothing become errors
};

// One output tensor. `data` is empty when the tensor is stored unchanged (bytes come from the source
// view) or when it is an alias of an earlier identical tensor.
struct converted_tensor {
    const tensor_view* source = nullptr;
    std::optional<std::size_t> rule;
    precision target = precision::fp32;
    dtype stored = dtype::f32;
    std::string scheme;                  // "int8:symmetric:per_channel:percentile:99.99", "fp16", ...; empty if unchanged
    std::optional<std::string> alias_of;  // stored once under that name
    std::vector<std::byte> data;
    std::vector<float> scales;           // int8 only: one per row
    std::optional<error_stats> error;
    float scale_min = 0.0f, scale_max = 0.0f;

    [[nodiscard]] bool converted() const noexcept { return !scheme.empty(); }
    // Quantized by mixq: stored with an "X_scale" tensor (empty for an empty tensor, but always there).
    [[nodiscard]] bool has_scales() const noexcept { return stored == dtype::i8 && converted() && !alias_of; }
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        return data.empty() && !alias_of ? source->bytes : std::span<const std::byte>(data);
    }
    [[nodiscard]] std::size_t bytes_before() const noexcept { return source->bytes.size(); }
    // Bytes this tensor adds to the output file (codes plus scales; 0 for an alias).
    [[nodiscard]] std::size_t bytes_after() const noexcept {
        return alias_of ? 0 : bytes().size() + scales.size() * sizeof(float);
    }
};

struct compression_totals {
    std::map<precision, std::int64_t> params;   // unique parameters per stored precision
    std::map<precision, std::int64_t> tensors;  // unique tensors per stored precision
    std::int64_t unique_params = 0;
    std::uint64_t fp32_bytes = 0;   // unique parameters x 4
    std::uint64_t mixed_bytes = 0;  // every byte of tensor data written, scales included
    std::size_t int8_tensors = 0;   // "calibration_layers" in the seed's schema

    [[nodiscard]] double ratio() const noexcept {
        return mixed_bytes ? static_cast<double>(fp32_bytes) / static_cast<double>(mixed_bytes) : 0.0;
    }
};

// Perplexity of the original and the converted model on the same tokens (mixq-convert --eval).
struct quality_summary {
    double fp32_perplexity = 0.0;   // the original checkpoint as stored
    double mixed_perplexity = 0.0;  // the converted checkpoint
    std::int64_t eval_tokens = 0;   // tokens scored
    double seconds = 0.0;           // both evaluations

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
    double seconds = 0.0;

    [[nodiscard]] std::string calibration_description() const {
        return options.calibration == calibration_method::percentile ? percentile{options.percentile}.describe()
                                                                     : std::string(to_string(options.calibration));
    }
};

namespace detail {

// The calibrator is chosen at run time (--calibration); each alternative is a distinct quantizer type.
using int8_quantizer = std::variant<symmetric<int8, per_channel, absmax>, symmetric<int8, per_channel, percentile>,
                                    symmetric<int8, per_channel, mse>, symmetric<int8, per_channel, entropy>>;

inline int8_quantizer make_int8_quantizer(const convert_options& o) {
    switch (o.calibration) {
        case calibration_method::max: return symmetric<int8, per_channel, absmax>{};
        case calibration_method::mse: return symmetric<int8, per_channel, mse>{};
        case calibration_method::entropy: return symmetric<int8, per_channel, entropy>{};
        case calibration_method::percentile: break;
    }
    return symmetric<int8, per_channel, percentile>{percentile{o.percentile}};
}

template <class T>
std::vector<std::byte> to_bytes(const std::vector<T>& v) {
    std::vector<std::byte> b(v.size() * sizeof(T));
    if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
    return b;
}

template <class Cast>
void cast_tensor(converted_tensor& out, std::span<const float> w) {
    const auto bits = cast_all<Cast>(w, out.source->name);
    out.stored = Cast::stored;
    out.scheme = std::string(to_string(Cast::target));
    out.error = measure_error(w, [&](std::size_t i) { return Cast::decode(bits[i]); });
    out.data = to_bytes(bits);
}

inline void quantize_int8(converted_tensor& out, std::span<const float> w, const int8_quantizer& q) {
    std::visit(
        [&](const auto& quant) {
            auto qt = quant.quantize(w, out.source->rows());
            out.scheme = quant.scheme();
            out.error = measure_error(w, [&](std::size_t i) {  // only called for i < w.size(), so cols > 0
                return qt.dequantize(static_cast<std::int64_t>(i) / qt.cols, static_cast<std::int64_t>(i) % qt.cols);
            });
            if (!qt.scales.empty()) {  // a [0, n] tensor has no rows and no scales
                const auto [lo, hi] = std::minmax_element(qt.scales.begin(), qt.scales.end());
                out.scale_min = *lo;
                out.scale_max = *hi;
            }
            out.scales = std::move(qt.scales);
            out.data = to_bytes(qt.codes);
        },
        q);
    out.stored = dtype::i8;
}

// Same dtype, shape, bytes and target: storing it twice would only waste space (tied embeddings).
inline bool same_tensor(const converted_tensor& a, const converted_tensor& b) {
    const auto& x = *a.source;
    const auto& y = *b.source;
    return a.target == b.target && x.type == y.type && x.shape == y.shape && same_bytes(x.bytes, y.bytes);
}

inline std::string rule_name(const rule_table& t, std::size_t i) {
    return "rule #" + std::to_string(i + 1) + " '" + t.rules()[i].describe() + "'";
}

}  // namespace detail

// Plans and converts every tensor in memory; throws a bad_input error (naming the tensor or rule)
// before anything is written, so a failed conversion leaves no output at all.
[[nodiscard]] inline conversion convert(const io::safetensors_file& in, rule_table table, convert_options options = {}) {
    const auto t0 = std::chrono::steady_clock::now();
    conversion c;
    c.input = &in;
    c.table = std::move(table);
    c.options = options;
    c.plan = make_plan(c.table, in.tensors());
    if (options.calibration == calibration_method::percentile && !(options.percentile > 0.0 && options.percentile <= 100.0))
        fail("--percentile " + std::to_string(options.percentile) + " must be in (0, 100]");

    if (options.strict) {
        if (const auto u = c.plan.unmatched(); !u.empty()) {
            std::string names;
            for (std::size_t i = 0; i < u.size() && i < 10; ++i) names += (i ? ", " : "") + u[i]->tensor->name;
            fail(in.path() + ": --strict: " + std::to_string(u.size()) + " tensor(s) match no rule: " + names +
                 (u.size() > 10 ? ", ..." : ""));
        }
        if (const auto u = c.plan.unused_rules(); !u.empty())
            fail("--strict: " + detail::rule_name(c.table, u.front()) + " matches no tensor in " + in.path());
    }

    const auto q8 = detail::make_int8_quantizer(options);
    std::unordered_map<std::string_view, std::vector<std::size_t>> by_content;  // content hash -> indices
    std::vector<float> w;
    for (const auto& e : c.plan.entries) {
        converted_tensor out;
        out.source = e.tensor;
        out.rule = e.rule;
        out.target = e.target;
        out.stored = e.tensor->type;
        const auto& t = *e.tensor;
        const bool changes = e.rule && is_readable_float(t.type) && source_precision(t) != e.target;
        if (e.rule && !is_implemented(e.target))
            fail(detail::rule_name(c.table, *e.rule) + " decides tensor '" + t.name + "', but precision " +
                 std::string(to_string(e.target)) + " is not implemented yet (use int8, fp16, bf16 or fp32)");
        if (e.rule && !is_readable_float(t.type) && source_precision(t) != e.target)
            fail(detail::rule_name(c.table, *e.rule) + " decides tensor '" + t.name + "' of dtype " +
                 std::string(to_string(t.type)) + ", which is not floating point and cannot be converted");
        if (!changes) out.target = source_precision(t);

        // Tied tensors: compare candidates with the same hash of their bytes.
        const std::string_view key(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
        auto& same = by_content[key];
        for (std::size_t j : same)
            if (detail::same_tensor(c.tensors[j], out)) {
                out.alias_of = c.tensors[j].source->name;
                out.stored = c.tensors[j].stored;
                out.scheme = c.tensors[j].scheme;
                break;
            }
        if (!out.alias_of) {
            same.push_back(c.tensors.size());
            if (changes) {
                w.resize(static_cast<std::size_t>(t.numel()));
                to_float(t, w);
                check_finite(w, t.name);
                switch (e.target) {
                    case precision::int8: detail::quantize_int8(out, w, q8); break;
                    case precision::fp16: detail::cast_tensor<fp16_cast>(out, w); break;
                    case precision::bf16: detail::cast_tensor<bf16_cast>(out, w); break;
                    case precision::fp32:
                        out.stored = dtype::f32;
                        out.scheme = "fp32";
                        out.data = detail::to_bytes(w);
                        out.error = error_stats{};  // widening fp16 / bf16 to fp32 is exact
                        break;
                    default: break;  // refused above
                }
            }
        }
        c.tensors.push_back(std::move(out));
    }

    auto& tot = c.totals;
    for (const auto& t : c.tensors) {
        if (t.alias_of) continue;
        const auto n = t.source->numel();
        tot.params[t.target] += n;
        tot.tensors[t.target] += 1;
        tot.unique_params += n;
        tot.fp32_bytes += static_cast<std::uint64_t>(n) * 4u;
        tot.mixed_bytes += t.bytes_after();
        if (t.has_scales()) ++tot.int8_tensors;
    }
    c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return c;
}

}  // namespace mixq
