/* Every SIMD elementwise binary kernel, written once on the width-generic vectors of kernels/f32-vunary/simd-*.h:
 * vbinary-avx2.c and vbinary-avx512f.c include it after theirs. Per op (QI_F32_VBINARY_SIMD_OPS, vbinary.h) the
 * vector-vector kernel, the vector-broadcast one and, for the non-commutative ops, the reversed one; whole
 * vectors, then the last n % QV_N elements through masked loads and stores, so y may equal a. */
#ifndef QI_F32_VBINARY_SIMD_H
#define QI_F32_VBINARY_SIMD_H

#include <assert.h>

#include "kernels/f32-vbinary/vbinary.h"

/* The loop of every kernel: y[i] = fn(A, B) with A, B built from the loaded vector va (of a) and vb. */
#define QV_BINARY_KERNEL(name, fn, A, B, LOADB, LOADB_TAIL)                             \
  void QV_UKERNEL(name)(size_t n, const float *a, const float *b, float *y) {           \
    assert(a != NULL && b != NULL && y != NULL);                                        \
    const qv c = qv_set1(b[0]);                                                         \
    (void)c;                                                                            \
    for (; n >= QV_N; n -= QV_N, a += QV_N, b += QV_N, y += QV_N) {                     \
      const qv va = qv_load(a), vb = LOADB;                                             \
      (void)vb;                                                                         \
      qv_store(y, fn(A, B));                                                            \
    }                                                                                   \
    if (n) {                                                                            \
      const qt t = qt_make(n);                                                          \
      const qv va = qv_load_tail(a, t), vb = LOADB_TAIL;                                \
      (void)vb;                                                                         \
      qv_store_tail(y, fn(A, B), t);                                                    \
    }                                                                                   \
  }
#define QV_VV(name, fn) QV_BINARY_KERNEL(name, fn, va, vb, qv_load(b), qv_load_tail(b, t))
#define QV_VC(name, fn) QV_BINARY_KERNEL(name, fn, va, c, c, c)
#define QV_CV(name, fn) QV_BINARY_KERNEL(name, fn, c, va, c, c)

static inline qv vadd_fn(qv a, qv b) { return qv_add(a, b); }
static inline qv vsub_fn(qv a, qv b) { return qv_sub(a, b); }
static inline qv vmul_fn(qv a, qv b) { return qv_mul(a, b); }
static inline qv vdiv_fn(qv a, qv b) { return qv_div(a, b); }
/* a > b ? a : b, NaN from either side (maxps gives b when either is NaN, then a NaN a is put back) */
static inline qv vmax_fn(qv a, qv b) { return qv_blend(qm_isnan(a), qv_max(a, b), a); }
static inline qv vmin_fn(qv a, qv b) { return qv_blend(qm_isnan(a), qv_min(a, b), a); }
/* a < 0 ? a * slope : a */
static inline qv vprelu_fn(qv a, qv slope) { return qv_blend(qm_lt(a, qv_zero()), a, qv_mul(a, slope)); }

#define QV_BINARY_DEFINE(kind, op, opc, ropc) QV_VV(op, op##_fn) QV_VC(opc, op##_fn)
QI_F32_VBINARY_SIMD_OPS(QV_BINARY_DEFINE)
QV_CV(vrsubc, vsub_fn)
QV_CV(vrdivc, vdiv_fn)
QV_CV(vrpreluc, vprelu_fn)

#endif /* QI_F32_VBINARY_SIMD_H */
