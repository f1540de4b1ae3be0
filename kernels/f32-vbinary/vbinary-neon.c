/* The SIMD binary kernels on NEON (aarch64 and armv7 + VFPv4): qi_f32_v<op>[c]_ukernel__neon,
 * qi_f32_vr<op>c_ukernel__neon (body: vbinary-simd.h, 4 lanes). */
#include "kernels/f32-vec/vec-neon.h"
#include "kernels/f32-vbinary/vbinary-simd.h"
