/* kernels/requant.h's rule on Arm NEON, four int32 lanes at a time, for the integer kernels' -neon / -neondot /
 * -neoni8mm files. The same operations in the same order as qi_requant_fp32:
 *
 *     v = (float)acc * scale          vcvtq_f32_s32 (round to nearest-even), vmulq_f32 (one rounding, no fma)
 *     v = min(max(v, lo), hi)         lo = qmin - zp, hi = qmax - zp (integers; v is never NaN)
 *     q = round_half_even(v) + zp
 *
 * aarch64 rounds with fcvtns (vcvtnq_s32_f32). 32-bit NEON has no round-to-nearest conversion and always runs
 * in round-to-nearest-even with denormals flushed: adding 1.5 * 2^23 puts the rounded integer in the low
 * mantissa bits for |v| < 2^22, which the clamp guarantees for every caller here (8-bit outputs: |lo|, |hi| <=
 * 255; asserted by the callers' params initialisers through QI_REQUANT_NEON_MAX_RANGE). A flushed denormal
 * product rounds to 0 either way, so the results are qi_requant_fp32's bit for bit on both.
 * The files that include this are compiled with -ffp-contract=off (CMakeLists.txt), so mul and add stay apart. */
#ifndef QI_KERNELS_REQUANT_NEON_H
#define QI_KERNELS_REQUANT_NEON_H

#include <arm_neon.h>

#define QI_REQUANT_NEON_MAX_RANGE 4194304 /* 2^22: |qmin - zp| and |qmax - zp| stay below it */

/* round_half_even(clamp(v, lo, hi)) for integer bounds below QI_REQUANT_NEON_MAX_RANGE, v not NaN (the last two
 * steps above; also the 8-bit elementwise kernels' rounding of their float results). */
static inline int32x4_t qi_clamp_round_neon(float32x4_t v, float32x4_t lo, float32x4_t hi) {
  v = vminq_f32(vmaxq_f32(v, lo), hi);
#if defined(__aarch64__)
  return vcvtnq_s32_f32(v);
#else
  const float32x4_t magic = vdupq_n_f32(12582912.0f); /* 1.5 * 2^23 */
  return vsubq_s32(vreinterpretq_s32_f32(vaddq_f32(v, magic)), vreinterpretq_s32_f32(magic));
#endif
}

/* round_half_even(clamp((float)acc * scale, lo, hi)), without the zero point. */
static inline int32x4_t qi_requant_fp32_neon(int32x4_t acc, float32x4_t scale, float32x4_t lo, float32x4_t hi) {
  return qi_clamp_round_neon(vmulq_f32(vcvtq_f32_s32(acc), scale), lo, hi);
}

#endif /* QI_KERNELS_REQUANT_NEON_H */
