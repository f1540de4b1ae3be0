/* Window geometries for the f32 im2col and pooling testers (test_f32_im2col.c, test_f32_pool.c): random N-d
 * windows (kernel sizes, strides, dilations, begin and end padding up to past the kernel, ceil_mode overhangs),
 * their 2-D view, and the naive walk of a window's taps that the oracles use: output point o, tap t (both
 * row-major) read input coordinate o[a] * stride[a] - pad_begin[a] + k[a] * dilation[a] on each axis, padding
 * when outside [0, in[a]). */
#ifndef QI_TEST_WINDOW_TESTER_H
#define QI_TEST_WINDOW_TESTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "f32_tester.h"
#include "kernels/f32-im2col/window2d.h"
#include "kernels/f32-im2col/windownd.h"

/* Outputs along one axis (0 when the padded input is shorter than the window); with ceil_mode the last window
 * starts inside the input or its begin padding (ONNX). */
static inline size_t wt_out_len(size_t in, size_t k, size_t s, size_t d, size_t pb, size_t pe, bool ceil_mode) {
  const size_t span = (k - 1) * d + 1, padded = in + pb + pe;
  if (padded < span) return 0;
  size_t n = ceil_mode ? (padded - span + s - 1) / s + 1 : (padded - span) / s + 1;
  if (ceil_mode && (n - 1) * s >= in + pb) n--;
  return n;
}

/* A random geometry of `dims` axes with at least one output: inputs 1..max_in, kernels 1..4 (sometimes 5 or
 * 7), strides 1..3, dilations 1..3, each pad 0..kernel (the end one may differ). */
static inline qi_windownd wt_random(uint32_t *seed, size_t dims, size_t max_in, bool ceil_mode) {
  qi_windownd g = {.dims = dims};
  for (size_t a = 0; a < dims; a++) {
    do {
      g.in[a] = 1 + ft_next(seed) % max_in;
      g.kernel[a] = ft_next(seed) % 8 == 0 ? 5 + 2 * (ft_next(seed) % 2) : 1 + ft_next(seed) % 4;
      g.stride[a] = 1 + ft_next(seed) % 3, g.dilation[a] = ft_next(seed) % 3 ? 1 : 2 + ft_next(seed) % 2;
      g.pad_begin[a] = ft_next(seed) % (g.kernel[a] + 1), g.pad_end[a] = ft_next(seed) % (g.kernel[a] + 1);
      g.out[a] = wt_out_len(g.in[a], g.kernel[a], g.stride[a], g.dilation[a], g.pad_begin[a], g.pad_end[a], ceil_mode);
    } while (g.out[a] == 0);
  }
  return g;
}

/* The 2-D kernels' view of a 1-D (height 1) or 2-D geometry. */
static inline qi_window2d wt_2d(const qi_windownd *g) {
  const size_t w = g->dims - 1;
  qi_window2d v = {1, g->in[w],       1, g->out[w],       1, g->kernel[w], 1, g->stride[w],
                   1, g->dilation[w], 0, g->pad_begin[w], 0, g->pad_end[w]};
  if (g->dims == 2)
    v.in_h = g->in[0], v.out_h = g->out[0], v.kernel_h = g->kernel[0], v.stride_h = g->stride[0],
    v.dilation_h = g->dilation[0], v.pad_top = g->pad_begin[0], v.pad_bottom = g->pad_end[0];
  return v;
}

/* Row-major offset in the plane of the input that output point `out` (row-major index) reads at tap `tap`
 * (row-major over the kernel dims); false when it is padding. *padded: whether the tap lies inside the padded
 * extent [-pad_begin, in + pad_end) on every axis (what count_include_pad counts). */
static inline bool wt_tap(const qi_windownd *g, size_t out, size_t tap, size_t *offset, bool *padded) {
  size_t o[QI_WINDOW_MAX_DIMS], k[QI_WINDOW_MAX_DIMS];
  for (size_t a = g->dims; a-- > 0;) {
    o[a] = out % g->out[a], out /= g->out[a];
    k[a] = tap % g->kernel[a], tap /= g->kernel[a];
  }
  bool inside = true;
  *offset = 0, *padded = true;
  for (size_t a = 0; a < g->dims; a++) {
    const long long p = (long long)(o[a] * g->stride[a] + k[a] * g->dilation[a]);
    const long long i = p - (long long)g->pad_begin[a];
    if (p >= (long long)(g->pad_begin[a] + g->in[a] + g->pad_end[a])) *padded = false;
    if (i < 0 || i >= (long long)g->in[a]) inside = false;
    *offset = *offset * g->in[a] + (size_t)(i < 0 ? 0 : i);
  }
  return inside;
}

/* Column-major offset of a row-major one (MaxPool's Indices with storage_order 1). */
static inline size_t wt_column_major(const qi_windownd *g, size_t offset) {
  size_t col = 0, stride = 1;
  size_t c[QI_WINDOW_MAX_DIMS];
  for (size_t a = g->dims; a-- > 0;) c[a] = offset % g->in[a], offset /= g->in[a];
  for (size_t a = 0; a < g->dims; a++) col += c[a] * stride, stride *= g->in[a];
  return col;
}

/* The geometry for messages: "2-d in 4x5 kernel 3x1 stride 1x2 dilation 1x1 pad 0x1 pad_end 1x0 out 2x3". */
static inline const char *wt_describe(const qi_windownd *g, char *buf, size_t size) {
  static const char *const labels[] = {"in", "kernel", "stride", "dilation", "pad", "pad_end", "out"};
  const size_t *const fields[] = {g->in, g->kernel, g->stride, g->dilation, g->pad_begin, g->pad_end, g->out};
  size_t len = (size_t)snprintf(buf, size, "%zu-d", g->dims);
  for (size_t f = 0; f < sizeof labels / sizeof labels[0]; f++)
    for (size_t a = 0; a < g->dims && len < size; a++)
      len += (size_t)(a ? snprintf(buf + len, size - len, "x%zu", fields[f][a])
                        : snprintf(buf + len, size - len, " %s %zu", labels[f], fields[f][a]));
  return buf;
}

#endif /* QI_TEST_WINDOW_TESTER_H */
