// model.safetensors, or Hugging Face-style shards plus model.safetensors.index.json above a size limit: staged, committed by the caller.
#pragma once

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../io/safetensors_writer.hpp"

namespace mixq {

// Hugging Face's save_pretrained default ("5GB", decimal).
inline constexpr std::uint64_t default_max_shard_size = 5'000'000'000ull;

// "5GB", "500MB", "2GiB", "100KB", "123" (bytes): decimal units as Hugging Face writes them, binary with "i".
[[nodiscard]] inline std::uint64_t parse_size(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == 0 || i > 15) fail("size '" + text + "': expected a number of bytes with an optional unit (5GB, 500MB, 2GiB)");
    const std::uint64_t n = std::stoull(text.substr(0, i));
    std::string unit = text.substr(i);
    for (auto& ch : unit) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    static const std::map<std::string, std::uint64_t> units{{"", 1},          {"B", 1},          {"KB", 1000},      {"MB", 1000000},
                                                            {"GB", 1000000000}, {"KIB", 1ull << 10}, {"MIB", 1ull << 20}, {"GIB", 1ull << 30}};
    const auto u = units.find(unit);
    if (u == units.end()) fail("size '" + text + "': unknown unit '" + text.substr(i) + "' (B, KB, MB, GB, KiB, MiB, GiB)");
    if (n == 0) fail("size '" + text + "' must be positive");
    return n * u->second;
}

// A model file's data starts at a multiple of this (the header is padded with spaces): whole 4 KiB
// filesystem blocks, so a streaming conversion can put the header in front of data it has already written
// without copying it (io::atomic_file::insert_front), and mapped tensors start page-aligned.
inline constexpr std::size_t model_header_alignment = 4096;

// One tensor of the output with what writes its bytes (from memory or from a staged data file).
struct model_part {
    io::tensor_header header;
    std::function<void(io::atomic_file&)> write;
};

// Stages the model under `dir`: one model.safetensors when its tensor data fits in max_shard bytes, else
// model-0000k-of-0000N.safetensors shards (each unit of parts kept whole: a tensor with its X_scale) and a
// model.safetensors.index.json as transformers writes it. Every shard carries the whole __metadata__, so
// one shard alone still describes its tensors. The files are returned staged; commit them all.
// `one_file`, if given, is offered the header bytes of a single model.safetensors first: it returns the
// staged file already holding them and the data, or null to have the parts written as usual.
using one_file_fn = std::function<std::unique_ptr<io::atomic_file>(const std::string& prefix)>;
[[nodiscard]] inline std::vector<std::unique_ptr<io::atomic_file>> stage_model_files(const std::filesystem::path& dir,
                                                                                    const std::vector<std::vector<model_part>>& units,
                                                                                    const std::map<std::string, std::string>& metadata,
                                                                                    std::uint64_t max_shard, const one_file_fn& one_file = {}) {
    std::vector<std::vector<const std::vector<model_part>*>> shards(1);
    std::uint64_t in_shard = 0, total = 0;
    for (const auto& u : units) {
        std::uint64_t size = 0;
        for (const auto& p : u) size += p.header.size;
        if (!shards.back().empty() && in_shard + size > max_shard) {
            shards.emplace_back();
            in_shard = 0;
        }
        shards.back().push_back(&u);
        in_shard += size;
        total += size;
    }
    std::vector<std::unique_ptr<io::atomic_file>> files;
    auto stage = [&](const std::filesystem::path& path, const std::vector<const std::vector<model_part>*>& members) {
        std::vector<io::tensor_header> headers;
        for (const auto* u : members)
            for (const auto& p : *u) headers.push_back(p.header);
        const auto prefix = io::safetensors_prefix(io::safetensors_header(headers, metadata, model_header_alignment));
        if (one_file && shards.size() == 1)
            if (auto f = one_file(prefix)) {
                files.push_back(std::move(f));
                return;
            }
        files.push_back(std::make_unique<io::atomic_file>(path));
        files.back()->write(prefix);
        for (const auto* u : members)
            for (const auto& p : *u) p.write(*files.back());
    };
    if (shards.size() == 1) {
        stage(dir / "model.safetensors", shards.front());
        return files;
    }
    nlohmann::ordered_json map = nlohmann::ordered_json::object();
    for (std::size_t k = 0; k < shards.size(); ++k) {
        const auto name = fmt::format("model-{:05}-of-{:05}.safetensors", k + 1, shards.size());
        stage(dir / name, shards[k]);
        for (const auto* u : shards[k])
            for (const auto& p : *u) map[p.header.name] = name;
    }
    files.push_back(std::make_unique<io::atomic_file>(dir / "model.safetensors.index.json"));
    files.back()->write(nlohmann::ordered_json{{"metadata", {{"total_size", total}}}, {"weight_map", map}}.dump(1) + "\n");
    return files;
}

// After committing: the other form's file from an earlier run would shadow or contradict this one
// (a directory is read through model.safetensors first), so it goes.
inline void remove_other_form(const std::filesystem::path& dir, bool sharded) {
    std::error_code ec;
    std::filesystem::remove(dir / (sharded ? "model.safetensors" : "model.safetensors.index.json"), ec);
}

}  // namespace mixq
