// Validating, zero-copy safetensors reader: tensors are views into a read-only memory map.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "../core/tensor_view.hpp"
#include "mapped_file.hpp"

namespace mixq::io {

// Limits checked before anything is allocated from the header's claims.
inline constexpr std::uint64_t max_header_bytes = 100ull << 20;
inline constexpr std::size_t max_rank = 8;

class safetensors_file {
public:
    // Maps `path` and validates it completely: header length, JSON, dtypes, shapes against byte
    // ranges, ranges inside the data section and not overlapping, no duplicate names.
    [[nodiscard]] static safetensors_file open(const std::string& path) {
        if (path.ends_with(".index.json")) return open_sharded(path);
        safetensors_file f;
        f.file_ = mapped_file(path);
        f.bytes_ = f.file_.bytes();  // the mapping's address survives moves of the mapped_file
        f.name_ = path;
        f.parse();
        return f;
    }
    // A sharded checkpoint from its model.safetensors.index.json: every shard it lists is opened and validated,
    // and must hold exactly the tensors the index assigns to it. The shards' tensors are seen as one file
    // (shards in the order of their names, each in its data order); path() is the index's path, so files
    // beside it (config.json) are found as for a single file.
    [[nodiscard]] static safetensors_file open_sharded(const std::string& index_path) {
        namespace fs = std::filesystem;
        const auto text = [&] {
            mapped_file m(index_path);
            return std::string(reinterpret_cast<const char*>(m.bytes().data()), m.size());
        }();
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            fail(index_path + ": not valid JSON: " + e.what());
        }
        if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
            fail(index_path + ": no \"weight_map\" object");
        std::map<std::string, std::string> owner;  // tensor -> shard, as the index says
        std::map<std::string, std::vector<std::string>> listed;  // shard -> tensors
        for (const auto& [tensor, shard] : j["weight_map"].items()) {
            if (!shard.is_string()) fail(index_path + ": the shard of '" + tensor + "' is not a string");
            const auto name = shard.get<std::string>();
            if (name.empty() || name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == "." || name == "..")
                fail(index_path + ": shard name '" + name + "' (for '" + tensor + "') is not a plain file name beside the index");
            owner[tensor] = name;
            listed[name].push_back(tensor);
        }
        if (listed.empty()) fail(index_path + ": the weight_map is empty");
        safetensors_file f;
        f.name_ = index_path;
        const auto dir = fs::path(index_path).parent_path();
        std::map<std::string, std::string> found;  // tensor -> the shard it is in
        for (const auto& [shard, names] : listed) {
            const auto path = (dir / shard).string();
            if (!fs::exists(path)) fail(index_path + ": shard '" + shard + "' (listed for '" + names.front() + "') does not exist");
            auto part = std::make_unique<safetensors_file>(open(path));
            for (const auto& t : part->tensors()) {
                if (const auto it = found.find(t.name); it != found.end())
                    fail(index_path + ": tensor '" + t.name + "' is in two shards, '" + it->second + "' and '" + shard + "'");
                found[t.name] = shard;
                const auto o = owner.find(t.name);
                if (o == owner.end()) fail(index_path + ": tensor '" + t.name + "' of shard '" + shard + "' is not in the weight_map");
                if (o->second != shard)
                    fail(index_path + ": tensor '" + t.name + "' is in shard '" + shard + "' but the weight_map says '" + o->second + "'");
                f.index_.emplace(t.name, f.tensors_.size());
                f.tensors_.push_back(t);
            }
            for (const auto& [k, v] : part->metadata()) f.metadata_.emplace(k, v);
            f.total_size_ += part->file_size();
            f.shards_.push_back(std::move(part));
        }
        for (const auto& [tensor, shard] : owner)
            if (!found.count(tensor))
                fail(index_path + ": the weight_map lists '" + tensor + "' in shard '" + shard + "', which does not hold it");
        return f;
    }
    // Tensors read by another reader (a PyTorch checkpoint): `owner` keeps their bytes alive. Names must
    // be unique; `file_size` is the source file's size, for reports.
    // `mapping`, if given (kept alive by `owner`), is where views may point: release drops its pages.
    [[nodiscard]] static safetensors_file adopt(std::string name, std::vector<tensor_view> tensors, std::shared_ptr<const void> owner,
                                                std::size_t file_size, std::map<std::string, std::string> metadata = {},
                                                const mapped_file* mapping = nullptr) {
        safetensors_file f;
        f.adopted_map_ = mapping;
        f.name_ = std::move(name);
        f.tensors_ = std::move(tensors);
        f.owner_ = std::move(owner);
        f.total_size_ = file_size;
        f.adopted_ = true;
        f.metadata_ = std::move(metadata);
        for (std::size_t i = 0; i < f.tensors_.size(); ++i)
            if (!f.index_.emplace(f.tensors_[i].name, i).second) f.bad("duplicate tensor name '" + f.tensors_[i].name + "'");
        return f;
    }
    // Drops a tensor's pages from memory once it is done (mapped files only; see mapped_file::release).
    void release(const tensor_view& t) const noexcept {
        if (file_.release(t.bytes) || (adopted_map_ && adopted_map_->release(t.bytes))) return;
        for (const auto& s : shards_) s->release(t);
    }
    [[nodiscard]] std::size_t shard_count() const noexcept { return shards_.empty() ? 1 : shards_.size(); }

    // The same validation over bytes the caller owns (and keeps alive): in-memory files, fuzzing.
    [[nodiscard]] static safetensors_file parse(std::span<const std::byte> bytes, std::string name) {
        safetensors_file f;
        f.bytes_ = bytes;
        f.name_ = std::move(name);
        f.parse();
        return f;
    }

    [[nodiscard]] const std::vector<tensor_view>& tensors() const noexcept { return tensors_; }
    [[nodiscard]] const std::map<std::string, std::string>& metadata() const noexcept { return metadata_; }
    [[nodiscard]] const std::string& path() const noexcept { return name_; }
    [[nodiscard]] std::size_t file_size() const noexcept { return shards_.empty() && !adopted_ ? bytes_.size() : total_size_; }

    [[nodiscard]] const tensor_view* find(std::string_view name) const {
        const auto it = index_.find(std::string(name));
        return it == index_.end() ? nullptr : &tensors_[it->second];
    }
    [[nodiscard]] const tensor_view& at(std::string_view name) const {
        if (const auto* t = find(name)) return *t;
        fail(path() + ": no tensor named '" + std::string(name) + "'");
    }

private:
    [[noreturn]] void bad(const std::string& what) const { fail(path() + ": " + what); }

    void parse() {
        const auto all = bytes_;
        if (all.empty()) bad("empty file (not a safetensors file)");
        if (all.size() < 8) bad("file is " + std::to_string(all.size()) + " bytes, too short for the 8-byte header length");
        std::uint64_t header_len = 0;
        for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | std::to_integer<std::uint64_t>(all[static_cast<std::size_t>(i)]);
        if (header_len > all.size() - 8)
            bad("header length " + std::to_string(header_len) + " is larger than the file (" +
                std::to_string(all.size()) + " bytes)");
        if (header_len > max_header_bytes) bad("header length " + std::to_string(header_len) + " exceeds the 100 MiB limit");
        const auto* hb = reinterpret_cast<const char*>(all.data() + 8);
        const std::string_view header(hb, static_cast<std::size_t>(header_len));
        const auto data = all.subspan(8 + static_cast<std::size_t>(header_len));

        // nlohmann keeps the last of duplicate keys silently; the callback sees every top-level key.
        std::set<std::string> seen;
        std::string duplicate;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(header, [&](int depth, nlohmann::json::parse_event_t ev, nlohmann::json& v) {
                if (depth == 1 && ev == nlohmann::json::parse_event_t::key && duplicate.empty()) {
                    const auto& k = v.get_ref<const std::string&>();
                    if (!seen.insert(k).second) duplicate = k;
                }
                return true;
            });
        } catch (const nlohmann::json::exception& e) {
            bad(std::string("header is not valid JSON: ") + e.what());
        }
        if (!duplicate.empty()) bad("duplicate tensor name '" + duplicate + "' in header");
        if (!j.is_object()) bad("header is not a JSON object");

        struct range { std::uint64_t begin, end; std::size_t index; };
        std::vector<range> ranges;
        for (const auto& [name, entry] : j.items()) {
            if (name == "__metadata__") {
                if (!entry.is_object()) bad("__metadata__ is not an object");
                for (const auto& [k, v] : entry.items()) {
                    if (!v.is_string()) bad("__metadata__ value for '" + k + "' is not a string");
                    metadata_[k] = v.get<std::string>();
                }
                continue;
            }
            const std::string where = "tensor '" + name + "': ";
            if (!entry.is_object()) bad(where + "entry is not an object");
            if (!entry.contains("dtype") || !entry["dtype"].is_string()) bad(where + "missing string 'dtype'");
            const auto dt_name = entry["dtype"].get<std::string>();
            const auto dt = parse_dtype(dt_name);
            if (!dt) bad(where + "unknown dtype '" + dt_name + "'");
            if (!entry.contains("shape") || !entry["shape"].is_array()) bad(where + "missing array 'shape'");
            const auto& js = entry["shape"];
            if (js.size() > max_rank) bad(where + "rank " + std::to_string(js.size()) + " exceeds the limit of 8");
            shape_t shape;
            std::uint64_t count = 1;
            bool overflow = false;
            for (const auto& d : js) {
                if (!d.is_number_unsigned()) bad(where + "shape entries must be non-negative integers");
                const auto v = d.get<std::uint64_t>();
                if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) overflow = true;
                else if (v != 0 && count > std::numeric_limits<std::uint64_t>::max() / v) overflow = true;
                else count *= v;
                shape.push_back(static_cast<std::int64_t>(std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max())));
            }
            if (!entry.contains("data_offsets") || !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2 ||
                !entry["data_offsets"][0].is_number_unsigned() || !entry["data_offsets"][1].is_number_unsigned())
                bad(where + "'data_offsets' must be two non-negative integers");
            const auto b = entry["data_offsets"][0].get<std::uint64_t>();
            const auto e = entry["data_offsets"][1].get<std::uint64_t>();
            if (b > e) bad(where + "data_offsets begin " + std::to_string(b) + " > end " + std::to_string(e));
            if (e > data.size())
                bad(where + "data_offsets [" + std::to_string(b) + ", " + std::to_string(e) +
                    ") lie outside the data section (" + std::to_string(data.size()) + " bytes)");
            const auto esize = size_of(*dt);
            if (overflow || count > std::numeric_limits<std::uint64_t>::max() / esize || count * esize != e - b)
                bad(where + "shape " + shape_string(shape) + " x " + dt_name + " does not match its byte range of " +
                    std::to_string(e - b) + " bytes");
            ranges.push_back({b, e, tensors_.size()});
            tensors_.push_back(tensor_view{name, *dt, std::move(shape),
                                           data.subspan(static_cast<std::size_t>(b), static_cast<std::size_t>(e - b))});
        }
        std::sort(ranges.begin(), ranges.end(), [](const range& x, const range& y) { return x.begin < y.begin; });
        for (std::size_t i = 1; i < ranges.size(); ++i)
            if (ranges[i].begin < ranges[i - 1].end)
                bad("tensors '" + tensors_[ranges[i - 1].index].name + "' and '" + tensors_[ranges[i].index].name +
                    "' have overlapping byte ranges");
        // Keep the file's data order: it is the order a writer chose and makes reports stable.
        std::vector<tensor_view> ordered;
        ordered.reserve(tensors_.size());
        for (const auto& r : ranges) ordered.push_back(std::move(tensors_[r.index]));
        tensors_ = std::move(ordered);
        for (std::size_t i = 0; i < tensors_.size(); ++i) index_.emplace(tensors_[i].name, i);
    }

    mapped_file file_;  // empty when parsing caller-owned bytes
    std::span<const std::byte> bytes_;
    std::string name_;
    std::vector<tensor_view> tensors_;
    std::unordered_map<std::string, std::size_t> index_;
    std::map<std::string, std::string> metadata_;
    std::vector<std::unique_ptr<safetensors_file>> shards_;  // a sharded checkpoint: the views point into these
    std::size_t total_size_ = 0;
    std::shared_ptr<const void> owner_;  // adopted tensors: what their views point into
    const mapped_file* adopted_map_ = nullptr;  // inside owner_, when the views point into a mapping
    bool adopted_ = false;
};

}  // namespace mixq::io
