/* qu8 dwconv (3x3 and any-size kernels), every config of qi_qu8_dwconv_config_list, one call per channel plane
 * as engine/ops/quant_conv.c runs depthwise layers. Ops: 2 per tap (multiply, add). */
#include <stdio.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/qu8-dwconv/qu8-dwconv.h"

typedef struct qdw_args {
  const qi_qu8_dwconv_config *cfg;
  qi_qu8_dwconv_minmax_ukernel_fn fn;
  qb_plane_shape sh;
} qdw_args;

static void bench_qdwconv(qb_state *s, const void *arg) {
  const qdw_args *a = arg;
  const qi_window2d g = qb_window2d(&a->sh);
  const size_t c = a->sh.c, in = g.in_h * g.in_w, out = g.out_h * g.out_w, taps = g.kernel_h * g.kernel_w;
  uint8_t *x = qb_rand_u8(c * in), *y = qb_alloc(c * out);
  int8_t *w = (int8_t *)qb_rand_u8(c * taps);
  const qi_qu8_dwconv_params params = a->cfg->init_params(a->cfg->x_domain, 128, 128, 0, 255, false);
  while (qb_keep_running(s))
    for (size_t ch = 0; ch < c; ch++)
      a->fn(&g, x + ch * in, w + ch * taps, (int32_t)ch, 1e-3f, y + ch * out, &params);
  qb_report(s, 2.0 * (double)(c * out * taps), qb_peak_int8(a->cfg->features));
  qb_free(x), qb_free(y), qb_free(w);
}

void qb_register_qu8_conv(void) {
  size_t count;
  const qi_qu8_dwconv_config *const *list = qi_qu8_dwconv_config_list(&count);
  char shape[96];
  for (size_t i = 0; i < count; i++) {
    const qi_qu8_dwconv_config *cfg = list[i];
    const char *names[] = {cfg->name_3x3, cfg->name_any};
    if (!qb_runnable(names, QB_COUNT(names), cfg->features)) continue;
    for (size_t j = 0; j < QB_COUNT(qb_dwconv_shapes); j++) {
      const qb_plane_shape *sh = &qb_dwconv_shapes[j];
      qb_plane_name(shape, sizeof shape, sh);
      const qdw_args a3 = {cfg, cfg->ukernel_3x3, *sh}, any = {cfg, cfg->ukernel_any, *sh};
      if (sh->k == 3) QB_ADD(cfg->name_3x3, cfg->ukernel_3x3, shape, bench_qdwconv, a3);
      QB_ADD(cfg->name_any, cfg->ukernel_any, shape, bench_qdwconv, any);
    }
  }
}
