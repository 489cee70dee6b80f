// Tests include/mixq/model/layers/mamba2_mixer.hpp: Mamba-2 models of awkward sizes against the README's forward in double.
#include <mixq/model/layers/mamba2_mixer.hpp>

#include "support/catch.hpp"
#include "support/naive_mamba2.hpp"

TEST_CASE("Mamba-2 mixer: logits match the token-by-token double-precision forward", "[mamba2][forward]") {
    struct shape_case {
        std::int64_t heads, head_dim, groups, d_state, L;
    };
    // one head; an odd head_dim; three groups; a sequence longer than one scan chunk (64), so the
    // chunks' states carry over; several sequences in one pass, each starting from a zero state.
    for (const auto& k : {shape_case{1, 5, 1, 4, 9}, shape_case{6, 3, 3, 5, 19}, shape_case{4, 4, 2, 3, 70}}) {
        mixq::test::mamba2_shape s;
        s.heads = k.heads, s.head_dim = k.head_dim, s.groups = k.groups, s.d_state = k.d_state, s.pattern = "MM";
        INFO("heads " << k.heads << " head_dim " << k.head_dim << " groups " << k.groups << " L " << k.L);
        const auto r = mixq::test::make_random_mamba2(s, static_cast<std::uint32_t>(k.heads * 10 + k.L));
        mixq::test::temp_dir dir;
        const auto cfg = mixq::test::read_config(r, dir);
        CHECK(cfg.layout == mixq::layout_kind::hf_mamba2);
        CHECK(cfg.ssd.groups == k.groups);
        double max_ref = 0;
        CHECK(mixq::test::logit_error(r, cfg, 3, k.L, 7, &max_ref) < 1e-4);
        CHECK(max_ref > 1.0);
    }
}

TEST_CASE("Mamba-2 mixer: the scan's chunk length does not change the output", "[mamba2][forward]") {
    mixq::test::mamba2_shape s;
    s.heads = 4, s.head_dim = 6, s.groups = 2, s.pattern = "M";
    const auto r = mixq::test::make_random_mamba2(s, 5);
    mixq::test::temp_dir dir;
    const auto cfg = mixq::test::read_config(r, dir);
    const auto w = r.m.weights();
    const mixq::mamba2_mixer mixer(w, cfg, 0);
    const std::int64_t L = 23, n_seq = 2;
    std::mt19937 rng(3);
    std::normal_distribution<float> n(0.0f, 1.0f);
    std::vector<float> u(static_cast<std::size_t>(n_seq * L * cfg.d_model));
    for (auto& v : u) v = n(rng);
    std::vector<float> whole(u.size()), small(u.size()), one(u.size());
    mixer.forward(u.data(), n_seq, L, whole.data(), nullptr, 64);
    mixer.forward(u.data(), n_seq, L, small.data(), nullptr, 5);
    mixer.forward(u.data(), n_seq, L, one.data(), nullptr, 1);
    double max_ref = 0, err = 0;
    for (std::size_t i = 0; i < u.size(); ++i) {
        max_ref = std::max(max_ref, static_cast<double>(std::fabs(whole[i])));
        err = std::max({err, static_cast<double>(std::fabs(whole[i] - small[i])), static_cast<double>(std::fabs(whole[i] - one[i]))});
    }
    INFO("max |out| " << max_ref << ", max difference " << err);
    CHECK(max_ref > 0.1);
    CHECK(err / max_ref < 1e-5);
}

TEST_CASE("Mamba-2 mixer: its products are in_proj then out_proj, seen with their inputs", "[mamba2][forward]") {
    mixq::test::mamba2_shape s;
    s.pattern = "M";
    const auto r = mixq::test::make_random_mamba2(s, 9);
    mixq::test::temp_dir dir;
    const auto cfg = mixq::test::read_config(r, dir);
    const auto w = r.m.weights();
    const mixq::mamba2_mixer mixer(w, cfg, 0);
    std::vector<std::pair<std::string, std::size_t>> seen;
    const mixq::input_observer obs = [&](const std::string& name, std::span<const float> x) { seen.emplace_back(name, x.size()); };
    std::vector<float> u(static_cast<std::size_t>(5 * cfg.d_model), 0.5f), out(u.size());
    mixer.forward(u.data(), 1, 5, out.data(), &obs);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] == std::pair<std::string, std::size_t>{"backbone.layers.0.mixer.in_proj.weight", 5 * 12});
    CHECK(seen[1] == std::pair<std::string, std::size_t>{"backbone.layers.0.mixer.out_proj.weight", 5 * 15});
}
