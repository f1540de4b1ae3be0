#include <arm_neon.h>
#include <assert.h>

#include "kernels/qu8-elementwise-neon.h"
#include "kernels/qu8-quantize/qu8-quantize.h"
#include "kernels/requant.h"

/* The operations of qi_quantize_f32 on 16 floats at a time: a true division (qv_div; not a reciprocal
 * multiply), NaN -> 0 (+ zero point = the zero point), the clamp to [qmin - zp, qmax - zp] (infinities and huge
 * values saturate), round half to even, + zp, narrowed to bytes (exact: 0..255), ^ sign_flip. On 32-bit Arm a
 * quotient that NEON flushes to zero was a denormal, which rounds to 0 anyway. The tail (n % 16) is scalar. */
void qi_qu8_quantize_ukernel__neon(size_t n, const float *x, uint8_t *y, const qi_qu8_quantize_params *p) {
  assert(n == 0 || (x != NULL && y != NULL));
  const float scale = p->scale;
  const int32_t zp = p->zero_point, qmin = p->qmin, qmax = p->qmax;
  const float32x4_t vscale = vdupq_n_f32(scale);
  const float32x4_t vlo = vdupq_n_f32((float)(qmin - zp)), vhi = vdupq_n_f32((float)(qmax - zp));
  const int32x4_t vzp = vdupq_n_s32(zp);
  const uint8x16_t vflip = vdupq_n_u8(p->sign_flip);
  for (; n >= 16; n -= 16, x += 16, y += 16) {
    qe_i32x16 q;
    for (int j = 0; j < 4; j++) {
      float32x4_t v = qv_div(vld1q_f32(x + 4 * j), vscale);
      v = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v), vceqq_f32(v, v))); /* NaN -> +0 */
      q.v[j] = vaddq_s32(qi_clamp_round_neon(v, vlo, vhi), vzp);
    }
    vst1q_u8(y, veorq_u8(qe_narrow(q), vflip));
  }
  const uint8_t flip = p->sign_flip;
  for (size_t i = 0; i < n; i++) y[i] = (uint8_t)(qi_quantize_f32(x[i], scale, zp, qmin, qmax) ^ flip);
}
