// GGUF export of the trained Hugging Face fixture: names, types, overrides, refusals, and mixq reading it back.
#include <mixq/gguf/export.hpp>
#include <mixq/gguf/llama_mixes.hpp>
#include <mixq/gguf/report.hpp>
#include <mixq/gguf/weights.hpp>
#include <mixq/io/npy.hpp>
#include <mixq/precision/presets.hpp>
#include <mixq/quality.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/sizes.hpp"

using namespace mixq::gguf;

namespace {
std::filesystem::path hf_dir() { return mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes"; }
mixq::rule_table table(std::initializer_list<std::pair<const char*, mixq::precision>> rules) {
    mixq::rule_table t("test");
    for (const auto& [p, prec] : rules) t.add(p, prec);
    return t;
}
std::vector<std::int64_t> eval_tokens(std::size_t n) {
    auto t = mixq::io::read_npy_tokens((hf_dir() / "eval_tokens.npy").string());
    t.resize(n);
    return t;
}
double perplexity(const mixq::checkpoint_weights& w, const mixq::model_config& c, const std::vector<std::int64_t>& tokens) {
    const mixq::ssm_lm m(w, c);
    return mixq::evaluate_perplexity(m, tokens, {128, 16, 2}).perplexity;
}
const exported_tensor& find(const gguf_export& x, const std::string& name) {
    for (const auto& t : x.tensors)
        if (t.name == name) return t;
    FAIL("no tensor " << name);
    throw;
}
}  // namespace

TEST_CASE("Hugging Face names map to llama.cpp's and back (A_log becomes A)", "[gguf][export]") {
    for (const auto& n : mixq::layout::hf_mamba{12, true}.tensor_names()) {
        const auto g = to_gguf_name(n);
        REQUIRE(g.has_value());
        const auto back = to_hf_name(g->gguf);
        REQUIRE(back.has_value());
        CHECK(*back == (n.ends_with("A_log") ? n.substr(0, n.size() - 5) + "A" : n));
    }
    CHECK(to_gguf_name("backbone.layers.3.mixer.in_proj.weight")->gguf == "blk.3.ssm_in.weight");
    CHECK(to_gguf_name("backbone.layers.11.mixer.A_log")->gguf == "blk.11.ssm_a");
    CHECK_FALSE(to_gguf_name("backbone.layers.0.mixer.in_proj.bias"));
    CHECK_FALSE(to_gguf_name("backbone.layers.x.norm.weight"));
    CHECK_FALSE(to_hf_name("blk.0.attn_q.weight"));
    CHECK(role_of("blk.17.ssm_conv1d.bias") == "blk.*.ssm_conv1d.bias");
}

TEST_CASE("an fp32 GGUF export is the same model: mixq's perplexity of it equals the safetensors one", "[gguf][export]") {
    const auto in = mixq::io::safetensors_file::open((hf_dir() / "model.safetensors").string());
    const auto x = export_gguf(in, table({{"*", mixq::precision::fp32}}));
    const auto file = serialize(x);
    CHECK(file.size() == x.file_bytes);
    const auto m = load_mamba(gguf_file::parse(file, "fp32.gguf"));
    const auto tokens = eval_tokens(2048);
    const mixq::checkpoint_weights src(in);
    const double want = perplexity(src, mixq::infer_config(src, hf_dir() / "config.json"), tokens);
    CHECK(perplexity(*m->weights, m->config, tokens) == want);  // the same floats, the same operations
    CHECK(m->config.norm_eps == 1e-5f);
    // the fixture ties its head: llama.cpp reuses token_embd, so output.weight is not written
    CHECK((in.find("lm_head.weight") ? x.head_omitted : x.head_absent));
    for (const auto& t : x.tensors) CHECK(t.name != "output.weight");
    CHECK(find(x, "blk.0.ssm_conv1d.weight").ne == std::vector<std::int64_t>{4, 256});
    CHECK(find(x, "blk.0.ssm_in.weight").ne == std::vector<std::int64_t>{128, 512});
}

TEST_CASE("int8-linear to GGUF: Q8_0 decodes to ggml's blocks, llama.cpp's F32 tensors and short rows are overrides",
          "[gguf][export]") {
    const auto in = mixq::io::safetensors_file::open((hf_dir() / "model.safetensors").string());
    const auto x = export_gguf(in, mixq::presets::get("int8-linear", mixq::presets::family::hf_mamba));
    const auto& emb = find(x, "token_embd.weight");
    CHECK(emb.type == ggml_type::q8_0);
    CHECK(emb.bytes().size() == 8000u * 4u * 34u);
    const auto& dt = find(x, "blk.2.ssm_dt.weight");  // rows of dt_rank = 8 values: no whole Q8_0 block
    CHECK(dt.type == ggml_type::f16);
    CHECK(dt.override_reason.find("a row of 8 values") != std::string::npos);
    CHECK(find(x, "blk.1.ssm_conv1d.weight").type == ggml_type::f32);
    CHECK(find(x, "blk.1.ssm_conv1d.weight").override_reason == "llama.cpp computes it in F32");
    const auto ov = overrides(x);
    CHECK(ov.size() == 8);  // one line per role, not per layer
    for (const auto& g : ov) CHECK(g.tensors == (g.role == "output_norm.weight" ? 1u : 4u));
    const auto text = report_text(x, "out/model.gguf");
    CHECK(text.find("blk.*.ssm_dt.weight") != std::string::npos);
    CHECK(text.find("llama.cpp reuses token_embd.weight") != std::string::npos);
    CHECK(text.find("tokenizer: none") != std::string::npos);
    // read back: Q8_0 tensors decode to exactly dequantize(quantize(source))
    const auto file = serialize(x);
    const auto m = load_mamba(gguf_file::parse(file, "int8.gguf"), gguf_arithmetic::fp32);
    std::vector<float> src(static_cast<std::size_t>(in.at("backbone.layers.0.mixer.in_proj.weight").numel()));
    mixq::to_float(in.at("backbone.layers.0.mixer.in_proj.weight"), src);
    std::vector<std::byte> q(src.size() / 32 * 34);
    quantize_q8_0(src, q.data());
    std::vector<float> want(src.size());
    dequantize_q8_0(q.data(), static_cast<std::int64_t>(src.size()), want.data());
    CHECK(m->weights->vector("backbone.layers.0.mixer.in_proj.weight") == want);
    // quality: within 0.1 % of fp32 either way of computing it; llama.cpp's activation rounding changes little
    // (a quarter of the tokens under the sanitizers: three evaluations of 4,096 took 51 s there)
    const auto tokens = eval_tokens(mixq::test::sized(4096, 1024));
    const mixq::checkpoint_weights w(in);
    const double fp32 = perplexity(w, mixq::infer_config(w), tokens);
    const double exact = perplexity(*m->weights, m->config, tokens);
    const auto ml = load_mamba(gguf_file::parse(file, "int8.gguf"));
    const double as_llama = perplexity(*ml->weights, ml->config, tokens);
    CHECK(std::fabs(exact / fp32 - 1) < 1e-3);
    CHECK(std::fabs(as_llama / fp32 - 1) < 1e-3);
    CHECK(as_llama != exact);  // the rounding is really applied
}

TEST_CASE("GGUF export refuses what llama.cpp cannot hold, naming the tensor and what GGUF can hold", "[gguf][export][bad_input]") {
    const auto in = mixq::io::safetensors_file::open((hf_dir() / "model.safetensors").string());
    CHECK_THROWS_WITH(export_gguf(in, table({{"*.in_proj.weight", mixq::precision::nf4}, {"*", mixq::precision::fp16}})),
                      Catch::Contains("4 tensor(s) have a precision GGUF cannot hold: "
                                                         "'backbone.layers.0.mixer.in_proj.weight' is nf4") &&
                          Catch::Contains("int4_g32 (Q4_0)"));
    // the SSM core is F32 in llama.cpp whatever the table says, so fp8 there is not a refusal but an override
    const auto x = export_gguf(in, table({{"*.A_log", mixq::precision::fp8_e4m3}, {"*", mixq::precision::fp16}}));
    CHECK(find(x, "blk.0.ssm_a").type == ggml_type::f32);
    CHECK_THROWS_WITH(export_gguf(in, table({{"*", mixq::precision::fp16}, {"nothing.*", mixq::precision::int8}}), {true, {}}),
                      Catch::Contains("matches no tensor"));
    const auto itera = mixq::io::safetensors_file::open(mixq::test::fixture("model.safetensors"));
    CHECK_THROWS_WITH(export_gguf(itera, table({{"*", mixq::precision::fp16}})),
                      Catch::Contains("the Itera-Lite layout has no llama.cpp architecture"));
}

TEST_CASE("a byte-level BPE tokenizer.json becomes gpt2 keys padded to the vocabulary, others become 'none'", "[gguf][export]") {
    mixq::test::temp_dir d;
    mixq::test::write_bytes(d.file("tokenizer.json"),
                            R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]},
                                "pre_tokenizer": {"type": "ByteLevel"},
                                "added_tokens": [{"id": 3, "content": "<|endoftext|>", "special": true}]})");
    const auto k = tokenizer_from(d.file("tokenizer.json"), 6);
    auto value = [&](const std::string& key) {
        for (const auto& e : k.kvs)
            if (e.key == key) return e.value;
        FAIL("no key " << key);
        throw;
    };
    CHECK(value("tokenizer.ggml.model") == "gpt2");
    CHECK(value("tokenizer.ggml.tokens") == nlohmann::json({"a", "b", "ab", "<|endoftext|>", "[PAD4]", "[PAD5]"}));
    CHECK(value("tokenizer.ggml.token_type") == nlohmann::json({1, 1, 1, 3, 5, 5}));
    CHECK(value("tokenizer.ggml.merges") == nlohmann::json({"a b"}));
    CHECK(value("tokenizer.ggml.eos_token_id") == 3);
    CHECK_THROWS_WITH(tokenizer_from(d.file("tokenizer.json"), 3), Catch::Contains("has id 3, outside"));
    mixq::test::write_bytes(d.file("wp.json"), R"({"model": {"type": "WordPiece", "vocab": {}}})");
    CHECK(tokenizer_from(d.file("wp.json"), 6).kvs.size() == 1);
    CHECK(tokenizer_from(d.file("wp.json"), 6).note.find("not a byte-level BPE") != std::string::npos);
    CHECK(tokenizer_from(d.file("missing.json"), 6).note.find("cannot tokenise text") != std::string::npos);
}

TEST_CASE("activation rounding as llama.cpp's CPU backend: Q8_0 blocks, fp16, bf16", "[gguf][model]") {
    auto x = mixq::test::random_weights(64, 3);
    auto r = x;
    mixq::round_activations(r.data(), 2, 32, mixq::activation_rounding::q8_0);
    for (int b = 0; b < 2; ++b) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[static_cast<std::size_t>(b * 32 + j)]));
        const float d = mixq::round_to_half(amax / 127.0f);
        for (int j = 0; j < 32; ++j) {
            const auto i = static_cast<std::size_t>(b * 32 + j);
            CHECK(r[i] == d * std::nearbyint(x[i] * (127.0f / amax)));
        }
    }
    r = x;
    mixq::round_activations(r.data(), 1, 64, mixq::activation_rounding::f16);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(r[i] == mixq::round_to_half(x[i]));
    r = x;
    mixq::round_activations(r.data(), 1, 64, mixq::activation_rounding::bf16);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(r[i] == mixq::round_to_bf16(x[i]));
}

TEST_CASE("Mamba-2 and Nemotron-H names map to llama.cpp's mamba2 / nemotron_h names and back", "[gguf][export][mamba2]") {
    for (const auto& prefix : {"backbone.", "model."}) {
        for (const auto& n : mixq::layout::nemotron_h{.pattern = "M*-M", .prefix = prefix}.tensor_names()) {
            const auto g = to_gguf_name(n, gguf_arch::nemotron_h, prefix);
            INFO(n);
            REQUIRE(g);
            const auto back = to_hf_name(g->gguf, gguf_arch::nemotron_h, prefix);
            REQUIRE(back);
            CHECK(*back == (n.ends_with("A_log") ? n.substr(0, n.size() - 5) + "A" : n));
        }
    }
    CHECK(to_gguf_name("backbone.layers.3.mixer.k_proj.weight", gguf_arch::nemotron_h, "backbone.")->gguf == "blk.3.attn_k.weight");
    CHECK(to_gguf_name("backbone.layers.0.mixer.norm.weight", gguf_arch::mamba2, "backbone.")->transform == mamba_transform::by_group);
    CHECK_FALSE(to_gguf_name("backbone.layers.0.mixer.x_proj.weight", gguf_arch::mamba2, "backbone."));  // Mamba-1 only
    CHECK_FALSE(to_gguf_name("model.layers.0.mixer.in_proj.weight", gguf_arch::nemotron_h, "backbone."));
}

TEST_CASE("Mamba-2 family to GGUF: llama.cpp's shapes, and mixq reads the file back as the same model", "[gguf][export][mamba2]") {
    for (const std::string name : {"mamba2-fortunes", "nemotronh-fortunes"}) {
        INFO(name);
        const auto dir = mixq::test::fixture_dir().parent_path() / name;
        const auto in = mixq::io::safetensors_file::open((dir / "model.safetensors").string());
        const auto x = export_gguf(in, table({{"*", mixq::precision::fp32}}));
        const bool nemo = name == "nemotronh-fortunes";
        CHECK(x.config.layout == (nemo ? mixq::layout_kind::nemotron_h : mixq::layout_kind::hf_mamba2));
        CHECK(find(x, "blk.0.ssm_a").ne == std::vector<std::int64_t>{1, 8});
        CHECK(find(x, "blk.0.ssm_d").ne == std::vector<std::int64_t>{1, 8});
        CHECK(find(x, "blk.0.ssm_norm.weight").ne == std::vector<std::int64_t>{128, 2});  // d_inner / n_groups, n_groups
        CHECK(find(x, "blk.0.ssm_conv1d.weight").ne == std::vector<std::int64_t>{4, 384});
        CHECK(find(x, "blk.0.ssm_in.weight").ne == std::vector<std::int64_t>{128, 648});
        if (nemo) CHECK(find(x, "blk.3.attn_k.weight").ne == std::vector<std::int64_t>{128, 64});
        CHECK(x.head_absent == !nemo);
        const auto bytes = serialize(x);
        const auto m = load_mamba(gguf_file::parse(bytes, name + ".gguf"));
        CHECK(m->config.layout == x.config.layout);
        CHECK(m->config.kinds == x.config.kinds);
        CHECK(m->config.ssd.groups == 2);
        CHECK(m->config.tied_head == !nemo);
        auto tokens = mixq::io::read_npy_tokens((dir / "eval_tokens.npy").string());
        tokens.resize(8 * 128);
        const mixq::checkpoint_weights src(in);
        const double want = perplexity(src, mixq::infer_config(src, dir / "config.json"), tokens);
        const double got = perplexity(*m->weights, m->config, tokens);
        CHECK(got == Approx(want).epsilon(1e-6));  // F32 throughout: the same weights, A = -exp(A_log) written once
    }
}

TEST_CASE("a mamba2 GGUF with a missing key or a contradicting key is refused, naming it", "[gguf][mamba2][bad_input]") {
    const auto dir = mixq::test::fixture_dir().parent_path() / "mamba2-fortunes";
    const auto in = mixq::io::safetensors_file::open((dir / "model.safetensors").string());
    auto x = export_gguf(in, table({{"*", mixq::precision::fp32}}));
    auto without = x;
    std::erase_if(without.kvs, [](const kv& k) { return k.key == "mamba2.ssm.group_count"; });
    CHECK_THROWS_WITH(load_mamba(gguf_file::parse(serialize(without), "m.gguf")), Catch::Contains("missing key 'mamba2.ssm.group_count'"));
    for (auto& k : x.kvs)
        if (k.key == "mamba2.ssm.state_size") k.value = 16;
    CHECK_THROWS_WITH(load_mamba(gguf_file::parse(serialize(x), "m.gguf")), Catch::Contains("in_proj.weight' has shape [648, 128]"));
}

TEST_CASE("ggml block types to GGUF: K-quants where rows hold 256-value super-blocks, llama-quantize's fallbacks elsewhere",
          "[gguf][export]") {
    using mixq::precision;
    const auto in = mixq::io::safetensors_file::open((hf_dir() / "model.safetensors").string());
    // d_model 128, d_inner 256: in_proj rows hold 128 values, out_proj and x_proj rows 256, dt_proj rows 8
    const auto x = export_gguf(in, table({{"*.out_proj.weight", precision::q4_k}, {"*.x_proj.weight", precision::q6_k},
                                          {"*.in_proj.weight", precision::q4_k}, {"*.dt_proj.weight", precision::q3_k},
                                          {"backbone.embeddings.weight", precision::iq4_nl}, {"*", precision::fp16}}));
    CHECK(find(x, "blk.0.ssm_out.weight").type == ggml_type::q4_k);
    CHECK(find(x, "blk.0.ssm_out.weight").override_reason.empty());
    CHECK(find(x, "blk.0.ssm_x.weight").type == ggml_type::q6_k);
    CHECK(find(x, "token_embd.weight").type == ggml_type::iq4_nl);
    const auto& in_proj = find(x, "blk.0.ssm_in.weight");
    CHECK(in_proj.type == ggml_type::q5_0);
    CHECK(in_proj.override_reason == "a row of 128 values is not a whole number of Q4_K blocks of 256; Q5_0 as llama-quantize falls back");
    const auto& dt = find(x, "blk.0.ssm_dt.weight");  // Q3_K -> Q4_0, which rows of 8 cannot hold either
    CHECK(dt.type == ggml_type::f16);
    const auto text = report_text(x, "out/model.gguf");
    CHECK(text.find("Q5_0 as llama-quantize falls back") != std::string::npos);
    CHECK(in_proj.bytes().size() == 512u * 4u * 22u);
    // read back: each tensor decodes to exactly ggml's decoding of ggml's blocks of the source
    const auto file = serialize(x);
    const auto m = load_mamba(gguf_file::parse(file, "k.gguf"), gguf_arithmetic::fp32);
    for (const auto& [name, t] : {std::pair{"backbone.layers.1.mixer.out_proj.weight", ggml_type::q4_k},
                                  {"backbone.layers.1.mixer.x_proj.weight", ggml_type::q6_k},
                                  {"backbone.layers.1.mixer.in_proj.weight", ggml_type::q5_0}}) {
        INFO(name);
        const auto& tv = in.at(name);
        std::vector<float> src(static_cast<std::size_t>(tv.numel()));
        mixq::to_float(tv, src);
        const auto row = tv.shape.back();
        std::vector<std::byte> q(static_cast<std::size_t>(row_bytes(t, tv.numel())));
        std::vector<float> want(src.size());
        for (std::int64_t r = 0; r < tv.numel() / row; ++r) {
            auto* dst = q.data() + r * row_bytes(t, row);
            info(t).quantize(std::span<const float>(src).subspan(static_cast<std::size_t>(r * row), static_cast<std::size_t>(row)), dst, nullptr);
            info(t).dequantize(dst, row, want.data() + r * row);
        }
        CHECK(m->weights->vector(name) == want);
    }
    // quality of a 4-6-bit mix: a few percent at most; llama.cpp's Q8_K / Q8_0 activation rounding is applied
    const auto tokens = eval_tokens(2048);
    const mixq::checkpoint_weights w(in);
    const double fp32 = perplexity(w, mixq::infer_config(w), tokens);
    const double exact = perplexity(*m->weights, m->config, tokens);
    const auto ml = load_mamba(gguf_file::parse(file, "k.gguf"));
    const double as_llama = perplexity(*ml->weights, ml->config, tokens);
    CHECK(exact / fp32 - 1 < 0.05);
    CHECK(std::fabs(as_llama / exact - 1) < 2e-3);
    CHECK(as_llama != exact);
}

TEST_CASE("activation rounding as llama.cpp's CPU backend: Q8_K blocks of 256 for the K-quants", "[gguf][model]") {
    auto x = mixq::test::random_weights(512, 5);
    auto r = x;
    mixq::round_activations(r.data(), 1, 512, mixq::activation_rounding::q8_k);
    for (int b = 0; b < 2; ++b) {
        float amax = 0.0f;
        for (int j = 0; j < 256; ++j) amax = std::max(amax, std::fabs(x[static_cast<std::size_t>(b * 256 + j)]));
        const float d = amax / 127.0f;  // one float scale per 256 values: every value within d / 2 (+ rounding of d)
        for (int j = 0; j < 256; ++j) {
            const auto i = static_cast<std::size_t>(b * 256 + j);
            CHECK(std::fabs(r[i] - x[i]) <= d * 0.5001f);
        }
        CHECK(r[static_cast<std::size_t>(b * 256)] != x[static_cast<std::size_t>(b * 256)]);  // really rounded
    }
    CHECK(activation_rounding_for(ggml_type::q4_k) == mixq::activation_rounding::q8_k);
    CHECK(activation_rounding_for(ggml_type::iq4_nl) == mixq::activation_rounding::q8_0);
}

TEST_CASE("Q4_1 products with Q8_1 activations: llama.cpp's vec_dot_q4_1_q8_1, its stored block sums included", "[gguf][model]") {
    const std::int64_t T = 3, K = 96, N = 5;  // three blocks of 32 a row
    const auto x = mixq::test::random_weights(static_cast<std::size_t>(T * K), 41, 1.0f, 0.0);
    auto w = mixq::test::random_weights(static_cast<std::size_t>(N * K), 42);
    for (auto& v : w) v += 0.03f;  // an offset, so that the mins are far from 0
    std::vector<std::byte> q(static_cast<std::size_t>(N * row_bytes(ggml_type::q4_1, K)));
    for (std::int64_t n = 0; n < N; ++n)
        quantize_q4_1(std::span(w).subspan(static_cast<std::size_t>(n * K), static_cast<std::size_t>(K)), q.data() + n * row_bytes(ggml_type::q4_1, K));
    std::vector<float> decoded(w.size()), mins;
    dequantize_q4_1(q.data(), N * K, decoded.data());
    std::vector<block_q4_1> blocks(static_cast<std::size_t>(N * K / 32));
    std::memcpy(blocks.data(), q.data(), q.size());
    for (const auto& b : blocks) mins.push_back(mixq::half_bits_to_float(b.m));
    mixq::stored_matrix W{"w", mixq::dtype::f32, N, K, std::as_bytes(std::span<const float>(decoded)), {}};
    W.rounds_input = mixq::activation_rounding::q8_1;
    W.block_mins = mins;
    std::vector<float> y(static_cast<std::size_t>(T * N));
    mixq::apply_product(nullptr, x.data(), T, W, y.data());
    for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t n = 0; n < N; ++n) {
            double want = 0.0;  // ggml: d_w d_x Σ q_w q_x + m_w s_x per block, s_x = fp16(d_x unrounded · Σ q_x)
            for (std::int64_t b = 0; b < K / 32; ++b) {
                const float* xb = x.data() + t * K + b * 32;
                float amax = 0.0f;
                for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(xb[j]));
                const float d = amax / 127.0f, id = 127.0f / amax;
                const auto& wb = blocks[static_cast<std::size_t>(n * K / 32 + b)];
                int dot = 0, sum = 0;
                for (int j = 0; j < 32; ++j) {
                    const int qx = static_cast<int>(std::nearbyint(xb[j] * id));
                    const int qw = j < 16 ? wb.qs[j] & 0xF : wb.qs[j - 16] >> 4;
                    dot += qx * qw, sum += qx;
                }
                want += static_cast<double>(mixq::half_bits_to_float(wb.d)) * mixq::round_to_half(d) * dot +
                        static_cast<double>(mixq::half_bits_to_float(wb.m)) * mixq::round_to_half(d * static_cast<float>(sum));
            }
            INFO("t " << t << " n " << n);
            CHECK(y[static_cast<std::size_t>(t * N + n)] == Approx(want).epsilon(2e-6).margin(1e-6));
        }
}

TEST_CASE("llama-quantize's mixes as tables: the head's Q6_K or Q8_0, attention V and FFN down by llama.cpp's counters", "[gguf][export]") {
    const auto data = mixq::test::fixture_dir().parent_path();
    const auto decide = [](const mixq::rule_table& t, const std::string& name) {
        const auto i = t.decide_index(name);
        return i ? std::optional(t.rules()[*i].precision) : std::nullopt;
    };
    CHECK(find_llama_mix("q4_k_m")->base == mixq::precision::q4_k);
    CHECK(find_llama_mix("Q3_K_M")->base == mixq::precision::q3_k);
    CHECK_FALSE(find_llama_mix("Q4_K_S"));
    CHECK_FALSE(find_llama_mix("conservative"));
    {  // rows of 256: the tied embeddings (standing for the head) Q6_K; every other weight the base type
        const auto f = mixq::io::safetensors_file::open((data / "hf-mamba-256-fortunes" / "model.safetensors").string());
        const auto t = llama_mix_table(*find_llama_mix("Q4_K_M"), f);
        CHECK(decide(t, "backbone.embeddings.weight") == mixq::precision::q6_k);
        CHECK(decide(t, "backbone.layers.3.mixer.in_proj.weight") == mixq::precision::q4_k);
        CHECK(decide(t, "backbone.layers.0.mixer.dt_proj.weight") == mixq::precision::q4_k);  // its rows of 16: F16 in the export
        CHECK_FALSE(decide(t, "backbone.layers.0.mixer.A_log"));                              // not quantized: no rule
        CHECK_FALSE(decide(t, "backbone.layers.0.mixer.conv1d.weight"));
        CHECK_FALSE(decide(t, "backbone.norm_f.weight"));
        CHECK(decide(llama_mix_table(*find_llama_mix("Q8_0"), f), "backbone.embeddings.weight") == mixq::precision::q8_0);
    }
    {  // rows of 128, a head tied by equal bytes: embeddings and head Q8_0 (llama.cpp: the row is no whole Q4_K block)
        const auto f = mixq::io::safetensors_file::open((data / "hf-mamba-fortunes" / "model.safetensors").string());
        const auto t = llama_mix_table(*find_llama_mix("Q4_K_M"), f);
        CHECK(decide(t, "backbone.embeddings.weight") == mixq::precision::q8_0);
        CHECK(decide(t, "lm_head.weight") == mixq::precision::q8_0);
    }
    {  // Nemotron-H "M-M*M-": one attention V (use_more_bits(0, 1): Q6_K in Q4_K_M; Q5_K in Q3_K_M), FFN down of 6 layers
        const auto f = mixq::io::safetensors_file::open((data / "nemotronh-fortunes" / "model.safetensors").string());
        const auto q4 = llama_mix_table(*find_llama_mix("Q4_K_M"), f), q3 = llama_mix_table(*find_llama_mix("Q3_K_M"), f);
        CHECK(decide(q4, "backbone.layers.3.mixer.v_proj.weight") == mixq::precision::q6_k);
        CHECK(decide(q4, "backbone.layers.3.mixer.k_proj.weight") == mixq::precision::q4_k);
        CHECK(decide(q4, "backbone.layers.5.mixer.down_proj.weight") == mixq::precision::q4_k);
        CHECK(decide(q4, "lm_head.weight") == mixq::precision::q8_0);  // untied output, rows of 128
        CHECK(decide(q4, "backbone.embeddings.weight") == mixq::precision::q4_k);  // untied: the base type
        CHECK(decide(q3, "backbone.layers.3.mixer.v_proj.weight") == mixq::precision::q5_k);
        CHECK(decide(q3, "backbone.layers.3.mixer.o_proj.weight") == mixq::precision::q4_k);
        CHECK(decide(q3, "backbone.layers.1.mixer.down_proj.weight") == mixq::precision::q4_k);
        CHECK(decide(q3, "backbone.layers.0.mixer.in_proj.weight") == mixq::precision::q3_k);
    }
    CHECK(detail::use_more_bits(0, 24));   // the first eighth
    CHECK(detail::use_more_bits(23, 24));  // the last eighth
    CHECK(detail::use_more_bits(5, 24));   // (5 - 3) % 3 == 2
    CHECK_FALSE(detail::use_more_bits(4, 24));
}
