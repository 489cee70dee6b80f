// A layer's input Hessian H = XᵀX (what GPTQ compensates with), and the rounding hook the converter calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace mixq {

// H = Σ xᵀx over the rows x of a layer's fp32 inputs, in double: K x K, row-major, symmetric; only the
// upper triangle (j >= i) is kept up to date (convert/hessians.hpp accumulates it with BLAS).
struct hessian {
    std::int64_t k = 0;
    std::int64_t samples = 0;  // input rows seen
    std::vector<double> h;

    explicit hessian(std::int64_t cols = 0) : k(cols), h(static_cast<std::size_t>(cols * cols), 0.0) {}
    [[nodiscard]] double at(std::int64_t i, std::int64_t j) const noexcept {
        return i <= j ? h[static_cast<std::size_t>(i * k + j)] : h[static_cast<std::size_t>(j * k + i)];
    }
};

// Layer input Hessians by weight name (the head is "lm_head.weight" even when tied).
using hessian_set = std::map<std::string, hessian, std::less<>>;

// roundtrip(value, row, col): the dequantized value of `value` at (row, col), scales fixed in advance.
using roundtrip_fn = std::function<float(float, std::int64_t, std::int64_t)>;
// Error-compensated rounding of W [rows, cols] against H (calib/gptq.hpp's gptq_rounder makes one; it
// needs LAPACK, so the converter, which needs none, takes it as a function).
using rounding_fn = std::function<std::vector<float>(std::span<const float> w, std::int64_t rows, std::int64_t cols,
                                                     const hessian& H, const roundtrip_fn& roundtrip, const std::string& what)>;

}  // namespace mixq
