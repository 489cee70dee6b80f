// Loads precision tables from JSON: [[pattern, precision], ...], {"rules": [...]}, or {"pattern": "precision"}.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "rule_table.hpp"

namespace mixq {

namespace detail {
inline void add_json_rule(rule_table& t, const std::string& where, const std::string& pattern,
                          const nlohmann::ordered_json& prec) {
    if (!prec.is_string()) fail(where + ": rule '" + pattern + "': precision must be a string");
    const auto name = prec.get<std::string>();
    const auto p = parse_precision(name);
    if (!p && name == "int4")
        fail(where + ": rule '" + pattern + "': precision 'int4' needs its group size: int4_g32, int4_g64 or int4_g128");
    if (!p) fail(where + ": rule '" + pattern + "': unknown precision '" + name +
                 "' (known: fp32, fp16, bf16, int8, int4_g32, int4_g64, int4_g128, nf4, fp8_e4m3)");
    t.add(pattern, *p);
}
}  // namespace detail

// `where` names the source in error messages (a file path or "<string>").
[[nodiscard]] inline rule_table parse_table_json(const std::string& text, const std::string& where,
                                                 std::string default_name = "custom") {
    nlohmann::ordered_json j;  // ordered: a plain {"pattern": "precision"} object keeps file order
    try {
        j = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        fail(where + ": not valid JSON: " + e.what());
    }
    const nlohmann::ordered_json* rules = &j;
    if (j.is_object() && j.contains("rules")) {
        rules = &j["rules"];
        if (j.contains("name") && j["name"].is_string()) default_name = j["name"].get<std::string>();
    }
    rule_table t(default_name);
    try {
        if (rules->is_array()) {
            std::size_t i = 0;
            for (const auto& r : *rules) {
                ++i;
                if (!r.is_array() || r.size() != 2 || !r[0].is_string())
                    fail(where + ": rule #" + std::to_string(i) + " must be [\"pattern\", \"precision\"]");
                detail::add_json_rule(t, where, r[0].get<std::string>(), r[1]);
            }
        } else if (rules->is_object()) {
            for (const auto& [pattern, prec] : rules->items()) detail::add_json_rule(t, where, pattern, prec);
        } else {
            fail(where + ": a table is [[pattern, precision], ...], {\"rules\": [...]} or {\"pattern\": \"precision\"}");
        }
    } catch (const error& e) {
        if (std::string(e.what()).rfind(where, 0) == 0) throw;
        fail(where + ": " + e.what());  // rule_table::add errors do not know the file
    }
    if (t.size() == 0) fail(where + ": the table has no rules");
    return t;
}

[[nodiscard]] inline rule_table load_table_json(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path + ": cannot open table file");
    std::ostringstream ss;
    ss << in.rdbuf();
    auto stem = path.substr(path.find_last_of('/') + 1);
    if (const auto dot = stem.rfind('.'); dot != std::string::npos) stem.resize(dot);
    return parse_table_json(ss.str(), path, stem);
}

}  // namespace mixq
