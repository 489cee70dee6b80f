// Tests include/mixq/core/tensor_view.hpp: rows/cols view and conversion of every float dtype to fp32.
#include <cstring>
#include <mixq/core/tensor_view.hpp>
#include <vector>

#include "support/catch.hpp"

TEST_CASE("a tensor is seen as shape0 rows by the rest", "[tensor_view]") {
    mixq::tensor_view t{"w", mixq::dtype::f32, {256, 1, 4}, {}};
    CHECK(t.numel() == 1024);
    CHECK(t.rows() == 256);
    CHECK(t.cols() == 4);
    mixq::tensor_view v{"b", mixq::dtype::f32, {7}, {}};
    CHECK(v.rows() == 1);
    CHECK(v.cols() == 7);
    CHECK(mixq::shape_string({3, 5}) == "[3, 5]");
}

TEST_CASE("to_float reads f16 bf16 f64 and unaligned f32", "[tensor_view]") {
    const std::vector<float> ref{1.5f, -2.25f, 0.0f, 65504.0f, -3.0e-5f};
    std::vector<std::uint16_t> h, b;
    std::vector<double> d;
    for (float f : ref) {
        h.push_back(mixq::float_to_half_bits(f));
        b.push_back(mixq::float_to_bf16_bits(f));
        d.push_back(f);
    }
    auto view = [](mixq::dtype t, const auto& v) {
        return mixq::tensor_view{"x", t, {static_cast<std::int64_t>(v.size())}, std::as_bytes(std::span(v))};
    };
    const auto fh = mixq::to_float(view(mixq::dtype::f16, h));
    const auto fb = mixq::to_float(view(mixq::dtype::bf16, b));
    const auto fd = mixq::to_float(view(mixq::dtype::f64, d));
    for (std::size_t i = 0; i < ref.size(); ++i) {
        CHECK(fh[i] == mixq::round_to_half(ref[i]));
        CHECK(fb[i] == mixq::round_to_bf16(ref[i]));
        CHECK(fd[i] == ref[i]);
    }
    std::vector<std::byte> unaligned(1 + ref.size() * 4);
    std::memcpy(unaligned.data() + 1, ref.data(), ref.size() * 4);
    const mixq::tensor_view u{"u", mixq::dtype::f32, {5}, std::span<const std::byte>(unaligned).subspan(1)};
    CHECK(mixq::to_float(u) == ref);
}

TEST_CASE("to_float refuses integer tensors and names them", "[tensor_view]") {
    const std::vector<std::int64_t> ids{1, 2, 3};
    const mixq::tensor_view t{"position_ids", mixq::dtype::i64, {3}, std::as_bytes(std::span(ids))};
    try {
        (void)mixq::to_float(t);
        FAIL("expected an error");
    } catch (const mixq::error& e) {
        CHECK(e.code() == mixq::errc::bad_input);
        CHECK(std::string(e.what()).find("position_ids") != std::string::npos);
    }
}
