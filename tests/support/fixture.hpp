// Test helpers: fixture paths, temporary directories, deterministic random tensors and file builders.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace mixq::test {

inline std::filesystem::path fixture_dir() { return MIXQ_FIXTURE_DIR; }
inline std::string fixture(const std::string& name) { return (fixture_dir() / name).string(); }

// A fresh directory under the system temp dir, removed when the object goes away.
struct temp_dir {
    std::filesystem::path path;
    explicit temp_dir(const std::string& tag = "mixq") {
        std::string tmpl = (std::filesystem::temp_directory_path() / (tag + "-XXXXXX")).string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }
    [[nodiscard]] std::size_t entries() const {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(path)) ++n;
        return n;
    }
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// A raw safetensors file from a header string and a data section (no validation: tests build bad files).
inline std::string raw_safetensors(const std::string& header, const std::string& data, std::uint64_t declared_len = ~0ull) {
    const std::uint64_t len = declared_len == ~0ull ? header.size() : declared_len;
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
    return s + header + data;
}

// Normal values with a few large outliers; never all zero.
inline std::vector<float> random_weights(std::size_t n, std::uint32_t seed, float stddev = 0.05f, double outlier_rate = 0.001) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, stddev);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng) < outlier_rate ? normal(rng) * 40.0f : normal(rng);
    return v;
}

}  // namespace mixq::test
