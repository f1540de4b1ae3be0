/* GPTQ-style error compensation (engine/quant/gptq.h: the algorithm, the factorisation, memory and work). */
#include "engine/quant/gptq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/requant.h"

/* Reverses the k x k array in place: element (a, b) <-> (k-1-a, k-1-b), that is P A P. */
static void reverse_square(double *a, int64_t k) {
  for (int64_t i = 0, n = k * k; i < n / 2; i++) {
    const double t = a[i];
    a[i] = a[n - 1 - i];
    a[n - 1 - i] = t;
  }
}

static double dot(const double *a, const double *b, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) s0 += a[i] * b[i], s1 += a[i + 1] * b[i + 1], s2 += a[i + 2] * b[i + 2], s3 += a[i + 3] * b[i + 3];
  for (; i < n; i++) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

/* Lower Cholesky factor in place (the upper triangle is not read), rows 16 at a time: each earlier row is read once
 * per block of rows. */
static bool cholesky_lower(double *a, int64_t k) {
  enum { ROWS = 16 };
  for (int64_t i0 = 0; i0 < k; i0 += ROWS) {
    const int64_t i1 = i0 + ROWS < k ? i0 + ROWS : k;
    for (int64_t j = 0; j < i1; j++) {
      const double *lj = a + j * k;
      for (int64_t i = j > i0 ? j : i0; i < i1; i++) {
        double *li = a + i * k;
        const double s = li[j] - dot(li, lj, j);
        if (i == j) {
          if (!(s > 0) || !isfinite(s)) return false;
          li[j] = sqrt(s);
        } else {
          li[j] = s / lj[j];
        }
      }
    }
  }
  return true;
}

/* L^-1 in place over the lower triangle of L: forward substitution of 16 unit columns at a time (column j0 + c of
 * L^-1 solves L x = e_{j0 + c}; a block's columns of L are no longer read once it is solved, so it is stored over
 * them). */
static bool invert_lower(double *a, int64_t k) {
  enum { COLS = 16 };
  double *x = malloc(sizeof(double) * (size_t)(k * COLS));
  if (!x) return false;
  for (int64_t j0 = 0; j0 < k; j0 += COLS) {
    const int64_t nc = j0 + COLS < k ? COLS : k - j0;
    for (int64_t i = j0; i < k; i++) {
      const double *li = a + i * k;
      double acc[COLS] = {0};
      for (int64_t m = j0; m < i; m++) {
        const double l = li[m];
        const double *xm = x + (m - j0) * COLS;
        for (int c = 0; c < COLS; c++) acc[c] -= l * xm[c];
      }
      double *xi = x + (i - j0) * COLS;
      for (int c = 0; c < COLS; c++) xi[c] = ((i == j0 + c ? 1.0 : 0.0) + acc[c]) / li[i];
    }
    for (int64_t i = j0; i < k; i++)
      for (int64_t c = 0; c < nc && j0 + c <= i; c++) a[i * k + j0 + c] = x[(i - j0) * COLS + c];
  }
  free(x);
  return true;
}

bool qz_gptq_inverse_factor(double *h, int64_t k) {
  reverse_square(h, k);
  if (!cholesky_lower(h, k) || !invert_lower(h, k)) return false;
  reverse_square(h, k);
  return true;
}

/* w[r, j] -= sum_b err[r, b] u[b0 + b, j] (b < nb; err rows `stride` apart) for j in [from, k): the block's errors applied to the k after it, in
 * tiles of 256 k (the block's rows of U stay in cache across the rows of w). */
static void lazy_update(double *w, int64_t rows, int64_t k, const double *err, int64_t stride, int64_t nb,
                        const double *u, int64_t b0, int64_t from) {
  enum { TILE = 256 };
  for (int64_t j0 = from; j0 < k; j0 += TILE) {
    const int64_t j1 = j0 + TILE < k ? j0 + TILE : k;
    for (int64_t r = 0; r < rows; r++) {
      double *wr = w + r * k;
      for (int64_t b = 0; b < nb; b++) {
        const double e = err[r * stride + b];
        if (e == 0) continue;
        const double *ub = u + (b0 + b) * k;
        for (int64_t j = j0; j < j1; j++) wr[j] -= e * ub[j];
      }
    }
  }
}

qi_status qz_gptq_quantize(const float *x, const int64_t *dims, int out_axis, const qz_weight_spec *spec,
                           const double *h, qz_weight_q *out, qi_error *err) {
  const int64_t rows = dims[out_axis], k = dims[1 - out_axis];
  const bool blocked = spec->block > 0;
  if ((blocked && spec->axis != 1 - out_axis) || (!blocked && spec->axis != out_axis))
    return qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "GPTQ needs blocks along K or one scale per output");
  /* the layout, shapes and allocations of qz_weight_quantize; every value is then replaced */
  qz_weight_spec plain = *spec;
  plain.mse = false, plain.importance = NULL;
  QI_CHECK(qz_weight_quantize(x, 2, dims, &plain, out, err));
  const int64_t bl = blocked ? spec->block : QZ_GPTQ_BATCH, nb = (k + bl - 1) / bl;
  double *u = malloc(sizeof(double) * (size_t)(k * k));
  double *w = malloc(sizeof(double) * (size_t)(rows * k));
  double *diag = malloc(sizeof(double) * (size_t)k);
  double *e = malloc(sizeof(double) * (size_t)(rows * bl));
  float *vals = malloc(sizeof(float) * (size_t)(blocked ? bl : k));
  float *scale = malloc(sizeof(float) * (size_t)rows);
  int32_t *zp = malloc(sizeof(int32_t) * (size_t)rows);
  qi_status st = QINFER_OK;
  if (!u || !w || !diag || !e || !vals || !scale || !zp) {
    st = qi_fail(err, QINFER_ERR_OUT_OF_MEMORY, "out of memory (GPTQ of a %lld x %lld weight)", (long long)rows,
                 (long long)k);
    goto done;
  }
  memcpy(u, h, sizeof(double) * (size_t)(k * k));
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < k; c++) w[r * k + c] = x[out_axis == 0 ? r * k + c : c * rows + r];
  double mean = 0;
  for (int64_t c = 0; c < k; c++) {
    diag[c] = u[c * k + c];
    if (!(diag[c] > 0)) { /* an input that is always 0: its weights do nothing */
      u[c * k + c] = 1;
      for (int64_t r = 0; r < rows; r++) w[r * k + c] = 0;
    }
    mean += u[c * k + c];
  }
  const double lambda = 0.01 * mean / (double)k;
  for (int64_t c = 0; c < k; c++) u[c * k + c] += lambda;
  if (!qz_gptq_inverse_factor(u, k)) {
    st = qi_fail(err, QINFER_ERR_INVALID_ARGUMENT, "GPTQ: the inputs' second-moment matrix (%lld x %lld) is not "
                 "positive definite after dampening", (long long)k, (long long)k);
    goto done;
  }
  int32_t qmin, qmax;
  qz_weight_qrange(spec, &qmin, &qmax);
  if (!blocked)
    for (int64_t r = 0; r < rows; r++) {
      for (int64_t c = 0; c < k; c++) vals[c] = (float)w[r * k + c];
      qz_weight_group_params(vals, spec->mse ? diag : NULL, k, spec, &scale[r], &zp[r]);
      out->group_scale[r] = scale[r], out->group_zp[r] = zp[r];
    }
  for (int64_t b = 0; b < nb; b++) {
    const int64_t b0 = b * bl, n = b0 + bl < k ? bl : k - b0;
    for (int64_t r = 0; blocked && r < rows; r++) { /* the block's scale, from the values as updated so far */
      for (int64_t c = 0; c < n; c++) vals[c] = (float)w[r * k + b0 + c];
      qz_weight_group_params(vals, spec->mse ? diag + b0 : NULL, n, spec, &scale[r], &zp[r]);
      const int64_t g = out_axis == 0 ? r * nb + b : b * rows + r;
      out->group_scale[g] = scale[r], out->group_zp[g] = zp[r];
    }
    for (int64_t c = b0; c < b0 + n; c++) {
      const double *uc = u + c * k;
      for (int64_t r = 0; r < rows; r++) {
        double *wr = w + r * k;
        const int32_t q = qi_quantize_f32((float)wr[c], scale[r], zp[r], qmin, qmax);
        const float deq = (float)(q - zp[r]) * scale[r];
        const int64_t el = out_axis == 0 ? r * k + c : c * rows + r;
        out->q[el] = (int8_t)q;
        out->deq[el] = deq;
        const double ec = (wr[c] - (double)deq) / uc[c];
        e[r * bl + (c - b0)] = ec;
        for (int64_t j = c + 1; j < b0 + n; j++) wr[j] -= ec * uc[j];
      }
    }
    lazy_update(w, rows, k, e, bl, n, u, b0, b0 + n);
  }
  for (int64_t g = 0; g < out->n_groups; g++) {
    out->scale[g] = out->group_scale[g];
    if (out->zp) out->zp[g] = out->group_zp[g];
  }
done:
  free(u), free(w), free(diag), free(e), free(vals), free(scale), free(zp);
  if (st != QINFER_OK) qz_weight_q_free(out);
  return st;
}
