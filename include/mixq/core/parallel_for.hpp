// f(0 .. n-1) on up to `threads` threads (the caller's among them), items handed out in order; the first exception is rethrown.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace mixq::detail {

// Items taken one at a time from a shared counter, so uneven items (a large tensor, a slow layer) balance.
// After a failure no new item starts; the exception of the first one is rethrown once all threads end.
template <class F>
void parallel_for(std::size_t n, int threads, F f) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::atomic<bool> failed{false};
    auto work = [&] {
        try {
            for (std::size_t i; !failed && (i = next.fetch_add(1)) < n;) f(i);
        } catch (...) {
            if (!failed.exchange(true)) failure = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min<int>(threads, static_cast<int>(n)); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace mixq::detail
