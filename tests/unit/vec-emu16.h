/* The FP32 vector primitives of kernels/f32-vec/vec-avx2.h (which describes them) on a 16-lane vector emulated in
 * portable C: the AVX-512 build's width and mask semantics (lane masks and tails as 16-bit masks, masked lanes
 * neither read nor written), so a test can instantiate a family's SIMD template a third time and run the zmm
 * kernel's logic on a CPU without AVX-512. Tests only: the intrinsics themselves are left to a CPU that has them.
 * Each lane follows the instruction it stands for (maxps / minps's NaN rule, cvtps2dq's 0x80000000 out of range,
 * one rounding in fma, the fixed trees of qv_hsum / qv_hmax). */
#ifndef QI_TEST_VEC_EMU16_H
#define QI_TEST_VEC_EMU16_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define QV_N 16
#define QV_ISA emu16
#define QV_CAT4_(a, b, c, d) a##b##c##d
#define QV_CAT4(a, b, c, d) QV_CAT4_(a, b, c, d)
/* A test's instantiation: test_f32_<op>_ukernel__emu16, outside the library's qi_ names; QE_NAMED(op) gives the
 * kernel and its name as QI_KERNEL does, for the test functions that take (fn, name). */
#define QV_UKERNEL(op) QV_CAT4(test_f32_, op, _ukernel__, QV_ISA)
#define QE_STR_(x) #x
#define QE_STR(x) QE_STR_(x)
#define QE_NAMED(op) QV_UKERNEL(op), QE_STR(QV_UKERNEL(op))

typedef struct qv {
  float v[QV_N];
} qv;
typedef struct qvi {
  int32_t v[QV_N];
} qvi;
typedef uint16_t qm;
typedef uint16_t qt;

/* Out of line: a template body stays a chain of calls, not 16-lane loops inlined into one huge function that
 * makes a -g build's variable tracking give up and a sanitizer build take minutes. */
#define QE_FN static __attribute__((noinline, unused))
#define QE_LANES(i) for (int i = 0; i < QV_N; i++)
#define QE_MAP1(name, T, U, expr) \
  QE_FN T name(U a) {     \
    T r;                          \
    QE_LANES(i) r.v[i] = (expr);  \
    return r;                     \
  }
#define QE_MAP2(name, T, U, expr)   \
  QE_FN T name(U a, U b) {  \
    T r;                            \
    QE_LANES(i) r.v[i] = (expr);    \
    return r;                       \
  }
#define QE_CMP(name, expr)                 \
  QE_FN qm name(qv a, qv b) {      \
    qm m = 0;                              \
    QE_LANES(i) if (expr) m |= 1u << i;    \
    return m;                              \
  }
QE_FN uint32_t qe_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}
QE_FN float qe_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

QE_FN qt qt_make(size_t n) { return (qt)((1u << n) - 1u); }
QE_FN qv qv_set1(float x) {
  qv r;
  QE_LANES(i) r.v[i] = x;
  return r;
}
QE_FN qv qv_zero(void) { return qv_set1(0.0f); }
QE_FN qv qv_load(const float *p) {
  qv r;
  memcpy(r.v, p, sizeof r.v);
  return r;
}
QE_FN void qv_store(float *p, qv v) { memcpy(p, v.v, sizeof v.v); }
QE_FN qv qv_load_tail_fill(const float *p, qt t, qv fill) {
  QE_LANES(i) if (t >> i & 1) fill.v[i] = p[i];
  return fill;
}
QE_FN qv qv_load_tail(const float *p, qt t) { return qv_load_tail_fill(p, t, qv_zero()); }
QE_FN void qv_store_tail(float *p, qv v, qt t) { QE_LANES(i) if (t >> i & 1) p[i] = v.v[i]; }
QE_FN qv qv_tail_zero(qv v, qt t) {
  QE_LANES(i) if (!(t >> i & 1)) v.v[i] = 0.0f;
  return v;
}
QE_FN qv qv_bcast(const float *p) { return qv_set1(*p); }

QE_MAP2(qv_add, qv, qv, a.v[i] + b.v[i])
QE_MAP2(qv_sub, qv, qv, a.v[i] - b.v[i])
QE_MAP2(qv_mul, qv, qv, a.v[i] * b.v[i])
QE_MAP2(qv_div, qv, qv, a.v[i] / b.v[i])
QE_MAP2(qv_max, qv, qv, a.v[i] > b.v[i] ? a.v[i] : b.v[i])
QE_MAP2(qv_min, qv, qv, a.v[i] < b.v[i] ? a.v[i] : b.v[i])
QE_MAP2(qv_and, qv, qv, qe_float(qe_bits(a.v[i]) & qe_bits(b.v[i])))
QE_MAP2(qv_or, qv, qv, qe_float(qe_bits(a.v[i]) | qe_bits(b.v[i])))
QE_MAP2(qv_xor, qv, qv, qe_float(qe_bits(a.v[i]) ^ qe_bits(b.v[i])))
QE_MAP2(qv_andnot, qv, qv, qe_float(~qe_bits(a.v[i]) & qe_bits(b.v[i])))
QE_MAP1(qv_sqrt, qv, qv, sqrtf(a.v[i]))
QE_MAP1(qv_round_nearest, qv, qv, nearbyintf(a.v[i])) /* the default rounding mode: to nearest even */
QE_MAP1(qv_round_floor, qv, qv, floorf(a.v[i]))
QE_MAP1(qv_round_ceil, qv, qv, ceilf(a.v[i]))
QE_FN qv qv_fma(qv a, qv b, qv c) {
  QE_LANES(i) c.v[i] = fmaf(a.v[i], b.v[i], c.v[i]);
  return c;
}
QE_FN qv qv_fms(qv a, qv b, qv c) {
  QE_LANES(i) c.v[i] = fmaf(a.v[i], b.v[i], -c.v[i]);
  return c;
}
QE_FN qv qv_fnma(qv a, qv b, qv c) {
  QE_LANES(i) c.v[i] = fmaf(-a.v[i], b.v[i], c.v[i]);
  return c;
}

QE_CMP(qm_lt, a.v[i] < b.v[i])
QE_CMP(qm_le, a.v[i] <= b.v[i])
QE_CMP(qm_gt, a.v[i] > b.v[i])
QE_CMP(qm_eq, a.v[i] == b.v[i])
QE_CMP(qm_nge, !(a.v[i] >= b.v[i]))
QE_FN qm qm_isnan(qv a) {
  qm m = 0;
  QE_LANES(i) if (isnan(a.v[i])) m |= 1u << i;
  return m;
}
#define qm_or(a, b) ((qm)((a) | (b)))
QE_FN qv qv_blend(qm m, qv f, qv t) {
  QE_LANES(i) if (m >> i & 1) f.v[i] = t.v[i];
  return f;
}

QE_FN qvi qvi_set1(int32_t x) {
  qvi r;
  QE_LANES(i) r.v[i] = x;
  return r;
}
QE_MAP2(qvi_add, qvi, qvi, (int32_t)((uint32_t)a.v[i] + (uint32_t)b.v[i]))
QE_MAP2(qvi_sub, qvi, qvi, (int32_t)((uint32_t)a.v[i] - (uint32_t)b.v[i]))
QE_FN qvi qvi_slli(qvi a, int k) {
  QE_LANES(i) a.v[i] = (int32_t)((uint32_t)a.v[i] << k);
  return a;
}
QE_FN qvi qvi_srai(qvi a, int k) { /* arithmetic: rounds towards -inf */
  QE_LANES(i) a.v[i] = a.v[i] >= 0 ? a.v[i] >> k : -1 - ((-1 - a.v[i]) >> k);
  return a;
}
/* cvtps2dq: to nearest even; NaN and out of range give INT32_MIN */
QE_MAP1(qv_cvt_qvi, qvi, qv,
        a.v[i] >= -2147483648.0f && a.v[i] < 2147483648.0f ? (int32_t)nearbyintf(a.v[i]) : INT32_MIN)
QE_MAP1(qvi_cvt_qv, qv, qvi, (float)a.v[i])
QE_MAP1(qv_as_qvi, qvi, qv, (int32_t)qe_bits(a.v[i]))
QE_MAP1(qvi_as_qv, qv, qvi, qe_float((uint32_t)a.v[i]))

QE_FN void qv_deinterleave2(qv a, qv b, qv *even, qv *odd) {
  for (int i = 0; i < QV_N / 2; i++) {
    even->v[i] = a.v[2 * i], even->v[i + QV_N / 2] = b.v[2 * i];
    odd->v[i] = a.v[2 * i + 1], odd->v[i + QV_N / 2] = b.v[2 * i + 1];
  }
}
QE_FN qv qv_opaque(qv v) { return v; }

/* vec-avx512f.h's trees: lanes l and l + 8, l + 4, l + 2, then 0 and 1 */
QE_FN float qv_hsum(qv v) {
  for (int h = QV_N / 2; h >= 1; h /= 2)
    for (int i = 0; i < h; i++) v.v[i] = v.v[i] + v.v[i + h];
  return v.v[0];
}
QE_FN float qv_hmax(qv v) {
  for (int h = QV_N / 2; h >= 1; h /= 2)
    for (int i = 0; i < h; i++) v.v[i] = v.v[i] > v.v[i + h] ? v.v[i] : v.v[i + h];
  return v.v[0];
}

#endif /* QI_TEST_VEC_EMU16_H */
