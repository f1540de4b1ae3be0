/* f32 dwconv (3x3 and any-size kernels) and f32 im2col / col2im, every config of their lists. Depthwise layers
 * run one ukernel call per channel plane, as engine/ops/nn_conv.c does; im2col builds the whole column matrix
 * (im2col, im2col_nd), or column tiles of 128 output pixels (im2col_tile), and col2im adds it back. */
#include <math.h>

#include "bench/common.h"
#include "bench/shapes.h"
#include "kernels/f32-dwconv/f32-dwconv.h"
#include "kernels/f32-im2col/f32-im2col.h"

typedef struct dw_args {
  qi_f32_dwconv_minmax_ukernel_fn fn;
  uint32_t features;
  qb_plane_shape sh;
} dw_args;

static void bench_dwconv(qb_state *s, const void *arg) {
  const dw_args *a = arg;
  const qi_window2d g = qb_window2d(&a->sh);
  const size_t c = a->sh.c, in = g.in_h * g.in_w, out = g.out_h * g.out_w, taps = g.kernel_h * g.kernel_w;
  float *x = qb_rand_f32(c * in, -1, 1), *w = qb_rand_f32(c * taps, -1, 1), *bias = qb_rand_f32(c, -1, 1);
  float *y = qb_alloc(c * out * sizeof(float));
  const qi_f32_minmax_params clamp = {0.0f, 6.0f}; /* MobileNetV2's fused ReLU6 */
  while (qb_keep_running(s))
    for (size_t ch = 0; ch < c; ch++) a->fn(&g, x + ch * in, w + ch * taps, bias[ch], y + ch * out, &clamp);
  qb_report(s, 2.0 * (double)(c * out * taps), qb_peak_f32(a->features));
  qb_free(x), qb_free(w), qb_free(bias), qb_free(y);
}

static void register_dwconv(void) {
  size_t count;
  const qi_f32_dwconv_config *const *list = qi_f32_dwconv_config_list(&count);
  char shape[96];
  for (size_t i = 0; i < count; i++) {
    const qi_f32_dwconv_config *cfg = list[i];
    const struct {
      const char *name;
      qi_f32_dwconv_minmax_ukernel_fn fn;
      size_t k; /* the kernel size it takes; 0: any */
    } members[] = {
        {cfg->name_3x3, cfg->ukernel_3x3, 3},
        {cfg->name_5x5, cfg->ukernel_5x5, 5},
        {cfg->name_any, cfg->ukernel_any, 0},
    };
    const char *names[QB_COUNT(members)];
    for (size_t m = 0; m < QB_COUNT(members); m++) names[m] = members[m].name;
    if (!qb_runnable(names, QB_COUNT(names), cfg->features)) continue;
    for (size_t j = 0; j < QB_COUNT(qb_dwconv_shapes); j++) {
      const qb_plane_shape *sh = &qb_dwconv_shapes[j];
      qb_plane_name(shape, sizeof shape, sh);
      for (size_t m = 0; m < QB_COUNT(members); m++) {
        const dw_args args = {members[m].fn, cfg->features, *sh};
        if (!members[m].k || members[m].k == sh->k) QB_ADD(members[m].name, members[m].fn, shape, bench_dwconv, args);
      }
    }
  }
}

/* The im2col family moves data: one op per element of the column matrix written (or added, col2im). */
typedef enum im2col_member { IM2COL, IM2COL_TILE, COL2IM, IM2COL_ND, COL2IM_ND } im2col_member;

typedef struct im2col_args {
  const qi_f32_im2col_config *cfg;
  im2col_member member;
  qb_plane_shape sh;
} im2col_args;

static void bench_im2col(qb_state *s, const void *arg) {
  const im2col_args *a = arg;
  const qi_f32_im2col_config *cfg = a->cfg;
  const qi_window2d g = qb_window2d(&a->sh);
  const qi_windownd gnd = qb_windownd(&a->sh);
  const size_t c = a->sh.c, rows = c * g.kernel_h * g.kernel_w, pixels = g.out_h * g.out_w;
  float *x = qb_rand_f32(c * g.in_h * g.in_w, -1, 1), *col = qb_rand_f32(rows * pixels, -1, 1);
  const size_t tile = 128;
  while (qb_keep_running(s)) switch (a->member) {
      case IM2COL: cfg->im2col(&g, 0, rows, x, col); break;
      case IM2COL_TILE:
        for (size_t p0 = 0; p0 < pixels; p0 += tile) {
          const size_t p1 = p0 + tile < pixels ? p0 + tile : pixels;
          /* one block of the tile's width: the plain layout */
          cfg->im2col_tile(&g, 0, rows, p0, p1, p1 - p0, rows, x, col);
        }
        break;
      case COL2IM: cfg->col2im(&g, 0, c, col, x); break;
      case IM2COL_ND: cfg->im2col_nd(&gnd, 0, rows, x, col); break;
      case COL2IM_ND: cfg->col2im_nd(&gnd, 0, c, col, x); break;
    }
  qb_report(s, (double)(rows * pixels), qb_peak_f32(cfg->features));
  qb_free(x), qb_free(col);
}

static void register_im2col(void) {
  size_t count;
  const qi_f32_im2col_config *const *list = qi_f32_im2col_config_list(&count);
  char shape[96];
  for (size_t i = 0; i < count; i++) {
    const qi_f32_im2col_config *cfg = list[i];
    const struct {
      im2col_member member;
      const char *name;
      const void *fn;
    } members[] = {{IM2COL, cfg->name_im2col, (const void *)cfg->im2col},
                   {IM2COL_TILE, cfg->name_im2col_tile, (const void *)cfg->im2col_tile},
                   {COL2IM, cfg->name_col2im, (const void *)cfg->col2im},
                   {IM2COL_ND, cfg->name_im2col_nd, (const void *)cfg->im2col_nd},
                   {COL2IM_ND, cfg->name_col2im_nd, (const void *)cfg->col2im_nd}};
    const char *names[QB_COUNT(members)];
    for (size_t m = 0; m < QB_COUNT(members); m++) names[m] = members[m].name;
    if (!qb_runnable(names, QB_COUNT(names), cfg->features)) continue;
    for (size_t j = 0; j < QB_COUNT(qb_im2col_shapes); j++) {
      qb_plane_name(shape, sizeof shape, &qb_im2col_shapes[j]);
      for (size_t m = 0; m < QB_COUNT(members); m++) {
        const im2col_args args = {cfg, members[m].member, qb_im2col_shapes[j]};
        QB_ADD(members[m].name, members[m].fn, shape, bench_im2col, args);
      }
    }
  }
}

void qb_register_f32_conv(void) {
  register_dwconv();
  register_im2col();
}
