// The calibration methods by name, shared by weight conversion (--calibration) and activation
// calibration (--activation-calibration).
#pragma once

#include <optional>
#include <string_view>

namespace mixq {

enum class calibration_method { max, percentile, mse, entropy };

[[nodiscard]] inline std::string_view to_string(calibration_method m) noexcept {
    switch (m) {
        case calibration_method::max: return "max";
        case calibration_method::percentile: return "percentile";
        case calibration_method::mse: return "mse";
        case calibration_method::entropy: return "entropy";
    }
    return "?";
}

[[nodiscard]] inline std::optional<calibration_method> parse_calibration(std::string_view s) noexcept {
    for (auto m : {calibration_method::max, calibration_method::percentile, calibration_method::mse, calibration_method::entropy})
        if (s == to_string(m)) return m;
    return std::nullopt;
}

}  // namespace mixq
