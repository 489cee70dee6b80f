// The allocation step of the precision search: a multiple-choice knapsack over bytes, solved exactly by DP.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "../core/error.hpp"

namespace mixq::search {

// One choice for one unit: its bytes (everything written for it) and its cost (predicted loss).
struct option {
    std::uint64_t bytes = 0;
    double cost = 0.0;
};

// dp over total bytes in steps of `granularity`: best[b] = the least total cost of one option per unit with
// total bytes <= b · granularity. Every option's bytes are rounded UP to the granularity, so a solution
// never exceeds the byte budget it was solved for. With granularity = the gcd of all option sizes (what
// solve_frontier picks when the table fits) the rounding is exact and so is the optimum.
class frontier {
public:
    frontier(const std::vector<std::vector<option>>& units, std::uint64_t granularity) : units_(units), g_(granularity) {
        if (g_ == 0) throw error(errc::internal, "knapsack: granularity 0");
        std::uint64_t max_total = 0;
        for (const auto& u : units_) {
            if (u.empty() || u.size() > 255) throw error(errc::internal, "knapsack: a unit needs 1..255 options");
            std::uint64_t mx = 0;
            for (const auto& o : u) mx = std::max(mx, steps(o.bytes));
            max_total += mx;
        }
        cap_ = max_total;
        constexpr double inf = std::numeric_limits<double>::infinity();
        best_.assign(cap_ + 1, 0.0);  // no units: cost 0 for every budget
        choice_.assign(units_.size() * (cap_ + 1), 0);
        std::vector<double> next(cap_ + 1);
        for (std::size_t u = 0; u < units_.size(); ++u) {
            std::uint8_t* ch = choice_.data() + u * (cap_ + 1);
            for (std::uint64_t b = 0; b <= cap_; ++b) {
                double v = inf;
                std::uint8_t pick = 0;
                for (std::size_t j = 0; j < units_[u].size(); ++j) {
                    const auto w = steps(units_[u][j].bytes);
                    if (w > b) continue;
                    const double c = best_[b - w] + units_[u][j].cost;
                    if (c < v) v = c, pick = static_cast<std::uint8_t>(j);  // ties keep the earlier option
                }
                next[b] = v;
                ch[b] = pick;
            }
            best_.swap(next);
        }
    }

    [[nodiscard]] std::uint64_t granularity() const noexcept { return g_; }
    [[nodiscard]] std::uint64_t max_steps() const noexcept { return cap_; }
    // The least cost within `bytes`, or nullopt when even the smallest options do not fit.
    [[nodiscard]] std::optional<double> cost_within(std::uint64_t bytes) const {
        const auto b = std::min<std::uint64_t>(bytes / g_, cap_);
        return std::isinf(best_[b]) ? std::nullopt : std::optional(best_[b]);
    }
    // The options chosen for the least cost within `bytes` (one index per unit).
    [[nodiscard]] std::vector<std::size_t> choose_within(std::uint64_t bytes) const {
        auto b = std::min<std::uint64_t>(bytes / g_, cap_);
        if (std::isinf(best_[b])) fail("knapsack: no allocation fits in " + std::to_string(bytes) + " bytes");
        std::vector<std::size_t> pick(units_.size());
        for (std::size_t u = units_.size(); u-- > 0;) {
            const auto j = choice_[u * (cap_ + 1) + b];
            pick[u] = j;
            b -= steps(units_[u][j].bytes);
        }
        return pick;
    }
    // The fewest bytes (in whole steps) whose least cost is at most `cost`, or nullopt if none is.
    [[nodiscard]] std::optional<std::uint64_t> bytes_for_cost(double cost) const {
        for (std::uint64_t b = 0; b <= cap_; ++b)
            if (best_[b] <= cost) return b * g_;
        return std::nullopt;
    }

private:
    [[nodiscard]] std::uint64_t steps(std::uint64_t bytes) const noexcept { return (bytes + g_ - 1) / g_; }

    std::vector<std::vector<option>> units_;
    std::uint64_t g_ = 1, cap_ = 0;
    std::vector<double> best_;
    std::vector<std::uint8_t> choice_;  // [unit][budget step] -> option index
};

// The granularity solve uses: the gcd of all option sizes (exact), coarsened only when the table would
// exceed `max_steps` entries per unit (then sizes are rounded up and the result says so).
[[nodiscard]] inline std::uint64_t knapsack_granularity(const std::vector<std::vector<option>>& units, std::uint64_t max_steps = 1u << 21) {
    std::uint64_t g = 0, total = 0;
    for (const auto& u : units) {
        std::uint64_t mx = 0;
        for (const auto& o : u) g = std::gcd(g, o.bytes), mx = std::max(mx, o.bytes);
        total += mx;
    }
    if (g == 0) g = 1;
    while (total / g > max_steps) g *= 2;
    return g;
}

}  // namespace mixq::search
