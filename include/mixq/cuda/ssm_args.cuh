// The SSM kernels' argument structs (selective_scan_args, ...), public: they live in cuda/detail/ssm_args.cuh, below
// the kernels that read them, so that cuda/kernels includes nothing from the device-level folder above it.
#pragma once

#include "detail/ssm_args.cuh"
