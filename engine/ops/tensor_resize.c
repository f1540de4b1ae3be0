/* Resize (opsets 10, 11, 13, 18, 19) and Upsample (opset 9; 7 with a 'scales' attribute).
 *
 * Semantics follow the ONNX reference implementation: per axis, output coordinate x maps to an input
 * coordinate x_ori through the coordinate transformation mode; the value is a separable weighted sum of
 * input elements around x_ori (nearest: 1 tap, linear: 2, cubic: 4, antialias: a filter widened by 1/scale)
 * with edge clamping and, for tf_crop_and_resize, extrapolation_value outside the input. When sizes are
 * given the scale is sizes / input; when scales are given the output is floor(input * scale) and the given
 * scale drives the coordinate mapping (align_corners and tf_crop_and_resize divide by the integer output
 * length, as ONNX Runtime does). Resize 10 and Upsample use asymmetric coordinates and ONNX Runtime's
 * rule for nearest (floor, or ceil when downscaling).
 *
 * prepare() tabulates every axis: for each output coordinate its taps (input offsets already multiplied by
 * the axis stride) and weights; axes that map x -> x are marked identity. run() walks output rows (all axes
 * but the last), sums over the tap combinations of the row axes, and applies the last axis's taps along
 * the row. Nearest is a pure byte gather and works for every data type; linear and cubic need float. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/tensor_common.h"

enum { MODE_NEAREST, MODE_LINEAR, MODE_CUBIC };
enum {
  CT_HALF_PIXEL, CT_ASYMMETRIC, CT_ALIGN_CORNERS, CT_PYTORCH_HALF_PIXEL, CT_TF_HALF_PIXEL_FOR_NN,
  CT_TF_CROP_AND_RESIZE, CT_HALF_PIXEL_SYMMETRIC
};
enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL, NM_SIMPLE };

typedef struct resize_params {
  int mode, coord, nearest_mode;
  double cubic_a;
  bool exclude_outside, antialias;
  float extrapolation;
  double scale[QI_MAX_RANK];
  double roi_start[QI_MAX_RANK], roi_end[QI_MAX_RANK];
  int64_t out[QI_MAX_RANK];
} resize_params;

typedef struct resize_axis {
  bool identity;
  int taps;
  int64_t *off;      /* [out * taps] input offsets in elements (index * stride) */
  float *w;          /* [out * taps] */
  uint8_t *outside;  /* [out] 1 where tf_crop_and_resize extrapolates; NULL when never */
} resize_axis;

typedef struct resize_state {
  bool nearest;
  float extrapolation;
  resize_axis ax[QI_MAX_RANK];
} resize_state;

static bool is_upsample(const qi_node *n) { return strcmp(n->op_type, "Upsample") == 0; }

static qi_status parse_enum(const qi_node *n, const char *attr, const char *dflt, const char *const *names,
                            int count, int *out, qi_error *err) {
  const char *v = qi_attr_string(n, attr, dflt);
  for (int i = 0; i < count; i++)
    if (names[i] && strcmp(v, names[i]) == 0) {
      *out = i;
      return QINFER_OK;
    }
  return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "%s '%s' is unsupported", attr, v);
}

static qi_status resize_params_make(qi_graph *g, const qi_node *n, resize_params *p, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  int r = x->rank;
  bool legacy = is_upsample(n) || n->opset < 11; /* Upsample, Resize-10 */
  static const char *const modes[] = {"nearest", "linear", "cubic"};
  const char *mode = qi_attr_string(n, "mode", "nearest");
  if (legacy && strcmp(mode, "bilinear") == 0) mode = "linear";
  p->mode = -1;
  for (int i = 0; i < (legacy ? 2 : 3); i++)
    if (strcmp(mode, modes[i]) == 0) p->mode = i;
  if (p->mode < 0) return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "mode '%s' is unsupported", mode);

  if (legacy) {
    p->coord = CT_ASYMMETRIC;
    p->nearest_mode = NM_SIMPLE;
    p->cubic_a = -0.75;
    p->exclude_outside = false;
    p->antialias = false;
    p->extrapolation = 0.0f;
  } else {
    static const char *const coords[] = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                                         "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
    static const char *const nmodes[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    QI_CHECK(parse_enum(n, "coordinate_transformation_mode", "half_pixel", coords, n->opset >= 19 ? 7 : 6,
                        &p->coord, err));
    if (p->coord == CT_TF_HALF_PIXEL_FOR_NN && n->opset >= 13)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "tf_half_pixel_for_nn was removed in opset 13");
    QI_CHECK(parse_enum(n, "nearest_mode", "round_prefer_floor", nmodes, 4, &p->nearest_mode, err));
    p->cubic_a = qi_attr_float(n, "cubic_coeff_a", -0.75f);
    p->exclude_outside = qi_attr_int(n, "exclude_outside", 0) != 0;
    p->extrapolation = qi_attr_float(n, "extrapolation_value", 0.0f);
    p->antialias = n->opset >= 18 && qi_attr_int(n, "antialias", 0) != 0;
    if (p->antialias && p->mode == MODE_NEAREST)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "antialias does not apply to mode 'nearest'");
  }

  /* axes (opset 18): the subset of axes roi / scales / sizes refer to */
  int axes[QI_MAX_RANK], na = r;
  for (int i = 0; i < r; i++) axes[i] = i;
  const int64_t *av;
  int nav = (!legacy && n->opset >= 18) ? qi_attr_ints(n, "axes", &av) : -1;
  if (nav >= 0) {
    if (nav > r) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "%d axes for rank %d", nav, r);
    bool seen[QI_MAX_RANK] = {false};
    for (int i = 0; i < nav; i++) {
      QI_CHECK(qi_tops_axis(n, av[i], r, "axis", &axes[i], err));
      if (seen[axes[i]]) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %d is repeated", axes[i]);
      seen[axes[i]] = true;
    }
    na = nav;
  }
  for (int d = 0; d < r; d++) {
    p->scale[d] = 1.0;
    p->out[d] = x->dims[d];
    p->roi_start[d] = 0.0;
    p->roi_end[d] = 1.0;
  }

  /* locate scales / sizes / roi for this version; empty tensors count as absent */
  const qi_tensor *scales = NULL, *sizes = NULL, *roi = NULL;
  if (legacy) {
    scales = qi_node_in(g, n, 1);
  } else {
    roi = qi_node_in(g, n, 1);
    scales = qi_node_in(g, n, 2);
    sizes = qi_node_in(g, n, 3);
  }
  if (roi && qi_tensor_numel(roi) == 0) roi = NULL;
  if (scales && qi_tensor_numel(scales) == 0) scales = NULL;
  if (sizes && qi_tensor_numel(sizes) == 0) sizes = NULL;

  double sv[QI_MAX_RANK];
  int ns = 0;
  if (is_upsample(n) && !scales) { /* Upsample-7: scales attribute */
    const float *fa;
    ns = qi_attr_floats(n, "scales", &fa);
    if (ns < 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "scales are required");
    if (ns > QI_MAX_RANK) ns = QI_MAX_RANK + 1;
    for (int i = 0; i < ns && i < QI_MAX_RANK; i++) sv[i] = fa[i];
  } else if (scales) {
    QI_CHECK(qi_tops_const_floats(n, scales, "scales", sv, QI_MAX_RANK, &ns, err));
  }
  if ((ns > 0) == (sizes != NULL))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "exactly one of 'scales' and 'sizes' must be given");

  if (roi && p->coord == CT_TF_CROP_AND_RESIZE) { /* other modes ignore roi */
    double rv[2 * QI_MAX_RANK];
    int nr;
    QI_CHECK(qi_tops_const_floats(n, roi, "roi", rv, 2 * QI_MAX_RANK, &nr, err));
    if (nr != 2 * na)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "roi has %d values, expected %d", nr, 2 * na);
    for (int i = 0; i < na; i++) {
      p->roi_start[axes[i]] = rv[i];
      p->roi_end[axes[i]] = rv[na + i];
    }
  } else if (p->coord == CT_TF_CROP_AND_RESIZE) {
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "tf_crop_and_resize needs 'roi'");
  }

  if (ns > 0) {
    if (ns != na)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "scales has %d values for %d axes", ns, na);
    for (int i = 0; i < na; i++) {
      int d = axes[i];
      if (!(sv[i] > 0) || !isfinite(sv[i]))
        return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "scale %g of axis %d must be positive", sv[i], d);
      double o = floor((double)x->dims[d] * sv[i]);
      if (o > 1e15) return qi_node_fail(err, QINFER_ERR_SHAPE, n, "output of axis %d is too large", d);
      p->scale[d] = sv[i];
      p->out[d] = (int64_t)o;
    }
  } else {
    int64_t zv[QI_MAX_RANK];
    int nz;
    QI_CHECK(qi_tops_const_ints(n, sizes, "sizes", zv, QI_MAX_RANK, &nz, err));
    if (nz != na) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "sizes has %d values for %d axes", nz, na);
    for (int i = 0; i < na; i++) {
      int d = axes[i];
      if (zv[i] < 0 || (zv[i] > 0 && x->dims[d] == 0))
        return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "size %lld of axis %d is invalid", (long long)zv[i], d);
      p->out[d] = zv[i];
      p->scale[d] = x->dims[d] ? (double)zv[i] / (double)x->dims[d] : 1.0;
    }
    const char *policy = n->opset >= 18 ? qi_attr_string(n, "keep_aspect_ratio_policy", "stretch") : "stretch";
    if (strcmp(policy, "stretch") != 0) {
      bool larger = strcmp(policy, "not_smaller") == 0;
      if (!larger && strcmp(policy, "not_larger") != 0)
        return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "keep_aspect_ratio_policy '%s' is unknown", policy);
      double s = p->scale[axes[0]];
      for (int i = 1; i < na; i++) s = larger ? fmax(s, p->scale[axes[i]]) : fmin(s, p->scale[axes[i]]);
      for (int i = 0; i < na; i++) {
        int d = axes[i];
        p->scale[d] = s;
        p->out[d] = (int64_t)floor(s * (double)x->dims[d] + 0.5);
      }
    }
  }
  for (int d = 0; d < r; d++)
    if (p->out[d] > 0 && x->dims[d] == 0)
      return qi_node_fail(err, QINFER_ERR_SHAPE, n, "cannot resize an empty axis %d", d);
  return QINFER_OK;
}

qi_status qi_tops_resize_infer(qi_graph *g, qi_node *n, qi_error *err) {
  bool legacy = is_upsample(n) || n->opset < 11;
  QI_CHECK(qi_tops_check_arity(g, n, is_upsample(n) && n->opset < 9 ? 1 : (legacy ? 2 : 1), legacy ? 2 : 4, 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  resize_params p;
  QI_CHECK(resize_params_make(g, n, &p, err));
  if (p.mode != MODE_NEAREST && x->dtype != QINFER_DTYPE_FLOAT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "linear and cubic modes support float data only, not %s",
                        qi_dtype_name(x->dtype));
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, x->rank, p.out, err);
}

/* ---- per-axis tables ---- */

/* Input coordinate of output coordinate x on one axis; *outside is set for tf_crop_and_resize. */
static double source_coord(const resize_params *p, int d, int64_t x, int64_t in, bool *outside) {
  /* align_corners and tf_crop_and_resize divide by the integer output length (ONNX Runtime; the ONNX 1.12
   * reference used scale * length, which differs only when that is not an integer) */
  double s = p->scale[d], out_f = s * (double)in, out_i = (double)p->out[d], xo;
  *outside = false;
  switch (p->coord) {
    case CT_ALIGN_CORNERS: xo = out_i == 1 ? 0.0 : (double)x * (double)(in - 1) / (out_i - 1); break;
    case CT_ASYMMETRIC: xo = (double)x / s; break;
    case CT_PYTORCH_HALF_PIXEL: xo = out_f == 1 ? -0.5 : ((double)x + 0.5) / s - 0.5; break;
    case CT_TF_HALF_PIXEL_FOR_NN: xo = ((double)x + 0.5) / s; break;
    case CT_HALF_PIXEL_SYMMETRIC: {
      double adjustment = (double)p->out[d] / out_f, center = (double)in / 2;
      xo = center * (1 - adjustment) + ((double)x + 0.5) / s - 0.5;
      break;
    }
    case CT_TF_CROP_AND_RESIZE: {
      double r0 = p->roi_start[d], r1 = p->roi_end[d];
      xo = out_i == 1 ? (r1 - r0) * (double)(in - 1) / 2 : (double)x * (r1 - r0) * (double)(in - 1) / (out_i - 1);
      xo += r0 * (double)(in - 1);
      *outside = !(xo >= 0 && xo <= (double)(in - 1)); /* NaN (an infinite roi) included */
      break;
    }
    default: xo = ((double)x + 0.5) / s - 0.5; break; /* half_pixel */
  }
  return xo;
}

static double cubic_weight(double a, double t) { /* Keys kernel with coefficient a */
  t = fabs(t);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

/* Number of taps per output coordinate on axis d, and the offset of the first tap relative to base. */
static int tap_count(const resize_params *p, int d, int *first) {
  if (p->mode == MODE_NEAREST) {
    *first = 0;
    return 1;
  }
  double s = p->antialias ? fmin(p->scale[d], 1.0) : 1.0;
  int start = p->mode == MODE_LINEAR ? (int)floor(-1.0 / s) + 1 : (int)floor(-2.0 / s) + 1;
  *first = start;
  return 2 - 2 * start;
}

static int64_t clamp_index(int64_t i, int64_t n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

static qi_status axis_table(const resize_params *p, int d, int64_t in, int64_t stride, resize_axis *ax,
                            const qi_node *n, qi_error *err) {
  int64_t out = p->out[d];
  int first, k = tap_count(p, d, &first);
  if (k > 4096) return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "antialias filter of %d taps is too wide", k);
  ax->taps = k;
  size_t cnt = (size_t)(out ? out : 1) * (size_t)k;
  ax->off = malloc(cnt * sizeof *ax->off);
  ax->w = malloc(cnt * sizeof *ax->w);
  double *wd = malloc((size_t)k * sizeof *wd);
  if (!ax->off || !ax->w || !wd) {
    free(wd);
    return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  }
  bool identity = out == in;
  double s_aa = p->antialias ? fmin(p->scale[d], 1.0) : 1.0;
  for (int64_t x = 0; x < out; x++) {
    bool outside;
    double xo = source_coord(p, d, x, in, &outside);
    if (outside) {
      if (!ax->outside && !(ax->outside = calloc((size_t)out, 1))) {
        free(wd);
        return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
      }
      ax->outside[x] = 1;
      identity = false;
      /* the output is extrapolation_value: keep the taps in range, and xo (a huge roi gives +-1e30, an
       * infinite one NaN) out of the integer conversion below, which would be undefined */
      xo = xo > 0 ? (double)(in - 1) : 0.0;
    }
    /* base = the largest integer strictly below xo, ratio in (0, 1] (the reference's convention) */
    double fl = floor(xo);
    int64_t base = (int64_t)fl - (xo == fl ? 1 : 0);
    double ratio = xo - (double)base;
    int64_t *off = ax->off + (size_t)x * (size_t)k;
    float *w = ax->w + (size_t)x * (size_t)k;
    if (p->mode == MODE_NEAREST) {
      int64_t i;
      switch (p->nearest_mode) {
        case NM_ROUND_PREFER_FLOOR: i = ratio <= 0.5 ? base : base + 1; break;
        case NM_ROUND_PREFER_CEIL: i = ratio < 0.5 ? base : base + 1; break;
        case NM_FLOOR: i = ratio == 1.0 ? base + 1 : base; break;
        case NM_CEIL: i = base + 1; break;
        default: i = p->scale[d] < 1 ? (int64_t)ceil(xo) : (int64_t)floor(xo); break; /* SIMPLE */
      }
      i = clamp_index(i, in);
      off[0] = i * stride;
      w[0] = 1.0f;
      if (i != x) identity = false;
      continue;
    }
    double sum = 0;
    for (int j = 0; j < k; j++) {
      double t = ((double)(first + j) - ratio) * s_aa;
      wd[j] = p->mode == MODE_LINEAR ? fmax(0.0, 1.0 - fabs(t)) : cubic_weight(p->cubic_a, t);
      int64_t i = base + first + j;
      if (p->exclude_outside && (i < 0 || i >= in)) wd[j] = 0;
      sum += wd[j];
    }
    bool renorm = p->antialias || p->exclude_outside;
    for (int j = 0; j < k; j++) {
      int64_t i = clamp_index(base + first + j, in);
      off[j] = i * stride;
      w[j] = (float)(renorm && sum != 0 ? wd[j] / sum : wd[j]);
      if (w[j] != 0.0f && (i != x || w[j] != 1.0f)) identity = false;
    }
  }
  free(wd);
  ax->identity = identity;
  return QINFER_OK;
}

void qi_tops_resize_release(qi_node_rt *rt) {
  resize_state *s = rt->state;
  if (!s) return;
  for (int d = 0; d < QI_MAX_RANK; d++) {
    free(s->ax[d].off);
    free(s->ax[d].w);
    free(s->ax[d].outside);
  }
  free(s);
  rt->state = NULL;
}

qi_status qi_tops_resize_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  resize_params p;
  QI_CHECK(resize_params_make(g, n, &p, err));
  resize_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  s->nearest = p.mode == MODE_NEAREST;
  s->extrapolation = p.extrapolation;
  int64_t xs[QI_MAX_RANK];
  qi_tops_strides(x->rank, x->dims, xs);
  for (int d = 0; d < x->rank; d++) {
    qi_status st = axis_table(&p, d, x->dims[d], xs[d], &s->ax[d], n, err);
    if (st != QINFER_OK) {
      qi_tops_resize_release(rt);
      return st;
    }
    if (s->ax[d].outside) s->nearest = false; /* extrapolated values need the float path */
  }
  if (!s->nearest && x->dtype != QINFER_DTYPE_FLOAT) {
    qi_tops_resize_release(rt);
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "tf_crop_and_resize extrapolation needs float data");
  }
  return QINFER_OK;
}

/* ---- run ---- */

typedef struct resize_job {
  const resize_state *s;
  const qi_tensor *x;
  qi_tensor *y;
} resize_job;

/* Nearest: each output row has one source row; elements are gathered along the last axis. */
static void nearest_rows(void *arg, size_t begin, size_t end) {
  const resize_job *job = arg;
  const resize_state *s = job->s;
  const qi_tensor *x = job->x;
  const qi_tensor *y = job->y;
  int r = y->rank;
  size_t es = qi_dtype_size(y->dtype);
  int64_t w = y->dims[r - 1], xs[QI_MAX_RANK], pos[QI_MAX_RANK], rem = (int64_t)begin, prev = -1;
  qi_tops_strides(r, x->dims, xs);
  for (int d = r - 2; d >= 0; d--) {
    pos[d] = rem % y->dims[d];
    rem /= y->dims[d];
  }
  const resize_axis *last = &s->ax[r - 1];
  for (size_t row = begin; row < end; row++) {
    char *dst = (char *)y->data + row * (size_t)w * es;
    int64_t off = 0;
    for (int d = 0; d < r - 1; d++) off += s->ax[d].identity ? pos[d] * xs[d] : s->ax[d].off[pos[d]];
    if (off == prev) { /* same source row as the previous output row (upsampling): copy that row */
      memcpy(dst, dst - (size_t)w * es, (size_t)w * es);
    } else {
      const char *src = (const char *)x->data + (size_t)off * es;
      if (last->identity) {
        memcpy(dst, src, (size_t)w * es);
      } else {
        switch (es) {
          case 1: for (int64_t o = 0; o < w; o++) dst[o] = src[last->off[o]]; break;
          case 2: for (int64_t o = 0; o < w; o++) memcpy(dst + 2 * o, src + 2 * last->off[o], 2); break;
          case 4: for (int64_t o = 0; o < w; o++) memcpy(dst + 4 * o, src + 4 * last->off[o], 4); break;
          default: for (int64_t o = 0; o < w; o++) memcpy(dst + 8 * o, src + 8 * last->off[o], 8); break;
        }
      }
      prev = off;
    }
    for (int d = r - 2; d >= 0; d--) {
      if (++pos[d] < y->dims[d]) break;
      pos[d] = 0;
    }
  }
}

/* Linear / cubic on float: out_row = sum over tap combinations c of the row axes of
 * weight(c) * (last-axis filter applied to source row c). */
static void interp_rows(void *arg, size_t begin, size_t end) {
  const resize_job *job = arg;
  const resize_state *s = job->s;
  const qi_tensor *x = job->x, *y = job->y;
  int r = y->rank;
  int64_t w = y->dims[r - 1], xs[QI_MAX_RANK], pos[QI_MAX_RANK], rem = (int64_t)begin;
  qi_tops_strides(r, x->dims, xs);
  for (int d = r - 2; d >= 0; d--) {
    pos[d] = rem % y->dims[d];
    rem /= y->dims[d];
  }
  const resize_axis *last = &s->ax[r - 1];
  const float *src = x->data;
  int active[QI_MAX_RANK], m = 0;
  for (int d = 0; d < r - 1; d++)
    if (!s->ax[d].identity) active[m++] = d;
  for (size_t row = begin; row < end; row++) {
    float *dst = (float *)y->data + row * (size_t)w;
    int64_t base = 0;
    bool outside = false;
    for (int d = 0; d < r - 1; d++) {
      if (s->ax[d].identity) base += pos[d] * xs[d];
      else if (s->ax[d].outside && s->ax[d].outside[pos[d]]) outside = true;
    }
    if (outside) {
      for (int64_t o = 0; o < w; o++) dst[o] = s->extrapolation;
    } else {
      for (int64_t o = 0; o < w; o++) dst[o] = 0.0f;
      int tap[QI_MAX_RANK] = {0};
      for (;;) { /* odometer over the taps of the active row axes */
        int64_t off = base;
        float wt = 1.0f;
        for (int i = 0; i < m; i++) {
          const resize_axis *a = &s->ax[active[i]];
          size_t t = (size_t)pos[active[i]] * (size_t)a->taps + (size_t)tap[i];
          off += a->off[t];
          wt *= a->w[t];
        }
        if (wt != 0.0f) {
          const float *srow = src + off;
          if (last->identity) {
            for (int64_t o = 0; o < w; o++) dst[o] += wt * srow[o];
          } else {
            int k = last->taps;
            for (int64_t o = 0; o < w; o++) {
              const int64_t *lo = last->off + (size_t)o * (size_t)k;
              const float *lw = last->w + (size_t)o * (size_t)k;
              float acc = 0.0f;
              for (int j = 0; j < k; j++) acc += lw[j] * srow[lo[j]];
              dst[o] += wt * acc;
            }
          }
        }
        int i = m - 1;
        while (i >= 0 && ++tap[i] == s->ax[active[i]].taps) tap[i--] = 0;
        if (i < 0) break;
      }
      if (last->outside)
        for (int64_t o = 0; o < w; o++)
          if (last->outside[o]) dst[o] = s->extrapolation;
    }
    for (int d = r - 2; d >= 0; d--) {
      if (++pos[d] < y->dims[d]) break;
      pos[d] = 0;
    }
  }
}

qi_status qi_tops_resize_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const resize_state *s = rt->state;
  if (!s) return qi_node_fail(err, QINFER_ERR_RUNTIME, n, "run before prepare");
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  int64_t total = qi_tensor_numel(y);
  if (total == 0) return QINFER_OK;
  if (y->rank == 0) {
    memcpy(y->data, x->data, qi_dtype_size(y->dtype));
    return QINFER_OK;
  }
  int64_t w = y->dims[y->rank - 1], rows = total / w;
  resize_job job = {s, x, y};
  qi_range_fn fn = s->nearest ? nearest_rows : interp_rows;
  size_t grain = (size_t)(w >= 4096 ? 1 : 4096 / w);
  qi_threadpool *pool = qi_tops_pool(ctx);
  if (!pool || (size_t)rows <= grain) fn(&job, 0, (size_t)rows);
  else qi_parallel_for(pool, (size_t)rows, grain, fn, &job);
  return QINFER_OK;
}
