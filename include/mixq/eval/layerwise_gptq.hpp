// Deprecated forwarding header (convert_layerwise): moved to <mixq/convert/layerwise_gptq.hpp>; this header goes in the release after 0.1.
// eval/ only evaluates: a conversion's inputs (Hessians, a layer-at-a-time conversion, an importance matrix) live
// with the conversion that uses them (docs/api.md, "Where each concept lives").
#pragma once

#include "../convert/layerwise_gptq.hpp"
