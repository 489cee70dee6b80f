// mixq-convert: converts a safetensors checkpoint to mixed precision and prints what it did.
#include <cstdio>
#include <iostream>
#include <mixq/mixq.hpp>

#include "cli_main.hpp"
#include "eval_options.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Convert a safetensors checkpoint to layer-wise mixed precision (int8 / fp16 / bf16)."};
    std::string input, output, preset, table_path, calibration = "percentile";
    double pct = 99.99;
    bool strict = false, json = false;
    app.add_option("input", input, "input checkpoint (.safetensors)")->required();
    app.add_option("-o,--output", output, "output directory (created if missing)")->required();
    auto* p = app.add_option("--preset", preset,
                             "built-in table: conservative, conservative-moe, aggressive, int8-linear, fp16, bf16 "
                             "(default conservative)");
    app.add_option("--table", table_path, "precision table JSON file")->excludes(p);
    app.add_option("--calibration", calibration, "int8 calibrator: max, percentile, mse or entropy")->capture_default_str();
    app.add_option("--percentile", pct, "percentile of |w| per row mapped to 127")->capture_default_str();
    app.add_flag("--strict", strict, "unmatched tensors and rules that match nothing are errors");
    app.add_flag("--json", json, "print the report as JSON on stdout");
    std::string eval_tokens;
    mixq::cli::eval_flags eval;
    app.add_option("--eval", eval_tokens, "token file (.npy): measure perplexity before and after");
    std::string calib_tokens, act_method = "percentile";
    app.add_option("--calib", calib_tokens, "token file (.npy): record activation ranges of every linear input");
    app.add_option("--activation-calibration", act_method, "max, percentile (uses --percentile), mse or entropy")
        ->capture_default_str();
    eval.add_to(app);

    return mixq::cli::run("mixq-convert", app, argc, argv, [&] {
        mixq::convert_options opt;
        const auto cal = mixq::parse_calibration(calibration);
        if (!cal) mixq::fail("--calibration '" + calibration + "': expected max, percentile, mse or entropy");
        opt.calibration = *cal;
        opt.percentile = pct;
        opt.strict = strict;
        // Token files and methods are checked first: a mistake there must stop us before any output.
        std::vector<std::int64_t> tokens, calib;
        if (!eval_tokens.empty()) tokens = mixq::io::read_npy_tokens(eval_tokens);
        if (!calib_tokens.empty()) calib = mixq::io::read_npy_tokens(calib_tokens);
        const auto amethod = mixq::parse_calibration(act_method);
        if (!amethod) mixq::fail("--activation-calibration '" + act_method + "': expected max, percentile, mse or entropy");
        const auto in = mixq::io::safetensors_file::open(input);
        auto table = table_path.empty()
                         ? mixq::presets::get(preset.empty() ? "conservative" : preset,
                                              mixq::presets::detect_family(in.tensors()))
                         : mixq::load_table_json(table_path);
        auto c = mixq::convert(in, std::move(table), opt);
        if (!eval_tokens.empty()) {  // evaluated in memory, so metadata.json is written once, complete
            const auto before = mixq::cli::evaluate(mixq::checkpoint_weights(in), input, tokens, eval);
            const auto after = mixq::cli::evaluate(mixq::weights_of(c), input, tokens, eval);
            c.quality = mixq::quality_summary{before.perplexity, after.perplexity, after.tokens_scored,
                                              before.seconds + after.seconds};
        }
        if (!calib.empty()) {  // ranges of the converted model's inputs: what a W8A8 path would see
            const auto w = mixq::weights_of(c);
            const mixq::ssm_lm model(w, mixq::infer_config(w));
            c.activation_ranges = mixq::to_json(mixq::calibrate_activations(model, calib, *amethod, pct, eval.window));
        }
        mixq::write_outputs(output, c);
        if (json) {
            auto j = mixq::report_json(c);
            j["output"] = output;
            std::cout << j.dump(1) << "\n";
        } else {
            std::cout << mixq::report_text(c);
            std::cout << "wrote " << output << "/{model.safetensors, metadata.json, statistics.json, "
                      << "precision_allocation.svg}\n";
        }
        return 0;
    });
}
