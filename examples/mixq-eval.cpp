// mixq-eval: perplexity of an original or a mixq-converted checkpoint on a token file.
#include <cstdio>
#include <iostream>

#include <mixq/io/checkpoint.hpp>

#include "cli_main.hpp"
#include "eval_options.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Perplexity of an SSM checkpoint (safetensors: fp32 or mixq-converted; or a GGUF Mamba file) on a .npy token file."};
    std::string input, tokens_path;
    bool json = false;
    mixq::cli::eval_flags flags;
    app.add_option("input", input, "checkpoint (.safetensors, .gguf, or a model directory holding model.safetensors)")->required();
    app.add_option("--tokens", tokens_path, "token ids (.npy, integer)")->required();
    app.add_flag("--json", json, "print a JSON object");
    flags.add_to(app);

    return mixq::cli::run("mixq-eval", app, argc, argv, [&] {
        input = mixq::io::resolve_checkpoint(input);  // a Hugging Face model directory: the checkpoint in it
        const auto tokens = mixq::io::read_npy_tokens(tokens_path);
        mixq::perplexity_result r;
        if (mixq::cli::is_gguf(input)) {  // llama.cpp's layout: the weights exactly as llama.cpp holds them
            const auto m = mixq::gguf::load_mamba(input);
            r = mixq::cli::evaluate(*m->weights, m->config, tokens, flags);
        } else {
            const auto file = mixq::io::open_checkpoint(input);
            r = mixq::cli::evaluate(mixq::checkpoint_weights(file), input, tokens, flags);
        }
        if (json) {
            const nlohmann::ordered_json j{{"perplexity", r.perplexity}, {"mean_nll", r.mean_nll},
                                           {"tokens_scored", r.tokens_scored}, {"windows", r.windows},
                                           {"window", r.window}, {"seconds", r.seconds}, {"threads", flags.threads}};
            std::cout << j.dump(1) << "\n";
        } else {
            std::printf("%s: perplexity %.6f (mean NLL %.6f) over %lld tokens in %lld windows of %lld, %.2f s, %d thread(s)\n",
                        input.c_str(), r.perplexity, r.mean_nll, static_cast<long long>(r.tokens_scored),
                        static_cast<long long>(r.windows), static_cast<long long>(r.window), r.seconds, flags.threads);
        }
        return 0;
    });
}
