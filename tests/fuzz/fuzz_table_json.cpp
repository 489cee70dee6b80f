// libFuzzer target: the precision-table JSON loader, then decisions for a few names with its glob rules.
#include <cstdint>
#include <mixq/precision/table_json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto t = mixq::parse_table_json(std::string(reinterpret_cast<const char*>(data), size), "<fuzz>");
        // Regex rules are compiled above but not matched: ECMAScript backtracking is exponential by design
        // (see docs/reliability.md); globs are what must stay fast on anything.
        for (const char* name : {"embedding.weight", "layers.12.ssm.in_proj.weight", "backbone.norm_f.weight", ""})
            for (const auto& r : t.rules())
                if (!r.is_regex()) (void)mixq::glob_match(r.pattern, name);
    } catch (const mixq::error& e) {
        if (e.code() != mixq::errc::bad_input) __builtin_trap();
    }
    return 0;
}
