#define QI_QU8_DW_DPBUSD(acc, x, w) _mm256_dpbusd_epi32(acc, x, w)
#include "kernels/qu8-dwconv/dwconv-vnni.h"

QI_QU8_DWCONV_VNNI_3X3_KERNEL(qi_qu8_dwconv_minmax_ukernel_3x3__avx512vnni, qi_qu8_dwconv_minmax_ukernel_3x3__avx2)
