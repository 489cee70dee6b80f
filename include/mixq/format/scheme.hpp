// A mixq scheme string ("int4:symmetric:group64:max", "nf4:group64:mse", "fp8_e4m3:per_channel:max") read back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "formats.hpp"

namespace mixq {

// What a reader needs from a scheme: the precision (int4 with its group) and the group size.
struct scheme_info {
    precision target = precision::fp32;
    std::int64_t group = 0;  // int4 / nf4 only
};

// Fields are ':'-separated; the first names the format's family, a "groupG" field the group: the format
// whose traits say both (format/formats.hpp). Unknown formats, int4 without a known group, nf4 with another
// group than 64, or a ggml block type (GGUF only) give nullopt.
[[nodiscard]] inline std::optional<scheme_info> parse_scheme(std::string_view s) {
    std::string_view fmt = s.substr(0, s.find(':'));
    std::int64_t group = 0;
    for (std::size_t pos = 0; pos != std::string_view::npos;) {
        const auto next = s.find(':', pos);
        const auto field = s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        if (field.size() > 5 && field.substr(0, 5) == "group") {
            group = 0;
            for (char ch : field.substr(5)) {
                if (ch < '0' || ch > '9' || group > 1'000'000) return std::nullopt;
                group = group * 10 + (ch - '0');
            }
        }
        pos = next == std::string_view::npos ? next : next + 1;
    }
    if (const auto p = format_of(fmt, group); p && !is_ggml_block(*p)) return scheme_info{*p, group};
    // A family with groups named without its group (or with another) is not a format; nor is a block type.
    for (const auto& f : formats)
        if (f.family == fmt && (f.group != 0 || f.scales == scale_layout::in_blocks)) return std::nullopt;
    // A spelling pasted from PyTorch ("float16") names an ungrouped format, as in a table.
    if (const auto p = parse_precision(fmt); p && group_size(*p) == 0 && !is_ggml_block(*p)) return scheme_info{*p, 0};
    return std::nullopt;
}

}  // namespace mixq
