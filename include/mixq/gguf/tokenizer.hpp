// A Hugging Face tokenizer.json (byte-level BPE) as GGUF tokenizer keys for llama.cpp's "gpt2" model.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "value.hpp"

namespace mixq::gguf {

struct tokenizer_keys {
    std::vector<kv> kvs;
    std::string note;  // for the report: what llama.cpp can and cannot do with it
};

namespace detail {
inline bool byte_level(const nlohmann::json& j) {
    auto is_bl = [](const nlohmann::json& x) {
        if (!x.is_object()) return false;
        if (x.value("type", "") == "ByteLevel") return true;
        if (x.contains("pretokenizers") && x["pretokenizers"].is_array())
            for (const auto& p : x["pretokenizers"])
                if (p.is_object() && p.value("type", "") == "ByteLevel") return true;
        return false;
    };
    return (j.contains("pre_tokenizer") && is_bl(j["pre_tokenizer"])) || (j.contains("decoder") && is_bl(j["decoder"]));
}
}  // namespace detail

// `vocab` is the embedding's row count: llama.cpp wants exactly that many tokens, so ids the tokenizer
// does not use become "[PAD<id>]" tokens of type unused (5), as llama.cpp's own converter pads them.
// No tokenizer.json, or one that is not byte-level BPE: tokenizer.ggml.model = "none" (token ids only).
[[nodiscard]] inline tokenizer_keys tokenizer_from(const std::filesystem::path& path, std::int64_t vocab) {
    tokenizer_keys out;
    auto none = [&](std::string why) {
        out.kvs = {kv::str("tokenizer.ggml.model", "none")};
        out.note = "none (" + why + "): llama.cpp runs token ids but cannot tokenise text";
        return out;
    };
    if (path.empty() || !std::filesystem::is_regular_file(path)) return none("no tokenizer.json beside the model");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(ss.str());
    } catch (const nlohmann::json::exception& e) {
        fail(path.string() + ": not valid JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("model") || !j["model"].is_object()) fail(path.string() + ": no \"model\" object");
    const auto& m = j["model"];
    if (m.value("type", "") != "BPE" || !detail::byte_level(j))
        return none(path.filename().string() + " is not a byte-level BPE tokenizer");
    if (!m.contains("vocab") || !m["vocab"].is_object() || !m.contains("merges") || !m["merges"].is_array())
        fail(path.string() + ": a BPE model needs \"vocab\" (an object) and \"merges\" (an array)");
    std::vector<std::string> tokens(static_cast<std::size_t>(vocab));
    std::vector<std::int32_t> types(static_cast<std::size_t>(vocab), 5);
    auto place = [&](const std::string& tok, const nlohmann::json& id, std::int32_t type) {
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() >= vocab)
            fail(path.string() + ": token '" + tok + "' has id " + id.dump() + ", outside the model's vocabulary of " +
                 std::to_string(vocab));
        const auto i = static_cast<std::size_t>(id.get<std::int64_t>());
        tokens[i] = tok;
        types[i] = type;
    };
    for (const auto& [tok, id] : m["vocab"].items()) place(tok, id, 1);
    std::int64_t eos = -1;
    if (j.contains("added_tokens") && j["added_tokens"].is_array())
        for (const auto& a : j["added_tokens"]) {
            if (!a.is_object() || !a.contains("content") || !a["content"].is_string() || !a.contains("id")) continue;
            const bool special = a.value("special", false);
            place(a["content"].get<std::string>(), a["id"], special ? 3 : 4);  // control / user-defined
            if (a["content"] == "<|endoftext|>") eos = a["id"].get<std::int64_t>();
        }
    std::size_t padded = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i)
        if (types[i] == 5) {
            tokens[i] = "[PAD" + std::to_string(i) + "]";
            ++padded;
        }
    std::vector<std::string> merges;
    for (const auto& mg : m["merges"]) {
        if (mg.is_string()) merges.push_back(mg.get<std::string>());
        else if (mg.is_array() && mg.size() == 2 && mg[0].is_string() && mg[1].is_string())
            merges.push_back(mg[0].get<std::string>() + " " + mg[1].get<std::string>());
        else fail(path.string() + ": a merge is neither \"a b\" nor [\"a\", \"b\"]: " + mg.dump());
    }
    out.kvs = {kv::str("tokenizer.ggml.model", "gpt2"), kv::strings("tokenizer.ggml.tokens", tokens),
               kv::i32s("tokenizer.ggml.token_type", types), kv::strings("tokenizer.ggml.merges", merges)};
    if (eos >= 0) {
        out.kvs.push_back(kv::u32("tokenizer.ggml.bos_token_id", static_cast<std::uint32_t>(eos)));
        out.kvs.push_back(kv::u32("tokenizer.ggml.eos_token_id", static_cast<std::uint32_t>(eos)));
    }
    out.note = "gpt2 (byte-level BPE from " + path.filename().string() + ": " + std::to_string(tokens.size() - padded) +
               " tokens, " + std::to_string(merges.size()) + " merges" + (padded ? ", " + std::to_string(padded) + " padding ids" : "") +
               "; no pre-tokenizer name, so llama.cpp uses its default)";
    return out;
}

}  // namespace mixq::gguf
