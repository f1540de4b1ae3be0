/* ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum,
 * ReduceLogSumExp.
 *
 * Axes come from the "axes" attribute before opset 18 (before 13 for ReduceSum) and from the optional second
 * input after, which must then be constant; empty axes reduce everything unless noop_with_empty_axes is set.
 *
 * Float plan: drop size-1 axes, merge neighbours that are both kept or both reduced, and split the groups
 * into kept (K) and reduced (R). When the last group is reduced, each output is a chain of contiguous-row
 * reductions (qi_f32_r* kernels); when it is kept, output rows of C elements accumulate whole input rows
 * (qi_f32_rd* kernels over rows x C). Other reduced groups are walked by an odometer. ReduceLogSumExp runs
 * the plan twice: the max into scratch, then the sum of exp(x - max). Integer inputs use a plain loop.
 */
#include <math.h>
#include <string.h>

#include "engine/ops/reduce_ops.h"
#include "kernels/f32-reduce/reduce.h"
#include "kernels/f32-vunary/vunary.h"

typedef enum post_op { POST_NONE, POST_MEAN, POST_SQRT, POST_LOG, POST_LOGSUMEXP } post_op;

typedef struct reduce_desc {
  const char *name;
  qi_reduce_kind kind;
  post_op post;
  bool float_only;
  int axes_input_opset; /* first opset taking axes as an input */
} reduce_desc;

static const reduce_desc descs[] = {
    {"ReduceSum", QI_REDUCE_SUM, POST_NONE, false, 13},
    {"ReduceMean", QI_REDUCE_SUM, POST_MEAN, false, 18},
    {"ReduceMax", QI_REDUCE_MAX, POST_NONE, false, 18},
    {"ReduceMin", QI_REDUCE_MIN, POST_NONE, false, 18},
    {"ReduceProd", QI_REDUCE_PROD, POST_NONE, false, 18},
    {"ReduceL1", QI_REDUCE_SUMABS, POST_NONE, false, 18},
    {"ReduceL2", QI_REDUCE_SUMSQ, POST_SQRT, true, 18},
    {"ReduceSumSquare", QI_REDUCE_SUMSQ, POST_NONE, false, 18},
    {"ReduceLogSum", QI_REDUCE_SUM, POST_LOG, true, 18},
    {"ReduceLogSumExp", QI_REDUCE_MAX, POST_LOGSUMEXP, true, 18},
};

static const reduce_desc *find_desc(const qi_node *n) {
  for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++)
    if (strcmp(descs[i].name, n->op_type) == 0) return &descs[i];
  return NULL;
}

/* Which axes of x the node reduces; *noop when it passes x through (empty axes + noop_with_empty_axes). */
static qi_status reduced_axes(qi_graph *g, const qi_node *n, const reduce_desc *d, const qi_tensor *x,
                              bool reduce[QI_MAX_RANK], bool *noop, qi_error *err) {
  int64_t axes[QI_MAX_RANK];
  int count = 0;
  if (n->opset < d->axes_input_opset) {
    const int64_t *vals;
    count = qi_attr_ints(n, "axes", &vals);
    if (count > x->rank)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "%d axes for rank %d", count, x->rank);
    if (count > 0) memcpy(axes, vals, sizeof(int64_t) * (size_t)count);
    if (count < 0) count = 0;
  } else if (qi_node_in(g, n, 1)) {
    const qi_tensor *a = qi_node_in(g, n, 1);
    if (a->dtype != QINFER_DTYPE_INT64 || a->rank > 1)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axes must be a 1-D int64 tensor");
    if (!(a->flags & QI_TF_CONST) || !a->data) return qi_require_value_fail(n, a, "axes", err);
    const int64_t na = qi_tensor_numel(a);
    if (na > x->rank)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "%lld axes for rank %d", (long long)na, x->rank);
    count = (int)na;
    if (count) memcpy(axes, a->data, sizeof(int64_t) * (size_t)count);
  }
  const bool noop_empty = n->opset >= d->axes_input_opset && qi_attr_int(n, "noop_with_empty_axes", 0) != 0;
  *noop = count == 0 && noop_empty;
  for (int i = 0; i < x->rank; i++) reduce[i] = count == 0 && !noop_empty;
  for (int i = 0; i < count; i++) {
    int axis;
    QI_CHECK(qi_reduce_axis(n, axes[i], x->rank, false, &axis, err));
    if (reduce[axis]) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %d repeated", axis);
    reduce[axis] = true;
  }
  return QINFER_OK;
}

qi_status qi_reduce_reduce_infer(qi_graph *g, qi_node *n, qi_error *err) {
  const reduce_desc *d = find_desc(n);
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!d || !x || !y || n->n_inputs > 2 || x->rank < 0)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "expected input data[, axes] and an output");
  const int dt = x->dtype;
  if (!(dt == QINFER_DTYPE_FLOAT || (!d->float_only && (dt == QINFER_DTYPE_INT32 || dt == QINFER_DTYPE_INT64))))
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "unsupported dtype %s", qi_dtype_name(dt));
  bool reduce[QI_MAX_RANK], noop;
  QI_CHECK(reduced_axes(g, n, d, x, reduce, &noop, err));
  const bool keepdims = qi_attr_int(n, "keepdims", 1) != 0;
  int rank = 0;
  int64_t dims[QI_MAX_RANK];
  for (int i = 0; i < x->rank; i++) {
    if (!reduce[i])
      dims[rank++] = x->dims[i];
    else if (keepdims)
      dims[rank++] = 1;
  }
  qi_tensor_set_shape(y, dt, rank, dims);
  return QINFER_OK;
}

qi_status qi_reduce_reduce_prepare(qi_graph *g, qi_node *n, qi_node_rt *rt, qi_error *err) {
  (void)err;
  if (find_desc(n)->post == POST_LOGSUMEXP) rt->scratch_bytes = sizeof(float) * (size_t)qi_tensor_numel(qi_node_out(g, n, 0));
  return QINFER_OK;
}

/* ---- float plan ---- */

typedef struct group {
  int64_t size, stride; /* stride in input elements */
} group;

typedef struct reduce_plan {
  group kept[QI_MAX_RANK], red[QI_MAX_RANK];
  int n_kept, n_red;
  bool last_reduced;      /* innermost group reduced: row kernels; else rd kernels over rows of C */
  int64_t channels;       /* last_reduced == false: size of the last kept group */
  int64_t outer_reduced;  /* product of the reduced groups but the innermost */
  int64_t count;          /* elements reduced into each output */
} reduce_plan;

static void make_plan(const qi_tensor *x, const bool *reduce, reduce_plan *p) {
  memset(p, 0, sizeof *p);
  group all[QI_MAX_RANK];
  bool red[QI_MAX_RANK];
  int n = 0;
  int64_t stride = 1;
  p->count = 1;
  for (int d = x->rank - 1; d >= 0; d--) { /* innermost first */
    const int64_t s = x->dims[d];
    if (reduce[d]) p->count *= s;
    if (s != 1) {
      if (n > 0 && red[n - 1] == reduce[d]) {
        all[n - 1].size *= s;
      } else {
        all[n] = (group){s, stride};
        red[n++] = reduce[d];
      }
    }
    stride *= s;
  }
  bool any_reduced = false;
  for (int i = 0; i < n; i++) any_reduced |= red[i];
  if (!any_reduced) { /* nothing (or only size-1 axes) reduced: one virtual reduced group of size 1 */
    if (n == 1) { /* outside the single kept group, so that group stays innermost */
      all[1] = (group){1, 1};
      red[1] = true;
    } else {
      all[0] = (group){1, 1};
      red[0] = true;
    }
    n++;
  }
  p->last_reduced = red[0];
  for (int i = n - 1; i >= 0; i--) { /* outermost first */
    if (red[i])
      p->red[p->n_red++] = all[i];
    else
      p->kept[p->n_kept++] = all[i];
  }
  p->channels = p->last_reduced ? 1 : p->kept[p->n_kept - 1].size;
  p->outer_reduced = 1;
  for (int i = 0; i + 1 < p->n_red; i++) p->outer_reduced *= p->red[i].size;
}

/* Input offset of the outer (all but innermost) reduced groups at linear index i. */
static int64_t outer_reduced_offset(const reduce_plan *p, int64_t i) {
  int64_t off = 0;
  for (int g = p->n_red - 2; g >= 0; g--) {
    off += (i % p->red[g].size) * p->red[g].stride;
    i /= p->red[g].size;
  }
  return off;
}

/* Input offset of the kept groups at linear index i over the first n_groups kept groups. */
static int64_t kept_offset(const reduce_plan *p, int n_groups, int64_t i) {
  int64_t off = 0;
  for (int g = n_groups - 1; g >= 0; g--) {
    off += (i % p->kept[g].size) * p->kept[g].stride;
    i /= p->kept[g].size;
  }
  return off;
}

typedef struct reduce_task {
  reduce_plan plan;
  const qi_f32_reduce_config *k;
  qi_reduce_kind kind;
  bool sumexp;      /* second ReduceLogSumExp pass: sum exp(x - m) with m from max */
  const float *max; /* per output */
  const float *x;
  float *y;
  int64_t col_blocks;
} reduce_task;

#define CHANNEL_BLOCK 1024

static float identity(qi_reduce_kind kind) {
  switch (kind) {
    case QI_REDUCE_MAX: return -INFINITY;
    case QI_REDUCE_MIN: return INFINITY;
    case QI_REDUCE_PROD: return 1.0f;
    default: return 0.0f;
  }
}

/* Outputs [begin, end) when the innermost group is reduced. */
static void reduce_row_outputs(void *arg, size_t begin, size_t end) {
  const reduce_task *t = arg;
  const reduce_plan *p = &t->plan;
  const size_t row = (size_t)p->red[p->n_red - 1].size;
  for (size_t o = begin; o < end; o++) {
    const float *x = t->x + kept_offset(p, p->n_kept, (int64_t)o);
    float acc = t->sumexp ? 0.0f : identity(t->kind);
    for (int64_t r = 0; r < p->outer_reduced; r++) {
      const float *xr = x + outer_reduced_offset(p, r);
      if (t->sumexp)
        t->k->rsumexp(row, xr, &t->max[o], &acc);
      else
        t->k->r[t->kind].ukernel(row, xr, &acc);
    }
    t->y[o] = acc;
  }
}

/* Items = (output row, block of channels) when the innermost group is kept. */
static void reduce_channel_outputs(void *arg, size_t begin, size_t end) {
  const reduce_task *t = arg;
  const reduce_plan *p = &t->plan;
  const group inner_red = p->red[p->n_red - 1];
  for (size_t item = begin; item < end; item++) {
    const int64_t q = (int64_t)item / t->col_blocks, c0 = ((int64_t)item % t->col_blocks) * CHANNEL_BLOCK;
    const int64_t cols = p->channels - c0 < CHANNEL_BLOCK ? p->channels - c0 : CHANNEL_BLOCK;
    const float *x = t->x + kept_offset(p, p->n_kept - 1, q) + c0;
    float *y = t->y + q * p->channels + c0;
    const float init = t->sumexp ? 0.0f : identity(t->kind);
    for (int64_t c = 0; c < cols; c++) y[c] = init;
    for (int64_t r = 0; r < p->outer_reduced; r++) {
      const float *xr = x + outer_reduced_offset(p, r);
      if (t->sumexp)
        t->k->rdsumexp((size_t)inner_red.size, (size_t)cols, xr, (size_t)inner_red.stride, t->max + q * p->channels + c0, y);
      else
        t->k->rd[t->kind].ukernel((size_t)inner_red.size, (size_t)cols, xr, (size_t)inner_red.stride, y);
    }
  }
}

static void run_plan(reduce_task *t, const qi_exec_ctx *ctx, int64_t out_count) {
  const reduce_plan *p = &t->plan;
  const size_t per_output = (size_t)(p->count ? p->count : 1);
  if (p->last_reduced) {
    qi_parallel_for(qi_reduce_pool(ctx), (size_t)out_count, QI_REDUCE_GRAIN / per_output + 1, reduce_row_outputs, t);
  } else {
    t->col_blocks = (p->channels + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK;
    const int64_t items = out_count / p->channels * t->col_blocks;
    qi_parallel_for(qi_reduce_pool(ctx), (size_t)items, QI_REDUCE_GRAIN / (per_output * CHANNEL_BLOCK) + 1,
                    reduce_channel_outputs, t);
  }
}

static void float_reduce(qi_isa isa, const reduce_desc *d, const qi_tensor *x, const bool *reduce, qi_tensor *y,
                         float *scratch, const qi_exec_ctx *ctx) {
  const int64_t out_count = qi_tensor_numel(y);
  float *out = y->data;
  reduce_task t = {.k = qi_f32_reduce_config_get(isa), .kind = d->kind, .x = x->data, .y = out};
  make_plan(x, reduce, &t.plan);
  if (qi_tensor_numel(x) == 0) { /* reductions over nothing give the identity */
    for (int64_t i = 0; i < out_count; i++) out[i] = identity(d->kind);
  } else if (d->post == POST_LOGSUMEXP) {
    t.y = scratch;
    run_plan(&t, ctx, out_count);
    for (int64_t i = 0; i < out_count; i++) /* an all -inf slice must not turn exp(x - max) into NaN */
      if (isinf(scratch[i])) scratch[i] = 0.0f;
    t.y = out;
    t.sumexp = true;
    t.max = scratch;
    run_plan(&t, ctx, out_count);
  } else {
    run_plan(&t, ctx, out_count);
  }
  switch (d->post) {
    case POST_NONE: break;
    case POST_MEAN: {
      const float count = (float)t.plan.count;
      for (int64_t i = 0; i < out_count; i++) out[i] /= count;
      break;
    }
    case POST_SQRT: qi_f32_vunary_config_get(QI_VUNARY_SQRT, isa)->ukernel((size_t)out_count, out, out, NULL); break;
    case POST_LOG: qi_f32_vunary_config_get(QI_VUNARY_LOG, isa)->ukernel((size_t)out_count, out, out, NULL); break;
    case POST_LOGSUMEXP:
      if (qi_tensor_numel(x) == 0) break;
      for (int64_t i = 0; i < out_count; i++) out[i] = scratch[i] + logf(out[i]);
      break;
  }
}

/* ---- integer inputs: one pass over the input, wrapping arithmetic ---- */

#define QI_INT_REDUCE(T, U, T_MIN, T_MAX)                                                                 \
  static void int_reduce_##T(const reduce_desc *d, const qi_tensor *x, const bool *reduce, qi_tensor *yt) { \
    const T *in = x->data;                                                                                \
    T *y = yt->data;                                                                                      \
    const int64_t out_count = qi_tensor_numel(yt), in_count = qi_tensor_numel(x);                         \
    const T init = d->kind == QI_REDUCE_MAX ? T_MIN : d->kind == QI_REDUCE_MIN ? T_MAX : d->kind == QI_REDUCE_PROD; \
    for (int64_t i = 0; i < out_count; i++) y[i] = init;                                                  \
    int64_t out_stride[QI_MAX_RANK], idx[QI_MAX_RANK] = {0}, s = 1, count = 1, o = 0;                     \
    for (int dd = x->rank - 1; dd >= 0; dd--) {                                                           \
      out_stride[dd] = reduce[dd] ? 0 : s;                                                                \
      if (!reduce[dd]) s *= x->dims[dd];                                                                  \
      else count *= x->dims[dd];                                                                          \
    }                                                                                                     \
    for (int64_t i = 0; i < in_count; i++) {                                                              \
      const T v = in[i];                                                                                  \
      switch (d->kind) {                                                                                  \
        case QI_REDUCE_SUM: y[o] = (T)((U)y[o] + (U)v); break;                                            \
        case QI_REDUCE_SUMSQ: y[o] = (T)((U)y[o] + (U)v * (U)v); break;                                   \
        case QI_REDUCE_SUMABS: y[o] = (T)((U)y[o] + (v < 0 ? 0 - (U)v : (U)v)); break;                    \
        case QI_REDUCE_PROD: y[o] = (T)((U)y[o] * (U)v); break;                                           \
        case QI_REDUCE_MAX: y[o] = v > y[o] ? v : y[o]; break;                                            \
        case QI_REDUCE_MIN: y[o] = v < y[o] ? v : y[o]; break;                                            \
        default: break;                                                                                   \
      }                                                                                                   \
      for (int dd = x->rank - 1; dd >= 0; dd--) { /* odometer, keeping the output offset o */              \
        o += out_stride[dd];                                                                              \
        if (++idx[dd] < x->dims[dd]) break;                                                               \
        o -= out_stride[dd] * idx[dd];                                                                    \
        idx[dd] = 0;                                                                                      \
      }                                                                                                   \
    }                                                                                                     \
    if (d->post == POST_MEAN && count > 0)                                                                \
      for (int64_t i = 0; i < out_count; i++) y[i] = (T)(y[i] / count);                                   \
  }
QI_INT_REDUCE(int32_t, uint32_t, INT32_MIN, INT32_MAX)
QI_INT_REDUCE(int64_t, uint64_t, INT64_MIN, INT64_MAX)

/* noop_with_empty_axes skips only the reduction: composite reductions still apply their per-element steps
 * (ReduceL1 -> |x|, ReduceL2 -> sqrt(x^2) = |x|, ReduceSumSquare -> x^2, ReduceLogSum -> log x; for
 * ReduceLogSumExp log(exp(x)) = x and the rest are the identity). */
static void noop_elementwise(const reduce_desc *d, const qi_tensor *x, qi_tensor *y) {
  const int64_t count = qi_tensor_numel(x);
  if (x->dtype != QINFER_DTYPE_FLOAT) {
    const bool is32 = x->dtype == QINFER_DTYPE_INT32;
    for (int64_t i = 0; i < count; i++) {
      const int64_t v = is32 ? ((const int32_t *)x->data)[i] : ((const int64_t *)x->data)[i];
      uint64_t r = (uint64_t)v; /* wrapping arithmetic, like the integer reductions */
      if (d->kind == QI_REDUCE_SUMABS && v < 0) r = 0 - (uint64_t)v;
      if (d->kind == QI_REDUCE_SUMSQ) r = (uint64_t)v * (uint64_t)v;
      if (is32)
        ((int32_t *)y->data)[i] = (int32_t)(uint32_t)r;
      else
        ((int64_t *)y->data)[i] = (int64_t)r;
    }
    return;
  }
  const float *xs = x->data;
  float *ys = y->data;
  for (int64_t i = 0; i < count; i++) {
    float v = xs[i];
    if (d->kind == QI_REDUCE_SUMABS) v = fabsf(v);
    if (d->kind == QI_REDUCE_SUMSQ) v = v * v;
    if (d->post == POST_SQRT) v = sqrtf(v);
    if (d->post == POST_LOG) v = logf(v);
    ys[i] = v;
  }
}

qi_status qi_reduce_reduce_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx, qi_error *err) {
  const reduce_desc *d = find_desc(n);
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  bool reduce[QI_MAX_RANK], noop;
  QI_CHECK(reduced_axes(g, n, d, x, reduce, &noop, err));
  if (noop) {
    noop_elementwise(d, x, y);
    return QINFER_OK;
  }
  if (qi_tensor_numel(y) == 0) return QINFER_OK;
  if (x->dtype == QINFER_DTYPE_FLOAT)
    float_reduce(rt->isa, d, x, reduce, y, rt->scratch, ctx);
  else if (x->dtype == QINFER_DTYPE_INT32)
    int_reduce_int32_t(d, x, reduce, y);
  else
    int_reduce_int64_t(d, x, reduce, y);
  return QINFER_OK;
}
