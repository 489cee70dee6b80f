// Runs the mixq-convert and mixq-inspect binaries: the report, --json, and every bad input (exit 2, no output files).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mixq/gguf/imatrix.hpp>
#include <mixq/io/safetensors_reader.hpp>
#include <mixq/io/safetensors_writer.hpp>
#include <nlohmann/json.hpp>
#include <vector>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/sizes.hpp"
#include "support/run_cli.hpp"
#include "support/token_files.hpp"

namespace {
using mixq::test::first_tokens;
using mixq::test::write_tokens_npy;
using mixq::test::quote;
using result = mixq::test::cli_result;
result run(const std::string& exe, const std::string& args, const mixq::test::temp_dir& scratch) {
    return mixq::test::run_command(quote(exe) + " " + args, scratch);
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
std::string st(const std::string& header, const std::string& data, std::uint64_t len = ~0ull) {
    return mixq::test::raw_safetensors(header, data, len);
}
}  // namespace

TEST_CASE("mixq-convert on the fixture prints its report and writes four files", "[cli]") {
    mixq::test::temp_dir scratch, out;
    const auto r = run(MIXQ_CONVERT_EXE, quote(mixq::test::fixture("model.safetensors")) + " -o " + quote(out.file("o")) +
                                             " --preset conservative", scratch);
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(has(r.out, "int8"));
    CHECK(has(r.out, "1,040,384"));
    CHECK(has(r.out, "compression"));
    CHECK(has(r.out, "match no rule"));
    CHECK(has(r.out, "time:"));
    CHECK(std::filesystem::exists(out.path / "o" / "precision_allocation.svg"));
}

TEST_CASE("mixq-convert --json prints a parseable report and --table takes the seed's dict form", "[cli]") {
    mixq::test::temp_dir scratch, out;
    mixq::test::write_bytes(out.file("seed.json"),
                            R"({"embedding.weight": "int8", "position_embedding.weight": "int8", "lm_head.weight": "int8",
                                "layers.*.ssm.*": "fp16", "layers.*.moe.*": "fp16", "norm_f.*": "fp16"})");
    const auto r = run(MIXQ_CONVERT_EXE, quote(mixq::test::fixture("model.safetensors")) + " -o " + quote(out.file("o")) +
                                             " --table " + quote(out.file("seed.json")) + " --json --strict", scratch);
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["compression_stats"]["fp32_params"] == 0);
    CHECK(j["compression_stats"]["int8_params"] == 1'040'384);
    CHECK(j["table"] == "seed");
    CHECK(j["unused_rules"].empty());
}

TEST_CASE("mixq-inspect lists tensors with their deciding rule and writes nothing", "[cli]") {
    mixq::test::temp_dir scratch;
    const auto r = run(MIXQ_INSPECT_EXE, quote(mixq::test::fixture("model.safetensors")) + " --preset aggressive", scratch);
    REQUIRE(r.code == 0);
    CHECK(has(r.out, "layers.0.ssm.in_proj.weight"));
    CHECK(has(r.out, "#4 layers.*.ssm.in_proj.*"));
    CHECK(has(r.out, "itera-lite"));
    CHECK(scratch.entries() == 2);  // only the captured stdout/stderr
}

TEST_CASE("every bad input gives exit 2 with a message naming the culprit and no output files", "[cli][bad_input]") {
    mixq::test::temp_dir files;
    const std::string f8(8, '\x01');
    const auto nan_bits = std::string("\x00\x00\xc0\x7f", 4);  // quiet NaN, little-endian
    struct bad {
        const char* what;
        std::string file;        // contents of the input checkpoint
        const char* message;     // expected in stderr
        std::string extra = "";  // more arguments
        bool missing = false;    // no input file at all
    };
    const std::string good = st(R"({"embedding.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", f8);
    mixq::test::write_bytes(files.file("unknown_precision.json"), R"([["*", "int7"]])");
    mixq::test::write_bytes(files.file("bad_regex.json"), R"([["re:layers.(", "int8"]])");
    mixq::test::write_bytes(files.file("not_json.json"), "rules: everything int8");
    const std::vector<bad> cases{
        {"missing file", "", "cannot open", "", true},
        {"empty file", "", "empty file"},
        {"header longer than file", st(R"({})", "", 4096), "larger than the file"},
        {"header not JSON", st("{\"a\": ", ""), "not valid JSON"},
        {"unknown dtype", st(R"({"w":{"dtype":"Q3","shape":[2],"data_offsets":[0,8]}})", f8), "unknown dtype 'Q3'"},
        {"shape vs bytes", st(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", f8), "tensor 'w'"},
        {"range outside file", st(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", f8), "outside the data section"},
        {"overlapping ranges",
         st(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f8),
         "overlapping"},
        {"duplicate names",
         st(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f8),
         "duplicate tensor name 'a'"},
        {"NaN in a quantized tensor",
         st(R"({"embedding.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}})", std::string("\0\0\x80\x3f", 4) + nan_bits),
         "'embedding.weight' contains NaN"},
        {"unknown precision in table", good, "unknown precision 'int7'", "--table " + files.file("unknown_precision.json")},
        {"invalid regex", good, "invalid regular expression", "--table " + files.file("bad_regex.json")},
        {"table not JSON", good, "not valid JSON", "--table " + files.file("not_json.json")},
        {"output directory not writable", good, "cannot create output directory"},
        {"unknown preset", good, "unknown preset 'fast'", "--preset fast"},
        {"unknown calibration", good, "--calibration 'kl'", "--calibration kl"},
        {"percentile out of range", good, "--percentile", "--percentile 0"},
        {"usage: no output", good, "usage error"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        mixq::test::temp_dir scratch, out;
        const auto in = files.file("in.safetensors");
        std::filesystem::remove(in);
        if (!c.missing) mixq::test::write_bytes(in, c.file);
        std::string target = out.file("o");
        if (std::string(c.what) == "output directory not writable") {
            mixq::test::write_bytes(out.file("blocker"), "a file, not a directory");
            target = out.file("blocker") + "/o";
        }
        const std::string args = std::string(c.what) == "usage: no output" ? quote(in) + " -o"
                                                                            : quote(in) + " -o " + quote(target) + " " + c.extra;
        const auto r = run(MIXQ_CONVERT_EXE, args, scratch);
        INFO(r.err);
        CHECK(r.code == 2);
        CHECK(has(r.err, c.message));
        CHECK_FALSE(std::filesystem::exists(out.path / "o"));  // nothing created, not even the directory
    }
}

TEST_CASE("mixq-convert refuses to overwrite its input", "[cli][bad_input]") {
    mixq::test::temp_dir scratch, dir;
    std::filesystem::copy_file(mixq::test::fixture("model.safetensors"), dir.file("model.safetensors"));
    const auto r = run(MIXQ_CONVERT_EXE, quote(dir.file("model.safetensors")) + " -o " + quote(dir.path.string()), scratch);
    CHECK(r.code == 2);
    CHECK(has(r.err, "refusing to overwrite"));
    CHECK(dir.entries() == 1);
}

TEST_CASE("mixq-eval prints perplexity and --json, mixq-convert --eval records quality", "[cli][eval]") {
    mixq::test::temp_dir scratch, out;
    const auto tokens = mixq::test::fixture("eval_tokens.npy");
    auto r = run(MIXQ_EVAL_EXE, quote(mixq::test::fixture("model.safetensors")) + " --tokens " + quote(tokens) +
                                    " --json --threads 2", scratch);
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["perplexity"].get<double>() == Approx(141.41177885687978).epsilon(1e-4));  // oracle.json fp32
    CHECK(j["tokens_scored"] == 28321);
    CHECK(j["windows"] == 223);

    r = run(MIXQ_CONVERT_EXE, quote(mixq::test::fixture("model.safetensors")) + " -o " + quote(out.file("o")) +
                                  " --preset conservative --threads 2 --eval " + quote(tokens), scratch);
    REQUIRE(r.code == 0);
    CHECK(has(r.out, "quality: perplexity 141.41"));
    const auto meta = nlohmann::json::parse(mixq::test::read_bytes(out.file("o/metadata.json")));
    CHECK(meta["quality"]["fp32_perplexity"].get<double>() == Approx(141.41177885687978).epsilon(1e-4));
    CHECK(meta["quality"]["mixed_perplexity"].get<double>() == Approx(141.44771189962952).epsilon(5e-4));
    CHECK(meta["quality"]["delta_percent"].get<double>() == Approx(0.0254).margin(0.002));
    CHECK(meta["quality"]["eval_tokens"] == 28321);
    // int8 changes each window's loss a little and alike: a small, nonzero paired uncertainty.
    CHECK(meta["quality"]["eval_windows"] == 223);
    CHECK(meta["quality"]["delta_stderr_percent"].get<double>() > 0.0);
    CHECK(meta["quality"]["delta_stderr_percent"].get<double>() < meta["quality"]["delta_percent"].get<double>());
    CHECK(has(r.out, "(standard error over 223 windows)"));
}

TEST_CASE("a bad token file stops mixq-convert --eval before anything is written", "[cli][bad_input]") {
    mixq::test::temp_dir scratch, out;
    mixq::test::write_bytes(out.file("tokens.npy"), "not numpy");
    auto r = run(MIXQ_CONVERT_EXE, quote(mixq::test::fixture("model.safetensors")) + " -o " + quote(out.file("o")) +
                                       " --eval " + quote(out.file("tokens.npy")), scratch);
    CHECK(r.code == 2);
    CHECK(has(r.err, "tokens.npy"));
    CHECK_FALSE(std::filesystem::exists(out.path / "o"));
    r = run(MIXQ_EVAL_EXE, quote(mixq::test::fixture("model.safetensors")) + " --tokens " + quote(out.file("tokens.npy")), scratch);
    CHECK(r.code == 2);
}

TEST_CASE("mixq-convert --calib records activation ranges and --calibration mse is accepted", "[cli][calibration]") {
    mixq::test::temp_dir scratch, out;
    // Eight windows and a partial one (left out) of the calibration tokens: the ranges of every linear
    // input are recorded from any number of windows, and the sanitizer run needs no more.
    write_tokens_npy(out.file("calib.npy"), first_tokens(mixq::test::fixture("calib_tokens.npy"), 8 * 128 + 50));
    const auto r = run(MIXQ_CONVERT_EXE, quote(mixq::test::fixture("model.safetensors")) + " -o " + quote(out.file("o")) +
                                             " --preset aggressive --calibration mse --calib " + quote(out.file("calib.npy")) +
                                             " --activation-calibration entropy",
                       scratch);
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto meta = nlohmann::json::parse(mixq::test::read_bytes(out.file("o/metadata.json")));
    CHECK(meta["calibration_method"] == "mse");
    CHECK(meta["percentile"].is_null());
    CHECK(meta["activation_ranges"]["method"] == "entropy");
    CHECK(meta["activation_ranges"]["layers"].size() == 39);
    CHECK(meta["activation_ranges"]["tokens"] == 8 * 128);  // whole windows of 128 only
    const auto bad = run(MIXQ_CONVERT_EXE, quote(mixq::test::fixture("model.safetensors")) + " -o " + quote(out.file("p")) +
                                               " --calib " + quote(out.file("calib.npy")) + " --activation-calibration kl", scratch);
    CHECK(bad.code == 2);
    CHECK(has(bad.err, "--activation-calibration 'kl'"));
    CHECK_FALSE(std::filesystem::exists(out.path / "p"));
}

TEST_CASE("mixq-convert --format gguf writes model.gguf that mixq-eval and mixq-inspect read", "[cli][gguf]") {
    mixq::test::temp_dir scratch, out;
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    // The first 2,048 eval tokens (512 under the sanitizers, which evaluate them three times): what is compared
    // is the in-memory and on-disk perplexity of the same file, which a prefix shows as well as all of it.
    write_tokens_npy(out.file("tokens.npy"), first_tokens((hf / "eval_tokens.npy").string(), mixq::test::sized<std::size_t>(2048, 512)));
    const auto model = quote((hf / "model.safetensors").string()), tokens = quote(out.file("tokens.npy"));
    const auto r = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("o")) + " --format gguf --preset int8-linear --eval " +
                                             tokens + " --json", scratch);
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["format"] == "gguf");
    CHECK(j["file_bytes"] == std::filesystem::file_size(out.path / "o" / "model.gguf"));
    CHECK(j["overrides"].size() == 8);
    const double reported = j["quality"]["gguf_perplexity"];
    CHECK(std::filesystem::exists(out.path / "o" / "metadata.json"));
    CHECK(nlohmann::json::parse(mixq::test::read_bytes(out.file("o/metadata.json")))["quality"]["gguf_perplexity"] == reported);
    // the file on disk evaluates to what the converter measured in memory before writing it
    const auto e = run(MIXQ_EVAL_EXE, quote(out.file("o/model.gguf")) + " --tokens " + tokens + " --json", scratch);
    REQUIRE(e.code == 0);
    CHECK(nlohmann::json::parse(e.out)["perplexity"] == reported);
    const auto i = run(MIXQ_INSPECT_EXE, quote(out.file("o/model.gguf")), scratch);
    REQUIRE(i.code == 0);
    CHECK(has(i.out, "GGUF v3, 42 tensors"));
    CHECK(has(i.out, "blk.3.ssm_a"));
    CHECK(has(i.out, "backbone.layers.3.mixer.A"));
    const auto text = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("t")) + " --format gguf", scratch);
    REQUIRE(text.code == 0);
    CHECK(has(text.out, "overrides (7 kinds)"));  // conservative: the F32 roles, no short Q8_0 rows
    CHECK(has(text.out, "wrote "));
}

TEST_CASE("mixq-inspect on a GGUF file: one line per role, each tensor only for a small file or with --tensors", "[cli][gguf]") {
    // 11 layers (the fixture's 4 repeated): 112 tensors, over the 100 that a per-tensor listing stops at.
    mixq::test::temp_dir scratch, out;
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    const auto src = mixq::io::safetensors_file::open((hf / "model.safetensors").string());
    constexpr int layers = 11;
    std::vector<mixq::io::tensor_out> tensors;
    std::vector<std::string> names;
    names.reserve(200);
    for (const auto& t : src.tensors()) {
        const auto at = t.name.find("layers.");
        if (at == std::string::npos) {
            tensors.push_back({t.name, t.type, t.shape, t.bytes});
            continue;
        }
        const int l = std::stoi(t.name.substr(at + 7));
        const auto rest = t.name.substr(t.name.find('.', at + 7));
        for (int k = l; k < layers; k += 4) {
            names.push_back(t.name.substr(0, at + 7) + std::to_string(k) + rest);
            tensors.push_back({names.back(), t.type, t.shape, t.bytes});
        }
    }
    std::filesystem::create_directories(out.path / "deep");
    mixq::io::write_safetensors(out.file("deep/model.safetensors"), tensors);
    auto config = nlohmann::json::parse(mixq::test::read_bytes((hf / "config.json").string()));
    config["num_hidden_layers"] = layers;
    std::ofstream(out.file("deep/config.json")) << config.dump();
    const auto c = run(MIXQ_CONVERT_EXE, quote(out.file("deep")) + " -o " + quote(out.file("g")) + " --format gguf --preset Q4_K_M", scratch);
    INFO(c.err);
    REQUIRE(c.code == 0);
    const auto i = run(MIXQ_INSPECT_EXE, quote(out.file("g/model.gguf")), scratch);
    REQUIRE(i.code == 0);
    CHECK(has(i.out, "GGUF v3, 112 tensors"));
    CHECK(has(i.out, "backbone.layers.N.mixer.in_proj.weight"));  // a role line: the 11 layers' in_proj, their types counted
    const auto in_proj = i.out.substr(i.out.find("backbone.layers.N.mixer.in_proj.weight"));
    const auto line = in_proj.substr(0, in_proj.find('\n'));
    INFO(line);
    CHECK(has(line, " 11 "));
    int counted = 0;  // the types' counts, "Q4_K (8), Q6_K (3)", add up to the 11 tensors
    for (auto at = line.find('('); at != std::string::npos; at = line.find('(', at + 1)) counted += std::stoi(line.substr(at + 1));
    CHECK(counted == 11);
    CHECK(has(i.out, "(112 tensors: --tensors lists each)"));
    CHECK_FALSE(has(i.out, "blk.10.ssm_in.weight"));
    const auto all = run(MIXQ_INSPECT_EXE, quote(out.file("g/model.gguf")) + " --tensors", scratch);
    REQUIRE(all.code == 0);
    CHECK(has(all.out, "blk.10.ssm_in.weight"));
    CHECK(has(all.out, "backbone.layers.10.mixer.in_proj.weight"));
}

TEST_CASE("mixq-convert --format gguf refuses an output model.gguf that is a directory and writes nothing", "[cli][gguf][bad_input]") {
    mixq::test::temp_dir scratch, out;
    std::filesystem::create_directories(out.path / "o" / "model.gguf");
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    const auto r = run(MIXQ_CONVERT_EXE, quote((hf / "model.safetensors").string()) + " -o " + quote(out.file("o")) + " --format gguf",
                       scratch);
    CHECK(r.code == 2);
    CHECK(has(r.err, "model.gguf exists and is a directory"));
    CHECK_FALSE(std::filesystem::exists(out.path / "o" / "metadata.json"));
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& x : std::filesystem::directory_iterator(out.path / "o")) ++entries;
    CHECK(entries == 1);  // only the directory that was there
}

TEST_CASE("a Hugging Face model directory is read through its model.safetensors, bad shards and .pt files are refused clearly",
          "[cli][bad_input]") {
    mixq::test::temp_dir scratch, out;
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    // The first 2,048 eval tokens: the directory and the file must give the same perplexity, which a
    // prefix shows as well as all of it (the whole eval set is evaluated in the oracle tests).
    write_tokens_npy(out.file("tokens.npy"), first_tokens((hf / "eval_tokens.npy").string(), 2048));
    const auto tokens = quote(out.file("tokens.npy"));
    const auto file = run(MIXQ_EVAL_EXE, quote((hf / "model.safetensors").string()) + " --tokens " + tokens + " --json", scratch);
    const auto dir = run(MIXQ_EVAL_EXE, quote(hf.string()) + " --tokens " + tokens + " --json", scratch);
    REQUIRE(file.code == 0);
    REQUIRE(dir.code == 0);
    CHECK(nlohmann::json::parse(dir.out)["perplexity"] == nlohmann::json::parse(file.out)["perplexity"]);
    const auto c = run(MIXQ_CONVERT_EXE, quote(hf.string()) + " -o " + quote(out.file("o")), scratch);
    CHECK(c.code == 0);
    CHECK(std::filesystem::exists(out.path / "o" / "model.safetensors"));
    // The input's config.json travels with the weights: the output is a model directory as well.
    CHECK(mixq::test::read_bytes(out.file("o/config.json")) == mixq::test::read_bytes((hf / "config.json").string()));
    auto refused = [&](const std::string& name, const std::string& what) {
        const auto d = out.path / name;
        std::filesystem::create_directories(d);
        const auto r = run(MIXQ_CONVERT_EXE, quote(d.string()) + " -o " + quote(out.file(name + "-out")), scratch);
        CHECK(r.code == 2);
        CHECK(has(r.err, what));
        CHECK_FALSE(std::filesystem::exists(out.path / (name + "-out")));
    };
    refused("empty", "a directory with neither model.safetensors");
    std::filesystem::create_directories(out.path / "sharded");
    mixq::test::write_bytes(out.file("sharded/model.safetensors.index.json"), R"({"weight_map": {"a": "missing.safetensors"}})");
    refused("sharded", "shard 'missing.safetensors' (listed for 'a') does not exist");
    std::filesystem::create_directories(out.path / "torch");
    mixq::test::write_bytes(out.file("torch/model.pt"), "PK");
    refused("torch", "model.pt: not a PyTorch zip checkpoint");
    std::filesystem::create_directories(out.path / "two");
    mixq::test::write_bytes(out.file("two/a.pt"), "PK");
    mixq::test::write_bytes(out.file("two/b.pt"), "PK");
    refused("two", "holds several PyTorch checkpoints (a.pt, b.pt); name the one to read");
    std::filesystem::create_directories(out.path / "bin-sharded");
    mixq::test::write_bytes(out.file("bin-sharded/pytorch_model.bin.index.json"), "{}");
    refused("bin-sharded", "a sharded PyTorch checkpoint");
}

TEST_CASE("every CLI reads a torch.save checkpoint, and the report says which state dict it took", "[cli][pytorch]") {
    mixq::test::temp_dir scratch, out;
    const auto pt = quote((std::filesystem::path(MIXQ_PT_DIR) / "wrapped.pt").string());
    const auto st = quote((std::filesystem::path(MIXQ_PT_DIR) / "small.safetensors").string());
    const auto c = run(MIXQ_CONVERT_EXE, pt + " -o " + quote(out.file("o")) + " --preset int8-linear", scratch);
    REQUIRE(c.code == 0);
    CHECK(has(c.out, "the state dict under 'model_state_dict'; its other entries (optimizer_state_dict, epoch, best_val_loss)"));
    const auto meta = nlohmann::json::parse(mixq::test::read_bytes(out.file("o/metadata.json")));
    CHECK(meta["source"]["format"] == "pytorch");
    CHECK(meta["source"]["state_dict"] == "model_state_dict");
    REQUIRE(run(MIXQ_CONVERT_EXE, st + " -o " + quote(out.file("s")) + " --preset int8-linear", scratch).code == 0);
    CHECK(mixq::test::read_bytes(out.file("o/model.safetensors")) == mixq::test::read_bytes(out.file("s/model.safetensors")));
    const auto i = run(MIXQ_INSPECT_EXE, pt, scratch);
    CHECK(i.code == 0);
    CHECK(has(i.out, "backbone.layers.1.mixer.out_proj.weight"));
    // Tokens inside the random model's vocabulary (384): the same perplexity from either file.
    std::vector<std::int32_t> ids(600);
    for (std::uint32_t k = 0; k < 600; ++k) ids[k] = static_cast<std::int32_t>((k * 37 + 11) % 384);
    const auto tokens = out.file("t.npy");
    write_tokens_npy(tokens, ids);
    const auto a = run(MIXQ_EVAL_EXE, pt + " --tokens " + quote(tokens) + " --json", scratch);
    const auto b = run(MIXQ_EVAL_EXE, st + " --tokens " + quote(tokens) + " --json", scratch);
    REQUIRE(a.code == 0);
    REQUIRE(b.code == 0);
    CHECK(nlohmann::json::parse(a.out)["perplexity"] == nlohmann::json::parse(b.out)["perplexity"]);
}

TEST_CASE("mixq-convert --max-shard-size shards the output, and mixq-eval reads the shards as the single file", "[cli][sharded]") {
    mixq::test::temp_dir scratch, out;
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    // The first 2,048 eval tokens: the two files' perplexities must be equal, which a prefix shows as well
    // as all of it, and the sanitizer run evaluates it twice.
    write_tokens_npy(out.file("tokens.npy"), first_tokens((hf / "eval_tokens.npy").string(), 2048));
    const auto tokens = quote(out.file("tokens.npy"));
    REQUIRE(run(MIXQ_CONVERT_EXE, quote(hf.string()) + " -o " + quote(out.file("one")) + " --preset int8-linear", scratch).code == 0);
    const auto s = run(MIXQ_CONVERT_EXE, quote(hf.string()) + " -o " + quote(out.file("sh")) + " --preset int8-linear --max-shard-size 500KB", scratch);
    REQUIRE(s.code == 0);
    CHECK(has(s.out, "model-*-of-*.safetensors, model.safetensors.index.json"));
    CHECK(std::filesystem::exists(out.path / "sh" / "model.safetensors.index.json"));
    CHECK_FALSE(std::filesystem::exists(out.path / "sh" / "model.safetensors"));
    const auto a = run(MIXQ_EVAL_EXE, quote(out.file("one")) + " --tokens " + tokens + " --json", scratch);
    const auto b = run(MIXQ_EVAL_EXE, quote(out.file("sh")) + " --tokens " + tokens + " --json", scratch);
    REQUIRE(a.code == 0);
    REQUIRE(b.code == 0);
    CHECK(nlohmann::json::parse(a.out)["perplexity"] == nlohmann::json::parse(b.out)["perplexity"]);
    const auto bad = run(MIXQ_CONVERT_EXE, quote(hf.string()) + " -o " + quote(out.file("bad")) + " --max-shard-size 5parsecs", scratch);
    CHECK(bad.code == 2);
    CHECK(has(bad.err, "unknown unit 'parsecs'"));
    CHECK_FALSE(std::filesystem::exists(out.path / "bad"));
}

TEST_CASE("ggml's types (q4_k, IQ4_NL, ...) in a table: GGUF output writes them, safetensors output refuses them and writes nothing",
          "[cli][gguf][bad_input]") {
    mixq::test::temp_dir scratch, out;
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    mixq::test::write_bytes(out.file("t.json"), R"({"name": "k", "rules": [["*.out_proj.weight", "Q4_K"], ["*.in_proj.weight", "q6_k"],
                                                     ["*", "fp16"]]})");
    const auto model = quote((hf / "model.safetensors").string()), table = quote(out.file("t.json"));
    const auto g = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("g")) + " --format gguf --table " + table + " --json", scratch);
    INFO(g.err);
    REQUIRE(g.code == 0);
    const auto j = nlohmann::json::parse(g.out);
    CHECK(j["file_bytes"] == std::filesystem::file_size(out.path / "g" / "model.gguf"));
    const auto i = run(MIXQ_INSPECT_EXE, quote(out.file("g/model.gguf")), scratch);
    REQUIRE(i.code == 0);
    CHECK(has(i.out, "Q4_K"));
    CHECK(has(i.out, "Q8_0"));  // q6_k on rows of 128: llama-quantize's fallback
    const auto s = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("s")) + " --table " + table, scratch);
    CHECK(s.code == 2);
    CHECK(has(s.err, "a ggml block type that only a GGUF file holds"));
    CHECK_FALSE(std::filesystem::exists(out.path / "s"));
    mixq::test::write_bytes(out.file("u.json"), R"({"name": "u", "rules": [["*", "q7_k"]]})");
    const auto u = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("u")) + " --format gguf --table " + quote(out.file("u.json")), scratch);
    CHECK(u.code == 2);
    CHECK(has(u.err, "q7_k"));
    CHECK_FALSE(std::filesystem::exists(out.path / "u"));
}

TEST_CASE("mixq-convert --format gguf --lowbit-calibration gptq / mse+gptq: GPTQ inside ggml's codes, same types and sizes",
          "[cli][gguf][gptq]") {
    mixq::test::temp_dir scratch, out;
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    write_tokens_npy(out.file("calib.npy"), first_tokens((hf / "calib_tokens.npy").string(), 1024));
    // out_proj: Q4_K; in_proj (rows of 128): Q5_0; the tied embedding table and head: Q8_0 (rounded for the head's input).
    mixq::test::write_bytes(out.file("t.json"), R"({"name": "k", "rules": [["*.out_proj.weight", "q4_k"], ["*.in_proj.weight", "q5_0"],
                                                     ["*embeddings.weight", "q8_0"], ["lm_head.weight", "q8_0"], ["*", "fp16"]]})");
    const auto model = quote((hf / "model.safetensors").string()), table = quote(out.file("t.json")), calib = quote(out.file("calib.npy"));
    const auto base = " --format gguf --table " + table + " --window 128 --json";
    const auto ref = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("r")) + base, scratch);
    REQUIRE(ref.code == 0);
    const auto jr = nlohmann::json::parse(ref.out);
    for (const std::string r : {"gptq", "mse+gptq"}) {
        INFO(r);
        const auto g = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file(r)) + base + " --calib " + calib + " --lowbit-calibration " + r +
                                                 (r == "gptq" ? " --gptq-act-order" : ""), scratch);
        INFO(g.err);
        REQUIRE(g.code == 0);
        const auto j = nlohmann::json::parse(g.out);
        CHECK(j["rounding"] == r);
        CHECK(j["gptq"]["tensors"] == 9);  // 4 out_proj, 4 in_proj, the embedding table
        CHECK(j["gptq"]["options"] == (r == "gptq" ? "damp 0.1, block 128, act order on" : "damp 0.1, block 128, act order off"));
        REQUIRE(j["tensors"].size() == jr["tensors"].size());
        std::size_t differ = 0;
        for (std::size_t i = 0; i < j["tensors"].size(); ++i) {
            const auto& t = j["tensors"][i];
            CHECK(t["type"] == jr["tensors"][i]["type"]);
            CHECK(t["bytes"] == jr["tensors"][i]["bytes"]);
            differ += t.value("rounding", "") == "gptq";
        }
        CHECK(differ == 9);
        CHECK(mixq::test::read_bytes(out.file(r + "/model.gguf")) != mixq::test::read_bytes(out.file("r/model.gguf")));
        const auto i = run(MIXQ_INSPECT_EXE, quote(out.file(r + "/model.gguf")), scratch);
        CHECK(i.code == 0);
    }
    const auto text = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("t")) + " --format gguf --table " + table + " --calib " + calib +
                                                " --lowbit-calibration mse+gptq --gptq-damp 0.05", scratch);
    CHECK(has(text.out, "rounding: mixq's GPTQ inside each type's codes (damp 0.05, block 128, act order off), block scales by "
                        "the importance-weighted search (Hessian diagonal); 9 tensor(s)"));
    // llama-quantize's mixes are presets of GGUF output only; with GPTQ they keep their types.
    const auto mix = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("m")) + " --format gguf --preset Q4_K_M --calib " + calib +
                                               " --lowbit-calibration mse+gptq --json", scratch);
    REQUIRE(mix.code == 0);
    const auto jm = nlohmann::json::parse(mix.out);
    CHECK(jm["table"] == "Q4_K_M");
    CHECK(jm["gptq"]["tensors"] == 13);  // 4 in_proj (Q5_0), 4 x_proj, 4 out_proj (Q4_K), the tied embeddings (Q8_0)
    const auto st = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("s")) + " --preset Q4_K_M", scratch);
    CHECK(st.code == 2);
    CHECK(has(st.err, "--preset Q4_K_M is llama-quantize's mix of ggml block types, which only a GGUF file holds"));
    CHECK_FALSE(std::filesystem::exists(out.path / "s"));
    for (const auto& [args, what] : {std::pair{std::string(" --lowbit-calibration gptq"), "needs calibration tokens"},
                                     {" --gptq-damp 0.2", "applies with --lowbit-calibration gptq or mse+gptq only"},
                                     {" --calib " + calib + " --lowbit-calibration imatrix --gptq-act-order", "applies with --lowbit-calibration gptq"}}) {
        INFO(args);
        const auto r = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("b")) + " --format gguf --table " + table + args, scratch);
        CHECK(r.code == 2);
        CHECK(has(r.err, what));
        CHECK_FALSE(std::filesystem::exists(out.path / "b"));
    }
}

TEST_CASE("mixq-convert --format gguf --lowbit-calibration imatrix writes imatrix.gguf and rounds with it, bad flag mixes are refused",
          "[cli][gguf][imatrix]") {
    mixq::test::temp_dir scratch, out;
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    write_tokens_npy(out.file("calib.npy"), first_tokens((hf / "calib_tokens.npy").string(), 1024));
    mixq::test::write_bytes(out.file("t.json"), R"({"name": "k", "rules": [["*.out_proj.weight", "q4_k"], ["*", "fp16"]]})");
    const auto model = quote((hf / "model.safetensors").string()), table = quote(out.file("t.json")), calib = quote(out.file("calib.npy"));
    const auto g = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("g")) + " --format gguf --table " + table + " --calib " + calib +
                                             " --lowbit-calibration imatrix --window 128 --json", scratch);
    INFO(g.err);
    REQUIRE(g.code == 0);
    const auto j = nlohmann::json::parse(g.out);
    CHECK(j["rounding"] == "imatrix");
    CHECK(j["imatrix"]["windows"] == 8);
    const auto im = mixq::gguf::read_imatrix(mixq::gguf::gguf_file::open(out.file("g/imatrix.gguf")));
    CHECK(im.entries.size() == 17);
    CHECK(im.entries.at("blk.2.ssm_out.weight").count == 1024);
    const auto plain = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("p")) + " --format gguf --table " + table, scratch);
    REQUIRE(plain.code == 0);
    CHECK_FALSE(std::filesystem::exists(out.path / "p" / "imatrix.gguf"));
    CHECK(mixq::test::read_bytes(out.file("g/model.gguf")) != mixq::test::read_bytes(out.file("p/model.gguf")));
    for (const auto& [args, what] : {std::pair{std::string(" --lowbit-calibration imatrix"), "needs calibration tokens"},
                                     {" --calib " + calib, "needs --lowbit-calibration imatrix"},
                                     {" --calib " + calib + " --lowbit-calibration mse", "--lowbit-calibration 'mse' does not apply"}}) {
        INFO(args);
        const auto r = run(MIXQ_CONVERT_EXE, model + " -o " + quote(out.file("b")) + " --format gguf --table " + table + args, scratch);
        CHECK(r.code == 2);
        CHECK(has(r.err, what));
        CHECK_FALSE(std::filesystem::exists(out.path / "b"));
    }
}
