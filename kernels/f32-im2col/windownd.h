/* Geometry of an N-d sliding window over one plane (the spatial dims of one N, C slice), row-major, shared by
 * N-d im2col/col2im and N-d pooling. Output point o reads, on axis a, input coordinates
 * o[a]*stride[a] - pad_begin[a] + k*dilation[a] for k < kernel[a]; coordinates outside [0, in[a]) are padding.
 * pad_end is only needed by average pooling's count_include_pad divisor. */
#ifndef QI_WINDOWND_H
#define QI_WINDOWND_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

#define QI_WINDOW_MAX_DIMS 6 /* QINFER_MAX_RANK minus the N and C axes */

typedef struct qi_windownd {
  size_t dims; /* 1 .. QI_WINDOW_MAX_DIMS */
  size_t in[QI_WINDOW_MAX_DIMS], out[QI_WINDOW_MAX_DIMS], kernel[QI_WINDOW_MAX_DIMS];
  size_t stride[QI_WINDOW_MAX_DIMS], dilation[QI_WINDOW_MAX_DIMS];
  size_t pad_begin[QI_WINDOW_MAX_DIMS], pad_end[QI_WINDOW_MAX_DIMS];
} qi_windownd;

static inline size_t qi_windownd_in_size(const qi_windownd *g) {
  size_t n = 1;
  for (size_t a = 0; a < g->dims; a++) n *= g->in[a];
  return n;
}
static inline size_t qi_windownd_out_size(const qi_windownd *g) {
  size_t n = 1;
  for (size_t a = 0; a < g->dims; a++) n *= g->out[a];
  return n;
}
static inline size_t qi_windownd_taps(const qi_windownd *g) {
  size_t n = 1;
  for (size_t a = 0; a < g->dims; a++) n *= g->kernel[a];
  return n;
}

/* Taps [*lo, *hi) of axis a whose input coordinate for output coordinate o lies inside [0, in). */
static inline void qi_windownd_axis_taps(const qi_windownd *g, size_t a, size_t o, size_t *lo, size_t *hi) {
  const size_t start = o * g->stride[a], pad = g->pad_begin[a], end = pad + g->in[a], d = g->dilation[a];
  /* padded coordinate start + k*d must satisfy pad <= . < end */
  size_t first = start >= pad ? 0 : (pad - start + d - 1) / d;
  size_t last = start >= end ? 0 : (end - start + d - 1) / d;
  if (last > g->kernel[a]) last = g->kernel[a];
  if (first > last) first = last;
  *lo = first;
  *hi = last;
}

/* Outputs [*lo, *hi) of axis a whose tap k lands inside [0, in). */
static inline void qi_windownd_axis_outputs(const qi_windownd *g, size_t a, size_t k, size_t *lo, size_t *hi) {
  /* o*stride + tap - pad must satisfy 0 <= . < in */
  const size_t tap = k * g->dilation[a], pad = g->pad_begin[a], s = g->stride[a];
  size_t first = tap >= pad ? 0 : (pad - tap + s - 1) / s;
  size_t end = g->in[a] + pad > tap ? (g->in[a] + pad - tap - 1) / s + 1 : 0;
  if (end > g->out[a]) end = g->out[a];
  if (first > end) first = end;
  *lo = first;
  *hi = end;
}

/* Advances the row-major coordinate vector c over extents ext[0..dims); false after the last one. */
static inline bool qi_windownd_step(size_t dims, const size_t *ext, size_t *c) {
  for (size_t a = dims; a-- > 0;) {
    if (++c[a] < ext[a]) return true;
    c[a] = 0;
  }
  return false;
}

/* Walks the in-bounds taps of one window row by row: a row is the run of taps along the last axis, at input
 * offset `offset` (row-major in the plane) with `taps` taps `step` floats apart. */
typedef struct qi_window_cursor {
  const qi_windownd *g;
  const size_t *o;
  size_t lo[QI_WINDOW_MAX_DIMS], hi[QI_WINDOW_MAX_DIMS], k[QI_WINDOW_MAX_DIMS];
  size_t offset, taps, step;
} qi_window_cursor;

static inline void qi_window_cursor_locate(qi_window_cursor *c) {
  const qi_windownd *g = c->g;
  size_t off = 0;
  for (size_t a = 0; a < g->dims; a++)
    off = off * g->in[a] + (c->o[a] * g->stride[a] + c->k[a] * g->dilation[a] - g->pad_begin[a]);
  c->offset = off;
}

/* Starts at the first row of output point o; false when the window has no in-bounds tap. */
static inline bool qi_window_cursor_start(qi_window_cursor *c, const qi_windownd *g, const size_t *o) {
  assert(g->dims >= 1 && g->dims <= QI_WINDOW_MAX_DIMS);
  c->g = g;
  c->o = o;
  size_t a = 0;
  do { /* at least once: dims >= 1 */
    qi_windownd_axis_taps(g, a, o[a], &c->lo[a], &c->hi[a]);
    if (c->lo[a] == c->hi[a]) return false;
    c->k[a] = c->lo[a];
    c->taps = c->hi[a] - c->lo[a]; /* ends as the last axis's */
    c->step = g->dilation[a];
  } while (++a < g->dims);
  qi_window_cursor_locate(c);
  return true;
}

/* Moves to the next row; false after the last one. */
static inline bool qi_window_cursor_next(qi_window_cursor *c) {
  for (size_t a = c->g->dims - 1; a-- > 0;) {
    if (++c->k[a] < c->hi[a]) {
      qi_window_cursor_locate(c);
      return true;
    }
    c->k[a] = c->lo[a];
  }
  return false;
}

/* Converts a row-major offset in the plane into the offset of the same element in column-major order
 * (MaxPool's Indices with storage_order = 1). */
static inline size_t qi_windownd_column_major(const qi_windownd *g, size_t offset) {
  size_t coord[QI_WINDOW_MAX_DIMS];
  for (size_t a = g->dims; a-- > 0;) {
    coord[a] = offset % g->in[a];
    offset /= g->in[a];
  }
  size_t col = 0;
  for (size_t a = g->dims; a-- > 0;) col = col * g->in[a] + coord[a];
  return col;
}

#endif /* QI_WINDOWND_H */
