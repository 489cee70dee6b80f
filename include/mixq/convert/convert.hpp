// The conversion itself: decide each tensor's precision, quantize or cast it, store tied tensors once, total up.
// Its parts: options.hpp (how), conversion.hpp (what comes out), quantize_tensor.hpp (one tensor), cursor.hpp
// (tensor by tensor, and convert() for all of them).
#pragma once

#include "conversion.hpp"
#include "cursor.hpp"
#include "options.hpp"
#include "quantize_tensor.hpp"
