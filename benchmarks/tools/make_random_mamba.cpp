// Writes a random Hugging Face MambaForCausalLM checkpoint of real size (default: Mamba-130M's shapes) for
// trying the tools at scale: `make_random_mamba OUT.safetensors [d_model layers vocab [tied]]`.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "random_checkpoint.hpp"

int main(int argc, char** argv) {
    if (argc != 2 && argc != 5 && argc != 6) {
        std::fprintf(stderr, "usage: make_random_mamba OUT.safetensors [d_model layers vocab [tied 0|1]]\n");
        return 2;
    }
    const std::int64_t d = argc > 2 ? std::atoll(argv[2]) : 768, L = argc > 2 ? std::atoll(argv[3]) : 24,
                       V = argc > 2 ? std::atoll(argv[4]) : 50280;
    const bool tied = argc > 5 ? std::atoi(argv[5]) != 0 : true;  // Mamba-130M ties its head and stores no lm_head
    const std::int64_t di = 2 * d, N = 16, R = (d + 15) / 16, C = 4;
    mixq::bench::random_checkpoint ck(130);
    // Values in the ranges of a trained Mamba: N(0, 0.02) weights, unit norms, A_log = log(1..N), D = 1.
    const auto add = [&](const std::string& name, mixq::shape_t shape, auto fill) { ck.add(name, std::move(shape), fill); };
    const auto randn = [&](float sd) { return ck.randn(sd); };
    const auto constant = mixq::bench::random_checkpoint::constant;
    add("backbone.embeddings.weight", {V, d}, randn(0.02f));
    for (std::int64_t l = 0; l < L; ++l) {
        const auto p = "backbone.layers." + std::to_string(l) + ".";
        add(p + "norm.weight", {d}, constant(1.0f));
        add(p + "mixer.in_proj.weight", {2 * di, d}, randn(0.02f));
        add(p + "mixer.conv1d.weight", {di, 1, C}, randn(0.2f));
        add(p + "mixer.conv1d.bias", {di}, randn(0.02f));
        add(p + "mixer.x_proj.weight", {R + 2 * N, di}, randn(0.02f));
        add(p + "mixer.dt_proj.weight", {di, R}, randn(0.1f));
        add(p + "mixer.dt_proj.bias", {di}, constant(std::log(std::expm1(0.01f))));
        add(p + "mixer.A_log", {di, N}, [N](std::size_t i) { return std::log(static_cast<float>(i % static_cast<std::size_t>(N) + 1)); });
        add(p + "mixer.D", {di}, constant(1.0f));
        add(p + "mixer.out_proj.weight", {d, di}, randn(0.02f / std::sqrt(2.0f * static_cast<float>(L))));
    }
    add("backbone.norm_f.weight", {d}, constant(1.0f));
    if (!tied) add("lm_head.weight", {V, d}, randn(0.02f));
    ck.write(argv[1]);
    std::printf("%s: %zu tensors, %lld parameters (d_model %lld, %lld layers, vocab %lld, %s head)\n", argv[1], ck.tensors(),
                static_cast<long long>(ck.parameters()), static_cast<long long>(d), static_cast<long long>(L), static_cast<long long>(V),
                tied ? "tied" : "separate");
    return 0;
}
