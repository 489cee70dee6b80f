// mixq::error: the one exception type mixq throws; its code says whether the user's input was at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace mixq {

// bad_input: the file, table or argument is wrong (CLIs exit 2); internal: a bug or a system failure (exit 1).
enum class errc { bad_input, internal };

class error : public std::runtime_error {
public:
    error(errc code, const std::string& what) : std::runtime_error(what), code_(code) {}
    [[nodiscard]] errc code() const noexcept { return code_; }

private:
    errc code_;
};

// Throws a bad_input error; the message must name the culprit (file, tensor, rule or option).
[[noreturn]] inline void fail(const std::string& what) { throw error(errc::bad_input, what); }

}  // namespace mixq
