/* Geometry of a 2-D sliding window over one CHW plane, shared by im2col/col2im, depthwise convolution and
 * pooling. Output pixel (oy, ox) reads input rows oy*stride_h - pad_top + ky*dilation_h (ky < kernel_h) and
 * columns ox*stride_w - pad_left + kx*dilation_w; taps outside [0, in_h) x [0, in_w) are padding.
 * pad_bottom / pad_right are only needed by average pooling's count_include_pad divisor. */
#ifndef QI_WINDOW2D_H
#define QI_WINDOW2D_H

#include <stddef.h>

typedef struct qi_window2d {
  size_t in_h, in_w;
  size_t out_h, out_w;
  size_t kernel_h, kernel_w;
  size_t stride_h, stride_w;
  size_t dilation_h, dilation_w;
  size_t pad_top, pad_left, pad_bottom, pad_right;
} qi_window2d;

/* Outputs [*lo, *hi) along one axis whose whole window lies inside the input (lo == hi when none). */
static inline void qi_window_interior(size_t in, size_t out, size_t kernel, size_t stride, size_t dilation,
                                      size_t pad, size_t *lo, size_t *hi) {
  const size_t span = (kernel - 1) * dilation; /* distance from the first tap to the last */
  size_t first = (pad + stride - 1) / stride;  /* first output whose first tap is >= 0 */
  size_t end = 0;                              /* one past the last output whose last tap is < in */
  if (in + pad >= span + 1) end = (in - 1 + pad - span) / stride + 1;
  if (end > out) end = out;
  if (first > end) first = end;
  *lo = first;
  *hi = end;
}

#endif /* QI_WINDOW2D_H */
