/* Builder-style tester of the f32 gemm ukernels against a double-precision triple loop, in both orientations (wx:
 * one MR-row packed panel times B; xw: mr rows of A times the packed NR-column panels of W): mr from 1 to MR, nc
 * below / equal / above NR and multiples of it, kc from 1 up past 2*NR, strides wider than the tile, the min/max
 * clamp, and no write outside the output rows. Every kernel of the family's list (qi_f32_gemm_config_list) this
 * CPU can run is tested; the others are reported as skipped. The AVX-512 tile's logic also runs here: both
 * templates are instantiated a third time on the 16-lane vector of vec-emu16.h (portable C, the zmm width and
 * masks: tile 8x32, tails of 1..15 lanes) and tested like a listed kernel. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

/* ---- gemm-simd.h and xw-simd.h on the emulated 16-lane vector (the AVX-512 build's width and tile) */
#include "vec-emu16.h"
QI_F32_GEMM_UKERNEL_DECL(test_f32_gemm_minmax_ukernel_8x32__emu16);
QI_F32_GEMM_XW_UKERNEL_DECL(test_f32_gemm_xw_minmax_ukernel_8x32__emu16);
#define QI_GEMM_FN test_f32_gemm_minmax_ukernel_8x32__emu16
#define QI_GEMM_MR 8
#define QI_GEMM_NV 2
#include "kernels/f32-gemm/gemm-simd.h"
#define QI_XW_FN test_f32_gemm_xw_minmax_ukernel_8x32__emu16
#define QI_XW_MR 8
#define QI_XW_NV 2
#include "kernels/f32-gemm/xw-simd.h"
static const qi_f32_gemm_config emu16_8x32 = {
    .ukernel = QI_KERNEL(test_f32_gemm_minmax_ukernel_8x32__emu16),
    .pack = qi_f32_gemm_pack_w,
    .mr = 8,
    .nr = 32,
    .kr = 1,
    .xw_ukernel = QI_KERNEL(test_f32_gemm_xw_minmax_ukernel_8x32__emu16),
    .xw_mr = 8,
    .xw_nr = 32,
    .xw_kr = 1,
};

typedef struct gemm_tester {
  size_t mr, nc, kc, b_stride, c_stride;
  float qmin, qmax; /* clamp as fractions of the output range: 0 / 1 disable it */
} gemm_tester;

static float frand(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static int test_gemm(const qi_f32_gemm_config *cfg, const gemm_tester *t) {
  const size_t k_rows = t->kc, mr_tile = cfg->mr;
  float *w = malloc(t->mr * t->kc * sizeof(float)), *bias = malloc(t->mr * sizeof(float));
  float *b = malloc((k_rows * t->b_stride + 1) * sizeof(float));
  float *c = malloc((t->mr * t->c_stride + 1) * sizeof(float));
  float *packed = malloc(qi_f32_gemm_packed_floats(t->mr, t->kc, mr_tile, cfg->kr) * sizeof(float));
  double *ref = malloc(t->mr * t->nc * sizeof(double));
  uint32_t seed = (uint32_t)(t->mr * 7919 + t->nc * 131 + t->kc);
  for (size_t i = 0; i < t->mr * t->kc; i++) w[i] = frand(&seed);
  for (size_t i = 0; i < t->mr; i++) bias[i] = frand(&seed);
  for (size_t i = 0; i < k_rows * t->b_stride + 1; i++) b[i] = frand(&seed);
  for (size_t i = 0; i < t->mr * t->c_stride + 1; i++) c[i] = NAN; /* canary */
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < t->mr; i++)
    for (size_t j = 0; j < t->nc; j++) {
      double acc = bias[i];
      for (size_t k = 0; k < t->kc; k++) acc += (double)w[i * t->kc + k] * b[k * t->b_stride + j];
      ref[i * t->nc + j] = acc;
      lo = fmin(lo, acc);
      hi = fmax(hi, acc);
    }
  qi_f32_minmax_params params = {-INFINITY, INFINITY};
  if (t->qmin > 0.0f) params.min = (float)(lo + (hi - lo) * t->qmin);
  if (t->qmax < 1.0f) params.max = (float)(lo + (hi - lo) * t->qmax);
  cfg->pack(t->mr, t->kc, mr_tile, cfg->kr, w, t->kc, 1, bias, packed);
  cfg->ukernel(t->mr, t->nc, t->kc, packed, b, t->b_stride, c, t->c_stride, &params);
  int ok = 1;
  for (size_t i = 0; i < t->mr && ok; i++) {
    for (size_t j = 0; j < t->nc; j++) {
      double want = ref[i * t->nc + j];
      want = want < params.min ? params.min : (want > params.max ? params.max : want);
      const float got = c[i * t->c_stride + j];
      if (!(fabs(got - want) <= 1e-5 * (1.0 + fabs(want)) * sqrt((double)t->kc))) {
        fprintf(stderr, "%s: M=%zu N=%zu K=%zu tile %zux%zu, c[%zu][%zu] = %.8g, want %.8g (min %g max %g)\n",
                cfg->name, t->mr, t->nc, t->kc, cfg->mr, cfg->nr, i, j, got, want, params.min, params.max);
        ok = 0;
        break;
      }
    }
    for (size_t j = t->nc; j < t->c_stride && i + 1 < t->mr; j++)
      if (!isnan(c[i * t->c_stride + j])) {
        fprintf(stderr, "%s: M=%zu N=%zu K=%zu wrote past nc in row %zu\n", cfg->name, t->mr, t->nc, t->kc, i);
        ok = 0;
      }
  }
  if (!isnan(c[(t->mr - 1) * t->c_stride + t->nc])) {
    fprintf(stderr, "%s: M=%zu N=%zu K=%zu wrote past the last row\n", cfg->name, t->mr, t->nc, t->kc);
    ok = 0;
  }
  CHECK(ok);
  free(w), free(bias), free(b), free(c), free(packed), free(ref);
  return ok;
}

/* xw: C[mr, nc] = A[mr, kc] (a_stride = b_stride) * W[kc, nc] + bias[nc], W packed as its transpose. */
static int test_gemm_xw(const qi_f32_gemm_config *cfg, const gemm_tester *t) {
  const size_t a_stride = t->b_stride < t->kc ? t->kc : t->b_stride;
  float *a = malloc((t->mr * a_stride + 1) * sizeof(float)), *w = malloc(t->kc * t->nc * sizeof(float));
  float *bias = malloc(t->nc * sizeof(float)), *c = malloc((t->mr * t->c_stride + 1) * sizeof(float));
  float *packed = malloc(qi_f32_gemm_packed_floats(t->nc, t->kc, cfg->xw_nr, cfg->xw_kr) * sizeof(float));
  double *ref = malloc(t->mr * t->nc * sizeof(double));
  uint32_t seed = (uint32_t)(t->mr * 104729 + t->nc * 31 + t->kc);
  for (size_t i = 0; i < t->mr * a_stride + 1; i++) a[i] = frand(&seed);
  for (size_t i = 0; i < t->kc * t->nc; i++) w[i] = frand(&seed);
  for (size_t i = 0; i < t->nc; i++) bias[i] = frand(&seed);
  for (size_t i = 0; i < t->mr * t->c_stride + 1; i++) c[i] = NAN; /* canary */
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < t->mr; i++)
    for (size_t j = 0; j < t->nc; j++) {
      double acc = bias[j];
      for (size_t k = 0; k < t->kc; k++) acc += (double)a[i * a_stride + k] * w[k * t->nc + j];
      ref[i * t->nc + j] = acc;
      lo = fmin(lo, acc);
      hi = fmax(hi, acc);
    }
  qi_f32_minmax_params params = {-INFINITY, INFINITY};
  if (t->qmin > 0.0f) params.min = (float)(lo + (hi - lo) * t->qmin);
  if (t->qmax < 1.0f) params.max = (float)(lo + (hi - lo) * t->qmax);
  cfg->pack(t->nc, t->kc, cfg->xw_nr, cfg->xw_kr, w, 1, t->nc, bias, packed); /* W^T: nc rows of kc */
  cfg->xw_ukernel(t->mr, t->nc, t->kc, a, a_stride, packed, c, t->c_stride, &params);
  int ok = 1;
  for (size_t i = 0; i < t->mr && ok; i++) {
    for (size_t j = 0; j < t->nc && ok; j++) {
      double want = ref[i * t->nc + j];
      want = want < params.min ? params.min : (want > params.max ? params.max : want);
      const float got = c[i * t->c_stride + j];
      if (!(fabs(got - want) <= 1e-5 * (1.0 + fabs(want)) * sqrt((double)t->kc))) {
        fprintf(stderr, "%s: M=%zu N=%zu K=%zu, c[%zu][%zu] = %.8g, want %.8g\n", cfg->xw_name, t->mr, t->nc, t->kc,
                i, j, got, want);
        ok = 0;
      }
    }
    for (size_t j = t->nc; j < t->c_stride && i + 1 < t->mr; j++) ok = ok && isnan(c[i * t->c_stride + j]);
  }
  ok = ok && isnan(c[(t->mr - 1) * t->c_stride + t->nc]);
  CHECK_MSG(ok, "%s: M=%zu N=%zu K=%zu a_stride %zu c_stride %zu", cfg->xw_name, t->mr, t->nc, t->kc, a_stride,
            t->c_stride);
  free(a), free(w), free(bias), free(c), free(packed), free(ref);
  return ok;
}

static void test_config_xw(const qi_f32_gemm_config *cfg) {
  const size_t nr = cfg->xw_nr;
  const size_t ks[] = {1, 2, 3, cfg->xw_kr, 7, 8, 2 * nr + 1, 64};
  for (size_t mr = 1; mr <= cfg->xw_mr; mr++)
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
      for (size_t nc = 1; nc <= 3 * nr + 1; nc++) {
        gemm_tester t = {mr, nc, ks[ki], ks[ki], nc, 0.0f, 1.0f};
        test_gemm_xw(cfg, &t);
        t.b_stride = ks[ki] + 5; /* strided A and C */
        t.c_stride = nc + 3;
        test_gemm_xw(cfg, &t);
      }
  for (size_t nc = 1; nc <= 2 * nr; nc += 3) {
    gemm_tester t = {cfg->xw_mr, nc, 13, 14, nc + 2, 0.25f, 0.75f};
    test_gemm_xw(cfg, &t);
    t.qmin = 0.4f, t.qmax = 1.0f;
    test_gemm_xw(cfg, &t);
  }
}

static void test_config(const qi_f32_gemm_config *cfg) {
  const size_t nr = cfg->nr;
  const size_t ks[] = {1, 2, 3, cfg->kr, 7, 8, 2 * nr + 1, 64};
  for (size_t mr = 1; mr <= cfg->mr; mr++)
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
      for (size_t nc = 1; nc <= 3 * nr + 1; nc++) {
        gemm_tester t = {mr, nc, ks[ki], nc, nc, 0.0f, 1.0f};
        test_gemm(cfg, &t);
        t.b_stride = nc + 5; /* strided B and C */
        t.c_stride = nc + 3;
        test_gemm(cfg, &t);
      }
  /* clamps */
  for (size_t nc = 1; nc <= 2 * nr; nc += 3) {
    gemm_tester t = {cfg->mr, nc, 13, nc + 1, nc + 2, 0.25f, 0.75f};
    test_gemm(cfg, &t);
    t.qmin = 0.0f;
    test_gemm(cfg, &t);
    t.qmin = 0.4f, t.qmax = 1.0f;
    test_gemm(cfg, &t);
  }
}

/* The packed layout itself (see f32-gemm.h): bias block then MR x KR blocks, zero-filled past M and K. */
static void test_pack_layout(void) {
  const float w[3 * 5] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, bias[3] = {-1, -2, -3};
  float packed[2 * 2 * (1 + 6)];
  CHECK(qi_f32_gemm_packed_floats(3, 5, 2, 2) == sizeof packed / sizeof packed[0]);
  qi_f32_gemm_pack_w(3, 5, 2, 2, w, 5, 1, bias, packed);
  const float want[] = {-1, -2, 1, 2, 6, 7, 3, 4, 8, 9, 5, 0, 10, 0, /* panel 0 */
                        -3, 0,  11, 12, 0, 0, 13, 14, 0, 0, 15, 0, 0, 0};
  CHECK(memcmp(packed, want, sizeof want) == 0);
  /* transposed source through the strides */
  float wt[5 * 3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 5; j++) wt[j * 3 + i] = w[i * 5 + j];
  float packed_t[sizeof packed / sizeof packed[0]];
  qi_f32_gemm_pack_w(3, 5, 2, 2, wt, 1, 3, bias, packed_t);
  CHECK(memcmp(packed, packed_t, sizeof packed) == 0);
  /* kr 1 (every current kernel's), with and without bias, direct and transposed */
  float packed1[2 * 2 * (1 + 5)], packed1_t[2 * 2 * (1 + 5)];
  qi_f32_gemm_pack_w(3, 5, 2, 1, w, 5, 1, bias, packed1);
  const float want1[] = {-1, -2, 1, 6, 2, 7, 3, 8, 4, 9, 5, 10, -3, 0, 11, 0, 12, 0, 13, 0, 14, 0, 15, 0};
  CHECK(memcmp(packed1, want1, sizeof want1) == 0);
  qi_f32_gemm_pack_w(3, 5, 2, 1, wt, 1, 3, NULL, packed1_t);
  const float want1_nobias[] = {0, 0, 1, 6, 2, 7, 3, 8, 4, 9, 5, 10, 0, 0, 11, 0, 12, 0, 13, 0, 14, 0, 15, 0};
  CHECK(memcmp(packed1_t, want1_nobias, sizeof want1_nobias) == 0);
}

int main(void) {
  test_pack_layout();
  size_t count;
  const qi_f32_gemm_config *const *list = qi_f32_gemm_config_list(&count);
  for (size_t i = 0; i <= count; i++) {
    const qi_f32_gemm_config *cfg = i < count ? list[i] : &emu16_8x32; /* last: the zmm logic in portable C */
    const char *names[] = {cfg->name, cfg->xw_name};
    if (!kl_runnable_all(names, 2, cfg->features)) continue;
    CHECK(cfg->ukernel != NULL && cfg->pack != NULL && cfg->mr >= 1 && cfg->nr >= 1 && cfg->kr >= 1);
    printf("testing %s (tile %zux%zu kr %zu)\n", cfg->name, cfg->mr, cfg->nr, cfg->kr);
    test_config(cfg);
    CHECK(cfg->xw_ukernel != NULL && cfg->xw_mr >= 1 && cfg->xw_nr >= 1 && cfg->xw_kr >= 1);
    printf("testing %s (tile %zux%zu kr %zu)\n", cfg->xw_name, cfg->xw_mr, cfg->xw_nr, cfg->xw_kr);
    test_config_xw(cfg);
  }
  CHECK(qi_f32_gemm_config_get(QI_ISA_SCALAR)->ukernel == qi_f32_gemm_minmax_ukernel_4x8__scalar);
  return TEST_SUMMARY();
}
