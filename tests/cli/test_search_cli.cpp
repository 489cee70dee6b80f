// Runs mixq-search end to end on the bundled model with few tokens: its outputs, mixq-convert reproducing
// the same checkpoint from table.json, determinism, and bad input (exit 2, nothing written).
#include <cstdlib>
#include <map>
#include <mixq/io/npy.hpp>
#include <nlohmann/json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/run_cli.hpp"

namespace {
using mixq::test::quote;
using result = mixq::test::cli_result;
result run(const std::string& cmd, const mixq::test::temp_dir& scratch) { return mixq::test::run_command(cmd, scratch); }
// The first n tokens of a fixture token file, as a new .npy (int32, as the fixtures are).
void write_head(const std::string& from, std::size_t n, const std::string& to) {
    const auto raw = mixq::test::read_bytes(mixq::test::fixture(from));
    const std::size_t header = 10 + (static_cast<unsigned char>(raw[8]) | static_cast<std::size_t>(static_cast<unsigned char>(raw[9])) << 8);
    std::string h = "{'descr': '<i4', 'fortran_order': False, 'shape': (" + std::to_string(n) + ",), }";
    h.append(117 - h.size(), ' ');
    h += '\n';
    std::string out = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(h.size() & 0xff) + static_cast<char>(h.size() >> 8) + h;
    mixq::test::write_bytes(to, out + raw.substr(header, 4 * n));
}
}  // namespace

TEST_CASE("mixq-search: seven outputs, a table mixq-convert turns into the same bytes, deterministic", "[cli][search]") {
    mixq::test::temp_dir scratch, work;
    const auto model = quote(mixq::test::fixture("model.safetensors"));
    write_head("calib_tokens.npy", 8 * 128, work.file("calib.npy"));
    write_head("eval_tokens.npy", 16 * 128, work.file("eval.npy"));
    const auto args = model + " --calib " + quote(work.file("calib.npy")) + " --eval " + quote(work.file("eval.npy")) +
                      " --target-ratio 6 --candidates int8,int4_g128,int4_g64 --sensitivity-windows 2 --frontier-points 1 "
                      "--no-reference-points --threads 2 --gptq-damp 0.02 -o ";
    const auto r = run(quote(MIXQ_SEARCH_EXE) + " " + args + quote(work.file("a")), scratch);
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("budget: compression ratio >= 6") != std::string::npos);
    CHECK(r.out.find("SSM core kept at fp16") != std::string::npos);
    for (const char* f : {"table.json", "search.json", "frontier.svg", "model.safetensors", "metadata.json", "statistics.json",
                          "precision_allocation.svg"})
        CHECK(std::filesystem::exists(work.path / "a" / f));
    const auto meta = nlohmann::json::parse(mixq::test::read_bytes(work.file("a/metadata.json")));
    const auto search = nlohmann::json::parse(mixq::test::read_bytes(work.file("a/search.json")));
    CHECK(meta["compression_stats"]["compression_ratio"].get<double>() >= 6.0);
    CHECK(meta["quality"]["mixed_perplexity"].get<double>() == search["measured_perplexity"].get<double>());
    CHECK(meta["quality"]["delta_stderr_percent"].get<double>() == search["points"][0]["delta_stderr_percent"].get<double>());
    CHECK(meta["quality"]["delta_stderr_percent"].get<double>() > 0.0);
    CHECK(meta["search"]["budget"] == "compression ratio >= 6");
    {  // the written table: the knapsack's, or a preset / uniform table that fits and diverged less on held-out windows
        const auto& e = search["selection"]["entries"];
        REQUIRE(e.size() >= 1);
        CHECK(search["selection"]["held_out_windows"] == 6);  // 8 calibration windows, 2 for the sensitivities
        std::string written;
        for (const auto& x : e)
            if (x["written"].get<bool>()) written = x["label"].get<std::string>();
        CHECK(search["points"][0]["kind"] == "searched");  // the search's output, whichever table won
        CHECK(search["points"][0]["label"] == written + " (chosen)");
    }
    {  // the chosen table, one line per tensor role: in_proj's line counts the layers at each precision as table.json
        const auto table = nlohmann::json::parse(mixq::test::read_bytes(work.file("a/table.json")));
        std::map<std::string, int> layers_at;
        for (const auto& rule : table["rules"])
            if (rule[0].get<std::string>().find(".ssm.in_proj.weight") != std::string::npos) ++layers_at[rule[1].get<std::string>()];
        REQUIRE(!layers_at.empty());
        const auto at = r.out.find("\n  ssm.in_proj ");
        REQUIRE(at != std::string::npos);
        const auto line = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
        INFO(line);
        for (const auto& [p, n] : layers_at)
            CHECK(line.find(p + " in " + std::to_string(n) + (n == 1 ? " layer (" : " layers (")) != std::string::npos);
        CHECK(r.out.find("\n  layers.") == std::string::npos);  // no line per layer
        CHECK(r.out.find("ssm.in_proj", at + 1 + line.size()) == std::string::npos);  // and one line only
    }

    // The command search.json records (the search's own conversion options as mixq-convert's flags, the
    // non-default GPTQ damping included) turns table.json into the same checkpoint, byte for byte.
    CHECK(search["calibration"]["int8"] == "percentile:99.99+gptq");
    CHECK(search["calibration"]["below_int8"] == "mse+gptq");
    auto command = meta["search"]["convert_command"].get<std::string>();
    INFO(command);
    CHECK(command.find(" --calibration gptq --lowbit-calibration mse+gptq --gptq-damp 0.02 --calib ") != std::string::npos);
    REQUIRE(command.rfind("mixq-convert ", 0) == 0);
    REQUIRE(command.find(" -o DIR --table table.json ") != std::string::npos);
    command.replace(command.find(" -o DIR --table table.json "), 27,
                    " -o " + quote(work.file("c")) + " --table " + quote(work.file("a/table.json")) + " ");
    command.replace(0, 12, quote(MIXQ_CONVERT_EXE));
    const auto c = run(command + " --eval " + quote(work.file("eval.npy")) + " --json", scratch);
    INFO(c.err);
    REQUIRE(c.code == 0);
    CHECK(mixq::test::read_bytes(work.file("c/model.safetensors")) == mixq::test::read_bytes(work.file("a/model.safetensors")));
    CHECK(nlohmann::json::parse(c.out)["quality"]["mixed_perplexity"].get<double>() == meta["quality"]["mixed_perplexity"].get<double>());

    // The same inputs give the same files (metadata.json differs in its timing field only).
    const auto again = run(quote(MIXQ_SEARCH_EXE) + " " + args + quote(work.file("b")), scratch);
    REQUIRE(again.code == 0);
    for (const char* f : {"table.json", "search.json", "frontier.svg", "model.safetensors", "statistics.json"})
        CHECK(mixq::test::read_bytes(work.file(std::string("a/") + f)) == mixq::test::read_bytes(work.file(std::string("b/") + f)));
}

TEST_CASE("mixq-search bad input: exit 2, a message naming the problem, nothing written", "[cli][search][bad_input]") {
    mixq::test::temp_dir scratch, work;
    const auto model = quote(mixq::test::fixture("model.safetensors"));
    write_head("calib_tokens.npy", 4 * 128, work.file("calib.npy"));
    write_head("eval_tokens.npy", 4 * 128, work.file("eval.npy"));
    const auto tokens = " --calib " + quote(work.file("calib.npy")) + " --eval " + quote(work.file("eval.npy"));
    const auto bad = std::string(MIXQ_BAD_INPUTS_DIR) + "/tokens_out_of_vocab.npy";
    struct bad_case {
        std::string args, expect;
    };
    for (const auto& b : {bad_case{tokens + " --target-ratio 40 --sensitivity-windows 1", "--target-ratio 40: impossible; with these candidates the ratio ranges from"},
                          {tokens + " --target-ratio 6 --candidates int8,int5", "--candidates: unknown precision 'int5'"},
                          {tokens, "a budget is required"},
                          {" --eval " + quote(work.file("eval.npy")) + " --target-ratio 6", "--calib is required"},
                          {" --calib " + quote(work.file("calib.npy")) + " --target-ratio 6", "--eval is required"},
                          {" --calib " + quote(bad) + " --eval " + quote(work.file("eval.npy")) + " --target-ratio 6", "outside the vocabulary"},
                          {tokens + " --target-ratio 6 --max-ppl-increase 1", "excludes"},
                          {tokens + " --max-ppl-increase 0 --candidates int4_g128 --sensitivity-windows 1 --no-reference-points --frontier-points 0",
                           "--max-ppl-increase 0: impossible"}}) {
        INFO(b.args);
        const auto r = run(quote(MIXQ_SEARCH_EXE) + " " + model + " -o " + quote(work.file("o")) + b.args, scratch);
        CHECK(r.code == 2);
        INFO(r.err);
        CHECK(r.err.find(b.expect) != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(work.path / "o"));
    }
}

TEST_CASE("mixq-search --format gguf: a model.gguf within the size, table.json that mixq-convert turns into the same file, bad input",
          "[cli][search][gguf]") {
    mixq::test::temp_dir scratch, work;
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    const auto model = quote((hf / "model.safetensors").string());
    write_head("../hf-mamba-fortunes/calib_tokens.npy", 6 * 128, work.file("calib.npy"));
    write_head("../hf-mamba-fortunes/eval_tokens.npy", 4 * 128, work.file("eval.npy"));
    const auto tokens = " --calib " + quote(work.file("calib.npy")) + " --eval " + quote(work.file("eval.npy"));
    const auto base = model + tokens + " --format gguf --sensitivity-windows 2 --frontier-points 0 --no-reference-points --threads 2";
    const auto common = base + " --candidates q4_0,q5_0,q8_0";
    const auto r = run(quote(MIXQ_SEARCH_EXE) + " " + common + " --target-size 1200KiB --lowbit-calibration mse+gptq -o " + quote(work.file("a")), scratch);
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("budget: GGUF file of at most 1228800 bytes") != std::string::npos);
    CHECK(r.out.find("rounding: mse+gptq: mixq's GPTQ inside each type's codes") != std::string::npos);
    for (const char* f : {"model.gguf", "metadata.json", "table.json", "search.json", "frontier.svg"})
        CHECK(std::filesystem::exists(work.path / "a" / f));
    const auto search = nlohmann::json::parse(mixq::test::read_bytes(work.file("a/search.json")));
    const auto size = std::filesystem::file_size(work.path / "a" / "model.gguf");
    CHECK(size <= 1228800u);
    CHECK(search["file_bytes"].get<std::uintmax_t>() == size);
    // mixq-eval reads the file and measures what the search measured.
    const auto e = run(quote(MIXQ_EVAL_EXE) + " " + quote(work.file("a/model.gguf")) + " --tokens " + quote(work.file("eval.npy")) + " --json", scratch);
    INFO(e.err);
    REQUIRE(e.code == 0);
    CHECK(nlohmann::json::parse(e.out)["perplexity"].get<double>() == Approx(search["measured_perplexity"].get<double>()).epsilon(1e-9));
    // mixq-convert with the same rounding turns table.json into the same model.gguf, byte for byte.
    const auto c = run(quote(MIXQ_CONVERT_EXE) + " " + model + " -o " + quote(work.file("c")) + " --format gguf --table " +
                           quote(work.file("a/table.json")) + " --calib " + quote(work.file("calib.npy")) + " --lowbit-calibration mse+gptq",
                       scratch);
    INFO(c.err);
    REQUIRE(c.code == 0);
    CHECK(mixq::test::read_bytes(work.file("c/model.gguf")) == mixq::test::read_bytes(work.file("a/model.gguf")));

    struct bad {
        std::string args, expect;
    };
    for (const auto& b : std::vector<bad>{
             {common + " --target-size 100KB", "impossible; with these candidates the file ranges from"},
             {base + " --target-size 1MB --candidates q4_0,int4_g64", "int4_g64 is not a GGUF candidate"},
             {common + " --max-ppl-increase 1", "--max-ppl-increase is not available with --format gguf yet"},
             {common + " --target-size 1MB --lowbit-calibration mse", "--lowbit-calibration 'mse': expected max, imatrix, gptq or mse+gptq"},
             {common + " --target-size 1MB --lowbit-calibration max --gptq-act-order", "applies with --lowbit-calibration gptq or mse+gptq only"},
             {common + " --target-size 1MB --widen-core", "--widen-core does not apply to --format gguf"},
             {model + tokens + " --target-size 1MB", "--target-size applies with --format gguf only"},
             {quote(mixq::test::fixture("model.safetensors")) + " --calib " + quote(mixq::test::fixture("calib_tokens.npy")) + " --eval " +
                  quote(mixq::test::fixture("calib_tokens.npy")) + " --format gguf --target-bpw 5",
              "the Itera-Lite layout has no llama.cpp architecture"},
         }) {
        INFO(b.args);
        const auto x = run(quote(MIXQ_SEARCH_EXE) + " " + b.args + " -o " + quote(work.file("o")), scratch);
        CHECK(x.code == 2);
        INFO(x.err);
        CHECK(x.err.find(b.expect) != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(work.path / "o"));
    }
}
