// Writes a GGUF version 3 file: header, typed key/values, tensor infos, then 32-byte-aligned tensor data.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../io/atomic_file.hpp"
#include "ggml_type.hpp"
#include "value.hpp"

namespace mixq::gguf {

inline constexpr std::uint32_t alignment = 32;  // general.alignment; ggml's default, written explicitly

struct tensor_out {
    std::string name;
    ggml_type type;
    std::vector<std::int64_t> ne;      // ggml order: fastest-varying dimension first
    std::span<const std::byte> bytes;  // must stay alive until the write returns
};

[[nodiscard]] inline std::int64_t data_bytes(ggml_type t, const std::vector<std::int64_t>& ne) {
    std::int64_t rows = 1;
    for (std::size_t i = 1; i < ne.size(); ++i) rows *= ne[i];
    return rows * row_bytes(t, ne.empty() ? 1 : ne[0]);
}

[[nodiscard]] constexpr std::uint64_t align_up(std::uint64_t n, std::uint64_t a = alignment) noexcept {
    return (n + a - 1) / a * a;
}

namespace detail {
class encoder {
public:
    template <class T>
    void pod(T v) {
        const auto* p = reinterpret_cast<const std::byte*>(&v);
        out_.insert(out_.end(), p, p + sizeof(T));
    }
    void str(const std::string& s) {
        pod<std::uint64_t>(s.size());
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        out_.insert(out_.end(), p, p + s.size());
    }
    void scalar(value_type t, const nlohmann::json& v) {
        switch (t) {
            case value_type::u8: return pod(v.get<std::uint8_t>());
            case value_type::i8: return pod(v.get<std::int8_t>());
            case value_type::u16: return pod(v.get<std::uint16_t>());
            case value_type::i16: return pod(v.get<std::int16_t>());
            case value_type::u32: return pod(v.get<std::uint32_t>());
            case value_type::i32: return pod(v.get<std::int32_t>());
            case value_type::f32: return pod(v.get<float>());
            case value_type::boolean: return pod(static_cast<std::uint8_t>(v.get<bool>()));
            case value_type::string: return str(v.get<std::string>());
            case value_type::u64: return pod(v.get<std::uint64_t>());
            case value_type::i64: return pod(v.get<std::int64_t>());
            case value_type::f64: return pod(v.get<double>());
            case value_type::array: break;
        }
        throw error(errc::internal, "gguf writer: nested arrays are not written");
    }
    void value(const kv& k) {
        pod(static_cast<std::uint32_t>(k.type));
        if (k.type != value_type::array) return scalar(k.type, k.value);
        pod(static_cast<std::uint32_t>(k.element));
        pod<std::uint64_t>(k.value.size());
        for (const auto& e : k.value) scalar(k.element, e);
    }
    [[nodiscard]] std::vector<std::byte>& bytes() noexcept { return out_; }

private:
    std::vector<std::byte> out_;
};
}  // namespace detail

// Everything before the first tensor's data, padded to the alignment. general.alignment is added when
// `kvs` lacks it; each tensor's offset is the running sum of the aligned sizes before it.
[[nodiscard]] inline std::vector<std::byte> gguf_header(std::vector<kv> kvs, const std::vector<tensor_out>& tensors) {
    bool has_alignment = false;
    for (const auto& k : kvs) has_alignment |= k.key == "general.alignment";
    if (!has_alignment) kvs.insert(kvs.begin() + (kvs.empty() ? 0 : 1), kv::u32("general.alignment", alignment));
    detail::encoder e;
    e.pod<std::uint32_t>(0x46554747u);  // "GGUF" little-endian
    e.pod<std::uint32_t>(3);
    e.pod<std::uint64_t>(tensors.size());
    e.pod<std::uint64_t>(kvs.size());
    for (const auto& k : kvs) {
        e.str(k.key);
        e.value(k);
    }
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        const auto want = data_bytes(t.type, t.ne);
        if (t.ne.empty() || t.ne[0] % info(t.type).block != 0 || static_cast<std::uint64_t>(want) != t.bytes.size())
            throw error(errc::internal, "gguf writer: '" + t.name + "' has " + std::to_string(t.bytes.size()) +
                                            " bytes for its shape and type " + std::string(to_string(t.type)));
        e.str(t.name);
        e.pod<std::uint32_t>(static_cast<std::uint32_t>(t.ne.size()));
        for (auto d : t.ne) e.pod<std::uint64_t>(static_cast<std::uint64_t>(d));
        e.pod(static_cast<std::uint32_t>(t.type));
        e.pod<std::uint64_t>(offset);
        offset = align_up(offset + t.bytes.size());
    }
    auto& b = e.bytes();
    b.resize(align_up(b.size()), std::byte{0});
    return std::move(b);
}

// Stages the whole file; the caller commits (renames) it when every output is ready.
inline void write_gguf(io::atomic_file& out, const std::vector<kv>& kvs, const std::vector<tensor_out>& tensors) {
    out.write(gguf_header(kvs, tensors));
    static constexpr std::byte zeros[alignment] = {};
    for (const auto& t : tensors) {
        out.write(t.bytes);
        out.write(std::span<const std::byte>(zeros, align_up(t.bytes.size()) - t.bytes.size()));
    }
}

}  // namespace mixq::gguf
