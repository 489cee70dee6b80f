// Validating GGUF reader: bounded header, known value and tensor types, byte ranges inside the file.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../io/mapped_file.hpp"
#include "ggml_type.hpp"
#include "value.hpp"

namespace mixq::gguf {

inline constexpr std::uint64_t max_tensors = 1u << 20;
inline constexpr std::uint64_t max_kvs = 1u << 16;
inline constexpr std::uint32_t max_dims = 4;  // GGML_MAX_DIMS

struct tensor_info {
    std::string name;
    ggml_type type = ggml_type::f32;
    std::vector<std::int64_t> ne;  // ggml order: fastest first
    std::uint64_t offset = 0;      // from the start of the data section
    std::span<const std::byte> bytes;

    [[nodiscard]] std::int64_t numel() const noexcept {
        std::int64_t n = 1;
        for (auto d : ne) n *= d;
        return n;
    }
};

// Every claim of the file is checked before it is used: counts against the bytes left, strings and arrays
// inside the file, tensor types mixq knows (F32, F16, BF16, Q8_0, Q4_0), rows a whole number of blocks,
// data ranges inside the file, aligned and not overlapping, no duplicate names or keys.
class gguf_file {
public:
    [[nodiscard]] static gguf_file open(const std::string& path) {
        gguf_file f;
        f.file_ = io::mapped_file(path);
        f.bytes_ = f.file_.bytes();
        f.name_ = path;
        f.parse();
        return f;
    }
    [[nodiscard]] static gguf_file parse(std::span<const std::byte> bytes, std::string name) {
        gguf_file f;
        f.bytes_ = bytes;
        f.name_ = std::move(name);
        f.parse();
        return f;
    }
    // GGUF's magic at the start: how the CLIs tell a GGUF from a safetensors file.
    [[nodiscard]] static bool has_magic(std::span<const std::byte> b) noexcept {
        return b.size() >= 4 && std::memcmp(b.data(), "GGUF", 4) == 0;
    }

    [[nodiscard]] const std::string& path() const noexcept { return name_; }
    [[nodiscard]] std::uint32_t version() const noexcept { return version_; }
    [[nodiscard]] const std::vector<kv>& kvs() const noexcept { return kvs_; }
    [[nodiscard]] const std::vector<tensor_info>& tensors() const noexcept { return tensors_; }
    [[nodiscard]] std::size_t file_size() const noexcept { return bytes_.size(); }
    [[nodiscard]] std::uint64_t data_offset() const noexcept { return data_start_; }

    [[nodiscard]] const kv* find_kv(const std::string& key) const {
        const auto it = kv_index_.find(key);
        return it == kv_index_.end() ? nullptr : &kvs_[it->second];
    }
    [[nodiscard]] const tensor_info* find(const std::string& name) const {
        const auto it = index_.find(name);
        return it == index_.end() ? nullptr : &tensors_[it->second];
    }
    // A required key of one of the given types, as an unsigned number / float / string.
    [[nodiscard]] std::uint64_t get_uint(const std::string& key) const {
        const auto* k = need(key);
        if (k->type != value_type::u32 && k->type != value_type::u64 && k->type != value_type::i32 && k->type != value_type::u16 &&
            k->type != value_type::u8)
            fail(name_ + ": key '" + key + "' is " + std::string(to_string(k->type)) + ", expected an unsigned integer");
        if (k->value.is_number_integer() && k->value.get<std::int64_t>() < 0) fail(name_ + ": key '" + key + "' is negative");
        return k->value.get<std::uint64_t>();
    }
    [[nodiscard]] double get_float(const std::string& key) const {
        const auto* k = need(key);
        if (k->type != value_type::f32 && k->type != value_type::f64)
            fail(name_ + ": key '" + key + "' is " + std::string(to_string(k->type)) + ", expected a float");
        return k->value.get<double>();
    }
    [[nodiscard]] std::string get_string(const std::string& key) const {
        const auto* k = need(key);
        if (k->type != value_type::string)
            fail(name_ + ": key '" + key + "' is " + std::string(to_string(k->type)) + ", expected a string");
        return k->value.get<std::string>();
    }

private:
    [[noreturn]] void bad(const std::string& what) const { fail(name_ + ": " + what); }
    const kv* need(const std::string& key) const {
        const auto* k = find_kv(key);
        if (!k) bad("missing key '" + key + "'");
        return k;
    }

    [[nodiscard]] std::uint64_t left() const noexcept { return bytes_.size() - pos_; }
    void need_bytes(std::uint64_t n, const char* what) const {
        if (n > left())
            bad(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
                ", the file has " + std::to_string(left()) + " left");
    }
    template <class T>
    T pod(const char* what) {
        need_bytes(sizeof(T), what);
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    std::string str(const char* what) {
        const auto n = pod<std::uint64_t>(what);
        need_bytes(n, what);
        std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
        pos_ += n;
        return s;
    }
    nlohmann::json scalar(value_type t, const std::string& key) {
        switch (t) {
            case value_type::u8: return pod<std::uint8_t>("a value");
            case value_type::i8: return pod<std::int8_t>("a value");
            case value_type::u16: return pod<std::uint16_t>("a value");
            case value_type::i16: return pod<std::int16_t>("a value");
            case value_type::u32: return pod<std::uint32_t>("a value");
            case value_type::i32: return pod<std::int32_t>("a value");
            case value_type::f32: return pod<float>("a value");
            case value_type::boolean: {
                const auto b = pod<std::uint8_t>("a value");
                if (b > 1) bad("key '" + key + "': bool value " + std::to_string(b) + " is neither 0 nor 1");
                return b == 1;
            }
            case value_type::string: return str("a string value");
            case value_type::u64: return pod<std::uint64_t>("a value");
            case value_type::i64: return pod<std::int64_t>("a value");
            case value_type::f64: return pod<double>("a value");
            case value_type::array: break;
        }
        bad("key '" + key + "': arrays of arrays are not supported");
    }
    value_type type_of(std::uint32_t raw, const std::string& key) const {
        if (raw > 12) bad("key '" + key + "' has unknown value type " + std::to_string(raw));
        return static_cast<value_type>(raw);
    }

    void parse() {
        if (bytes_.size() < 24) bad("truncated: " + std::to_string(bytes_.size()) + " bytes, a GGUF header needs 24");
        if (!has_magic(bytes_)) bad("not a GGUF file (no 'GGUF' magic)");
        pos_ = 4;
        version_ = pod<std::uint32_t>("the version");
        if (version_ != 2 && version_ != 3) bad("GGUF version " + std::to_string(version_) + " is not supported (2 or 3)");
        const auto n_tensors = pod<std::uint64_t>("the tensor count");
        const auto n_kv = pod<std::uint64_t>("the key/value count");
        // Each key/value takes at least 12 bytes and each tensor info at least 24: the counts are bounded by the file.
        if (n_tensors > max_tensors || n_tensors * 24 > left())
            bad("tensor count " + std::to_string(n_tensors) + " is impossible for a file of " + std::to_string(bytes_.size()) + " bytes");
        if (n_kv > max_kvs || n_kv * 12 > left())
            bad("key/value count " + std::to_string(n_kv) + " is impossible for a file of " + std::to_string(bytes_.size()) + " bytes");
        for (std::uint64_t i = 0; i < n_kv; ++i) {
            kv k;
            k.key = str("a key");
            if (kv_index_.count(k.key)) bad("duplicate key '" + k.key + "'");
            k.type = type_of(pod<std::uint32_t>("a value type"), k.key);
            if (k.type == value_type::array) {
                k.element = type_of(pod<std::uint32_t>("an array type"), k.key);
                const auto n = pod<std::uint64_t>("an array length");
                const auto min_size = k.element == value_type::string ? 8 : scalar_size(k.element);
                if (k.element == value_type::array || n > left() / std::max<std::size_t>(min_size, 1))
                    bad("key '" + k.key + "': array of " + std::to_string(n) + " " + std::string(to_string(k.element)) +
                        " values does not fit in the file");
                k.value = nlohmann::json::array();
                for (std::uint64_t j = 0; j < n; ++j) k.value.push_back(scalar(k.element, k.key));
            } else {
                k.value = scalar(k.type, k.key);
            }
            kv_index_.emplace(k.key, kvs_.size());
            kvs_.push_back(std::move(k));
        }
        std::uint64_t align = 32;
        if (const auto* a = find_kv("general.alignment")) {
            if (a->type != value_type::u32 || a->value.get<std::uint32_t>() == 0 ||
                (a->value.get<std::uint32_t>() & (a->value.get<std::uint32_t>() - 1)) != 0)
                bad("general.alignment must be a uint32 power of two");
            align = a->value.get<std::uint32_t>();
        }
        for (std::uint64_t i = 0; i < n_tensors; ++i) {
            tensor_info t;
            t.name = str("a tensor name");
            if (index_.count(t.name)) bad("duplicate tensor '" + t.name + "'");
            const auto nd = pod<std::uint32_t>("a tensor's rank");
            if (nd == 0 || nd > max_dims) bad("tensor '" + t.name + "' has rank " + std::to_string(nd) + " (1 to 4)");
            std::int64_t n = 1;
            for (std::uint32_t d = 0; d < nd; ++d) {
                const auto v = pod<std::uint64_t>("a dimension");
                if (v == 0 || v > (1ull << 40) || __builtin_mul_overflow(n, static_cast<std::int64_t>(v), &n) || n > (1ll << 50))
                    bad("tensor '" + t.name + "' has an impossible dimension " + std::to_string(v));
                t.ne.push_back(static_cast<std::int64_t>(v));
            }
            const auto raw = pod<std::uint32_t>("a tensor type");
            const auto ti = find_ggml_type(raw);
            if (!ti)
                bad("tensor '" + t.name + "' has ggml type " + std::to_string(raw) +
                    ", which mixq does not read (it reads F32, F16, BF16, Q8_0, Q4_0)");
            t.type = ti->type;
            if (t.ne[0] % ti->block != 0)
                bad("tensor '" + t.name + "': a row of " + std::to_string(t.ne[0]) + " values is not a whole number of " +
                    std::string(ti->name) + " blocks of " + std::to_string(ti->block));
            t.offset = pod<std::uint64_t>("a tensor offset");
            if (t.offset % align != 0) bad("tensor '" + t.name + "' offset " + std::to_string(t.offset) + " is not aligned to " + std::to_string(align));
            index_.emplace(t.name, tensors_.size());
            tensors_.push_back(std::move(t));
        }
        data_start_ = (pos_ + align - 1) / align * align;
        if (data_start_ > bytes_.size() && !tensors_.empty()) bad("truncated: the data section starts past the end of the file");
        const std::uint64_t data_size = bytes_.size() > data_start_ ? bytes_.size() - data_start_ : 0;
        std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
        for (auto& t : tensors_) {
            const auto& ti = info(t.type);
            const auto size = static_cast<std::uint64_t>(t.numel() / ti.block) * static_cast<std::uint64_t>(ti.block_bytes);
            if (t.offset > data_size || size > data_size - t.offset)
                bad("tensor '" + t.name + "' (" + std::to_string(size) + " bytes at data offset " + std::to_string(t.offset) +
                    ") lies beyond the end of the file (data section of " + std::to_string(data_size) + " bytes)");
            t.bytes = bytes_.subspan(data_start_ + t.offset, size);
            ranges.emplace_back(t.offset, t.offset + size);
        }
        std::sort(ranges.begin(), ranges.end());
        for (std::size_t i = 1; i < ranges.size(); ++i)
            if (ranges[i].first < ranges[i - 1].second)
                for (const auto& t : tensors_)
                    if (t.offset == ranges[i].first) bad("tensor '" + t.name + "' overlaps another tensor's data");
    }

    io::mapped_file file_;
    std::span<const std::byte> bytes_;
    std::string name_;
    std::size_t pos_ = 0;
    std::uint32_t version_ = 0;
    std::uint64_t data_start_ = 0;
    std::vector<kv> kvs_;
    std::map<std::string, std::size_t> kv_index_;
    std::vector<tensor_info> tensors_;
    std::map<std::string, std::size_t> index_;
};

}  // namespace mixq::gguf
