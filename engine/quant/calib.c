/* Calibration statistics and the four range-selection methods (docs/quantization.md, "Calibration").
 *
 *   minmax      the smallest and largest value seen over all samples;
 *   percentile  the range that keeps `percentile` % of the values on each side (the lower end only for
 *               tensors that go negative), read from a histogram over the min / max range;
 *   entropy     the clipping threshold whose quantized distribution is closest (KL divergence) to the
 *               observed one, searched over histogram bin edges: upper threshold over [0, max] for
 *               non-negative tensors (256 levels), a symmetric threshold over |x| otherwise (128 levels);
 *   mse         the range [a * min, a * max] (a = 0.97^k, 1 down to 0.008) with the least expected squared quantization
 *               error: clipping error of the values outside plus scale^2 / 12 rounding noise inside.
 * Histograms have `bins` equal bins over the pass-1 [min, max]; values are counted in doubles. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/quantize.h"

typedef struct tensor_stats {
  double min, max;
  double *hist; /* bins counts over [min, max] (pass 2) */
  double count;
  bool seen;
} tensor_stats;

struct qz_stats {
  int n_tensors, bins;
  tensor_stats *t;
};

qz_stats *qz_stats_new(const qi_graph *g, const qz_plan *plan, int bins) {
  qz_stats *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->n_tensors = g->n_tensors;
  s->bins = bins;
  s->t = calloc((size_t)g->n_tensors + 1, sizeof(tensor_stats));
  if (!s->t) {
    free(s);
    return NULL;
  }
  for (int i = 0; i < g->n_tensors; i++) {
    s->t[i].min = DBL_MAX;
    s->t[i].max = -DBL_MAX;
  }
  (void)plan;
  return s;
}

void qz_stats_free(qz_stats *s) {
  if (!s) return;
  for (int i = 0; i < s->n_tensors; i++) free(s->t[i].hist);
  free(s->t);
  free(s);
}

void qz_stats_add_minmax(qz_stats *s, int tensor, const float *x, size_t n) {
  tensor_stats *t = &s->t[tensor];
  float lo = (float)t->min, hi = (float)t->max;
  if (!t->seen) lo = FLT_MAX, hi = -FLT_MAX;
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    if (v < lo) lo = v; /* NaN compares false: ignored */
    if (v > hi) hi = v;
  }
  if (n) {
    t->min = lo;
    t->max = hi;
    t->seen = true;
  }
}

bool qz_method_needs_histogram(qz_method m) { return m != QZ_MINMAX; }

void qz_stats_add_histogram(qz_stats *s, int tensor, const float *x, size_t n) {
  tensor_stats *t = &s->t[tensor];
  if (!t->seen) return;
  if (!t->hist && !(t->hist = calloc((size_t)s->bins, sizeof(double)))) return;
  const double width = (t->max - t->min) / s->bins;
  for (size_t i = 0; i < n; i++) {
    const double v = x[i];
    if (!(v == v)) continue;
    long b = width > 0 ? (long)((v - t->min) / width) : 0;
    b = b < 0 ? 0 : (b >= s->bins ? s->bins - 1 : b);
    t->hist[b] += 1.0;
  }
  t->count += (double)n;
}

/* ---- methods ---- */

static void percentile_range(const tensor_stats *t, int bins, double pct, float *lo, float *hi) {
  const double width = (t->max - t->min) / bins;
  double total = 0;
  for (int b = 0; b < bins; b++) total += t->hist[b];
  const double tail = total * (1.0 - pct / 100.0);
  double acc = 0;
  int top = bins - 1;
  for (; top > 0 && acc + t->hist[top] <= tail; top--) acc += t->hist[top];
  *hi = (float)(t->min + (top + 1) * width);
  acc = 0;
  int bottom = 0;
  if (t->min < 0)
    for (; bottom < bins - 1 && acc + t->hist[bottom] <= tail; bottom++) acc += t->hist[bottom];
  *lo = (float)(t->min + bottom * width);
  if (t->min >= 0) *lo = (float)t->min;
  if (*hi > t->max) *hi = (float)t->max;
}

/* KL(P || Q) of a reference distribution P and its quantized version over `n` bins and `levels` levels. */
static double kl_for_threshold(const double *h, int n, int total_bins, int levels) {
  /* P: bins [0, n) with everything above folded into the last bin */
  double *p = malloc(sizeof(double) * (size_t)n);
  double *q = calloc((size_t)n, sizeof(double));
  if (!p || !q) {
    free(p), free(q);
    return DBL_MAX;
  }
  for (int i = 0; i < n; i++) p[i] = h[i];
  for (int i = n; i < total_bins; i++) p[n - 1] += h[i];
  /* Q: the clipped histogram (outliers left out, unlike P) merged into `levels` groups, each group's mass spread
   * evenly over its non-empty bins: clipping costs through P's last bin, rounding through the merge */
  const double per = (double)n / levels;
  for (int l = 0; l < levels; l++) {
    const int b0 = (int)(l * per), b1 = l == levels - 1 ? n : (int)((l + 1) * per);
    double mass = 0;
    int nonzero = 0;
    for (int i = b0; i < b1; i++) {
      mass += h[i];
      nonzero += h[i] > 0;
    }
    for (int i = b0; i < b1; i++)
      if (h[i] > 0) q[i] = mass / nonzero;
  }
  double sp = 0, sq = 0, kl = 0;
  for (int i = 0; i < n; i++) sp += p[i], sq += q[i];
  for (int i = 0; i < n; i++) {
    if (p[i] <= 0) continue;
    const double pi = p[i] / sp, qi = q[i] > 0 ? q[i] / sq : 1e-12;
    kl += pi * log(pi / qi);
  }
  free(p), free(q);
  return kl;
}

static void entropy_range(const tensor_stats *t, int bins, float *lo, float *hi) {
  /* magnitude histogram over [0, m] with `bins` bins */
  const bool unsigned_range = t->min >= 0;
  const double m = unsigned_range ? t->max : fmax(fabs(t->min), fabs(t->max));
  const int levels = unsigned_range ? 256 : 128;
  double *h = calloc((size_t)bins, sizeof(double));
  if (!h || m <= 0) {
    free(h);
    *lo = (float)t->min, *hi = (float)t->max;
    return;
  }
  const double width = (t->max - t->min) / bins;
  for (int b = 0; b < bins; b++) {
    const double center = fabs(t->min + (b + 0.5) * width);
    int k = (int)(center / m * bins);
    h[k >= bins ? bins - 1 : k] += t->hist[b];
  }
  int best = bins;
  double best_kl = DBL_MAX;
  const int step = bins / 256 > 1 ? bins / 256 : 1;
  for (int n = levels; n <= bins; n += step) {
    const double kl = kl_for_threshold(h, n, bins, levels);
    if (kl < best_kl) best_kl = kl, best = n;
  }
  free(h);
  const double thr = m * best / bins;
  *hi = (float)fmin(t->max, thr);
  *lo = unsigned_range ? (float)t->min : (float)fmax(t->min, -thr);
}

static double mse_of_range(const tensor_stats *t, int bins, double lo, double hi, int levels) {
  const double width = (t->max - t->min) / bins;
  const double scale = (hi - lo) / (levels - 1);
  double err = 0;
  for (int b = 0; b < bins; b++) {
    if (t->hist[b] <= 0) continue;
    const double c = t->min + (b + 0.5) * width;
    if (c < lo) err += t->hist[b] * (lo - c) * (lo - c);
    else if (c > hi) err += t->hist[b] * (c - hi) * (c - hi);
    else err += t->hist[b] * scale * scale / 12.0;
  }
  return err;
}

static void mse_range(const tensor_stats *t, int bins, float *lo, float *hi) {
  double best = DBL_MAX, best_a = 1.0;
  const double rlo = fmin(t->min, 0.0), rhi = fmax(t->max, 0.0);
  double a = 1.0;
  for (int i = 0; i < 160; i++, a *= 0.97) { /* 1.0 down to about 0.008 */
    const double e = mse_of_range(t, bins, rlo * a, rhi * a, 256);
    if (e < best) best = e, best_a = a;
  }
  *lo = (float)(rlo * best_a);
  *hi = (float)(rhi * best_a);
}

void qz_stats_ranges(const qz_stats *s, const qz_options *o, qz_range *ranges) {
  for (int i = 0; i < s->n_tensors; i++) {
    const tensor_stats *t = &s->t[i];
    ranges[i].set = t->seen;
    if (!t->seen) continue;
    float lo = (float)t->min, hi = (float)t->max;
    if (t->hist && t->max > t->min) {
      if (o->method == QZ_PERCENTILE) percentile_range(t, s->bins, o->percentile, &lo, &hi);
      else if (o->method == QZ_ENTROPY) entropy_range(t, s->bins, &lo, &hi);
      else if (o->method == QZ_MSE) mse_range(t, s->bins, &lo, &hi);
    }
    ranges[i].min = lo;
    ranges[i].max = hi;
  }
}
