// GPTQ: rounding with error compensation from the layer's input Hessian H = XᵀX (Frantar et al., 2022).
// Needs BLAS and LAPACK (OpenBLAS): part of mixq::model, handed to the converter as a rounding_fn.
#pragma once

#include <cblas.h>
#include <f77blas.h>  // OpenBLAS's LAPACK: dpotrf / dpotri

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "hessian.hpp"

namespace mixq {

// Adds the rows of x [T, H.k] to H (the upper triangle, with dsyrk).
inline void accumulate(hessian& H, std::span<const float> x, std::int64_t T) {
    if (static_cast<std::int64_t>(x.size()) != T * H.k) throw error(errc::internal, "hessian accumulate: input is not [T, k]");
    if (T == 0 || H.k == 0) return;
    std::vector<double> xd(x.begin(), x.end());
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(H.k), static_cast<int>(T), 1.0, xd.data(),
                static_cast<int>(H.k), 1.0, H.h.data(), static_cast<int>(H.k));
    H.samples += T;
}

struct gptq_options {
    double damp = 0.01;            // λ = damp · mean(diag H) added to the diagonal
    std::int64_t block = 128;      // columns per lazy-update block
    bool act_order = false;        // columns in order of decreasing H_ii (the scales stay those of their groups)
};

namespace detail {
// U with UᵀU = H⁻¹ (the upper Cholesky factor of the inverse, as GPTQ uses it), row-major. A symmetric
// matrix is the same array in row- and column-major order, and LAPACK's column-major lower triangle is
// the row-major upper one: dpotrf('L') leaves H = L Lᵀ there, dpotri('L') overwrites it with H⁻¹, and a
// second dpotrf('L') with H⁻¹ = L Lᵀ, which read row-major is U = Lᵀ. Only that triangle is ever read
// or written, so the other one is cleared at the end.
inline std::vector<double> inverse_cholesky_upper(std::vector<double> H, std::int64_t k, const std::string& what) {
    blasint n = static_cast<blasint>(k), info = 0;
    char lo = 'L';
    dpotrf_(&lo, &n, H.data(), &n, &info);
    if (info != 0) fail(what + ": the damped Hessian is not positive definite (LAPACK dpotrf info " + std::to_string(info) + ")");
    dpotri_(&lo, &n, H.data(), &n, &info);
    if (info != 0) fail(what + ": the damped Hessian cannot be inverted (LAPACK dpotri info " + std::to_string(info) + ")");
    dpotrf_(&lo, &n, H.data(), &n, &info);
    if (info != 0) fail(what + ": the inverse Hessian is not positive definite (LAPACK dpotrf info " + std::to_string(info) + ")");
    for (std::int64_t i = 0; i < k; ++i)
        for (std::int64_t j = 0; j < i; ++j) H[static_cast<std::size_t>(i * k + j)] = 0.0;
    return H;
}
}  // namespace detail

// Rounds W [rows, cols] column by column; after each column the still-unrounded columns absorb its
// rounding error weighted by the inverse Hessian, so the layer's output XWᵀ (not W itself) stays close.
// `roundtrip(value, row, col)` is the dequantized value of `value` at (row, col) with scales fixed in
// advance (static groups). Returns the rounded weights, each one exactly a value the codec can store.
// With H the identity no error is propagated and the result is round-to-nearest.
template <class Roundtrip>
[[nodiscard]] std::vector<float> gptq_round(std::span<const float> w, std::int64_t rows, std::int64_t cols, const hessian& H,
                                           Roundtrip roundtrip, const gptq_options& o = {}, const std::string& what = "gptq") {
    if (H.k != cols) fail(what + ": Hessian of " + std::to_string(H.k) + " inputs for " + std::to_string(cols) + " columns");
    const auto K = cols;
    std::vector<double> Hd(static_cast<std::size_t>(K * K));
    double mean_diag = 0.0;
    for (std::int64_t i = 0; i < K; ++i)
        for (std::int64_t j = 0; j < K; ++j) Hd[static_cast<std::size_t>(i * K + j)] = H.at(i, j);
    std::vector<std::int64_t> perm(static_cast<std::size_t>(K));
    std::iota(perm.begin(), perm.end(), 0);
    for (std::int64_t i = 0; i < K; ++i) {
        auto& d = Hd[static_cast<std::size_t>(i * K + i)];
        if (d == 0.0) d = 1.0;  // an input never seen: nothing to compensate with, its column rounds to nearest
        mean_diag += d;
    }
    mean_diag /= static_cast<double>(std::max<std::int64_t>(K, 1));
    for (std::int64_t i = 0; i < K; ++i) Hd[static_cast<std::size_t>(i * K + i)] += o.damp * mean_diag;
    if (o.act_order) {
        std::stable_sort(perm.begin(), perm.end(), [&](auto a, auto b) {
            return Hd[static_cast<std::size_t>(a * K + a)] > Hd[static_cast<std::size_t>(b * K + b)];
        });
        std::vector<double> P(Hd.size());
        for (std::int64_t i = 0; i < K; ++i)
            for (std::int64_t j = 0; j < K; ++j)
                P[static_cast<std::size_t>(i * K + j)] = Hd[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)] * K + perm[static_cast<std::size_t>(j)])];
        Hd = std::move(P);
    }
    const auto U = detail::inverse_cholesky_upper(std::move(Hd), K, what);

    // Work in the permuted column order: Wp[r][i] = w[r][perm[i]].
    std::vector<double> W(static_cast<std::size_t>(rows * K));
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t i = 0; i < K; ++i) W[static_cast<std::size_t>(r * K + i)] = w[static_cast<std::size_t>(r * K + perm[static_cast<std::size_t>(i)])];
    std::vector<float> Q(w.size());
    const auto B = std::max<std::int64_t>(1, o.block);
    std::vector<double> E(static_cast<std::size_t>(rows * B));
    for (std::int64_t i1 = 0; i1 < K; i1 += B) {
        const auto i2 = std::min(K, i1 + B), nb = i2 - i1;
        // Inside a block each row depends only on itself, so a row's whole block is done before the next
        // row's: its nb values stay in L1 (column by column, a 50k-row embedding streamed all of W's block
        // through memory for every column). The same operations in the same order: the same result.
        for (std::int64_t r = 0; r < rows; ++r) {
            double* wr = W.data() + r * K;
            double* er = E.data() + r * B;
            for (std::int64_t i = i1; i < i2; ++i) {
                const auto col = perm[static_cast<std::size_t>(i)];
                const float q = roundtrip(static_cast<float>(wr[i]), r, col);
                Q[static_cast<std::size_t>(r * K + col)] = q;
                const double err = (wr[i] - static_cast<double>(q)) / U[static_cast<std::size_t>(i * K + i)];
                er[i - i1] = err;
                const double* ui = U.data() + i * K;
                for (std::int64_t j = i + 1; j < i2; ++j) wr[j] -= err * ui[j];
            }
        }
        if (i2 < K)  // W[:, i2:] -= E[:, :nb] · U[i1:i2, i2:]
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(K - i2),
                        static_cast<int>(nb), -1.0, E.data(), static_cast<int>(B), U.data() + i1 * K + i2, static_cast<int>(K),
                        1.0, W.data() + i2, static_cast<int>(K));
    }
    return Q;
}

// For metadata and reports: "damp 0.01, block 128, act order off".
[[nodiscard]] inline std::string describe(const gptq_options& o) {
    std::string d = std::to_string(o.damp);
    d.erase(d.find_last_not_of('0') + 1);
    if (!d.empty() && d.back() == '.') d.pop_back();
    return "damp " + d + ", block " + std::to_string(o.block) + ", act order " + (o.act_order ? "on" : "off");
}

// The converter's hook: gptq_round with these options.
[[nodiscard]] inline rounding_fn gptq_rounder(gptq_options o = {}) {
    return [o](std::span<const float> w, std::int64_t rows, std::int64_t cols, const hessian& H, const roundtrip_fn& rt,
               const std::string& what) { return gptq_round(w, rows, cols, H, rt, o, what); };
}

}  // namespace mixq
