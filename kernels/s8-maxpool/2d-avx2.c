#include "kernels/s8-maxpool/s8-maxpool.h"
#include "kernels/u8-maxpool/maxpool-2d-avx2.h"

static inline int8_t qi_s8_max(int8_t a, int8_t b) { return a > b ? a : b; }

QI_DEFINE_MAXPOOL_2D_AVX2(qi_s8_maxpool_ukernel_2d__avx2, int8_t, INT8_MIN, _mm256_max_epi8, _mm_max_epi8, qi_s8_max,
                          qi_s8_maxpool_ukernel_nd__scalar)
