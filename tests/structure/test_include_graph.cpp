// Tests the shape of include/mixq: every quoted include resolves, and every include between rooms goes down
// the floors of docs/api.md ("Where each concept lives"), so no folder-level circle can form.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <mixq/format/formats.hpp>

#include "support/catch.hpp"

// A named namespace: the unity build joins this file's helpers with other test files'.
namespace include_graph {
namespace fs = std::filesystem;

struct include_edge {
    std::string from, to;  // files, relative to include/mixq
};

// A room is a header's folder; a header at the top (the umbrellas, version.hpp) is a room of its own.
std::string room_of(const std::string& file) {
    const auto slash = file.rfind('/');
    return slash == std::string::npos ? file : file.substr(0, slash);
}

// The floors, lowest first: a room may include only rooms on lower floors. Rooms on one floor (convert and
// eval) do not include each other. cuda/ is layered as CUB is: device-level API over dispatch/ over kernels/
// over block/ over detail/.
const std::map<std::string, double> floors{
    {"detail", 0}, {"core", 0}, {"version.hpp", 0},
    {"format/ggml", 0.9}, {"format", 1}, {"io", 1},  // format/traits.hpp names ggml's type ids
    {"precision", 1.5},  // tables of the formats
    {"calib", 2},
    {"cuda/detail", 2.1}, {"cuda/block", 2.2}, {"cuda/kernels", 2.3}, {"cuda/dispatch", 2.4}, {"cuda", 2.5},
    {"quant", 3},
    {"model/layers", 4}, {"model", 4.5},  // the model strings the layers together
    {"convert", 5}, {"eval", 5},
    {"gguf", 6},
    {"search", 7},
    {"mixq.hpp", 8},
    {"quality.hpp", 9},
};

// The one circle left: model/ still holds both what the layers use (config, products, scans) and the forward
// that strings the layers together (issue #29's next move: the Mamba-1 mixer into model/layers and the
// kernels into a folder of their own).
const std::set<std::pair<std::string, std::string>> known_upward{{"model/layers", "model"}};

// Files that must not include each other though their floors allow it.
const std::vector<std::pair<std::string, std::string>> forbidden{
    {"gguf/", "convert/report.hpp"},  // GGUF's report has its own text; the safetensors report is not its floor
};

std::string read_text(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

template <class Strings>
std::string lines_of(const Strings& v) {
    std::string s;
    for (const auto& x : v) s += "\n  " + x;
    return s;
}

// Deprecated forwarding headers (one release's grace for a moved header) point wherever the header went.
bool forwarding(const std::string& text) { return text.rfind("// Deprecated forwarding header", 0) == 0; }

// Every header's code, comments left out (what the name and flag checks read): header -> its lines.
std::map<std::string, std::string> headers_code(const fs::path& root) {
    std::map<std::string, std::string> code;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (!e.is_regular_file()) continue;
        std::istringstream lines(read_text(e.path()));
        auto& c = code[fs::relative(e.path(), root).generic_string()];
        for (std::string line; std::getline(lines, line);) c += line.substr(0, line.find("//")) + "\n";
    }
    return code;
}

std::vector<include_edge> quoted_includes(const fs::path& root, std::vector<std::string>& unresolved) {
    std::vector<include_edge> edges;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (!e.is_regular_file()) continue;
        const auto text = read_text(e.path());
        if (forwarding(text)) continue;
        const auto from = fs::relative(e.path(), root).generic_string();
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            const auto at = line.find("#include \"");
            if (at != 0) continue;
            const auto start = at + 10, end = line.find('"', start);
            const auto target = (e.path().parent_path() / line.substr(start, end - start)).lexically_normal();
            if (!fs::exists(target)) {
                unresolved.push_back(from + " -> " + line.substr(start, end - start));
                continue;
            }
            edges.push_back({from, fs::relative(target, root).generic_string()});
        }
    }
    return edges;
}
}  // namespace include_graph

TEST_CASE("include/mixq: every include resolves and goes down the floors, no folder-level circle", "[structure]") {
    using namespace include_graph;
    const fs::path root = MIXQ_INCLUDE_DIR;
    std::vector<std::string> unresolved;
    const auto edges = quoted_includes(root, unresolved);
    REQUIRE(edges.size() > 300);  // the tree was found and read
    INFO("includes that name no file:" << lines_of(unresolved));
    CHECK(unresolved.empty());

    std::set<std::string> unplaced, upward;
    for (const auto& e : edges) {
        const auto a = room_of(e.from), b = room_of(e.to);
        if (a == b) continue;
        if (!floors.count(a)) unplaced.insert(a);
        if (!floors.count(b)) unplaced.insert(b);
        if (!floors.count(a) || !floors.count(b) || known_upward.count({a, b})) continue;
        if (floors.at(b) >= floors.at(a)) upward.insert(e.from + " -> " + e.to + " (" + a + " includes " + b + ", not below it)");
    }
    {
        INFO("rooms without a floor in this test (place them):" << lines_of(unplaced));
        CHECK(unplaced.empty());
    }
    {
        INFO("includes that do not go down:" << lines_of(upward));
        CHECK(upward.empty());
    }
    for (const auto& [from, to] : forbidden)
        for (const auto& e : edges) {
            INFO(e.from << " -> " << e.to);
            CHECK_FALSE((e.from.rfind(from, 0) == 0 && e.to == to));
        }
}

TEST_CASE("include/mixq: the moved headers still forward to their new homes for one release", "[structure]") {
    using namespace include_graph;
    const fs::path root = MIXQ_INCLUDE_DIR;
    for (const auto& [old_path, new_path] : std::vector<std::pair<std::string, std::string>>{
             {"eval/hessians.hpp", "convert/hessians.hpp"},
             {"eval/layerwise_gptq.hpp", "convert/layerwise_gptq.hpp"},
             {"eval/importance.hpp", "gguf/importance.hpp"},
             {"core/precision.hpp", "format/formats.hpp"}}) {
        INFO(old_path);
        const auto text = read_text(root / old_path);
        CHECK(forwarding(text));
        CHECK(text.find("#include \"../" + new_path + "\"") != std::string::npos);
        CHECK(fs::exists(root / new_path));
    }
}

TEST_CASE("include/mixq: each format is written in exactly one header of format/, and no switch elsewhere spells them out", "[structure]") {
    using namespace include_graph;
    const auto text = headers_code(MIXQ_INCLUDE_DIR);
    REQUIRE(text.size() > 100);
    for (const auto& f : mixq::formats) {
        // The name as a string literal is its traits entry; any other header of format/ naming it would be
        // a second home.
        std::vector<std::string> homes;
        for (const auto& [file, t] : text)
            if (file.rfind("format/", 0) == 0 && t.find("\"" + std::string(f.name) + "\"") != std::string::npos) homes.push_back(file);
        INFO(f.name << " is written in:" << lines_of(homes));
        CHECK(homes.size() == 1);
    }
    // Facts of a format derive from its traits; the only switch over precisions outside format/ is the
    // chart's colours (a presentation choice, not a fact of the format).
    std::vector<std::string> switches;
    for (const auto& [file, t] : text)
        if (file.rfind("format/", 0) != 0 && file != "convert/svg_chart.hpp" && t.find("case precision::") != std::string::npos)
            switches.push_back(file);
    INFO("headers with a switch over precisions:" << lines_of(switches));
    CHECK(switches.empty());
}

TEST_CASE("include/mixq: library errors name the library's options, not a CLI's flags", "[structure]") {
    using namespace include_graph;
    // A string literal holding "--x" is a flag; the reports mixq-search prints may name their own command.
    const std::vector<std::string> allowed{"llama-quantize --imatrix", "mixq-search --format gguf: ", "--widen-core searches"};
    std::vector<std::string> flags;
    for (const auto& [file, text] : headers_code(MIXQ_INCLUDE_DIR)) {
        std::istringstream lines(text);
        for (std::string code; std::getline(lines, code);) {
            for (auto q = code.find('"'); q != std::string::npos;) {
                const auto end = code.find('"', q + 1);
                if (end == std::string::npos) break;
                const auto literal = code.substr(q + 1, end - q - 1);
                const auto at = literal.find("--");
                if (at != std::string::npos && at + 2 < literal.size() && std::islower(static_cast<unsigned char>(literal[at + 2])) &&
                    std::none_of(allowed.begin(), allowed.end(), [&](const std::string& a) { return literal.find(a) != std::string::npos; }))
                    flags.push_back(file + ": " + literal);
                q = code.find('"', end + 1);
            }
        }
    }
    INFO("string literals naming a flag:" << lines_of(flags));
    CHECK(flags.empty());
}
