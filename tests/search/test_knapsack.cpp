// Tests include/mixq/search/knapsack.hpp against brute force on random small instances.
#include <cmath>
#include <mixq/search/knapsack.hpp>
#include <random>

#include "support/catch.hpp"

namespace {
// Every combination: the least cost within `budget` bytes, or +inf.
double brute(const std::vector<std::vector<mixq::search::option>>& units, std::uint64_t budget) {
    double best = INFINITY;
    std::vector<std::size_t> idx(units.size(), 0);
    while (true) {
        std::uint64_t b = 0;
        double c = 0;
        for (std::size_t u = 0; u < units.size(); ++u) b += units[u][idx[u]].bytes, c += units[u][idx[u]].cost;
        if (b <= budget) best = std::min(best, c);
        std::size_t u = 0;
        while (u < units.size() && ++idx[u] == units[u].size()) idx[u++] = 0;
        if (u == units.size()) return best;
    }
}
}  // namespace

TEST_CASE("multiple-choice knapsack: the DP optimum equals brute force on random instances", "[knapsack]") {
    std::mt19937 rng(15);
    for (int trial = 0; trial < 300; ++trial) {
        const auto U = 1 + rng() % 5;
        std::vector<std::vector<mixq::search::option>> units(U);
        std::uint64_t total = 0;
        const std::uint64_t unit_bytes = 1 + rng() % 3;  // sizes share a factor sometimes: the gcd path
        for (auto& u : units) {
            const auto J = 1 + rng() % 4;
            std::uint64_t mx = 0;
            for (std::size_t j = 0; j < J; ++j) {
                const std::uint64_t b = unit_bytes * (1 + rng() % 40);
                u.push_back({b, static_cast<double>(rng() % 1000) / 100.0});
                mx = std::max(mx, b);
            }
            total += mx;
        }
        const mixq::search::frontier f(units, mixq::search::knapsack_granularity(units));
        for (std::uint64_t budget = 0; budget <= total + 2; budget += 1 + rng() % 7) {
            INFO("trial " << trial << " budget " << budget);
            const double want = brute(units, budget);
            const auto got = f.cost_within(budget);
            if (std::isinf(want)) {
                REQUIRE_FALSE(got);
                continue;
            }
            REQUIRE(got);
            REQUIRE(*got == Approx(want).margin(1e-9));
            const auto pick = f.choose_within(budget);  // the choice achieves that cost within the budget
            std::uint64_t b = 0;
            double c = 0;
            for (std::size_t u = 0; u < U; ++u) b += units[u][pick[u]].bytes, c += units[u][pick[u]].cost;
            REQUIRE(b <= budget);
            REQUIRE(c == Approx(want).margin(1e-9));
        }
        // The least bytes for a cost: the smallest budget whose optimum is within it.
        const double target = brute(units, total) + 0.5;
        const auto need = f.bytes_for_cost(target);
        REQUIRE(need);
        REQUIRE(brute(units, *need) <= target + 1e-9);
        if (*need >= f.granularity()) REQUIRE(brute(units, *need - f.granularity()) > target);
    }
}

TEST_CASE("a coarse granularity rounds sizes up, so the budget still holds", "[knapsack]") {
    const std::vector<std::vector<mixq::search::option>> units{{{1000, 0.0}, {300, 1.0}}, {{1000, 0.0}, {301, 2.0}}};
    CHECK(mixq::search::knapsack_granularity(units) == 1);
    CHECK(mixq::search::knapsack_granularity(units, 100) == 32);
    const mixq::search::frontier f(units, 32);
    const auto pick = f.choose_within(1320);  // 1000 + 301 = 1301 fits exactly, but rounded up it is 1024 + 320
    std::uint64_t b = 0;
    for (std::size_t u = 0; u < 2; ++u) b += units[u][pick[u]].bytes;
    CHECK(b <= 1320);
    CHECK_FALSE(f.cost_within(500));  // 300 + 301 rounds up to 320 + 320 > 500 / 32 steps
    CHECK_THROWS_WITH(f.choose_within(100), Catch::Contains("no allocation fits"));
}
