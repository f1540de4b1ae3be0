/* What `qinfer eval-verify` prints and writes: the side-by-side table and the JSON file (docs/cli.md). */
#ifndef QI_TOOLS_VERIFY_REPORT_H
#define QI_TOOLS_VERIFY_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "tools/verify_metrics.h"
#include "tools/verify_pairs.h"

/* One model's results. With --store-int8, int8_* hold the same over the embeddings stored as INT8. */
typedef struct qi_verify_model {
  const char *path;
  int dim;
  float *emb;         /* n_images x dim */
  double *scores;     /* per pair */
  qi_verify_metrics m;
  bool has_vs_ref;    /* model k > 0 with the first model's dim */
  double vs_ref_mean, vs_ref_min; /* cosine of each image's embedding with the first model's */
  double *int8_scores;
  qi_verify_metrics int8_m;
  double int8_vs_float_mean, int8_vs_float_min; /* cosine of each INT8-stored embedding with its float one */
} qi_verify_model;

void qi_verify_print_table(FILE *out, const qi_verify_set *set, const char *pairs_path, const qi_verify_model *models,
                           int n_models, bool store_int8);
/* Returns 0, or -1 when the file cannot be written (errno set). */
int qi_verify_write_json(const char *path, const qi_verify_set *set, const char *pairs_path, const char *images_dir,
                         const qi_verify_model *models, int n_models, bool store_int8);

#endif /* QI_TOOLS_VERIFY_REPORT_H */
