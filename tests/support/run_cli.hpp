// Runs a shell command line for the CLI tests, with its stdout and stderr captured in a scratch directory.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "fixture.hpp"

namespace mixq::test {

inline std::string quote(const std::string& s) { return "'" + s + "'"; }

struct cli_result {
    int code;  // the exit status, -1 when the command did not exit normally
    std::string out, err;
};

inline cli_result run_command(const std::string& cmd, const temp_dir& scratch) {
    const auto o = scratch.file("stdout.txt"), e = scratch.file("stderr.txt");
    const int status = std::system((cmd + " >" + quote(o) + " 2>" + quote(e)).c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_bytes(o), read_bytes(e)};
}

}  // namespace mixq::test
