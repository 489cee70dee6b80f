// mixq::error: the one exception type mixq throws; its code says whether the user's input was at fault.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace mixq {

// bad_input: the file, table or argument is wrong (CLIs exit 2); internal: a bug or a system failure (exit 1).
enum class errc { bad_input, internal };

class error : public std::runtime_error {
public:
    error(errc code, const std::string& what, std::string option = {})
        : std::runtime_error(what), code_(code), option_(std::move(option)) {}
    [[nodiscard]] errc code() const noexcept { return code_; }
    // The library option the message blames, as the message spells it ("convert_options::percentile"), or
    // empty: a CLI replaces it with its own flag ("--percentile"), so the library's errors never name a flag.
    [[nodiscard]] const std::string& option() const noexcept { return option_; }

private:
    errc code_;
    std::string option_;
};

// Throws a bad_input error; the message must name the culprit (file, tensor, rule or option).
[[noreturn]] inline void fail(const std::string& what) { throw error(errc::bad_input, what); }

// Throws a bad_input error that blames an option: `what` names it as `option` spells it (a field of an
// options struct, "convert_options::strict").
[[noreturn]] inline void fail_option(const std::string& option, const std::string& what) {
    throw error(errc::bad_input, what, option);
}

}  // namespace mixq
