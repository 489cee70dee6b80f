// The library version; CMake's project() version is read from here, so it is stated once.
#pragma once

#define MIXQ_VERSION_MAJOR 0
#define MIXQ_VERSION_MINOR 1
#define MIXQ_VERSION_PATCH 0

namespace mixq {
inline constexpr const char* version = "0.1.0";
}
