// A progress line on stderr for long work: tensors and bytes done, rate, time left; quiet for short jobs.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mixq/convert/stream.hpp>

namespace mixq::cli {

// On a terminal the line is redrawn in place (\r) at most 5 times a second; elsewhere (a log, when
// forced with --progress) it is one line per second. Nothing is printed during the first second, so
// small jobs stay silent.
class progress_line {
public:
    progress_line(bool enabled, const char* what) : enabled_(enabled), tty_(::isatty(2) == 1), what_(what) {}
    progress_line(const progress_line&) = delete;
    progress_line& operator=(const progress_line&) = delete;
    ~progress_line() {
        if (drawn_ && tty_) std::fputc('\n', stderr);
    }

    void operator()(const stream_progress& p) {
        if (!enabled_) return;
        const auto now = clock::now();
        const double since = std::chrono::duration<double>(now - start_).count();
        const bool last = p.tensors_done == p.tensors_total;
        if (since < 1.0 || (!last && std::chrono::duration<double>(now - shown_).count() < (tty_ ? 0.2 : 1.0))) return;
        shown_ = now;
        constexpr double gib = 1024.0 * 1024.0 * 1024.0;
        const double rate = static_cast<double>(p.bytes_done) / since;  // bytes of input per second
        const double left = rate > 0 ? static_cast<double>(p.bytes_total - p.bytes_done) / rate : 0.0;
        std::fprintf(stderr, "%s%s: %zu/%zu tensors, %.2f/%.2f GiB, %.0f MiB/s, %.0f s left%s", tty_ ? "\r" : "", what_,
                     p.tensors_done, p.tensors_total, static_cast<double>(p.bytes_done) / gib, static_cast<double>(p.bytes_total) / gib,
                     rate / (1024.0 * 1024.0), left, tty_ ? "   " : "\n");
        std::fflush(stderr);
        drawn_ = true;
    }

private:
    using clock = std::chrono::steady_clock;
    bool enabled_, tty_;
    const char* what_;
    bool drawn_ = false;
    clock::time_point start_ = clock::now(), shown_{};
};

}  // namespace mixq::cli
