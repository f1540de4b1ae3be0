/* The 8-bit elementwise families, every config of their lists: qu8 vadd (vector-vector, vector-broadcast; the
 * fused formula), qu8 vmul (the same), qu8 lut (a table lookup), qu8 quantize and dequantize, at the lengths of
 * bench/shapes.h. One op per element. */
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/qu8-lut/qu8-lut.h"
#include "kernels/qu8-quantize/qu8-quantize.h"
#include "kernels/qu8-vadd/qu8-vadd.h"
#include "kernels/qu8-vmul/qu8-vmul.h"

typedef enum qew_kind { VADD, VMUL, LUT, QUANTIZE, DEQUANTIZE } qew_kind;

typedef struct qew_args {
  qew_kind kind;
  const void *fn;
  const void *cfg; /* the family's config (its params initialiser) */
  uint32_t features;
  size_t n;
} qew_args;

static void bench_qew(qb_state *s, const void *arg) {
  const qew_args *a = arg;
  const size_t n = a->n;
  uint8_t *x = qb_rand_u8(n), *b = qb_rand_u8(n), *y = qb_alloc(n * sizeof(float));
  float *xf = qb_rand_f32(n, -4, 4);
  qi_qu8_add_params add;
  qi_qu8_mul_params mul;
  qi_qu8_quantize_params q = {0};
  uint8_t table[256];
  switch (a->kind) {
    case VADD: {
      const qi_qu8_vadd_config *cfg = a->cfg;
      cfg->init_params(&add, 0.02f, 128, 0.03f, 120, 0.04f, 125, 0, 255, 0, 0, 0);
      break;
    }
    case VMUL: {
      const qi_qu8_vmul_config *cfg = a->cfg;
      cfg->init_params(&mul, cfg->x_domain, 0.02f, 128, 0.03f, 120, 0.04f, 125, 0, 255, 0);
      break;
    }
    case LUT: {
      const qi_qu8_lut_config *cfg = a->cfg;
      const qi_f32_unary_params fp = {0};
      const qi_qu8_lut_side side = {false, 0.05f, 128};
      cfg->build(table, QI_VUNARY_SIGMOID, &fp, side, (qi_qu8_lut_side){false, 1.0f / 256, 0}, 0, 255);
      break;
    }
    case QUANTIZE:
    case DEQUANTIZE: {
      const qi_qu8_quantize_config *cfg = a->cfg;
      q = cfg->init_params(cfg->x_domain, 0.05f, 128, 0, 255, 0);
      break;
    }
  }
  while (qb_keep_running(s)) switch (a->kind) {
      case VADD: ((qi_qu8_vadd_ukernel_fn)a->fn)(n, x, b, y, &add); break;
      case VMUL: ((qi_qu8_vmul_ukernel_fn)a->fn)(n, x, b, y, &mul); break;
      case LUT: ((qi_qu8_lut_ukernel_fn)a->fn)(n, x, y, table); break;
      case QUANTIZE: ((qi_qu8_quantize_ukernel_fn)a->fn)(n, xf, y, &q); break;
      case DEQUANTIZE: ((qi_qu8_dequantize_ukernel_fn)a->fn)(n, x, (float *)(void *)y, &q); break;
    }
  qb_report(s, (double)n, qb_peak_int8(a->features));
  qb_free(x), qb_free(b), qb_free(y), qb_free(xf);
}

static void add(qew_kind kind, const char *name, const void *fn, const void *cfg, uint32_t features) {
  char shape[64];
  for (size_t j = 0; j < QB_COUNT(qb_vector_lengths); j++) {
    const qew_args args = {kind, fn, cfg, features, qb_vector_lengths[j]};
    snprintf(shape, sizeof shape, "N:%zu", args.n);
    QB_ADD(name, fn, shape, bench_qew, args);
  }
}

void qb_register_qu8_elementwise(void) {
  size_t count;
  const qi_qu8_vadd_config *const *va = qi_qu8_vadd_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const char *names[] = {va[i]->vadd_name, va[i]->vaddc_name};
    if (!qb_runnable(names, QB_COUNT(names), va[i]->features)) continue;
    add(VADD, names[0], (const void *)va[i]->vadd, va[i], va[i]->features);
    add(VADD, names[1], (const void *)va[i]->vaddc, va[i], va[i]->features);
  }
  const qi_qu8_vmul_config *const *vm = qi_qu8_vmul_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const char *names[] = {vm[i]->vmul_name, vm[i]->vmulc_name};
    if (!qb_runnable(names, QB_COUNT(names), vm[i]->features)) continue;
    add(VMUL, names[0], (const void *)vm[i]->vmul, vm[i], vm[i]->features);
    add(VMUL, names[1], (const void *)vm[i]->vmulc, vm[i], vm[i]->features);
  }
  const qi_qu8_lut_config *const *lut = qi_qu8_lut_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    if (!qb_runnable(&lut[i]->name, 1, lut[i]->features)) continue;
    add(LUT, lut[i]->name, (const void *)lut[i]->lut, lut[i], lut[i]->features);
  }
  const qi_qu8_quantize_config *const *qz = qi_qu8_quantize_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const char *names[] = {qz[i]->quantize_name, qz[i]->dequantize_name};
    if (!qb_runnable(names, QB_COUNT(names), qz[i]->features)) continue;
    add(QUANTIZE, names[0], (const void *)qz[i]->quantize, qz[i], qz[i]->features);
    add(DEQUANTIZE, names[1], (const void *)qz[i]->dequantize, qz[i], qz[i]->features);
  }
}
