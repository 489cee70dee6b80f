// libFuzzer target: the .npy token reader on arbitrary bytes.
#include <cstdint>
#include <mixq/io/npy.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        (void)mixq::io::parse_npy_tokens(std::as_bytes(std::span(data, size)), "<fuzz>");
    } catch (const mixq::error& e) {
        if (e.code() != mixq::errc::bad_input) __builtin_trap();
    }
    return 0;
}
