// GGUF export of a random Mamba-130M-shaped checkpoint (d_model 768, 24 layers, vocab 50280) per table,
// against the memory-bandwidth roofline of the same bytes measured in the same run (a copy of the input).
// Reported counters: seconds per export and `x_copy`, the export time in units of one copy of the input.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mixq/gguf/export.hpp>
#include <mixq/gguf/write_outputs.hpp>
#include <mixq/precision/presets.hpp>

namespace {
namespace fs = std::filesystem;

// The checkpoint is written once per process by the make_random_mamba tool (MIXQ_MAKE_RANDOM).
const mixq::io::safetensors_file& checkpoint() {
    static const auto dir = fs::temp_directory_path() / "mixq-bench-gguf";
    static const auto file = [] {
        fs::create_directories(dir);
        const auto path = (dir / "model.safetensors").string();
        const auto cmd = std::string(MIXQ_MAKE_RANDOM) + " '" + path + "' > /dev/null";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("make_random_mamba failed");
        return mixq::io::safetensors_file::open(path);
    }();
    return file;
}

double copy_seconds() {
    static const double s = [] {
        const auto b = checkpoint().tensors();
        std::vector<std::byte> dst(checkpoint().file_size());
        double best = 1e9;
        for (int rep = 0; rep < 3; ++rep) {
            const auto t0 = std::chrono::steady_clock::now();
            std::size_t at = 0;
            for (const auto& t : b) {
                std::memcpy(dst.data() + at, t.bytes.data(), t.bytes.size());
                at += t.bytes.size();
            }
            benchmark::DoNotOptimize(dst.data());
            best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        return best;
    }();
    return s;
}

mixq::rule_table uniform(mixq::precision p) {
    mixq::rule_table t("uniform");
    t.add("*", p);
    return t;
}

void export_130m(benchmark::State& state, const char* what) {
    const auto& in = checkpoint();
    const auto out = fs::temp_directory_path() / "mixq-bench-gguf" / "out";
    const std::string w = what;
    auto table = [&] {
        if (w == "int8-linear") return mixq::presets::get("int8-linear", mixq::presets::family::hf_mamba);
        return uniform(w == "fp32" ? mixq::precision::fp32 : w == "fp16" ? mixq::precision::fp16
                       : w == "int8" ? mixq::precision::int8 : mixq::precision::int4_g32);
    };
    double total = 0.0;
    for (auto _ : state) {  // plan, encode, serialize and write model.gguf + metadata.json, as mixq-convert does
        const auto t0 = std::chrono::steady_clock::now();
        const auto x = mixq::gguf::export_gguf(in, table());
        const auto bytes = mixq::gguf::serialize(x);
        mixq::gguf::write_outputs(out, x, bytes, mixq::gguf::report_json(x));
        benchmark::DoNotOptimize(bytes.data());
        total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    // the ratio to the roofline: how many copies of the input one export costs
    state.counters["x_copy"] = total / static_cast<double>(state.iterations()) / copy_seconds();
    state.counters["copy_ms"] = copy_seconds() * 1e3;
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(in.file_size()));
}
}  // namespace

BENCHMARK_CAPTURE(export_130m, fp32, "fp32")->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK_CAPTURE(export_130m, fp16, "fp16")->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK_CAPTURE(export_130m, int8_linear, "int8-linear")->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK_CAPTURE(export_130m, all_int8, "int8")->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK_CAPTURE(export_130m, all_int4_g32, "int4_g32")->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK_MAIN();
