/* The target-SQNR search (qinfer_quant_options_set_target_sqnr, `qinfer quantize --target-sqnr DB`): mixed
 * precision by measurement (docs/quantization.md, "Mixed precision").
 *
 * Each round builds the INT8 model of the current options in memory, runs it with qinfer's integer kernels on the
 * first QZ_SQNR_SAMPLES calibration samples (fewer when there are fewer), and compares it with the FP32 model (the
 * calibration session, which keeps every tensor) on each, shape by shape (an INT8 session per shape among them,
 * the FP32 session rebuilt only when the shape changes): the worst output SQNR over those samples decides whether
 * to stop, and the per-layer SQNRs (each tensor's worst over the samples) rank the nodes. A node's loss is the
 * SQNR of its quantized inputs minus that of its quantized output: the accuracy the node itself throws away
 * (mostly its output's 8-bit step, against its values' spread). The 1, 2, 4, ... nodes that lose most are added to
 * the exclusions (kept in float with their activations on both sides) until the output reaches the target or
 * max_float nodes are float; the prefix of that ranking that measured best is kept. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/compare_metrics.h"
#include "engine/quant/job.h"
#include "engine/quant/writer/onnx_writer.h"

enum { QZ_SQNR_SAMPLES = 4 }; /* samples the search measures on (docs/quantization.md, "Mixed precision") */

typedef struct eval {
  double out_sqnr;   /* lowest output SQNR over the samples measured */
  double *tensor;    /* per analysis-graph tensor: SQNR of its dequantized INT8 value, NAN when unknown */
} eval;

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

static int32_t const_zp(const qi_graph *g, int t) { return t < 0 ? 0 : qi_tensor_int_at(&g->tensors[t], 0); }

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
        qinfer_session_tensor(q, (size_t)qi, &info, &qd, &qn) != QINFER_OK || rn != qn * sizeof(float))
      continue;
    if (qn > cap) {
      float *grown = realloc(deq, qn * sizeof(float));
      if (!grown) break;
      deq = grown, cap = qn;
    }
    const float scale = const_scalar_f(qg, n->inputs[1], 0);
    const int32_t zp = const_zp(qg, n->n_inputs > 2 ? n->inputs[2] : -1);
    const bool s8 = info.dtype == QINFER_DTYPE_INT8;
    for (size_t k = 0; k < qn; k++) {
      const int32_t v = s8 ? ((const int8_t *)qd)[k] : ((const uint8_t *)qd)[k];
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
  }
  for (int t = 0; t < j->g->n_tensors; t++) scratch[t] = NAN;
  layer_sqnrs(j, s, qg, scratch);
  for (int t = 0; t < j->g->n_tensors; t++) /* the worst sample's, where measured */
    if (!isnan(scratch[t]) && (isnan(e->tensor[t]) || scratch[t] < e->tensor[t])) e->tensor[t] = scratch[t];
  return QINFER_OK;
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
  for (int t = 0; t < j->g->n_tensors; t++) e->tensor[t] = NAN;
  int order[QZ_SQNR_SAMPLES];
  const int n_groups = qz_job_group_order(j, n_in, order);
  for (int k = 0; rc == QINFER_OK && k < n_groups; k++)
    rc = measure_group(j, m, qg, order[k], in, n_in, e, scratch);
  qinfer_model_destroy(m);
  free(buf);
  qi_graph_free(qg);
  return rc;
}

/* The measured SQNR at tensor t or, through the chain of producers' first non-constant inputs (a lookup-table
 * region, a value-preserving op), at the nearest measured tensor upstream; NAN when none within 16 steps. */
static double upstream_sqnr(const qz_job *j, int t, const double *sq) {
  for (int steps = 0; t >= 0 && steps < 16; steps++) {
    if (!isnan(sq[t])) return sq[t];
    const int p = j->g->tensors[t].producer;
    if (p < 0) return NAN;
    const qi_node *n = &j->g->nodes[p];
    int next = -1;
    for (int k = 0; k < n->n_inputs && next < 0; k++)
      if (n->inputs[k] >= 0 && !(j->g->tensors[n->inputs[k]].flags & QI_TF_CONST)) next = n->inputs[k];
    t = next;
  }
  return NAN;
}

/* A node's loss: the worst SQNR reaching its inputs minus the SQNR of its (measured) output, or of the Relu /
 * Clip output it feeds alone. NAN when either side was not measured. */
static double node_loss(const qz_job *j, const qi_node *n, const double *sq) {
  double in = INFINITY;
  for (int k = 0; k < n->n_inputs; k++) {
    const int t = n->inputs[k];
    if (t < 0 || (j->g->tensors[t].flags & QI_TF_CONST)) continue;
    const double v = upstream_sqnr(j, t, sq);
    if (isnan(v)) return NAN;
    in = v < in ? v : in;
  }
  if (!isfinite(in) || n->n_outputs < 1 || n->outputs[0] < 0) return NAN;
  int y = n->outputs[0];
  if (isnan(sq[y])) { /* an absorbed activation: the measured tensor is its output */
    const int r = qi_graph_sole_reader(j->g, y);
    if (r >= 0 && j->g->nodes[r].n_outputs == 1) y = j->g->nodes[r].outputs[0];
  }
  return isnan(sq[y]) ? NAN : in - sq[y];
}

static bool excluded_already(const qz_options *o, const char *name) {
  for (int i = 0; i < o->n_exclude; i++)
    if (strcmp(o->exclude[i], name) == 0) return true;
  return false;
}

qi_status qz_job_mixed_precision(qz_job *j, qz_options *o, double *sqnr_db) {
  const double target = j->opt->target_sqnr;
  const int max_float = j->opt->max_float;
  qinfer_quant_sample in[QZ_SQNR_SAMPLES];
  memset(in, 0, sizeof in);
  const size_t n_in = j->src.n_samples < QZ_SQNR_SAMPLES ? j->src.n_samples : QZ_SQNR_SAMPLES;
  qi_status rc = QINFER_OK;
  for (size_t k = 0; rc == QINFER_OK && k < n_in; k++) rc = qz_sample_load_in_group(&j->src, k, &in[k], j->err);
  eval e = {0, calloc((size_t)j->g->n_tensors + 1, sizeof(double))};
  double *loss = calloc((size_t)j->g->n_nodes + 1, sizeof(double));
  double *scratch = calloc((size_t)j->g->n_tensors + 1, sizeof(double));
  if (rc == QINFER_OK && (!e.tensor || !loss || !scratch))
    rc = qi_fail(j->err, QINFER_ERR_OUT_OF_MEMORY, "out of memory");
  if (rc == QINFER_OK)
    qz_job_message(j, "mixed precision: measuring the output SQNR on %zu sample%s (the worst counts)", n_in,
                   n_in == 1 ? "" : "s");
  const int base = o->n_exclude;
  int best_count = base;
  double best = -INFINITY;
  for (int round = 0, step = 1; rc == QINFER_OK; round++, step *= 2) {
    if ((rc = evaluate(j, o, in, n_in, &e, scratch)) != QINFER_OK) break;
    qz_job_message(j, "mixed precision: %d nodes float, output SQNR %.2f dB (target %.2f)", o->n_exclude - base,
                   e.out_sqnr, target);
    if (e.out_sqnr > best) best = e.out_sqnr, best_count = o->n_exclude;
    if (e.out_sqnr >= target || o->n_exclude - base >= max_float) break;
    for (int i = 0; i < j->g->n_nodes; i++) {
      const qi_node *n = &j->g->nodes[i];
      loss[i] = n->dead || !n->name || !n->name[0] || excluded_already(o, n->name) ? NAN : node_loss(j, n, e.tensor);
    }
    int added = 0;
    while (added < step && o->n_exclude - base < max_float) {
      int best = -1;
      for (int i = 0; i < j->g->n_nodes; i++)
        if (!isnan(loss[i]) && (best < 0 || loss[i] > loss[best])) best = i;
      if (best < 0 || loss[best] <= 0) break;
      o->exclude[o->n_exclude++] = j->g->nodes[best].name; /* room for max_float more: finish() */
      qz_job_message(j, "mixed precision: keeping %s (%s) in float: it loses %.2f dB", j->g->nodes[best].name,
                     j->g->nodes[best].op_type, loss[best]);
      loss[best] = NAN;
      added++;
    }
    if (!added) break;
  }
  /* Accuracy is not monotonic in the float set (moving a quantization point can land it on a worse tensor):
   * keep the prefix of the ranking that measured best. */
  o->n_exclude = best_count;
  *sqnr_db = best;
  if (rc == QINFER_OK && best < target)
    qz_job_message(j, "mixed precision: the target %.2f dB was not reached; best %.2f dB with %d nodes float", target,
                   best, best_count - base);
  free(e.tensor);
  free(loss);
  free(scratch);
  for (size_t k = 0; k < n_in; k++) qz_sample_free(&in[k]);
  return rc;
}
