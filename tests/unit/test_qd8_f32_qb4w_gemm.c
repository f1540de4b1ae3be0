/* Tester of the dynamic W4A8 family (kernels/qd8-f32-qb4w-gemm): every config of its list against a naive oracle
 * that reads the float activations and the 4-bit source (kernels/qb4w.h), never the packed form, with tolerance
 * 0: the row quantizer (ONNX Runtime's CompInt8 rule, written here with nearbyintf on the quotient's operands)
 * and the gemm (int64 sums of q * (q_w - zp), then the float order of qd8-f32-qb4w-gemm.h). Grid: int4 / uint4,
 * zero points given or MatMulNBits' default 8, per-column and blocks of 16 / 32 / 64 / 128 / 256, K of 1, odd,
 * below / at / past the block, M and N in 1..2 tiles + 3, bias, clamps, strided C; rounding ties of the quantizer
 * (amax 127: inv is 1 and every x.5 is a tie), zero and constant blocks, extremes (codes +-127 against nibbles 0 /
 * 15 and the opposite zero point, K = 4096). A path this CPU lacks is reported as skipped. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/qd8-f32-qb4w-gemm/qd8-f32-qb4w-gemm.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static uint32_t rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}
static float frand(uint32_t *s) { return (float)(rnd(s) & 0xffff) / 32768.0f - 1.0f; }

/* The oracle's quantizer: per block, scale = amax / 127, q = nearbyint(a * (127 / amax)) (0 when amax is 0). */
static void oracle_quantize(size_t k, size_t bl, const float *a, int8_t *q, float *scale, int32_t *sum) {
  for (size_t b = 0; b * bl < k; b++) {
    float amax = 0.0f;
    for (size_t i = b * bl; i < k && i < (b + 1) * bl; i++) amax = fmaxf(amax, fabsf(a[i]));
    const float inv = amax == 0.0f ? 0.0f : 127.0f / amax;
    scale[b] = amax / 127.0f;
    sum[b] = 0;
    for (size_t i = b * bl; i < (b + 1) * bl; i++) {
      const long v = i < k ? lrintf(a[i] * inv) : 0;
      q[i] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
      sum[b] += q[i];
    }
  }
}

typedef struct qd8_case {
  size_t m, n, k, block; /* block 0: one per column */
  bool is_signed, zp, bias;
  float qmin, qmax;      /* clamp as fractions of the output range: 0 / 1 disable it */
  int a_mode;            /* 0 random, 1 ties (amax 127, x.5 values), 2 extremes (+-amax, zero blocks) */
} qd8_case;

static void run_case(const qi_qd8_f32_qb4w_gemm_config *cfg, const qd8_case *t, uint32_t *seed) {
  const size_t m = t->m, n = t->n, k = t->k, sblock = t->block ? t->block : k;
  const size_t bl = t->block ? t->block : (k + 7) / 8 * 8, nb = (k + bl - 1) / bl, snb = (k + sblock - 1) / sblock;
  uint8_t *w = malloc((n * k + 1) / 2), *zp = malloc((n * snb + 1) / 2);
  float *scale = malloc(n * snb * sizeof(float)), *bias = malloc(n * sizeof(float)), *a = malloc(m * k * sizeof(float));
  for (size_t i = 0; i < (n * k + 1) / 2; i++) w[i] = t->a_mode == 2 ? (i % 3 ? 0xff : 0x00) : (uint8_t)rnd(seed);
  for (size_t i = 0; i < (n * snb + 1) / 2; i++) zp[i] = t->a_mode == 2 ? (i % 2 ? 0x00 : 0xff) : (uint8_t)rnd(seed);
  for (size_t i = 0; i < n * snb; i++) scale[i] = (0.01f + (float)(rnd(seed) % 1000) / 5000.0f) * (i % 7 == 3 ? -1.0f : 1.0f);
  for (size_t i = 0; i < n; i++) bias[i] = frand(seed);
  for (size_t i = 0; i < m * k; i++) {
    if (t->a_mode == 1) a[i] = (float)((int)(rnd(seed) % 255) - 127) + ((rnd(seed) & 1) ? 0.5f : 0.0f);
    else if (t->a_mode == 2) a[i] = (i / 16) % 3 == 0 ? 0.0f : ((rnd(seed) & 1) ? 3.0f : -3.0f);
    else a[i] = frand(seed) * (1.0f + (float)(i % 5));
  }
  if (t->a_mode == 1)
    for (size_t i = 0; i < m * k; i += bl) a[i] = 127.0f; /* amax 127 in each block: inv = 1 */
  const qi_qb4w_source src = {.m = n, .k = k, .block = sblock, .w = w, .w_m_stride = k, .w_k_stride = 1,
                              .w_signed = t->is_signed, .scale = scale, .scale_m_stride = snb, .scale_b_stride = 1,
                              .zero_point = t->zp ? zp : NULL, .zp_m_stride = snb, .zp_b_stride = 1,
                              .zero_point_default = t->is_signed ? 0 : 8};
  void *packed = malloc(qi_qd8_f32_qb4w_gemm_packed_size(cfg, n, k, bl));
  qi_qd8_f32_qb4w_gemm_pack(cfg, &src, bl, t->bias ? bias : NULL, packed);

  /* quantized rows: the kernel's row quantizer must equal the oracle's byte for byte */
  const size_t a_stride = nb * bl;
  int8_t *q = malloc(m * a_stride), *q_ref = malloc(m * a_stride);
  float *as = malloc(m * nb * sizeof(float)), *as_ref = malloc(m * nb * sizeof(float));
  int32_t *sum = malloc(m * nb * sizeof(int32_t)), *sum_ref = malloc(m * nb * sizeof(int32_t));
  memset(q, 0x5a, m * a_stride);
  for (size_t r = 0; r < m; r++) {
    cfg->quantize_row(k, bl, a + r * k, q + r * a_stride, as + r * nb, sum + r * nb);
    oracle_quantize(k, bl, a + r * k, q_ref + r * a_stride, as_ref + r * nb, sum_ref + r * nb);
  }
  const bool q_ok = memcmp(q, q_ref, m * a_stride) == 0 && memcmp(as, as_ref, m * nb * sizeof(float)) == 0 &&
                    memcmp(sum, sum_ref, m * nb * sizeof(int32_t)) == 0;
  CHECK_MSG(q_ok, "%s: rows %zu x K %zu, bl %zu, mode %d differ from the oracle's", cfg->quantize_name, m, k, bl,
            t->a_mode);

  /* oracle output from the source and the oracle's rows */
  float *ref = malloc(m * n * sizeof(float));
  float lo = INFINITY, hi = -INFINITY;
  for (size_t r = 0; r < m; r++)
    for (size_t j = 0; j < n; j++) {
      float f = t->bias ? bias[j] : 0.0f;
      for (size_t b = 0; b < nb; b++) {
        int64_t d = 0;
        const size_t sb = b * bl / sblock;
        for (size_t i = b * bl; i < k && i < (b + 1) * bl; i++)
          d += (int64_t)q_ref[r * a_stride + i] * (qi_qb4w_q(&src, j, i) - qi_qb4w_zp(&src, j, sb));
        CHECK(d >= INT32_MIN && d <= INT32_MAX);
        const float s = as_ref[r * nb + b] * qi_qb4w_scale(&src, j, sb);
        const float prod = (float)d * s;
        f = f + prod;
      }
      ref[r * n + j] = f;
      lo = fminf(lo, f), hi = fmaxf(hi, f);
    }
  qi_qd8_f32_qb4w_params p = {-INFINITY, INFINITY, bl};
  if (t->qmin > 0.0f) p.min = lo + (hi - lo) * t->qmin;
  if (t->qmax < 1.0f) p.max = lo + (hi - lo) * t->qmax;
  const size_t c_stride = n + 3;
  float *c = malloc((m * c_stride + 1) * sizeof(float));
  for (size_t i = 0; i < m * c_stride + 1; i++) c[i] = 12345.0f;
  for (size_t r0 = 0; r0 < m; r0 += cfg->mr) {
    const size_t rows = m - r0 < cfg->mr ? m - r0 : cfg->mr;
    cfg->ukernel(rows, n, k, q_ref + r0 * a_stride, a_stride, as_ref + r0 * nb, sum_ref + r0 * nb, nb, packed,
                 c + r0 * c_stride, c_stride, &p);
  }
  size_t bad = 0;
  for (size_t r = 0; r < m; r++)
    for (size_t j = 0; j < c_stride; j++) {
      float want = ref[r * n + (j < n ? j : 0)];
      want = want < p.min ? p.min : want;
      want = want > p.max ? p.max : want;
      const float got = c[r * c_stride + j];
      const bool ok = j < n ? memcmp(&got, &want, sizeof got) == 0 : got == 12345.0f;
      if (!ok && bad++ < 3)
        fprintf(stderr, "%s: M %zu x N %zu x K %zu (tile %zux%zu), bl %zu, %s, zp %d: C[%zu][%zu] = %.9g, oracle %.9g\n",
                cfg->name, m, n, k, cfg->mr, cfg->nr, bl, t->is_signed ? "int4" : "uint4", t->zp, r, j, got,
                j < n ? want : 12345.0f);
    }
  CHECK(bad == 0 && c[m * c_stride] == 12345.0f);
  free(w), free(zp), free(scale), free(bias), free(a), free(packed), free(q), free(q_ref), free(as), free(as_ref);
  free(sum), free(sum_ref), free(ref), free(c);
}

static void test_config(const qi_qd8_f32_qb4w_gemm_config *cfg) {
  uint32_t seed = 7;
  static const size_t blocks[] = {0, 16, 32, 64, 128, 256};
  static const size_t ks[] = {1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 256, 300};
  for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++)
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
      const size_t i = bi * 16 + ki;
      const qd8_case t = {.m = 1 + i % 7, .n = 1 + (i * 5) % 19, .k = ks[ki], .block = blocks[bi],
                          .is_signed = i % 2, .zp = i % 3 != 0, .bias = i % 4 != 1,
                          .qmin = i % 5 == 2 ? 0.2f : 0.0f, .qmax = i % 5 == 2 ? 0.8f : 1.0f, .a_mode = 0};
      run_case(cfg, &t, &seed);
    }
  for (size_t m = 1; m <= 2 * cfg->mr + 3; m++) /* tails */
    for (size_t n = 1; n <= 2 * cfg->nr + 3; n++) {
      const qd8_case t = {.m = m, .n = n, .k = 40, .block = 16, .is_signed = (m + n) % 2, .zp = n % 2, .bias = true,
                          .qmin = 0.0f, .qmax = 1.0f, .a_mode = 0};
      run_case(cfg, &t, &seed);
    }
  for (int mode = 1; mode <= 2; mode++) /* ties; extremes */
    for (size_t bi = 1; bi < sizeof blocks / sizeof blocks[0]; bi++) {
      const qd8_case t = {.m = 5, .n = 2 * cfg->nr + 1, .k = 3 * blocks[bi] + 8, .block = blocks[bi],
                          .is_signed = bi % 2, .zp = true, .bias = bi % 2, .qmin = 0.0f, .qmax = 1.0f, .a_mode = mode};
      run_case(cfg, &t, &seed);
    }
  const qd8_case big = {.m = 3, .n = cfg->nr + 2, .k = 4096, .block = 0, .is_signed = false, .zp = true,
                        .bias = false, .qmin = 0.0f, .qmax = 1.0f, .a_mode = 2};
  run_case(cfg, &big, &seed);
}

int main(void) {
  size_t count;
  const qi_qd8_f32_qb4w_gemm_config *const *list = qi_qd8_f32_qb4w_gemm_config_list(&count);
  CHECK(count >= 1 && list[0]->features == 0);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_qd8_f32_qb4w_gemm_config *cfg = list[i];
    const char *names[] = {cfg->name, cfg->quantize_name};
    if (!kl_runnable_all(names, 2, cfg->features)) continue;
    if (!KL_FIRST(&seen, cfg->ukernel, cfg->name)) continue;
    printf("testing %s (tile %zux%zu) and %s\n", cfg->name, cfg->mr, cfg->nr, cfg->quantize_name);
    test_config(cfg);
  }
  CHECK(qi_qd8_f32_qb4w_gemm_config_get(QI_ISA_SCALAR)->ukernel == qi_qd8_f32_qb4w_gemm_minmax_ukernel_4x4c4__scalar);
  return TEST_SUMMARY();
}
