// Whether the tests have a usable CUDA device, and its name.
#include "device_buffer.cuh"

namespace mixq::test::gpu {

bool device_available(std::string& why) {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        why = cudaGetErrorString(e);
        return false;
    }
    if (n == 0) {
        why = "cudaGetDeviceCount reports 0 devices";
        return false;
    }
    return true;
}

std::string device_name() {
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, 0), "cudaGetDeviceProperties");
    return p.name;
}

}  // namespace mixq::test::gpu
