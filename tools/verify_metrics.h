/* Face-verification metrics of `qinfer eval-verify` over one similarity score per pair (docs/cli.md; the numpy
 * oracle tests/verify/verify_oracle.py computes the same definitions independently):
 *
 * - accuracy, LFW's 10-fold protocol: for each fold, the threshold t is chosen on the other folds' pairs among
 *   -inf, the midpoints between consecutive distinct scores a < b ((a + b) / 2 in double, or a where that rounds
 *   to b) and +inf, maximizing the pairs classified right
 *   ("same" when score > t; ties: the lowest t); the fold's accuracy is its share classified right at t. Mean and
 *   population standard deviation over the folds.
 * - ROC AUC: P(genuine score > impostor score) + P(equal) / 2 over all genuine x impostor pairs (the
 *   Mann-Whitney statistic, computed from ranks with ties averaged).
 * - TAR at FAR = f with N impostor pairs: k = floor(f * N) false accepts allowed; t = the (k + 1)-th highest
 *   impostor score; TAR = genuine pairs with score > t over all genuine pairs (ties at t are rejected, so the FAR
 *   reached is at most k / N). With k = 0 (N < 1 / f) the requested FAR is below what N impostors can resolve:
 *   reported as not available. TAR at FAR = 0 (t = the highest impostor score) is always given. */
#ifndef QI_TOOLS_VERIFY_METRICS_H
#define QI_TOOLS_VERIFY_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/verify_pairs.h"

enum { QI_VERIFY_N_FAR = 2 };
extern const double qi_verify_far_targets[QI_VERIFY_N_FAR]; /* 1e-3, 1e-4 */

typedef struct qi_verify_metrics {
  double acc_mean, acc_std;
  double fold_acc[QI_VERIFY_MAX_FOLDS];
  double fold_threshold[QI_VERIFY_MAX_FOLDS];
  double auc;
  double tar[QI_VERIFY_N_FAR];
  bool tar_valid[QI_VERIFY_N_FAR];
  double tar_far0;
  int n_genuine, n_impostor;
} qi_verify_metrics;

/* Cosine similarity in double; 0 when either vector is all zero. */
double qi_verify_cosine(const float *a, const float *b, size_t n);

/* The metrics of scores[k] for set->pairs[k]. Returns 0, or -1 when out of memory. */
int qi_verify_metrics_compute(const qi_verify_set *set, const double *scores, qi_verify_metrics *m);

#endif /* QI_TOOLS_VERIFY_METRICS_H */
