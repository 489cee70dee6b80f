// CLI options shared by mixq-eval and mixq-convert --eval, and the one call that evaluates a checkpoint.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <thread>
#include <mixq/gguf/weights.hpp>
#include <mixq/quality.hpp>

#include "cli_main.hpp"

namespace mixq::cli {

// Every core the machine has: the CLIs' default for --threads.
[[nodiscard]] inline int default_threads() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

struct eval_flags {
    std::int64_t window = 0;
    std::int64_t batch = 16;
    int threads = default_threads();

    void add_to(CLI::App& app) {
        app.add_option("--window", window, "tokens per window (default: the model's maximum length, else 128)");
        app.add_option("--batch", batch, "windows per forward pass")->capture_default_str()->check(CLI::PositiveNumber);
        app.add_option("--threads", threads, "threads (evaluation windows, and the tensors mixq-convert converts at once, are shared among them; default: all cores)")
            ->capture_default_str()->check(CLI::PositiveNumber);
    }
    [[nodiscard]] eval_options options() const { return {window, batch, threads}; }
};

[[nodiscard]] inline perplexity_result evaluate(const checkpoint_weights& w, const model_config& cfg,
                                                const std::vector<std::int64_t>& tokens, const eval_flags& f) {
    const ssm_lm model(w, cfg);
    return evaluate_perplexity(model, tokens, f.options());
}

// config.json beside the checkpoint, if any, is checked against the shapes.
[[nodiscard]] inline perplexity_result evaluate(const checkpoint_weights& w, const std::string& checkpoint_path,
                                                const std::vector<std::int64_t>& tokens, const eval_flags& f) {
    return evaluate(w, infer_config(w, std::filesystem::path(checkpoint_path).parent_path() / "config.json"), tokens, f);
}

}  // namespace mixq::cli
