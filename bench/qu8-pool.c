/* qu8 average pooling (global CHW, global channels-last, windowed 2-D, windowed N-d) and u8 / s8 max pooling
 * (2-D and N-d kernels), every config of their lists. Windowed pooling runs one call per channel plane (the N-d
 * average kernel: all channels interleaved in one call); ops: one per window tap, or per input element
 * (global). */
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/qu8-avgpool/qu8-avgpool.h"
#include "kernels/s8-maxpool/s8-maxpool.h"
#include "kernels/u8-maxpool/u8-maxpool.h"

typedef enum qpool_kind { GAVG, GAVG_NWC, AVG2D, AVGND, U8MAX2D, U8MAXND, S8MAX2D, S8MAXND } qpool_kind;

typedef struct qpool_args {
  qpool_kind kind;
  const void *fn;
  const qi_qu8_avgpool_config *avg; /* the average pooling config (its params initialiser) */
  uint32_t features;
  qb_plane_shape sh; /* global: c rows of h * w */
} qpool_args;

static void bench_qpool(qb_state *s, const void *arg) {
  const qpool_args *a = arg;
  const qi_window2d g = qb_window2d(&a->sh);
  const qi_windownd gnd = qb_windownd(&a->sh);
  const bool global = a->kind == GAVG || a->kind == GAVG_NWC;
  const size_t c = a->sh.c, in = g.in_h * g.in_w, out = global ? 1 : g.out_h * g.out_w;
  uint8_t *x = qb_rand_u8(c * in), *y = qb_alloc(c * out);
  qi_qu8_avgpool_params params = {0};
  if (a->avg) params = a->avg->init_params(a->avg->x_domain, 0.02f, 128, 0.02f, 128, false);
  while (qb_keep_running(s)) switch (a->kind) {
      case GAVG: ((qi_qu8_gavgpool_ukernel_fn)a->fn)(c, in, x, y, &params); break;
      case GAVG_NWC: ((qi_qu8_gavgpool_nwc_ukernel_fn)a->fn)(in, c, x, y, &params); break;
      case AVGND: ((qi_qu8_avgpool_nd_ukernel_fn)a->fn)(&gnd, QI_QU8_AVGPOOL_DIV_VALID, c, x, y, &params); break;
      case AVG2D:
        for (size_t ch = 0; ch < c; ch++)
          ((qi_qu8_avgpool2d_ukernel_fn)a->fn)(&g, QI_QU8_AVGPOOL_DIV_VALID, x + ch * in, y + ch * out, &params);
        break;
      case U8MAX2D:
        for (size_t ch = 0; ch < c; ch++) ((qi_u8_maxpool_ukernel_2d_fn)a->fn)(&gnd, x + ch * in, y + ch * out);
        break;
      case U8MAXND:
        for (size_t ch = 0; ch < c; ch++)
          ((qi_u8_maxpool_ukernel_nd_fn)a->fn)(&gnd, x + ch * in, y + ch * out, NULL, 0, false);
        break;
      case S8MAX2D:
        for (size_t ch = 0; ch < c; ch++)
          ((qi_s8_maxpool_ukernel_2d_fn)a->fn)(&gnd, (const int8_t *)x + ch * in, (int8_t *)y + ch * out);
        break;
      case S8MAXND:
        for (size_t ch = 0; ch < c; ch++)
          ((qi_s8_maxpool_ukernel_nd_fn)a->fn)(&gnd, (const int8_t *)x + ch * in, (int8_t *)y + ch * out, NULL, 0,
                                               false);
        break;
    }
  qb_report(s, global ? (double)(c * in) : (double)(c * out * g.kernel_h * g.kernel_w), qb_peak_int8(a->features));
  qb_free(x), qb_free(y);
}

static void add(qpool_kind kind, const char *name, const void *fn, const qi_qu8_avgpool_config *avg,
                uint32_t features) {
  const bool global = kind == GAVG || kind == GAVG_NWC;
  const qb_plane_shape *shapes = global ? qb_global_pool_shapes : qb_pool_shapes;
  const size_t n = global ? QB_COUNT(qb_global_pool_shapes) : QB_COUNT(qb_pool_shapes);
  char shape[96];
  for (size_t j = 0; j < n; j++) {
    const qpool_args args = {kind, fn, avg, features, shapes[j]};
    if (global) snprintf(shape, sizeof shape, "R:%zu/N:%zu", shapes[j].c, shapes[j].h * shapes[j].w);
    else qb_plane_name(shape, sizeof shape, &shapes[j]);
    QB_ADD(name, fn, shape, bench_qpool, args);
  }
}

void qb_register_qu8_pool(void) {
  size_t count;
  const qi_qu8_avgpool_config *const *avg = qi_qu8_avgpool_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const qi_qu8_avgpool_config *cfg = avg[i];
    const char *names[] = {cfg->name_gavgpool, cfg->name_gavgpool_nwc, cfg->name_avgpool2d, cfg->name_avgpool_nd};
    if (!qb_runnable(names, QB_COUNT(names), cfg->features)) continue;
    add(GAVG, cfg->name_gavgpool, (const void *)cfg->gavgpool, cfg, cfg->features);
    add(GAVG_NWC, cfg->name_gavgpool_nwc, (const void *)cfg->gavgpool_nwc, cfg, cfg->features);
    add(AVG2D, cfg->name_avgpool2d, (const void *)cfg->avgpool2d, cfg, cfg->features);
    add(AVGND, cfg->name_avgpool_nd, (const void *)cfg->avgpool_nd, cfg, cfg->features);
  }
  const qi_u8_maxpool_config *const *u8 = qi_u8_maxpool_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const char *names[] = {u8[i]->name_2d, u8[i]->name_nd};
    if (!qb_runnable(names, QB_COUNT(names), u8[i]->features)) continue;
    add(U8MAX2D, u8[i]->name_2d, (const void *)u8[i]->ukernel_2d, NULL, u8[i]->features);
    add(U8MAXND, u8[i]->name_nd, (const void *)u8[i]->ukernel_nd, NULL, u8[i]->features);
  }
  const qi_s8_maxpool_config *const *s8 = qi_s8_maxpool_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    const char *names[] = {s8[i]->name_2d, s8[i]->name_nd};
    if (!qb_runnable(names, QB_COUNT(names), s8[i]->features)) continue;
    add(S8MAX2D, s8[i]->name_2d, (const void *)s8[i]->ukernel_2d, NULL, s8[i]->features);
    add(S8MAXND, s8[i]->name_nd, (const void *)s8[i]->ukernel_nd, NULL, s8[i]->features);
  }
}
