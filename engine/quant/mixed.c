/* The target-SQNR search (qinfer_quant_options_set_target_sqnr, `qinfer quantize --target-sqnr DB`): mixed
 * precision by measurement (docs/quantization.md, "Mixed precision").
 *
 * Each round builds the INT8 model of the current options in memory, runs it with qinfer's integer kernels on the
 * first QZ_SQNR_SAMPLES calibration samples (fewer when there are fewer), and compares it with the FP32 model (the
 * calibration session, which keeps every tensor) on each, shape by shape (an INT8 session per shape among them,
 * the FP32 session rebuilt only when the shape changes): the worst output SQNR over those samples decides whether
 * to stop. Nodes are ranked by the isolated view of `qinfer compare --per-layer` (engine/quant/compare_isolated.c):
 * each quantized node run alone on the FP32 values of its inputs, quantized with its own input scale, its output
 * against the FP32 tensor; a node's isolated SQNR is its worst over the samples. The 1, 2, 4, ... nodes with the
 * lowest isolated SQNR climb one step (int8 weights; a 16-bit tensor: of its 8-bit inputs and output, the one whose
 * rounding alone loses most; float) until the output reaches the
 * target, or max_float nodes are float; a promotion that would leave fewer than min_low_bit_macs % of the MACs on
 * 8 bits or fewer is skipped; the prefix of the promotions that measured best is kept. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "engine/quant/compare_isolated.h"
#include "engine/quant/compare_metrics.h"
#include "engine/quant/job.h"
#include "engine/quant/writer/onnx_writer.h"

enum { QZ_SQNR_SAMPLES = 4 }; /* samples the search measures on (docs/quantization.md, "Mixed precision") */

typedef struct eval {
  double out_sqnr;   /* lowest output SQNR over the samples measured */
  double *tensor;    /* per analysis-graph tensor: SQNR of its dequantized INT8 value, NAN when unknown */
  double *isolated;  /* per analysis-graph tensor: isolated SQNR of the INT8 node writing it (worst), or NAN */
  double *rounding;  /* per analysis-graph tensor: SQNR of its FP32 value's rounding alone (worst), or NAN */
  const bool *trimmed; /* per analysis-graph tensor: its range was cut by range trimming (engine/quant/trim.c) */
} eval;

static bool j_trimmed(const eval *e, int t) { return e->trimmed && e->trimmed[t]; }

/* SQNR of x against ref (the comparison's metric: +inf when equal, -inf when ref is all zero and x not). */
static double sqnr_of(const float *ref, const float *x, size_t n) {
  qi_cmp_metrics m;
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, ref, NULL, QINFER_DTYPE_FLOAT, x, NULL, (int64_t)n, &m);
  return m.sqnr_db;
}

/* Feeds a sample to a session and runs it. */
static qi_status feed(qz_job *j, qinfer_session *s, const qi_host_tensor *in) {
  for (int i = 0; i < j->n_inputs; i++) {
    const qinfer_status st = qinfer_session_set_input(s, (size_t)i, in[i].data, in[i].nbytes);
    if (st != QINFER_OK) return qz_fail_call(j->err, "set input", st, qinfer_session_last_error(s));
  }
  const qinfer_status st = qinfer_session_run(s);
  return st == QINFER_OK ? QINFER_OK : qz_fail_call(j->err, "run", st, qinfer_session_last_error(s));
}

static float const_scalar_f(const qi_graph *g, int t, int64_t i) {
  const qi_tensor *x = &g->tensors[t];
  return ((const float *)x->data)[qi_tensor_numel(x) == 1 ? 0 : i];
}

/* A zero point's first value (qi_tensor_int_at reads no 16-bit types). */
static int32_t const_zp(const qi_graph *g, int t) {
  if (t < 0) return 0;
  const qi_tensor *z = &g->tensors[t];
  if (z->dtype == QINFER_DTYPE_UINT16) return ((const uint16_t *)z->data)[0];
  if (z->dtype == QINFER_DTYPE_INT16) return ((const int16_t *)z->data)[0];
  return qi_tensor_int_at(z, 0);
}

/* Per-tensor SQNRs of the INT8 run (session q, graph qg as written) against the FP32 session's tensors. */
static void layer_sqnrs(qz_job *j, qinfer_session *q, const qi_graph *qg, double *out) {
  float *deq = NULL;
  size_t cap = 0;
  for (int i = 0; i < qg->n_nodes; i++) {
    const qi_node *n = &qg->nodes[i];
    if (n->dead || strcmp(n->op_type, "QuantizeLinear") != 0 || n->n_inputs < 2 || n->outputs[0] < 0) continue;
    const char *x = qg->tensors[n->inputs[0]].name, *y = qg->tensors[n->outputs[0]].name;
    const int gt = qi_graph_find_tensor(j->g, x);
    const int ri = qinfer_session_tensor_index(j->session, x), qi = qinfer_session_tensor_index(q, y);
    if (gt < 0 || ri < 0 || qi < 0 || qi_tensor_numel(&qg->tensors[n->inputs[1]]) != 1) continue;
    qinfer_tensor_info info;
    const void *rd, *qd;
    size_t rn, qn;
    if (qinfer_session_tensor(j->session, (size_t)ri, &info, &rd, &rn) != QINFER_OK ||
        qinfer_session_tensor(q, (size_t)qi, &info, &qd, &qn) != QINFER_OK || rn != qn / qinfer_dtype_size(info.dtype) * sizeof(float))
      continue;
    qn /= qinfer_dtype_size(info.dtype); /* elements */
    if (qn > cap) {
      float *grown = realloc(deq, qn * sizeof(float));
      if (!grown) break;
      deq = grown, cap = qn;
    }
    const float scale = const_scalar_f(qg, n->inputs[1], 0);
    const int32_t zp = const_zp(qg, n->n_inputs > 2 ? n->inputs[2] : -1);
    const int dt = info.dtype;
    for (size_t k = 0; k < qn; k++) {
      const int32_t v = dt == QINFER_DTYPE_INT8    ? ((const int8_t *)qd)[k]
                        : dt == QINFER_DTYPE_INT16  ? ((const int16_t *)qd)[k]
                        : dt == QINFER_DTYPE_UINT16 ? ((const uint16_t *)qd)[k]
                                                    : ((const uint8_t *)qd)[k];
      deq[k] = (float)(v - zp) * scale;
    }
    const double v = sqnr_of(rd, deq, qn);
    out[gt] = isfinite(v) ? v : NAN; /* an all-zero tensor (or an exact one) says nothing about losses */
  }
  free(deq);
}

/* Runs sample `in` through the FP32 session and INT8 session s (both at its shape) and folds its measures into e. */
static qi_status measure(qz_job *j, qinfer_session *s, const qi_graph *qg, const qinfer_quant_sample *in, eval *e,
                         double *scratch) {
  qi_status rc = feed(j, j->session, in->t);
  if (rc != QINFER_OK || (rc = feed(j, s, in->t)) != QINFER_OK) return rc;
  for (int t = 0; t < j->g->n_tensors; t++) scratch[t] = NAN;
  for (size_t k = 0; k < qinfer_session_output_count(s); k++) {
    qinfer_tensor_info info;
    const void *qd, *rd;
    size_t qn, rn;
    qinfer_session_output_info(s, k, &info);
    const int ri = qinfer_session_tensor_index(j->session, info.name);
    if (info.dtype != QINFER_DTYPE_FLOAT || ri < 0 || qinfer_session_get_output(s, k, &qd, &qn) != QINFER_OK ||
        qinfer_session_tensor(j->session, (size_t)ri, &info, &rd, &rn) != QINFER_OK || rn != qn)
      continue;
    const double v = sqnr_of(rd, qd, qn / sizeof(float));
    if (v < e->out_sqnr) e->out_sqnr = v;
    /* a float graph output measures the node writing it (the last Softmax of a recogniser, say) */
    const int gt = qi_graph_find_tensor(j->g, info.name);
    if (gt >= 0 && isfinite(v)) scratch[gt] = v;
  }
  layer_sqnrs(j, s, qg, scratch);
  for (int t = 0; t < j->g->n_tensors; t++) /* the worst sample's, where measured */
    if (!isnan(scratch[t]) && (isnan(e->tensor[t]) || scratch[t] < e->tensor[t])) e->tensor[t] = scratch[t];
  qi_cmp_isolated *iso = NULL;
  int n_iso = 0;
  rc = qi_cmp_isolated_run(j->session, s, qg, &iso, &n_iso, j->err);
  for (int k = 0; rc == QINFER_OK && k < n_iso; k++) {
    const int gt = qi_graph_find_tensor(j->g, iso[k].ref_name);
    /* a range cut where the readers are constant: its clipping costs nothing downstream */
    const double v = gt >= 0 && j_trimmed(e, gt) ? iso[k].clamped.sqnr_db : iso[k].m.sqnr_db;
    double *into = iso[k].rounding ? e->rounding : e->isolated;
    if (gt >= 0 && isfinite(v) && (isnan(into[gt]) || v < into[gt])) into[gt] = v;
  }
  free(iso);
  return rc;
}

/* Runs the INT8 model m and the FP32 model on the samples of shape group `group` among in[0 .. n_in): the FP32
 * calibration session of that shape (qz_job_use_group) and an INT8 session made for it. */
static qi_status measure_group(qz_job *j, const qinfer_model *m, const qi_graph *qg, int group,
                               const qinfer_quant_sample *in, size_t n_in, eval *e, double *scratch) {
  qi_status rc = qz_job_use_group(j, group);
  qinfer_session_options *opts = NULL;
  if (rc == QINFER_OK && (rc = qinfer_session_options_create(&opts)) != QINFER_OK)
    qz_fail_call(j->err, "options", rc, "");
  qinfer_session *s = NULL;
  if (rc == QINFER_OK) {
    qinfer_session_options_set_threads(opts, j->opt->threads);
    qinfer_session_options_set_keep_intermediates(opts, 1);
    const qz_shape_group *sg = &j->src.groups[group];
    for (int i = 0; i < j->n_inputs; i++) {
      qinfer_tensor_info info;
      qinfer_model_input_info(j->model, (size_t)i, &info);
      qinfer_session_options_set_input_shape(opts, info.name, sg->dims[i], sg->rank[i]);
    }
    if ((rc = qinfer_session_create(m, opts, &s)) != QINFER_OK)
      qz_fail_call(j->err, "creating the INT8 session", rc, qinfer_last_error());
  }
  for (size_t n = 0; rc == QINFER_OK && n < n_in; n++)
    if (j->src.group[n] == group) rc = measure(j, s, qg, &in[n], e, scratch);
  qinfer_session_destroy(s);
  qinfer_session_options_destroy(opts);
  return rc;
}

/* Builds the INT8 model of options o, runs it and the FP32 model on each of the n_in samples (sample k is in[k]),
 * shape group by shape group, and measures it. */
static qi_status evaluate(qz_job *j, const qz_options *o, const qinfer_quant_sample *in, size_t n_in, eval *e,
                          double *scratch) {
  qi_graph *qg = NULL;
  qz_report rep;
  qi_status rc = qz_job_build_int8(j, o, &qg, &rep);
  if (rc != QINFER_OK) return rc;
  uint8_t *buf = NULL;
  size_t size = 0;
  qi_error err = {0};
  qinfer_model *m = NULL;
  if ((rc = qi_onnx_write(qg, &buf, &size, &err)) != QINFER_OK)
    qi_fail(j->err, rc, "writing the INT8 model: %s", err.msg);
  if (rc == QINFER_OK && (rc = qinfer_model_load_buffer(buf, size, NULL, &m)) != QINFER_OK)
    qz_fail_call(j->err, "loading the INT8 model", rc, qinfer_last_error());
  e->out_sqnr = INFINITY;
  for (int t = 0; t < j->g->n_tensors; t++) e->tensor[t] = e->isolated[t] = e->rounding[t] = NAN;
  int order[QZ_SQNR_SAMPLES];
  const int n_groups = qz_job_group_order(j, n_in, order);
  for (int k = 0; rc == QINFER_OK && k < n_groups; k++)
    rc = measure_group(j, m, qg, order[k], in, n_in, e, scratch);
  qinfer_model_destroy(m);
  free(buf);
  qi_graph_free(qg);
  return rc;
}

/* The measured tensor of node n's output: its output 0, or the output of the Relu / Clip it feeds alone (an
 * absorbed activation); -1 when neither was measured. */
static int measured_output(const qz_job *j, const qi_node *n, const double *sq) {
  if (n->n_outputs < 1 || n->outputs[0] < 0) return -1;
  int y = n->outputs[0];
  if (isnan(sq[y])) {
    const int r = qi_graph_sole_reader(j->g, y);
    if (r >= 0 && j->g->nodes[r].n_outputs == 1) y = j->g->nodes[r].outputs[0];
  }
  return y >= 0 && !isnan(sq[y]) ? y : -1;
}

/* A node's isolated SQNR: that of its (measured) output, or of the Relu / Clip output it feeds alone; NAN when
 * not measured (a float node, one whose inputs have no FP32 match). */
static double node_isolated(const qz_job *j, const qi_node *n, const double *iso) {
  const int y = measured_output(j, n, iso);
  return y < 0 ? NAN : iso[y];
}

static bool excluded_already(const qz_options *o, const char *name) {
  for (int i = 0; i < o->n_exclude; i++)
    if (strcmp(o->exclude[i], name) == 0) return true;
  return false;
}

/* Whether node n's weight (input 1) is one the rewrite stores in 4 bits: a constant float of rank >= 2 on a Conv,
 * Gemm or MatMul. */
static bool has_matrix_weight(const qi_graph *g, const qi_node *n) {
  const int w = n->n_inputs > 1 ? n->inputs[1] : -1;
  return (qi_node_op_flags(n) & QI_OPF_QUANT_LINEAR) && w >= 0 && (g->tensors[w].flags & QI_TF_CONST) &&
         g->tensors[w].dtype == QINFER_DTYPE_FLOAT && g->tensors[w].rank >= 2;
}

/* Multiply-adds of a Conv / Gemm / MatMul at the analysis graph's shapes: outputs x the reduction length (a Conv's
 * weight per output channel; else input 0's last dim, or its first for a Gemm with transA); 0 for other ops. */
static int64_t node_macs(const qi_graph *g, const qi_node *n) {
  if (!(qi_node_op_flags(n) & QI_OPF_QUANT_LINEAR) || n->n_outputs < 1 || n->outputs[0] < 0 || n->n_inputs < 2 ||
      n->inputs[0] < 0 || n->inputs[1] < 0)
    return 0;
  const qi_tensor *y = &g->tensors[n->outputs[0]], *a = &g->tensors[n->inputs[0]], *w = &g->tensors[n->inputs[1]];
  int64_t k = 0;
  if (!strcmp(n->op_type, "Conv")) k = w->rank > 0 && w->dims[0] > 0 ? qi_tensor_numel(w) / w->dims[0] : 0;
  else if (a->rank > 0) k = !strcmp(n->op_type, "Gemm") && qi_attr_int(n, "transA", 0) ? a->dims[0] : a->dims[a->rank - 1];
  const int64_t out = qi_tensor_numel(y);
  return out > 0 && k > 0 ? out * k : 0;
}

/* The bits node n runs on under options o (plan p of o): *wb its weight's (4, 8, 32 float, 0 none), *ab its
 * input activation's (8, 16, 32 float). */
static void node_bits(const qz_job *j, const qz_options *o, const qz_plan *p, const qi_node *n, int *wb, int *ab) {
  const qi_graph *g = j->g;
  const bool fl = qz_node_excluded(g, n, o) || n->inputs[0] < 0 || !p->quantize[n->inputs[0]];
  *ab = fl ? 32 : (int)qinfer_dtype_size(qz_tensor_act_dtype(o, g->tensors[n->inputs[0]].name)) * 8;
  *wb = !has_matrix_weight(g, n) ? 0 : fl ? 32 : o->weight_bits == 4 && !qz_node_named(g, n, o->w8, o->n_w8) ? 4 : 8;
}

/* Whether node n's output, or that of the node reading it alone, has a trimmed range (trimmed may be NULL). */
static bool output_trimmed(const qz_job *j, const qi_node *n, const bool *trimmed) {
  const int y = n->n_outputs > 0 ? n->outputs[0] : -1;
  if (!trimmed || y < 0) return false;
  const int r = qi_graph_sole_reader(j->g, y);
  return trimmed[y] || (r >= 0 && j->g->nodes[r].n_outputs == 1 && j->g->nodes[r].outputs[0] >= 0 &&
                        trimmed[j->g->nodes[r].outputs[0]]);
}

/* The summary table (layer, op, MACs, weight bits, activation bits, isolated SQNR: the same measure as `qinfer
 * compare --per-layer`'s isolated column) through the message callback, and the counts of res. */
static qi_status summarize(qz_job *j, const qz_options *o, const double *iso, const bool *trimmed,
                           qz_mixed_result *res) {
  qz_plan p = {0};
  QI_CHECK(qz_plan_make(j->g, o, &p, j->err));
  qz_job_message(j, "mixed precision: %-32s %-8s %12s %6s %6s %9s", "layer", "op", "MACs", "w bits", "a bits",
                 "iso dB");
  for (int i = 0; i < j->g->n_nodes; i++) {
    const qi_node *n = &j->g->nodes[i];
    const int64_t macs = n->dead ? 0 : node_macs(j->g, n);
    if (!macs) continue;
    int wb, ab;
    node_bits(j, o, &p, n, &wb, &ab);
    res->macs += macs;
    if (wb <= 8 && ab <= 8) res->macs_low += macs;
    if (wb) res->weight_bytes += qi_tensor_numel(&j->g->tensors[n->inputs[1]]) * wb / 8;
    char w[8] = "-", l[16] = "-";
    if (wb) snprintf(w, sizeof w, "%d", wb);
    if (!isnan(iso[i])) snprintf(l, sizeof l, "%.2f%s", iso[i], output_trimmed(j, n, trimmed) ? "*" : "");
    qz_job_message(j, "mixed precision: %-32s %-8s %12lld %6s %6d %9s", n->name ? n->name : "?", n->op_type,
                   (long long)macs, w, ab, l);
  }
  qz_plan_free(&p);
  qz_job_message(j,
                 "mixed precision: %.1f %% of %lld MACs run on 8 bits or fewer; their weights %lld bytes (at the "
                 "widths chosen, scales not counted); iso dB: qinfer compare's isolated SQNR (* its in-range one: a "
                 "range cut by range trimming)",
                 res->macs ? 100.0 * (double)res->macs_low / (double)res->macs : 0.0, (long long)res->macs,
                 (long long)res->weight_bytes);
  return QINFER_OK;
}

/* One promotion, in the order the search made them: node `node` raised to int8 weights, its output tensor `name`
 * to 16 bits, or the node to float. */
typedef enum { TO_W8, TO_A16, TO_FLOAT } promotion_kind;
typedef struct promotion {
  int node;
  promotion_kind kind;
  const char *name; /* the entry added to the kind's list */
} promotion;

static const char **promotion_list(qz_options *o, promotion_kind k, int **count) {
  *count = k == TO_W8 ? &o->n_w8 : k == TO_A16 ? &o->n_a16 : &o->n_exclude;
  return k == TO_W8 ? o->w8 : k == TO_A16 ? o->a16 : o->exclude;
}

static const char *const promotion_names[] = {"int8 weights", "16-bit tensor", "kept in float"};

/* Whether node n reads, alone, an unmeasured output of another node (a Relu / Clip the quantized model absorbs):
 * its measure is its producer's (measured_output). */
static bool absorbed(const qz_job *j, const qi_node *n, const double *sq) {
  const int t = n->n_inputs > 0 ? n->inputs[0] : -1;
  if (t < 0 || !isnan(sq[t]) || j->g->tensors[t].producer < 0) return false;
  const int r = qi_graph_sole_reader(j->g, t);
  return r >= 0 && &j->g->nodes[r] == n;
}

/* Fills iso[] (per node of j->g) from the measured tensors e: NAN for nodes without a name or a measure and for
 * absorbed activations. */
static void node_losses(const qz_job *j, const eval *e, double *iso) {
  for (int i = 0; i < j->g->n_nodes; i++) {
    const qi_node *n = &j->g->nodes[i];
    iso[i] = n->dead || !n->name || !n->name[0] || absorbed(j, n, e->isolated) ? NAN : node_isolated(j, n, e->isolated);
  }
}

/* Removes the entry `name` from list[0 .. *n). */
static void drop_name(const char **list, int *n, const char *name) {
  for (int i = 0; i < *n; i++)
    if (list[i] == name) {
      memmove(list + i, list + i + 1, sizeof(char *) * (size_t)(*n - i - 1));
      (*n)--;
      return;
    }
}

enum { QZ_DEMOTE_TRIES = 16 }; /* most promotions tried back once the target is reached (one evaluation each) */

/* Whether tensor t is an activation still quantized to the 8-bit type of the options. */
static bool still_8bit(const qz_job *j, const qz_options *o, int t) {
  return t >= 0 && j->plan.quantize[t] && qz_tensor_act_dtype(o, j->g->tensors[t].name) == o->act_dtype;
}

/* The tensor a 16-bit step of node n widens: of its 8-bit activation inputs and its measured output y, the one
 * whose rounding alone loses most (lowest rounding SQNR; a node's isolated SQNR includes its inputs' rounding,
 * which widening its output does not help); -1 when none is 8-bit. */
static int a16_target(const qz_job *j, const qz_options *o, const qi_node *n, int y, const double *rounding) {
  int best = still_8bit(j, o, y) ? y : -1;
  for (int k = 0; k < n->n_inputs; k++) {
    const int t = n->inputs[k];
    if (t < 0 || (j->g->tensors[t].flags & QI_TF_CONST) || !still_8bit(j, o, t) || isnan(rounding[t])) continue;
    if (best < 0 || isnan(rounding[best]) || rounding[t] < rounding[best]) best = t;
  }
  return best;
}

/* The next step up for node n (not float): int8 weights for a 4-bit weight, else a 16-bit tensor (y: a16_target's,
 * when activations are 8-bit), else float; -1 when float is out of reach (max_float float already). */
static int next_step(const qz_job *j, const qz_options *o, const qi_node *n, int y, int floats) {
  const qi_graph *g = j->g;
  if (o->weight_bits == 4 && has_matrix_weight(g, n) && !qz_node_named(g, n, o->w8, o->n_w8)) return TO_W8;
  const bool act8 = o->act_dtype == QINFER_DTYPE_UINT8 || o->act_dtype == QINFER_DTYPE_INT8;
  if (act8 && still_8bit(j, o, y)) return TO_A16;
  return floats < j->opt->max_float ? TO_FLOAT : -1;
}

/* Per node of j->g under options o: whether its MACs run on <= 8-bit weights and activations (low[i]); the
 * MACs of all nodes and of the low ones. */
static qi_status low_bit_state(qz_job *j, const qz_options *o, bool *low, int64_t *macs, int64_t *macs_low) {
  qz_plan p = {0};
  QI_CHECK(qz_plan_make(j->g, o, &p, j->err));
  *macs = *macs_low = 0;
  for (int i = 0; i < j->g->n_nodes; i++) {
    const qi_node *n = &j->g->nodes[i];
    const int64_t m = n->dead ? 0 : node_macs(j->g, n);
    int wb = 0, ab = 0;
    if (m) node_bits(j, o, &p, n, &wb, &ab);
    low[i] = m && wb <= 8 && ab <= 8;
    *macs += m;
    *macs_low += low[i] ? m : 0;
  }
  qz_plan_free(&p);
  return QINFER_OK;
}

/* The low-bit MACs a promotion of node w (measured output y) takes off 8 bits: none for int8 weights, w's own
 * for float, those of the nodes reading y as their activation for a 16-bit y. With mark, low[] is updated. */
static int64_t low_macs_lost(const qz_job *j, bool *low, promotion_kind kind, int w, int y, bool mark) {
  const qi_graph *g = j->g;
  int64_t lost = 0;
  if (kind == TO_FLOAT && low[w]) {
    lost = node_macs(g, &g->nodes[w]);
    if (mark) low[w] = false;
  } else if (kind == TO_A16) {
    for (int i = 0; i < g->n_nodes; i++)
      if (low[i] && g->nodes[i].n_inputs > 0 && g->nodes[i].inputs[0] == y) {
        lost += node_macs(g, &g->nodes[i]);
        if (mark) low[i] = false;
      }
  }
  return lost;
}

/* Per tensor of j->g: whether range trimming cuts its calibrated range under options o (NULL without trimming or
 * on out of memory: every tensor is then measured as it is). */
static bool *trimmed_tensors(qz_job *j, const qz_options *o) {
  if (j->opt->no_trim) return NULL;
  const size_t n = (size_t)j->g->n_tensors + 1;
  qz_range *full = calloc(n, sizeof *full), *cut = calloc(n, sizeof *cut);
  bool *trimmed = calloc(n, sizeof *trimmed);
  qz_plan p = {0};
  if (full && cut && trimmed && qz_plan_make(j->g, o, &p, j->err) == QINFER_OK) {
    qz_stats_ranges(j->stats, o, full);
    memcpy(cut, full, n * sizeof *cut);
    qz_ranges_trim(j->g, &p, cut);
    for (int t = 0; t < j->g->n_tensors; t++)
      trimmed[t] = full[t].set && (cut[t].min != full[t].min || cut[t].max != full[t].max);
    qz_plan_free(&p);
  } else {
    free(trimmed);
    trimmed = NULL;
  }
  free(full);
  free(cut);
  return trimmed;
}

qi_status qz_job_mixed_precision(qz_job *j, qz_options *o, qz_mixed_result *res) {
  const double target = j->opt->target_sqnr;
  const qi_graph *g = j->g;
  qinfer_quant_sample in[QZ_SQNR_SAMPLES];
  memset(in, 0, sizeof in);
  const size_t n_in = j->src.n_samples < QZ_SQNR_SAMPLES ? j->src.n_samples : QZ_SQNR_SAMPLES;
  qi_status rc = QINFER_OK;
  for (size_t k = 0; rc == QINFER_OK && k < n_in; k++) rc = qz_sample_load_in_group(&j->src, k, &in[k], j->err);
  bool *trimmed = trimmed_tensors(j, o);
  eval e = {0, calloc((size_t)g->n_tensors + 1, sizeof(double)), calloc((size_t)g->n_tensors + 1, sizeof(double)),
            calloc((size_t)g->n_tensors + 1, sizeof(double)), trimmed};
  double *iso = calloc((size_t)g->n_nodes + 1, sizeof(double));
  double *best_iso = calloc((size_t)g->n_nodes + 1, sizeof(double));
  double *scratch = calloc((size_t)g->n_tensors + 1, sizeof(double));
  bool *low = calloc((size_t)g->n_nodes + 1, sizeof(bool));
  promotion *hist = calloc((size_t)g->n_nodes * 4 + 1, sizeof(promotion)); /* at most four per node */
  const double min_low = j->opt->min_low_bit_macs;
  if (rc == QINFER_OK && (!e.tensor || !e.isolated || !e.rounding || !iso || !best_iso || !scratch || !low || !hist))
    rc = qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  if (rc == QINFER_OK)
    qz_job_message(j, "mixed precision: measuring the output SQNR on %zu sample%s (the worst counts)", n_in,
                   n_in == 1 ? "" : "s");
  const int base = o->n_exclude;
  int best_ex = base, best_w8 = 0, best_a16 = 0, n_hist = 0, best_hist = 0;
  double best = -INFINITY;
  for (int round = 0, step = 1; rc == QINFER_OK; round++, step *= 2) {
    if ((rc = evaluate(j, o, in, n_in, &e, scratch)) != QINFER_OK) break;
    qz_job_message(j,
                   "mixed precision: %d nodes float, %d int8 weights, %d 16-bit tensors, output SQNR %.2f dB "
                   "(target %.2f)",
                   o->n_exclude - base, o->n_w8, o->n_a16, e.out_sqnr, target);
    node_losses(j, &e, iso);
    if (e.out_sqnr > best) {
      best = e.out_sqnr, best_ex = o->n_exclude, best_w8 = o->n_w8, best_a16 = o->n_a16, best_hist = n_hist;
      memcpy(best_iso, iso, sizeof(double) * (size_t)g->n_nodes);
    }
    if (e.out_sqnr >= target) break;
    int64_t macs = 0, macs_low = 0;
    if ((rc = low_bit_state(j, o, low, &macs, &macs_low)) != QINFER_OK) break;
    int added = 0;
    while (added < step) {
      int w = -1;
      for (int i = 0; i < g->n_nodes; i++)
        if (!isnan(iso[i]) && (w < 0 || iso[i] < iso[w])) w = i;
      if (w < 0) break;
      const qi_node *n = &g->nodes[w];
      const double sq = iso[w];
      iso[w] = NAN;
      const int y = a16_target(j, o, n, measured_output(j, n, e.isolated), e.rounding);
      const int kind = excluded_already(o, n->name) ? -1 : next_step(j, o, n, y, o->n_exclude - base);
      if (kind < 0) continue;
      const int64_t lost = low_macs_lost(j, low, (promotion_kind)kind, w, y, false);
      if (lost && 100.0 * (double)(macs_low - lost) < min_low * (double)macs) {
        qz_job_message(j, "mixed precision: %s (%s) isolated %.2f dB: %s skipped (it would leave fewer than %.1f %% "
                       "of MACs on 8 bits or fewer)", n->name, n->op_type, sq, promotion_names[kind], min_low);
        continue;
      }
      macs_low -= low_macs_lost(j, low, (promotion_kind)kind, w, y, true);
      int *count;
      const char **list = promotion_list(o, (promotion_kind)kind, &count);
      /* each node climbs each step once (next_step), so the lists stay within finish()'s room; checked anyway */
      const int room = kind == TO_W8 ? g->n_nodes : kind == TO_A16 ? g->n_tensors : base + j->opt->max_float;
      if (*count >= room || n_hist >= g->n_nodes * 4) continue;
      const char *name = kind == TO_A16 ? g->tensors[y].name : n->name;
      list[(*count)++] = name; /* room: finish() (max_float more exclusions, every node, every tensor) */
      hist[n_hist++] = (promotion){w, (promotion_kind)kind, name};
      qz_job_message(j, "mixed precision: %s (%s) isolated %.2f dB: %s%s%s", n->name, n->op_type, sq,
                     promotion_names[kind], kind == TO_A16 ? " " : "", kind == TO_A16 ? name : "");
      added++;
    }
    if (!added) break;
  }
  /* Accuracy is not monotonic in the promotions (moving a quantization point can land it on a worse tensor):
   * keep the prefix of them that measured best (each list only grows, so a prefix of the history is a prefix of
   * each list). */
  o->n_exclude = best_ex, o->n_w8 = best_w8, o->n_a16 = best_a16;
  /* Reached: the rounds (1, 2, 4, ... promotions at once, ranked by isolated SQNRs measured before them) may have
   * overshot. Take promotions back one at a time, last first, keeping each undo that still meets the target
   * (greedy; at most QZ_DEMOTE_TRIES evaluations). */
  for (int h = best_hist - 1, tries = 0; rc == QINFER_OK && best >= target && h >= 0 && tries < QZ_DEMOTE_TRIES;
       h--, tries++) {
    int *count;
    const char **list = promotion_list(o, hist[h].kind, &count);
    drop_name(list, count, hist[h].name);
    if ((rc = evaluate(j, o, in, n_in, &e, scratch)) != QINFER_OK) break;
    const bool keep = e.out_sqnr >= target;
    qz_job_message(j, "mixed precision: %s taken back (%s): output SQNR %.2f dB: %s", g->nodes[hist[h].node].name,
                   promotion_names[hist[h].kind], e.out_sqnr, keep ? "kept" : "undone");
    if (keep) {
      best = e.out_sqnr;
      node_losses(j, &e, best_iso);
    } else {
      list[(*count)++] = hist[h].name;
    }
  }
  res->sqnr_db = best;
  if (rc == QINFER_OK && best < target)
    qz_job_message(j,
                   "mixed precision: the target %.2f dB was not reached; best %.2f dB with %d nodes float, %d int8 "
                   "weights, %d 16-bit tensors",
                   target, best, best_ex - base, best_w8, best_a16);
  res->float_nodes = o->n_exclude - base, res->w8_nodes = o->n_w8, res->a16_tensors = o->n_a16;
  if (rc == QINFER_OK) rc = summarize(j, o, best_iso, trimmed, res);
  free(e.tensor);
  free(e.isolated);
  free(e.rounding);
  free(trimmed);
  free(iso);
  free(best_iso);
  free(low);
  free(scratch);
  free(hist);
  for (size_t k = 0; k < n_in; k++) qz_sample_free(&in[k]);
  return rc;
}
