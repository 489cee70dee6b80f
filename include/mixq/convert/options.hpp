// How a conversion calibrates and rounds: the int8 and low-bit clips, GPTQ, strictness, threads, reuse of earlier results.
#pragma once

#include <fmt/format.h>
#include <functional>
#include <string>

#include "../calib/hessian.hpp"
#include "../calib/method.hpp"

namespace mixq {

// The clip of each group (int4, nf4) or row (fp8) below int8: its max (the oracle's semantics) or the
// clip minimising that group's squared error (calib/mse.hpp's low-bit grid).
enum class lowbit_calibration { max, mse };

struct converted_tensor;

struct convert_options {
    calibration_method calibration = calibration_method::percentile;  // int8 clips
    double percentile = 99.99;  // used by calibration_method::percentile
    lowbit_calibration lowbit = lowbit_calibration::max;  // int4 / nf4 / fp8 clips
    // GPTQ rounding on top of the clips above, for int8 and / or the low-bit precisions: needs the layers'
    // Hessians (convert/hessians.hpp) and the rounding itself (calib/gptq.hpp's gptq_rounder).
    bool gptq_int8 = false, gptq_lowbit = false;
    const hessian_set* hessians = nullptr;
    rounding_fn round;
    std::string gptq_description;  // for metadata: "damp 0.01, block 128, act order off"
    bool strict = false;        // unmatched tensors and rules that match nothing become errors
    unsigned threads = 1;       // row blocks of a large tensor quantized at once (the result never depends on it)
    // Drop each source tensor's mapped pages once read (streaming conversion only: the search converts the
    // same input many times and would re-fault them every time).
    bool release_input = false;
    // Tensors already converted with these same options (the search's candidate conversions): given a
    // planned tensor, one converted from the same source to the same precision, or null. Its result is
    // copied instead of computed again: conversion is deterministic, so only the work (GPTQ) is saved.
    std::function<const converted_tensor*(const converted_tensor& planned)> reuse;
};

// How the int8 clips are calibrated and rounded, as reports write it: "percentile:99.99+gptq", "mse", ...
[[nodiscard]] inline std::string describe_int8(const convert_options& o) {
    std::string s(to_string(o.calibration));
    if (o.calibration == calibration_method::percentile) s += fmt::format(":{:g}", o.percentile);
    return o.gptq_int8 ? s + "+gptq" : s;
}
// How the clips below int8 are calibrated and rounded: "max", "mse", "max+gptq" or "mse+gptq".
[[nodiscard]] inline std::string describe_lowbit(const convert_options& o) {
    return std::string(o.lowbit == lowbit_calibration::mse ? "mse" : "max") + (o.gptq_lowbit ? "+gptq" : "");
}

}  // namespace mixq
