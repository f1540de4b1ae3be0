/* The SIMD attention kernel, written once for any vector width. The including file (one ISA per translation
 * unit) includes kernels/f32-vec/vec-<isa>.h (the vector primitives: qv, QV_N lanes; the tile is QI_ATTN_MR x
 * 2 QV_N) and defines QI_ATTN_FN (the function's name) and QI_ATTN_MR (query rows per block).
 * Layout and contract: attention.h. Per block of rows:
 *   1. scores: s[r][j] = scale * sum_d q[r][d] kt[d][j], MR x 2W accumulators, one broadcast of q per row and d;
 *   2. softmax in place over j < kv_len: the pad columns are set to -inf for the max, exp(s - max), then 0;
 *   3. y[r][c..] = (sum_j s[r][j] v[j][c..]) / sum_r, 2W (then W, then a masked tail) columns at a time.
 * Rows past `rows` in the last block repeat the last row (same inputs, same results, same stores). */
#include <assert.h>
#include <math.h>
#include <stdbool.h>

#include "kernels/f32-attention/attention.h"
#include "kernels/f32-vec/vmath-simd.h"

/* exp(x) for x <= 0 (the softmax's x - max) by vmath-simd.h's qv_exp, x clamped at -87.33 first so that every
 * result is a normal float (>= FLT_MIN: no denormal operands in the products that follow; no sum of a softmax row,
 * which is >= 1, notices the difference). NaN stays NaN (maxps's operand order). */
static inline qv attn_exp(qv x) { return qv_exp(qv_max(qv_set1(-87.33654f), x)); }

/* Step 1 for one block: MR x ldk scores into s. */
static inline void attn_scores(const qi_f32_attention_args *a, const float *const q[QI_ATTN_MR], float *s) {
  const qv scale = qv_set1(a->scale);
  for (size_t j = 0; j < a->ldk; j += 2 * QV_N) {
    qv acc0[QI_ATTN_MR], acc1[QI_ATTN_MR];
    for (int r = 0; r < QI_ATTN_MR; r++) acc0[r] = acc1[r] = qv_zero();
    const float *kt = a->kt + j;
    for (size_t d = 0; d < a->head_size; d++, kt += a->ldk) {
      const qv k0 = qv_load(kt), k1 = qv_load(kt + QV_N);
      const size_t qd = d * a->q_col;
      for (int r = 0; r < QI_ATTN_MR; r++) {
        const qv qr = qv_set1(q[r][qd]);
        acc0[r] = qv_fma(qr, k0, acc0[r]);
        acc1[r] = qv_fma(qr, k1, acc1[r]);
      }
    }
    for (int r = 0; r < QI_ATTN_MR; r++) {
      qv_store(s + r * a->ldk + j, qv_mul(acc0[r], scale));
      qv_store(s + r * a->ldk + j + QV_N, qv_mul(acc1[r], scale));
    }
  }
}

/* Step 2 for one row of ldk scores: exp(s - max) in place, pad columns 0; returns 1 / sum. */
static inline float attn_softmax_row(float *s, size_t kv_len, size_t ldk) {
  for (size_t j = kv_len; j < ldk; j++) s[j] = -INFINITY;
  qv vmax = qv_load(s);
  for (size_t j = QV_N; j < ldk; j += QV_N) vmax = qv_max(vmax, qv_load(s + j));
  const qv max = qv_set1(qv_hmax(vmax));
  qv vsum = qv_zero();
  for (size_t j = 0; j < ldk; j += QV_N) {
    const qv e = attn_exp(qv_sub(qv_load(s + j), max));
    qv_store(s + j, e);
    vsum = qv_add(vsum, e);
  }
  float pad = 0.0f; /* what the pad columns added to the sum */
  for (size_t j = kv_len; j < ldk; j++) {
    pad += s[j];
    s[j] = 0.0f;
  }
  return 1.0f / (qv_hsum(vsum) - pad);
}

/* Step 3 for columns [c, c + cols) of the block, cols in {2W, W, 1..W-1} (one or two vectors, or a tail). */
static inline void attn_pv(const qi_f32_attention_args *a, const float *s, float *const y[QI_ATTN_MR],
                           const float inv[QI_ATTN_MR], size_t c, size_t cols) {
  const bool two = cols == 2 * QV_N, tail = cols < QV_N;
  qv acc0[QI_ATTN_MR], acc1[QI_ATTN_MR];
  for (int r = 0; r < QI_ATTN_MR; r++) acc0[r] = acc1[r] = qv_zero();
  const float *v = a->v + c;
  for (size_t j = 0; j < a->kv_len; j++, v += a->v_row) {
    const qv v0 = tail ? qv_load_tail(v, qt_make(cols)) : qv_load(v);
    const qv v1 = two ? qv_load(v + QV_N) : qv_zero();
    for (int r = 0; r < QI_ATTN_MR; r++) {
      const qv p = qv_set1(s[r * a->ldk + j]);
      acc0[r] = qv_fma(p, v0, acc0[r]);
      if (two) acc1[r] = qv_fma(p, v1, acc1[r]);
    }
  }
  for (int r = 0; r < QI_ATTN_MR; r++) {
    const qv w = qv_set1(inv[r]);
    if (tail) {
      qv_store_tail(y[r] + c, qv_mul(acc0[r], w), qt_make(cols));
    } else {
      qv_store(y[r] + c, qv_mul(acc0[r], w));
      if (two) qv_store(y[r] + c + QV_N, qv_mul(acc1[r], w));
    }
  }
}

void QI_ATTN_FN(const qi_f32_attention_args *a) {
  assert(a->kv_len >= 1 && a->head_size >= 1 && a->v_head_size >= 1);
  assert(a->ldk >= a->kv_len && a->ldk % (2 * QV_N) == 0);
  float *s = a->work;
  for (size_t i0 = 0; i0 < a->rows; i0 += QI_ATTN_MR) {
    const float *q[QI_ATTN_MR];
    float *y[QI_ATTN_MR];
    float inv[QI_ATTN_MR];
    for (int r = 0; r < QI_ATTN_MR; r++) {
      const size_t i = i0 + (size_t)r < a->rows ? i0 + (size_t)r : a->rows - 1;
      q[r] = a->q + i * a->q_row;
      y[r] = a->y + i * a->y_row;
    }
    attn_scores(a, q, s);
    for (int r = 0; r < QI_ATTN_MR; r++) inv[r] = attn_softmax_row(s + r * a->ldk, a->kv_len, a->ldk);
    size_t c = 0;
    for (; c + 2 * QV_N <= a->v_head_size; c += 2 * QV_N) attn_pv(a, s, y, inv, c, 2 * QV_N);
    if (c + QV_N <= a->v_head_size) attn_pv(a, s, y, inv, c, QV_N), c += QV_N;
    if (c < a->v_head_size) attn_pv(a, s, y, inv, c, a->v_head_size - c);
  }
}
