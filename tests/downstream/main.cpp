// Downstream consumer: a compile-time precision table, a quantized tensor, and a safetensors round trip.
#include <cmath>
#include <cstdio>
#include <mixq/mixq.hpp>

using enum mixq::precision;
constexpr auto table = mixq::precision_table{
    mixq::rule{"layers.*.weight", int8},
    mixq::rule{"*", fp16},
};
static_assert(table.decide("layers.0.weight") == int8);
static_assert(table.decide("norm.bias") == fp16);
static_assert(mixq::covers(table, std::array{"layers.3.weight", "norm.bias"}));

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: downstream DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    std::vector<float> w(6 * 10), b(10);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * static_cast<float>(i));
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = 0.1f * static_cast<float>(i);
    mixq::io::write_safetensors(dir + "/in.safetensors", {{"layers.0.weight", mixq::dtype::f32, {6, 10}, std::as_bytes(std::span(w))},
                                                           {"norm.bias", mixq::dtype::f32, {10}, std::as_bytes(std::span(b))}});
    const auto in = mixq::io::safetensors_file::open(dir + "/in.safetensors");
    const auto c = mixq::convert(in, mixq::rule_table::from("downstream", table.rules));
    mixq::write_outputs(dir + "/out", c);
    const auto out = mixq::io::safetensors_file::open(dir + "/out/model.safetensors");
    const auto q = mixq::to_float(out.at("layers.0.weight_scale"));
    const auto& codes = out.at("layers.0.weight");
    double worst = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        const float d = static_cast<float>(static_cast<std::int8_t>(codes.bytes[i])) * q[i / 10];
        worst = std::max(worst, std::fabs(static_cast<double>(d) - w[i]) / q[i / 10]);
    }
    const bool ok = codes.type == mixq::dtype::i8 && out.at("norm.bias").type == mixq::dtype::f16 && worst <= 0.5 + 1e-5;
    std::printf("downstream: %s (mixq %s, compression %.2fx, worst error %.3f scales)\n", ok ? "ok" : "FAILED", mixq::version,
                c.totals.ratio(), worst);
    return ok ? 0 : 1;
}
