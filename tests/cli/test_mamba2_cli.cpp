// Runs the CLIs on the Mamba-2 and Nemotron-H fixtures: the oracle's perplexities end to end, presets, shards and GPTQ.
#include <nlohmann/json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/run_cli.hpp"
#include "support/token_files.hpp"

namespace {
using mixq::test::quote;
std::filesystem::path model_dir(const std::string& m) { return mixq::test::fixture_dir().parent_path() / m; }
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
double oracle(const std::string& m, const std::string& table) {
    return nlohmann::json::parse(mixq::test::read_bytes((model_dir(m) / "oracle.json").string()))["perplexity"].at(table).get<double>();
}
}  // namespace

TEST_CASE("Mamba-2 family through the CLIs: mixq-eval and mixq-convert --table --eval give the oracle's perplexities", "[cli][mamba2][oracle]") {
    for (const auto& [m, table] : {std::pair{"mamba2-fortunes", "mamba2_int4_g32_linear"}, std::pair{"nemotronh-fortunes", "nemotronh_nf4_linear"}}) {
        INFO(m);
        mixq::test::temp_dir scratch;
        const auto dir = model_dir(m);
        const auto tokens = quote((dir / "eval_tokens.npy").string());
        auto r = mixq::test::run_command(quote(MIXQ_EVAL_EXE) + " " + quote(dir.string()) + " --tokens " + tokens + " --json", scratch);
        INFO(r.err);
        REQUIRE(r.code == 0);
        CHECK(nlohmann::json::parse(r.out)["perplexity"].get<double>() == Approx(oracle(m, "fp32")).epsilon(1e-4));
        r = mixq::test::run_command(quote(MIXQ_CONVERT_EXE) + " " + quote(dir.string()) + " -o " + quote(scratch.file("o")) + " --table " +
                                        quote((dir / "tables" / (std::string(table) + ".json")).string()) + " --eval " + tokens + " --json",
                                    scratch);
        INFO(r.err);
        REQUIRE(r.code == 0);
        const auto q = nlohmann::json::parse(r.out)["quality"];
        CHECK(q["mixed_perplexity"].get<double>() == Approx(oracle(m, table)).epsilon(5e-4));
        CHECK(std::filesystem::exists(scratch.path / "o" / "config.json"));  // the output is a model directory too
    }
}

TEST_CASE("Mamba-2 family: presets, shards, GPTQ and inspect on the hybrid", "[cli][mamba2]") {
    mixq::test::temp_dir scratch;
    const auto dir = model_dir("nemotronh-fortunes");
    const auto in = quote(dir.string());
    const auto convert = quote(MIXQ_CONVERT_EXE) + " " + in + " -o ";
    // Streaming conversion into shards reads back exactly as one file.
    REQUIRE(mixq::test::run_command(convert + quote(scratch.file("one")) + " --preset aggressive", scratch).code == 0);
    const auto sh = mixq::test::run_command(convert + quote(scratch.file("sh")) + " --preset aggressive --max-shard-size 1MB", scratch);
    INFO(sh.err);
    REQUIRE(sh.code == 0);
    CHECK(std::filesystem::exists(scratch.path / "sh" / "model.safetensors.index.json"));
    CHECK(contains(sh.out, "int8"));
    // 8 windows of calibration tokens: the shards must evaluate exactly as the one file, which a prefix shows,
    // and GPTQ's Hessians need real inputs, not many (the sanitizer suite runs this too).
    mixq::test::write_tokens_npy(scratch.file("calib.npy"), mixq::test::first_tokens((dir / "calib_tokens.npy").string(), 8 * 128));
    const auto calib = quote(scratch.file("calib.npy"));
    const auto a = mixq::test::run_command(quote(MIXQ_EVAL_EXE) + " " + quote(scratch.file("one")) + " --tokens " + calib + " --json", scratch);
    const auto b = mixq::test::run_command(quote(MIXQ_EVAL_EXE) + " " + quote(scratch.file("sh")) + " --tokens " + calib + " --json", scratch);
    REQUIRE(a.code == 0);
    REQUIRE(b.code == 0);
    CHECK(nlohmann::json::parse(a.out)["perplexity"] == nlohmann::json::parse(b.out)["perplexity"]);
    // GPTQ's Hessians come from the hybrid's own layers: in_proj, out_proj, q/k/v/o, up/down.
    const auto g = mixq::test::run_command(convert + quote(scratch.file("gptq")) + " --table " +
                                               quote((dir / "tables" / "nemotronh_int4_g64_linear.json").string()) +
                                               " --lowbit-calibration gptq --calib " + calib + " --json",
                                           scratch);
    INFO(g.err);
    REQUIRE(g.code == 0);
    const auto meta = nlohmann::json::parse(mixq::test::read_bytes(scratch.file("gptq/metadata.json")));
    CHECK(meta["gptq"]["lowbit"] == true);
    CHECK(meta["gptq"]["tensors"] == 3 * 2 + 4 + 2 * 2);  // every projection of the table
    // inspect: the model's layer kinds and one line per role.
    const auto i = mixq::test::run_command(quote(MIXQ_INSPECT_EXE) + " " + in, scratch);
    REQUIRE(i.code == 0);
    CHECK(contains(i.out, "model: nemotron-h, 6 layers (3 mamba2, 1 attention, 2 mlp), pattern M-M*M-"));
    CHECK(contains(i.out, "backbone.layers.N.mixer.in_proj.weight                      3"));
    CHECK(contains(i.out, "layout mamba2"));
}

TEST_CASE("mixq-search on the hybrid: a table at the budget over its projections, the SSM core kept", "[cli][mamba2][search]") {
    mixq::test::temp_dir scratch;
    const auto dir = model_dir("nemotronh-fortunes");
    mixq::test::write_tokens_npy(scratch.file("calib.npy"), mixq::test::first_tokens((dir / "calib_tokens.npy").string(), 8 * 128));
    mixq::test::write_tokens_npy(scratch.file("eval.npy"), mixq::test::first_tokens((dir / "eval_tokens.npy").string(), 16 * 128));
    const auto r = mixq::test::run_command(quote(MIXQ_SEARCH_EXE) + " " + quote(dir.string()) + " --calib " + quote(scratch.file("calib.npy")) +
                                               " --eval " + quote(scratch.file("eval.npy")) +
                                               " --target-ratio 5 --candidates int8,int4_g64 --sensitivity-windows 2 --frontier-points 1"
                                               " --no-reference-points --knapsack-only --threads 2 -o " + quote(scratch.file("s")),
                                           scratch);
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto meta = nlohmann::json::parse(mixq::test::read_bytes(scratch.file("s/metadata.json")));
    CHECK(meta["compression_stats"]["compression_ratio"].get<double>() >= 5.0);
    const auto table = nlohmann::json::parse(mixq::test::read_bytes(scratch.file("s/table.json")));
    std::size_t searched = 0;
    for (const auto& rule : table["rules"]) {
        const auto name = rule[0].get<std::string>(), prec = rule[1].get<std::string>();
        const bool projection = name.ends_with("_proj.weight") || name.ends_with("embeddings.weight") || name == "lm_head.weight";
        const bool lowered = prec == "int8" || prec == "int4_g64";
        INFO(name << " " << prec);
        CHECK(lowered == projection);  // the core, conv and norms stay float
        if (projection) ++searched;
    }
    CHECK(searched == 2 + 3 * 2 + 4 + 2 * 2);
    CHECK(std::filesystem::exists(scratch.path / "s" / "config.json"));
    CHECK(contains(r.out, "mixer.q_proj"));  // one line per role in the report
}
