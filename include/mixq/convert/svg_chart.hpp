// precision_allocation.svg: parameters and bytes per precision, and bytes per layer stacked by precision.
#pragma once

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <string>
#include <vector>

#include "convert.hpp"
#include "report.hpp"

namespace mixq {

namespace detail {
inline const char* precision_colour(precision p) {
    switch (p) {
        case precision::int8: return "#2a7ab9";
        case precision::fp16: return "#f28e2b";
        case precision::bf16: return "#9c6ade";
        case precision::fp32: return "#d64541";
        case precision::fp8_e4m3: return "#17becf";
        case precision::int4_g32: return "#1b9e4b";
        case precision::int4_g64: return "#59a14f";
        case precision::int4_g128: return "#8cd17d";
        case precision::nf4: return "#b6992d";
        default: break;  // the ggml block types (GGUF output only)
    }
    return "#888888";
}
// "layers.3.ssm.in_proj.weight" -> "layers.3", "backbone.layers.3.mixer.x" -> "layers.3", "lm_head.weight" -> "lm_head".
inline std::string layer_group(const std::string& name) {
    const auto pos = name.find("layers.");
    if (pos != std::string::npos) {
        const auto end = name.find('.', pos + 7);
        return name.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    }
    std::string n = name.rfind("backbone.", 0) == 0 ? name.substr(9) : name;
    return n.substr(0, n.find('.'));
}
inline std::string xml_escape(const std::string& s) {
    std::string o;
    for (char ch : s) {
        if (ch == '<') o += "&lt;";
        else if (ch == '>') o += "&gt;";
        else if (ch == '&') o += "&amp;";
        else if (ch == '"') o += "&quot;";
        else o += ch;
    }
    return o;
}
}  // namespace detail

[[nodiscard]] inline std::string precision_svg(const conversion& c) {
    // per layer group, in first-seen order: bytes written per precision
    std::vector<std::string> groups;
    std::map<std::string, std::map<precision, double>> bytes;
    std::map<precision, double> total_bytes;
    for (const auto& x : c.tensors) {
        if (x.alias_of) continue;
        const auto g = detail::layer_group(x.source->name);
        if (!bytes.count(g)) groups.push_back(g);
        bytes[g][x.target] += static_cast<double>(x.bytes_after());
        total_bytes[x.target] += static_cast<double>(x.bytes_after());
    }
    const int width = 760, bar_h = 18, gap = 6, left = 150, plot_w = 520;
    const int top1 = 60;
    const int n_prec = static_cast<int>(c.totals.params.size());
    const int top2 = top1 + 2 * n_prec * (bar_h + gap) + 70;
    const int height = top2 + static_cast<int>(groups.size()) * (bar_h + gap) + 70;
    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
        "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        width, height, width, height);
    s += fmt::format("<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">Precision allocation: {}</text>\n",
                     detail::xml_escape(c.table.name()));
    s += fmt::format("<text x=\"10\" y=\"40\">fp32 {:.3f} MiB -> mixed {:.3f} MiB, compression {:.2f}x</text>\n",
                     static_cast<double>(c.totals.fp32_bytes) / mib, static_cast<double>(c.totals.mixed_bytes) / mib,
                     c.totals.ratio());
    double max_params = 1, max_bytes = 1;
    for (const auto& [p, n] : c.totals.params) max_params = std::max(max_params, static_cast<double>(n));
    for (const auto& [p, b] : total_bytes) max_bytes = std::max(max_bytes, b);
    int y = top1;
    for (const auto& [p, n] : c.totals.params) {
        const double b = total_bytes[p];
        const auto name = std::string(to_string(p));
        const int wp = static_cast<int>(plot_w * static_cast<double>(n) / max_params);
        const int wb = static_cast<int>(plot_w * b / max_bytes);
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} parameters</text>\n", left - 8, y + 13, name);
        s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n", left, y, std::max(wp, 1), bar_h,
                         detail::precision_colour(p));
        s += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", left + wp + 6, y + 13, detail::group_digits(n));
        y += bar_h + gap;
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} bytes</text>\n", left - 8, y + 13, name);
        s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" fill-opacity=\"0.55\"/>\n", left, y,
                         std::max(wb, 1), bar_h, detail::precision_colour(p));
        s += fmt::format("<text x=\"{}\" y=\"{}\">{:.3f} MiB</text>\n", left + wb + 6, y + 13, b / mib);
        y += bar_h + gap;
    }
    s += fmt::format("<text x=\"10\" y=\"{}\" font-size=\"14\" font-weight=\"bold\">Bytes written per layer</text>\n", top2 - 16);
    double max_group = 1;
    for (const auto& g : groups) {
        double sum = 0;
        for (const auto& [p, b] : bytes[g]) sum += b;
        max_group = std::max(max_group, sum);
    }
    y = top2;
    for (const auto& g : groups) {
        s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 8, y + 13, detail::xml_escape(g));
        double x = left, sum = 0;
        for (const auto& [p, b] : bytes[g]) {
            const double w = plot_w * b / max_group;
            s += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{} {}: {:.0f} bytes</title></rect>\n",
                             x, y, w, bar_h, detail::precision_colour(p), detail::xml_escape(g),
                             std::string(to_string(p)), b);
            x += w;
            sum += b;
        }
        s += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{:.1f} KiB</text>\n", x + 6, y + 13, sum / 1024.0);
        y += bar_h + gap;
    }
    int lx = left;
    y += 10;
    for (const auto& [p, n] : c.totals.params) {
        s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>\n", lx,
                         y, detail::precision_colour(p), lx + 16, y + 11, std::string(to_string(p)));
        lx += 80;
    }
    return s + "</svg>\n";
}

}  // namespace mixq
