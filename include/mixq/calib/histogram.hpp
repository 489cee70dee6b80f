// A streaming histogram of |x| (2048 bins, range grows by powers of two) answering percentile, MSE and
// entropy (KL-divergence) queries: the observer for activations, which arrive batch by batch.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "../format/int8.hpp"

namespace mixq {

// TensorRT's entropy calibration over a histogram of |x| with bin width w: for each candidate i in
// [levels, bins], P = counts[0, i) with everything above folded into bin i-1, Q = counts[0, i) merged
// into `levels` groups (the last takes the remainder) and spread evenly over each group's bins where P
// is non-zero; returns the first i minimising KL(P || Q). The clipping magnitude is i · w.
// Only bins with counts (and bin i-1) enter P, so each candidate costs O(non-empty bins), not O(i).
[[nodiscard]] inline std::size_t kl_threshold_bin(std::span<const std::uint64_t> counts, std::size_t levels = 128) {
    const std::size_t bins = counts.size();
    if (bins <= levels) return bins;
    std::vector<std::size_t> nz;  // non-empty bins, ascending
    double total = 0.0;
    for (std::size_t b = 0; b < bins; ++b)
        if (counts[b]) nz.push_back(b), total += static_cast<double>(counts[b]);
    if (total == 0.0) return bins;
    std::vector<double> gsum(levels), gcnt(levels);
    std::size_t best = bins;
    double best_kl = std::numeric_limits<double>::infinity();
    double below = 0.0;   // counts in [0, i - 1)
    std::size_t k = 0;    // nz[0, k) are the non-empty bins below i - 1
    // A candidate whose inputs equal the previous one's (same bins below, same grouping, an empty last bin
    // in the same group) has the same KL bit for bit and cannot be a new first minimum: skipped. Between
    // non-empty bins only the last bin's group moves, so ~1/4 of the candidates are computed.
    std::size_t prev_k = ~std::size_t{0}, prev_merged = 0, prev_last_group = 0;
    bool prev_last_empty = false;
    for (std::size_t i = levels; i <= bins; ++i) {
        while (k < nz.size() && nz[k] < i - 1) below += static_cast<double>(counts[nz[k++]]);
        const std::size_t merged = i / levels;
        auto group = [&](std::size_t b) { return std::min(b / merged, levels - 1); };
        const bool last_empty = counts[i - 1] == 0;
        const bool same = k == prev_k && merged == prev_merged && group(i - 1) == prev_last_group && last_empty && prev_last_empty;
        prev_k = k, prev_merged = merged, prev_last_group = group(i - 1), prev_last_empty = last_empty;
        if (same) continue;
        std::fill(gsum.begin(), gsum.end(), 0.0);
        std::fill(gcnt.begin(), gcnt.end(), 0.0);
        for (std::size_t j = 0; j < k; ++j) {
            gsum[group(nz[j])] += static_cast<double>(counts[nz[j]]);
            gcnt[group(nz[j])] += 1.0;
        }
        const double last_count = static_cast<double>(counts[i - 1]);
        const double last_p = total - below;  // bin i - 1 plus the folded tail
        gsum[group(i - 1)] += last_count;
        if (last_p > 0.0) gcnt[group(i - 1)] += 1.0;
        double qs = 0.0;  // Σ Q = Σ of group sums whose group has a bin with P > 0
        for (std::size_t g = 0; g < levels; ++g)
            if (gcnt[g] > 0.0) qs += gsum[g];
        if (qs == 0.0) continue;
        auto term = [&](double p, std::size_t b) {
            const std::size_t g = group(b);
            const double pn = p / total, qn = gsum[g] / gcnt[g] / qs;
            return qn > 0.0 ? pn * std::log(pn / qn) : std::numeric_limits<double>::infinity();
        };
        double kl = 0.0;
        for (std::size_t j = 0; j < k; ++j) kl += term(static_cast<double>(counts[nz[j]]), nz[j]);
        if (last_p > 0.0) kl += term(last_p, i - 1);
        if (kl < best_kl) best_kl = kl, best = i;
    }
    return best;
}

class histogram_observer {
public:
    static constexpr std::size_t bins = 2048;

    // Adds |x| for every x. When a value exceeds the range, the range doubles (as often as needed) and
    // adjacent bins merge, so earlier batches keep their resolution relative to the final range.
    void observe(std::span<const float> xs) {
        float mx = 0.0f;
        for (float x : xs) mx = std::max(mx, std::fabs(x));
        if (mx > max_) max_ = mx;
        if (mx > range_) grow(mx);
        if (range_ == 0.0) {  // everything so far is zero
            counts_[0] += xs.size();
            count_ += xs.size();
            return;
        }
        const double inv = static_cast<double>(bins) / range_;
        for (float x : xs) ++counts_[std::min(bins - 1, static_cast<std::size_t>(std::fabs(x) * inv))];
        count_ += xs.size();
    }

    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
    [[nodiscard]] float max() const noexcept { return max_; }
    [[nodiscard]] double bin_width() const noexcept { return range_ / static_cast<double>(bins); }
    [[nodiscard]] std::span<const std::uint64_t> counts() const noexcept { return counts_; }

    // P-th percentile of |x|, interpolated linearly inside the bin that holds it (accurate to one bin).
    [[nodiscard]] float percentile(double p) const {
        if (count_ == 0 || range_ == 0.0) return 0.0f;
        const double target = p / 100.0 * static_cast<double>(count_);
        double cum = 0.0;
        for (std::size_t b = 0; b < bins; ++b) {
            const double c = static_cast<double>(counts_[b]);
            if (cum + c >= target && c > 0) {
                const double frac = std::clamp((target - cum) / c, 0.0, 1.0);
                return static_cast<float>(std::min<double>((static_cast<double>(b) + frac) * bin_width(), max_));
            }
            cum += c;
        }
        return max_;
    }
    // The clip (a bin edge) minimising the int8 squared error, each bin's values taken at its centre.
    [[nodiscard]] float mse() const {
        if (count_ == 0 || range_ == 0.0) return 0.0f;
        const double w = bin_width();
        double best_err = std::numeric_limits<double>::infinity();
        float best = max_;
        for (std::size_t k = bins; k >= 1; k -= std::min<std::size_t>(k, 8)) {
            const auto clip = static_cast<float>(static_cast<double>(k) * w);
            const float s = int8_scale(clip);
            double e = 0.0;
            for (std::size_t b = 0; b < bins; ++b) {
                if (!counts_[b]) continue;
                const auto centre = static_cast<float>((static_cast<double>(b) + 0.5) * w);
                const double d = static_cast<double>(int8_code(centre, s)) * s - centre;
                e += static_cast<double>(counts_[b]) * d * d;
            }
            if (e < best_err) best_err = e, best = clip;
            if (k < 8) break;
        }
        return best;
    }
    // KL-divergence (entropy) calibration over the histogram.
    [[nodiscard]] float entropy() const {
        if (count_ == 0 || range_ == 0.0) return 0.0f;
        return static_cast<float>(static_cast<double>(kl_threshold_bin(counts_)) * bin_width());
    }

private:
    void grow(float mx) {
        if (range_ == 0.0) {
            range_ = mx;
            return;  // counts so far (all zeros) sit in bin 0, which stays right
        }
        std::size_t factor = 1;
        double r = range_;
        while (r < mx) r *= 2.0, factor *= 2;
        std::vector<std::uint64_t> merged(bins, 0);
        for (std::size_t b = 0; b < bins; ++b) merged[b / factor] += counts_[b];
        counts_ = std::move(merged);
        range_ = r;
    }

    std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(bins, 0);
    double range_ = 0.0;
    float max_ = 0.0f;
    std::uint64_t count_ = 0;
};

}  // namespace mixq
