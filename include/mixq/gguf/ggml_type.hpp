// The ggml tensor types of GGUF files; they live with the other formats, in format/ggml/types.hpp.
#pragma once

#include "../format/ggml/types.hpp"
