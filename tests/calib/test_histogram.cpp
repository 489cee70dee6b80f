// Tests include/mixq/calib/histogram.hpp and entropy.hpp: KL threshold against a dense naive version,
// and the streaming observer against exact statistics of all the data.
#include <algorithm>
#include <cmath>
#include <limits>
#include <mixq/calib/entropy.hpp>
#include <mixq/calib/histogram.hpp>
#include <mixq/calib/percentile.hpp>
#include <random>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
// TensorRT's algorithm written out densely, bin by bin, as its Python reference does.
std::size_t naive_kl_bin(const std::vector<std::uint64_t>& hist, std::size_t levels = 128) {
    const std::size_t bins = hist.size();
    std::size_t best = bins;
    double best_kl = std::numeric_limits<double>::infinity();
    for (std::size_t i = levels; i <= bins; ++i) {
        std::vector<double> sliced(hist.begin(), hist.begin() + static_cast<std::ptrdiff_t>(i));
        std::vector<double> p = sliced;
        for (std::size_t b = i; b < bins; ++b) p[i - 1] += static_cast<double>(hist[b]);
        std::vector<double> q(i, 0.0);
        const std::size_t merged = i / levels;
        for (std::size_t g = 0; g < levels; ++g) {
            const std::size_t start = g * merged, stop = g == levels - 1 ? i : start + merged;
            double sum = 0, nonzero = 0;
            for (std::size_t b = start; b < stop; ++b) sum += sliced[b], nonzero += p[b] != 0;
            for (std::size_t b = start; b < stop; ++b)
                if (p[b] != 0) q[b] = sum / nonzero;
        }
        double ps = 0, qs = 0;
        for (std::size_t b = 0; b < i; ++b) ps += p[b], qs += q[b];
        double kl = 0;
        for (std::size_t b = 0; b < i; ++b)
            if (p[b] != 0) kl += q[b] == 0 ? INFINITY : p[b] / ps * std::log((p[b] / ps) / (q[b] / qs));
        if (kl < best_kl) best_kl = kl, best = i;
    }
    return best;
}
}  // namespace

TEST_CASE("KL threshold equals a dense naive implementation", "[histogram][entropy]") {
    std::mt19937 rng(31);
    for (int trial = 0; trial < 6; ++trial) {
        mixq::histogram_observer h;
        // dense (activation-like, heavy-tailed) and sparse (a 300-value weight row) histograms
        const std::size_t n = trial % 2 ? 300 : 200000;
        std::student_t_distribution<float> t(3.0f);
        std::vector<float> v(n);
        for (auto& x : v) x = t(rng);
        h.observe(v);
        const std::vector<std::uint64_t> counts(h.counts().begin(), h.counts().end());
        INFO("trial " << trial << ", n = " << n);
        CHECK(mixq::kl_threshold_bin(counts) == naive_kl_bin(counts));
        const float clip = mixq::entropy{}(v);
        CHECK(clip > 0.0f);
        CHECK(clip <= h.max() * (1 + 1e-6f));
    }
}

TEST_CASE("the streaming observer answers within one bin of the exact statistics", "[histogram]") {
    mixq::histogram_observer h;
    std::vector<float> all;
    std::uint32_t seed = 3;
    // batches whose maxima grow, forcing the range to double several times
    for (float scale : {0.1f, 0.5f, 0.2f, 4.0f, 1.0f, 9.0f}) {
        const auto batch = mixq::test::random_weights(5000, ++seed, scale, 0.001);
        h.observe(batch);
        all.insert(all.end(), batch.begin(), batch.end());
    }
    CHECK(h.count() == all.size());
    float mx = 0;
    for (float x : all) mx = std::max(mx, std::fabs(x));
    CHECK(h.max() == mx);
    std::vector<float> scratch;
    for (double p : {50.0, 99.0, 99.99}) {
        INFO("p = " << p);
        CHECK(std::fabs(h.percentile(p) - mixq::abs_percentile(all, p, scratch)) <= h.bin_width() * 1.0001);
    }
    CHECK(h.percentile(100.0) <= mx);
    CHECK(h.mse() > 0.0f);
    CHECK(h.mse() <= static_cast<float>(mixq::histogram_observer::bins * h.bin_width()) * 1.0001f);
    mixq::histogram_observer zeros;
    zeros.observe(std::vector<float>(10, 0.0f));
    CHECK(zeros.percentile(99.0) == 0.0f);
    CHECK(zeros.entropy() == 0.0f);
}
