// Deprecated forwarding header (GPTQ's Hessians): moved to <mixq/convert/hessians.hpp>; this header goes in the release after 0.1.
// eval/ only evaluates: a conversion's inputs (Hessians, a layer-at-a-time conversion, an importance matrix) live
// with the conversion that uses them (docs/api.md, "Where each concept lives").
#pragma once

#include "../convert/hessians.hpp"
