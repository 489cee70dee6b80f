// The mixq-convert flags of a conversion's options: how mixq-search prints the command that writes its table again.
#pragma once

#include <cstdint>
#include <fmt/format.h>
#include <string>
#include <mixq/calib/gptq.hpp>
#include <mixq/convert/options.hpp>

namespace mixq::cli {

// mixq-convert's calibration flags for `o` (with GPTQ's settings `g` and the window its Hessians were
// collected over, 0 for the model's default): the inverse of its own parsing, defaults left out.
[[nodiscard]] inline std::string calibration_flags(const convert_options& o, const gptq_options& g, std::int64_t window) {
    std::string s;
    if (o.gptq_int8) s += " --calibration gptq";  // percentile scales, GPTQ's rounding
    else if (o.calibration != calibration_method::percentile) s += fmt::format(" --calibration {}", to_string(o.calibration));
    if (o.calibration == calibration_method::percentile && o.percentile != convert_options{}.percentile)
        s += fmt::format(" --percentile {:g}", o.percentile);
    const auto lowbit = describe_lowbit(o);  // mixq-convert's values, but for "max+gptq", which it spells "gptq"
    if (lowbit != "max") s += " --lowbit-calibration " + (lowbit == "max+gptq" ? std::string("gptq") : lowbit);
    if (o.gptq_int8 || o.gptq_lowbit) {
        const gptq_options d{};
        if (g.damp != d.damp) s += fmt::format(" --gptq-damp {:g}", g.damp);
        if (g.block != d.block) s += fmt::format(" --gptq-block {}", g.block);
        if (g.act_order) s += " --gptq-act-order";
        if (window > 0) s += fmt::format(" --window {}", window);
    }
    return s;
}

}  // namespace mixq::cli
