// convert/stream.hpp: the streamed conversion writes exactly write_outputs(convert(...))'s bytes, whatever
// the threads and the in-flight budget, and keeps input pages and output data out of memory.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <mixq/convert/stream.hpp>
#include <mixq/io/checkpoint.hpp>
#include <mixq/precision/presets.hpp>
#include <mixq/precision/table_json.hpp>
#include <nlohmann/json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"

TEST_CASE("a streamed conversion writes the bytes of the in-memory one, on any number of threads", "[convert][stream]") {
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    const auto in = mixq::io::open_checkpoint(hf.string());
    mixq::test::temp_dir out;
    const std::vector<std::pair<std::string, mixq::rule_table>> tables = {
        {"int8-linear", mixq::presets::get("int8-linear", mixq::presets::family::hf_mamba)},
        {"conservative", mixq::presets::get("conservative", mixq::presets::family::hf_mamba)},
        {"mixed low-bit", mixq::parse_table_json(R"({"backbone.embeddings.weight": "nf4", "*in_proj*": "int4_g32", "*out_proj*": "fp8_e4m3",
                                                    "*x_proj*": "int4_g128", "*": "bf16"})", "t")},
    };
    for (const auto& [name, table] : tables) {
        mixq::write_outputs(out.path / "mem", mixq::convert(in, table));
        {  // the data starts at a 4 KiB boundary (the header padded with spaces), where a streamed model puts it in place
            const auto model = mixq::test::read_bytes((out.path / "mem" / "model.safetensors").string());
            std::uint64_t n = 0;
            for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<unsigned char>(model[static_cast<std::size_t>(i)]);
            CHECK((8 + n) % mixq::model_header_alignment == 0);
            CHECK(model[8 + model.substr(8, n).find_last_not_of(' ')] == '}');
        }
        for (const unsigned threads : {1u, 3u})
            for (const std::uint64_t budget : {std::uint64_t{1}, std::uint64_t{768} << 20}) {
                INFO(name << ", " << threads << " threads, in-flight budget " << budget);
                const auto dir = out.path / ("s" + std::to_string(threads) + "-" + std::to_string(budget));
                mixq::stream_options so;
                so.threads = threads;
                so.inflight_bytes = budget;
                std::size_t calls = 0;
                so.progress = [&](const mixq::stream_progress& p) {
                    ++calls;
                    CHECK(p.tensors_done == calls);
                    CHECK(p.bytes_done <= p.bytes_total);
                };
                const auto c = mixq::convert_to_directory(in, table, {}, dir, so);
                CHECK(calls == in.tensors().size());
                for (const char* f : {"model.safetensors", "statistics.json", "precision_allocation.svg", "config.json"})
                    CHECK(mixq::test::read_bytes((dir / f).string()) == mixq::test::read_bytes((out.path / "mem" / f).string()));
                std::size_t files = 0;  // the staged data file is gone
                for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
                CHECK(files == 5);
                CHECK(c.totals.mixed_bytes == mixq::convert(in, table).totals.mixed_bytes);
            }
    }
}

TEST_CASE("a streamed conversion refused half-way leaves no directory and no file", "[convert][stream][bad_input]") {
    const auto in = mixq::io::open_checkpoint(std::string(MIXQ_BAD_INPUTS_DIR) + "/nan_weights.safetensors");
    mixq::test::temp_dir out;
    mixq::stream_options so;
    so.threads = 2;
    CHECK_THROWS_WITH(mixq::convert_to_directory(in, mixq::presets::get("int8-linear", mixq::presets::detect_family(in.tensors())), {},
                                                 out.path / "o", so),
                      Catch::Contains("contains NaN"));
    CHECK_FALSE(std::filesystem::exists(out.path / "o"));
}

#if !defined(__SANITIZE_ADDRESS__) && defined(MIXQ_CONVERT_EXE)  // ASan's shadow memory would swamp the measure
TEST_CASE("mixq-convert's peak memory follows its largest tensor, not the model (child process, ru_maxrss)", "[convert][stream][memory]") {
    // 48 tensors of 2048 x 1024 fp32 (8 MiB each, 384 MiB in all) in the Itera-Lite layout's names: holding
    // the model (the mapped input, or the int8 output: 96 MiB) would break the bound, streaming does not.
    mixq::test::temp_dir d;
    const std::int64_t rows = 2048, cols = 1024;
    {
        const auto base = mixq::io::open_checkpoint(mixq::test::fixture("model.safetensors"));
        std::vector<std::vector<float>> big;
        std::vector<mixq::io::tensor_out> ts;
        for (const auto& t : base.tensors()) ts.push_back({t.name, t.type, t.shape, t.bytes});
        for (int i = 0; i < 48; ++i) {
            big.push_back(mixq::test::random_weights(static_cast<std::size_t>(rows * cols), 100u + static_cast<std::uint32_t>(i)));
            ts.push_back({"extra." + std::to_string(i) + ".weight", mixq::dtype::f32, {rows, cols}, std::as_bytes(std::span(big.back()))});
        }
        mixq::io::write_safetensors(d.file("big.safetensors"), ts);
    }
    mixq::test::write_bytes(d.file("t.json"), R"({"extra.*": "int8", "*": "fp16"})");
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
        ::execl(MIXQ_CONVERT_EXE, MIXQ_CONVERT_EXE, d.file("big.safetensors").c_str(), "-o", d.file("out").c_str(), "--table",
                d.file("t.json").c_str(), "--threads", "2",
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    struct rusage ru{};
    REQUIRE(::wait4(pid, &status, 0, &ru) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    const double peak_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
    const double largest_mib = static_cast<double>(rows * cols * 4) / (1024.0 * 1024.0);
    // Two tensors in flight, each: its mapped input, its fp32 copy, its codes; plus the process itself.
    const double bound = 40.0 + 2 * 3 * largest_mib;  // 88 MiB, below the 96 MiB int8 output and the 384 MiB input
    INFO("peak RSS " << peak_mib << " MiB, bound " << bound << " MiB");
    CHECK(peak_mib < bound);
}
#endif

TEST_CASE("above --max-shard-size the model is sharded with an index that loads back as the same tensors", "[convert][stream][sharded]") {
    const auto hf = mixq::test::fixture_dir().parent_path() / "hf-mamba-fortunes";
    const auto in = mixq::io::open_checkpoint(hf.string());
    const auto table = mixq::presets::get("int8-linear", mixq::presets::family::hf_mamba);
    mixq::test::temp_dir out;
    mixq::write_outputs(out.path / "one", mixq::convert(in, table));
    mixq::stream_options so;
    so.max_shard_size = mixq::parse_size("500KB");
    mixq::test::write_bytes(out.file("sharded/model.safetensors"), "stale, from an earlier run");
    (void)mixq::convert_to_directory(in, table, {}, out.path / "sharded", so);
    mixq::write_outputs(out.path / "mem", mixq::convert(in, table), mixq::parse_size("500KB"));
    CHECK_FALSE(std::filesystem::exists(out.path / "sharded" / "model.safetensors"));  // it would shadow the index
    const auto index = nlohmann::json::parse(mixq::test::read_bytes(out.file("sharded/model.safetensors.index.json")));
    const auto one = mixq::io::open_checkpoint(out.file("one"));
    const auto sharded = mixq::io::open_checkpoint(out.file("sharded"));
    REQUIRE(sharded.shard_count() >= 3);
    std::uint64_t data = 0;
    for (const auto& t : one.tensors()) data += t.bytes.size();
    CHECK(index["metadata"]["total_size"] == data);  // tensor bytes, as transformers counts them
    REQUIRE(sharded.tensors().size() == one.tensors().size());
    for (const auto& t : one.tensors()) {
        INFO(t.name);
        const auto* s = sharded.find(t.name);
        REQUIRE(s);
        CHECK(s->type == t.type);
        CHECK(s->shape == t.shape);
        CHECK(mixq::same_bytes(s->bytes, t.bytes));
        if (t.name.ends_with("_scale"))  // a tensor and its scales stay in one shard
            CHECK(index["weight_map"][t.name] == index["weight_map"][t.name.substr(0, t.name.size() - 6)]);
    }
    for (const auto& [tensor, shard] : index["weight_map"].items())  // the in-memory path shards the same way
        CHECK(mixq::test::read_bytes(out.file("mem/" + shard.get<std::string>())) == mixq::test::read_bytes(out.file("sharded/" + shard.get<std::string>())));
    CHECK(sharded.metadata().at("format") == "mixq");
    CHECK_THROWS_WITH(mixq::parse_size("5 parsecs"), Catch::Contains("unknown unit"));
    CHECK(mixq::parse_size("5GB") == 5000000000ull);
    CHECK(mixq::parse_size("2GiB") == 2147483648ull);
}
