// gguf/imatrix.hpp and the importance-weighted rounding: sums equal the Hessians' diagonals, llama.cpp's file format round trip, lower weighted error.
#include <mixq/convert/hessians.hpp>
#include <mixq/gguf/importance.hpp>
#include <mixq/gguf/export.hpp>
#include <mixq/gguf/imatrix.hpp>
#include <mixq/io/npy.hpp>
#include <random>

#include "support/catch.hpp"
#include "support/fixture.hpp"

using namespace mixq::gguf;

namespace {
std::filesystem::path hf_model_dir() { return mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes"; }
}  // namespace

TEST_CASE("importance: each product input's squares summed over the calibration tokens, the Hessian's diagonal", "[gguf][imatrix]") {
    const auto in = mixq::io::safetensors_file::open((hf_model_dir() / "model.safetensors").string());
    const mixq::checkpoint_weights w(in);
    const mixq::ssm_lm model(w, mixq::infer_config(w));
    auto tokens = mixq::io::read_npy_tokens((hf_model_dir() / "calib_tokens.npy").string());
    tokens.resize(3 * 64 + 17);  // three windows of 64 and a remainder that is not used
    const auto m = mixq::collect_importance(model, tokens, 64, "calib.npy");
    CHECK(m.chunk_count == 3);
    CHECK(m.chunk_size == 64);
    CHECK(m.datasets == std::vector<std::string>{"calib.npy"});
    CHECK(m.entries.size() == 4 * 4 + 1);  // in, x, dt, out per layer, and the (tied) head
    const auto H = mixq::collect_hessians(model, std::span(tokens).first(3 * 64), 64);  // dsyrk: another summation
    for (const auto& [name, e] : m.entries) {
        INFO(name);
        REQUIRE(H.count(name));
        const auto& h = H.at(name);
        CHECK(e.count == 3 * 64);
        REQUIRE(static_cast<std::int64_t>(e.sums.size()) == h.k);
        for (std::int64_t j = 0; j < h.k; ++j) CHECK(e.sums[static_cast<std::size_t>(j)] == Approx(h.at(j, j)).epsilon(1e-6));
    }
}

TEST_CASE("imatrix.gguf is llama.cpp's format and reads back, weights are sums / count", "[gguf][imatrix]") {
    importance_matrix m;
    m.datasets = {"a.npy"};
    m.chunk_count = 5, m.chunk_size = 100;
    m.entries["blk.0.ssm_in.weight"] = {{1.0f, 500.0f, 0.0f}, 500};
    m.entries["output.weight"] = {{2.0f, 4.0f}, 0};
    const auto bytes = serialize_imatrix(m);
    const auto f = gguf_file::parse(bytes, "imatrix.gguf");
    CHECK(f.get_string("general.type") == "imatrix");
    CHECK(f.find("blk.0.ssm_in.weight.in_sum2")->ne == std::vector<std::int64_t>{3, 1});
    CHECK(f.find("blk.0.ssm_in.weight.counts")->ne == std::vector<std::int64_t>{1, 1});
    const auto back = read_imatrix(f);
    CHECK(back.datasets == m.datasets);
    CHECK(back.chunk_count == 5);
    CHECK(back.chunk_size == 100);
    CHECK(back.entries.at("blk.0.ssm_in.weight").sums == m.entries.at("blk.0.ssm_in.weight").sums);
    CHECK(back.weights("blk.0.ssm_in.weight") == std::vector<float>{1.0f / 500.0f, 1.0f, 0.0f});
    CHECK(back.weights("output.weight") == std::vector<float>{1.0f, 1.0f});  // no tokens: llama.cpp's 1
    // sums without counts: refused by name
    importance_matrix bad;
    bad.entries["x"] = {{1.0f}, 1};
    auto b = serialize_imatrix(bad);
    const std::string counts = "x.counts";
    const auto at = std::search(b.begin(), b.end(), reinterpret_cast<const std::byte*>(counts.data()),
                                reinterpret_cast<const std::byte*>(counts.data()) + counts.size());
    REQUIRE(at != b.end());
    *(at + 2) = std::byte{'y'};  // "x.younts"
    CHECK_THROWS_WITH(read_imatrix(gguf_file::parse(b, "bad.gguf")), Catch::Contains("'x' has sums but no counts"));
}

TEST_CASE("importance-weighted rounding: lower importance-weighted error than the reference rounding, every type", "[gguf][imatrix]") {
    std::mt19937 rng(7);
    std::lognormal_distribution<float> spread(0.0f, 2.0f);
    const std::int64_t row = 512, rows = 64;
    const auto x = mixq::test::random_weights(static_cast<std::size_t>(row * rows), 9);
    std::vector<float> imp(static_cast<std::size_t>(row));
    for (auto& v : imp) v = spread(rng);
    for (const auto& t : ggml_types) {
        if (!t.quantize || t.type == ggml_type::q8_0) continue;  // Q8_0 has no importance-weighted rounding in ggml
        INFO(t.name);
        double plain = 0, weighted = 0;
        std::vector<std::byte> q(static_cast<std::size_t>(row_bytes(t.type, row)));
        std::vector<float> back(static_cast<std::size_t>(row));
        for (std::int64_t r = 0; r < rows; ++r) {
            const auto src = std::span(x).subspan(static_cast<std::size_t>(r * row), static_cast<std::size_t>(row));
            for (const float* qw : {static_cast<const float*>(nullptr), static_cast<const float*>(imp.data())}) {
                t.quantize(src, q.data(), qw);
                t.dequantize(q.data(), row, back.data());
                double e = 0;
                for (std::size_t j = 0; j < back.size(); ++j) e += imp[j] * (double(back[j]) - src[j]) * (double(back[j]) - src[j]);
                (qw ? weighted : plain) += e;
            }
        }
        CHECK(weighted < plain);
    }
}

TEST_CASE("an export with importance carries it under GGUF names, a tied head's goes to token_embd", "[gguf][imatrix]") {
    const auto in = mixq::io::safetensors_file::open((hf_model_dir() / "model.safetensors").string());
    importance_matrix m;
    m.entries["lm_head.weight"] = {std::vector<float>(128, 1.0f), 10};
    m.entries["backbone.layers.0.mixer.out_proj.weight"] = {std::vector<float>(256, 2.0f), 10};
    m.entries["backbone.layers.0.mixer.in_proj.weight"] = {std::vector<float>(7, 2.0f), 10};  // not a row of in_proj
    mixq::rule_table t("k");
    t.add("*.out_proj.weight", mixq::precision::q4_k);
    t.add("*", mixq::precision::fp16);
    export_options o;
    o.importance = &m;
    const auto x = export_gguf(in, t, o);
    REQUIRE(x.imatrix);
    CHECK(x.imatrix->entries.count("token_embd.weight"));
    CHECK(x.imatrix->entries.count("blk.0.ssm_out.weight"));
    CHECK_FALSE(x.imatrix->entries.count("output.weight"));
    // the importance changes the rounding (ggml weighs each value qw * sqrt(sigma2 + x^2) instead of rms + |x|)
    const auto plain = export_gguf(in, t);
    for (std::size_t i = 0; i < x.tensors.size(); ++i)
        if (x.tensors[i].name == "blk.0.ssm_out.weight") CHECK_FALSE(std::ranges::equal(x.tensors[i].bytes(), plain.tensors[i].bytes()));
    // an importance whose length is not the row's is refused once a block type uses it
    mixq::rule_table t2("k2");
    t2.add("*.in_proj.weight", mixq::precision::q4_0);
    t2.add("*", mixq::precision::fp16);
    CHECK_THROWS_WITH(export_gguf(in, t2, o), Catch::Contains("holds 7 values for rows of 128"));
}
