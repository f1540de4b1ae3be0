/* The model comparison (include/qinfer_quant.h: qinfer_compare_*, the engine of `qinfer compare`): two sessions run
 * on the same inputs, then TEST's outputs (and, per layer, every tensor the two share) are measured against REF's:
 * SQNR, cosine similarity, max and mean |ref - test| (engine/quant/compare_metrics.c). Made for FP32 against INT8
 * (QDQ) models: a TEST tensor written by a QuantizeLinear is dequantized and compared with REF's tensor of the
 * QuantizeLinear's float input. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/quant/api_error.h"
#include "engine/quant/compare_isolated.h"
#include "engine/quant/compare_match.h"
#include "engine/quant/compare_metrics.h"
#include "engine/quant/io/random_input.h"
#include "engine/quant/io/tensor_stats.h"
#include "engine/session.h"
#include "loader/onnx_loader.h"
#include "qinfer_quant.h"

typedef struct rows {
  qinfer_compare_row *v;
  size_t n, cap;
} rows;

struct qinfer_compare {
  qinfer_session *rs, *ts;
  unsigned flags;
  size_t n_inputs;      /* REF's inputs */
  int *test_input;      /* per REF input: TEST's input of the same name */
  bool *input_set;      /* per REF input: set by qinfer_compare_set_input */
  qi_host_tensor *randoms; /* per REF input: qinfer_compare_set_random_inputs' tensors */
  qi_graph *rg, *tg;    /* REF and TEST as written in their files, constants included (per layer) */
  rows outs, layers;
  double ms[2];
  qi_error err;
};

static bool same_shape(const qinfer_tensor_info *x, const qinfer_tensor_info *y) {
  if (x->rank != y->rank) return false;
  for (int d = 0; d < x->rank; d++)
    if (x->dims[d] != y->dims[d]) return false;
  return true;
}

static int64_t numel(const qinfer_tensor_info *info) {
  int64_t n = 1;
  for (int d = 0; d < info->rank; d++) n *= info->dims[d];
  return n;
}

static qinfer_compare_row *add_row(rows *r) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 32;
    qinfer_compare_row *v = realloc(r->v, cap * sizeof *v);
    if (!v) return NULL;
    r->v = v;
    r->cap = cap;
  }
  qinfer_compare_row *x = &r->v[r->n++];
  memset(x, 0, sizeof *x);
  return x;
}

static void set_metrics(qinfer_compare_row *r, const qi_cmp_metrics *m) {
  r->count = m->n;
  r->sqnr_db = m->sqnr_db;
  r->cosine = m->cosine;
  r->max_abs = m->max_abs;
  r->mean_abs = m->mean_abs;
  r->equal_share = m->equal_share;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* ---- creating ---- */

/* Both sessions must take the same inputs: names, dtypes and (bound) shapes. */
static qi_status check_same_inputs(qinfer_session *rs, qinfer_session *ts, qi_error *err) {
  char want[256], got[256];
  for (size_t i = 0; i < qinfer_session_input_count(ts); i++) {
    qinfer_tensor_info ti;
    qinfer_session_input_info(ts, i, &ti);
    if (qinfer_session_input_index(rs, ti.name) < 0)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                     "REF and TEST have different inputs: TEST's input '%s' is not an input of REF", ti.name);
  }
  for (size_t i = 0; i < qinfer_session_input_count(rs); i++) {
    qinfer_tensor_info ri, ti;
    qinfer_session_input_info(rs, i, &ri);
    int j = qinfer_session_input_index(ts, ri.name);
    if (j < 0)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT,
                     "REF and TEST have different inputs: REF's input '%s' is not an input of TEST", ri.name);
    qinfer_session_input_info(ts, (size_t)j, &ti);
    if (ri.dtype != ti.dtype)
      return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "input '%s' is %s in REF but %s in TEST", ri.name,
                     qinfer_dtype_name(ri.dtype), qinfer_dtype_name(ti.dtype));
    if (!same_shape(&ri, &ti))
      return qi_fail(err, QINFER_ERR_SHAPE, "input '%s' has shape %s in REF but %s in TEST", ri.name,
                     qi_shape_str(ri.rank, ri.dims, want, sizeof want),
                     qi_shape_str(ti.rank, ti.dims, got, sizeof got));
  }
  return QINFER_OK;
}

qinfer_status qinfer_compare_create(qinfer_session *ref, qinfer_session *test, unsigned flags,
                                    qinfer_compare **out) {
  qi_error err = {0};
  if (!ref || !test || !out)
    return qi_api_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "ref, test and out_compare must not be NULL"), &err);
  *out = NULL;
  if (flags & ~(unsigned)(QINFER_COMPARE_PER_LAYER | QINFER_COMPARE_ISOLATED))
    return qi_api_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT, "unknown flags 0x%x", flags), &err);
  qi_status st = check_same_inputs(ref, test, &err);
  if (st != QINFER_OK) return qi_api_fail(st, &err);
  if ((flags & QINFER_COMPARE_ISOLATED) && !(ref->opts->keep_intermediates && test->opts->keep_intermediates))
    return qi_api_fail(qi_fail(&err, QINFER_ERR_INVALID_ARGUMENT,
                               "QINFER_COMPARE_ISOLATED needs both sessions made with keep_intermediates"),
                       &err);
  qinfer_compare *c = calloc(1, sizeof *c);
  const size_t n = qinfer_session_input_count(ref);
  if (c) {
    c->test_input = calloc(n + 1, sizeof *c->test_input);
    c->input_set = calloc(n + 1, sizeof *c->input_set);
    c->randoms = calloc(n + 1, sizeof *c->randoms);
  }
  if (!c || !c->test_input || !c->input_set || !c->randoms) {
    qinfer_compare_destroy(c);
    return qi_api_fail(qi_fail(&err, QINFER_ERR_OUT_OF_MEMORY, "out of memory"), &err);
  }
  c->rs = ref;
  c->ts = test;
  c->flags = flags & QINFER_COMPARE_ISOLATED ? flags | QINFER_COMPARE_PER_LAYER : flags;
  c->n_inputs = n;
  for (size_t i = 0; i < n; i++) {
    qinfer_tensor_info info;
    qinfer_session_input_info(ref, i, &info);
    c->test_input[i] = qinfer_session_input_index(test, info.name);
  }
  *out = c;
  return QINFER_OK;
}

void qinfer_compare_destroy(qinfer_compare *c) {
  if (!c) return;
  for (size_t i = 0; c->randoms && i < c->n_inputs; i++) qi_host_tensor_free(&c->randoms[i]);
  free(c->randoms);
  free(c->input_set);
  free(c->test_input);
  free(c->outs.v);
  free(c->layers.v);
  qi_graph_free(c->rg);
  qi_graph_free(c->tg);
  free(c);
}

const char *qinfer_compare_last_error(const qinfer_compare *c) { return c ? c->err.msg : qinfer_last_error(); }

/* ---- inputs ---- */

/* Points REF's input i and TEST's input of the same name at data. */
static qi_status bind_input(qinfer_compare *c, size_t i, const void *data, size_t nbytes) {
  qinfer_tensor_info info;
  qinfer_session_input_info(c->rs, i, &info);
  qi_status st = qinfer_session_set_input(c->rs, i, data, nbytes);
  if (st != QINFER_OK) return qz_fail_call(&c->err, info.name, st, qinfer_session_last_error(c->rs));
  st = qinfer_session_set_input(c->ts, (size_t)c->test_input[i], data, nbytes);
  if (st != QINFER_OK) return qz_fail_call(&c->err, info.name, st, qinfer_session_last_error(c->ts));
  return QINFER_OK;
}

qinfer_status qinfer_compare_set_input(qinfer_compare *c, size_t index, const void *data, size_t nbytes) {
  if (!c) return QINFER_ERR_INVALID_ARGUMENT;
  if (index >= c->n_inputs)
    return qi_fail(&c->err, QINFER_ERR_INVALID_ARGUMENT, "input %zu out of range (%zu)", index, c->n_inputs);
  QI_CHECK(bind_input(c, index, data, nbytes));
  c->input_set[index] = true;
  return QINFER_OK;
}

qinfer_status qinfer_compare_set_random_inputs(qinfer_compare *c, uint64_t seed) {
  if (!c) return QINFER_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < c->n_inputs; i++) {
    if (c->input_set[i]) continue;
    qinfer_tensor_info info;
    qinfer_session_input_info(c->rs, i, &info);
    qi_host_tensor_free(&c->randoms[i]);
    if (qi_random_input(&c->randoms[i], &info, seed, i, &c->err) != QINFER_OK)
      return qi_error_context(&c->err, "input '%s'", info.name);
    QI_CHECK(bind_input(c, i, c->randoms[i].data, c->randoms[i].nbytes));
  }
  return QINFER_OK;
}

int qinfer_compare_input_is_set(const qinfer_compare *c, size_t index) {
  return c && index < c->n_inputs && c->input_set[index];
}

/* ---- outputs ---- */

static qi_status compare_outputs(qinfer_compare *c) {
  const size_t nr = qinfer_session_output_count(c->rs), nt = qinfer_session_output_count(c->ts);
  for (size_t i = 0; i < nr; i++) {
    qinfer_compare_row *r = add_row(&c->outs);
    if (!r) return qi_fail(&c->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    qinfer_session_output_info(c->rs, i, &r->ref);
    r->op = "output";
    const int j = qinfer_session_output_index(c->ts, r->ref.name);
    if (j < 0) {
      r->match = QINFER_COMPARE_ONLY_IN_REF;
      continue;
    }
    qinfer_session_output_info(c->ts, (size_t)j, &r->test);
    const bool both_float = qi_cmp_is_float_dtype(r->ref.dtype) && qi_cmp_is_float_dtype(r->test.dtype);
    if (!same_shape(&r->ref, &r->test) || (!both_float && r->ref.dtype != r->test.dtype)) {
      r->match = QINFER_COMPARE_MISMATCH;
      continue;
    }
    const void *rd, *td;
    size_t rn, tn;
    if (qinfer_session_get_output(c->rs, i, &rd, &rn) != QINFER_OK ||
        qinfer_session_get_output(c->ts, (size_t)j, &td, &tn) != QINFER_OK)
      return qi_fail(&c->err, QINFER_ERR_RUNTIME, "output '%s': cannot read it", r->ref.name);
    r->is_float = both_float;
    qi_cmp_metrics m;
    qi_cmp_buffers(r->ref.dtype, rd, NULL, r->test.dtype, td, NULL, numel(&r->ref), &m);
    set_metrics(r, &m);
  }
  for (size_t j = 0; j < nt; j++) {
    qinfer_tensor_info ti;
    qinfer_session_output_info(c->ts, j, &ti);
    if (qinfer_session_output_index(c->rs, ti.name) >= 0) continue;
    qinfer_compare_row *r = add_row(&c->outs);
    if (!r) return qi_fail(&c->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    r->match = QINFER_COMPARE_ONLY_IN_TEST;
    r->test = ti;
    r->op = "output";
  }
  return QINFER_OK;
}

/* ---- per layer ---- */

/* REF's producer op of a tensor, from the model as written. */
static const char *ref_op(const qinfer_compare *c, const char *name) {
  const qi_graph *g = c->rg;
  int t = qi_graph_find_tensor(g, name);
  if (t < 0) return "?";
  int p = g->tensors[t].producer;
  if (p >= 0) return g->nodes[p].op_type;
  return (g->tensors[t].flags & QI_TF_INPUT) ? "input" : "?";
}

static qinfer_compare_row *layer_row(qinfer_compare *c, const qinfer_tensor_info *rinfo,
                                     const qinfer_tensor_info *tinfo) {
  qinfer_compare_row *r = add_row(&c->layers);
  if (!r) return NULL;
  r->ref = *rinfo;
  r->test = *tinfo;
  r->op = ref_op(c, rinfo->name);
  r->is_float = true;
  return r;
}

/* One readable tensor of a session: index, info and data; false when it is not readable. */
typedef struct readable {
  int index;
  qinfer_tensor_info info;
  const void *data;
  size_t nbytes;
} readable;

static bool read_tensor(const qinfer_session *sess, const char *name, readable *t) {
  t->index = qinfer_session_tensor_index(sess, name);
  return t->index >= 0 && qinfer_session_tensor(sess, (size_t)t->index, &t->info, &t->data, &t->nbytes) == QINFER_OK;
}

/* A TEST tensor T written by a QuantizeLinear (of float X): when REF also holds T written by a QuantizeLinear,
 * both are dequantized with their own model's parameters; otherwise dequantized T is compared with REF's X. */
static qi_status compare_quantized(qinfer_compare *c, bool *covered) {
  const qi_graph *g = c->tg;
  for (int k = 0; k < g->n_order; k++) {
    const qi_node *n = &g->nodes[g->order[k]];
    if (!qi_cmp_is_quantize(n)) continue;
    const char *xname = g->tensors[n->inputs[0]].name, *tname = g->tensors[n->outputs[0]].name;
    readable t, r;
    if (!read_tensor(c->ts, tname, &t) || !qi_cmp_is_quant_dtype(t.info.dtype)) continue;
    qi_cmp_dequant tq, rq = {0};
    if (!qi_cmp_quant_params(g, n, &t.info, &tq)) continue;
    const qi_node *rn = NULL;
    bool ok = false;
    if (read_tensor(c->rs, tname, &r) && !covered[r.index] && (rn = qi_cmp_quantize_writing(c->rg, tname)) != NULL)
      ok = same_shape(&r.info, &t.info) && qi_cmp_quant_params(c->rg, rn, &r.info, &rq);
    if (!ok && !rn)
      ok = read_tensor(c->rs, xname, &r) && !covered[r.index] && qi_cmp_is_float_dtype(r.info.dtype) &&
           same_shape(&r.info, &t.info);
    qinfer_compare_row *x = ok ? layer_row(c, &r.info, &t.info) : NULL;
    if (x) {
      qi_cmp_metrics m;
      qi_cmp_buffers(r.info.dtype, r.data, rq.scale ? &rq.q : NULL, t.info.dtype, t.data, &tq.q, numel(&r.info), &m);
      set_metrics(x, &m);
      covered[r.index] = true;
    }
    qi_cmp_dequant_free(&tq);
    qi_cmp_dequant_free(&rq);
    if (ok && !x) return qi_fail(&c->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  }
  return QINFER_OK;
}

/* Float tensors of TEST against REF's of the same name and shape (graph inputs left out: they are equal). */
static qi_status compare_floats(qinfer_compare *c, bool *covered) {
  for (size_t ti = 0; ti < qinfer_session_tensor_count(c->ts); ti++) {
    qinfer_tensor_info tinfo, rinfo;
    const void *td, *rd;
    size_t tn, rn;
    if (qinfer_session_tensor(c->ts, ti, &tinfo, &td, &tn) != QINFER_OK || !qi_cmp_is_float_dtype(tinfo.dtype)) continue;
    if (qinfer_session_input_index(c->ts, tinfo.name) >= 0) continue;
    int ri = qinfer_session_tensor_index(c->rs, tinfo.name);
    if (ri < 0 || covered[ri]) continue;
    if (qinfer_session_tensor(c->rs, (size_t)ri, &rinfo, &rd, &rn) != QINFER_OK || !qi_cmp_is_float_dtype(rinfo.dtype) ||
        !same_shape(&rinfo, &tinfo))
      continue;
    qinfer_compare_row *r = layer_row(c, &rinfo, &tinfo);
    if (!r) return qi_fail(&c->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
    qi_cmp_metrics m;
    qi_cmp_buffers(rinfo.dtype, rd, NULL, tinfo.dtype, td, NULL, numel(&rinfo), &m);
    set_metrics(r, &m);
    covered[ri] = true;
  }
  return QINFER_OK;
}

static int row_order(const void *x, const void *y) {
  const qinfer_compare_row *a = x, *b = y;
  int c = qi_cmp_sqnr_order(a->sqnr_db, b->sqnr_db);
  return c ? c : strcmp(a->ref.name, b->ref.name);
}

/* The model files decoded again with their constants (the sessions' graphs are transformed, and the models'
 * own graphs keep metadata only): the QuantizeLinear parameters and REF's producer ops come from them. */
static qi_status load_file_graphs(qinfer_compare *c) {
  if (c->rg && c->tg) return QINFER_OK;
  qi_error err = {0};
  const qinfer_model *rm = c->rs->model, *tm = c->ts->model;
  qi_status st = qi_onnx_load(rm->data, rm->size, rm->base_dir, &c->rg, &err);
  if (st != QINFER_OK) return qz_fail_call(&c->err, "reading REF's graph", st, err.msg);
  st = qi_onnx_load(tm->data, tm->size, tm->base_dir, &c->tg, &err);
  if (st != QINFER_OK) return qz_fail_call(&c->err, "reading TEST's graph", st, err.msg);
  return QINFER_OK;
}

/* Worst isolated SQNR first (rows without one last, in the accumulated order). */
static int isolated_order(const void *x, const void *y) {
  const qinfer_compare_row *a = x, *b = y;
  if (a->has_isolated != b->has_isolated) return a->has_isolated ? -1 : 1;
  int c = a->has_isolated ? qi_cmp_sqnr_order(a->isolated_sqnr_db, b->isolated_sqnr_db) : 0;
  return c ? c : row_order(x, y);
}

/* The isolated view (engine/quant/compare_isolated.c), set on the accumulated view's row of each REF tensor
 * measured; where two nodes measure one tensor (two QuantizeLinear of one float), the worse counts. */
static qi_status compare_isolated(qinfer_compare *c) {
  qi_cmp_isolated *iso = NULL;
  int n = 0;
  qi_status st = qi_cmp_isolated_run(c->rs, c->ts, c->tg, &iso, &n, &c->err);
  for (int k = 0; st == QINFER_OK && k < n; k++) {
    if (iso[k].rounding) continue; /* a tensor's rounding alone: the target-SQNR search's, not a row */
    const qi_node *node = &c->ts->graph->nodes[iso[k].node];
    for (size_t i = 0; i < c->layers.n; i++) {
      qinfer_compare_row *r = &c->layers.v[i];
      if (strcmp(r->ref.name, iso[k].ref_name) != 0) continue;
      if (r->has_isolated && qi_cmp_sqnr_order(iso[k].m.sqnr_db, r->isolated_sqnr_db) >= 0) break;
      r->has_isolated = 1;
      r->node = node->name ? node->name : "";
      r->node_op = node->op_type;
      r->isolated_sqnr_db = iso[k].m.sqnr_db;
      r->isolated_cosine = iso[k].m.cosine;
      r->isolated_max_abs = iso[k].m.max_abs;
      r->isolated_mean_abs = iso[k].m.mean_abs;
      r->isolated_in_range_sqnr_db = iso[k].clamped.sqnr_db;
      break;
    }
  }
  free(iso);
  if (st == QINFER_OK && c->layers.n) qsort(c->layers.v, c->layers.n, sizeof *c->layers.v, isolated_order);
  return st;
}

static qi_status compare_layers(qinfer_compare *c) {
  QI_CHECK(load_file_graphs(c));
  bool *covered = calloc(qinfer_session_tensor_count(c->rs) + 1, sizeof *covered);
  if (!covered) return qi_fail(&c->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  qi_status st = compare_quantized(c, covered);
  if (st == QINFER_OK) st = compare_floats(c, covered);
  free(covered);
  if (st == QINFER_OK && c->layers.n) qsort(c->layers.v, c->layers.n, sizeof *c->layers.v, row_order);
  return st;
}

/* ---- running ---- */

qinfer_status qinfer_compare_run(qinfer_compare *c) {
  if (!c) return QINFER_ERR_INVALID_ARGUMENT;
  c->outs.n = c->layers.n = 0;
  qinfer_session *sess[2] = {c->rs, c->ts};
  for (int k = 0; k < 2; k++) {
    const double t0 = now_ms();
    const qinfer_status st = qinfer_session_run(sess[k]);
    c->ms[k] = now_ms() - t0;
    if (st != QINFER_OK)
      return qz_fail_call(&c->err, k ? "TEST run failed" : "REF run failed", st, qinfer_session_last_error(sess[k]));
  }
  QI_CHECK(compare_outputs(c));
  if (c->flags & QINFER_COMPARE_PER_LAYER) QI_CHECK(compare_layers(c));
  if (c->flags & QINFER_COMPARE_ISOLATED) QI_CHECK(compare_isolated(c)); /* last: it overwrites TEST's tensors */
  return QINFER_OK;
}

qinfer_status qinfer_compare_run_ms(const qinfer_compare *c, double *ref_ms, double *test_ms) {
  if (!c) return QINFER_ERR_INVALID_ARGUMENT;
  if (ref_ms) *ref_ms = c->ms[0];
  if (test_ms) *test_ms = c->ms[1];
  return QINFER_OK;
}

static qinfer_status row_at(const qinfer_compare *c, const rows *r, size_t index, qinfer_compare_row *row) {
  if (!c || !row) return QINFER_ERR_INVALID_ARGUMENT;
  if (index >= r->n) {
    qinfer_compare *mc = (qinfer_compare *)c; /* the error slot is mutable state of a const handle */
    return qi_fail(&mc->err, QINFER_ERR_INVALID_ARGUMENT, "row %zu out of range (%zu)", index, r->n);
  }
  *row = r->v[index];
  return QINFER_OK;
}

size_t qinfer_compare_output_count(const qinfer_compare *c) { return c ? c->outs.n : 0; }
size_t qinfer_compare_layer_count(const qinfer_compare *c) { return c ? c->layers.n : 0; }

qinfer_status qinfer_compare_output(const qinfer_compare *c, size_t index, qinfer_compare_row *row) {
  return row_at(c, c ? &c->outs : NULL, index, row);
}

qinfer_status qinfer_compare_layer(const qinfer_compare *c, size_t index, qinfer_compare_row *row) {
  return row_at(c, c ? &c->layers : NULL, index, row);
}
