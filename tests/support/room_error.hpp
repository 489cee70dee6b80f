// Test helper: a layer room's output on random normalised inputs against a double-precision reference.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <mixq/model/config.hpp>

#include "catch.hpp"

namespace mixq::test {

// Runs room.forward on n_seq random sequences of L normalised inputs and returns the largest error against
// `naive` (one sequence at a time, in double), relative to the largest output.
template <class Room, class Naive>
double room_error(const Room& room, const model_config& c, std::int64_t n_seq, std::int64_t L, std::uint32_t seed, Naive naive) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 1.0f);
    const auto d = c.d_model;
    std::vector<float> u(static_cast<std::size_t>(n_seq * L * d)), out(u.size(), -1.0f);
    for (auto& v : u) v = n(rng);
    room.forward(u.data(), n_seq, L, out.data(), nullptr);
    double err = 0, top = 0;
    for (std::int64_t q = 0; q < n_seq; ++q) {
        std::vector<std::vector<double>> h(static_cast<std::size_t>(L));
        for (std::int64_t t = 0; t < L; ++t)
            h[static_cast<std::size_t>(t)].assign(u.begin() + (q * L + t) * d, u.begin() + (q * L + t + 1) * d);
        const auto want = naive(h);
        for (std::int64_t t = 0; t < L; ++t)
            for (std::int64_t k = 0; k < d; ++k) {
                const double w = want[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)];
                err = std::max(err, std::fabs(out[static_cast<std::size_t>((q * L + t) * d + k)] - w));
                top = std::max(top, std::fabs(w));
            }
    }
    REQUIRE(top > 0.1);  // the room computes something
    return err / top;
}

}  // namespace mixq::test
