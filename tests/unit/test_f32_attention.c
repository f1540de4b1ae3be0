/* Tester of the f32 attention kernels (kernels/f32-attention): every config of the family's list this CPU can run
 * (the others reported as skipped) against the definition in double precision,
 *   y[i, :] = sum_j p[i, j] v[j, :],  p[i, :] = softmax_j(scale * <q[i, :], k[j, :]>),
 * over query row counts below, at and above the kernel's row block (and several blocks with a tail), key counts
 * below, at and above one and two key tiles (8 / 16 keys on NEON, 16 / 32 on AVX2) and the ViT's 197, head sizes
 * 1 .. 64 and value head sizes covering every column tail after none, one and two vectors (of 4, 8 and 16
 * lanes); queries and keys with odd row strides and a feature stride of 1 or 2 (as a transposed tensor gives),
 * value and output rows with padding between them whose guard values the kernel must leave alone. Scores from
 * uniform [-1, 1] data at scale 1 / sqrt(D) (a flat softmax) and at 8 / sqrt(D) (a peaked one, most exponentials
 * far below the max).
 *
 * Tolerance per output element, from the kernel's steps with u = 2^-24: a score is a D-term dot product, off by
 * at most e_s = (D + 4) u scale sum_d |q k| (any summation order, the scaling, the max subtraction); exp turns it
 * into a relative error 2 e_s of p (the max's error counts twice), exp's polynomial and the sum of kv_len terms
 * add (kv_len + 32) u; so |y - ref| <= (2 e_s + (kv_len + 32) u) * sum_j p_j |v_j| + FLT_MIN. A missing or wrong
 * term (p_j |v_j|, about |v| / kv_len) is far above it. The packed keys are checked exactly, pad zeros included.
 *
 * The AVX-512 kernel cannot run on a CPU without AVX-512, but its logic can: the same template
 * (attention-simd.h) is instantiated here a second time on the 16-lane vector emulated in portable C by
 * tests/unit/vec-emu16.h (the zmm build's width, tile 6 x 32, tails of 1..15 lanes), and tested like a listed
 * kernel. The intrinsics themselves are left to a CPU that has them. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "f32_tester.h"
#include "kernel_list.h"
#include "kernels/f32-attention/attention.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

#define Y_GUARD 3 /* floats of padding after each output row */

static const size_t kv_lens[] = {1, 2, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 64, 65, 197};
static const size_t head_sizes[][2] = {{1, 1}, {3, 5}, {8, 8}, {16, 7}, {16, 24}, {32, 31}, {32, 33},
                                       {64, 64}, {24, 40}, {5, 47}, {64, 16}, {40, 9}, {4, 2}, {6, 6}};

static long long n_cases;

/* ---- attention-simd.h on an emulated 16-lane vector (the AVX-512 build's width) */
#include "vec-emu16.h"
#define QI_ATTN_FN test_f32_attention_ukernel_6x32__emul16
#define QI_ATTN_MR 6
QI_F32_ATTENTION_UKERNEL_DECL(test_f32_attention_ukernel_6x32__emul16);
#include "kernels/f32-attention/attention-simd.h"
static const qi_f32_attention_config emul16_config = {
    .ukernel = QI_KERNEL(test_f32_attention_ukernel_6x32__emul16), .features = 0, .mr = 6, .nr = 32};

typedef struct shape {
  size_t rows, kv_len, hd, vhd, q_col, k_col;
  float scale;
} shape;

static void run_case(const qi_f32_attention_config *cfg, const shape *sh, uint32_t *seed, int *bad) {
  const size_t rows = sh->rows, kv = sh->kv_len, hd = sh->hd, vhd = sh->vhd;
  const size_t q_row = hd * sh->q_col + 1, k_row = hd * sh->k_col + 3, v_row = vhd + 2, y_row = vhd + Y_GUARD;
  const size_t ldk = qi_f32_attention_ldk(cfg, kv);
  float *q = malloc(rows * q_row * sizeof(float)), *k = malloc(kv * k_row * sizeof(float));
  float *v = malloc(kv * v_row * sizeof(float)), *kt = malloc(hd * ldk * sizeof(float));
  float *work = malloc(cfg->mr * ldk * sizeof(float));
  ft_buf y = ft_alloc(rows * y_row);
  double *p = malloc(kv * sizeof(double));
  for (size_t i = 0; i < rows * q_row; i++) q[i] = ft_uniform(seed, -1, 1);
  for (size_t i = 0; i < kv * k_row; i++) k[i] = ft_uniform(seed, -1, 1);
  for (size_t i = 0; i < kv * v_row; i++) v[i] = ft_uniform(seed, -1, 1);
  for (size_t i = 0; i < rows * y_row; i++) y.p[i] = FT_GUARD_VALUE;
  ft_guard(&y, rows * y_row);

  qi_f32_attention_pack_k(kv, hd, k, k_row, sh->k_col, ldk, kt);
  for (size_t d = 0; d < hd; d++)
    for (size_t j = 0; j < ldk; j++) {
      const float want = j < kv ? k[j * k_row + d * sh->k_col] : 0.0f;
      if (kt[d * ldk + j] != want && (*bad)++ < 5)
        fprintf(stderr, "qi_f32_attention_pack_k: kv_len=%zu D=%zu ldk=%zu: kt[%zu][%zu] = %g, want %g\n", kv, hd,
                ldk, d, j, (double)kt[d * ldk + j], (double)want);
    }
  const qi_f32_attention_args args = {.rows = rows, .kv_len = kv, .head_size = hd, .v_head_size = vhd,
                                      .scale = sh->scale, .q = q, .q_row = q_row, .q_col = sh->q_col, .kt = kt,
                                      .ldk = ldk, .v = v, .v_row = v_row, .y = y.p, .y_row = y_row, .work = work};
  cfg->ukernel(&args);

  char what[160];
  snprintf(what, sizeof what, "rows=%zu kv_len=%zu D=%zu Dv=%zu q_col=%zu k_col=%zu scale=%g (tile %zux%zu)", rows,
           kv, hd, vhd, sh->q_col, sh->k_col, (double)sh->scale, cfg->mr, cfg->nr);
  for (size_t i = 0; i < rows; i++) {
    double max = -INFINITY, sum = 0, es = 0;
    for (size_t j = 0; j < kv; j++) {
      double dot = 0, mag = 0;
      for (size_t d = 0; d < hd; d++) {
        const double t = (double)q[i * q_row + d * sh->q_col] * k[j * k_row + d * sh->k_col];
        dot += t;
        mag += fabs(t);
      }
      p[j] = dot * sh->scale;
      es = fmax(es, (double)(hd + 4) * FT_U * sh->scale * mag);
      max = fmax(max, p[j]);
    }
    for (size_t j = 0; j < kv; j++) sum += (p[j] = exp(p[j] - max));
    for (size_t d = 0; d < vhd; d++) {
      double ref = 0, mag = 0;
      for (size_t j = 0; j < kv; j++) {
        ref += p[j] / sum * v[j * v_row + d];
        mag += p[j] / sum * fabs(v[j * v_row + d]);
      }
      const double tol = (2 * es + (double)(kv + 32) * FT_U) * mag + FLT_MIN;
      const float got = y.p[i * y_row + d];
      if (!ft_close(got, ref, tol)) ft_mismatch(bad, cfg->name, what, vhd, i * y_row + d, got, ref, tol);
    }
    for (size_t d = vhd; d < y_row; d++)
      if (y.p[i * y_row + d] != FT_GUARD_VALUE) ft_outside(bad, cfg->name, what, vhd);
  }
  if (!ft_guard_ok(&y, rows * y_row)) ft_outside(bad, cfg->name, what, vhd);
  n_cases++;
  free(q), free(k), free(v), free(kt), free(work), free(p);
  ft_free(&y);
}

static void test_config(const qi_f32_attention_config *cfg) {
  uint32_t seed = ft_seed(cfg->name);
  const long long before = n_cases;
  int bad = 0;
  const size_t row_counts[] = {1, cfg->mr > 1 ? cfg->mr - 1 : 2, cfg->mr, cfg->mr + 1, 3 * cfg->mr + 2};
  for (size_t ki = 0; ki < sizeof kv_lens / sizeof kv_lens[0]; ki++)
    for (size_t hi = 0; hi < sizeof head_sizes / sizeof head_sizes[0]; hi++)
      for (size_t ri = 0; ri < sizeof row_counts / sizeof row_counts[0]; ri++) {
        const size_t hd = head_sizes[hi][0];
        const shape sh = {.rows = row_counts[ri], .kv_len = kv_lens[ki], .hd = hd, .vhd = head_sizes[hi][1],
                          .q_col = 1 + (ri + hi) % 2, .k_col = 1 + (ki + ri) % 2,
                          .scale = (float)((ri % 2 ? 8.0 : 1.0) / sqrt((double)hd))};
        run_case(cfg, &sh, &seed, &bad);
      }
  ft_report(cfg->name, n_cases - before, bad);
}

int main(void) {
  size_t count;
  const qi_f32_attention_config *const *list = qi_f32_attention_config_list(&count);
  CHECK(count >= 1 && list[0]->features == 0);
  for (size_t i = 0; i < count; i++)
    if (kl_runnable(list[i]->name, list[i]->features)) test_config(list[i]);
  test_config(&emul16_config); /* the AVX-512 kernel's template at its width, in portable C */
  return TEST_SUMMARY();
}
