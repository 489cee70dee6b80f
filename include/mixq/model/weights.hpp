// Named access to a model's weights in their stored precision: resolves mixq aliases and int8 scales.
#pragma once

#include <string>
#include <unordered_map>

#include "../io/safetensors_reader.hpp"
#include "stored_matrix.hpp"

namespace mixq {

// Built from an original checkpoint, a mixq-converted one, or a conversion still in memory: "X" may be
// stored as I8 with "X_scale", or be an alias of another tensor (mixq.alias.X in the header).
class checkpoint_weights {
public:
    checkpoint_weights(std::string source, std::vector<tensor_view> tensors,
                       const std::map<std::string, std::string>& aliases = {})
        : source_(std::move(source)) {
        for (auto& t : tensors) index_.emplace(t.name, std::move(t));
        for (const auto& [alias, target] : aliases) {
            const auto it = index_.find(target);
            if (it == index_.end()) fail(source_ + ": alias '" + alias + "' names a missing tensor '" + target + "'");
            index_.emplace(alias, it->second);
        }
    }
    explicit checkpoint_weights(const io::safetensors_file& file)
        : checkpoint_weights(file.path(), file.tensors(), aliases_in(file.metadata())) {}

    [[nodiscard]] const tensor_view* find(const std::string& name) const {
        const auto it = index_.find(name);
        return it == index_.end() ? nullptr : &it->second;
    }
    [[nodiscard]] bool has(const std::string& name) const { return find(name) != nullptr; }
    [[nodiscard]] const tensor_view& at(const std::string& name) const {
        if (const auto* t = find(name)) return *t;
        fail(source_ + ": missing tensor '" + name + "'");
    }
    [[nodiscard]] const std::string& source() const noexcept { return source_; }

    [[nodiscard]] stored_matrix matrix(const std::string& name) const {
        const auto& t = at(name);
        stored_matrix m{name, t.type, t.rows(), t.cols(), t.bytes, {}};
        if (t.type == dtype::i8) {
            const auto* s = find(t.name + "_scale");
            if (!s) fail(source_ + ": int8 tensor '" + t.name + "' has no '" + t.name + "_scale'");
            m.scales = to_float(*s);
            if (m.scales.size() != 1 && static_cast<std::int64_t>(m.scales.size()) != m.rows)
                fail(source_ + ": '" + t.name + "_scale' has " + std::to_string(m.scales.size()) + " values for " +
                     std::to_string(m.rows) + " rows");
        } else if (t.type != dtype::f32 && t.type != dtype::f16 && t.type != dtype::bf16) {
            fail(source_ + ": tensor '" + name + "' has dtype " + std::string(to_string(t.type)) +
                 ", which the reference forward cannot use");
        }
        return m;
    }
    [[nodiscard]] std::vector<float> vector(const std::string& name) const { return matrix(name).to_vector(); }

    // "mixq.alias.X" -> "Y" entries of a converted checkpoint's header.
    [[nodiscard]] static std::map<std::string, std::string> aliases_in(const std::map<std::string, std::string>& metadata) {
        std::map<std::string, std::string> out;
        const std::string prefix = "mixq.alias.";
        for (const auto& [k, v] : metadata)
            if (k.rfind(prefix, 0) == 0) out.emplace(k.substr(prefix.size()), v);
        return out;
    }

private:
    std::string source_;
    std::unordered_map<std::string, tensor_view> index_;
};

}  // namespace mixq
