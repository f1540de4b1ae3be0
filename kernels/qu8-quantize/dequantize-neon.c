#include <arm_neon.h>
#include <assert.h>

#include "kernels/qu8-elementwise-neon.h"
#include "kernels/qu8-quantize/qu8-quantize.h"

/* (float)(x - zp) * scale on 16 bytes at a time: ^ sign_flip, widened, the zero point subtracted, converted
 * (exact), one vmulq_f32. On 32-bit Arm a scale below 2^-100 (whose products NEON could flush to zero) takes the
 * scalar kernel (qe_neon_exact_scale). The tail (n % 16) is scalar. */
void qi_qu8_dequantize_ukernel__neon(size_t n, const uint8_t *x, float *y, const qi_qu8_quantize_params *p) {
  assert(n == 0 || (x != NULL && y != NULL));
  if (!qe_neon_exact_scale(p->scale)) {
    qi_qu8_dequantize_ukernel__scalar(n, x, y, p);
    return;
  }
  const float32x4_t vscale = vdupq_n_f32(p->scale);
  const int32x4_t vzp = vdupq_n_s32(p->zero_point);
  const uint8x16_t vflip = vdupq_n_u8(p->sign_flip);
  for (; n >= 16; n -= 16, x += 16, y += 16) {
    const qe_i32x16 q = qe_widen(veorq_u8(vld1q_u8(x), vflip));
    for (int j = 0; j < 4; j++) vst1q_f32(y + 4 * j, vmulq_f32(vcvtq_f32_s32(vsubq_s32(q.v[j], vzp)), vscale));
  }
  if (n) qi_qu8_dequantize_ukernel__scalar(n, x, y, p);
}
