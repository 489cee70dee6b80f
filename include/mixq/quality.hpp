// mixq quality umbrella: reference forward and perplexity (needs CBLAS: link mixq::model, not just mixq::core).
#pragma once

#include "calib/gptq.hpp"
#include "convert/converted_weights.hpp"
#include "convert/hessians.hpp"
#include "convert/layerwise_gptq.hpp"
#include "eval/activation_ranges.hpp"
#include "eval/paired_change.hpp"
#include "eval/perplexity.hpp"
#include "mixq.hpp"
#include "model/config.hpp"
#include "model/forward.hpp"
#include "model/linear.hpp"
#include "model/ops.hpp"
#include "model/selective_scan.hpp"
#include "model/stored_matrix.hpp"
#include "model/weights.hpp"
