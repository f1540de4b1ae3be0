/* The qu8 gemm contract describes kernels the library does not have yet: configs made up here, with a k-block
 * of 8 (i8mm usmmla's), 1 and 16, and int8 activations (QI_ACT_DOMAIN_S8, Arm sdot's), run through the same
 * generic path as the real ones (the config's pack_w / packed_w_size / init_params, qi_qu8_gemm_pack_x with its
 * kr, the domain's activation XOR and zero point) against the same oracle, random and boundary grids
 * (tests/unit/qu8_gemm_tester.h). Their kernels are test-only: one portable loop over the documented packed
 * layout for any tile and domain, instantiated per tile. A convolution-shaped case also goes through
 * qi_qu8_im2col_packed with the config's kr and the domain's pad byte. */
#include <stdio.h>

#include "kernels/requant.h"
#include "qu8_gemm_tester.h"

TEST_MAIN_GLOBALS;

/* C = requant(bias + W x X_d) over the packed layout of tile MR x NR, k-block KR, activations read as int8 when
 * s8, else uint8. */
static void ref_ukernel(size_t MR, size_t NR, size_t KR, bool s8, size_t mr, size_t nc, size_t kc, const void *packed_w,
                        const uint8_t *packed_x, uint8_t *c, size_t c_row_stride, size_t c_col_stride,
                        const qi_qu8_gemm_params *params) {
  const size_t kp = qi_qu8_round_up(kc, KR);
  const qi_qu8_gemm_panel panel = qi_qu8_gemm_panel_parts(packed_w, MR);
  const int8_t *w = panel.w;
  for (size_t n0 = 0; n0 < nc; n0 += NR, packed_x += NR * kp) {
    const size_t cols = nc - n0 < NR ? nc - n0 : NR;
    for (size_t r = 0; r < mr; r++)
      for (size_t j = 0; j < cols; j++) {
        uint32_t acc = (uint32_t)panel.bias[r] + (params->col_bias ? (uint32_t)params->col_bias[n0 + j] : 0u);
        for (size_t kb = 0; kb < kp; kb += KR)
          for (size_t i = 0; i < KR; i++) {
            const uint8_t xb = packed_x[kb * NR + j * KR + i];
            acc += (uint32_t)((int32_t)w[kb * MR + r * KR + i] * (s8 ? (int32_t)(int8_t)xb : (int32_t)xb));
          }
        c[r * c_row_stride + (n0 + j) * c_col_stride] =
            (uint8_t)qi_requant_fp32((int32_t)acc, panel.scale[r], params->zero_point, params->qmin, params->qmax) ^
            params->sign_flip;
      }
  }
}

#define TEST_UKERNEL(MR, NR, KR, D)                                                                               \
  static QI_QU8_GEMM_UKERNEL_DECL(test_qu8_gemm_ukernel_##MR##x##NR##c##KR##__##D) {                             \
    ref_ukernel(MR, NR, KR, QI_ACT_DOMAIN_##D == QI_ACT_DOMAIN_S8, mr, nc, kc, packed_w, packed_x, c, c_row_stride, \
                c_col_stride, params);                                                                            \
  }
TEST_UKERNEL(3, 4, 8, U8)
TEST_UKERNEL(2, 8, 8, S8)
TEST_UKERNEL(4, 4, 4, S8)
TEST_UKERNEL(5, 3, 1, U8)
TEST_UKERNEL(2, 5, 16, S8)

#define TEST_CONFIG(MR, NR, KR, D)                                                                                \
  {.ukernel = QI_KERNEL(test_qu8_gemm_ukernel_##MR##x##NR##c##KR##__##D), .features = 0, .mr = MR, .nr = NR,     \
   .kr = KR, .w_bytes = 1, .x_domain = QI_ACT_DOMAIN_##D, .pack_w = qi_qu8_gemm_pack_w,                           \
   .packed_w_size = qi_qu8_gemm_packed_w_size, .pack_x = qi_qu8_gemm_pack_x,                                      \
   .init_params = qi_qu8_gemm_params_make}
static const qi_qu8_gemm_config configs[] = {
    TEST_CONFIG(3, 4, 8, U8), TEST_CONFIG(2, 8, 8, S8), TEST_CONFIG(4, 4, 4, S8),
    TEST_CONFIG(5, 3, 1, U8), TEST_CONFIG(2, 5, 16, S8),
};

/* A 3x3 pad-1 convolution of a 5x6 image with 3 channels: im2col straight into cfg's layout (its kr, its
 * domain's XOR and pad byte), then cfg's kernel, against the direct sum over the in-bounds taps. */
static bool conv_case(const qi_qu8_gemm_config *cfg, bool int8, uint32_t seed) {
  const qi_window2d g = {5, 6, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
  const size_t ch = 3, oc = 7, k = ch * 9, hw = 30;
  uint8_t x[3 * 30], y[7 * 30];
  int8_t w[7 * 27];
  int32_t bias[7];
  float scale[7];
  for (size_t i = 0; i < sizeof x; i++) x[i] = (uint8_t)qg_rnd(&seed);
  for (size_t i = 0; i < sizeof w; i++) w[i] = (int8_t)qg_rnd(&seed);
  for (size_t i = 0; i < oc; i++) bias[i] = qg_range(&seed, -5000, 5000), scale[i] = 0.002f + 0.0001f * (float)i;
  const int32_t lo = int8 ? -128 : 0, x_zp = lo + qg_range(&seed, 0, 255), y_zp = lo + qg_range(&seed, 0, 255);
  void *pw = malloc(cfg->packed_w_size(cfg, oc, k));
  uint8_t *px = malloc(qi_qu8_gemm_packed_x_bytes(k, hw, cfg->nr, cfg->kr));
  const int32_t x_zp_d = qi_qu8_gemm_x_zero_point(cfg, x_zp, int8);
  cfg->pack_w(cfg, oc, k, w, k, 1, bias, scale, x_zp_d, pw);
  qi_qu8_im2col_packed(&g, ch, x, qi_qu8_gemm_x_flip(cfg, int8), (uint8_t)x_zp_d, 0, hw, cfg->nr, cfg->kr, px);
  const qi_qu8_gemm_params params = cfg->init_params(y_zp, lo, lo + 255, int8);
  const size_t panel = qi_qu8_gemm_panel_stride(cfg, k);
  for (size_t r0 = 0; r0 < oc; r0 += cfg->mr)
    cfg->ukernel(oc - r0 < cfg->mr ? oc - r0 : cfg->mr, hw, k, (const uint8_t *)pw + r0 / cfg->mr * panel, px,
                 y + r0 * hw, hw, 1, &params);
  bool ok = true;
  for (size_t o = 0; o < oc; o++)
    for (size_t p = 0; p < hw; p++) {
      int64_t acc = bias[o];
      for (size_t c = 0; c < ch; c++)
        for (size_t t = 0; t < 9; t++) {
          const long iy = (long)(p / 6 + t / 3) - 1, ix = (long)(p % 6 + t % 3) - 1;
          if (iy < 0 || iy >= 5 || ix < 0 || ix >= 6) continue;
          const uint8_t b = x[c * 30 + (size_t)iy * 6 + (size_t)ix];
          acc += (int64_t)w[o * k + c * 9 + t] * ((int8 ? (int8_t)b : b) - x_zp);
        }
      const int32_t want = oracle_requant((int32_t)acc, scale[o], y_zp, lo, lo + 255);
      const int32_t got = int8 ? (int8_t)y[o * hw + p] : y[o * hw + p];
      if (got != want && ok) {
        fprintf(stderr, "%s: conv %s: y[%zu][%zu] = %d, want %d\n", cfg->name, int8 ? "int8" : "uint8", o, p, got,
                want);
        ok = false;
      }
    }
  free(pw), free(px);
  return ok;
}

int main(void) {
  for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
    const qi_qu8_gemm_config *cfg = &configs[i];
    bool ok = true;
    const int random = qg_random_grid(cfg, &ok), boundary = qg_boundary_grid(cfg, &ok);
    ok &= conv_case(cfg, false, 5u + (uint32_t)i) && conv_case(cfg, true, 9u + (uint32_t)i);
    CHECK_MSG(ok, "%s", cfg->name);
    printf("%s (%zux%zuc%zu, %s activations): %d random cases, %d boundary cases, 2 convolutions %s\n", cfg->name,
           cfg->mr, cfg->nr, cfg->kr, cfg->x_domain == QI_ACT_DOMAIN_S8 ? "int8" : "uint8", random, boundary,
           ok ? "ok" : "FAILED");
  }
  return TEST_SUMMARY();
}
