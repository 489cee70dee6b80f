// ggml's block quantizers and decoders, bit-exact with ggml-quants.c; they live in format/ggml/.
#pragma once

#include "../format/ggml/types.hpp"
