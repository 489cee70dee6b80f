// mixq-inspect: lists a checkpoint's tensors and the rule that would decide each; writes nothing.
#include <cstdio>
#include <iostream>
#include <mixq/mixq.hpp>

#include "cli_main.hpp"

int main(int argc, char** argv) {
    CLI::App app{"List the tensors of a safetensors checkpoint and the precision rule that would decide each."};
    std::string input, preset, table_path;
    app.add_option("input", input, "checkpoint (.safetensors)")->required();
    auto* p = app.add_option("--preset", preset, "built-in table (default conservative)");
    app.add_option("--table", table_path, "precision table JSON file")->excludes(p);

    return mixq::cli::run("mixq-inspect", app, argc, argv, [&] {
        const auto in = mixq::io::safetensors_file::open(input);
        const mixq::checkpoint_weights stored(in);  // a mixq file's schemes, packed and scale shapes are checked here
        const auto family = mixq::presets::detect_family(in.tensors());
        const auto table = table_path.empty() ? mixq::presets::get(preset.empty() ? "conservative" : preset, family)
                                              : mixq::load_table_json(table_path);
        std::vector<mixq::tensor_view> logical;  // parameters counted before packing
        for (const auto& t : in.tensors()) logical.push_back(stored.at(t.name));
        const auto plan = mixq::make_plan(table, logical);
        std::printf("%s: %zu tensors, layout %s, table '%s'\n", input.c_str(), in.tensors().size(),
                    std::string(mixq::presets::to_string(family)).c_str(), table.name().c_str());
        std::printf("%-44s %-16s %-8s %-10s %-10s %s\n", "tensor", "shape", "dtype", "stored as", "->", "rule");
        for (const auto& e : plan.entries) {
            const auto& t = *e.tensor;
            std::printf("%-44s %-16s %-8s %-10s %-10s %s\n", t.name.c_str(), mixq::shape_string(t.shape).c_str(),
                        std::string(mixq::to_string(t.type)).c_str(),
                        std::string(mixq::to_string(stored.stored_precision(t.name))).c_str(),
                        std::string(mixq::to_string(e.target)).c_str(),
                        e.rule ? ("#" + std::to_string(*e.rule + 1) + " " + table.rules()[*e.rule].pattern).c_str()
                               : "(unmatched: keeps source precision)");
        }
        std::cout << "\n" << mixq::match_report_text(table, plan);
        return 0;
    });
}
