// mixq-search: chooses the precision of every tensor under a size or quality budget, converts, and measures.
#include <cstdio>
#include <iostream>
#include <mixq/quality.hpp>
#include <mixq/search/gguf_search_report.hpp>
#include <mixq/search/search_report.hpp>
#include <sstream>

#include <mixq/io/checkpoint.hpp>

#include "convert_flags.hpp"
#include "cli_main.hpp"
#include "eval_options.hpp"
#include "progress_line.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Choose a precision table under a size or quality budget from measured sensitivities, convert with it and "
                 "measure the result."};
    std::string input, output, calib_path, eval_path, candidates = "fp16,fp8_e4m3,int8,int4_g128,int4_g64,int4_g32,nf4",
                                                      core = "fp16";
    double ratio = 0, bits = 0, ppl = -1, bpw = 0;
    std::string size, format = "safetensors", lowbit = "mse+gptq";
    bool widen = false, json = false, no_refs = false, knapsack_only = false, act_order = false, quiet = false, progress = false;
    mixq::search::search_options o;
    o.threads = mixq::cli::default_threads();
    app.add_option("input", input, "checkpoint (.safetensors, or a model directory holding model.safetensors)")->required();
    app.add_option("-o,--output", output, "output directory (created if missing)")->required();
    app.add_option("--calib", calib_path, "calibration tokens (.npy): GPTQ's Hessians and the sensitivities")->required();
    app.add_option("--eval", eval_path, "evaluation tokens (.npy): the measured perplexity")->required();
    auto* r = app.add_option("--target-ratio", ratio, "budget: compression ratio (fp32 bytes / bytes written) at least this");
    auto* b = app.add_option("--target-bits", bits, "budget: bits per parameter (scales included) at most this");
    auto* q = app.add_option("--max-ppl-increase", ppl, "budget: perplexity increase over fp32 at most this many percent");
    auto* sz = app.add_option("--target-size", size, "budget (--format gguf): the .gguf file at most this large, metadata and alignment "
                                                     "included (bytes, or 48MB, 1536MiB, 2GiB: whole numbers)");
    auto* bw = app.add_option("--target-bpw", bpw, "budget (--format gguf): llama.cpp's bits per weight (8 x tensor data bytes / "
                                                   "parameters) at most this");
    for (auto* x : {r, b, q, sz, bw})
        for (auto* y : {r, b, q, sz, bw})
            if (x != y) x->excludes(y);
    app.add_option("--format", format, "safetensors (mixq's precisions, mixq's files) or gguf (ggml's types, a model.gguf for llama.cpp)")
        ->capture_default_str();
    app.add_option("--lowbit-calibration", lowbit, "--format gguf: how ggml's block types are rounded: max (ggml's reference rounding), "
                                                   "imatrix (llama.cpp's importance-weighted one), gptq or mse+gptq (mixq's GPTQ inside "
                                                   "each type's codes, with ggml's or the importance-weighted scales)")
        ->capture_default_str();
    app.add_option("--candidates", candidates, "precisions each tensor may take, comma-separated (with --format gguf, default "
                                               "q2_k,q3_k,q4_0,iq4_nl,q4_k,q5_0,q5_k,q6_k,q8_0)")->capture_default_str();
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
    app.add_flag("--knapsack-only", knapsack_only,
                 "write the knapsack's table as it is; by default, under a size budget, the presets and uniform tables (with --format gguf: "
                 "llama-quantize's mixes) that fit compete with it on the calibration windows the sensitivities did not use");
    app.add_option("--gptq-damp", o.gptq.damp, "GPTQ damping, a fraction of the mean Hessian diagonal (default 0.01; with --format gguf 0.1)");
    app.add_option("--gptq-block", o.gptq.block, "GPTQ columns per block")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_flag("--gptq-act-order", act_order, "GPTQ: columns in order of decreasing Hessian diagonal");
    app.add_flag("--json", json, "print the result as JSON on stdout");
    app.add_flag("--quiet", quiet, "no progress line on stderr");
    app.add_flag("--progress", progress, "a progress line on stderr even when it is not a terminal (one line every 10 s)");

    // Every token inside the vocabulary, before any work.
    const auto check_tokens = [&](const std::vector<std::int64_t>& calib, const std::vector<std::int64_t>& eval, const mixq::model_config& cfg) {
        for (const auto* tokens : {&calib, &eval})
            for (std::size_t i = 0; i < tokens->size(); ++i)
                if ((*tokens)[i] < 0 || (*tokens)[i] >= cfg.vocab)
                    mixq::fail(std::string(tokens == &calib ? calib_path : eval_path) + ": token id " + std::to_string((*tokens)[i]) +
                               " at index " + std::to_string(i) + " is outside the vocabulary of " + std::to_string(cfg.vocab));
    };
    // The result on stdout: search.json's content with --json, else the report and the files written.
    const auto print = [&](const auto& res, const std::string& files) {
        if (json) {
            auto j = mixq::search::search_json(res);
            j["input"] = input;
            j["output"] = output;
            j["seconds"] = res.seconds;
            std::cout << j.dump(1) << "\n";
        } else {
            std::cout << mixq::search::report_text(res, input) << "wrote " << output << "/{" << files << "}\n";
        }
    };
    // --format gguf: ggml's types, sizes in GGUF bytes, a model.gguf; shares the token files, windows and threads.
    auto search_gguf = [&]() -> int {
        mixq::search::gguf_search_options g;
        if (sz->count()) g.target = {mixq::search::gguf_budget_kind::size, static_cast<double>(mixq::parse_size(size))};
        else if (bw->count()) g.target = {mixq::search::gguf_budget_kind::bpw, bpw};
        else if (b->count()) g.target = {mixq::search::gguf_budget_kind::bpw, bits};
        else if (r->count()) g.target = {mixq::search::gguf_budget_kind::ratio, ratio};
        else if (q->count())
            mixq::fail("--max-ppl-increase is not available with --format gguf yet: give a size (--target-size, --target-bpw, "
                       "--target-bits or --target-ratio)");
        else mixq::fail("a budget is required: --target-size S, --target-bpw B, --target-bits B or --target-ratio R");
        if (!(g.target.value > 0.0)) mixq::fail("the budget must be positive");
        for (const char* flag : {"--widen-core", "--core-precision"})
            if (app.count(flag) > 0)
                mixq::fail(std::string(flag) + " does not apply to --format gguf: the tensors llama-quantize keeps (norms, conv1d, A, D, "
                           "dt bias) stay in F32, as llama.cpp computes them");
        if (lowbit == "max") g.rounding = mixq::search::gguf_rounding::reference;
        else if (lowbit == "imatrix") g.rounding = mixq::search::gguf_rounding::imatrix;
        else if (lowbit == "gptq") g.rounding = mixq::search::gguf_rounding::gptq;
        else if (lowbit == "mse+gptq") g.rounding = mixq::search::gguf_rounding::mse_gptq;
        else mixq::fail("--lowbit-calibration '" + lowbit + "': expected max, imatrix, gptq or mse+gptq");
        const bool gptq = g.rounding == mixq::search::gguf_rounding::gptq || g.rounding == mixq::search::gguf_rounding::mse_gptq;
        for (const char* flag : {"--gptq-damp", "--gptq-block", "--gptq-act-order"})
            if (app.count(flag) > 0 && !gptq) mixq::fail(std::string(flag) + " applies with --lowbit-calibration gptq or mse+gptq only");
        g.gptq = {app.count("--gptq-damp") > 0 ? o.gptq.damp : 0.1, o.gptq.block, act_order};
        if (app.count("--candidates") > 0) {
            g.candidates.clear();
            std::stringstream ss(candidates);
            for (std::string c; std::getline(ss, c, ',');) {
                const auto p = mixq::parse_precision(c);
                if (!p) mixq::fail("--candidates: unknown precision '" + c + "' (with --format gguf: ggml's types q2_k, q3_k, q4_0, q4_1, "
                                   "q5_0, q5_1, q8_0, iq4_nl, q4_k, q5_k, q6_k, and fp16, bf16)");
                g.candidates.push_back(*p);
            }
        }
        if (measure == "nll") g.measure = mixq::search::sensitivity_measure::nll;
        else if (measure == "kl") g.measure = mixq::search::sensitivity_measure::kl;
        else mixq::fail("--sensitivity '" + measure + "': expected nll or kl");
        g.sensitivity_windows = o.sensitivity_windows, g.window = o.window, g.threads = o.threads;
        g.frontier_points = app.count("--frontier-points") > 0 ? o.frontier_points : 3;
        g.reference_points = !no_refs;
        g.reference_choice = !knapsack_only;
        const auto calib = mixq::io::read_npy_tokens(calib_path);
        const auto eval = mixq::io::read_npy_tokens(eval_path);
        const auto in = mixq::io::open_checkpoint(input);
        const mixq::checkpoint_weights w(in);
        const auto cfg = mixq::infer_config(w, std::filesystem::path(input).parent_path() / "config.json");
        check_tokens(calib, eval, cfg);
        auto res = [&] {
            mixq::cli::progress_line line(!quiet && !json && (progress || ::isatty(2) == 1), "mixq-search", 10.0);
            g.progress = [&](const mixq::search::search_progress& p) { line(p); };
            mixq::search::gguf_searcher s(in, cfg, calib, eval, g);
            return s.run();
        }();
        mixq::search::write_search_outputs(output, res);
        print(res, std::string("model.gguf, metadata.json") + (res.chosen.imatrix ? ", imatrix.gguf" : "") + ", table.json, search.json, frontier.svg");
        return 0;
    };

    return mixq::cli::run("mixq-search", app, argc, argv, [&] {
        input = mixq::io::resolve_checkpoint(input);  // a Hugging Face model directory: the checkpoint in it
        if (format != "safetensors" && format != "gguf") mixq::fail("--format '" + format + "': expected safetensors or gguf");
        if (format == "gguf") return search_gguf();
        for (const auto* flag : {"--target-size", "--target-bpw", "--lowbit-calibration"})
            if (app.count(flag) > 0) mixq::fail(std::string(flag) + " applies with --format gguf only");
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
        o.reference_choice = !knapsack_only;
        o.gptq.act_order = act_order;
        // Inputs are all read and checked before any work, so a mistake costs nothing and writes nothing.
        const auto calib = mixq::io::read_npy_tokens(calib_path);
        const auto eval = mixq::io::read_npy_tokens(eval_path);
        const auto in = mixq::io::open_checkpoint(input);
        const mixq::checkpoint_weights w(in);
        const auto cfg = mixq::infer_config(w, std::filesystem::path(input).parent_path() / "config.json");
        check_tokens(calib, eval, cfg);
        auto res = [&] {  // the progress line ends (its own line on a terminal) before the report
            // In a log, a line every 10 s: a 130M-parameter search runs for many minutes, item by item.
            mixq::cli::progress_line line(!quiet && !json && (progress || ::isatty(2) == 1), "mixq-search", 10.0);
            o.progress = [&](const mixq::search::search_progress& p) { line(p); };
            mixq::search::searcher s(in, cfg, calib, eval, o);
            return s.run();
        }();
        const auto& c0 = res.points.front();
        const auto L = cfg.window_or_default(o.window);
        res.chosen.quality = mixq::quality_summary{res.fp32_perplexity, c0.perplexity,
                                                   static_cast<std::int64_t>(eval.size()) / L * (L - 1), 0.0, c0.stderr_percent,
                                                   res.fp32_eval.windows};
        res.chosen.search = {{"budget", mixq::search::describe(o.target)},
                             {"candidates", mixq::search::search_json(res)["candidates"]},
                             {"predicted_perplexity", res.predicted_perplexity},
                             {"measured_perplexity", res.measured_perplexity},
                             {"repair_rounds", res.repair_rounds},
                             // The command that writes the same table again: the search's own conversion options as flags.
                             {"convert_command", "mixq-convert " + input + " -o DIR --table table.json" +
                                                     mixq::cli::calibration_flags(res.chosen.options, o.gptq, o.window) + " --calib " + calib_path}};
        mixq::search::write_search_outputs(output, res);
        print(res, "table.json, search.json, frontier.svg, model.safetensors, metadata.json, statistics.json, precision_allocation.svg");
        return 0;
    });
}
