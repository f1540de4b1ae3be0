#include "kernels/u8-maxpool/maxpool-2d-avx2.h"
#include "kernels/u8-maxpool/u8-maxpool.h"

static inline uint8_t qi_u8_max(uint8_t a, uint8_t b) { return a > b ? a : b; }

QI_DEFINE_MAXPOOL_2D_AVX2(qi_u8_maxpool_ukernel_2d__avx2, uint8_t, 0, _mm256_max_epu8, _mm_max_epu8, qi_u8_max,
                          qi_u8_maxpool_ukernel_nd__scalar)
