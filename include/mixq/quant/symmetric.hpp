// Symmetric integer quantizer composed from parts: bit width tag, granularity tag and a calibrator.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "../calib/calibrator.hpp"
#include "../core/error.hpp"
#include "../format/int8.hpp"
#include "quantizer.hpp"

namespace mixq {

// int8: codes in [-128, 127]; the clipping magnitude maps to 127.
struct int8 {
    static constexpr precision value = precision::int8;
    static constexpr int qmin = -128;
    static constexpr int qmax = 127;
};

// per_tensor: one scale for the whole tensor.
struct per_tensor {
    static constexpr const char* name = "per_tensor";
};
// per_channel: one scale per row of the tensor seen as [shape[0], rest] (a 1-D tensor is one row).
struct per_channel {
    static constexpr const char* name = "per_channel";
};

template <class Bits, class Granularity, calibrator Calibrator>
struct symmetric {
    static_assert(std::is_same_v<Bits, int8>,
                  "mixq::symmetric: only int8 is implemented; int4 packing arrives with the int4 GEMV kernel");
    static_assert(std::is_same_v<Granularity, per_tensor> || std::is_same_v<Granularity, per_channel>,
                  "mixq::symmetric: Granularity must be mixq::per_tensor or mixq::per_channel");

    static constexpr precision target = Bits::value;
    Calibrator calibrate{};

    // scale = clip / 127, zero becomes 1; code = clamp(round-half-even(w / scale), -128, 127): format/int8.hpp.
    [[nodiscard]] static float scale_for(float clip) noexcept { return int8_scale(clip); }
    [[nodiscard]] static std::int8_t code(float w, float scale) noexcept { return int8_code(w, scale); }

    [[nodiscard]] quantized_tensor quantize(std::span<const float> w, std::int64_t rows) const {
        quantized_tensor out;
        if (rows < 0 || (rows == 0 && !w.empty()) || (rows > 0 && w.size() % static_cast<std::size_t>(rows) != 0))
            throw error(errc::internal, "symmetric::quantize: " + std::to_string(w.size()) +
                                            " values do not split into " + std::to_string(rows) + " rows");
        out.rows = rows;
        out.cols = rows > 0 ? static_cast<std::int64_t>(w.size()) / rows : 0;  // empty tensors are legal
        out.codes.resize(w.size());
        const auto cols = static_cast<std::size_t>(out.cols);
        if constexpr (std::is_same_v<Granularity, per_channel>) {
            out.scales.resize(static_cast<std::size_t>(rows));
            for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r)
                out.scales[r] = scale_for(calibrate(w.subspan(r * cols, cols)));
        } else {
            out.scales = {scale_for(calibrate(w))};  // an empty tensor: clip 0, scale 1
        }
        for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
            const float s = out.scale_of_row(static_cast<std::int64_t>(r));
            for (std::size_t c = 0; c < cols; ++c) out.codes[r * cols + c] = code(w[r * cols + c], s);
        }
        return out;
    }

    [[nodiscard]] std::string scheme() const {
        return std::string("int8:symmetric:") + Granularity::name + ":" + calibrate.describe();
    }
};

}  // namespace mixq
