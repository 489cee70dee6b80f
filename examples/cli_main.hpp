// Shared exit-code policy of the example CLIs: 0 success, 2 bad input or usage, 1 anything else.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <string>
#include <mixq/core/error.hpp>
#include <mixq/gguf/reader.hpp>
#include <mixq/io/checkpoint_path.hpp>

namespace mixq::cli {

// A GGUF file (by its magic, whatever its name) rather than a safetensors one.
[[nodiscard]] inline bool is_gguf(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::byte magic[4] = {};
    return static_cast<bool>(f.read(reinterpret_cast<char*>(magic), 4)) && gguf::gguf_file::has_magic(magic);
}

// The flag of each library option the CLIs set (mixq::error::option), as the user typed it.
inline const std::map<std::string, std::string> option_flags{
    {"convert_options::percentile", "--percentile"},
    {"convert_options::hessians", "--calib TOKENS.npy"},
    {"convert_options::strict", "--strict"},
    {"export_options::strict", "--strict"},
    {"eval_options::window", "--window"},
    {"search_options::candidates", "--candidates"},
    {"gguf_search_options::candidates", "--candidates"},
    {"search_options::target (ratio)", "--target-ratio"},
    {"search_options::target (bits)", "--target-bits"},
    {"search_options::target (ppl_increase)", "--max-ppl-increase"},
};

// A library error in the CLI's words: the option it blames, wherever the message names it, becomes the flag.
[[nodiscard]] inline std::string message_of(const mixq::error& e) {
    std::string s = e.what();
    const auto flag = option_flags.find(e.option());
    if (e.option().empty() || flag == option_flags.end()) return s;
    for (auto at = s.find(e.option()); at != std::string::npos; at = s.find(e.option(), at + flag->second.size()))
        s.replace(at, e.option().size(), flag->second);
    return s;
}

// Runs `body` and maps exceptions to exit codes, printing "PROGRAM: error: ..." to stderr.
template <class Body>
int run(const char* program, CLI::App& app, int argc, char** argv, Body body) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: usage error: %s\nRun with --help for usage.\n", program, e.what());
        return 2;
    }
    try {
        return body();
    } catch (const mixq::error& e) {
        std::fprintf(stderr, "%s: error: %s\n", program, message_of(e).c_str());
        return e.code() == mixq::errc::bad_input ? 2 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: internal error: %s\n", program, e.what());
        return 1;
    }
}

}  // namespace mixq::cli
