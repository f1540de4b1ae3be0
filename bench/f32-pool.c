/* f32 pooling, every kernel of every config of qi_f32_pool_config_list: windowed pooling one call per channel
 * plane (the 2-D kernels and the N-d ones on the same 2-D windows), global pooling over rows. Ops: one per
 * window tap (windowed), one per input element (global). */
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/f32-pool/f32-pool.h"

typedef enum pool_kind { MAX2D, AVG2D, MAXND, AVGND, LPND, GLOBAL } pool_kind;

typedef struct pool_args {
  pool_kind kind;
  const void *fn;
  uint32_t features;
  qb_plane_shape sh; /* GLOBAL: c rows of h * w */
} pool_args;

static void bench_pool(qb_state *s, const void *arg) {
  const pool_args *a = arg;
  const qi_window2d g = qb_window2d(&a->sh);
  const qi_windownd gnd = qb_windownd(&a->sh);
  const size_t c = a->sh.c, in = g.in_h * g.in_w, out = a->kind == GLOBAL ? 1 : g.out_h * g.out_w;
  float *x = qb_rand_f32(c * in, -4, 4), *y = qb_alloc(c * out * sizeof(float));
  while (qb_keep_running(s)) {
    if (a->kind == GLOBAL) {
      ((qi_f32_gpool_ukernel_fn)a->fn)(c, in, x, y);
      continue;
    }
    for (size_t ch = 0; ch < c; ch++) {
      const float *xc = x + ch * in;
      float *yc = y + ch * out;
      switch (a->kind) {
        case MAX2D: ((qi_f32_maxpool2d_ukernel_fn)a->fn)(&g, xc, yc); break;
        case AVG2D: ((qi_f32_avgpool2d_ukernel_fn)a->fn)(&g, false, xc, yc); break;
        case MAXND: ((qi_f32_maxpool_nd_ukernel_fn)a->fn)(&gnd, xc, yc, NULL, 0, false); break;
        case AVGND: ((qi_f32_avgpool_nd_ukernel_fn)a->fn)(&gnd, false, xc, yc); break;
        case LPND: ((qi_f32_lppool_nd_ukernel_fn)a->fn)(&gnd, 2.0f, xc, yc); break;
        case GLOBAL: break;
      }
    }
  }
  qb_report(s, a->kind == GLOBAL ? (double)(c * in) : (double)(c * out * g.kernel_h * g.kernel_w),
            qb_peak_f32(a->features));
  qb_free(x), qb_free(y);
}

void qb_register_f32_pool(void) {
  size_t count;
  const qi_f32_pool_config *const *list = qi_f32_pool_config_list(&count);
  char shape[96];
  for (size_t i = 0; i < count; i++) {
    const qi_f32_pool_config *cfg = list[i];
    const struct {
      pool_kind kind;
      const char *name;
      const void *fn;
    } members[] = {{MAX2D, cfg->name_maxpool2d, (const void *)cfg->maxpool2d},
                   {AVG2D, cfg->name_avgpool2d, (const void *)cfg->avgpool2d},
                   {MAXND, cfg->name_maxpool_nd, (const void *)cfg->maxpool_nd},
                   {AVGND, cfg->name_avgpool_nd, (const void *)cfg->avgpool_nd},
                   {LPND, cfg->name_lppool_nd, (const void *)cfg->lppool_nd},
                   {GLOBAL, cfg->name_gavgpool, (const void *)cfg->gavgpool},
                   {GLOBAL, cfg->name_gmaxpool, (const void *)cfg->gmaxpool}};
    const char *names[QB_COUNT(members)];
    for (size_t m = 0; m < QB_COUNT(members); m++) names[m] = members[m].name;
    if (!qb_runnable(names, QB_COUNT(names), cfg->features)) continue;
    for (size_t m = 0; m < QB_COUNT(members); m++) {
      const bool global = members[m].kind == GLOBAL;
      const qb_plane_shape *shapes = global ? qb_global_pool_shapes : qb_pool_shapes;
      const size_t n = global ? QB_COUNT(qb_global_pool_shapes) : QB_COUNT(qb_pool_shapes);
      for (size_t j = 0; j < n; j++) {
        const pool_args args = {members[m].kind, members[m].fn, cfg->features, shapes[j]};
        if (global) snprintf(shape, sizeof shape, "R:%zu/N:%zu", shapes[j].c, shapes[j].h * shapes[j].w);
        else qb_plane_name(shape, sizeof shape, &shapes[j]);
        QB_ADD(members[m].name, members[m].fn, shape, bench_pool, args);
      }
    }
  }
}
