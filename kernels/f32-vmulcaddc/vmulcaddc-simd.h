/* The body of the SIMD y = x * scale + bias kernels, written once over the primitives of kernels/f32-vec (an
 * -avx2.c file includes vec-avx2.h first, an -avx512f.c file vec-avx512f.h, a -neon.c file vec-neon.h): four
 * vectors a step, then one, then a masked tail; each vector is loaded before it is stored, so y == x works.
 *
 * A multiply, then an add, both rounded, not an FMA: the results are the scalar kernel's bit for bit, on every
 * path, at no cost (the kernel is bound by memory). A BatchNormalization left in float between quantized
 * tensors (FaceNet's last one) then keeps an INT8 model's outputs identical on every ISA path, which the
 * quantization tests require (tests/quant/run_quant_zoo.py, step 4). */
#ifndef QI_F32_VMULCADDC_SIMD_H
#define QI_F32_VMULCADDC_SIMD_H

#include <assert.h>

#include "kernels/f32-vmulcaddc/vmulcaddc.h"

/* x * scale rounded, then + bias rounded; qv_opaque keeps the compiler from contracting the two into an FMA
 * whatever -ffp-contract says. */
static inline qv qi_f32_vmulcaddc_vec(qv x, qv scale, qv bias) {
  return qv_add(qv_opaque(qv_mul(x, scale)), bias);
}

static inline __attribute__((always_inline)) void qi_f32_vmulcaddc_simd(size_t n, const float *x, float scale,
                                                                        float bias, float *y) {
  assert(x != NULL && y != NULL);
  const qv vs = qv_set1(scale), vb = qv_set1(bias);
  size_t i = 0;
  for (; i + 4 * QV_N <= n; i += 4 * QV_N) {
    const qv a = qv_load(x + i), b = qv_load(x + i + QV_N);
    const qv c = qv_load(x + i + 2 * QV_N), d = qv_load(x + i + 3 * QV_N);
    qv_store(y + i, qi_f32_vmulcaddc_vec(a, vs, vb));
    qv_store(y + i + QV_N, qi_f32_vmulcaddc_vec(b, vs, vb));
    qv_store(y + i + 2 * QV_N, qi_f32_vmulcaddc_vec(c, vs, vb));
    qv_store(y + i + 3 * QV_N, qi_f32_vmulcaddc_vec(d, vs, vb));
  }
  for (; i + QV_N <= n; i += QV_N) qv_store(y + i, qi_f32_vmulcaddc_vec(qv_load(x + i), vs, vb));
  if (i < n) {
    const qt t = qt_make(n - i);
    qv_store_tail(y + i, qi_f32_vmulcaddc_vec(qv_load_tail(x + i, t), vs, vb), t);
  }
}

#endif /* QI_F32_VMULCADDC_SIMD_H */
