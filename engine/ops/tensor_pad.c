/* Pad: modes constant / reflect / edge / wrap (wrap since opset 19). Pads come from the 'pads' attribute
 * before opset 11 and from the 'pads' input after, with an optional 'axes' input from opset 18. Negative
 * pads crop first (as ONNX Runtime does), then the remaining positive pads are filled.
 *
 * prepare() builds, for every axis, the map from output coordinate to input coordinate (-1: the constant);
 * run() walks output rows (all axes but the last): rows mapping to -1 are filled, others copy the interior
 * of the input row with one memcpy and fill or gather the borders element by element. A constant_value that is not
 * a constant (a graph input) is read by run: it decides no shape. */
#include <stdlib.h>
#include <string.h>

#include "engine/ops/tensor_common.h"

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

typedef struct pad_params {
  int mode;
  int64_t begin[QI_MAX_RANK], end[QI_MAX_RANK]; /* signed pads per axis */
  int64_t out[QI_MAX_RANK];
} pad_params;

typedef struct pad_state {
  int64_t *map[QI_MAX_RANK]; /* out coordinate -> in coordinate or -1 */
  int64_t lo[QI_MAX_RANK], hi[QI_MAX_RANK]; /* output range copied straight from the input on each axis */
  char value[8];                            /* constant fill, in the data type */
  bool value_at_run;                        /* constant_value is computed (a graph input): read by run */
} pad_state;

static qi_status pad_params_make(qi_graph *g, const qi_node *n, pad_params *p, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  int r = x->rank;
  const char *mode = qi_attr_string(n, "mode", "constant");
  if (strcmp(mode, "constant") == 0) p->mode = PAD_CONSTANT;
  else if (strcmp(mode, "reflect") == 0) p->mode = PAD_REFLECT;
  else if (strcmp(mode, "edge") == 0) p->mode = PAD_EDGE;
  else if (strcmp(mode, "wrap") == 0 && n->opset >= 19) p->mode = PAD_WRAP;
  else return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "unknown mode '%s'", mode);

  int64_t pads[2 * QI_MAX_RANK];
  int np;
  if (n->opset < 11) {
    const int64_t *a;
    np = qi_attr_ints(n, "pads", &a);
    if (np < 0) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "attribute 'pads' is required");
    if (np > 2 * QI_MAX_RANK) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "'pads' has %d entries", np);
    memcpy(pads, a, sizeof *a * (size_t)np);
  } else {
    const qi_tensor *pt = qi_node_in(g, n, 1);
    if (!pt) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "input 'pads' is required");
    QI_CHECK(qi_tops_const_ints(n, pt, "pads", pads, 2 * QI_MAX_RANK, &np, err));
  }
  int axes[QI_MAX_RANK], na = r;
  for (int i = 0; i < r; i++) axes[i] = i;
  const qi_tensor *at = n->opset >= 18 ? qi_node_in(g, n, 3) : NULL;
  if (at) {
    int64_t av[QI_MAX_RANK];
    QI_CHECK(qi_tops_const_ints(n, at, "axes", av, QI_MAX_RANK, &na, err));
    bool seen[QI_MAX_RANK] = {false};
    for (int i = 0; i < na; i++) {
      QI_CHECK(qi_tops_axis(n, av[i], r, "axis", &axes[i], err));
      if (seen[axes[i]]) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %d is repeated", axes[i]);
      seen[axes[i]] = true;
    }
  }
  if (np != 2 * na)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "'pads' has %d entries, expected %d", np, 2 * na);
  for (int d = 0; d < r; d++) p->begin[d] = p->end[d] = 0;
  for (int i = 0; i < na; i++) {
    p->begin[axes[i]] = pads[i];
    p->end[axes[i]] = pads[na + i];
  }
  for (int d = 0; d < r; d++) {
    int64_t lim = INT64_MAX / 4;
    if (p->begin[d] > lim || p->begin[d] < -lim || p->end[d] > lim || p->end[d] < -lim)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "pads of axis %d are too large", d);
    p->out[d] = x->dims[d] + p->begin[d] + p->end[d];
    if (p->out[d] < 0)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "pads crop more than axis %d holds", d);
    int64_t kept = x->dims[d] - (p->begin[d] < 0 ? -p->begin[d] : 0) - (p->end[d] < 0 ? -p->end[d] : 0);
    if (p->mode != PAD_CONSTANT && kept <= 0 && p->out[d] > 0)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "mode '%s' needs input values on axis %d", mode, d);
  }
  return QINFER_OK;
}

qi_status qi_tops_pad_infer(qi_graph *g, qi_node *n, qi_error *err) {
  QI_CHECK(qi_tops_check_arity(g, n, n->opset >= 11 ? 2 : 1, n->opset >= 18 ? 4 : (n->opset >= 11 ? 3 : 1), 1, err));
  const qi_tensor *x = qi_node_in(g, n, 0);
  size_t es;
  QI_CHECK(qi_tops_elem_size(n, x->dtype, &es, err));
  pad_params p;
  QI_CHECK(pad_params_make(g, n, &p, err));
  const qi_tensor *cv = n->opset >= 11 ? qi_node_in(g, n, 2) : NULL;
  if (cv && (cv->dtype != x->dtype || qi_tensor_numel(cv) != 1))
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "constant_value must be one %s", qi_dtype_name(x->dtype));
  if (n->opset < 11 && x->dtype != QINFER_DTYPE_FLOAT && x->dtype != QINFER_DTYPE_DOUBLE &&
      x->dtype != QINFER_DTYPE_FLOAT16)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "type %s needs opset 11", qi_dtype_name(x->dtype));
  return qi_tops_set_output(n, qi_node_out(g, n, 0), x->dtype, x->rank, p.out, err);
}

static int64_t source_coord(int mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PAD_EDGE: return i < 0 ? 0 : n - 1;
    case PAD_WRAP: return ((i % n) + n) % n;
    case PAD_REFLECT: {
      if (n == 1) return 0;
      int64_t period = 2 * (n - 1), m = ((i % period) + period) % period;
      return m < n ? m : period - m;
    }
    default: return -1;
  }
}

void qi_tops_pad_release(qi_node_rt *rt) {
  pad_state *s = rt->state;
  if (!s) return;
  for (int d = 0; d < QI_MAX_RANK; d++) free(s->map[d]);
  free(s);
  rt->state = NULL;
}

qi_status qi_tops_pad_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  pad_params p;
  QI_CHECK(pad_params_make(g, n, &p, err));
  pad_state *s = calloc(1, sizeof *s);
  if (!s) return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
  rt->state = s;
  for (int d = 0; d < x->rank; d++) {
    s->map[d] = malloc(sizeof(int64_t) * (size_t)(p.out[d] ? p.out[d] : 1));
    if (!s->map[d]) {
      qi_tops_pad_release(rt);
      return qi_node_fail(err, QINFER_ERR_OUT_OF_MEMORY, n, "out of memory");
    }
    /* crop negative pads first: the kept input range is [c0, c0 + kept) */
    int64_t c0 = p.begin[d] < 0 ? -p.begin[d] : 0, pb = p.begin[d] > 0 ? p.begin[d] : 0;
    int64_t kept = x->dims[d] - c0 - (p.end[d] < 0 ? -p.end[d] : 0);
    for (int64_t o = 0; o < p.out[d]; o++) {
      int64_t i = source_coord(p.mode, o - pb, kept);
      s->map[d][o] = i < 0 ? -1 : c0 + i;
    }
    s->lo[d] = pb;
    s->hi[d] = pb + (kept > 0 ? kept : 0);
  }
  memset(s->value, 0, sizeof s->value);
  size_t es = qi_dtype_size(x->dtype);
  const qi_tensor *cv = n->opset >= 11 ? qi_node_in(g, n, 2) : NULL;
  if (cv && !(cv->flags & QI_TF_CONST)) {
    s->value_at_run = true; /* a fill value decides no shape: no need to know it now */
  } else if (cv) {
    QI_CHECK(qi_tops_require_const(n, cv, "constant_value", err));
    memcpy(s->value, cv->data, es);
  } else if (n->opset < 11) {
    float v = qi_attr_float(n, "value", 0.0f);
    if (x->dtype == QINFER_DTYPE_FLOAT) memcpy(s->value, &v, 4);
    else if (x->dtype == QINFER_DTYPE_DOUBLE) memcpy(s->value, &(double){v}, 8);
    else memcpy(s->value, &(uint16_t){qi_tops_f32_to_f16(v)}, 2);
  }
  return QINFER_OK;
}

static void fill(char *dst, const char *value, int64_t count, size_t es) {
  bool zero = true;
  for (size_t b = 0; b < es; b++) zero = zero && value[b] == 0;
  if (zero) {
    memset(dst, 0, (size_t)count * es);
    return;
  }
  for (int64_t i = 0; i < count; i++) memcpy(dst + (size_t)i * es, value, es);
}

qi_status qi_tops_pad_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  (void)ctx;
  const pad_state *s = rt->state;
  if (!s) return qi_node_fail(err, QINFER_ERR_RUNTIME, n, "run before prepare");
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  size_t es = qi_dtype_size(x->dtype);
  int r = x->rank;
  int64_t total = qi_tensor_numel(y);
  if (total == 0) return QINFER_OK;
  char value[8];
  memcpy(value, s->value_at_run ? qi_node_in(g, n, 2)->data : s->value, es);
  if (r == 0) {
    memcpy(y->data, x->data, es);
    return QINFER_OK;
  }
  int64_t xs[QI_MAX_RANK];
  qi_tops_strides(r, x->dims, xs);
  int64_t w = y->dims[r - 1], rows = total / w, pos[QI_MAX_RANK] = {0};
  const int64_t *lastmap = s->map[r - 1];
  int64_t lo = s->lo[r - 1], hi = s->hi[r - 1];
  char *dst = y->data;
  const char *src = x->data;
  for (int64_t row = 0; row < rows; row++, dst += (size_t)w * es) {
    int64_t off = 0; /* input element offset of this row, or -1 when the row is padding */
    for (int d = 0; d < r - 1 && off >= 0; d++) {
      int64_t i = s->map[d][pos[d]];
      off = i < 0 ? -1 : off + i * xs[d];
    }
    if (off < 0) {
      fill(dst, value, w, es);
    } else {
      const char *srow = src + (size_t)off * es;
      for (int64_t o = 0; o < lo && o < w; o++) {
        if (lastmap[o] < 0) fill(dst + (size_t)o * es, value, 1, es);
        else memcpy(dst + (size_t)o * es, srow + (size_t)lastmap[o] * es, es);
      }
      if (hi > lo) memcpy(dst + (size_t)lo * es, srow + (size_t)lastmap[lo] * es, (size_t)(hi - lo) * es);
      for (int64_t o = hi > lo ? hi : lo; o < w; o++) {
        if (lastmap[o] < 0) fill(dst + (size_t)o * es, value, 1, es);
        else memcpy(dst + (size_t)o * es, srow + (size_t)lastmap[o] * es, es);
      }
    }
    for (int d = r - 2; d >= 0; d--) { /* next output row */
      if (++pos[d] < y->dims[d]) break;
      pos[d] = 0;
    }
  }
  return QINFER_OK;
}
