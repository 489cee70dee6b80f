// Runs the CLIs on every file of tests/bad_inputs/ (see its manifest.json): exit 2, the expected message, no output.
#include <nlohmann/json.hpp>

#include "support/catch.hpp"
#include "support/fixture.hpp"
#include "support/run_cli.hpp"

TEST_CASE("every file of the bad-input matrix gives exit 2 and a clear message and leaves no output", "[cli][bad_input]") {
    const std::filesystem::path dir = MIXQ_BAD_INPUTS_DIR;
    const auto manifest = nlohmann::json::parse(mixq::test::read_bytes((dir / "manifest.json").string()));
    REQUIRE(manifest.size() >= 20);
    const auto q = mixq::test::quote;
    const auto model = q(mixq::test::fixture("model.safetensors")), tokens = q(mixq::test::fixture("eval_tokens.npy"));
    for (const auto& e : manifest) {
        const auto file = q((dir / e["file"].get<std::string>()).string());
        const auto tool = e["tool"].get<std::string>();
        INFO(e["file"].get<std::string>() << " (" << e["what"].get<std::string>() << ")");
        mixq::test::temp_dir out;
        const auto o = q(out.file("o"));
        std::string cmd;
        if (tool == "convert") cmd = q(MIXQ_CONVERT_EXE) + " " + file + " -o " + o;
        else if (tool == "convert-table") cmd = q(MIXQ_CONVERT_EXE) + " " + model + " -o " + o + " --table " + file;
        else if (tool == "eval") cmd = q(MIXQ_EVAL_EXE) + " " + file + " --tokens " + tokens;
        else if (tool == "eval-tokens") cmd = q(MIXQ_CONVERT_EXE) + " " + model + " -o " + o + " --threads 2 --eval " + file;
        else if (tool == "inspect") cmd = q(MIXQ_INSPECT_EXE) + " " + file;
        REQUIRE_FALSE(cmd.empty());
        if (e.contains("args")) {  // "{bad}" is this folder
            auto args = e["args"].get<std::string>();
            for (auto at = args.find("{bad}"); at != std::string::npos; at = args.find("{bad}")) args.replace(at, 5, dir.string());
            cmd += " " + args;
        }
        const auto r = mixq::test::run_command(cmd, out);
        INFO(r.err);
        CHECK(r.code == 2);
        CHECK(r.err.find(e["expect"].get<std::string>()) != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(out.path / "o"));
    }
}
