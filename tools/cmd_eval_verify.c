/* qinfer eval-verify MODEL [MODEL2 ...] --pairs PAIRS --images DIR [options]: face-verification metrics of each
 * model on a list of image pairs (LFW's pairs.txt or a CSV; tools/verify_pairs.c), side by side: every image is
 * run once per model (its embedding kept), each pair scored by the cosine of its two embeddings, then 10-fold
 * accuracy, ROC AUC and TAR at FAR (tools/verify_metrics.c), the embedding cosine of each model with the first
 * per image, and with --store-int8 the same over embeddings stored as INT8 (tools/verify_report.c prints them). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/io/npy.h"
#include "qinfer_quant.h"
#include "tools/cli.h"
#include "tools/cli_image.h"
#include "tools/cli_inputs.h"
#include "tools/tensor_file.h"
#include "tools/verify_metrics.h"
#include "tools/verify_pairs.h"
#include "tools/verify_report.h"

void qi_cmd_eval_verify_usage(void) {
  printf(
      "usage: qinfer eval-verify MODEL [MODEL2 ...] --pairs PAIRS --images DIR [--preset NAME] [image options]\n"
      "                          [--json FILE] [--store-int8] [--save-embeddings DIR] [--threads N] [--isa NAME]\n\n"
      "Face verification: each image of PAIRS is run once through each MODEL (input 0 an image, output 0 the\n"
      "embedding); a pair's score is the cosine of its two embeddings. Per model: 10-fold accuracy (LFW's\n"
      "protocol: threshold chosen on 9 folds, accuracy on the 10th; mean +- std), ROC AUC, TAR at FAR 1e-3 and\n"
      "1e-4 (n/a when the impostor pairs cannot resolve that FAR) and at FAR 0, and each model's embedding cosine\n"
      "with the first model's per image (mean / min).\n\n"
      "  --pairs FILE           LFW pairs.txt ('FOLDS N' header optional; 'name i j' same person, 'name1 i name2\n"
      "                         j' different: DIR/name/name_%%04d.jpg), or FILE.csv of 'path,path,same' (paths\n"
      "                         relative to DIR: images or preprocessed .npy / .pb tensors, same 1 or 0)\n"
      "  --images DIR           the images' folder; no file may lie outside it\n"
      "  --json FILE            every metric, per-fold figure and pair score as JSON\n"
      "  --store-int8           also score embeddings stored as INT8 (per vector symmetric scale, max|e| / 127):\n"
      "                         bytes saved and the change in every metric\n"
      "  --save-embeddings DIR  write DIR/model<k>.npy: float32 [images, dim], rows in the JSON's image order\n"
      "  --threads N, --isa NAME, --dim SYM=VALUE   the sessions' options, as for 'run'\n"
      "image options (default preset: none given is an error for image files):\n%s",
      qi_cli_image_usage);
}

enum { MAX_MODELS = 16, PARSED_HELP = -1 };

typedef struct ev_args {
  const char *models[MAX_MODELS];
  int n_models;
  const char *pairs, *images, *json, *save_dir;
  bool store_int8;
  qi_cli_inputs in;
  qi_cli_image_args img;
} ev_args;

static int parse_args(int argc, char **argv, ev_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = NULL;
    char err[512];
    int m = qi_cli_session_option(&a->in, argc, argv, &i);
    if (m < 0) return -m;
    if (m > 0) continue;
    if ((m = qi_cli_image_arg(&a->img, argc, argv, &i, err, sizeof err)) != 0) {
      if (m < 0) return qi_cli_usage_error("eval-verify", "%s", err);
      continue;
    }
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return PARSED_HELP;
    if (!strcmp(arg, "--store-int8")) {
      a->store_int8 = true;
    } else if ((m = qi_cli_option(argc, argv, &i, "--pairs", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("eval-verify", "--pairs needs a file");
      a->pairs = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--images", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("eval-verify", "--images needs a folder");
      a->images = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--json", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("eval-verify", "--json needs a file name");
      a->json = value;
    } else if ((m = qi_cli_option(argc, argv, &i, "--save-embeddings", &value)) != 0) {
      if (m < 0 || !*value) return qi_cli_usage_error("eval-verify", "--save-embeddings needs a folder");
      a->save_dir = value;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return qi_cli_usage_error("eval-verify", "unknown option '%s'", arg);
    } else {
      if (a->n_models == MAX_MODELS) return qi_cli_usage_error("eval-verify", "at most %d models", MAX_MODELS);
      a->models[a->n_models++] = arg;
    }
  }
  if (a->n_models == 0) return qi_cli_usage_error("eval-verify", "needs at least one model");
  if (!a->pairs) return qi_cli_usage_error("eval-verify", "needs --pairs FILE");
  if (!a->images) return qi_cli_usage_error("eval-verify", "needs --images DIR");
  if (a->in.n_inputs > 0) return qi_cli_usage_error("eval-verify", "--input is not an option here (the pairs give the inputs)");
  return QI_EXIT_OK;
}

static int is_tensor_file(const char *path) {
  size_t n = strlen(path);
  return (n > 4 && !strcmp(path + n - 4, ".npy")) || (n > 3 && !strcmp(path + n - 3, ".pb"));
}

/* One image (or tensor file) through the session: its output 0 into emb (dim floats; *dim set on the first). */
typedef struct runner {
  qinfer_session *session;
  qinfer_tensor_info in_info;
  int64_t pre_dims[QINFER_MAX_RANK]; /* what the image preprocessing is told: the session's dims, -1 where the
                                        model's is symbolic and the session left it at 1 (no --dim) */
  size_t in_count; /* the session input's element count */
  float *buf;
  qinfer_quant_options *img;
  int dim;
} runner;

static int run_one(runner *r, const char *path, float *emb, const char *model) {
  if (is_tensor_file(path)) {
    qi_host_tensor t = {0};
    qi_error e = {0};
    if (qi_tensor_file_read(path, &t, &e) != QINFER_OK) return qi_cli_error("%s", e.msg);
    int64_t n = qi_host_tensor_numel(&t);
    int bad = t.dtype != QINFER_DTYPE_FLOAT || n != (int64_t)r->in_count;
    if (!bad) memcpy(r->buf, t.data, r->in_count * sizeof(float));
    qi_host_tensor_free(&t);
    if (bad)
      return qi_cli_error("%s: a float32 tensor of %zu elements is needed (the input '%s' of %s)", path, r->in_count,
                          r->in_info.name, model);
  } else {
    int64_t dims[4];
    qinfer_status st = qinfer_quant_image_load(r->img, path, r->in_info.rank, r->pre_dims, dims, NULL, 0);
    int64_t n = dims[0] * dims[1] * dims[2] * dims[3];
    if (st == QINFER_OK && n != (int64_t)r->in_count) {
      char a[64], b[64];
      return qi_cli_error("%s: preprocessed to %s, the input '%s' of %s is %s (bind its symbolic dims with --dim)",
                          path, qi_cli_dims_str(4, dims, a, sizeof a), r->in_info.name, model,
                          qi_cli_dims_str(r->in_info.rank, r->in_info.dims, b, sizeof b));
    }
    if (st == QINFER_OK) st = qinfer_quant_image_load(r->img, path, r->in_info.rank, r->pre_dims, dims, r->buf, r->in_count);
    if (st != QINFER_OK) return qi_cli_api_error("cannot read the image", st, qinfer_quant_options_last_error(r->img));
  }
  qinfer_status st = qinfer_session_set_input(r->session, 0, r->buf, r->in_count * sizeof(float));
  if (st == QINFER_OK) st = qinfer_session_run(r->session);
  if (st != QINFER_OK) return qi_cli_api_error(path, st, qinfer_session_last_error(r->session));
  const void *data;
  size_t nbytes;
  st = qinfer_session_get_output(r->session, 0, &data, &nbytes);
  if (st != QINFER_OK) return qi_cli_api_error(path, st, qinfer_session_last_error(r->session));
  if (nbytes != (size_t)r->dim * sizeof(float))
    return qi_cli_error("%s: output 0 has %zu bytes, %d floats expected", model, nbytes, r->dim);
  memcpy(emb, data, nbytes);
  return QI_EXIT_OK;
}

/* All images of the set through one model into m->emb. */
static int embed_all(ev_args *a, const qi_verify_set *set, qi_verify_model *m) {
  qinfer_model *model = NULL;
  runner r = {.img = a->img.options};
  int rc = qi_cli_open_session(&a->in, m->path, &model, &r.session, NULL, NULL);
  if (rc != QI_EXIT_OK) return rc;
  qinfer_tensor_info out;
  if (qinfer_session_input_count(r.session) != 1 || qinfer_session_output_count(r.session) < 1) {
    rc = qi_cli_error("%s: a model with one input (the image) is needed, this one has %zu", m->path,
                      qinfer_session_input_count(r.session));
    goto out;
  }
  qinfer_session_input_info(r.session, 0, &r.in_info);
  qinfer_session_output_info(r.session, 0, &out);
  if (out.dtype != QINFER_DTYPE_FLOAT) {
    rc = qi_cli_error("%s: output 0 ('%s') is %s; the embedding must be float", m->path, out.name,
                      qinfer_dtype_name(out.dtype));
    goto out;
  }
  if (r.in_info.dtype != QINFER_DTYPE_FLOAT) {
    rc = qi_cli_error("%s: input '%s' is %s; an image input is float", m->path, r.in_info.name,
                      qinfer_dtype_name(r.in_info.dtype));
    goto out;
  }
  qinfer_tensor_info decl = r.in_info; /* the model's declaration of the same input (symbolic dims -1) */
  for (size_t i = 0; i < qinfer_model_input_count(model); i++) {
    qinfer_tensor_info t;
    if (qinfer_model_input_info(model, i, &t) == QINFER_OK && !strcmp(t.name, r.in_info.name) && t.rank == decl.rank)
      decl = t;
  }
  r.in_count = 1;
  for (int d = 0; d < r.in_info.rank; d++) {
    r.in_count *= (size_t)r.in_info.dims[d];
    r.pre_dims[d] = decl.dims[d] < 0 && r.in_info.dims[d] == 1 ? -1 : r.in_info.dims[d];
  }
  int64_t dim = 1;
  for (int d = 0; d < out.rank; d++) dim *= out.dims[d];
  if (dim < 1 || dim > (1 << 24)) {
    rc = qi_cli_error("%s: output 0 has %lld values; an embedding of 1 .. 2^24 is needed", m->path, (long long)dim);
    goto out;
  }
  r.dim = m->dim = (int)dim;
  r.buf = malloc(r.in_count * sizeof(float));
  m->emb = malloc((size_t)set->n_images * (size_t)dim * sizeof(float));
  if (!r.buf || !m->emb) {
    rc = qi_cli_error("out of memory");
    goto out;
  }
  for (int k = 0; k < set->n_images && rc == QI_EXIT_OK; k++)
    rc = run_one(&r, set->images[k], m->emb + (size_t)k * (size_t)dim, m->path);
out:
  free(r.buf);
  qinfer_session_destroy(r.session);
  qinfer_model_destroy(model);
  return rc;
}

static void score_pairs(const qi_verify_set *set, const float *emb, int dim, double *scores) {
  for (int k = 0; k < set->n_pairs; k++)
    scores[k] = qi_verify_cosine(emb + (size_t)set->pairs[k].a * dim, emb + (size_t)set->pairs[k].b * dim, (size_t)dim);
}

/* INT8 storage of one embedding, dequantized: scale = max|e| / 127 (float), q = round-half-even(e / scale). */
static void int8_roundtrip(const float *e, float *out, int dim) {
  float maxabs = 0;
  for (int i = 0; i < dim; i++) maxabs = fmaxf(maxabs, fabsf(e[i]));
  float scale = maxabs > 0 ? maxabs / 127.0f : 1.0f;
  for (int i = 0; i < dim; i++) {
    float q = nearbyintf(e[i] / scale);
    out[i] = fminf(fmaxf(q, -127.0f), 127.0f) * scale;
  }
}

static int evaluate(const qi_verify_set *set, qi_verify_model *models, int n_models, bool store_int8) {
  for (int k = 0; k < n_models; k++) {
    qi_verify_model *m = &models[k];
    if (!(m->scores = malloc((size_t)set->n_pairs * sizeof *m->scores))) return qi_cli_error("out of memory");
    score_pairs(set, m->emb, m->dim, m->scores);
    if (qi_verify_metrics_compute(set, m->scores, &m->m)) return qi_cli_error("out of memory");
    if (k > 0 && m->dim == models[0].dim) {
      m->has_vs_ref = true;
      m->vs_ref_mean = 0;
      m->vs_ref_min = INFINITY;
      for (int i = 0; i < set->n_images; i++) {
        double c = qi_verify_cosine(m->emb + (size_t)i * m->dim, models[0].emb + (size_t)i * m->dim, (size_t)m->dim);
        m->vs_ref_mean += c / set->n_images;
        m->vs_ref_min = fmin(m->vs_ref_min, c);
      }
    }
    if (!store_int8) continue;
    float *q = malloc((size_t)set->n_images * (size_t)m->dim * sizeof *q);
    m->int8_scores = malloc((size_t)set->n_pairs * sizeof *m->int8_scores);
    if (!q || !m->int8_scores) return free(q), qi_cli_error("out of memory");
    m->int8_vs_float_mean = 0;
    m->int8_vs_float_min = INFINITY;
    for (int i = 0; i < set->n_images; i++) {
      const float *e = m->emb + (size_t)i * m->dim;
      int8_roundtrip(e, q + (size_t)i * m->dim, m->dim);
      double c = qi_verify_cosine(e, q + (size_t)i * m->dim, (size_t)m->dim);
      m->int8_vs_float_mean += c / set->n_images;
      m->int8_vs_float_min = fmin(m->int8_vs_float_min, c);
    }
    score_pairs(set, q, m->dim, m->int8_scores);
    free(q);
    if (qi_verify_metrics_compute(set, m->int8_scores, &m->int8_m)) return qi_cli_error("out of memory");
  }
  return QI_EXIT_OK;
}

static int save_embeddings(const char *dir, const qi_verify_set *set, const qi_verify_model *models, int n_models) {
  if (!qi_cli_make_dirs(dir)) return qi_cli_error("cannot create %s: %s", dir, strerror(errno));
  for (int k = 0; k < n_models; k++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/model%d.npy", dir, k);
    int64_t dims[2] = {set->n_images, models[k].dim};
    qi_error e = {0};
    if (qi_npy_write(path, QINFER_DTYPE_FLOAT, 2, dims, models[k].emb,
                     (size_t)set->n_images * (size_t)models[k].dim * sizeof(float), &e) != QINFER_OK)
      return qi_cli_error("%s", e.msg);
  }
  return QI_EXIT_OK;
}

int qi_cmd_eval_verify(int argc, char **argv) {
  ev_args a = {0};
  int rc = qi_cli_inputs_init(&a.in, "eval-verify", argc);
  if (rc != QI_EXIT_OK) return rc;
  if (qinfer_quant_options_create(&a.img.options) != QINFER_OK) {
    qi_cli_inputs_free(&a.in);
    return qi_cli_error("out of memory");
  }
  qi_verify_set set = {0};
  qi_verify_model models[MAX_MODELS] = {{0}};
  rc = parse_args(argc, argv, &a);
  if (rc == PARSED_HELP) {
    qi_cmd_eval_verify_usage();
    rc = QI_EXIT_OK;
    goto out;
  }
  if (rc != QI_EXIT_OK) goto out;
  char err[2048];
  if (qi_verify_pairs_read(a.pairs, a.images, &set, err, sizeof err)) {
    rc = qi_cli_error("%s", err);
    goto out;
  }
  if (a.json) { /* fail before the models run */
    FILE *f = fopen(a.json, "a");
    if (!f) {
      rc = qi_cli_error("cannot write %s: %s", a.json, strerror(errno));
      goto out;
    }
    fclose(f);
  }
  for (int k = 0; k < a.n_models && rc == QI_EXIT_OK; k++) {
    models[k].path = a.models[k];
    fprintf(stderr, "eval-verify: %s: %d images\n", a.models[k], set.n_images);
    rc = embed_all(&a, &set, &models[k]);
  }
  if (rc == QI_EXIT_OK) rc = evaluate(&set, models, a.n_models, a.store_int8);
  if (rc != QI_EXIT_OK) goto out;
  qi_verify_print_table(stdout, &set, a.pairs, models, a.n_models, a.store_int8);
  if (a.save_dir && (rc = save_embeddings(a.save_dir, &set, models, a.n_models)) != QI_EXIT_OK) goto out;
  if (a.json && qi_verify_write_json(a.json, &set, a.pairs, a.images, models, a.n_models, a.store_int8))
    rc = qi_cli_error("cannot write %s: %s", a.json, strerror(errno));
out:
  for (int k = 0; k < a.n_models; k++) {
    free(models[k].emb);
    free(models[k].scores);
    free(models[k].int8_scores);
  }
  qi_verify_set_free(&set);
  qinfer_quant_options_destroy(a.img.options);
  qi_cli_inputs_free(&a.in);
  return rc;
}
