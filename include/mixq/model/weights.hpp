// Named access to a model's weights in their stored precision: resolves mixq aliases, scales and 4-bit shapes.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "../format/scheme.hpp"
#include "../io/safetensors_reader.hpp"
#include "stored_matrix.hpp"

namespace mixq {

// Built from an original checkpoint, a mixq-converted one, or a conversion still in memory. `metadata` is
// the safetensors header's __metadata__ (only mixq.* entries are read): "X" may be stored as I8 or
// F8_E4M3 with "X_scale" [rows], as packed U8 [rows, ceil(cols / 2)] with "X_scale" [rows, groups] and
// its logical shape in mixq.shape.X, or be an alias of another tensor (mixq.alias.X). Every quantized
// tensor is checked when the weights are opened: a scheme, packed shape or scale shape that disagree is
// an error naming the tensor, so a corrupted file is refused before any evaluation.
class checkpoint_weights {
public:
    checkpoint_weights(std::string source, std::vector<tensor_view> tensors,
                       const std::map<std::string, std::string>& metadata = {})
        : source_(std::move(source)) {
        for (auto& t : tensors) index_.emplace(t.name, std::move(t));
        for (auto& [name, t] : index_) check_quantized(t, metadata);
        const std::string alias = "mixq.alias.";
        for (const auto& [k, target] : metadata) {
            if (k.rfind(alias, 0) != 0) continue;
            const auto it = index_.find(target);
            if (it == index_.end()) fail(source_ + ": alias '" + k.substr(alias.size()) + "' names a missing tensor '" + target + "'");
            index_.emplace(k.substr(alias.size()), it->second);
        }
    }
    explicit checkpoint_weights(const io::safetensors_file& file)
        : checkpoint_weights(file.path(), file.tensors(), file.metadata()) {}

    [[nodiscard]] const tensor_view* find(const std::string& name) const {
        const auto it = index_.find(name);
        return it == index_.end() ? nullptr : &it->second;
    }
    [[nodiscard]] bool has(const std::string& name) const { return find(name) != nullptr; }
    // The tensor as the model sees it: a 4-bit tensor has its logical shape here, not the packed one.
    [[nodiscard]] const tensor_view& at(const std::string& name) const {
        if (const auto* t = find(name)) return *t;
        fail(source_ + ": missing tensor '" + name + "'");
    }
    [[nodiscard]] const std::string& source() const noexcept { return source_; }
    // Whether some tensor's name ends with `suffix` (a layout's tell-tale tensor, in any layer).
    [[nodiscard]] bool any_name_ends_with(std::string_view suffix) const {
        for (const auto& [name, t] : index_)
            if (name.size() >= suffix.size() && std::string_view(name).substr(name.size() - suffix.size()) == suffix) return true;
        return false;
    }
    // The stored precision of a tensor (fp32 for any unquantized float), from its scheme or dtype.
    [[nodiscard]] precision stored_precision(const std::string& name) const {
        const auto& t = at(name);
        if (const auto it = lowbit_.find(t.name); it != lowbit_.end()) return it->second.target;
        return precision_of(t.type).value_or(precision::fp32);
    }

    [[nodiscard]] stored_matrix matrix(const std::string& name) const {
        const auto& t = at(name);
        stored_matrix m{name, t.type, t.rows(), t.cols(), t.bytes, {}};
        if (const auto it = input_rounding_.find(name); it != input_rounding_.end()) m.rounds_input = it->second.mode, m.block_mins = it->second.block_mins;
        if (const auto it = blocks_.find(name); it != blocks_.end()) {
            m.blocks = it->second;
            return m;
        }
        if (t.type == dtype::i8 || t.type == dtype::f8_e4m3 || t.type == dtype::u8) {
            const auto it = lowbit_.find(t.name);
            if (t.type != dtype::i8 && it == lowbit_.end())
                fail(source_ + ": tensor '" + name + "' has dtype " + std::string(to_string(t.type)) +
                     " but no mixq scheme, which the reference forward cannot use");
            const auto* s = find(t.name + "_scale");
            if (!s) fail(source_ + ": int8 tensor '" + t.name + "' has no '" + t.name + "_scale'");
            m.scales = to_float(*s);
            if (t.type == dtype::i8 && m.scales.size() != 1 && static_cast<std::int64_t>(m.scales.size()) != m.rows)  // others checked when opened
                fail(source_ + ": '" + t.name + "_scale' has " + std::to_string(m.scales.size()) + " values for " +
                     std::to_string(m.rows) + " rows");
            if (it != lowbit_.end()) {
                m.group = it->second.group;
                m.book = it->second.target == precision::nf4 ? codebook4::nf4 : codebook4::int4;
            }
        } else if (t.type != dtype::f32 && t.type != dtype::f16 && t.type != dtype::bf16) {
            fail(source_ + ": tensor '" + name + "' has dtype " + std::string(to_string(t.type)) +
                 ", which the reference forward cannot use");
        }
        return m;
    }
    [[nodiscard]] std::vector<float> vector(const std::string& name) const { return matrix(name).to_vector(); }
    // Products with this weight round their input first, as llama.cpp does for its weight type (GGUF files).
    // `block_mins`: with Q8_1, the weight's per-block mins (stored_matrix::block_mins), kept alive by the caller.
    void set_input_rounding(const std::string& name, activation_rounding r, std::span<const float> block_mins = {}) {
        input_rounding_[name] = {r, block_mins};
    }
    // A tensor held as ggml blocks (a GGUF file's, in place): its view is U8 with the logical shape, and matrix()
    // decodes its rows through `b`. The caller has checked the byte count.
    void set_block_rows(const std::string& name, block_rows b) { blocks_[name] = b; }

private:
    // A quantized tensor's scheme, dtype, packed shape and scale shape must agree; 4-bit views get their
    // logical shape. An I8 tensor without a scheme is checked only when used as a weight.
    void check_quantized(tensor_view& t, const std::map<std::string, std::string>& metadata) {
        const auto sch = metadata.find("mixq.scheme." + t.name);
        const auto where = source_ + ": tensor '" + t.name + "'";
        std::optional<scheme_info> info;
        if (sch != metadata.end()) {
            info = parse_scheme(sch->second);
            if (!info) fail(where + ": unknown scheme '" + sch->second + "'");
        }
        if (t.type == dtype::i8 && !info) {
            return;  // no mixq scheme: maybe not a weight at all; matrix() asks for its scales if it is used as one
        } else if (t.type == dtype::i8) {
            if (info->target != precision::int8)
                fail(where + ": scheme '" + sch->second + "' is not int8 but the tensor is stored as I8");
        } else if (info && is_quantized(info->target)) {
            const auto want = *traits(info->target).stored;  // quantized formats are all mixq-stored
            if (t.type != want)
                fail(where + ": scheme '" + sch->second + "' needs dtype " + std::string(to_string(want)) + ", the file has " +
                     std::string(to_string(t.type)));
        } else {
            return;  // an unquantized tensor
        }
        shape_t logical = t.shape;
        if (const auto s = metadata.find("mixq.shape." + t.name); s != metadata.end()) {
            try {
                logical = nlohmann::json::parse(s->second).get<shape_t>();
            } catch (const std::exception&) {
                fail(where + ": mixq.shape '" + s->second + "' is not a JSON list of sizes");
            }
            std::int64_t n = 1;  // the element count must not overflow before it is compared with the bytes
            for (auto d : logical)
                if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > (std::int64_t{1} << 50))
                    fail(where + ": mixq.shape '" + s->second + "' has an impossible size");
        } else if (info && is_packed4(info->target)) {
            fail(where + ": a 4-bit tensor needs its logical shape in mixq.shape." + t.name);
        }
        const tensor_view as_logical{t.name, t.type, logical, t.bytes};
        const auto rows = as_logical.rows(), cols = as_logical.cols();
        std::int64_t scale_count = rows;
        shape_t want_stored = logical;
        if (info && is_packed4(info->target)) {
            const auto groups = (cols + info->group - 1) / info->group;
            scale_count = rows * groups;
            want_stored = {rows, (cols + 1) / 2};
            lowbit_[t.name] = *info;
        } else if (info && info->target == precision::fp8_e4m3) {
            lowbit_[t.name] = *info;
        }
        if (t.shape != want_stored)
            fail(where + ": stored shape " + shape_string(t.shape) + " does not fit its logical shape " + shape_string(logical) +
                 (want_stored != logical ? " (packed: expected " + shape_string(want_stored) + ")" : ""));
        const auto it = index_.find(t.name + "_scale");
        if (it == index_.end())
            fail(where + " is stored as " + std::string(to_string(t.type)) + " codes but has no '" + t.name + "_scale'");
        const auto& s = it->second;
        const bool per_tensor_int8 = t.type == dtype::i8 && s.numel() == 1;
        if (s.type != dtype::f32 || (s.numel() != scale_count && !per_tensor_int8))
            fail(where + ": '" + s.name + "' is " + std::string(to_string(s.type)) + " " + shape_string(s.shape) + ", expected F32 with " +
                 std::to_string(scale_count) + " values" + (info && is_packed4(info->target) ? " ([rows, groups])" : " (one per row)"));
        if (info && is_packed4(info->target) && s.shape != shape_t{rows, scale_count / std::max<std::int64_t>(rows, 1)} && rows > 0)
            fail(where + ": '" + s.name + "' has shape " + shape_string(s.shape) + ", expected [rows, groups] = " +
                 shape_string({rows, scale_count / rows}));
        t.shape = logical;
    }

    std::string source_;
    std::unordered_map<std::string, tensor_view> index_;
    std::unordered_map<std::string, scheme_info> lowbit_;  // 4-bit and fp8 tensors by stored name
    struct input_rounding {
        activation_rounding mode = activation_rounding::none;
        std::span<const float> block_mins;
    };
    std::unordered_map<std::string, input_rounding> input_rounding_;
    std::unordered_map<std::string, block_rows> blocks_;
};

}  // namespace mixq
