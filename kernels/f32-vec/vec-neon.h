/* The FP32 vector primitives of kernels/f32-vec/vec-avx2.h (which describes their names and meanings) on Arm
 * NEON: q registers, 4 lanes, for the -neon.c files of the f32 families (aarch64; the families listed for armv7
 * in docs/kernels.md also on 32-bit Arm with NEON + VFPv4, whose vfma.f32 is qv_fma).
 *
 * Differences from the x86 headers that the templates never see:
 *   - qt is the lane count itself (NEON has no masked loads): qv_load_tail / qv_store_tail touch lanes 0..n-1
 *     only, one lane load or store each (a 64-bit pair where it can); n = QV_N (which the gemm template's
 *     column tails pass, and a full mask on x86 allows) is a whole vector;
 *   - qv_max / qv_min are a compare and a select, not fmax / fmin: a > b ? a : b (a < b ? a : b), so b when
 *     either is NaN, the x86 maxps / minps rule the scalar kernels follow too;
 *   - qv_cvt_qvi rounds to nearest-even and saturates outside int32 (x86 gives 0x80000000 there);
 *   - 32-bit Arm has no vector divide, square root or directed rounding: qv_div / qv_sqrt are done lane by lane
 *     (IEEE results, slow) and the rounding primitives use the 2^23 trick; only aarch64 builds the families that
 *     lean on them (docs/kernels.md lists what armv7 gets).
 * qv_hsum / qv_hmax use the tree of vec-avx2.h restricted to 4 lanes: lanes l and l + 2, then 0 and 1. */
#ifndef QI_F32_VEC_NEON_H
#define QI_F32_VEC_NEON_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__aarch64__) && !defined(__ARM_FEATURE_FMA)
#error "vec-neon.h on 32-bit Arm needs -mfpu=neon-vfpv4 (vfma.f32)"
#endif

#define QV_N 4 /* lanes */
#define QV_ISA neon
#define QV_CAT4_(a, b, c, d) a##b##c##d
#define QV_CAT4(a, b, c, d) QV_CAT4_(a, b, c, d)
#define QV_UKERNEL(op) QV_CAT4(qi_f32_, op, _ukernel__, QV_ISA)

typedef float32x4_t qv;
typedef int32x4_t qvi;
typedef uint32x4_t qm;
typedef size_t qt; /* lanes 0 .. qt - 1 (1..4) */

static inline qt qt_make(size_t n) { return n; }

#define qv_load(p) vld1q_f32(p)
#define qv_store(p, v) vst1q_f32((p), (v))

/* Lanes 0..n-1 from p, the others from fill; nothing past p[n - 1] is read. */
static inline qv qv_load_tail_fill(const float *p, qt n, qv fill) {
  switch (n) {
    case 4: return vld1q_f32(p);
    case 3: fill = vld1q_lane_f32(p + 2, fill, 2); /* fall through */
    case 2: return vcombine_f32(vld1_f32(p), vget_high_f32(fill));
    default: return vld1q_lane_f32(p, fill, 0);
  }
}
#define qv_load_tail(p, t) qv_load_tail_fill((p), (t), vdupq_n_f32(0.0f))
static inline void qv_store_tail(float *p, qv v, qt n) {
  if (n == 4) {
    vst1q_f32(p, v);
  } else if (n >= 2) {
    vst1_f32(p, vget_low_f32(v));
    if (n == 3) vst1q_lane_f32(p + 2, v, 2);
  } else {
    vst1q_lane_f32(p, v, 0);
  }
}
static inline qv qv_tail_zero(qv v, qt n) { /* lanes n.. : 0 */
  static const uint32_t ones_then_zeros[2 * QV_N] = {~0u, ~0u, ~0u, ~0u, 0, 0, 0, 0};
  return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v), vld1q_u32(ones_then_zeros + QV_N - n)));
}

#define qv_set1(f) vdupq_n_f32(f)
#define qv_bcast(p) vld1q_dup_f32(p)
#define qv_zero() vdupq_n_f32(0.0f)
#define qv_add(a, b) vaddq_f32((a), (b))
#define qv_sub(a, b) vsubq_f32((a), (b))
#define qv_mul(a, b) vmulq_f32((a), (b))
#define qv_fma(a, b, c) vfmaq_f32((c), (a), (b))              /* a * b + c, one rounding */
#define qv_fms(a, b, c) vfmaq_f32(vnegq_f32(c), (a), (b))     /* a * b - c */
#define qv_fnma(a, b, c) vfmsq_f32((c), (a), (b))             /* c - a * b */
#define qv_max(a, b) qv_max_((a), (b))
#define qv_min(a, b) qv_min_((a), (b))
static inline qv qv_max_(qv a, qv b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline qv qv_min_(qv a, qv b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
#define qv_and(a, b) vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)))
#define qv_or(a, b) vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)))
#define qv_xor(a, b) vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)))
#define qv_andnot(a, b) vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(b), vreinterpretq_u32_f32(a))) /* ~a & b */

#define qm_lt(a, b) vcltq_f32((a), (b))
#define qm_le(a, b) vcleq_f32((a), (b))
#define qm_gt(a, b) vcgtq_f32((a), (b))
#define qm_eq(a, b) vceqq_f32((a), (b))
#define qm_nge(a, b) vmvnq_u32(vcgeq_f32((a), (b))) /* !(a >= b): true for NaN */
#define qm_isnan(a) vmvnq_u32(vceqq_f32((a), (a)))
#define qm_or(a, b) vorrq_u32((a), (b))
#define qv_blend(m, f, t) vbslq_f32((m), (t), (f)) /* m ? t : f per lane */

#define qvi_set1(i) vdupq_n_s32(i)
#define qvi_add(a, b) vaddq_s32((a), (b))
#define qvi_sub(a, b) vsubq_s32((a), (b))
#define qvi_slli(a, k) vshlq_n_s32((a), (k))
#define qvi_srai(a, k) vshrq_n_s32((a), (k))
#define qvi_cvt_qv(a) vcvtq_f32_s32(a)
#define qv_as_qvi(a) vreinterpretq_s32_f32(a)
#define qvi_as_qv(a) vreinterpretq_f32_s32(a)

#if defined(__aarch64__)
#define qv_div(a, b) vdivq_f32((a), (b))
#define qv_sqrt(a) vsqrtq_f32(a)
#define qv_round_nearest(a) vrndnq_f32(a)
#define qv_round_floor(a) vrndmq_f32(a)
#define qv_round_ceil(a) vrndpq_f32(a)
#define qv_cvt_qvi(a) vcvtnq_s32_f32(a) /* round to nearest-even */
#else  /* 32-bit Arm */
static inline qv qv_div(qv a, qv b) {
  float x[4], y[4];
  vst1q_f32(x, a);
  vst1q_f32(y, b);
  for (int i = 0; i < 4; i++) x[i] /= y[i];
  return vld1q_f32(x);
}
static inline qv qv_sqrt(qv a) {
  float x[4];
  vst1q_f32(x, a);
  for (int i = 0; i < 4; i++) x[i] = __builtin_sqrtf(x[i]);
  return vld1q_f32(x);
}
/* |a| < 2^23: (|a| + 2^23) - 2^23 rounds half to even (NEON's fixed rounding mode), the sign put back (-0.4 ->
 * -0); |a| >= 2^23 (and NaN, infinities) is already integral and passes unchanged. */
static inline qv qv_round_nearest(qv a) {
  const float32x4_t two23 = vdupq_n_f32(8388608.0f);
  const float32x4_t mag = vabsq_f32(a);
  const float32x4_t r = vsubq_f32(vaddq_f32(mag, two23), two23);
  const uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(a), vdupq_n_u32(0x80000000u));
  const float32x4_t rs = vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(r), sign));
  return vbslq_f32(vcltq_f32(mag, two23), rs, a);
}
static inline qv qv_round_floor(qv a) {
  const qv r = qv_round_nearest(a);
  return vbslq_f32(vcgtq_f32(r, a), vsubq_f32(r, vdupq_n_f32(1.0f)), r);
}
static inline qv qv_round_ceil(qv a) {
  const qv r = qv_round_nearest(a);
  return vbslq_f32(vcltq_f32(r, a), vaddq_f32(r, vdupq_n_f32(1.0f)), r);
}
#define qv_cvt_qvi(a) vcvtq_s32_f32(qv_round_nearest(a))
#endif /* __aarch64__ */

/* The even lanes of the 2 * QV_N floats a:b into *even, the odd ones into *odd (stride-2 deinterleave). */
static inline void qv_deinterleave2(qv a, qv b, qv *even, qv *odd) {
  const float32x4x2_t u = vuzpq_f32(a, b);
  *even = u.val[0];
  *odd = u.val[1];
}

/* v, hidden from the optimizer (vec-avx2.h: a copy loop is not turned into a memcpy call). */
static inline qv qv_opaque(qv v) {
  __asm__("" : "+w"(v));
  return v;
}

/* The sum of the lanes: lanes l and l + 2, then 0 and 1. */
static inline float qv_hsum(qv v) {
  const float32x2_t s = vadd_f32(vget_low_f32(v), vget_high_f32(v));
  return vget_lane_f32(s, 0) + vget_lane_f32(s, 1);
}
/* The largest lane, with qv_max's NaN rule at each step of the same tree. */
static inline float qv_hmax(qv v) {
  const float32x2_t lo = vget_low_f32(v), hi = vget_high_f32(v);
  const float32x2_t m = vbsl_f32(vcgt_f32(lo, hi), lo, hi);
  const float m0 = vget_lane_f32(m, 0), m1 = vget_lane_f32(m, 1);
  return m0 > m1 ? m0 : m1;
}

#endif /* QI_F32_VEC_NEON_H */
