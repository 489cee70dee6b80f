// Benchmark tools: a random fp32 checkpoint built tensor by tensor (values in a trained model's ranges), written as safetensors.
#pragma once

#include <cstdint>
#include <deque>
#include <mixq/io/safetensors_writer.hpp>
#include <random>
#include <string>
#include <vector>

namespace mixq::bench {

class random_checkpoint {
public:
    explicit random_checkpoint(std::uint32_t seed) : rng_(seed) {}

    // fill(i) gives the i-th value; randn() and constant() are the usual fills.
    template <class Fill>
    void add(const std::string& name, shape_t shape, Fill fill) {
        auto& v = store_.emplace_back(static_cast<std::size_t>(numel(shape)));  // a deque: earlier tensors stay put
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = fill(i);
        out_.push_back({name, dtype::f32, std::move(shape), std::as_bytes(std::span<const float>(v))});
    }
    [[nodiscard]] auto randn(float sd) {
        return [this, sd](std::size_t) { return sd * normal_(rng_); };
    }
    [[nodiscard]] static auto constant(float c) {
        return [c](std::size_t) { return c; };
    }

    void write(const std::string& path) const { io::write_safetensors(path, out_); }
    [[nodiscard]] std::size_t tensors() const noexcept { return out_.size(); }
    [[nodiscard]] std::int64_t parameters() const {
        std::int64_t n = 0;
        for (const auto& t : out_) n += numel(t.shape);
        return n;
    }

private:
    std::mt19937 rng_;
    std::normal_distribution<float> normal_{0.0f, 1.0f};
    std::deque<std::vector<float>> store_;
    std::vector<io::tensor_out> out_;
};

}  // namespace mixq::bench
