/* The `mse` calibration method (docs/quantization.md, "Calibration methods"): the range of an activation with the
 * least expected squared quantization error on its histogram.
 *
 * Positions are in bin widths from the histogram's low end (bin i holds [i, i + 1), centre c_i = i + 0.5); values
 * exactly 0 are taken out of their bin first (0 is a level of every range, the zero point, so they are never in
 * error, and as half of a Relu's output they would weigh the rounding term as if they were not). A candidate keeps
 * the bins [bl, bh], so its ends are L = bl and U = bh + 1 (bl = 0 and bh = bins - 1: the observed min and max);
 * the range written is [min(L, z), max(U, z)] (z: where 0 lies), whose `levels` levels are `s` = (max - min) /
 * (levels - 1) apart. Its expected error is
 *
 *     E(bl, bh) = sum_{i < bl} h_i (L - c_i)^2  +  sum_{i > bh} h_i (c_i - U)^2  +  (sum_{bl <= i <= bh} h_i) s^2 / 12
 *
 * (clipping to the ends, uniform rounding noise inside: s >= 1 bin is required, so a step spans at least a bin).
 * Every pair of ends is tried, the low end only on the negative side of 0 and the high end only on the positive
 * side (a non-negative tensor keeps its low end), each term from prefix sums of h, h c and h c^2 in O(1); the least
 * E wins, the widest range on ties (the scan starts from the whole range). A signed tensor costs up to
 * (bins / 2)^2 candidates: a million for 2048 bins, milliseconds. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant/quantize.h"

void qz_range_mse(const double *hist, int bins, double min, double max, double zeros, int levels, float *lo,
                  float *hi) {
  *lo = (float)min, *hi = (float)max;
  const double width = (max - min) / bins;
  if (!(width > 0 && width < DBL_MAX) || levels < 2 || levels - 1 > bins) return; /* nothing to search */
  double *p = malloc(sizeof(double) * 3 * ((size_t)bins + 1));
  if (!p) return; /* keeps [min, max] */
  double *H = p, *C1 = p + bins + 1, *C2 = p + 2 * ((size_t)bins + 1);
  const double z = -min / width; /* where 0 lies */
  long zb = -1;                   /* the bin of 0, when 0 is inside [min, max] */
  if (min <= 0 && max >= 0) zb = (long)z >= bins ? bins - 1 : (long)z;
  H[0] = C1[0] = C2[0] = 0;
  for (int i = 0; i < bins; i++) {
    const double h = hist[i] - (i == zb ? fmin(zeros, hist[i]) : 0), c = i + 0.5;
    H[i + 1] = H[i] + h, C1[i + 1] = C1[i] + h * c, C2[i + 1] = C2[i] + h * c * c;
  }
  const double total = H[bins], t1 = C1[bins], t2 = C2[bins];
  const int bl_last = min < 0 ? (int)(zb < 0 ? bins - 1 : zb) : 0;        /* low ends at or below 0 */
  const int bh_first = max > 0 ? (int)(zb < 0 ? 0 : zb) : bins - 1;        /* high ends at or above 0 */
  const double q = 1.0 / ((double)(levels - 1) * (levels - 1) * 12.0);
  double best = DBL_MAX;
  int best_bl = 0, best_bh = bins - 1;
  for (int bl = 0; bl <= bl_last; bl++) {
    const double L = bl;
    const double clip_lo = fmax(0.0, L * L * H[bl] - 2 * L * C1[bl] + C2[bl]);
    for (int bh = bins - 1; bh >= bh_first && bh >= bl; bh--) {
      const double U = bh + 1.0, span = fmax(U, z) - fmin(L, z);
      if (span < levels - 1) break; /* a step under one bin: the histogram cannot model it */
      const double above = total - H[bh + 1];
      const double clip_hi = fmax(0.0, (t2 - C2[bh + 1]) - 2 * U * (t1 - C1[bh + 1]) + U * U * above);
      const double e = clip_lo + clip_hi + (H[bh + 1] - H[bl]) * span * span * q;
      if (e < best) best = e, best_bl = bl, best_bh = bh;
    }
  }
  free(p);
  if (best_bl > 0) *lo = (float)(min + best_bl * width);
  if (best_bh < bins - 1) *hi = (float)(min + (best_bh + 1) * width);
}
