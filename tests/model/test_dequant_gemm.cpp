// Tests include/mixq/model/dequant_gemm.hpp and linear.hpp against a double-precision product, awkward shapes, every dtype.
#include <cmath>
#include <mixq/model/linear.hpp>
#include <mixq/quant/symmetric.hpp>
#include <mixq/calib/absmax.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
struct packed {
    std::vector<std::byte> bytes;
    mixq::stored_matrix m;
};
// W in the given dtype; `deq` receives the exact values the kernel must multiply by.
packed make_weight(mixq::dtype t, std::int64_t N, std::int64_t K, std::uint32_t seed, std::vector<double>& deq) {
    const auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), seed, 0.3f, 0.01);
    packed p;
    p.m = {"w", t, N, K, {}, {}};
    deq.resize(w.size());
    if (t == mixq::dtype::i8) {
        const auto q = mixq::symmetric<mixq::int8, mixq::per_channel, mixq::absmax>{}.quantize(w, N);
        p.bytes.resize(q.codes.size());
        std::memcpy(p.bytes.data(), q.codes.data(), q.codes.size());
        p.m.scales = q.scales;
        for (std::size_t i = 0; i < w.size(); ++i) deq[i] = static_cast<double>(q.codes[i]) * q.scales[i / static_cast<std::size_t>(K)];
    } else if (t == mixq::dtype::f16 || t == mixq::dtype::bf16) {
        p.bytes.resize(w.size() * 2);
        for (std::size_t i = 0; i < w.size(); ++i) {
            const auto b = t == mixq::dtype::f16 ? mixq::float_to_half_bits(w[i]) : mixq::float_to_bf16_bits(w[i]);
            std::memcpy(p.bytes.data() + 2 * i, &b, 2);
            deq[i] = t == mixq::dtype::f16 ? mixq::half_bits_to_float(b) : mixq::bf16_bits_to_float(b);
        }
    } else {  // f32 stored one byte off alignment: must take the kernel path, not BLAS
        p.bytes.resize(w.size() * 4 + 1);
        std::memcpy(p.bytes.data() + 1, w.data(), w.size() * 4);
        for (std::size_t i = 0; i < w.size(); ++i) deq[i] = w[i];
    }
    p.m.bytes = t == mixq::dtype::f32 ? std::span<const std::byte>(p.bytes).subspan(1) : std::span<const std::byte>(p.bytes);
    return p;
}
}  // namespace

TEST_CASE("dequantizing product matches a double-precision product for every dtype and awkward shapes", "[dequant_gemm]") {
    std::uint32_t seed = 70;
    for (auto t : {mixq::dtype::i8, mixq::dtype::f16, mixq::dtype::bf16, mixq::dtype::f32})
        for (auto [T, N, K] : {std::tuple{1, 1, 1}, {3, 7, 5}, {5, 33, 130}, {130, 257, 7}, {4, 1000, 129}}) {
            INFO("dtype " << mixq::to_string(t) << " T=" << T << " N=" << N << " K=" << K);
            std::vector<double> deq;
            const auto p = make_weight(t, N, K, ++seed, deq);
            REQUIRE(p.m.direct_f32() == nullptr);
            const auto x = mixq::test::random_weights(static_cast<std::size_t>(T * K), ++seed, 1.0f, 0.0);
            std::vector<float> y(static_cast<std::size_t>(T * N), NAN);
            mixq::linear(x.data(), T, p.m, y.data());
            for (std::int64_t i = 0; i < T; ++i)
                for (std::int64_t n = 0; n < N; ++n) {
                    double ref = 0, mag = 0;
                    for (std::int64_t k = 0; k < K; ++k) {
                        const double v = x[static_cast<std::size_t>(i * K + k)] * deq[static_cast<std::size_t>(n * K + k)];
                        ref += v;
                        mag += std::fabs(v);
                    }
                    // fp32 accumulation: error within a few K·eps of the sum of magnitudes
                    REQUIRE(std::fabs(y[static_cast<std::size_t>(i * N + n)] - ref) <= 4e-7 * static_cast<double>(K + 8) * mag + 1e-30);
                }
        }
}

TEST_CASE("aligned fp32 goes to BLAS and adds the bias", "[linear]") {
    const std::int64_t T = 3, N = 5, K = 9;
    const auto w = mixq::test::random_weights(N * K, 1, 0.5f, 0.0), x = mixq::test::random_weights(T * K, 2, 1.0f, 0.0);
    const auto b = mixq::test::random_weights(N, 3, 1.0f, 0.0);
    const mixq::stored_matrix m{"w", mixq::dtype::f32, N, K, std::as_bytes(std::span(w)), {}};
    REQUIRE(m.direct_f32() != nullptr);
    std::vector<float> y(T * N);
    mixq::linear(x.data(), T, m, y.data(), b.data());
    for (std::int64_t i = 0; i < T; ++i)
        for (std::int64_t n = 0; n < N; ++n) {
            double ref = b[static_cast<std::size_t>(n)];
            for (std::int64_t k = 0; k < K; ++k) ref += static_cast<double>(x[static_cast<std::size_t>(i * K + k)]) * w[static_cast<std::size_t>(n * K + k)];
            CHECK(y[static_cast<std::size_t>(i * N + n)] == Approx(ref).epsilon(1e-5).margin(1e-6));
        }
}
