// Tests include/mixq/model/layers/attention.hpp: causal grouped-query attention against the README's forward in double.
#include <mixq/model/layers/attention.hpp>

#include "support/catch.hpp"
#include "support/naive_mamba2.hpp"

TEST_CASE("attention layer: logits match the double-precision forward for every key/value grouping", "[attention][forward]") {
    // one key/value head for all queries, two groups, one per query head; an odd head_dim
    for (const auto& [heads, kv, hd] : {std::tuple{4, 1, 3}, std::tuple{4, 2, 5}, std::tuple{3, 3, 4}}) {
        INFO("heads " << heads << " kv " << kv << " head_dim " << hd);
        mixq::test::mamba2_shape s;
        s.hybrid = true, s.pattern = "*M*", s.attn_heads = heads, s.kv_heads = kv, s.attn_head_dim = hd, s.tied = false;
        const auto r = mixq::test::make_random_mamba2(s, static_cast<std::uint32_t>(heads * 7 + kv));
        mixq::test::temp_dir dir;
        const auto cfg = mixq::test::read_config(r, dir);
        CHECK(cfg.kind(0) == mixq::layer_kind::attention);
        double max_ref = 0;
        CHECK(mixq::test::logit_error(r, cfg, 2, 17, 4, &max_ref) < 1e-4);
        CHECK(max_ref > 1.0);
    }
}

TEST_CASE("attention layer: a token sees only the tokens before it, within its own window", "[attention][forward]") {
    mixq::test::mamba2_shape s;
    s.hybrid = true, s.pattern = "*";
    const auto r = mixq::test::make_random_mamba2(s, 21);
    mixq::test::temp_dir dir;
    const auto cfg = mixq::test::read_config(r, dir);
    const auto w = r.m.weights();
    const mixq::attention_layer layer(w, cfg, 0);
    const std::int64_t L = 6, d = cfg.d_model;
    std::mt19937 rng(2);
    std::normal_distribution<float> n(0.0f, 1.0f);
    std::vector<float> u(static_cast<std::size_t>(2 * L * d));
    for (auto& v : u) v = n(rng);
    std::vector<float> a(u.size()), b(u.size());
    layer.forward(u.data(), 2, L, a.data(), nullptr);
    for (std::int64_t k = 0; k < d; ++k) u[static_cast<std::size_t>((L - 1) * d + k)] += 1.0f;  // the first window's last token
    layer.forward(u.data(), 2, L, b.data(), nullptr);
    for (std::size_t i = 0; i < a.size(); ++i) {
        const bool changed_token = i / static_cast<std::size_t>(d) == static_cast<std::size_t>(L - 1);
        if (!changed_token) CHECK(a[i] == b[i]);  // earlier tokens and the second window are untouched
    }
}
