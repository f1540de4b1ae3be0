/* com.microsoft QLinearReduceMean: data (uint8 / int8), data_scale, data_zero_point, reduced_scale,
 * reduced_zero_point (per tensor; absent zero points are 0); attributes axes (required; an empty list reduces
 * every axis) and keepdims (default 1). Its spec is Quantize(ReduceMean(Dequantize(data))); qinfer computes it as
 * its pooling ops do (kernels/qu8-avgpool/qu8-avgpool.h, docs/quantization.md): the exact int32 sum of
 * (x - data_zero_point) over the reduced values, requantized by the one rule of kernels/requant.h with the scale
 * data_scale / (reduced_scale * (float)count). Reduced axes that are one run of adjacent axes ([outer, reduced,
 * inner]) go to the global-pooling kernels of kernels/qu8-avgpool (inner 1: gavgpool over rows; else gavgpool_nwc
 * per outer block); others to a plain loop with the same arithmetic. ONNX Runtime has no CPU kernel for this op;
 * the tests compare with its DequantizeLinear -> ReduceMean -> QuantizeLinear, which rounds the float mean it sums
 * in its own order. Outputs are split over threads, each computed whole. */
#include <math.h>
#include <string.h>

#include "engine/ops/quant_common.h"
#include "engine/ops/quant_elem.h"
#include "engine/ops/quant_transformer.h"
#include "kernels/qu8-avgpool/qu8-avgpool.h"
#include "kernels/requant.h"

/* The reduction's geometry: output elements walk the kept axes, each sums the reduced ones (input strides). */
typedef struct qrm_geom {
  int n_kept, n_red;
  int64_t kept_dims[QI_MAX_RANK], kept_strides[QI_MAX_RANK];
  int64_t red_dims[QI_MAX_RANK], red_strides[QI_MAX_RANK];
  int64_t count; /* values per output */
  bool run;      /* the reduced axes are adjacent: x is [outer, count, inner] */
  int64_t outer, inner;
  int out_rank;
  int64_t out_dims[QI_MAX_RANK];
} qrm_geom;

static qi_status qrm_geometry(const qi_node *n, const qi_tensor *x, qrm_geom *gm, qi_error *err) {
  const int64_t *axes = NULL;
  const qi_attr *at = qi_node_attr(n, "axes");
  if (!at) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "attribute axes is required");
  const int n_axes = qi_attr_ints(n, "axes", &axes);
  const int64_t keepdims = qi_attr_int(n, "keepdims", 1);
  if (keepdims != 0 && keepdims != 1) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "keepdims must be 0 or 1");
  bool reduced[QI_MAX_RANK] = {false};
  for (int i = 0; i < n_axes; i++) {
    const int64_t a = axes[i] < 0 ? axes[i] + x->rank : axes[i];
    if (a < 0 || a >= x->rank)
      return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %lld is out of range for rank %d",
                          (long long)axes[i], x->rank);
    if (reduced[a]) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "axis %lld is listed twice", (long long)a);
    reduced[a] = true;
  }
  memset(gm, 0, sizeof *gm);
  gm->count = 1;
  int64_t stride = 1;
  for (int d = x->rank - 1; d >= 0; d--) { /* innermost first; reversed below */
    const bool r = n_axes == 0 || reduced[d];
    if (r) {
      gm->red_dims[gm->n_red] = x->dims[d], gm->red_strides[gm->n_red++] = stride;
      gm->count *= x->dims[d];
    } else {
      gm->kept_dims[gm->n_kept] = x->dims[d], gm->kept_strides[gm->n_kept++] = stride;
    }
    stride *= x->dims[d];
  }
  int first = -1, last = -1;
  gm->outer = gm->inner = 1;
  for (int d = 0; d < x->rank; d++) {
    const bool r = n_axes == 0 || reduced[d];
    if (!r || keepdims) gm->out_dims[gm->out_rank++] = r ? 1 : x->dims[d];
    if (r) last = d, first = first < 0 ? d : first;
  }
  gm->run = first >= 0 && last - first + 1 == gm->n_red;
  for (int d = 0; d < x->rank; d++) {
    if (d < first) gm->outer *= x->dims[d];
    if (d > last) gm->inner *= x->dims[d];
  }
  if (gm->count > (int64_t)QI_QU8_AVGPOOL_MAX_COUNT)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "a mean over %lld values is over the int32 sum limit (%zu)",
                        (long long)gm->count, QI_QU8_AVGPOOL_MAX_COUNT);
  int64_t outputs = 1;
  for (int k = 0; k < gm->n_kept; k++) outputs *= gm->kept_dims[k];
  if (gm->count == 0 && outputs > 0)
    return qi_node_fail(err, QINFER_ERR_SHAPE, n, "the mean of an empty set of values is undefined");
  return QINFER_OK;
}

qi_status qi_qreduce_mean_infer(qi_graph *g, qi_node *n, qi_error *err) {
  if (n->n_inputs < 4 || n->n_inputs > 5)
    return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n,
                        "expected inputs data, data_scale, [data_zero_point], reduced_scale, [reduced_zero_point], "
                        "got %d", n->n_inputs);
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  if (!x || !y) return qi_node_fail(err, QINFER_ERR_INVALID_MODEL, n, "data and reduced are required");
  if (x->dtype != QINFER_DTYPE_UINT8 && x->dtype != QINFER_DTYPE_INT8)
    return qi_node_fail(err, QINFER_ERR_UNSUPPORTED, n, "input '%s' has type %s; uint8 or int8 expected", x->name,
                        qi_dtype_name(x->dtype));
  qrm_geom gm;
  QI_CHECK(qrm_geometry(n, x, &gm, err));
  qi_qparam1 p[2];
  QI_CHECK(qi_qparam1_get_xy(g, n, qi_qparams_all_const(g, n, 1u), p, err));
  qi_tensor_set_shape(y, x->dtype, gm.out_rank, gm.out_dims);
  return QINFER_OK;
}

typedef struct qrm_task {
  const qrm_geom *gm;
  const qi_qu8_avgpool_config *k;
  qi_qu8_avgpool_params kp;
  const uint8_t *x;
  uint8_t *y;
  bool s8;
  float scale;
  int32_t x_zp, y_zp, qmin, qmax;
} qrm_task;

static void qrm_chunk(void *arg, size_t begin, size_t end) {
  const qrm_task *t = arg;
  const qrm_geom *gm = t->gm;
  for (size_t o = begin; o < end; o++) {
    int64_t base = 0, rest = (int64_t)o;
    for (int k = 0; k < gm->n_kept; k++) { /* innermost kept axis first */
      base += (rest % gm->kept_dims[k]) * gm->kept_strides[k];
      rest /= gm->kept_dims[k];
    }
    int32_t acc = 0;
    int64_t idx[QI_MAX_RANK] = {0}, off = base;
    for (int64_t i = 0; i < gm->count; i++) {
      acc += (t->s8 ? (int32_t)(int8_t)t->x[off] : (int32_t)t->x[off]) - t->x_zp;
      for (int k = 0; k < gm->n_red; k++) { /* odometer over the reduced axes, innermost first */
        off += gm->red_strides[k];
        if (++idx[k] < gm->red_dims[k]) break;
        off -= idx[k] * gm->red_strides[k];
        idx[k] = 0;
      }
    }
    t->y[o] = (uint8_t)qi_requant_fp32(acc, t->scale, t->y_zp, t->qmin, t->qmax);
  }
}

/* Adjacent reduced axes, inner 1: rows of count values. */
static void qrm_rows(void *arg, size_t begin, size_t end) {
  const qrm_task *t = arg;
  const size_t len = (size_t)t->gm->count;
  t->k->gavgpool(end - begin, len, t->x + begin * len, t->y + begin, &t->kp);
}

/* Adjacent reduced axes, inner > 1: per outer block, count rows of inner values averaged column-wise. */
static void qrm_blocks(void *arg, size_t begin, size_t end) {
  const qrm_task *t = arg;
  const size_t len = (size_t)t->gm->count, inner = (size_t)t->gm->inner;
  for (size_t o = begin; o < end; o++) t->k->gavgpool_nwc(len, inner, t->x + o * len * inner, t->y + o * inner, &t->kp);
}

qi_status qi_qreduce_mean_run(qi_graph *g, qi_node *n, const qi_node_rt *rt, const qi_exec_ctx *ctx,
                              qi_error *err) {
  const qi_tensor *x = qi_node_in(g, n, 0);
  qi_tensor *y = qi_node_out(g, n, 0);
  qrm_geom gm;
  QI_CHECK(qrm_geometry(n, x, &gm, err));
  const int64_t outputs = qi_tensor_numel(y);
  if (outputs == 0) return QINFER_OK;
  qi_qparam1 p[2];
  QI_CHECK(qi_qparam1_get_xy(g, n, true, p, err));
  qrm_task t = {.gm = &gm, .x = x->data, .y = y->data, .s8 = x->dtype == QINFER_DTYPE_INT8,
                .scale = p[0].scale / (p[1].scale * (float)gm.count), .x_zp = p[0].zero_point,
                .y_zp = p[1].zero_point};
  if (!isfinite(t.scale) || t.scale <= 0.0f)
    return qi_node_fail(err, QINFER_ERR_QUANT_PARAMS, n,
                        "the requantization scale data_scale / (reduced_scale * %lld) = %g / (%g * %lld) is not a "
                        "finite positive float", (long long)gm.count, (double)p[0].scale, (double)p[1].scale,
                        (long long)gm.count);
  qi_qtype_range(x->dtype, &t.qmin, &t.qmax);
  qi_threadpool *pool = ctx ? ctx->pool : NULL;
  if (gm.run) {
    t.k = qi_qu8_avgpool_config_get(rt->isa);
    t.kp = t.k->init_params(t.k->x_domain, p[0].scale, p[0].zero_point, p[1].scale, p[1].zero_point, t.s8);
    if (gm.inner == 1) qi_parallel_for(pool, (size_t)gm.outer, 1 + QI_QUANT_GRAIN / (size_t)gm.count, qrm_rows, &t);
    else qi_parallel_for(pool, (size_t)gm.outer, 1 + QI_QUANT_GRAIN / (size_t)(gm.count * gm.inner), qrm_blocks, &t);
    return QINFER_OK;
  }
  qi_parallel_for(pool, (size_t)outputs, 1 + QI_QUANT_GRAIN / (size_t)gm.count, qrm_chunk, &t);
  return QINFER_OK;
}
