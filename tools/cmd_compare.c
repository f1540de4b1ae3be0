/* qinfer compare REF TEST [options]: runs two models on the same inputs and reports how far TEST's outputs (and,
 * with --per-layer, every tensor the two share) are from REF's: SQNR, cosine similarity, max and mean |diff|.
 * Made for FP32 vs INT8 (QDQ) models: a TEST tensor written by a QuantizeLinear is dequantized and compared with
 * REF's tensor of the QuantizeLinear's float input. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/session.h"
#include "loader/onnx_loader.h"
#include "tools/cli.h"
#include "tools/cli_inputs.h"
#include "engine/quant/compare_metrics.h"
#include "engine/quant/io/tensor_stats.h"

void qi_cmd_compare_usage(void) {
  printf(
      "usage: qinfer compare REF TEST [--input NAME=FILE]... [--per-layer] [--top N] [--csv FILE]\n"
      "                       [--min-sqnr DB] [--threads N] [--isa NAME] [--dim SYM=VALUE]... [--seed N]\n\n"
      "Runs models REF and TEST on the same inputs and compares the outputs they share by name: SQNR in dB\n"
      "(10*log10(sum ref^2 / sum (ref-test)^2), inf when equal), cosine similarity, max and mean |ref - test|;\n"
      "for non-float outputs the share of equal elements and the max difference. Both models must have the same\n"
      "inputs (names, dtypes, shapes). Inputs not given are filled as by 'qinfer run' (same values for both).\n\n"
      "  --input NAME=FILE  input NAME from FILE (.npy or TensorProto .pb), for both models (repeatable)\n"
      "  --per-layer        also compare every tensor the models share: a float tensor of TEST with the float\n"
      "                     tensor of REF of the same name and shape, and a TEST tensor written by a\n"
      "                     QuantizeLinear (constant scale / zero point), dequantized, with REF's tensor of the\n"
      "                     QuantizeLinear's input; printed worst SQNR first\n"
      "  --top N            per-layer rows printed (default 20; 0 = all)\n"
      "  --csv FILE         write every per-layer row (every output without --per-layer) as CSV\n"
      "  --min-sqnr DB      exit 1 if any float output's SQNR is below DB (or an output is missing or differs\n"
      "                     in shape or dtype)\n"
      "  --threads N        threads per run (default 1; 0 = one per CPU)\n"
      "  --isa NAME         auto, scalar, avx2, avxvnni, avx512vnni, neon, neondot, neoni8mm\n"
      "  --dim SYM=VALUE    bind symbolic dimension SYM (repeatable)\n"
      "  --seed N           seed of the random inputs (default 0)\n");
}

typedef struct cmp_args {
  const char *ref, *test, *csv;
  qi_cli_inputs in;
  int64_t seed, top;
  bool per_layer, has_min_sqnr;
  double min_sqnr;
} cmp_args;

/* One compared tensor. */
typedef struct row {
  const char *name;      /* REF's tensor (owned by REF's session or model) */
  const char *test_name; /* TEST's tensor */
  const char *op;        /* REF producer's op type, "input" or "?" */
  char shape[128];
  qinfer_dtype dtype;    /* float rows: FLOAT; otherwise the (common) integer dtype */
  bool is_float;
  qi_cmp_metrics m;
} row;

typedef struct rows {
  row *v;
  size_t n, cap;
} rows;

typedef struct cmp_state {
  cmp_args *a;
  qinfer_model *rm, *tm;
  qinfer_session *rs, *ts;
  qi_graph *rg, *tg; /* REF and TEST as written in their files, constants included (--per-layer) */
  rows outs, layers;
  FILE *csv;
  bool outputs_failed; /* --min-sqnr: an output below it, missing or mismatched */
} cmp_state;

enum { PARSED_HELP = -1 };

static int parse_args(int argc, char **argv, cmp_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = NULL;
    int m = qi_cli_session_option(&a->in, argc, argv, &i);
    if (m < 0) return -m;
    if (m > 0) continue;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return PARSED_HELP;
    if (!strcmp(arg, "--per-layer")) {
      a->per_layer = true;
    } else if ((m = qi_cli_option(argc, argv, &i, "--csv", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("compare", "--csv needs a file name");
      a->csv = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--top", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 0, 1000000000, &a->top))
        return qi_cli_usage_error("compare", "--top needs a number >= 0");
    } else if ((m = qi_cli_option(argc, argv, &i, "--seed", &value)) != 0) {
      if (m < 0 || !qi_cli_parse_int64(value, 0, INT64_MAX, &a->seed))
        return qi_cli_usage_error("compare", "--seed needs a number >= 0");
    } else if ((m = qi_cli_option(argc, argv, &i, "--min-sqnr", &value)) != 0) {
      char *end = NULL;
      errno = 0;
      a->min_sqnr = m < 0 ? 0 : strtod(value, &end);
      if (m < 0 || !*value || *end || errno || isnan(a->min_sqnr))
        return qi_cli_usage_error("compare", "--min-sqnr needs a number (dB)");
      a->has_min_sqnr = true;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return qi_cli_usage_error("compare", "unknown option '%s'", arg);
    } else if (!a->ref) {
      a->ref = arg;
    } else if (!a->test) {
      a->test = arg;
    } else {
      return qi_cli_usage_error("compare", "more than two models given ('%s')", arg);
    }
  }
  if (!a->test) return qi_cli_usage_error("compare", "needs two models: REF and TEST");
  return QI_EXIT_OK;
}

static bool is_float_dtype(qinfer_dtype d) {
  return d == QINFER_DTYPE_FLOAT || d == QINFER_DTYPE_DOUBLE || d == QINFER_DTYPE_FLOAT16;
}

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

static row *add_row(rows *r) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 32;
    row *v = realloc(r->v, cap * sizeof *v);
    if (!v) return NULL;
    r->v = v;
    r->cap = cap;
  }
  row *x = &r->v[r->n++];
  memset(x, 0, sizeof *x);
  return x;
}

/* ---- opening both models ---- */

/* Both sessions must take the same inputs: names, dtypes and (bound) shapes. */
static int check_same_inputs(const cmp_state *s) {
  char want[256], got[256];
  for (size_t i = 0; i < qinfer_session_input_count(s->ts); i++) {
    qinfer_tensor_info ti;
    qinfer_session_input_info(s->ts, i, &ti);
    if (qinfer_session_input_index(s->rs, ti.name) < 0)
      return qi_cli_error("REF and TEST have different inputs: TEST's input '%s' is not an input of REF", ti.name);
  }
  for (size_t i = 0; i < qinfer_session_input_count(s->rs); i++) {
    qinfer_tensor_info ri, ti;
    qinfer_session_input_info(s->rs, i, &ri);
    int j = qinfer_session_input_index(s->ts, ri.name);
    if (j < 0)
      return qi_cli_error("REF and TEST have different inputs: REF's input '%s' is not an input of TEST", ri.name);
    qinfer_session_input_info(s->ts, (size_t)j, &ti);
    if (ri.dtype != ti.dtype)
      return qi_cli_error("input '%s' is %s in REF but %s in TEST", ri.name, qinfer_dtype_name(ri.dtype),
                          qinfer_dtype_name(ti.dtype));
    if (!same_shape(&ri, &ti))
      return qi_cli_error("input '%s' has shape %s in REF but %s in TEST", ri.name,
                          qi_cli_dims_str(ri.rank, ri.dims, want, sizeof want),
                          qi_cli_dims_str(ti.rank, ti.dims, got, sizeof got));
  }
  return QI_EXIT_OK;
}

/* TEST gets exactly REF's input buffers: the files, or the random tensors qi_cli_bind_inputs made for REF. */
static int bind_test_inputs(cmp_state *s) {
  qi_cli_inputs *in = &s->a->in;
  for (size_t i = 0; i < qinfer_session_input_count(s->ts); i++) {
    qinfer_tensor_info info;
    qinfer_session_input_info(s->ts, i, &info);
    const qi_host_tensor *t = NULL;
    for (int k = 0; k < in->n_inputs; k++)
      if (!strcmp(in->inputs[k].name, info.name)) t = &in->inputs[k].tensor;
    int r = qinfer_session_input_index(s->rs, info.name);
    if (!t && r >= 0 && (size_t)r < in->n_randoms) t = &in->randoms[r];
    if (!t) return qi_cli_error("input '%s': no data for TEST", info.name);
    qinfer_status st = qinfer_session_set_input(s->ts, i, t->data, t->nbytes);
    if (st != QINFER_OK) return qi_cli_api_error(info.name, st, qinfer_session_last_error(s->ts));
  }
  return QI_EXIT_OK;
}

static int open_models(cmp_state *s) {
  cmp_args *a = s->a;
  if (a->per_layer) qinfer_session_options_set_keep_intermediates(a->in.options, 1);
  int rc = qi_cli_open_session(&a->in, a->ref, &s->rm, &s->rs, NULL, NULL);
  if (rc != QI_EXIT_OK) return rc;
  /* Not qi_cli_open_session again: the --input files are loaded once, and their shapes are already set. */
  qinfer_status st = qinfer_model_load_file(a->test, &s->tm);
  if (st != QINFER_OK) {
    s->tm = NULL;
    return qi_cli_api_error("cannot load model", st, qinfer_last_error());
  }
  for (int k = 0; k < a->in.n_inputs; k++) {
    bool found = false;
    for (size_t i = 0; i < qinfer_model_input_count(s->tm) && !found; i++) {
      qinfer_tensor_info info;
      found = qinfer_model_input_info(s->tm, i, &info) == QINFER_OK && !strcmp(info.name, a->in.inputs[k].name);
    }
    if (!found)
      return qi_cli_error("REF and TEST have different inputs: '%s' is not an input of TEST", a->in.inputs[k].name);
  }
  st = qinfer_session_create(s->tm, a->in.options, &s->ts);
  if (st != QINFER_OK) {
    const char *msg = qinfer_last_error();
    s->ts = NULL;
    return qi_cli_api_error("cannot create a session for TEST", st, msg && *msg ? msg : qinfer_model_last_error(s->tm));
  }
  if ((rc = check_same_inputs(s)) != QI_EXIT_OK) return rc;
  printf("REF    %s\nTEST   %s\n", a->ref, a->test);
  if ((rc = qi_cli_bind_inputs(&a->in, s->rs, (uint64_t)a->seed, stdout)) != QI_EXIT_OK) return rc;
  return bind_test_inputs(s);
}

static int run_both(cmp_state *s) {
  qinfer_session *sess[2] = {s->rs, s->ts};
  double ms[2];
  for (int k = 0; k < 2; k++) {
    double t0 = qi_cli_now_ms();
    qinfer_status st = qinfer_session_run(sess[k]);
    ms[k] = qi_cli_now_ms() - t0;
    if (st != QINFER_OK)
      return qi_cli_api_error(k ? "TEST run failed" : "REF run failed", st, qinfer_session_last_error(sess[k]));
  }
  printf("run    REF %.3f ms, TEST %.3f ms\n", ms[0], ms[1]);
  return QI_EXIT_OK;
}

/* ---- outputs ---- */

static void print_metric_row(const row *r, int name_width) {
  char b[4][32];
  if (r->is_float)
    printf("  %-*s %-8s %-18s %9s %10s %11s %11s\n", name_width, r->name, qinfer_dtype_name(r->dtype), r->shape,
           qi_cmp_fmt(r->m.sqnr_db, 4, b[0], 32), qi_cmp_fmt(r->m.cosine, 6, b[1], 32),
           qi_cmp_fmt(r->m.max_abs, 4, b[2], 32), qi_cmp_fmt(r->m.mean_abs, 4, b[3], 32));
  else
    printf("  %-*s %-8s %-18s equal %.2f%%, max|diff| %s\n", name_width, r->name, qinfer_dtype_name(r->dtype),
           r->shape, 100.0 * r->m.equal_share, qi_cmp_fmt(r->m.max_abs, 6, b[0], 32));
}

static int compare_outputs(cmp_state *s) {
  const cmp_args *a = s->a;
  size_t nr = qinfer_session_output_count(s->rs), nt = qinfer_session_output_count(s->ts);
  int width = 24;
  printf("outputs:\n  %-*s %-8s %-18s %9s %10s %11s %11s\n", width, "name", "dtype", "shape", "SQNR dB", "cosine",
         "max|diff|", "mean|diff|");
  int compared = 0;
  for (size_t i = 0; i < nr; i++) {
    qinfer_tensor_info ri, ti;
    const void *rd, *td;
    size_t rn, tn;
    qinfer_session_output_info(s->rs, i, &ri);
    int j = qinfer_session_output_index(s->ts, ri.name);
    if (j < 0) {
      printf("  %-*s only in REF\n", width, ri.name);
      s->outputs_failed = true;
      continue;
    }
    qinfer_session_output_info(s->ts, (size_t)j, &ti);
    char rshape[128], tshape[128];
    qi_cli_dims_str(ri.rank, ri.dims, rshape, sizeof rshape);
    qi_cli_dims_str(ti.rank, ti.dims, tshape, sizeof tshape);
    bool both_float = is_float_dtype(ri.dtype) && is_float_dtype(ti.dtype);
    if (!same_shape(&ri, &ti) || (!both_float && ri.dtype != ti.dtype)) {
      printf("  %-*s differs: REF %s %s, TEST %s %s\n", width, ri.name, qinfer_dtype_name(ri.dtype), rshape,
             qinfer_dtype_name(ti.dtype), tshape);
      s->outputs_failed = true;
      continue;
    }
    if (qinfer_session_get_output(s->rs, i, &rd, &rn) != QINFER_OK ||
        qinfer_session_get_output(s->ts, (size_t)j, &td, &tn) != QINFER_OK)
      return qi_cli_error("output '%s': cannot read it", ri.name);
    row *r = add_row(&s->outs);
    if (!r) return qi_cli_error("out of memory");
    r->name = r->test_name = ri.name;
    r->op = "output";
    snprintf(r->shape, sizeof r->shape, "%s", rshape);
    r->dtype = ri.dtype;
    r->is_float = both_float;
    qi_cmp_buffers(ri.dtype, rd, NULL, ti.dtype, td, NULL, numel(&ri), &r->m);
    print_metric_row(r, width);
    compared++;
    if (a->has_min_sqnr && r->is_float && !(r->m.sqnr_db >= a->min_sqnr)) s->outputs_failed = true;
  }
  for (size_t j = 0; j < nt; j++) {
    qinfer_tensor_info ti;
    qinfer_session_output_info(s->ts, j, &ti);
    if (qinfer_session_output_index(s->rs, ti.name) < 0) {
      printf("  %-*s only in TEST\n", width, ti.name);
      s->outputs_failed = true;
    }
  }
  if (!compared) printf("  (REF and TEST share no output)\n");
  return QI_EXIT_OK;
}

/* ---- per layer ---- */

/* REF's producer op of a tensor, from the model as written. */
static const char *ref_op(const cmp_state *s, const char *name) {
  const qi_graph *g = s->rg;
  int t = qi_graph_find_tensor(g, name);
  if (t < 0) return "?";
  int p = g->tensors[t].producer;
  if (p >= 0) return g->nodes[p].op_type;
  return (g->tensors[t].flags & QI_TF_INPUT) ? "input" : "?";
}

static bool is_const_tensor(const qi_graph *g, int t) {
  return t >= 0 && (g->tensors[t].flags & QI_TF_CONST) && g->tensors[t].data;
}

static bool is_quantize(const qi_node *n) {
  return !n->dead && !strcmp(n->op_type, "QuantizeLinear") && (!n->domain[0] || !strcmp(n->domain, "com.microsoft")) &&
         n->n_inputs >= 2 && n->inputs[0] >= 0 && n->n_outputs >= 1 && n->outputs[0] >= 0;
}

static bool is_quant_dtype(qinfer_dtype d) {
  return d == QINFER_DTYPE_UINT8 || d == QINFER_DTYPE_INT8 || d == QINFER_DTYPE_UINT16 || d == QINFER_DTYPE_INT16;
}

/* The dequantization of one tensor: parameters and the arrays they point into. */
typedef struct dequant {
  qi_cmp_quant q;
  float *scale;
  double *zp;
} dequant;

static void dequant_free(dequant *d) {
  free(d->scale);
  free(d->zp);
  memset(d, 0, sizeof *d);
}

/* Parameters of QuantizeLinear node n of a file graph for its output `out` as the session holds it (per tensor
 * or per axis, constant scale and zero point). False when they are not constants of a supported form. */
static bool quant_params(const qi_graph *g, const qi_node *n, const qinfer_tensor_info *out, dequant *d) {
  memset(d, 0, sizeof *d);
  if (!is_quant_dtype(out->dtype)) return false;
  const int st = n->inputs[1], zt = n->n_inputs > 2 ? n->inputs[2] : -1;
  if (!is_const_tensor(g, st) || (zt >= 0 && !is_const_tensor(g, zt))) return false;
  const qi_tensor *S = &g->tensors[st], *Z = zt >= 0 ? &g->tensors[zt] : NULL;
  if (S->dtype != QINFER_DTYPE_FLOAT || S->rank > 1 || qi_attr_int(n, "block_size", 0) != 0) return false;
  const int64_t np = qi_tensor_numel(S);
  if (np < 1 || (Z && qi_tensor_numel(Z) != np)) return false;
  int64_t inner = 1;
  if (np > 1) {
    int64_t axis = qi_attr_int(n, "axis", 1);
    if (axis < 0) axis += out->rank;
    if (axis < 0 || axis >= out->rank || out->dims[axis] != np) return false;
    for (int k = (int)axis + 1; k < out->rank; k++) inner *= out->dims[k];
  }
  d->scale = malloc((size_t)np * sizeof *d->scale);
  d->zp = malloc((size_t)np * sizeof *d->zp);
  if (!d->scale || !d->zp) {
    dequant_free(d);
    return false;
  }
  memcpy(d->scale, S->data, (size_t)np * sizeof *d->scale);
  for (int64_t c = 0; c < np; c++) d->zp[c] = Z ? qi_element_as_double((qinfer_dtype)Z->dtype, Z->data, c) : 0.0;
  d->q = (qi_cmp_quant){.dtype = out->dtype, .scale = d->scale, .zero_point = d->zp, .n_params = np, .inner = inner};
  return true;
}

/* The QuantizeLinear of file graph g that writes the tensor called name, or NULL. */
static const qi_node *quantize_writing(const qi_graph *g, const char *name) {
  int t = qi_graph_find_tensor(g, name);
  int p = t >= 0 ? g->tensors[t].producer : -1;
  return p >= 0 && is_quantize(&g->nodes[p]) ? &g->nodes[p] : NULL;
}

static row *layer_row(cmp_state *s, const qinfer_tensor_info *rinfo, const char *test_name) {
  row *r = add_row(&s->layers);
  if (!r) return NULL;
  r->name = rinfo->name;
  r->test_name = test_name;
  r->op = ref_op(s, rinfo->name);
  r->dtype = rinfo->dtype;
  r->is_float = true;
  qi_cli_dims_str(rinfo->rank, rinfo->dims, r->shape, sizeof r->shape);
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
static int compare_quantized(cmp_state *s, bool *covered) {
  const qi_graph *g = s->tg;
  for (int k = 0; k < g->n_order; k++) {
    const qi_node *n = &g->nodes[g->order[k]];
    if (!is_quantize(n)) continue;
    const char *xname = g->tensors[n->inputs[0]].name, *tname = g->tensors[n->outputs[0]].name;
    readable t, r;
    if (!read_tensor(s->ts, tname, &t) || !is_quant_dtype(t.info.dtype)) continue;
    dequant tq, rq = {0};
    if (!quant_params(g, n, &t.info, &tq)) continue;
    const qi_node *rn = NULL;
    bool ok = false;
    if (read_tensor(s->rs, tname, &r) && !covered[r.index] && (rn = quantize_writing(s->rg, tname)) != NULL)
      ok = same_shape(&r.info, &t.info) && quant_params(s->rg, rn, &r.info, &rq);
    if (!ok && !rn)
      ok = read_tensor(s->rs, xname, &r) && !covered[r.index] && is_float_dtype(r.info.dtype) &&
           same_shape(&r.info, &t.info);
    row *x = ok ? layer_row(s, &r.info, t.info.name) : NULL;
    if (x) {
      qi_cmp_buffers(r.info.dtype, r.data, rq.scale ? &rq.q : NULL, t.info.dtype, t.data, &tq.q, numel(&r.info), &x->m);
      covered[r.index] = true;
    }
    dequant_free(&tq);
    dequant_free(&rq);
    if (ok && !x) return qi_cli_error("out of memory");
  }
  return QI_EXIT_OK;
}

/* Float tensors of TEST against REF's of the same name and shape (graph inputs left out: they are equal). */
static int compare_floats(cmp_state *s, bool *covered) {
  for (size_t ti = 0; ti < qinfer_session_tensor_count(s->ts); ti++) {
    qinfer_tensor_info tinfo, rinfo;
    const void *td, *rd;
    size_t tn, rn;
    if (qinfer_session_tensor(s->ts, ti, &tinfo, &td, &tn) != QINFER_OK || !is_float_dtype(tinfo.dtype)) continue;
    if (qinfer_session_input_index(s->ts, tinfo.name) >= 0) continue;
    int ri = qinfer_session_tensor_index(s->rs, tinfo.name);
    if (ri < 0 || covered[ri]) continue;
    if (qinfer_session_tensor(s->rs, (size_t)ri, &rinfo, &rd, &rn) != QINFER_OK || !is_float_dtype(rinfo.dtype) ||
        !same_shape(&rinfo, &tinfo))
      continue;
    row *r = layer_row(s, &rinfo, tinfo.name);
    if (!r) return qi_cli_error("out of memory");
    qi_cmp_buffers(rinfo.dtype, rd, NULL, tinfo.dtype, td, NULL, numel(&rinfo), &r->m);
    covered[ri] = true;
  }
  return QI_EXIT_OK;
}

static int row_order(const void *x, const void *y) {
  const row *a = x, *b = y;
  int c = qi_cmp_sqnr_order(a->m.sqnr_db, b->m.sqnr_db);
  return c ? c : strcmp(a->name, b->name);
}

static void print_layers(const cmp_state *s) {
  const rows *L = &s->layers;
  size_t shown = s->a->top == 0 || (size_t)s->a->top > L->n ? L->n : (size_t)s->a->top;
  int width = 24;
  for (size_t i = 0; i < shown; i++) {
    int w = (int)strlen(L->v[i].name);
    if (w > width) width = w > 60 ? 60 : w;
  }
  printf("\nper layer, worst SQNR first (%zu of %zu):\n", shown, L->n);
  printf("  %-*s %-18s %-18s %9s %10s %11s\n", width, "tensor", "op", "shape", "SQNR dB", "cosine", "max|diff|");
  for (size_t i = 0; i < shown; i++) {
    const row *r = &L->v[i];
    char b[3][32];
    printf("  %-*s %-18s %-18s %9s %10s %11s\n", width, r->name, r->op, r->shape, qi_cmp_fmt(r->m.sqnr_db, 4, b[0], 32),
           qi_cmp_fmt(r->m.cosine, 6, b[1], 32), qi_cmp_fmt(r->m.max_abs, 4, b[2], 32));
  }
  if (L->n == 0) {
    printf("summary: no tensors compared (REF and TEST share no readable tensor)\n");
    return;
  }
  /* Rows are sorted by SQNR, NaN first: the median is taken over the others. */
  size_t first = 0;
  while (first < L->n && isnan(L->v[first].m.sqnr_db)) first++;
  size_t m = L->n - first;
  double median = NAN;
  if (m) {
    const row *v = L->v + first;
    const double lo = v[(m - 1) / 2].m.sqnr_db, hi = v[m / 2].m.sqnr_db;
    median = lo == hi ? lo : 0.5 * (lo + hi); /* lo == hi also covers two infinities */
  }
  char b[2][32];
  printf("summary: %zu tensors compared, median SQNR %s dB, worst %s dB (%s)\n", L->n, qi_cmp_fmt(median, 4, b[0], 32),
         qi_cmp_fmt(L->v[0].m.sqnr_db, 4, b[1], 32), L->v[0].name);
}

static int compare_layers(cmp_state *s) {
  /* qi_cli_model_graph-style metadata graphs drop constant data: decode both files again, constants kept. */
  qi_error err = {0};
  qi_status st = qi_onnx_load(s->rm->data, s->rm->size, s->rm->base_dir, &s->rg, &err);
  if (st != QINFER_OK) return qi_cli_api_error("reading REF's graph", st, err.msg);
  st = qi_onnx_load(s->tm->data, s->tm->size, s->tm->base_dir, &s->tg, &err);
  if (st != QINFER_OK) return qi_cli_api_error("reading TEST's graph", st, err.msg);
  bool *covered = calloc(qinfer_session_tensor_count(s->rs) + 1, sizeof *covered);
  if (!covered) return qi_cli_error("out of memory");
  int rc = compare_quantized(s, covered);
  if (rc == QI_EXIT_OK) rc = compare_floats(s, covered);
  free(covered);
  if (rc != QI_EXIT_OK) return rc;
  if (s->layers.n) qsort(s->layers.v, s->layers.n, sizeof *s->layers.v, row_order);
  print_layers(s);
  return QI_EXIT_OK;
}

/* ---- CSV ---- */

static int write_csv(cmp_state *s) {
  const rows *L = s->a->per_layer ? &s->layers : &s->outs;
  FILE *f = s->csv;
  fputs("tensor,op,shape,dtype,test_tensor,sqnr_db,cosine,max_abs_diff,mean_abs_diff,equal_share\n", f);
  for (size_t i = 0; i < L->n; i++) {
    const row *r = &L->v[i];
    char b[5][40];
    qi_cmp_csv_field(f, r->name);
    fputc(',', f);
    qi_cmp_csv_field(f, r->op);
    fputc(',', f);
    qi_cmp_csv_field(f, r->shape);
    fprintf(f, ",%s,", qinfer_dtype_name(r->dtype));
    qi_cmp_csv_field(f, r->test_name);
    fprintf(f, ",%s,%s,%s,%s,%s\n", qi_cmp_fmt(r->m.sqnr_db, 9, b[0], 40), qi_cmp_fmt(r->m.cosine, 12, b[1], 40),
            qi_cmp_fmt(r->m.max_abs, 9, b[2], 40), qi_cmp_fmt(r->m.mean_abs, 9, b[3], 40),
            qi_cmp_fmt(r->m.equal_share, 9, b[4], 40));
  }
  bool bad = ferror(f) != 0;
  bad = fclose(f) != 0 || bad;
  s->csv = NULL;
  if (bad) return qi_cli_error("cannot write '%s': %s", s->a->csv, strerror(errno));
  printf("csv    %zu rows -> %s\n", L->n, s->a->csv);
  return QI_EXIT_OK;
}

int qi_cmd_compare(int argc, char **argv) {
  cmp_args a = {.top = 20};
  cmp_state s = {.a = &a};
  int rc = qi_cli_inputs_init(&a.in, "compare", argc);
  if (rc != QI_EXIT_OK) return rc;
  rc = parse_args(argc, argv, &a);
  if (rc == PARSED_HELP) {
    qi_cmd_compare_usage();
    rc = QI_EXIT_OK;
    goto done;
  }
  if (rc != QI_EXIT_OK) goto done;
  /* Opened first so that a bad path fails before the models run. */
  if (a.csv && !(s.csv = fopen(a.csv, "w"))) {
    rc = qi_cli_error("cannot write '%s': %s", a.csv, strerror(errno));
    goto done;
  }
  if ((rc = open_models(&s)) != QI_EXIT_OK) goto done;
  if ((rc = run_both(&s)) != QI_EXIT_OK) goto done;
  if ((rc = compare_outputs(&s)) != QI_EXIT_OK) goto done;
  if (a.per_layer && (rc = compare_layers(&s)) != QI_EXIT_OK) goto done;
  if (s.csv && (rc = write_csv(&s)) != QI_EXIT_OK) goto done;
  if (a.has_min_sqnr && s.outputs_failed) {
    char b[32];
    rc = qi_cli_error("an output is below --min-sqnr %s dB, missing or mismatched",
                      qi_cmp_fmt(a.min_sqnr, 6, b, sizeof b));
  }

done:
  if (s.csv) { /* a failure before the rows were written: leave no empty or partial file */
    fclose(s.csv);
    remove(a.csv);
  }
  free(s.outs.v);
  free(s.layers.v);
  if (s.tg) qi_graph_free(s.tg);
  if (s.rg) qi_graph_free(s.rg);
  if (s.ts) qinfer_session_destroy(s.ts);
  if (s.tm) qinfer_model_destroy(s.tm);
  if (s.rs) qinfer_session_destroy(s.rs);
  if (s.rm) qinfer_model_destroy(s.rm);
  qi_cli_inputs_free(&a.in);
  return rc;
}
