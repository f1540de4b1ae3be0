/* f32 vunary (every op), vbinary (every op: vector-vector, vector-scalar and scalar-vector kernels) and
 * vmulcaddc, every entry of their config lists, at the lengths of bench/shapes.h. One op per element. */
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/f32-vbinary/vbinary.h"
#include "kernels/f32-vmulcaddc/vmulcaddc.h"
#include "kernels/f32-vunary/vunary.h"

typedef struct vunary_args {
  const qi_f32_vunary_config *cfg;
  size_t n;
} vunary_args;

static void bench_vunary(qb_state *s, const void *arg) {
  const vunary_args *a = arg;
  const qi_vunary_op op = a->cfg->kind;
  const bool positive = op == QI_VUNARY_LOG || op == QI_VUNARY_SQRT || op == QI_VUNARY_RECIPROCAL;
  float *x = qb_rand_f32(a->n, positive ? 0.1f : -4.0f, 4.0f), *y = qb_alloc(a->n * sizeof(float));
  const qi_f32_unary_params params = {.min = 0.0f, .max = 6.0f, .alpha = 0.2f, .beta = 0.5f, .gamma = 1.0507f};
  while (qb_keep_running(s)) a->cfg->ukernel(a->n, x, y, &params);
  qb_report(s, (double)a->n, qb_peak_f32(a->cfg->features));
  qb_free(x), qb_free(y);
}

typedef struct vbinary_args {
  qi_f32_vbinary_ukernel_fn fn;
  qi_vbinary_op kind;
  uint32_t features;
  size_t n;
} vbinary_args;

static void bench_vbinary(qb_state *s, const void *arg) {
  const vbinary_args *a = arg;
  float *x = qb_rand_f32(a->n, a->kind == QI_VBINARY_POW ? 0.5f : -2.0f, 2.0f);
  float *b = qb_rand_f32(a->n, 0.5f, 2.0f), *y = qb_alloc(a->n * sizeof(float));
  while (qb_keep_running(s)) a->fn(a->n, x, b, y);
  qb_report(s, (double)a->n, qb_peak_f32(a->features));
  qb_free(x), qb_free(b), qb_free(y);
}

typedef struct vmulcaddc_args {
  const qi_f32_vmulcaddc_config *cfg;
  size_t channels, plane;
} vmulcaddc_args;

/* One call per channel plane, as BatchNormalization runs it. */
static void bench_vmulcaddc(qb_state *s, const void *arg) {
  const vmulcaddc_args *a = arg;
  const size_t n = a->channels * a->plane;
  float *x = qb_rand_f32(n, -4, 4), *scale = qb_rand_f32(a->channels, 0.5f, 2), *bias = qb_rand_f32(a->channels, -1, 1);
  float *y = qb_alloc(n * sizeof(float));
  while (qb_keep_running(s))
    for (size_t c = 0; c < a->channels; c++) a->cfg->ukernel(a->plane, x + c * a->plane, scale[c], bias[c], y + c * a->plane);
  qb_report(s, 2.0 * (double)n, qb_peak_f32(a->cfg->features));
  qb_free(x), qb_free(scale), qb_free(bias), qb_free(y);
}

void qb_register_f32_elementwise(void) {
  char shape[64];
  size_t count;
  const qi_f32_vunary_config *const *unary = qi_f32_vunary_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    if (!qb_runnable(&unary[i]->name, 1, unary[i]->features)) continue;
    for (size_t j = 0; j < QB_COUNT(qb_vector_lengths); j++) {
      const vunary_args args = {unary[i], qb_vector_lengths[j]};
      snprintf(shape, sizeof shape, "N:%zu", args.n);
      QB_ADD(unary[i]->name, unary[i]->ukernel, shape, bench_vunary, args);
    }
  }
  const qi_f32_vbinary_config *const *binary = qi_f32_vbinary_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const qi_f32_vbinary_config *cfg = binary[i];
    const char *names[] = {cfg->name_op, cfg->name_opc, cfg->name_ropc};
    const qi_f32_vbinary_ukernel_fn fns[] = {cfg->op, cfg->opc, cfg->ropc};
    if (!qb_runnable(names, QB_COUNT(names), cfg->features)) continue;
    for (size_t j = 0; j < 2; j++) /* the cache-resident and the ViT length */
      for (size_t f = 0; f < QB_COUNT(fns); f++) {
        const vbinary_args args = {fns[f], cfg->kind, cfg->features, qb_vector_lengths[j]};
        snprintf(shape, sizeof shape, "N:%zu", args.n);
        QB_ADD(names[f], fns[f], shape, bench_vbinary, args);
      }
  }
  const qi_f32_vmulcaddc_config *const *mca = qi_f32_vmulcaddc_config_list(&count);
  static const size_t planes[][2] = {{16, 256}, {64, 3136}}; /* cache-resident; 64 channels of 56x56 */
  for (size_t i = 0; i < count; i++) {
    if (!qb_runnable(&mca[i]->name, 1, mca[i]->features)) continue;
    for (size_t j = 0; j < QB_COUNT(planes); j++) {
      const vmulcaddc_args args = {mca[i], planes[j][0], planes[j][1]};
      snprintf(shape, sizeof shape, "C:%zu/HW:%zu", args.channels, args.plane);
      QB_ADD(mca[i]->name, mca[i]->ukernel, shape, bench_vmulcaddc, args);
    }
  }
}
