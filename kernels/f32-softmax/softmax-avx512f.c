/* Softmax and log-softmax on AVX-512 F: qi_f32_softmax_ukernel__avx512f, qi_f32_logsoftmax_ukernel__avx512f (body:
 * softmax-simd.h). */
#include "kernels/f32-vec/vec-avx512f.h"
#include "kernels/f32-softmax/softmax-simd.h"
