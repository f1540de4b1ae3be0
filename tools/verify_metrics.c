#include "tools/verify_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double qi_verify_far_targets[QI_VERIFY_N_FAR] = {1e-3, 1e-4};

double qi_verify_cosine(const float *a, const float *b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; i++) {
    ab += (double)a[i] * b[i];
    aa += (double)a[i] * a[i];
    bb += (double)b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / (sqrt(aa) * sqrt(bb)) : 0.0;
}

typedef struct scored {
  double s;
  int same;
} scored;

static int cmp_scored(const void *x, const void *y) {
  double a = ((const scored *)x)->s, b = ((const scored *)y)->s;
  return (a > b) - (a < b);
}

static int cmp_double_desc(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a < b) - (a > b);
}

/* The threshold maximizing right answers over v[0..n) sorted by score (see the header); O(n). */
static double best_threshold(const scored *v, int n) {
  int genuine = 0;
  for (int i = 0; i < n; i++) genuine += v[i].same;
  /* t = -inf: every pair "same": right = genuine */
  int right = genuine, best = right;
  double best_t = -INFINITY;
  for (int i = 0; i < n;) {
    int j = i; /* the run of equal scores v[i..j) moves below t together */
    while (j < n && v[j].s == v[i].s) {
      right += v[j].same ? -1 : 1;
      j++;
    }
    double t = INFINITY;
    if (j < n) { /* the midpoint, or v[i].s where it rounds up to v[j].s (adjacent doubles) */
      t = (v[i].s + v[j].s) / 2;
      if (!(t < v[j].s)) t = v[i].s;
    }
    if (right > best) best = right, best_t = t;
    i = j;
  }
  return best_t;
}

static int ten_fold(const qi_verify_set *set, const double *scores, qi_verify_metrics *m) {
  scored *train = malloc((size_t)set->n_pairs * sizeof *train);
  if (!train) return -1;
  double sum = 0;
  for (int f = 0; f < set->n_folds; f++) {
    int n = 0;
    for (int k = 0; k < set->n_pairs; k++)
      if (set->pairs[k].fold != f) train[n++] = (scored){scores[k], set->pairs[k].same};
    qsort(train, (size_t)n, sizeof *train, cmp_scored);
    double t = best_threshold(train, n);
    int right = 0, total = 0;
    for (int k = 0; k < set->n_pairs; k++) {
      if (set->pairs[k].fold != f) continue;
      total++;
      right += (scores[k] > t) == (set->pairs[k].same != 0);
    }
    m->fold_threshold[f] = t;
    m->fold_acc[f] = total ? (double)right / total : 0.0;
    sum += m->fold_acc[f];
  }
  m->acc_mean = sum / set->n_folds;
  double var = 0;
  for (int f = 0; f < set->n_folds; f++) var += (m->fold_acc[f] - m->acc_mean) * (m->fold_acc[f] - m->acc_mean);
  m->acc_std = sqrt(var / set->n_folds);
  free(train);
  return 0;
}

/* Mann-Whitney: (sum of the genuine pairs' ranks, ties averaged, - G (G + 1) / 2) / (G I). Ranks are counted
 * twice (2 x rank is an integer) so every sum is exact. */
static int roc_auc(const qi_verify_set *set, const double *scores, qi_verify_metrics *m) {
  int n = set->n_pairs;
  scored *v = malloc((size_t)n * sizeof *v);
  if (!v) return -1;
  for (int k = 0; k < n; k++) v[k] = (scored){scores[k], set->pairs[k].same};
  qsort(v, (size_t)n, sizeof *v, cmp_scored);
  double twice_rank_sum = 0;
  for (int i = 0; i < n;) {
    int j = i, g = 0;
    while (j < n && v[j].s == v[i].s) g += v[j++].same;
    twice_rank_sum += (double)g * (double)(i + 1 + j); /* ranks i+1 .. j averaged: (i + 1 + j) / 2 */
    i = j;
  }
  double G = m->n_genuine, I = m->n_impostor;
  m->auc = (twice_rank_sum - G * (G + 1)) / 2 / (G * I);
  free(v);
  return 0;
}

static int tar_at_far(const qi_verify_set *set, const double *scores, qi_verify_metrics *m) {
  double *imp = malloc((size_t)m->n_impostor * sizeof *imp);
  if (!imp) return -1;
  int n = 0;
  for (int k = 0; k < set->n_pairs; k++)
    if (!set->pairs[k].same) imp[n++] = scores[k];
  qsort(imp, (size_t)n, sizeof *imp, cmp_double_desc);
  for (int r = -1; r < QI_VERIFY_N_FAR; r++) {
    long allowed = r < 0 ? 0 : (long)floor(qi_verify_far_targets[r] * n);
    if (r >= 0 && allowed == 0) {
      m->tar_valid[r] = false;
      m->tar[r] = NAN;
      continue;
    }
    double t = imp[allowed];
    int accepted = 0;
    for (int k = 0; k < set->n_pairs; k++) accepted += set->pairs[k].same && scores[k] > t;
    double tar = (double)accepted / m->n_genuine;
    if (r < 0) m->tar_far0 = tar;
    else m->tar[r] = tar, m->tar_valid[r] = true;
  }
  free(imp);
  return 0;
}

int qi_verify_metrics_compute(const qi_verify_set *set, const double *scores, qi_verify_metrics *m) {
  memset(m, 0, sizeof *m);
  if (set->n_folds > QI_VERIFY_MAX_FOLDS) return -1;
  m->n_genuine = set->n_same;
  m->n_impostor = set->n_pairs - set->n_same;
  if (ten_fold(set, scores, m) || roc_auc(set, scores, m) || tar_at_far(set, scores, m)) return -1;
  return 0;
}
