/* The SIMD attention kernel, written once for any vector width. The including file (one ISA per translation
 * unit) defines QI_ATTN_FN (the function's name), QI_ATTN_MR (query rows per block) and the vector primitives:
 *   V_T, V_W                 vector type and lanes; the tile is QI_ATTN_MR x 2 V_W
 *   V_LOAD, V_STORE          unaligned load / store of V_W floats
 *   V_LOAD_N, V_STORE_N      the first n < V_W floats (the rest read as 0, not written)
 *   V_SET1, V_ZERO, V_ADD, V_SUB, V_MUL, V_MAX, V_FMA(a, b, c) = a * b + c (one rounding)
 *   V_ROUND                  round to nearest integer (as float)
 *   V_POW2(n)                2^n for integral n in [-126, 127] (float vector), by the exponent bits
 *   V_HMAX, V_HSUM           horizontal max / sum to a float
 * Layout and contract: attention.h. Per block of rows:
 *   1. scores: s[r][j] = scale * sum_d q[r][d] kt[d][j], MR x 2W accumulators, one broadcast of q per row and d;
 *   2. softmax in place over j < kv_len: the pad columns are set to -inf for the max, exp(s - max), then 0;
 *   3. y[r][c..] = (sum_j s[r][j] v[j][c..]) / sum_r, 2W (then W, then a masked tail) columns at a time.
 * Rows past `rows` in the last block repeat the last row (same inputs, same results, same stores). */
#include <assert.h>
#include <math.h>

/* exp(x) for x <= 0 (the softmax's x - max): x = n ln2 + r, |r| <= ln2 / 2, e^r by its Taylor polynomial to
 * degree 6 (truncation < 1.2e-7 relative), times 2^n. x below -87.33 (e^x under FLT_MIN) gives 2^-126 e^r,
 * about 1e-38, which no sum of a softmax row (>= 1) notices; NaN stays NaN. */
static inline V_T attn_exp(V_T x) {
  x = V_MAX(V_SET1(-87.33654f), x); /* operand order keeps a NaN x */
  const V_T n = V_ROUND(V_MUL(x, V_SET1(1.44269504f)));
  V_T r = V_FMA(n, V_SET1(-0.693145752f), x); /* ln2 split in two: the high part is exact times n */
  r = V_FMA(n, V_SET1(-1.42860677e-6f), r);
  V_T p = V_SET1(1.0f / 720.0f);
  p = V_FMA(p, r, V_SET1(1.0f / 120.0f));
  p = V_FMA(p, r, V_SET1(1.0f / 24.0f));
  p = V_FMA(p, r, V_SET1(1.0f / 6.0f));
  p = V_FMA(p, r, V_SET1(0.5f));
  p = V_FMA(p, r, V_SET1(1.0f));
  p = V_FMA(p, r, V_SET1(1.0f));
  return V_MUL(p, V_POW2(n));
}

/* Step 1 for one block: MR x ldk scores into s. */
static inline void attn_scores(const qi_f32_attention_args *a, const float *const q[QI_ATTN_MR], float *s) {
  const V_T scale = V_SET1(a->scale);
  for (size_t j = 0; j < a->ldk; j += 2 * V_W) {
    V_T acc0[QI_ATTN_MR], acc1[QI_ATTN_MR];
    for (int r = 0; r < QI_ATTN_MR; r++) acc0[r] = acc1[r] = V_ZERO();
    const float *kt = a->kt + j;
    for (size_t d = 0; d < a->head_size; d++, kt += a->ldk) {
      const V_T k0 = V_LOAD(kt), k1 = V_LOAD(kt + V_W);
      const size_t qd = d * a->q_col;
      for (int r = 0; r < QI_ATTN_MR; r++) {
        const V_T qv = V_SET1(q[r][qd]);
        acc0[r] = V_FMA(qv, k0, acc0[r]);
        acc1[r] = V_FMA(qv, k1, acc1[r]);
      }
    }
    for (int r = 0; r < QI_ATTN_MR; r++) {
      V_STORE(s + r * a->ldk + j, V_MUL(acc0[r], scale));
      V_STORE(s + r * a->ldk + j + V_W, V_MUL(acc1[r], scale));
    }
  }
}

/* Step 2 for one row of ldk scores: exp(s - max) in place, pad columns 0; returns 1 / sum. */
static inline float attn_softmax_row(float *s, size_t kv_len, size_t ldk) {
  for (size_t j = kv_len; j < ldk; j++) s[j] = -INFINITY;
  V_T vmax = V_LOAD(s);
  for (size_t j = V_W; j < ldk; j += V_W) vmax = V_MAX(vmax, V_LOAD(s + j));
  const V_T max = V_SET1(V_HMAX(vmax));
  V_T vsum = V_ZERO();
  for (size_t j = 0; j < ldk; j += V_W) {
    const V_T e = attn_exp(V_SUB(V_LOAD(s + j), max));
    V_STORE(s + j, e);
    vsum = V_ADD(vsum, e);
  }
  float pad = 0.0f; /* what the pad columns added to the sum */
  for (size_t j = kv_len; j < ldk; j++) {
    pad += s[j];
    s[j] = 0.0f;
  }
  return 1.0f / (V_HSUM(vsum) - pad);
}

/* Step 3 for columns [c, c + cols) of the block, cols in {2W, W, 1..W-1} (one or two vectors, or a tail). */
static inline void attn_pv(const qi_f32_attention_args *a, const float *s, float *const y[QI_ATTN_MR],
                           const float inv[QI_ATTN_MR], size_t c, size_t cols) {
  const bool two = cols == 2 * V_W, tail = cols < V_W;
  V_T acc0[QI_ATTN_MR], acc1[QI_ATTN_MR];
  for (int r = 0; r < QI_ATTN_MR; r++) acc0[r] = acc1[r] = V_ZERO();
  const float *v = a->v + c;
  for (size_t j = 0; j < a->kv_len; j++, v += a->v_row) {
    const V_T v0 = tail ? V_LOAD_N(v, cols) : V_LOAD(v);
    const V_T v1 = two ? V_LOAD(v + V_W) : V_ZERO();
    for (int r = 0; r < QI_ATTN_MR; r++) {
      const V_T p = V_SET1(s[r * a->ldk + j]);
      acc0[r] = V_FMA(p, v0, acc0[r]);
      if (two) acc1[r] = V_FMA(p, v1, acc1[r]);
    }
  }
  for (int r = 0; r < QI_ATTN_MR; r++) {
    const V_T w = V_SET1(inv[r]);
    if (tail) {
      V_STORE_N(y[r] + c, V_MUL(acc0[r], w), cols);
    } else {
      V_STORE(y[r] + c, V_MUL(acc0[r], w));
      if (two) V_STORE(y[r] + c + V_W, V_MUL(acc1[r], w));
    }
  }
}

void QI_ATTN_FN(const qi_f32_attention_args *a) {
  assert(a->kv_len >= 1 && a->head_size >= 1 && a->v_head_size >= 1);
  assert(a->ldk >= a->kv_len && a->ldk % (2 * V_W) == 0);
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
    for (; c + 2 * V_W <= a->v_head_size; c += 2 * V_W) attn_pv(a, s, y, inv, c, 2 * V_W);
    if (c + V_W <= a->v_head_size) attn_pv(a, s, y, inv, c, V_W), c += V_W;
    if (c < a->v_head_size) attn_pv(a, s, y, inv, c, a->v_head_size - c);
  }
}
