// mixq-inspect: lists a checkpoint's tensors and the rule that would decide each; writes nothing.
#include <cstdio>
#include <iostream>
#include <mixq/mixq.hpp>

#include <map>
#include <optional>
#include <mixq/io/checkpoint.hpp>
#include <mixq/precision/roles.hpp>

#include "cli_main.hpp"

int main(int argc, char** argv) {
    CLI::App app{"List the tensors of a safetensors checkpoint and the precision rule that would decide each, or validate and list a GGUF file."};
    std::string input, preset, table_path;
    app.add_option("input", input, "checkpoint (.safetensors, .gguf, or a model directory holding model.safetensors)")->required();
    auto* p = app.add_option("--preset", preset, "built-in table (default conservative)");
    app.add_option("--table", table_path, "precision table JSON file")->excludes(p);
    bool every_tensor = false;
    app.add_flag("--tensors", every_tensor, "a line per tensor even for a large model (by default above 100 tensors only the roles are listed)");

    return mixq::cli::run("mixq-inspect", app, argc, argv, [&] {
        input = mixq::io::resolve_checkpoint(input);  // a Hugging Face model directory: the checkpoint in it
        if (mixq::cli::is_gguf(input)) {  // validated as mixq-eval reads it: keys, types, byte ranges, shapes
            if (!preset.empty() || !table_path.empty()) mixq::fail("--preset / --table do not apply to a GGUF file");
            const auto m = mixq::gguf::load_mamba(input);
            const auto& f = m->file;
            const auto& c = m->config;
            const auto arch = mixq::gguf::arch_of(c.layout);
            std::printf("%s: GGUF v%u, %zu tensors, %zu keys, architecture %s: %lld layers, d_model %lld, d_inner %lld, "
                        "d_state %lld, vocab %lld, tokenizer %s\n",
                        input.c_str(), f.version(), f.tensors().size(), f.kvs().size(), std::string(mixq::gguf::to_string(arch)).c_str(),
                        static_cast<long long>(c.n_layers),
                        static_cast<long long>(c.d_model), static_cast<long long>(c.d_inner), static_cast<long long>(c.d_state),
                        static_cast<long long>(c.vocab), f.find_kv("tokenizer.ggml.model") ? f.get_string("tokenizer.ggml.model").c_str() : "(none)");
            // the table's name and size, not its rules: a searched table names every tensor
            if (const auto* t = f.find_kv("mixq.table"); t && t->type == mixq::gguf::value_type::string) {
                const auto j = nlohmann::json::parse(t->value.get<std::string>(), nullptr, false);
                if (j.is_object() && j.contains("name") && j["name"].is_string() && j.contains("rules") && j["rules"].is_array())
                    std::printf("written by mixq: table '%s' (%zu rules, in the key mixq.table)\n",
                                j["name"].get<std::string>().c_str(), j["rules"].size());
            }
            // One line per role (Hugging Face name, layer index as N), then each tensor for a small file or with --tensors.
            struct role_line {
                std::size_t tensors = 0;
                std::uint64_t bytes = 0;
                std::map<std::string, std::size_t> types;
            };
            std::vector<std::string> order;
            std::map<std::string, role_line> roles;
            for (const auto& t : f.tensors()) {
                const auto role = mixq::role_of(mixq::gguf::to_hf_name(t.name, arch, "backbone.").value_or(t.name));
                if (!roles.count(role)) order.push_back(role);
                auto& r = roles[role];
                ++r.tensors, r.bytes += t.bytes.size(), ++r.types[std::string(mixq::gguf::to_string(t.type))];
            }
            std::printf("%-52s %8s %14s  %s\n", "role (N: every layer)", "tensors", "bytes", "types (tensors)");
            for (const auto& role : order) {
                const auto& r = roles[role];
                std::string types;
                for (const auto& [type, n] : r.types) types += (types.empty() ? "" : ", ") + type + " (" + std::to_string(n) + ")";
                std::printf("%-52s %8zu %14llu  %s\n", role.c_str(), r.tensors, static_cast<unsigned long long>(r.bytes), types.c_str());
            }
            if (f.tensors().size() > 100 && !every_tensor) {
                std::printf("(%zu tensors: --tensors lists each)\n", f.tensors().size());
                return 0;
            }
            std::printf("\n%-28s %-16s %-6s %12s  %s\n", "tensor", "ne (ggml order)", "type", "bytes", "as mixq reads it");
            for (const auto& t : f.tensors()) {
                std::string ne = "[";
                for (std::size_t i = 0; i < t.ne.size(); ++i) ne += (i ? ", " : "") + std::to_string(t.ne[i]);
                std::printf("%-28s %-16s %-6s %12zu  %s\n", t.name.c_str(), (ne + "]").c_str(),
                            std::string(mixq::gguf::to_string(t.type)).c_str(), t.bytes.size(),
                            mixq::gguf::to_hf_name(t.name, arch, "backbone.").value_or("?").c_str());
            }
            return 0;
        }
        const auto in = mixq::io::open_checkpoint(input);
        const mixq::checkpoint_weights stored(in);  // a mixq file's schemes, packed and scale shapes are checked here
        const auto family = mixq::presets::detect_family(in.tensors());
        const auto table = mixq::load_table(table_path, preset, in.tensors());
        std::vector<mixq::tensor_view> logical;  // parameters counted before packing
        for (const auto& t : in.tensors()) logical.push_back(stored.at(t.name));
        const auto plan = mixq::make_plan(table, logical);
        std::printf("%s: %zu tensors, layout %s, table '%s'\n", input.c_str(), in.tensors().size(),
                    std::string(mixq::presets::to_string(family)).c_str(), table.name().c_str());
        // The model itself, when config.json (or the names alone, for Mamba-1) describe it: its layer kinds.
        const auto config_json = std::filesystem::path(input).parent_path() / "config.json";
        std::optional<mixq::model_config> config;
        if (std::filesystem::exists(config_json)) {
            config = mixq::infer_config(stored, config_json);  // a config.json that contradicts the tensors is bad input
        } else {
            try {
                config = mixq::infer_config(stored);
            } catch (const mixq::error& e) {  // tensors only: listable, though no layout mixq evaluates
                std::printf("model: not evaluable as it is (%s)\n", e.what());
            }
        }
        if (config) {
            const auto& c = *config;
            std::map<mixq::layer_kind, int> kinds;
            std::string pattern;
            for (std::int64_t l = 0; l < c.n_layers; ++l) {
                ++kinds[c.kind(l)];
                pattern += c.kind(l) == mixq::layer_kind::attention ? '*' : c.kind(l) == mixq::layer_kind::mlp ? '-' : 'M';
            }
            std::string k;
            for (const auto& [kind, n] : kinds) k += (k.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(mixq::to_string(kind));
            std::printf("model: %s, %lld layers (%s)%s, d_model %lld, vocab %lld, head %s\n", std::string(mixq::to_string(c.layout)).c_str(),
                        static_cast<long long>(c.n_layers), k.c_str(), c.layout == mixq::layout_kind::nemotron_h ? (", pattern " + pattern).c_str() : "",
                        static_cast<long long>(c.d_model), static_cast<long long>(c.vocab), c.tied_head ? "tied to the embeddings" : "its own");
        }
        std::printf("\n%-52s %8s %14s  %s\n", "role (N: every layer)", "tensors", "parameters", "-> precision (tensors)");
        for (const auto& r : mixq::summarize_roles(plan)) {
            std::string to;
            for (const auto& [prec, n] : r.targets) to += (to.empty() ? "" : ", ") + std::string(mixq::to_string(prec)) + " (" + std::to_string(n) + ")";
            std::printf("%-52s %8zu %14lld  %s\n", r.role.c_str(), r.tensors, static_cast<long long>(r.params), to.c_str());
        }
        if (plan.entries.size() > 100 && !every_tensor) {
            std::printf("(%zu tensors: --tensors lists each)\n\n%s", plan.entries.size(), mixq::match_report_text(table, plan).c_str());
            return 0;
        }
        std::printf("\n%-44s %-16s %-8s %-10s %-10s %s\n", "tensor", "shape", "dtype", "stored as", "->", "rule");
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
