// Tensor-core pieces of the dequant-GEMV: codes to exact fp16 / bf16 pairs, and the m16n8k16 mma with fp32 accumulation.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstring>
#include <type_traits>

#include "../detail/numeric.cuh"

namespace mixq::cuda::kernels {

// The 16-bit types the tensor cores multiply, with their integer-decoding constants: `magic` is 1024
// (fp16) or 128 (bf16) in both halves, a number whose last mantissa bit is worth 1, so OR-ing a small
// biased code into its mantissa makes magic + code exactly.
template <class T>
struct mma_operand;
template <>
struct mma_operand<__half> {
    using pair = __half2;
    static constexpr unsigned magic = 0x64006400u;
    static constexpr unsigned short minus_int4_bias = 0x6408;  // 1024 + 8
    static constexpr unsigned short minus_int8_bias = 0x6480;  // 1024 + 128
};
template <>
struct mma_operand<__nv_bfloat16> {
    using pair = __nv_bfloat162;
    static constexpr unsigned magic = 0x43004300u;
    static constexpr unsigned short minus_int4_bias = 0x4308;  // 128 + 8
};
template <class T>
inline constexpr bool is_mma_operand = std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;

// a - b in both 16-bit lanes, in T's arithmetic: exact, the operands and results are small integers.
template <class T>
__device__ __forceinline__ unsigned sub_pairs(unsigned a, unsigned b) {
    using P = typename mma_operand<T>::pair;
    P x, y;
    std::memcpy(&x, &a, 4);
    std::memcpy(&y, &b, 4);
    x = __hsub2(x, y);
    std::memcpy(&a, &x, 4);
    return a;
}
// The same constant (given as its bit pattern) in both lanes.
__device__ __forceinline__ constexpr unsigned both_lanes(unsigned short c) { return c | (static_cast<unsigned>(c) << 16); }

// Eight int4 codes of a word (c0 .. c7, low nibble first) as four pairs (c_s, c_{s+4}), s = 0..3: one
// shift, one AND-OR and one subtraction per pair, no conversion instruction.
template <class T>
__device__ __forceinline__ void int4x8_to_pairs(unsigned w, unsigned* p) {  // p[0 .. 3]
    const unsigned u = w ^ 0x88888888u;  // code + 8 in each nibble
#pragma unroll
    for (int s = 0; s < 4; ++s)
        p[s] = sub_pairs<T>(((u >> (4 * s)) & 0x000f000fu) | mma_operand<T>::magic, both_lanes(mma_operand<T>::minus_int4_bias));
}

// Four int8 codes of a word (c0 .. c3) as the pairs (c0, c1), (c2, c3). fp16: a byte permute puts
// code + 128 into 1024's mantissa, one subtraction. bf16's 7 mantissa bits hold only the code's low 7 bits:
// c = (128 + (c & 127)) - (128 + (c & 128)), both terms exact bf16 numbers in [128, 256].
template <class T>
__device__ __forceinline__ void int8x4_to_pairs(unsigned w, unsigned* p) {  // p[0 .. 1]
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const unsigned sel = h ? 0x4342u : 0x4140u;  // bytes 2h and 2h + 1 into the two lanes' low bytes
        if constexpr (std::is_same_v<T, __half>)
            p[h] = sub_pairs<T>(__byte_perm(w ^ 0x80808080u, 0x64646464u, sel), both_lanes(mma_operand<T>::minus_int8_bias));
        else {
            const unsigned v = __byte_perm(w, 0u, sel);
            p[h] = sub_pairs<T>((v & 0x007f007fu) | mma_operand<T>::magic, (v & 0x00800080u) | mma_operand<T>::magic);
        }
    }
}

// d += A · B for one 16x16 tile of A (four registers of pairs) and a 16x8 tile of B (two), fp32
// accumulation. Register layout (PTX ISA, mma.m16n8k16, g = lane / 4, t = lane % 4):
//   a[0]: A[g][2t, 2t+1]   a[1]: A[g+8][2t, 2t+1]   a[2]: A[g][2t+8, 2t+9]   a[3]: A[g+8][2t+8, 2t+9]
//   b[0]: B[2t, 2t+1][g]   b[1]: B[2t+8, 2t+9][g]
//   d[0], d[1]: D[g][2t, 2t+1]   d[2], d[3]: D[g+8][2t, 2t+1]
template <class T>
__device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    if constexpr (std::is_same_v<T, __half>)
        asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    else
        asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
            : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
            : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
    __trap();  // the dispatch layer takes this path only on sm_80 and later
#endif
}

}  // namespace mixq::cuda::kernels
