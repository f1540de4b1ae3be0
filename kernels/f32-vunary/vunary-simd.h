/* Every SIMD elementwise unary kernel, written once on the width-generic vectors: vunary-avx2.c includes it after
 * vec-avx2.h (qi_f32_v<op>_ukernel__avx2), vunary-avx512f.c after vec-avx512f.h (..._avx512f). Each kernel
 * runs whole vectors, then the last n % QV_N elements through a masked load and store (the masked lanes compute
 * on zeros and are never written), so y may equal x. The ops are QI_F32_VUNARY_SIMD_OPS (vunary.h). */
#ifndef QI_F32_VUNARY_SIMD_H
#define QI_F32_VUNARY_SIMD_H

#include <assert.h>

#include "kernels/f32-vec/vmath-simd.h"
#include "kernels/f32-vunary/vunary.h"

/* The op's parameters broadcast once per call. */
typedef struct qv_uparams {
  qv min, max, alpha, beta;
} qv_uparams;

static inline qv_uparams qv_uparams_load(const qi_f32_unary_params *p) {
  const qi_f32_unary_params none = {0};
  if (!p) p = &none;
  return (qv_uparams){qv_set1(p->min), qv_set1(p->max), qv_set1(p->alpha), qv_set1(p->beta)};
}

#define QV_UNARY_KERNEL(op, fn)                                                                          \
  void QV_UKERNEL(op)(size_t n, const float *x, float *y, const qi_f32_unary_params *params) {          \
    assert(x != NULL && y != NULL);                                                                     \
    const qv_uparams up = qv_uparams_load(params);                                                      \
    (void)up;                                                                                           \
    for (; n >= QV_N; n -= QV_N, x += QV_N, y += QV_N) qv_store(y, fn(qv_load(x), &up));                \
    if (n) {                                                                                            \
      const qt t = qt_make(n);                                                                          \
      qv_store_tail(y, fn(qv_load_tail(x, t), &up), t);                                                 \
    }                                                                                                   \
  }

/* Each op as a function of one vector; the comparisons keep the scalar kernels' handling of NaN and -0. */
#define QV_OP(name, expr) \
  static inline qv name##_fn(qv x, const qv_uparams *p) { return (void)p, (expr); }
QV_OP(vabs, qv_abs(x))
QV_OP(vneg, qv_xor(x, QV_SIGN_MASK))
QV_OP(vsqr, qv_mul(x, x))
QV_OP(vsqrt, qv_sqrt(x))
QV_OP(vrecip, qv_div(qv_set1(1.0f), x))
QV_OP(vfloor, qv_round_floor(x))
QV_OP(vceil, qv_round_ceil(x))
QV_OP(vround, qv_round_nearest(x))                                     /* halves to even */
QV_OP(vrelu, qv_max(x, qv_zero()))                                     /* x > 0 ? x : 0 */
QV_OP(vclamp, qv_min(p->max, qv_max(p->min, x)))                       /* NaN passes */
QV_OP(vlrelu, qv_blend(qm_lt(x, qv_zero()), x, qv_mul(x, p->alpha)))
QV_OP(vthresholdedrelu, qv_blend(qm_gt(x, p->alpha), qv_zero(), x))
QV_OP(vsign, qv_blend(qm_gt(x, qv_zero()), qv_blend(qm_lt(x, qv_zero()), x, qv_set1(-1.0f)), qv_set1(1.0f)))
QV_OP(vsoftsign, qv_div(x, qv_add(qv_set1(1.0f), qv_abs(x))))
QV_OP(vhardsigmoid, qv_min(qv_set1(1.0f), qv_max(qv_zero(), qv_fma(x, p->alpha, p->beta))))
QV_OP(vhardswish,
      qv_mul(x, qv_min(qv_set1(1.0f), qv_max(qv_zero(), qv_fma(x, qv_set1(1.0f / 6.0f), qv_set1(0.5f))))))
QV_OP(vexp, qv_exp(x))
QV_OP(vlog, qv_log(x))
QV_OP(vsigmoid, qv_sigmoid(x))
QV_OP(vtanh, qv_tanh(x))
QV_OP(verf, qv_erf(x))
QV_OP(vgelu, qv_gelu(x))
QV_OP(vgelutanh, qv_gelu_tanh(x))
QV_OP(vsoftplus, qv_softplus(x))

#define QV_UNARY_DEFINE(kind, op) QV_UNARY_KERNEL(op, op##_fn)

QI_F32_VUNARY_SIMD_OPS(QV_UNARY_DEFINE)

#endif /* QI_F32_VUNARY_SIMD_H */
