// Tests include/mixq/model/ssd_scan.hpp: the chunked (SSD) form against the token-by-token recurrence and a double-precision one.
#include <cmath>
#include <mixq/model/ssd_scan.hpp>
#include <random>
#include <vector>

#include "support/catch.hpp"

namespace {
struct sizes {
    std::int64_t L, heads, head_dim, groups, d_state, chunk;
};

// y of the recurrence in double, from the same strided operands.
std::vector<double> recurrence_double(const mixq::ssd_args& a) {
    const auto P = a.head_dim, N = a.d_state;
    std::vector<double> y(static_cast<std::size_t>(a.L * a.heads * P));
    for (std::int64_t h = 0; h < a.heads; ++h) {
        const auto g = h / (a.heads / a.groups);
        std::vector<double> S(static_cast<std::size_t>(P * N), 0.0);
        for (std::int64_t t = 0; t < a.L; ++t) {
            const double dt = a.dt[t * a.lddt + h];
            for (std::int64_t p = 0; p < P; ++p) {
                double acc = 0;
                const double x = a.x[t * a.ldx + h * P + p];
                for (std::int64_t n = 0; n < N; ++n) {
                    auto& s = S[static_cast<std::size_t>(p * N + n)];
                    s = std::exp(dt * a.A[h]) * s + dt * x * a.B[t * a.ldbc + g * N + n];
                    acc += s * a.C[t * a.ldbc + g * N + n];
                }
                y[static_cast<std::size_t>((t * a.heads + h) * P + p)] = acc + a.D[h] * x;
            }
        }
    }
    return y;
}
}  // namespace

TEST_CASE("the chunked SSD scan equals the recurrence for awkward sizes and strides", "[ssd_scan]") {
    // one head; odd head_dim; groups > 1; a chunk longer than the sequence, one that does not divide it,
    // one token; one chunk exactly the sequence.
    for (const auto& s : {sizes{7, 1, 5, 1, 3, 64}, sizes{37, 4, 3, 2, 5, 8}, sizes{33, 6, 7, 3, 4, 11}, sizes{1, 2, 2, 1, 2, 4},
                          sizes{64, 2, 8, 2, 16, 64}, sizes{50, 3, 4, 1, 6, 1}}) {
        INFO("L " << s.L << " heads " << s.heads << " head_dim " << s.head_dim << " groups " << s.groups << " state " << s.d_state
                  << " chunk " << s.chunk);
        std::mt19937 rng(static_cast<std::uint32_t>(s.L * 131 + s.heads));
        std::normal_distribution<float> n(0.0f, 1.0f);
        std::uniform_real_distribution<float> u(0.001f, 0.6f);
        const auto di = s.heads * s.head_dim, GN = s.groups * s.d_state;
        const auto ld = di + 2 * GN + 3;  // x | B | C | 3 unused columns, as the conv's output holds them
        std::vector<float> xbc(static_cast<std::size_t>(s.L * ld)), dt(static_cast<std::size_t>(s.L * (s.heads + 1))),
            A(static_cast<std::size_t>(s.heads)), D(A.size());
        for (auto& v : xbc) v = n(rng);
        for (auto& v : dt) v = u(rng);
        for (auto& v : A) v = -std::exp(0.5f * n(rng));
        for (auto& v : D) v = n(rng);
        const auto ldy = di + 2;
        std::vector<float> y_rec(static_cast<std::size_t>(s.L * ldy), -7.0f), y_chunk = y_rec;
        mixq::ssd_args a;
        a.L = s.L, a.heads = s.heads, a.head_dim = s.head_dim, a.groups = s.groups, a.d_state = s.d_state;
        a.x = xbc.data(), a.ldx = ld, a.B = xbc.data() + di, a.C = xbc.data() + di + GN, a.ldbc = ld;
        a.dt = dt.data(), a.lddt = s.heads + 1, a.A = A.data(), a.D = D.data(), a.ldy = ldy;
        a.y = y_rec.data();
        mixq::ssd_scan_recurrent(a);
        a.y = y_chunk.data();
        mixq::ssd_scan_chunked(a, s.chunk);
        const auto ref = recurrence_double(a);
        double max_ref = 0, err_rec = 0, err_chunk = 0;
        for (std::int64_t t = 0; t < s.L; ++t)
            for (std::int64_t c = 0; c < di; ++c) {
                const double r = ref[static_cast<std::size_t>(t * di + c)];
                max_ref = std::max(max_ref, std::fabs(r));
                err_rec = std::max(err_rec, std::fabs(r - y_rec[static_cast<std::size_t>(t * ldy + c)]));
                err_chunk = std::max(err_chunk, std::fabs(r - y_chunk[static_cast<std::size_t>(t * ldy + c)]));
            }
        INFO("max |y| " << max_ref << ", recurrence error " << err_rec << ", chunked error " << err_chunk);
        CHECK(max_ref > 0.5);
        CHECK(err_rec / max_ref < 1e-5);
        CHECK(err_chunk / max_ref < 1e-5);
        for (std::int64_t t = 0; t < s.L; ++t)  // the padding columns of y are not written
            for (std::int64_t c = di; c < ldy; ++c) CHECK(y_chunk[static_cast<std::size_t>(t * ldy + c)] == -7.0f);
    }
}
