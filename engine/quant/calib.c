/* Calibration statistics and the four range-selection methods (docs/quantization.md, "Calibration").
 *
 *   minmax      the smallest and largest value seen over all samples;
 *   percentile  the range that keeps `percentile` % of the values on each side (the lower end only for
 *               tensors that go negative), read from a histogram over the min / max range;
 *   entropy     the range [max(min, -t), min(max, t)] whose 256-level quantization of the histogram is closest
 *               (KL divergence) to the observed distribution, exact zeros left out, never clipping into the
 *               percentile range (the section "entropy" below);
 *   mse         the range with the least expected squared quantization error over the histogram, both ends searched,
 *               exact zeros left out (engine/quant/range_mse.c).
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
  double zeros; /* values exactly 0 (pass 2): always exact, left out of the entropy search */
  bool seen;
  double *ch_sum;   /* per channel (axis 1), pass 1 */
  double *ch_sq;    /* per channel (axis 1): sums of squares (the activation-weighted weight search) */
  int64_t channels; /* of ch_sum; -1: not collected (the channel count changed) */
  double ch_count;  /* values summed per channel */
  double *last_sq;  /* sums of squares along the last axis (rank >= 3: a MatMul's K), pass 1 */
  int64_t last_len; /* of last_sq; -1: not collected */
  double last_count;
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
  for (int i = 0; i < s->n_tensors; i++) free(s->t[i].hist), free(s->t[i].ch_sum), free(s->t[i].ch_sq), free(s->t[i].last_sq);
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

/* Sums of squares along the last axis of a rank >= 3 tensor (a MatMul reads its K there). */
static void add_last_axis_squares(tensor_stats *t, const float *x, int rank, const int64_t *dims) {
  const int64_t len = dims[rank - 1];
  if (rank < 3 || t->last_len < 0 || len < 1) return;
  if (t->last_sq && t->last_len != len) {
    free(t->last_sq), t->last_sq = NULL, t->last_len = -1;
    return;
  }
  if (!t->last_sq) {
    if (!(t->last_sq = calloc((size_t)len, sizeof(double)))) return;
    t->last_len = len;
  }
  int64_t rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= dims[d];
  for (int64_t r = 0, e = 0; r < rows; r++)
    for (int64_t k = 0; k < len; k++, e++) t->last_sq[k] += (double)x[e] * x[e];
  t->last_count += (double)rows;
}

void qz_stats_add_channel_sums(qz_stats *s, int tensor, const float *x, int rank, const int64_t *dims) {
  tensor_stats *t = &s->t[tensor];
  if (rank < 2 || t->channels < 0 || dims[1] < 1) return;
  add_last_axis_squares(t, x, rank, dims);
  if (t->ch_sum && t->channels != dims[1]) {
    free(t->ch_sum), free(t->ch_sq), t->ch_sum = t->ch_sq = NULL, t->channels = -1;
    return;
  }
  if (!t->ch_sum) {
    t->ch_sum = calloc((size_t)dims[1], sizeof(double));
    t->ch_sq = calloc((size_t)dims[1], sizeof(double));
    if (!t->ch_sum || !t->ch_sq) {
      free(t->ch_sum), free(t->ch_sq), t->ch_sum = t->ch_sq = NULL;
      return;
    }
    t->channels = dims[1];
  }
  int64_t inner = 1;
  for (int d = 2; d < rank; d++) inner *= dims[d];
  for (int64_t o = 0, e = 0; o < dims[0]; o++)
    for (int64_t c = 0; c < dims[1]; c++) {
      double sum = 0, sq = 0;
      for (int64_t i = 0; i < inner; i++, e++) sum += x[e], sq += (double)x[e] * x[e];
      t->ch_sum[c] += sum;
      t->ch_sq[c] += sq;
    }
  t->ch_count += (double)(dims[0] * inner);
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
    t->zeros += v == 0;
    long b = width > 0 ? (long)((v - t->min) / width) : 0;
    b = b < 0 ? 0 : (b >= s->bins ? s->bins - 1 : b);
    t->hist[b] += 1.0;
  }
  t->count += (double)n;
}

/* ---- methods ---- */

/* The bins [*bottom, *top] that hold `pct` % of the values with at most (100 - pct) % left out at each end (at the
 * top only when the tensor is non-negative). */
static void percentile_bins(const tensor_stats *t, int bins, double pct, int *bottom, int *top) {
  double total = 0;
  for (int b = 0; b < bins; b++) total += t->hist[b];
  const double tail = total * (1.0 - pct / 100.0);
  double acc = 0;
  int hi = bins - 1;
  for (; hi > 0 && acc + t->hist[hi] <= tail; hi--) acc += t->hist[hi];
  acc = 0;
  int lo = 0;
  if (t->min < 0)
    for (; lo < bins - 1 && acc + t->hist[lo] <= tail; lo++) acc += t->hist[lo];
  *bottom = lo, *top = hi;
}

static void percentile_range(const tensor_stats *t, int bins, double pct, float *lo, float *hi) {
  const double width = (t->max - t->min) / bins;
  int bottom, top;
  percentile_bins(t, bins, pct, &bottom, &top);
  *hi = (float)(t->min + (top + 1) * width);
  *lo = (float)(t->min + bottom * width);
  if (t->min >= 0) *lo = (float)t->min;
  if (*hi > t->max) *hi = (float)t->max;
}

/* ---- entropy (docs/quantization.md, "Calibration methods") ----
 *
 * Candidates are the ranges [max(min, -t), min(max, t)] for magnitudes t on the histogram's bin grid (ONNX
 * Runtime's family: a symmetric threshold clipped to the observed range, so a non-negative tensor keeps its lower
 * end and only its top moves), each taken as whole bins [bl, bh] and at least `levels` bins wide. For each, P is
 * the histogram over those bins with the values outside added to the end bins, Q the same bins quantized as the
 * runtime does: `levels` levels with the first at the range's low end and the last at its high end (bin centre c
 * goes to level round(c / step)), each level's mass (outliers left out) spread evenly over its non-empty bins.
 * The range with the least KL(P || Q) wins. Exact zeros are left out of both: 0 is a level of every range (the
 * zero point), so they are never in error, and as one spike in one bin (half a Relu's output) they would only
 * punish every range whose levels are wider than a bin (the old search's collapse to max / 4 on ResNet-18). A
 * range whose end bin is empty while values lie beyond it has Q = 0 where P > 0 (infinite KL): not a candidate.
 * KL counts how many values are clipped, not by how much, so a sparse tail far out (a few values carrying a good
 * part of a tensor's energy) is clipped to the bulk however large it is. Two guards: candidates stop where they
 * would clip into the percentile method's range (`percentile`, 99.99 % by default), so entropy never clips more
 * values than percentile does at either end; and a candidate is taken only if its expected squared error (the
 * mse method's model: step^2 / 12 inside, the squared distance to the end outside; exact zeros left out) is no
 * larger than that of the whole range, so entropy never expects more error than minmax on a tensor, and its
 * clipping part is no larger than its rounding part: clipping errors all have one sign, so the averages
 * downstream (pooling, a LayerNorm's ReduceMean, long dot products) keep them while they average rounding out.
 *
 * Per level j with mass M_j over N_j non-empty bins, sum_i p_i log(p_i / q_i) = sum_i h_i log h_i - M_j log(M_j /
 * N_j) over its interior bins, so with prefix sums of h, h log h and [h > 0] each candidate costs O(levels). */

typedef struct kl_prefix {
  double *h, *hlogh, *nz; /* sums over bins [0, i) */
} kl_prefix;

/* KL(P || Q) of bins [bl, bh] (module comment); DBL_MAX when Q misses mass P has. */
static double kl_of_range(const double *h, int bins, const kl_prefix *s, int bl, int bh, int levels) {
  const int n = bh - bl + 1;
  const double total = s->h[bins], left = s->h[bl], right = total - s->h[bh + 1];
  const double inside = total - left - right;
  if (inside <= 0 || (left > 0 && h[bl] <= 0) || (right > 0 && h[bh] <= 0)) return DBL_MAX;
  const double step = (double)n / (levels - 1); /* bins per level step */
  double sum = 0; /* sum_i p_i log p_i - sum_i p_i log q_i, unnormalised */
  int a = 0;
  for (int j = 0; j < levels && a < n; j++) {
    /* bins i of level j: round((i + 0.5) / step) == j, i.e. i < (j + 0.5) * step - 0.5 */
    int b = j == levels - 1 ? n : (int)ceil((j + 0.5) * step - 0.5);
    if (b > n) b = n;
    if (b <= a) continue;
    const double mass = s->h[bl + b] - s->h[bl + a], nz = s->nz[bl + b] - s->nz[bl + a];
    if (mass > 0) sum += (s->hlogh[bl + b] - s->hlogh[bl + a]) - mass * log(mass / nz);
    /* the end bins also carry the outliers: p = h + outliers there, q unchanged */
    const double q = mass > 0 ? mass / nz : 0;
    if (a == 0 && left > 0) sum += (h[bl] + left) * log((h[bl] + left) / q) - h[bl] * log(h[bl] / q);
    if (b == n && right > 0) sum += (h[bh] + right) * log((h[bh] + right) / q) - h[bh] * log(h[bh] / q);
    a = b;
  }
  /* normalised: sum_i (p_i / P) log((p_i / P) / (q_i / Q)), P = total, Q = inside */
  return sum / total + log(inside / total);
}

/* Expected squared error of quantizing h (exact zeros left out) to `levels` levels over bins [bl, bh], in squared
 * bin widths: step^2 / 12 per value inside, (distance to the range's end)^2 per value outside (bin centres), the
 * latter also in *clipped. */
static double sq_error_of_range(const double *h, int bins, int bl, int bh, int levels, double *clipped) {
  const double step = (double)(bh + 1 - bl) / (levels - 1);
  double inside = 0, clip = 0;
  for (int i = 0; i < bins; i++) {
    const double c = i + 0.5, d = i < bl ? bl - c : (i > bh ? c - (bh + 1) : 0);
    if (i < bl || i > bh) clip += h[i] * d * d;
    else inside += h[i];
  }
  *clipped = clip;
  return clip + inside * step * step / 12;
}

static void entropy_range(const tensor_stats *t, int bins, int levels, double pct, float *lo, float *hi) {
  const double width = (t->max - t->min) / bins;
  int keep_lo, keep_hi; /* the percentile method's bins: never clipped (module comment) */
  percentile_bins(t, bins, pct, &keep_lo, &keep_hi);
  double *h = malloc(sizeof(double) * (size_t)bins);
  kl_prefix s = {calloc((size_t)bins + 1, sizeof(double)), calloc((size_t)bins + 1, sizeof(double)),
                 calloc((size_t)bins + 1, sizeof(double))};
  if (!h || !s.h || !s.hlogh || !s.nz || levels < 2 || levels > bins || !(width > 0 && width < DBL_MAX))
    goto done; /* keeps [min, max] (also for an infinite one) */
  memcpy(h, t->hist, sizeof(double) * (size_t)bins);
  if (t->min <= 0 && t->max >= 0) {
    long z = (long)((0 - t->min) / width);
    z = z >= bins ? bins - 1 : z;
    h[z] = fmax(0.0, h[z] - t->zeros);
  }
  for (int i = 0; i < bins; i++) {
    s.h[i + 1] = s.h[i] + h[i];
    s.hlogh[i + 1] = s.hlogh[i] + (h[i] > 0 ? h[i] * log(h[i]) : 0);
    s.nz[i + 1] = s.nz[i] + (h[i] > 0);
  }
  if (s.h[bins] <= 0) goto done;
  const double m = fmax(-t->min, t->max);
  double clip;
  const double full_error = sq_error_of_range(h, bins, 0, bins - 1, levels, &clip);
  double best = DBL_MAX;
  int best_bl = 0, best_bh = bins - 1, prev_bl = -1, prev_bh = -1;
  for (int k = 0;; k++) { /* t = m - k * width, from the full range down */
    const double thr = m - k * width;
    const double rlo = fmax(t->min, -thr), rhi = fmin(t->max, thr);
    int bl = (int)floor((rlo - t->min) / width), bh = (int)ceil((rhi - t->min) / width) - 1;
    bl = bl < 0 ? 0 : bl;
    bh = bh >= bins ? bins - 1 : bh;
    if (bh - bl + 1 < levels) break;
    if (bl > keep_lo || bh < keep_hi) break;
    if (bl == prev_bl && bh == prev_bh) continue;
    prev_bl = bl, prev_bh = bh;
    const double kl = kl_of_range(h, bins, &s, bl, bh, levels);
    if (kl >= best) continue;
    const double err = sq_error_of_range(h, bins, bl, bh, levels, &clip);
    if (err <= full_error && clip <= err - clip) best = kl, best_bl = bl, best_bh = bh;
  }
  *lo = best_bl == 0 ? (float)t->min : (float)(t->min + best_bl * width);
  *hi = best_bh == bins - 1 ? (float)t->max : (float)(t->min + (best_bh + 1) * width);
done:
  free(h), free(s.h), free(s.hlogh), free(s.nz);
}

/* Quantization levels of an activation: 256 for 8-bit types; 16-bit ones have more than the histogram has bins,
 * so the entropy and mse searches keep their whole range. */
static int act_levels(const qz_options *o) {
  return o->act_dtype == QINFER_DTYPE_UINT16 || o->act_dtype == QINFER_DTYPE_INT16 ? 65536 : 256;
}

void qz_stats_ranges(const qz_stats *s, const qz_options *o, qz_range *ranges) {
  for (int i = 0; i < s->n_tensors; i++) {
    const tensor_stats *t = &s->t[i];
    ranges[i].set = t->seen;
    ranges[i].ch_sum = t->channels > 0 ? t->ch_sum : NULL;
    ranges[i].channels = t->channels;
    ranges[i].ch_count = t->ch_count;
    ranges[i].ch_sq = t->channels > 0 ? t->ch_sq : NULL;
    ranges[i].last_sq = t->last_len > 0 ? t->last_sq : NULL;
    ranges[i].last_len = t->last_len;
    ranges[i].last_count = t->last_count;
    if (!t->seen) continue;
    float lo = (float)t->min, hi = (float)t->max;
    if (t->hist && t->max > t->min) {
      if (o->method == QZ_PERCENTILE) percentile_range(t, s->bins, o->percentile, &lo, &hi);
      else if (o->method == QZ_ENTROPY) entropy_range(t, s->bins, act_levels(o), o->percentile, &lo, &hi);
      else if (o->method == QZ_MSE) qz_range_mse(t->hist, s->bins, t->min, t->max, t->zeros, act_levels(o), &lo, &hi);
    }
    ranges[i].min = lo;
    ranges[i].max = hi;
  }
}
