// Tests include/mixq/convert/layerwise_gptq.hpp (and the forward's pieces it walks with: embed, run_layer,
// head_input, products): the same bytes as a conversion with every Hessian collected up front.
#include <mixq/quality.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/naive_ssm.hpp"

namespace {
// Every tensor's stored bytes, scales, scheme and flags agree.
void require_same(const mixq::conversion& a, const mixq::conversion& b) {
    REQUIRE(a.tensors.size() == b.tensors.size());
    for (std::size_t i = 0; i < a.tensors.size(); ++i) {
        const auto &x = a.tensors[i], &y = b.tensors[i];
        INFO(x.source->name);
        REQUIRE(x.source == y.source);
        CHECK(x.target == y.target);
        CHECK(x.stored == y.stored);
        CHECK(x.scheme == y.scheme);
        CHECK(x.alias_of == y.alias_of);
        CHECK(x.gptq == y.gptq);
        CHECK(x.scales == y.scales);
        CHECK(mixq::same_bytes(x.bytes(), y.bytes()));
    }
    CHECK(a.totals.mixed_bytes == b.totals.mixed_bytes);
    CHECK(a.totals.gptq_tensors == b.totals.gptq_tensors);
}
mixq::convert_options gptq_options() {
    mixq::convert_options o;
    o.gptq_int8 = o.gptq_lowbit = true;
    o.lowbit = mixq::lowbit_calibration::mse;
    o.round = mixq::gptq_rounder();
    return o;
}
// convert() with every Hessian the table needs collected first: what convert_layerwise replaces. The
// same batches of windows: a batch's activations may differ in the last bits from another batching's
// (the forward's products block their rows differently), so only equal batches promise equal bytes.
mixq::conversion all_at_once(const mixq::io::safetensors_file& f, const mixq::rule_table& t, mixq::convert_options o,
                             const mixq::ssm_lm& m, std::span<const std::int64_t> tokens, std::int64_t window,
                             std::int64_t batch = 16) {
    const auto hs = mixq::collect_hessians(m, tokens, window, mixq::gptq_layers(t, f, o), batch);
    o.hessians = &hs;
    return mixq::convert(f, t, o);
}
}  // namespace

TEST_CASE("the forward in pieces: embed, run_layer, head_input give forward's head input, products what it observes", "[forward]") {
    for (const auto layout : {mixq::layout_kind::itera_lite, mixq::layout_kind::hf_mamba}) {
        const auto m = mixq::test::make_random_model(layout, 5);
        const auto w = m.weights();
        const mixq::ssm_lm model(w, m.cfg);
        const std::int64_t n_seq = 3, L = 11;
        std::vector<std::int64_t> tokens(static_cast<std::size_t>(n_seq * L));
        for (std::size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<std::int64_t>((i * 17 + 3) % static_cast<std::size_t>(m.cfg.vocab));
        std::vector<std::string> seen;
        std::vector<float> head_in;
        const mixq::input_observer obs = [&](const std::string& name, std::span<const float> x) {
            seen.push_back(name);
            if (name == "lm_head.weight") head_in.assign(x.begin(), x.end());
        };
        std::vector<float> logits(static_cast<std::size_t>(n_seq * L * m.cfg.vocab));
        model.forward(tokens.data(), n_seq, L, logits.data(), &obs);

        auto x = model.embed(tokens.data(), n_seq, L);
        std::vector<std::string> pieces;
        const mixq::input_observer names = [&](const std::string& name, std::span<const float>) { pieces.push_back(name); };
        for (std::int64_t l = 0; l < m.cfg.n_layers; ++l) model.run_layer(l, x, n_seq, L, &names);
        CHECK(model.head_input(x) == head_in);  // bit for bit
        pieces.push_back("lm_head.weight");
        CHECK(pieces == seen);
        std::vector<std::string> listed;
        for (const auto& [l, name] : model.products()) {
            listed.push_back(name);
            if (name != "lm_head.weight") CHECK(name.find("layers." + std::to_string(l) + ".") != std::string::npos);
            else CHECK(l == m.cfg.n_layers);
        }
        CHECK(listed == seen);
        CHECK_THROWS_AS(model.run_layer(m.cfg.n_layers, x, n_seq, L), mixq::error);
        CHECK_THROWS_AS(model.run_layer(0, x, n_seq, L + 1), mixq::error);
    }
}

TEST_CASE("convert_layerwise: the same bytes as convert with every Hessian collected first, for several tables at once", "[hessians][gptq]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(f);
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    auto tokens = mixq::io::read_npy_tokens(mixq::test::fixture("calib_tokens.npy"));
    tokens.resize(5 * 128 + 31);  // 5 windows: batches of 2, 2 and 1 below, and a partial window left out
    std::vector<mixq::rule_table> tables{mixq::load_table_json(mixq::test::fixture("tables/itera_int4_g64_linear.json")),
                                         mixq::load_table_json(mixq::test::fixture("tables/itera_int8_linear.json"))};
    mixq::rule_table mixed("mixed");  // one layer's tensors only, and the tied embedding: the head's Hessian
    mixed.add("layers.1.*", mixq::precision::nf4);
    mixed.add("embedding.weight", mixq::precision::int4_g32);
    mixed.add("*", mixq::precision::fp16);
    tables.push_back(mixed);
    const auto o = gptq_options();
    std::vector<std::pair<std::size_t, std::size_t>> calls;
    const auto cs = mixq::convert_layerwise(f, tables, o, {&model, tokens, 0, 2}, 2,
                                            [&](std::size_t done, std::size_t total) { calls.emplace_back(done, total); });
    REQUIRE(cs.size() == 3);
    for (std::size_t k = 0; k < tables.size(); ++k) {
        const auto want = all_at_once(f, tables[k], o, model, tokens, 0, 2);
        CHECK(want.totals.gptq_tensors > 0);
        require_same(cs[k], want);
        CHECK(cs[k].options.hessians == nullptr);
    }
    const auto n = static_cast<std::size_t>(model.config().n_layers);
    REQUIRE(calls.size() == n + 1);  // each layer, then the head
    for (std::size_t i = 0; i < calls.size(); ++i) CHECK(calls[i] == std::pair{i + 1, n + 1});

    // A checkpoint whose tied head is absent from the file (the Hugging Face layout): the embedding is
    // rounded with the head's Hessian, after the last layer.
    const auto m = mixq::test::make_random_model(mixq::layout_kind::hf_mamba, 21);
    mixq::test::temp_dir dir;
    m.write(dir.file("hf.safetensors"));
    const auto g = mixq::io::safetensors_file::open(dir.file("hf.safetensors"));
    const mixq::checkpoint_weights gw(g);
    const mixq::ssm_lm gm(gw, mixq::infer_config(gw));
    std::vector<std::int64_t> t2(3 * 32);
    for (std::size_t i = 0; i < t2.size(); ++i) t2[i] = static_cast<std::int64_t>(i * 5 % 41);
    mixq::rule_table ht("hf");
    ht.add("backbone.embeddings.weight", mixq::precision::int4_g32);
    ht.add("*.in_proj.weight", mixq::precision::int8);
    ht.add("*.out_proj.weight", mixq::precision::int4_g64);
    ht.add("*", mixq::precision::fp16);
    const auto hc = mixq::convert_layerwise(g, {ht}, o, {&gm, t2, 32}, 1);
    const auto hw = all_at_once(g, ht, o, gm, t2, 32);
    CHECK(hw.totals.gptq_tensors == 1 + 2 * 2);
    require_same(hc.front(), hw);
}

TEST_CASE("convert_layerwise: tensors reuse supplies need no Hessian and no pass, too few tokens for one that does are refused", "[hessians][gptq]") {
    const auto f = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    const mixq::checkpoint_weights w(f);
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    auto tokens = mixq::io::read_npy_tokens(mixq::test::fixture("calib_tokens.npy"));
    tokens.resize(2 * 128);
    const auto table = mixq::load_table_json(mixq::test::fixture("tables/itera_int4_g64_linear.json"));
    auto o = gptq_options();
    const auto done = mixq::convert_layerwise(f, {table}, o, {&model, tokens, 0}, 2).front();
    CHECK(done.totals.gptq_tensors == 29);
    // Every GPTQ tensor offered from `done`: the conversion needs no calibration tokens at all (the empty
    // span would be refused if a layer were run), and copies the same bytes.
    std::size_t offered = 0;
    o.reuse = [&](const mixq::converted_tensor& planned) -> const mixq::converted_tensor* {
        for (const auto& x : done.tensors)
            if (x.source == planned.source && x.target == planned.target && !x.alias_of && x.gptq) return ++offered, &x;
        return nullptr;
    };
    const auto again = mixq::convert_layerwise(f, {table}, o, {&model, {}, 0}, 2).front();
    CHECK(offered >= 29);
    require_same(again, done);
    o.reuse = nullptr;
    CHECK_THROWS_WITH(mixq::convert_layerwise(f, {table}, o, {&model, std::span(tokens).first(100), 0}, 1),
                      Catch::Contains("fewer than one window"));
}
