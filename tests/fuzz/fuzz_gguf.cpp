// libFuzzer target: the GGUF reader on arbitrary bytes, then the Mamba loader (names, keys, shapes) with
// every Q8_0 / Q4_0 tensor decoded.
#include <cstdint>
#include <mixq/gguf/reader.hpp>
#include <mixq/gguf/weights.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        auto f = mixq::gguf::gguf_file::parse(std::as_bytes(std::span(data, size)), "<fuzz>");
        std::int64_t total = 0;
        for (const auto& t : f.tensors()) total += t.numel();
        if (total > (1 << 22)) return 0;  // decoding is bounded by the file, but keep each run fast
        const auto m = mixq::gguf::load_mamba(std::move(f));
        for (const auto& t : m->file.tensors()) (void)m->weights->matrix(*mixq::gguf::to_hf_name(t.name)).to_vector();
    } catch (const mixq::error& e) {
        if (e.code() != mixq::errc::bad_input) __builtin_trap();  // malformed input must be reported as such
    }
    return 0;
}
