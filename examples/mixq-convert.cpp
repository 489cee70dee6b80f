// mixq-convert: converts a safetensors checkpoint to mixed precision and prints what it did.
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <mixq/mixq.hpp>

#include <mixq/gguf/importance.hpp>
#include <mixq/gguf/export_layerwise.hpp>
#include <mixq/io/checkpoint.hpp>

#include "cli_main.hpp"
#include "eval_options.hpp"
#include "progress_line.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Convert a safetensors checkpoint to layer-wise mixed precision (int4 / nf4 / fp8 / int8 / fp16 / bf16), as safetensors or GGUF."};
    std::string input, output, preset, table_path, calibration = "percentile", lowbit = "max";
    double gptq_damp = 0.01;
    std::int64_t gptq_block = 128;
    bool act_order = false;
    double pct = 99.99;
    bool strict = false, json = false;
    app.add_option("input", input, "input checkpoint (.safetensors, or a model directory holding model.safetensors)")->required();
    app.add_option("-o,--output", output, "output directory (created if missing)")->required();
    auto* p = app.add_option("--preset", preset,
                             "built-in table: conservative, conservative-moe, aggressive, int8-linear, fp16, bf16 "
                             "(default conservative); with --format gguf also llama-quantize's mixes Q3_K_M, Q4_K_M, Q5_K_M, "
                             "Q6_K, Q8_0 (the types llama.cpp would give each tensor)");
    app.add_option("--table", table_path, "precision table JSON file")->excludes(p);
    app.add_option("--calibration", calibration, "int8 calibrator: max, percentile, mse, entropy, or gptq (percentile scales, "
                                                 "GPTQ rounding; needs --calib)")->capture_default_str();
    app.add_option("--lowbit-calibration", lowbit, "int4 / nf4 / fp8 calibrator: max, mse, gptq (max scales, GPTQ rounding) or "
                                                   "mse+gptq; gptq needs --calib. With --format gguf: imatrix (llama.cpp's importance-weighted "
                                                   "rounding, the importance from --calib)")->capture_default_str();
    app.add_option("--gptq-damp", gptq_damp, "GPTQ damping, a fraction of the mean Hessian diagonal (default 0.01; with --format gguf 0.1)")
        ->check(CLI::Range(0.0, 10.0));
    app.add_option("--gptq-block", gptq_block, "GPTQ columns per block")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_flag("--gptq-act-order", act_order, "GPTQ: columns in order of decreasing Hessian diagonal");
    app.add_option("--percentile", pct, "percentile of |w| per row mapped to 127")->capture_default_str();
    app.add_flag("--strict", strict, "unmatched tensors and rules that match nothing are errors");
    app.add_flag("--json", json, "print the report as JSON on stdout");
    std::string max_shard = "5GB";
    app.add_option("--max-shard-size", max_shard, "above this much tensor data, model.safetensors is split into "
                                                  "model-0000k-of-0000N.safetensors shards with an index (5GB, 500MB, 2GiB)")
        ->capture_default_str();
    bool quiet = false, progress = false;
    app.add_flag("--quiet", quiet, "no progress line on stderr");
    app.add_flag("--progress", progress, "a progress line on stderr even when it is not a terminal (one line a second)");
    std::string eval_tokens;
    mixq::cli::eval_flags eval;
    app.add_option("--eval", eval_tokens, "token file (.npy): measure perplexity before and after");
    std::string calib_tokens, act_method = "percentile";
    app.add_option("--calib", calib_tokens, "token file (.npy): GPTQ's Hessians, and activation ranges of every linear input");
    app.add_option("--activation-calibration", act_method, "max, percentile (uses --percentile), mse or entropy")
        ->capture_default_str();
    std::string format = "safetensors";
    app.add_option("--format", format, "output format: safetensors (mixq's four files) or gguf (model.gguf for llama.cpp, "
                                       "Hugging Face Mamba, Mamba-2 and Nemotron-H checkpoints)")->capture_default_str();
    eval.add_to(app);

    auto print_report = [&](const mixq::conversion& c) {
        if (json) {
            auto j = mixq::report_json(c);
            j["output"] = output;
            std::cout << j.dump(1) << "\n";
        } else {
            std::cout << mixq::report_text(c);
            const std::filesystem::path o(output);
            std::cout << "wrote " << output << "/{"
                      << (std::filesystem::exists(o / "model.safetensors") ? "model.safetensors" : "model-*-of-*.safetensors, model.safetensors.index.json")
                      << ", metadata.json, statistics.json, precision_allocation.svg"
                      << (std::filesystem::exists(o / "config.json") ? ", config.json" : "") << "}\n";
        }
    };
    return mixq::cli::run("mixq-convert", app, argc, argv, [&] {
        input = mixq::io::resolve_checkpoint(input);  // a Hugging Face model directory: the checkpoint in it
        if (format != "safetensors" && format != "gguf") mixq::fail("--format '" + format + "': expected safetensors or gguf");
        const auto shard_bytes = mixq::parse_size(max_shard);
        if (format == "gguf" && app.count("--max-shard-size") > 0) mixq::fail("--max-shard-size applies to safetensors output only");
        if (format == "gguf") {
            // ggml's block types round by ggml's reference rounding; with --calib, by llama.cpp's importance-weighted
            // one (imatrix) or by mixq's GPTQ inside each type's codes (gptq: ggml's scales; mse+gptq: the
            // importance-weighted scales). mixq's own calibrators (percentile, mse alone, ...) do not apply.
            const bool lowbit_given = app.count("--lowbit-calibration") > 0;
            const bool imatrix = lowbit_given && lowbit == "imatrix";
            const bool gptq = lowbit_given && (lowbit == "gptq" || lowbit == "mse+gptq");
            if (lowbit_given && !imatrix && !gptq)
                mixq::fail("--lowbit-calibration '" + lowbit + "' does not apply to --format gguf: ggml's block types round by "
                           "ggml's reference rounding (the default), 'imatrix' (llama.cpp's importance-weighted one), or 'gptq' / "
                           "'mse+gptq' (GPTQ inside each type's codes), the last three with --calib");
            if ((imatrix || gptq) && calib_tokens.empty())
                mixq::fail("--lowbit-calibration " + lowbit + " needs calibration tokens (--calib TOKENS.npy): " +
                           (imatrix ? "the importance is each product's input squared over them"
                                    : "GPTQ's Hessians come from each product's inputs over them"));
            if (!imatrix && !gptq && !calib_tokens.empty())
                mixq::fail("--calib with --format gguf needs --lowbit-calibration imatrix, gptq or mse+gptq (GGUF's calibrated roundings)");
            for (const char* flag : {"--calibration", "--percentile", "--activation-calibration"})
                if (app.count(flag) > 0)
                    mixq::fail(std::string(flag) + " does not apply to --format gguf: ggml's block types take their scales "
                               "from ggml's own searches, as llama.cpp's quantizer does");
            for (const char* flag : {"--gptq-damp", "--gptq-block", "--gptq-act-order"})
                if (app.count(flag) > 0 && !gptq) mixq::fail(std::string(flag) + " applies with --lowbit-calibration gptq or mse+gptq only");
            std::vector<std::int64_t> tokens;
            if (!eval_tokens.empty()) tokens = mixq::io::read_npy_tokens(eval_tokens);
            const auto in = mixq::io::open_checkpoint(input);
            const auto mix = mixq::gguf::find_llama_mix(preset);
            auto table = mix && table_path.empty() ? mixq::gguf::llama_mix_table(*mix, in) : mixq::load_table(table_path, preset, in.tensors());
            std::optional<mixq::gguf::importance_matrix> importance;
            mixq::gguf::export_options xo;
            mixq::gguf::gguf_export x;
            xo.strict = strict, xo.threads = eval.threads;
            if (imatrix || gptq) {  // mixq's fp32 forward over the calibration tokens, windows of --window
                const mixq::checkpoint_weights w(in);
                const mixq::ssm_lm model(w, mixq::infer_config(w, std::filesystem::path(in.path()).parent_path() / "config.json"));
                const auto calib = mixq::io::read_npy_tokens(calib_tokens);
                if (imatrix) {
                    importance = mixq::collect_importance(model, calib, eval.window, std::filesystem::path(calib_tokens).filename().string());
                    xo.importance = &*importance;
                } else {
                    // Damping 0.1 by default: chosen on held-out calibration windows (docs/quality.md), where 0.01 did worst.
                    const mixq::gptq_options go{app.count("--gptq-damp") > 0 ? gptq_damp : 0.1, gptq_block, act_order};
                    xo.round = mixq::gptq_rounder(go), xo.gptq_description = mixq::describe(go);
                    xo.scales = lowbit == "mse+gptq" ? mixq::gguf::block_scales::weighted : mixq::gguf::block_scales::reference;
                    // A layer's Hessians at a time (gguf/export_layerwise.hpp): memory stays that of one layer.
                    x = std::move(mixq::gguf::export_gguf_layerwise(in, {table}, xo, {&model, calib, eval.window}).front());
                }
            }
            if (!gptq) x = mixq::gguf::export_gguf(in, std::move(table), xo);
            const auto file = mixq::gguf::serialize(x);
            auto record = mixq::gguf::report_json(x);
            std::string quality;
            if (!eval_tokens.empty()) {  // the bytes about to be written, read back as llama.cpp will read them
                const auto before = mixq::cli::evaluate(mixq::checkpoint_weights(in), input, tokens, eval);
                const auto m = mixq::gguf::load_mamba(mixq::gguf::gguf_file::parse(file, output + "/model.gguf"));
                const auto after = mixq::cli::evaluate(*m->weights, m->config, tokens, eval);
                const auto change = mixq::paired_change(before, after);
                record["quality"] = {{"fp32_perplexity", before.perplexity}, {"gguf_perplexity", after.perplexity},
                                     {"delta_percent", change.percent}, {"delta_stderr_percent", change.stderr_percent},
                                     {"eval_windows", change.windows}, {"eval_tokens", after.tokens_scored}};
                quality = fmt::format("perplexity: {:.6f} fp32 -> {:.6f} gguf ({:+.3f} % +- {:.3f}, standard error over {} windows) over {} tokens\n",
                                      before.perplexity, after.perplexity, change.percent, change.stderr_percent,
                                      static_cast<long long>(change.windows), static_cast<long long>(after.tokens_scored));
            }
            mixq::gguf::write_outputs(output, x, file, record);
            if (json) {
                record["output"] = output;
                std::cout << record.dump(1) << "\n";
            } else {
                std::cout << mixq::gguf::report_text(x, output + "/model.gguf") << quality;
                std::cout << "wrote " << output << "/{model.gguf, metadata.json" << (x.imatrix ? ", imatrix.gguf" : "") << "}\n";
            }
            return 0;
        }
        mixq::convert_options opt;
        opt.gptq_int8 = calibration == "gptq";
        const auto cal = opt.gptq_int8 ? mixq::calibration_method::percentile : mixq::parse_calibration(calibration);
        if (!cal) mixq::fail("--calibration '" + calibration + "': expected max, percentile, mse, entropy or gptq");
        opt.calibration = *cal;
        if (lowbit == "max" || lowbit == "gptq") opt.lowbit = mixq::lowbit_calibration::max;
        else if (lowbit == "mse" || lowbit == "mse+gptq") opt.lowbit = mixq::lowbit_calibration::mse;
        else mixq::fail("--lowbit-calibration '" + lowbit + "': expected max, mse, gptq or mse+gptq");
        opt.gptq_lowbit = lowbit.find("gptq") != std::string::npos;
        if ((opt.gptq_int8 || opt.gptq_lowbit) && calib_tokens.empty())
            mixq::fail("gptq needs calibration tokens: add --calib TOKENS.npy (its Hessians come from the layers' inputs)");
        opt.percentile = pct;
        opt.strict = strict;
        opt.threads = static_cast<unsigned>(eval.threads);
        // Token files and methods are checked first: a mistake there must stop us before any output.
        std::vector<std::int64_t> tokens, calib;
        if (!eval_tokens.empty()) tokens = mixq::io::read_npy_tokens(eval_tokens);
        if (!calib_tokens.empty()) calib = mixq::io::read_npy_tokens(calib_tokens);
        const auto amethod = mixq::parse_calibration(act_method);
        if (!amethod) mixq::fail("--activation-calibration '" + act_method + "': expected max, percentile, mse or entropy");
        if (mixq::gguf::find_llama_mix(preset))
            mixq::fail("--preset " + preset + " is llama-quantize's mix of ggml block types, which only a GGUF file holds: add --format gguf");
        const auto in = mixq::io::open_checkpoint(input);
        const auto config_json = std::filesystem::path(input).parent_path() / "config.json";  // beside the checkpoint, if any
        // A config.json travels into the output: it must describe these tensors (a Mamba-2 family's layers,
        // heads and groups come from it alone), so a contradiction stops us before anything is written.
        if (std::filesystem::exists(config_json)) (void)mixq::infer_config(mixq::checkpoint_weights(in), config_json);
        auto table = mixq::load_table(table_path, preset, in.tensors());
        const bool gptq = opt.gptq_int8 || opt.gptq_lowbit;
        std::optional<mixq::checkpoint_weights> fp32_weights;  // GPTQ's Hessians come from the original model's fp32 inputs
        std::optional<mixq::ssm_lm> fp32_model;
        if (gptq) {
            const mixq::gptq_options go{gptq_damp, gptq_block, act_order};
            opt.round = mixq::gptq_rounder(go);
            opt.gptq_description = mixq::describe(go);
            fp32_weights.emplace(in);
            fp32_model.emplace(*fp32_weights, mixq::infer_config(*fp32_weights, config_json));
        }
        if (eval_tokens.empty() && calib.empty()) {
            // Nothing to evaluate: tensor by tensor, written as it goes, so memory does not grow with the model.
            mixq::cli::progress_line line(!quiet && !json && (progress || ::isatty(2) == 1), "mixq-convert");
            mixq::stream_options so;
            so.threads = static_cast<unsigned>(eval.threads);
            so.progress = [&](const mixq::stream_progress& pr) { line(pr); };
            so.max_shard_size = shard_bytes;
            const auto c = mixq::convert_to_directory(in, std::move(table), opt, output, so);
            print_report(c);
            return 0;
        }
        // With GPTQ, a layer at a time: only one layer's Hessians are held (convert/layerwise_gptq.hpp).
        auto c = gptq ? std::move(mixq::convert_layerwise(in, {std::move(table)}, opt, {&*fp32_model, calib, eval.window}, eval.threads).front())
                      : mixq::convert(in, std::move(table), opt);
        if (!eval_tokens.empty()) {  // evaluated in memory, so metadata.json is written once, complete
            const auto before = mixq::cli::evaluate(mixq::checkpoint_weights(in), input, tokens, eval);
            const auto after = mixq::cli::evaluate(mixq::weights_of(c), input, tokens, eval);
            const auto change = mixq::paired_change(before, after);
            c.quality = mixq::quality_summary{before.perplexity, after.perplexity, after.tokens_scored,
                                              before.seconds + after.seconds, change.stderr_percent, change.windows};
        }
        if (!calib.empty()) {  // ranges of the converted model's inputs: what a W8A8 path would see
            const auto w = mixq::weights_of(c);
            const mixq::ssm_lm model(w, mixq::infer_config(w, config_json));
            c.activation_ranges = mixq::to_json(mixq::calibrate_activations(model, calib, *amethod, pct, eval.window));
        }
        mixq::write_outputs(output, c, shard_bytes);
        print_report(c);
        return 0;
    });
}
