// Where a running precision search is: its phase and how many of the phase's work items are done.
#pragma once

#include <cstddef>

namespace mixq::search {

struct search_progress {
    const char* phase = "";  // "fp32 evaluation", "candidate conversions", "sensitivities", "measurements"
    std::size_t done = 0, total = 0;
    double phase_seconds = 0.0;  // since the phase began
    double seconds = 0.0;        // since the search began
};

}  // namespace mixq::search
