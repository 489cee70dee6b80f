// libFuzzer target: the safetensors reader on arbitrary bytes, then float conversion and a precision plan.
#include <cstdint>
#include <mixq/io/safetensors_reader.hpp>
#include <mixq/precision/match_plan.hpp>
#include <mixq/precision/presets.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto f = mixq::io::safetensors_file::parse(std::as_bytes(std::span(data, size)), "<fuzz>");
        for (const auto& t : f.tensors())
            if (mixq::is_readable_float(t.type) && t.numel() <= (1 << 16)) (void)mixq::to_float(t);
        (void)mixq::make_plan(mixq::presets::get("aggressive", mixq::presets::detect_family(f.tensors())), f.tensors());
    } catch (const mixq::error& e) {
        if (e.code() != mixq::errc::bad_input) __builtin_trap();  // malformed input must be reported as such
    }
    return 0;
}
