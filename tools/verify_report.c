#include "tools/verify_report.h"

#include <math.h>
#include <string.h>

#include "qinfer.h"

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static void print_far(FILE *out, const qi_verify_metrics *m, int r) {
  if (m->tar_valid[r]) fprintf(out, "  %10.4f", m->tar[r]);
  else fprintf(out, "  %10s", "n/a");
}

static void print_row(FILE *out, const char *label, int dim, const qi_verify_metrics *m, bool vs, double vs_mean,
                      double vs_min) {
  fprintf(out, "%-28.28s %5d  %.4f +- %.4f  %8.5f", label, dim, m->acc_mean, m->acc_std, m->auc);
  for (int r = 0; r < QI_VERIFY_N_FAR; r++) print_far(out, m, r);
  fprintf(out, "  %9.4f", m->tar_far0);
  if (vs) fprintf(out, "  %.6f / %.6f\n", vs_mean, vs_min);
  else fprintf(out, "  %s\n", "-");
}

void qi_verify_print_table(FILE *out, const qi_verify_set *set, const char *pairs_path, const qi_verify_model *models,
                           int n_models, bool store_int8) {
  const int impostors = set->n_pairs - set->n_same;
  fprintf(out, "pairs  %s: %d pairs (%d same, %d different), %d images, %d folds (%s)\n", pairs_path, set->n_pairs,
          set->n_same, impostors, set->n_images, set->n_folds,
          set->header ? "the header's sets" : "pair k in fold k mod 10");
  for (int r = 0; r < QI_VERIFY_N_FAR; r++)
    if (!models[0].m.tar_valid[r])
      fprintf(out, "note   TAR@FAR=%g: n/a, %d impostor pairs resolve FAR down to 1/%d = %.3g only (it needs %.0f)\n",
              qi_verify_far_targets[r], impostors, impostors, 1.0 / impostors, ceil(1.0 / qi_verify_far_targets[r]));
  fprintf(out, "\n%-28s %5s  %-16s  %8s  %10s  %10s  %9s  %s\n", "model", "dim", "accuracy 10-fold", "ROC AUC",
          "TAR@1e-3", "TAR@1e-4", "TAR@FAR=0", "emb. cosine vs first: mean / min");
  for (int k = 0; k < n_models; k++) {
    const qi_verify_model *m = &models[k];
    print_row(out, base_name(m->path), m->dim, &m->m, m->has_vs_ref, m->vs_ref_mean, m->vs_ref_min);
    if (store_int8) {
      char label[64];
      snprintf(label, sizeof label, "  stored int8");
      print_row(out, label, m->dim, &m->int8_m, true, m->int8_vs_float_mean, m->int8_vs_float_min);
    }
  }
  if (!store_int8) return;
  fprintf(out, "\nstored int8: per vector, symmetric, scale = max|e| / 127 (a float32 kept beside the %s)\n",
          "int8 values; 'emb. cosine' of these rows: with the model's own float embedding");
  for (int k = 0; k < n_models; k++) {
    const qi_verify_model *m = &models[k];
    long fb = 4L * m->dim, qb = m->dim + 4L;
    fprintf(out, "  %-26.26s %ld -> %ld bytes per embedding (%.1f %% saved; %d images: %ld -> %ld bytes)\n",
            base_name(m->path), fb, qb, 100.0 * (double)(fb - qb) / (double)fb, set->n_images, fb * set->n_images,
            qb * set->n_images);
    fprintf(out, "  %-26s accuracy %+.4f, AUC %+.6f, TAR@1e-3 ", "", m->int8_m.acc_mean - m->m.acc_mean,
            m->int8_m.auc - m->m.auc);
    for (int r = 0; r < QI_VERIFY_N_FAR; r++) {
      if (r) fprintf(out, ", TAR@1e-4 ");
      if (m->m.tar_valid[r]) fprintf(out, "%+.4f", m->int8_m.tar[r] - m->m.tar[r]);
      else fprintf(out, "n/a");
    }
    fprintf(out, ", TAR@FAR=0 %+.4f\n", m->int8_m.tar_far0 - m->m.tar_far0);
  }
}

/* ---- JSON ---- */

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
    else if (*c < 0x20) fprintf(f, "\\u%04x", *c);
    else fputc(*c, f);
  }
  fputc('"', f);
}

/* Finite numbers with 17 significant digits (they round-trip); infinities and NaN as null. */
static void json_number(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.17g", v);
  else fprintf(f, "null");
}

static void json_metrics(FILE *f, const qi_verify_metrics *m, int n_folds) {
  fprintf(f, "{\"accuracy_mean\": ");
  json_number(f, m->acc_mean);
  fprintf(f, ", \"accuracy_std\": ");
  json_number(f, m->acc_std);
  fprintf(f, ", \"fold_accuracy\": [");
  for (int k = 0; k < n_folds; k++) fprintf(f, "%s", k ? ", " : ""), json_number(f, m->fold_acc[k]);
  fprintf(f, "], \"fold_threshold\": [");
  for (int k = 0; k < n_folds; k++) {
    fprintf(f, "%s", k ? ", " : "");
    if (isinf(m->fold_threshold[k])) fprintf(f, "\"%s\"", m->fold_threshold[k] > 0 ? "inf" : "-inf");
    else json_number(f, m->fold_threshold[k]);
  }
  fprintf(f, "], \"roc_auc\": ");
  json_number(f, m->auc);
  fprintf(f, ", \"tar_at_far\": {");
  for (int r = 0; r < QI_VERIFY_N_FAR; r++) {
    fprintf(f, "%s\"%g\": ", r ? ", " : "", qi_verify_far_targets[r]);
    if (m->tar_valid[r]) json_number(f, m->tar[r]);
    else fprintf(f, "null");
  }
  fprintf(f, "}, \"tar_at_far0\": ");
  json_number(f, m->tar_far0);
  fprintf(f, "}");
}

static void json_scores(FILE *f, const double *s, int n) {
  fputc('[', f);
  for (int k = 0; k < n; k++) fprintf(f, "%s", k ? ", " : ""), json_number(f, s[k]);
  fputc(']', f);
}

int qi_verify_write_json(const char *path, const qi_verify_set *set, const char *pairs_path, const char *images_dir,
                         const qi_verify_model *models, int n_models, bool store_int8) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fprintf(f, "{\n  \"qinfer_version\": ");
  json_string(f, qinfer_version());
  fprintf(f, ",\n  \"pairs_file\": ");
  json_string(f, pairs_path);
  fprintf(f, ",\n  \"images_dir\": ");
  json_string(f, images_dir);
  fprintf(f, ",\n  \"n_pairs\": %d, \"n_same\": %d, \"n_different\": %d, \"n_folds\": %d, \"folds_from_header\": %s,\n",
          set->n_pairs, set->n_same, set->n_pairs - set->n_same, set->n_folds, set->header ? "true" : "false");
  fprintf(f, "  \"images\": [");
  for (int k = 0; k < set->n_images; k++) fprintf(f, "%s", k ? ", " : ""), json_string(f, set->images[k]);
  fprintf(f, "],\n  \"pairs\": [");
  for (int k = 0; k < set->n_pairs; k++) {
    const qi_verify_pair *p = &set->pairs[k];
    fprintf(f, "%s[%d, %d, %d, %d]", k ? ", " : "", p->a, p->b, p->same, p->fold);
  }
  fprintf(f, "],\n  \"models\": [");
  for (int k = 0; k < n_models; k++) {
    const qi_verify_model *m = &models[k];
    fprintf(f, "%s\n    {\"path\": ", k ? "," : "");
    json_string(f, m->path);
    fprintf(f, ", \"dim\": %d,\n     \"metrics\": ", m->dim);
    json_metrics(f, &m->m, set->n_folds);
    fprintf(f, ",\n     \"embedding_cosine_vs_first\": ");
    if (m->has_vs_ref) {
      fprintf(f, "{\"mean\": ");
      json_number(f, m->vs_ref_mean);
      fprintf(f, ", \"min\": ");
      json_number(f, m->vs_ref_min);
      fprintf(f, "}");
    } else {
      fprintf(f, "null");
    }
    fprintf(f, ",\n     \"scores\": ");
    json_scores(f, m->scores, set->n_pairs);
    if (store_int8) {
      long fb = 4L * m->dim, qb = m->dim + 4L;
      fprintf(f, ",\n     \"int8\": {\"bytes_per_embedding_float32\": %ld, \"bytes_per_embedding_int8\": %ld, "
                 "\"bytes_saved\": %ld, \"cosine_vs_float_mean\": ", fb, qb, (fb - qb) * set->n_images);
      json_number(f, m->int8_vs_float_mean);
      fprintf(f, ", \"cosine_vs_float_min\": ");
      json_number(f, m->int8_vs_float_min);
      fprintf(f, ",\n       \"metrics\": ");
      json_metrics(f, &m->int8_m, set->n_folds);
      fprintf(f, ",\n       \"scores\": ");
      json_scores(f, m->int8_scores, set->n_pairs);
      fprintf(f, "}");
    }
    fprintf(f, "}");
  }
  fprintf(f, "\n  ]\n}\n");
  int bad = ferror(f);
  return fclose(f) != 0 || bad ? -1 : 0;
}
