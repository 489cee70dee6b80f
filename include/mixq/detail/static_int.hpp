// Turns a small run-time integer into a compile-time one, so kernels can keep per-batch accumulators in
// registers (used by the CPU and CUDA GEMV dispatch; C++17, host only).
#pragma once

#include <type_traits>

namespace mixq::detail {

// f(std::integral_constant<int, n>{}) for n in [Lo, Hi]; otherwise() for any other n.
template <int Lo, int Hi, class F, class Otherwise>
auto with_static_int(int n, F&& f, Otherwise&& otherwise) {
    if constexpr (Lo > Hi) {
        return otherwise();
    } else {
        if (n == Lo) return f(std::integral_constant<int, Lo>{});
        return with_static_int<Lo + 1, Hi>(n, f, otherwise);
    }
}

}  // namespace mixq::detail
