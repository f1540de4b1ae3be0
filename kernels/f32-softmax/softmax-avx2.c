/* Softmax and log-softmax on AVX2 + FMA: qi_f32_softmax_ukernel__avx2, qi_f32_logsoftmax_ukernel__avx2 (body:
 * softmax-simd.h). */
#include "kernels/f32-vec/vec-avx2.h"
#include "kernels/f32-softmax/softmax-simd.h"
