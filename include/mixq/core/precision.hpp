// Deprecated forwarding header (precisions): moved to <mixq/format/formats.hpp>; this header goes in the release after 0.1.
// Each format's facts are its traits entry in its own header of format/, and the list of them is format/formats.hpp
// (docs/api.md, "Where each concept lives").
#pragma once

#include "../format/formats.hpp"
