/* Softmax and log-softmax on NEON (aarch64 and armv7 + VFPv4): qi_f32_softmax_ukernel__neon,
 * qi_f32_logsoftmax_ukernel__neon (body: softmax-simd.h, 4 lanes). */
#include "kernels/f32-vec/vec-neon.h"
#include "kernels/f32-softmax/softmax-simd.h"
