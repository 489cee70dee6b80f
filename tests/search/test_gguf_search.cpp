// Tests include/mixq/search/gguf_search.hpp (and gguf_search_report.hpp) on the 128-wide Hugging Face Mamba fixture with few tokens.
#include <cmath>
#include <mixq/io/checkpoint.hpp>
#include <mixq/search/gguf_search_report.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

namespace {
const auto gguf_search_dir = [] { return mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes"; };
std::vector<std::int64_t> hf_tokens(const char* file, std::size_t n) {
    auto t = mixq::io::read_npy_tokens((gguf_search_dir() / file).string());
    t.resize(std::min(n, t.size()));
    return t;
}
mixq::search::gguf_search_options small(mixq::search::gguf_budget b) {
    mixq::search::gguf_search_options o;
    o.candidates = {mixq::precision::q4_0, mixq::precision::q4_k, mixq::precision::q5_0, mixq::precision::q6_k, mixq::precision::q8_0};
    o.target = b;
    o.rounding = mixq::search::gguf_rounding::reference;
    o.sensitivity_windows = 2;
    o.threads = 2;
    o.frontier_points = 0;
    o.reference_points = false;
    return o;
}
}  // namespace

TEST_CASE("GGUF search: exact file sizes per type, the budget held by the written file, sensitivities as llama.cpp computes",
          "[search][gguf]") {
    const auto in = mixq::io::open_checkpoint((gguf_search_dir() / "model.safetensors").string());
    const mixq::checkpoint_weights w(in);
    const auto cfg = mixq::infer_config(w, gguf_search_dir() / "config.json");
    const auto calib = hf_tokens("calib_tokens.npy", 6 * 128), eval = hf_tokens("eval_tokens.npy", 4 * 128);
    // The budget: llama-quantize's Q4_K_M file of this model (mixq writes it byte-identically, interop tests).
    SECTION("a size budget: llama-quantize's Q4_K_M file") {
    const auto q4km = mixq::gguf::export_gguf(in, mixq::gguf::llama_mix_table(*mixq::gguf::find_llama_mix("Q4_K_M"), in));
    auto o = small({mixq::search::gguf_budget_kind::size, static_cast<double>(q4km.file_bytes)});
    mixq::search::gguf_searcher s(in, cfg, calib, eval, o);
    const auto r = s.run();

    REQUIRE(r.file.size() == r.chosen.file_bytes);
    CHECK(r.chosen.file_bytes <= q4km.file_bytes);
    CHECK(r.chosen.file_bytes > q4km.file_bytes * 9 / 10);  // the budget is used, not wasted
    CHECK(r.units.size() == 17);  // 4 x (in_proj, x_proj, dt_proj, out_proj) and the tied embeddings; the head is left out
    CHECK(r.fixed.size() == 25);
    CHECK(r.held_out_windows == 4);  // calibration windows after the 2 the sensitivities use
    for (const auto& u : r.units) {
        INFO(u.name);
        const auto cols = in.find(u.name)->shape.back(), rows = u.params / cols;
        for (std::size_t p = 0; p < o.candidates.size(); ++p) {
            // Each type's bytes from its block layout, independently; llama-quantize's fallback where rows do not fit.
            auto want = *mixq::gguf::ggml_type_for(o.candidates[p]);
            if (cols % mixq::gguf::info(want).block != 0)
                want = want == mixq::gguf::ggml_type::q4_k ? mixq::gguf::ggml_type::q5_0
                       : want == mixq::gguf::ggml_type::q6_k ? mixq::gguf::ggml_type::q8_0 : want;
            if (cols % mixq::gguf::info(want).block != 0) want = mixq::gguf::ggml_type::f16;  // dt_proj: rows of 8
            CHECK(u.types[p] == want);
            const auto bytes = static_cast<std::uint64_t>(rows) * mixq::gguf::row_bytes(want, cols);
            CHECK(u.data_bytes[p] == bytes);
            CHECK(u.file_bytes[p] == (bytes + 31) / 32 * 32);
        }
    }
    // The file's size is the sum of what the search counted: the header plus every tensor, aligned.
    std::uint64_t tensors = 0;
    for (const auto& t : r.chosen.tensors) tensors += mixq::gguf::align_up(t.bytes().size());
    CHECK(r.chosen.file_bytes == mixq::gguf::gguf_header(r.chosen.kvs, r.chosen.outputs()).size() + tensors);

    // A unit's sensitivity is the divergence of the GGUF file holding only that tensor at that type, read back as
    // mixq-eval reads it (llama.cpp's activation rounding), from fp32 on the same windows.
    const mixq::ssm_lm fp32(w, cfg);
    const auto ref = mixq::search::make_reference(fp32, calib, 128, 2);
    for (const auto* name : {"backbone.layers.2.mixer.out_proj.weight", "backbone.embeddings.weight"}) {
        const auto& u = *std::find_if(r.units.begin(), r.units.end(), [&](const auto& x) { return x.name == name; });
        for (std::size_t p : {std::size_t{1}, std::size_t{4}}) {  // q4_k (Q5_0 for the 128-wide embeddings), q8_0
            INFO(name << " at " << mixq::to_string(o.candidates[p]));
            mixq::rule_table t("one");
            t.add(name, o.candidates[p]);
            if (std::string(name) == "backbone.embeddings.weight") t.add("lm_head.weight", o.candidates[p]);  // its copy: left out, tied
            const auto x = mixq::gguf::export_gguf(in, t);
            const auto bytes = mixq::gguf::serialize(x);
            const auto m = mixq::gguf::load_mamba(mixq::gguf::gguf_file::parse(bytes, "one.gguf"));
            const auto d = mixq::search::measure_divergence(mixq::ssm_lm(*m->weights, m->config), ref);
            CHECK(u.kl[p] == Approx(d.kl).epsilon(1e-6));
            CHECK(u.nll[p] == Approx(d.delta_nll).epsilon(1e-5).margin(1e-9));
            CHECK(u.kl[p] > 0.0);
        }
        CHECK(u.kl[4] < u.kl[0]);  // Q8_0 is closer to fp32 than Q4_0
    }
    // The report: per role, the types as written; the file judged against the mixes that fit.
    const auto text = mixq::search::report_text(r, "hf-mamba");
    CHECK(text.find("  mixer.dt_proj            F16 in 4 layers (0-3)") != std::string::npos);
    CHECK(text.find("held-out calibration windows") != std::string::npos);
    const auto j = mixq::search::search_json(r);
    CHECK(j["file_bytes"] == r.chosen.file_bytes);
    CHECK(j["units"].size() == 17);
    }

    SECTION("a bits-per-weight budget counts tensor data as llama.cpp does") {
        auto ob = small({mixq::search::gguf_budget_kind::bpw, 6.0});
        ob.candidates = {mixq::precision::q4_0, mixq::precision::q8_0};
        mixq::search::gguf_searcher sb(in, cfg, calib, eval, ob);
        const auto rb = sb.run();
        CHECK(rb.bpw() <= 6.0);
        CHECK(rb.bpw() > 5.0);
        CHECK(rb.bpw() == Approx(8.0 * static_cast<double>(rb.data_bytes()) / static_cast<double>(rb.params)));
    }
    SECTION("an impossible budget names the range the candidates reach") {
        auto oi = small({mixq::search::gguf_budget_kind::size, 100000.0});
        mixq::search::gguf_searcher si(in, cfg, calib, eval, oi);
        CHECK_THROWS_WITH(si.run(), Catch::Contains("GGUF file of at most 100000 bytes: impossible; with these candidates the file ranges from"));
    }
    SECTION("mixq's own precisions are not GGUF candidates") {
        auto ox = small({mixq::search::gguf_budget_kind::size, 1e6});
        ox.candidates = {mixq::precision::int4_g64};
        CHECK_THROWS_WITH(mixq::search::gguf_searcher(in, cfg, calib, eval, ox), Catch::Contains("int4_g64 is not a GGUF candidate"));
    }
}
