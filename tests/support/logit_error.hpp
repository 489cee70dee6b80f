// Test helper: how far a model's logits are from a double-precision reference forward on random tokens.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <mixq/model/forward.hpp>

namespace mixq::test {

// max |mixq - reference| / max |reference| over the logits of n_seq random sequences of L tokens;
// reference(ids) gives one sequence's logits [L][vocab] in double. `max_ref` receives max |reference|
// (a degenerate model has tiny logits, which a test must rule out).
template <class Reference>
double logit_error(const ssm_lm& model, std::int64_t n_seq, std::int64_t L, std::uint32_t seed, Reference reference,
                   double* max_ref = nullptr) {
    const auto vocab = model.config().vocab;
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::int64_t> tok(0, vocab - 1);
    std::vector<std::int64_t> ids(static_cast<std::size_t>(L * n_seq));
    for (auto& t : ids) t = tok(rng);
    std::vector<float> logits(static_cast<std::size_t>(L * n_seq * vocab));
    model.forward(ids.data(), n_seq, L, logits.data());
    double max_err = 0, ref_max = 0;
    for (std::int64_t s = 0; s < n_seq; ++s) {
        const auto ref = reference(std::vector<std::int64_t>(ids.begin() + s * L, ids.begin() + (s + 1) * L));
        for (std::int64_t t = 0; t < L; ++t)
            for (std::int64_t v = 0; v < vocab; ++v) {
                const double r = ref[static_cast<std::size_t>(t)][static_cast<std::size_t>(v)];
                ref_max = std::max(ref_max, std::fabs(r));
                max_err = std::max(max_err, std::fabs(r - logits[static_cast<std::size_t>((s * L + t) * vocab + v)]));
            }
    }
    if (max_ref) *max_ref = ref_max;
    return max_err / ref_max;
}

}  // namespace mixq::test
