// config.json as Python writes it: the non-standard literals Infinity, -Infinity and NaN are accepted.
#pragma once

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "../core/error.hpp"

namespace mixq::detail {

// Python's json module writes float('inf') as the bare word Infinity, and real Mamba-2 / Nemotron-H
// configs carry it (time_step_limit). Outside strings such a word becomes the string "Infinity" etc.,
// which json_number() reads back as the value; inside strings nothing changes.
[[nodiscard]] inline nlohmann::json parse_config_json(const std::string& text, const std::string& where) {
    std::string out;
    out.reserve(text.size() + 16);
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (in_string) {
            out += ch;
            if (ch == '\\' && i + 1 < text.size()) out += text[++i];
            else if (ch == '"') in_string = false;
            continue;
        }
        if (ch == '"') {
            in_string = true;
            out += ch;
            continue;
        }
        bool replaced = false;
        for (const char* word : {"-Infinity", "Infinity", "NaN"}) {
            const std::string w(word);
            if (text.compare(i, w.size(), w) == 0) {
                out += '"' + w + '"';
                i += w.size() - 1;
                replaced = true;
                break;
            }
        }
        if (!replaced) out += ch;
    }
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(out);
    } catch (const nlohmann::json::exception& e) {
        fail(where + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) fail(where + ": not a JSON object");
    return j;
}

// A JSON number, or one of the words parse_config_json() turned into strings; nullopt for anything else.
[[nodiscard]] inline std::optional<double> json_number(const nlohmann::json& v) {
    if (v.is_number()) return v.get<double>();
    if (!v.is_string()) return std::nullopt;
    const auto& s = v.get_ref<const std::string&>();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    return std::nullopt;
}

}  // namespace mixq::detail
