// mixq's ggml block codecs on raw files, for the interop test that compares them with ggml's own (ggml_blocks_interop.py).
//   ggml_blocks_tool quantize TYPE ROW in.f32 out.bin [imatrix.f32]   rows of ROW float32 values -> TYPE blocks
//                                                     (with ROW importance weights: llama.cpp's imatrix rounding)
//   ggml_blocks_tool decode   TYPE ROW in.bin  out.f32  TYPE blocks -> float32
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mixq/format/ggml/types.hpp>
#include <string>
#include <vector>

namespace {
std::vector<char> slurp(const char* path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
}  // namespace

int main(int argc, char** argv) {
    using namespace mixq::gguf;
    if (argc != 6 && argc != 7) {
        std::fprintf(stderr, "usage: %s quantize|decode TYPE ROW IN OUT [IMATRIX]\n", argv[0]);
        return 2;
    }
    const std::string mode = argv[1], name = argv[2];
    const long long row = std::stoll(argv[3]);
    const ggml_type_info* t = nullptr;
    for (const auto& i : ggml_types)
        if (i.name == name && i.quantize) t = &i;
    if (!t || row <= 0 || row % t->block != 0) {
        std::fprintf(stderr, "%s: unknown block type '%s' or a row of %lld that is not a whole number of its blocks\n", argv[0], argv[2], row);
        return 2;
    }
    const auto in = slurp(argv[4]);
    const auto rb = row_bytes(t->type, row);
    std::ofstream out(argv[5], std::ios::binary);
    if (mode == "quantize") {
        const auto rows = static_cast<long long>(in.size() / 4) / row;
        std::vector<float> x(static_cast<std::size_t>(rows * row));
        std::memcpy(x.data(), in.data(), x.size() * 4);
        std::vector<float> importance;
        if (argc == 7) {
            const auto im = slurp(argv[6]);
            importance.resize(static_cast<std::size_t>(row));
            if (im.size() != importance.size() * 4) {
                std::fprintf(stderr, "%s: %s holds %zu bytes, not %lld weights\n", argv[0], argv[6], im.size(), row);
                return 2;
            }
            std::memcpy(importance.data(), im.data(), im.size());
        }
        std::vector<std::byte> q(static_cast<std::size_t>(rows * rb));
        for (long long r = 0; r < rows; ++r)
            t->quantize(std::span<const float>(x).subspan(static_cast<std::size_t>(r * row), static_cast<std::size_t>(row)), q.data() + r * rb,
                        importance.empty() ? nullptr : importance.data());
        out.write(reinterpret_cast<const char*>(q.data()), static_cast<std::streamsize>(q.size()));
    } else if (mode == "decode") {
        const auto rows = static_cast<long long>(in.size()) / rb;
        std::vector<float> y(static_cast<std::size_t>(rows * row));
        for (long long r = 0; r < rows; ++r) t->dequantize(reinterpret_cast<const std::byte*>(in.data()) + r * rb, row, y.data() + r * row);
        out.write(reinterpret_cast<const char*>(y.data()), static_cast<std::streamsize>(y.size() * 4));
    } else {
        std::fprintf(stderr, "%s: mode '%s': expected quantize or decode\n", argv[0], argv[1]);
        return 2;
    }
    return out ? 0 : 1;
}
