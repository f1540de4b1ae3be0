/* The W4A8 family's float rule in its exact order (kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h), on the two cases where
 * a kernel that computes the same real numbers another way gets other bytes; random cases (test_qu8_gemm_qb4w)
 * almost never land on them. Every config of the list this CPU can run (others reported as skipped), every
 * output of 2 MR + 1 rows x 5 NR + 3 columns, expected bytes derived by hand below (no kernel, no float code):
 *
 *  - the multiply is rounded before the add (never fused): block 0 has acc = 97 and s = 172961 * 2^-24, so
 *    acc * s = 1 + 2^-24 exactly, which the multiply rounds (a tie) to 1.0; with bias_f = -0.5, f = 0.5 and
 *    round-half-even gives 0. A fused multiply-add keeps 0.5 + 2^-24 (exact in binary32) and gives 1. Rows of
 *    the other sign (acc = -97, bias_f = +0.5): 0 against -1.
 *  - blocks are added in order, starting from bias_f: bias_f = 0.5, two blocks of acc = 1 and s = 2^-25:
 *    (0.5 + 2^-25) + 2^-25 = 0.5 (each add a tie to even), giving 0; summing the blocks first gives
 *    0.5 + 2^-24 and 1.
 * The output zero point is 128 with no clamp, so every expected byte is 128. */
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

enum { K = 64, BLOCK = 32, NB = K / BLOCK };

/* uint4 weights with zero point 8: u - z = q - 8. Row i: fused case (rows of both signs alternate) or the order
 * case. */
static void make_case(bool order_case, size_t m, uint8_t *w, float *scale, float *bias_f) {
  memset(w, 0x88, m * K / 2); /* every q = 8: weight 0 */
  for (size_t i = 0; i < m; i++) {
    const bool neg = i % 2;
    for (size_t b = 0; b < NB; b++) scale[i * NB + b] = order_case ? 0x1p-25f : 172961 * 0x1p-24f;
    if (order_case) {
      bias_f[i] = 0.5f;
      for (size_t b = 0; b < NB; b++) w[(i * K + b * BLOCK) / 2] = 0x89; /* k = b * BLOCK: q = 9, weight 1 */
    } else {
      bias_f[i] = neg ? 0.5f : -0.5f;
      w[i * K / 2] = neg ? 0x87 : 0x89; /* k = 0: weight -1 or +1 (times an activation of 97) */
    }
  }
}

static int run_case(const qi_qu8_gemm_qb4w_config *cfg, bool order_case) {
  const size_t m = 2 * cfg->mr + 1, n = 5 * cfg->nr + 3; /* two chunks of column blocks (gemm-x8-neon.h) */
  uint8_t *w = malloc(m * K / 2), *x = calloc(K * n, 1), *c = malloc(m * n);
  float *scale = malloc(m * NB * sizeof(float)), *bias_f = malloc(m * sizeof(float));
  make_case(order_case, m, w, scale, bias_f);
  for (size_t j = 0; j < n; j++) /* activations (x_zp 0): 97 at k = 0, or 1 at every block's first k */
    for (size_t b = 0; b < NB; b++) x[b * BLOCK * n + j] = order_case ? 1 : b == 0 ? 97 : 0;
  const qi_qb4w_source src = {.m = m, .k = K, .block = BLOCK, .w = w, .w_m_stride = K, .w_k_stride = 1,
                              .w_signed = false, .scale = scale, .scale_m_stride = NB, .scale_b_stride = 1,
                              .zero_point_default = 8};
  void *pw = calloc(1, qi_qu8_gemm_qb4w_packed_size(cfg, m, K, BLOCK));
  uint8_t *px = calloc(1, qi_qu8_gemm_packed_x_bytes(K, n, cfg->nr, cfg->kr));
  qi_qu8_gemm_qb4w_pack_w(cfg, &src, BLOCK, scale, bias_f, NULL, qi_act_domain_value(cfg->x_domain, 0, false), pw);
  cfg->pack_x(K, n, cfg->nr, cfg->kr, x, n, 1, qi_act_domain_flip(cfg->x_domain, false), px);
  const qi_qu8_gemm_qb4w_params params = {qi_qu8_gemm_params_init(128, 0, 255, 0), BLOCK};
  const size_t panel = qi_qu8_gemm_qb4w_panel_bytes(cfg->mr, K, BLOCK);
  for (size_t m0 = 0; m0 < m; m0 += cfg->mr)
    cfg->ukernel(m - m0 < cfg->mr ? m - m0 : cfg->mr, n, K, (const uint8_t *)pw + m0 / cfg->mr * panel, px,
                 c + m0 * n, n, 1, &params);
  int wrong = 0;
  for (size_t i = 0; i < m * n; i++) wrong += c[i] != 128;
  CHECK_MSG(wrong == 0, "%s, %s case (%zu x %zu x %d, block %d): %d of %zu outputs are not 128 (first row: %u)",
            cfg->name, order_case ? "block-order" : "unfused", m, n, K, BLOCK, wrong, m * n, c[0]);
  free(w), free(x), free(c), free(scale), free(bias_f), free(pw), free(px);
  return wrong;
}

int main(void) {
  size_t count;
  const qi_qu8_gemm_qb4w_config *const *list = qi_qu8_gemm_qb4w_config_list(&count);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_qu8_gemm_qb4w_config *cfg = list[i];
    if (!kl_runnable(cfg->name, cfg->features) || !KL_FIRST(&seen, cfg->ukernel, cfg->name)) continue;
    const int wrong = run_case(cfg, false) + run_case(cfg, true);
    printf("%s: unfused multiply and in-order block sums %s\n", cfg->name, wrong ? "FAILED" : "ok");
  }
  return TEST_SUMMARY();
}
