// Runner of the GPU tests: exits 77 (CTest "skipped") with a clear message when no CUDA device is usable.
#include <cstdio>
#include <string>

#if __has_include(<catch2/catch_session.hpp>)
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include "device.hpp"

int main(int argc, char** argv) {
    std::string why;
    if (!mixq::test::gpu::device_available(why)) {
        std::printf("SKIPPED: no usable CUDA device (%s); the GPU tests need one\n", why.c_str());
        return 77;
    }
    std::printf("GPU tests on %s\n", mixq::test::gpu::device_name().c_str());
    return Catch::Session().run(argc, argv);
}
