// A progress line on stderr for long work (a conversion's tensors and bytes, a search's phases), with the
// time left; quiet for short jobs.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fmt/format.h>
#include <mixq/convert/stream.hpp>
#include <mixq/search/progress.hpp>
#include <string>

namespace mixq::cli {

// On a terminal the line is redrawn in place (\r) at most 5 times a second; elsewhere (a log, when
// forced with --progress) it is one line per `log_every` seconds. Nothing is printed during the first
// second, so small jobs stay silent.
class progress_line {
public:
    progress_line(bool enabled, const char* what, double log_every = 1.0)
        : enabled_(enabled), tty_(::isatty(2) == 1), what_(what), log_every_(log_every) {}
    progress_line(const progress_line&) = delete;
    progress_line& operator=(const progress_line&) = delete;
    ~progress_line() {
        if (drawn_ && tty_) std::fputc('\n', stderr);
    }

    void operator()(const stream_progress& p) {
        if (!enabled_ || !due(p.tensors_done == p.tensors_total)) return;
        constexpr double gib = 1024.0 * 1024.0 * 1024.0;
        const double rate = static_cast<double>(p.bytes_done) / since();  // bytes of input per second
        const double left = rate > 0 ? static_cast<double>(p.bytes_total - p.bytes_done) / rate : 0.0;
        draw(fmt::format("{}/{} tensors, {:.2f}/{:.2f} GiB, {:.0f} MiB/s, {:.0f} s left", p.tensors_done, p.tensors_total,
                         static_cast<double>(p.bytes_done) / gib, static_cast<double>(p.bytes_total) / gib,
                         rate / (1024.0 * 1024.0), left));
    }

    // A search: its phase, items done, and the phase's time left at its rate so far.
    void operator()(const search::search_progress& p) {
        if (!enabled_ || !due(p.done == p.total)) return;
        const double left = p.done > 0 ? p.phase_seconds / static_cast<double>(p.done) * static_cast<double>(p.total - p.done) : 0.0;
        draw(fmt::format("{} {}/{}, {:.0f} s in, {:.0f} s left in this phase", p.phase, p.done, p.total, p.seconds, left));
    }

private:
    using clock = std::chrono::steady_clock;
    [[nodiscard]] double since() const { return std::chrono::duration<double>(clock::now() - start_).count(); }
    // Nothing in the first second; then at most 5 redraws a second on a terminal, a line every log_every_ elsewhere.
    [[nodiscard]] bool due(bool last) {
        const auto now = clock::now();
        if (since() < 1.0 || (!last && std::chrono::duration<double>(now - shown_).count() < (tty_ ? 0.2 : log_every_))) return false;
        shown_ = now;
        return true;
    }
    void draw(const std::string& text) {
        std::fprintf(stderr, "%s%s: %s%s", tty_ ? "\r" : "", what_, text.c_str(), tty_ ? "   " : "\n");
        std::fflush(stderr);
        drawn_ = true;
    }
    bool enabled_, tty_;
    const char* what_;
    double log_every_;
    bool drawn_ = false;
    clock::time_point start_ = clock::now(), shown_{};
};

}  // namespace mixq::cli
