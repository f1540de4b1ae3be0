#include "engine/quant/compare_isolated.h"

#include <stdlib.h>
#include <string.h>

#include "engine/quant/compare_match.h"
#include "kernels/requant.h"

/* REF's value of a TEST session tensor: REF's float tensor and, for a quantized TEST tensor, the parameters of the
 * QuantizeLinear that writes it in TEST's file. */
typedef struct source {
  const float *ref;
  const char *ref_name;
  qi_cmp_dequant dq; /* empty for a float tensor */
} source;

static qinfer_tensor_info info_of(const qi_tensor *t) {
  qinfer_tensor_info info = {.name = t->name, .dtype = (qinfer_dtype)t->dtype, .rank = t->rank};
  for (int d = 0; d < t->rank && d < QINFER_MAX_RANK; d++) info.dims[d] = t->dims[d];
  return info;
}

/* Finds REF's float tensor for TEST's t (same element count); false when there is none. */
static bool match(qinfer_session *ref, const qi_graph *test_file, const qi_tensor *t, source *s) {
  memset(s, 0, sizeof *s);
  const qinfer_tensor_info tinfo = info_of(t);
  const char *name = t->name;
  if (qi_cmp_is_quant_dtype(tinfo.dtype)) {
    const qi_node *q = qi_cmp_quantize_writing(test_file, t->name);
    if (!q || !qi_cmp_quant_params(test_file, q, &tinfo, &s->dq)) return false;
    name = test_file->tensors[q->inputs[0]].name;
  } else if (tinfo.dtype != QINFER_DTYPE_FLOAT) {
    return false;
  }
  const int ri = qinfer_session_tensor_index(ref, name);
  qinfer_tensor_info rinfo;
  const void *data;
  size_t nbytes;
  if (ri < 0 || qinfer_session_tensor(ref, (size_t)ri, &rinfo, &data, &nbytes) != QINFER_OK ||
      rinfo.dtype != QINFER_DTYPE_FLOAT || (int64_t)(nbytes / sizeof(float)) != qi_tensor_numel(t)) {
    qi_cmp_dequant_free(&s->dq);
    return false;
  }
  s->ref = data;
  s->ref_name = rinfo.name;
  return true;
}

static void quant_range(qinfer_dtype d, int32_t *lo, int32_t *hi) {
  *lo = d == QINFER_DTYPE_INT8 ? -128 : d == QINFER_DTYPE_INT16 ? -32768 : 0;
  *hi = d == QINFER_DTYPE_INT8 ? 127 : d == QINFER_DTYPE_INT16 ? 32767 : d == QINFER_DTYPE_UINT16 ? 65535 : 255;
}

/* Writes REF's value into TEST's tensor t: copied, or quantized as the runtime's QuantizeLinear does. */
static void fill(qi_tensor *t, const source *s) {
  const int64_t n = qi_tensor_numel(t);
  if (!s->dq.scale) {
    memcpy(t->data, s->ref, (size_t)n * sizeof(float));
    return;
  }
  const qi_cmp_quant *q = &s->dq.q;
  int32_t lo, hi;
  quant_range(q->dtype, &lo, &hi);
  for (int64_t i = 0; i < n; i++) {
    const int64_t c = q->n_params > 1 ? (i / q->inner) % q->n_params : 0;
    const int32_t v = qi_quantize_f32(s->ref[i], q->scale[c], (int32_t)q->zero_point[c], lo, hi);
    switch (q->dtype) {
      case QINFER_DTYPE_INT8: ((int8_t *)t->data)[i] = (int8_t)v; break;
      case QINFER_DTYPE_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
      case QINFER_DTYPE_INT16: ((int16_t *)t->data)[i] = (int16_t)v; break;
      default: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    }
  }
}

/* Metrics of quantized data (parameters q) against ref clamped to the range q can hold. */
static void clamped_metrics(const float *ref, const qi_cmp_quant *q, const void *data, int64_t n, qi_cmp_metrics *m) {
  int32_t lo, hi;
  quant_range(q->dtype, &lo, &hi);
  qi_cmp_acc acc = {0};
  for (int64_t i = 0; i < n; i++) {
    const int64_t c = q->n_params > 1 ? (i / q->inner) % q->n_params : 0;
    const double zp = q->zero_point ? q->zero_point[c] : 0.0, sc = q->scale[c];
    const double v = ref[i], a = ((double)lo - zp) * sc, b = ((double)hi - zp) * sc;
    qi_cmp_add(&acc, v < a ? a : v > b ? b : v, qi_cmp_dequant_at(q, data, i));
  }
  qi_cmp_finish(&acc, m);
}

static bool low_bit(int dtype) {
  return qi_cmp_is_quant_dtype((qinfer_dtype)dtype) || dtype == QINFER_DTYPE_INT4 || dtype == QINFER_DTYPE_UINT4;
}

/* Reads or writes a quantized tensor (constants included: 4- and 8-bit weights), and is no DequantizeLinear. */
static bool is_quantized_node(const qi_graph *g, const qi_node *n) {
  if (!strcmp(n->op_type, "DequantizeLinear")) return false;
  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0 && low_bit(g->tensors[n->inputs[k]].dtype)) return true;
  for (int k = 0; k < n->n_outputs; k++)
    if (n->outputs[k] >= 0 && low_bit(g->tensors[n->outputs[k]].dtype)) return true;
  return false;
}

static qi_status run_node(qinfer_session *s, int i, qi_error *err) {
  const qi_exec_ctx ctx = {s->pool};
  qi_node *n = &s->graph->nodes[i];
  if (n->op->run(s->graph, n, &s->rt[i], &ctx, err) != QINFER_OK) return qi_node_error_context(n, err);
  return QINFER_OK;
}

/* A growing list of results. */
typedef struct results {
  qi_cmp_isolated *v;
  int n, cap;
} results;

static qi_cmp_isolated *add_result(results *r) {
  if (r->n == r->cap) {
    const int cap = r->cap ? 2 * r->cap : 64;
    qi_cmp_isolated *grown = realloc(r->v, (size_t)cap * sizeof *grown);
    if (!grown) return NULL;
    r->v = grown, r->cap = cap;
  }
  return &r->v[r->n++];
}

/* Fills node i's inputs from REF (listing each quantized one's rounding the first time, done[t]); false (nothing
 * run) when one has no REF match or lives outside the arena. */
static qi_status feed_from_ref(qinfer_session *ref, qinfer_session *test, const qi_graph *test_file, int i, bool *done,
                               results *res, bool *fed, qi_error *err) {
  qi_graph *g = test->graph;
  const qi_node *n = &g->nodes[i];
  *fed = false;
  for (int k = 0; k < n->n_inputs; k++) {
    const int t = n->inputs[k];
    if (t < 0 || (g->tensors[t].flags & (QI_TF_CONST | QI_TF_INPUT))) continue; /* graph inputs: REF's already */
    source s;
    if (test->tensor_offset[t] < 0 || !match(ref, test_file, &g->tensors[t], &s)) return QINFER_OK;
    fill(&g->tensors[t], &s);
    if (s.dq.scale && !done[t]) {
      qi_cmp_isolated *r = add_result(res);
      if (!r) {
        qi_cmp_dequant_free(&s.dq);
        return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
      }
      *r = (qi_cmp_isolated){.node = i, .out = t, .ref_name = s.ref_name, .rounding = true};
      qi_cmp_buffers(QINFER_DTYPE_FLOAT, s.ref, NULL, (qinfer_dtype)g->tensors[t].dtype, g->tensors[t].data,
                     &s.dq.q, qi_tensor_numel(&g->tensors[t]), &r->m);
      clamped_metrics(s.ref, &s.dq.q, g->tensors[t].data, qi_tensor_numel(&g->tensors[t]), &r->clamped);
      done[t] = true;
    }
    qi_cmp_dequant_free(&s.dq);
  }
  *fed = true;
  return QINFER_OK;
}

/* Measures TEST tensor t (just computed) against REF, appending a result for node `node`; false when t has no
 * REF match. */
static bool measure(qinfer_session *ref, const qi_graph *test_file, const qi_graph *g, int node, int t,
                    qi_cmp_isolated *r) {
  source s;
  const qi_tensor *x = &g->tensors[t];
  if (!match(ref, test_file, x, &s)) return false;
  *r = (qi_cmp_isolated){.node = node, .out = t, .ref_name = s.ref_name};
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, s.ref, NULL, (qinfer_dtype)x->dtype, x->data, s.dq.scale ? &s.dq.q : NULL,
                 qi_tensor_numel(x), &r->m);
  r->clamped = r->m;
  if (s.dq.scale) clamped_metrics(s.ref, &s.dq.q, x->data, qi_tensor_numel(x), &r->clamped);
  qi_cmp_dequant_free(&s.dq);
  return true;
}

/* Measures tensor t written by node i into *r (*ok): itself when REF has it, else through a DequantizeLinear reading
 * it into a tensor REF has (the graph's float output, say), run first. */
static qi_status measure_or_dq(qinfer_session *ref, qinfer_session *test, const qi_graph *test_file, int i, int t,
                               qi_cmp_isolated *r, bool *ok, qi_error *err) {
  qi_graph *g = test->graph;
  *ok = measure(ref, test_file, g, i, t, r);
  qi_reader_iter it;
  for (int d = *ok ? -1 : qi_readers_first(g, t, &it); d >= 0 && !*ok; d = qi_readers_next(g, &it)) {
    const qi_node *dq = &g->nodes[d];
    if (strcmp(dq->op_type, "DequantizeLinear") != 0 || dq->outputs[0] < 0 || test->tensor_offset[dq->outputs[0]] < 0)
      continue;
    QI_CHECK(run_node(test, d, err));
    *ok = measure(ref, test_file, g, i, dq->outputs[0], r);
  }
  return QINFER_OK;
}

/* The lookup table (QLinearTable: a HardSwish, HardSigmoid, ... region) that alone reads t, or -1. */
static int table_reader(const qinfer_session *test, int t) {
  const qi_graph *g = test->graph;
  const int lut = qi_graph_sole_reader(g, t);
  return lut >= 0 && !strcmp(g->nodes[lut].op_type, "QLinearTable") && g->nodes[lut].outputs[0] >= 0 &&
                 test->tensor_offset[g->nodes[lut].outputs[0]] >= 0
             ? lut
             : -1;
}

static qi_status measure_all(qinfer_session *ref, qinfer_session *test, const qi_graph *test_file, bool *done,
                             results *res, qi_error *err) {
  qi_graph *g = test->graph;
  for (int step = 0; step < g->n_order; step++) {
    const int i = g->order[step];
    const qi_node *n = &g->nodes[i];
    bool fed = false;
    if (!is_quantized_node(g, n)) continue;
    QI_CHECK(feed_from_ref(ref, test, test_file, i, done, res, &fed, err));
    if (!fed) continue;
    QI_CHECK(run_node(test, i, err));
    for (int k = 0; k < n->n_outputs; k++) {
      const int t = n->outputs[k];
      if (t < 0) continue;
      qi_cmp_isolated r;
      bool ok = false;
      /* read only by a lookup table: t's range may be cut where the table is constant (range trimming), so t is
       * measured as the table sees it: the table run on it, its output against REF's, reported for t */
      const int lut = table_reader(test, t);
      source own = {0};
      if (lut >= 0 && match(ref, test_file, &g->tensors[t], &own)) {
        QI_CHECK(run_node(test, lut, err));
        qi_status st = measure_or_dq(ref, test, test_file, i, g->nodes[lut].outputs[0], &r, &ok, err);
        r.ref_name = own.ref_name;
        r.out = t;
        qi_cmp_dequant_free(&own.dq);
        QI_CHECK(st);
      } else if (lut < 0) {
        QI_CHECK(measure_or_dq(ref, test, test_file, i, t, &r, &ok, err));
      }
      qi_cmp_isolated *x = ok ? add_result(res) : NULL;
      if (ok && !x) return qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
      if (x) *x = r;
    }
  }
  return QINFER_OK;
}

qi_status qi_cmp_isolated_run(qinfer_session *ref, qinfer_session *test, const qi_graph *test_file,
                              qi_cmp_isolated **out, int *n_out, qi_error *err) {
  results res = {0};
  bool *done = calloc((size_t)test->graph->n_tensors + 1, sizeof *done);
  qi_status st = done ? measure_all(ref, test, test_file, done, &res, err)
                      : qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  free(done);
  if (st != QINFER_OK) {
    free(res.v);
    res = (results){0};
  }
  *out = res.v;
  *n_out = res.n;
  return st;
}
