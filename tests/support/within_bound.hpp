// Element-wise |got - want| <= bound over a whole output, asserted once with the number of misses and the
// first one: a Catch2 assertion (and message) per element would cost the GPU tests more host time than
// their kernels, on a lent machine whose minutes are few.
#pragma once

#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>

namespace mixq::test {

struct bound_misses {
    std::size_t count = 0, first = 0;
    double got = 0, want = 0, bound = 0;
    [[nodiscard]] std::string describe() const {
        std::ostringstream s;
        s.precision(9);
        if (count == 0) s << "every element within its bound";
        else s << count << " element(s) outside their bound; the first, [" << first << "]: got " << got << ", want " << want << ", bound " << bound;
        return s.str();
    }
};

// got(i), want(i) and bound(i) for i in [0, n). A NaN misses.
template <class Got, class Want, class Bound>
[[nodiscard]] bound_misses misses_of(std::size_t n, Got got, Want want, Bound bound) {
    bound_misses m;
    for (std::size_t i = 0; i < n; ++i) {
        const double g = got(i), w = want(i), b = bound(i);
        if (std::fabs(g - w) <= b) continue;
        if (m.count++ == 0) m.first = i, m.got = g, m.want = w, m.bound = b;
    }
    return m;
}

}  // namespace mixq::test
