/* The f32 families that work on rows: softmax / logsoftmax, layernorm and its row mean-variance, and every
 * reduction (row kernels r*, strided kernels rd*, sumexp), every config of their lists. Shapes are R rows of N
 * floats (rd kernels: R rows of C channels, reduced over the rows); one op per element read. */
#include <math.h>
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/f32-layernorm/layernorm.h"
#include "kernels/f32-reduce/reduce.h"
#include "kernels/f32-softmax/softmax.h"

typedef struct rows_shape {
  size_t rows, n;
} rows_shape;

static const rows_shape softmax_shapes[] = {
    {16, 1024}, /* cache-resident */
    {150, 50},  /* ViT attention scores: 3 heads x 50 queries x 50 keys */
    {1, 1000},  /* classifier output */
};
static const rows_shape layernorm_shapes[] = {
    {16, 1024}, /* cache-resident */
    {50, 192},  /* ViT LayerNorm: 50 tokens x width 192 */
};
static const rows_shape reduce_shapes[] = {
    {16, 1024}, /* cache-resident */
    {50, 192},  /* ViT: per token (r) or per channel over the tokens (rd) */
    {2048, 49}, /* ResNet-50 global pooling input, 2048 planes of 7x7 (r); 49 rows of 2048 (rd) */
};

typedef enum rows_kind { SOFTMAX, RMEANVAR, LAYERNORM, RREDUCE, RDREDUCE, RSUMEXP, RDSUMEXP } rows_kind;

typedef struct rows_args {
  rows_kind kind;
  const void *fn;
  uint32_t features;
  rows_shape sh;
} rows_args;

static void bench_rows(qb_state *s, const void *arg) {
  const rows_args *a = arg;
  const size_t r = a->sh.rows, n = a->sh.n;
  float *x = qb_rand_f32(r * n, -4, 4), *y = qb_alloc(r * n * sizeof(float));
  float *scale = qb_rand_f32(n, 0.5f, 2), *bias = qb_rand_f32(n, -1, 1), *stat = qb_alloc(2 * r * sizeof(float));
  float *m = qb_alloc(n * sizeof(float)); /* sumexp offsets: 0 (inputs are within [-4, 4]) */
  while (qb_keep_running(s)) switch (a->kind) {
      case SOFTMAX:
        for (size_t i = 0; i < r; i++) ((qi_f32_softmax_ukernel_fn)a->fn)(n, x + i * n, y + i * n);
        break;
      case RMEANVAR:
        for (size_t i = 0; i < r; i++) ((qi_f32_rmeanvar_ukernel_fn)a->fn)(n, x + i * n, stat + i, stat + r + i);
        break;
      case LAYERNORM:
        for (size_t i = 0; i < r; i++)
          ((qi_f32_layernorm_ukernel_fn)a->fn)(n, x + i * n, scale, bias, 1e-6f, y + i * n, stat + i, stat + r + i);
        break;
      case RREDUCE:
        for (size_t i = 0; i < r; i++) ((qi_f32_rreduce_ukernel_fn)a->fn)(n, x + i * n, y + i);
        break;
      case RDREDUCE: ((qi_f32_rdreduce_ukernel_fn)a->fn)(r, n, x, n, y); break;
      case RSUMEXP:
        for (size_t i = 0; i < r; i++) ((qi_f32_rsumexp_ukernel_fn)a->fn)(n, x + i * n, m, y + i);
        break;
      case RDSUMEXP: ((qi_f32_rdsumexp_ukernel_fn)a->fn)(r, n, x, n, m, y); break;
    }
  qb_report(s, (double)(r * n), qb_peak_f32(a->features));
  qb_free(x), qb_free(y), qb_free(scale), qb_free(bias), qb_free(stat), qb_free(m);
}

static void add_rows(rows_kind kind, const char *name, const void *fn, uint32_t features, const rows_shape *shapes,
                     size_t count) {
  char shape[64];
  for (size_t j = 0; j < count; j++) {
    const rows_args args = {kind, fn, features, shapes[j]};
    if (kind == RDREDUCE || kind == RDSUMEXP) snprintf(shape, sizeof shape, "R:%zu/C:%zu", shapes[j].rows, shapes[j].n);
    else snprintf(shape, sizeof shape, "R:%zu/N:%zu", shapes[j].rows, shapes[j].n);
    QB_ADD(name, fn, shape, bench_rows, args);
  }
}

void qb_register_f32_rows(void) {
  size_t count;
  const qi_f32_softmax_config *const *sm = qi_f32_softmax_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const char *names[] = {sm[i]->name_softmax, sm[i]->name_logsoftmax};
    if (!qb_runnable(names, QB_COUNT(names), sm[i]->features)) continue;
    add_rows(SOFTMAX, names[0], (const void *)sm[i]->softmax, sm[i]->features, softmax_shapes, QB_COUNT(softmax_shapes));
    add_rows(SOFTMAX, names[1], (const void *)sm[i]->logsoftmax, sm[i]->features, softmax_shapes,
             QB_COUNT(softmax_shapes));
  }
  const qi_f32_layernorm_config *const *ln = qi_f32_layernorm_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const char *names[] = {ln[i]->name_rmeanvar, ln[i]->name_layernorm};
    if (!qb_runnable(names, QB_COUNT(names), ln[i]->features)) continue;
    add_rows(RMEANVAR, names[0], (const void *)ln[i]->rmeanvar, ln[i]->features, layernorm_shapes,
             QB_COUNT(layernorm_shapes));
    add_rows(LAYERNORM, names[1], (const void *)ln[i]->layernorm, ln[i]->features, layernorm_shapes,
             QB_COUNT(layernorm_shapes));
  }
  const qi_f32_reduce_config *const *rd = qi_f32_reduce_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const qi_f32_reduce_config *cfg = rd[i];
    const char *names[2 * QI_REDUCE_KIND_COUNT + 2];
    for (size_t k = 0; k < QI_REDUCE_KIND_COUNT; k++) names[2 * k] = cfg->r[k].name, names[2 * k + 1] = cfg->rd[k].name;
    names[2 * QI_REDUCE_KIND_COUNT] = cfg->name_rsumexp, names[2 * QI_REDUCE_KIND_COUNT + 1] = cfg->name_rdsumexp;
    if (!qb_runnable(names, QB_COUNT(names), cfg->features)) continue;
    for (size_t k = 0; k < QI_REDUCE_KIND_COUNT; k++) {
      add_rows(RREDUCE, cfg->r[k].name, (const void *)cfg->r[k].ukernel, cfg->features, reduce_shapes,
               QB_COUNT(reduce_shapes));
      add_rows(RDREDUCE, cfg->rd[k].name, (const void *)cfg->rd[k].ukernel, cfg->features, reduce_shapes,
               QB_COUNT(reduce_shapes));
    }
    add_rows(RSUMEXP, cfg->name_rsumexp, (const void *)cfg->rsumexp, cfg->features, reduce_shapes,
             QB_COUNT(reduce_shapes));
    add_rows(RDSUMEXP, cfg->name_rdsumexp, (const void *)cfg->rdsumexp, cfg->features, reduce_shapes,
             QB_COUNT(reduce_shapes));
  }
}
