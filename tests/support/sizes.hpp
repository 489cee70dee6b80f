// Test sizes: the sanitizer build (MIXQ_TEST_SMALL) runs the heavy tests on fewer windows, so that ASan +
// UBSan go through every path without repeating the plain suite's evaluations at ~10x the cost.
#pragma once

namespace mixq::test {

#ifdef MIXQ_TEST_SMALL
inline constexpr bool small_run = true;
#else
inline constexpr bool small_run = false;
#endif

// `plain` in the plain suite, `small` under the sanitizers.
template <class T>
constexpr T sized(T plain, T small) {
    return small_run ? small : plain;
}

}  // namespace mixq::test
