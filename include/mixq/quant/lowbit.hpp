// Quantizers below int8, composed from a format, a granularity and a calibrator: int4 and nf4 per group,
// fp8 e4m3 per row. Each computes its scales first, then encodes with them (GPTQ reuses the second step).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../calib/absmax.hpp"
#include "../calib/calibrator.hpp"
#include "../core/error.hpp"
#include "../format/codec.hpp"
#include "../format/formats.hpp"
#include "../format/packed4.hpp"

namespace mixq {

// per_group<G>: one scale per G consecutive values of a row (the last group of a row may be short).
template <int G>
struct per_group {
    static_assert(G > 0 && G % 2 == 0, "mixq::per_group: the group size must be a positive even number");
    static constexpr int size = G;
    static std::string name() { return "group" + std::to_string(G); }
};

// Format tags below int8, each naming its codec.
struct int4 {
    using codec = int4_codec;
    static constexpr codebook4 book = codebook4::int4;
};
struct nf4 {
    using codec = nf4_codec;
    static constexpr codebook4 book = codebook4::nf4;
};
struct fp8_e4m3 {
    using codec = fp8_e4m3_codec;
};

// fp8 e4m3 codes [rows, cols] (the F8_E4M3 bytes) with one scale per row: value = decode(code) · scale.
struct fp8_matrix {
    std::int64_t rows = 0, cols = 0;
    std::vector<std::uint8_t> codes;
    std::vector<float> scales;
    [[nodiscard]] float dequantize(std::int64_t r, std::int64_t c) const noexcept {
        return fp8_e4m3_table[codes[static_cast<std::size_t>(r * cols + c)]] * scales[static_cast<std::size_t>(r)];
    }
};

namespace detail {
inline std::int64_t checked_cols(std::size_t n, std::int64_t rows, const char* who) {
    if (rows < 0 || (rows == 0 && n != 0) || (rows > 0 && n % static_cast<std::size_t>(rows) != 0))
        throw error(errc::internal, std::string(who) + ": " + std::to_string(n) + " values do not split into " +
                                        std::to_string(rows) + " rows");
    return rows > 0 ? static_cast<std::int64_t>(n) / rows : 0;
}
}  // namespace detail

// 4-bit codes (int4: symmetric, clip -> 7; nf4: clip -> level 1.0) per group of G along each row.
template <class Format, class Granularity, calibrator Calibrator>
struct groupwise {
    static_assert(std::is_same_v<Format, int4> || std::is_same_v<Format, nf4>,
                  "mixq::groupwise: Format must be mixq::int4 or mixq::nf4");
    using codec = typename Format::codec;
    static constexpr int group = Granularity::size;
    static constexpr precision target =
        std::is_same_v<Format, nf4> ? precision::nf4 : *int4_with_group(Granularity::size);
    static_assert(!std::is_same_v<Format, nf4> || group == 64, "mixq::groupwise: nf4 uses blocks of 64 (bitsandbytes)");
    Calibrator calibrate{};

    // [rows, groups] scales from the calibrator's clip of each group.
    [[nodiscard]] std::vector<float> scales(std::span<const float> w, std::int64_t rows) const {
        const auto cols = detail::checked_cols(w.size(), rows, "groupwise::scales");
        const auto groups = (cols + group - 1) / group;
        std::vector<float> s(static_cast<std::size_t>(rows * groups));
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t g = 0; g < groups; ++g) {
                const auto c0 = g * group, n = std::min<std::int64_t>(group, cols - c0);
                s[static_cast<std::size_t>(r * groups + g)] =
                    codec::scale(calibrate(w.subspan(static_cast<std::size_t>(r * cols + c0), static_cast<std::size_t>(n))));
            }
        return s;
    }
    // Encodes w with given scales (from scales(), or kept fixed by GPTQ).
    [[nodiscard]] static packed4_matrix encode(std::span<const float> w, std::int64_t rows, std::vector<float> s) {
        packed4_matrix m{rows, detail::checked_cols(w.size(), rows, "groupwise::encode"), group, {}, std::move(s), Format::book};
        if (static_cast<std::int64_t>(m.scales.size()) != rows * m.groups())
            throw error(errc::internal, "groupwise::encode: wrong number of scales");
        m.packed.assign(static_cast<std::size_t>(rows * m.row_bytes()), 0);
        for (std::int64_t r = 0; r < rows; ++r) {
            std::uint8_t* row = m.packed.data() + r * m.row_bytes();
            for (std::int64_t c = 0; c < m.cols; ++c) {
                const float x = w[static_cast<std::size_t>(r * m.cols + c)], sc = m.scales[static_cast<std::size_t>(r * m.groups() + c / group)];
                if constexpr (std::is_same_v<Format, nf4>) set_nibble(row, c, nf4_code(x, sc));
                else set_nibble(row, c, int4_to_nibble(int4_code(x, sc)));
            }
        }
        return m;
    }
    [[nodiscard]] packed4_matrix quantize(std::span<const float> w, std::int64_t rows) const {
        return encode(w, rows, scales(w, rows));
    }
    [[nodiscard]] std::string scheme() const {
        return std::string(std::is_same_v<Format, nf4> ? "nf4:" : "int4:symmetric:") + Granularity::name() + ":" +
               calibrate.describe();
    }
};

// fp8 e4m3fn per row: scale = clip / 448, codes round to nearest even and saturate at ±448.
template <calibrator Calibrator>
struct float8_per_channel {
    using codec = fp8_e4m3_codec;
    static constexpr precision target = precision::fp8_e4m3;
    static constexpr int group = 0;  // one scale per row
    Calibrator calibrate{};

    [[nodiscard]] std::vector<float> scales(std::span<const float> w, std::int64_t rows) const {
        const auto cols = detail::checked_cols(w.size(), rows, "float8_per_channel::scales");
        std::vector<float> s(static_cast<std::size_t>(rows));
        for (std::int64_t r = 0; r < rows; ++r)
            s[static_cast<std::size_t>(r)] = codec::scale(calibrate(w.subspan(static_cast<std::size_t>(r * cols), static_cast<std::size_t>(cols))));
        return s;
    }
    [[nodiscard]] static fp8_matrix encode(std::span<const float> w, std::int64_t rows, std::vector<float> s) {
        fp8_matrix m{rows, detail::checked_cols(w.size(), rows, "float8_per_channel::encode"), {}, std::move(s)};
        if (static_cast<std::int64_t>(m.scales.size()) != rows) throw error(errc::internal, "float8_per_channel::encode: wrong number of scales");
        m.codes.resize(w.size());
        for (std::int64_t r = 0; r < rows; ++r)
            for (std::int64_t c = 0; c < m.cols; ++c) {
                const auto i = static_cast<std::size_t>(r * m.cols + c);
                m.codes[i] = fp8_e4m3_encode(w[i] / m.scales[static_cast<std::size_t>(r)]);
            }
        return m;
    }
    [[nodiscard]] fp8_matrix quantize(std::span<const float> w, std::int64_t rows) const { return encode(w, rows, scales(w, rows)); }
    [[nodiscard]] std::string scheme() const { return "fp8_e4m3:per_channel:" + calibrate.describe(); }
};

// The precisions below int8 (mixq-stored codes with scales, int8 aside): what lowbit_policy covers.
[[nodiscard]] constexpr bool is_lowbit(precision p) noexcept { return is_quantized(p) && p != precision::int8; }

namespace detail {
template <precision P, class C>
struct lowbit_policy_of {
    static_assert(is_lowbit(P), "mixq::lowbit_policy: the precision must be below int8 (int4_gG, nf4, fp8_e4m3)");
    using type = float8_per_channel<C>;  // the one per-row format below int8
};
template <precision P, class C>
    requires(is_lowbit(P) && traits(P).scales == scale_layout::per_group)
struct lowbit_policy_of<P, C> {
    using format = std::conditional_t<traits(P).family == nf4_format.family, nf4, int4>;
    using type = groupwise<format, per_group<traits(P).group>, C>;
};
}  // namespace detail

// The policy of a precision below int8 with calibrator C, from its traits: groupwise over its group for the
// 4-bit formats, per row for fp8.
template <precision P, calibrator C>
using lowbit_policy = typename detail::lowbit_policy_of<P, C>::type;

namespace detail {
// The entry of `with_lowbit`'s table for P: a call of f with P, or null where P is not below int8.
template <precision P, class R, class F>
constexpr auto lowbit_entry() -> R (*)(F&) {
    if constexpr (is_lowbit(P)) return [](F& f) -> R { return f(std::integral_constant<precision, P>{}); };
    else return nullptr;
}
}  // namespace detail

// Calls f(std::integral_constant<precision, P>{}) with the precision p below int8 as a compile-time value,
// so the caller can name lowbit_policy<P, ...>: the one place a run-time precision becomes a policy type,
// one table entry per line of `formats`.
template <class F>
decltype(auto) with_lowbit(precision p, F&& f) {
    using R = decltype(f(std::integral_constant<precision, precision::int4_g64>{}));
    static constexpr auto table = []<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<R (*)(F&), sizeof...(I)>{detail::lowbit_entry<formats[I].id, R, F>()...};
    }(std::make_index_sequence<formats.size()>{});
    const auto at = static_cast<std::size_t>(p);
    if (at >= table.size() || !table[at]) throw error(errc::internal, "with_lowbit: " + std::string(to_string(p)) + " is not below int8");
    return table[at](f);
}

// The int4 kernels' helper: symmetric int4 with absmax scales per group of 32, 64 or 128.
[[nodiscard]] inline packed4_matrix quantize_int4(std::span<const float> w, std::int64_t rows, std::int64_t cols, std::int64_t group) {
    if (rows < 0 || cols < 0 || static_cast<std::int64_t>(w.size()) != rows * cols)
        throw error(errc::internal, "quantize_int4: shape does not match the data");
    const auto p = int4_with_group(group);
    if (!p) fail("int4 group size " + std::to_string(group) + ": expected 32, 64 or 128");
    auto m = with_lowbit(*p, [&]<precision P>(std::integral_constant<precision, P>) -> packed4_matrix {
        if constexpr (is_packed4(P)) return lowbit_policy<P, absmax>{}.quantize(w, rows);
        else return {};  // not reached: p is an int4 precision
    });
    m.cols = cols;  // rows == 0 cannot tell the columns
    return m;
}

}  // namespace mixq
