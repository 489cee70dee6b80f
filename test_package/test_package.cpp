// Conan test_package: a compile-time table and an int8 quantization through the packaged headers.
#include <cstdio>
#include <mixq/mixq.hpp>

using enum mixq::precision;
constexpr auto table = mixq::precision_table{mixq::rule{"*.weight", int8}, mixq::rule{"*", fp16}};
static_assert(table.decide("lm_head.weight") == int8);

int main() {
    const std::vector<float> w{0.5f, -1.0f, 0.25f, 2.0f, -0.75f, 1.5f};
    const auto q = mixq::symmetric<mixq::int8, mixq::per_channel, mixq::absmax>{}.quantize(w, 2);
    const bool ok = q.codes[1] == -127 && q.codes[3] == 127 && q.scales.size() == 2;
    std::printf("mixq %s test_package: %s\n", mixq::version, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
