// mixq-search: chooses the precision of every tensor under a size or quality budget, converts, and measures.
#include <cstdio>
#include <iostream>
#include <mixq/quality.hpp>
#include <mixq/search/search_report.hpp>
#include <sstream>

#include <mixq/io/checkpoint.hpp>

#include "cli_main.hpp"
#include "eval_options.hpp"
#include "progress_line.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Choose a precision table under a size or quality budget from measured sensitivities, convert with it and "
                 "measure the result."};
    std::string input, output, calib_path, eval_path, candidates = "fp16,fp8_e4m3,int8,int4_g128,int4_g64,int4_g32,nf4",
                                                      core = "fp16";
    double ratio = 0, bits = 0, ppl = -1;
    bool widen = false, json = false, no_refs = false, act_order = false, quiet = false, progress = false;
    mixq::search::search_options o;
    o.threads = mixq::cli::default_threads();
    app.add_option("input", input, "checkpoint (.safetensors, or a model directory holding model.safetensors)")->required();
    app.add_option("-o,--output", output, "output directory (created if missing)")->required();
    app.add_option("--calib", calib_path, "calibration tokens (.npy): GPTQ's Hessians and the sensitivities")->required();
    app.add_option("--eval", eval_path, "evaluation tokens (.npy): the measured perplexity")->required();
    auto* r = app.add_option("--target-ratio", ratio, "budget: compression ratio (fp32 bytes / bytes written) at least this");
    auto* b = app.add_option("--target-bits", bits, "budget: bits per parameter (scales included) at most this");
    auto* q = app.add_option("--max-ppl-increase", ppl, "budget: perplexity increase over fp32 at most this many percent");
    r->excludes(b)->excludes(q);
    b->excludes(q);
    app.add_option("--candidates", candidates, "precisions each tensor may take, comma-separated")->capture_default_str();
    app.add_flag("--widen-core", widen, "also search the SSM core (conv1d, A_log, D, dt_proj.bias, norms)");
    app.add_option("--core-precision", core, "what the SSM core keeps when not searched: fp16, bf16 or fp32")->capture_default_str();
    std::string measure = "kl";
    app.add_option("--sensitivity", measure, "what a tensor's sensitivity is: nll (change of the calibration loss) or kl "
                                             "(KL divergence of the next-token distributions)")->capture_default_str();
    app.add_option("--sensitivity-windows", o.sensitivity_windows, "calibration windows the KL is measured on")
        ->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--window", o.window, "tokens per window (default: the model's maximum length, else 128)");
    app.add_option("--threads", o.threads, "threads (default: all cores)")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--frontier-points", o.frontier_points, "further budgets solved and measured for the chart")
        ->capture_default_str()->check(CLI::NonNegativeNumber);
    app.add_flag("--no-reference-points", no_refs, "do not measure the presets and uniform tables for the chart");
    app.add_option("--gptq-damp", o.gptq.damp, "GPTQ damping, a fraction of the mean Hessian diagonal")->capture_default_str();
    app.add_option("--gptq-block", o.gptq.block, "GPTQ columns per block")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_flag("--gptq-act-order", act_order, "GPTQ: columns in order of decreasing Hessian diagonal");
    app.add_flag("--json", json, "print the result as JSON on stdout");
    app.add_flag("--quiet", quiet, "no progress line on stderr");
    app.add_flag("--progress", progress, "a progress line on stderr even when it is not a terminal (one line every 10 s)");

    return mixq::cli::run("mixq-search", app, argc, argv, [&] {
        input = mixq::io::resolve_checkpoint(input);  // a Hugging Face model directory: the checkpoint in it
        if (r->count()) o.target = {mixq::search::budget_kind::ratio, ratio};
        else if (b->count()) o.target = {mixq::search::budget_kind::bits, bits};
        else if (q->count()) o.target = {mixq::search::budget_kind::ppl_increase, ppl};
        else mixq::fail("a budget is required: --target-ratio R, --target-bits B or --max-ppl-increase P");
        if (!(o.target.value > 0.0) && o.target.kind != mixq::search::budget_kind::ppl_increase)
            mixq::fail("the budget must be positive");
        if (o.target.kind == mixq::search::budget_kind::ppl_increase && !(o.target.value >= 0.0))
            mixq::fail("--max-ppl-increase must be >= 0");
        o.candidates.clear();
        std::stringstream ss(candidates);
        for (std::string c; std::getline(ss, c, ',');) {
            const auto p = mixq::parse_precision(c);
            if (!p) mixq::fail("--candidates: unknown precision '" + c + "' (known: fp32, fp16, bf16, int8, int4_g32, int4_g64, int4_g128, nf4, fp8_e4m3)");
            o.candidates.push_back(*p);
        }
        const auto cp = mixq::parse_precision(core);
        if (!cp || (*cp != mixq::precision::fp16 && *cp != mixq::precision::bf16 && *cp != mixq::precision::fp32))
            mixq::fail("--core-precision '" + core + "': expected fp16, bf16 or fp32");
        o.core = *cp;
        if (measure == "nll") o.measure = mixq::search::sensitivity_measure::nll;
        else if (measure == "kl") o.measure = mixq::search::sensitivity_measure::kl;
        else mixq::fail("--sensitivity '" + measure + "': expected nll or kl");
        o.widen = widen;
        o.reference_points = !no_refs;
        o.gptq.act_order = act_order;
        // Inputs are all read and checked before any work, so a mistake costs nothing and writes nothing.
        const auto calib = mixq::io::read_npy_tokens(calib_path);
        const auto eval = mixq::io::read_npy_tokens(eval_path);
        const auto in = mixq::io::open_checkpoint(input);
        const mixq::checkpoint_weights w(in);
        const auto cfg = mixq::infer_config(w, std::filesystem::path(input).parent_path() / "config.json");
        for (const auto* tokens : {&calib, &eval})
            for (std::size_t i = 0; i < tokens->size(); ++i)
                if ((*tokens)[i] < 0 || (*tokens)[i] >= cfg.vocab)
                    mixq::fail(std::string(tokens == &calib ? calib_path : eval_path) + ": token id " + std::to_string((*tokens)[i]) +
                               " at index " + std::to_string(i) + " is outside the vocabulary of " + std::to_string(cfg.vocab));
        auto res = [&] {  // the progress line ends (its own line on a terminal) before the report
            // In a log, a line every 10 s: a 130M-parameter search runs for many minutes, item by item.
            mixq::cli::progress_line line(!quiet && !json && (progress || ::isatty(2) == 1), "mixq-search", 10.0);
            o.progress = [&](const mixq::search::search_progress& p) { line(p); };
            mixq::search::searcher s(in, cfg, calib, eval, o);
            return s.run();
        }();
        const auto& c0 = res.points.front();
        const auto L = o.window > 0 ? o.window : (cfg.max_seq > 0 ? cfg.max_seq : 128);
        res.chosen.quality = mixq::quality_summary{res.fp32_perplexity, c0.perplexity,
                                                   static_cast<std::int64_t>(eval.size()) / L * (L - 1), 0.0, c0.stderr_percent,
                                                   res.fp32_eval.windows};
        res.chosen.search = {{"budget", mixq::search::describe(o.target)},
                             {"candidates", mixq::search::search_json(res)["candidates"]},
                             {"predicted_perplexity", res.predicted_perplexity},
                             {"measured_perplexity", res.measured_perplexity},
                             {"repair_rounds", res.repair_rounds},
                             {"convert_command", "mixq-convert " + input + " -o DIR --table table.json --calibration gptq "
                                                 "--lowbit-calibration mse+gptq --calib " + calib_path}};
        mixq::search::write_search_outputs(output, res);
        if (json) {
            auto j = mixq::search::search_json(res);
            j["input"] = input;
            j["output"] = output;
            j["seconds"] = res.seconds;
            std::cout << j.dump(1) << "\n";
        } else {
            std::cout << mixq::search::report_text(res, input);
            std::cout << "wrote " << output << "/{table.json, search.json, frontier.svg, model.safetensors, metadata.json, "
                      << "statistics.json, precision_allocation.svg}\n";
        }
        return 0;
    });
}
