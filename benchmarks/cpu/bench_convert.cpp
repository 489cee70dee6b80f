// Whole conversion of the fixture (plan, calibrate, quantize, stage all four files) per preset.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <mixq/mixq.hpp>

namespace {
void convert_fixture(benchmark::State& state, const char* preset) {
    const auto in = mixq::io::safetensors_file::open(std::string(MIXQ_FIXTURE_DIR) + "/model.safetensors");
    const auto dir = std::filesystem::temp_directory_path() / "mixq-bench-convert";
    for (auto _ : state) {
        auto c = mixq::convert(in, mixq::presets::get(preset, mixq::presets::family::itera_lite));
        mixq::write_outputs(dir, c);
        benchmark::DoNotOptimize(c.totals.mixed_bytes);
    }
    std::filesystem::remove_all(dir);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(in.file_size()));
}
}  // namespace

BENCHMARK_CAPTURE(convert_fixture, conservative, "conservative")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(convert_fixture, int8_linear, "int8-linear")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(convert_fixture, bf16, "bf16")->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
