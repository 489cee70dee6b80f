// libFuzzer target: the safetensors reader on arbitrary bytes, then float conversion, a precision plan, and
// mixq's checkpoint reader (schemes, logical shapes, scale shapes) with every small weight decoded.
#include <cstdint>
#include <mixq/io/safetensors_reader.hpp>
#include <mixq/model/weights.hpp>
#include <mixq/precision/match_plan.hpp>
#include <mixq/precision/presets.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto f = mixq::io::safetensors_file::parse(std::as_bytes(std::span(data, size)), "<fuzz>");
        for (const auto& t : f.tensors())
            if (mixq::is_readable_float(t.type) && t.numel() <= (1 << 16)) (void)mixq::to_float(t);
        (void)mixq::make_plan(mixq::presets::get("aggressive", mixq::presets::detect_family(f.tensors())), f.tensors());
        const mixq::checkpoint_weights w(f);
        for (const auto& t : f.tensors()) {
            const auto& v = w.at(t.name);
            if (v.numel() > (1 << 16)) continue;
            try {
                (void)w.matrix(t.name).to_vector();
            } catch (const mixq::error& e) {  // a dtype the forward cannot use is bad input, never a crash
                if (e.code() != mixq::errc::bad_input) __builtin_trap();
            }
        }
    } catch (const mixq::error& e) {
        if (e.code() != mixq::errc::bad_input) __builtin_trap();  // malformed input must be reported as such
    }
    return 0;
}
