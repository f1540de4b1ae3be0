/* Tester of the W4A32 gemm ukernels (kernels/f32-gemm-qb4w) in both orientations against a double-precision
 * oracle computed from the qi_qb4w_source itself (kernels/qb4w.h's value(i, j) = (q - zp) * scale), never from
 * the packed form: int4 and uint4, zero points given / absent / MatMulNBits' default 8, per-channel and blocks of
 * 16 / 32 / 64 / 128, k of 1, odd and not a multiple of the block, m and n below, at and past the tile, both
 * source layouts (channel-major and k-major), strided A / B / C, bias or none, clamps, and no write outside C.
 * Tolerance: like test_f32_gemm.c, relative to the sum of |a * w| (plus |a| * |scale|: zs is z * s rounded).
 * Every kernel of the family's list (qi_f32_gemm_qb4w_config_list) this CPU can run is tested, the others are
 * reported as skipped; the SIMD templates also run on the emulated 16-lane vector of vec-emu16.h (the AVX-512
 * build's width and tiles) as an extra entry, so the zmm kernels' logic is tested on any CPU. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/f32-gemm-qb4w/f32-gemm-qb4w.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

#include "f32_gemm_qb4w_emu16.h"

typedef struct qb4w_case {
  size_t rows, cols, k;  /* C is rows x cols; channels = cols ("xw") or rows ("w") */
  size_t block;          /* source block; 0: per-channel (src->block = k) */
  bool is_signed;
  int zp_mode;           /* 0: none (default 0), 1: given nibbles, 2: none with default 8 (uint4 MatMulNBits) */
  bool bias, k_major;    /* bias; source stored k-major (element (i, j) at nibble j * channels + i) */
  size_t pad;            /* extra floats in the A / B and C strides */
  float qmin, qmax;      /* clamp as fractions of the output range: 0 / 1 disable it */
} qb4w_case;

static uint32_t rnd(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}
static float frand(uint32_t *s) { return (float)(rnd(s) & 0xffff) / 32768.0f - 1.0f; }

typedef struct qb4w_data {
  qi_qb4w_source src;
  uint8_t *w, *zp;
  float *scale, *bias;
} qb4w_data;

static void make_source(const qb4w_case *t, size_t channels, uint32_t *seed, qb4w_data *d) {
  const size_t k = t->k, block = t->block ? t->block : k, nb = (k + block - 1) / block;
  d->w = malloc((channels * k + 1) / 2);
  d->zp = malloc((channels * nb + 1) / 2);
  d->scale = malloc(channels * nb * sizeof(float));
  d->bias = malloc(channels * sizeof(float));
  for (size_t i = 0; i < (channels * k + 1) / 2; i++) d->w[i] = (uint8_t)rnd(seed);
  for (size_t i = 0; i < (channels * nb + 1) / 2; i++) d->zp[i] = (uint8_t)rnd(seed);
  for (size_t i = 0; i < channels * nb; i++) /* 0.01 .. 0.21, some negative */
    d->scale[i] = (0.01f + (float)(rnd(seed) % 1000) / 5000.0f) * (i % 7 == 3 ? -1.0f : 1.0f);
  for (size_t i = 0; i < channels; i++) d->bias[i] = frand(seed);
  qi_qb4w_source s = {
      .m = channels,
      .k = k,
      .block = block,
      .w = d->w,
      .w_m_stride = t->k_major ? 1 : k,
      .w_k_stride = t->k_major ? channels : 1,
      .w_signed = t->is_signed,
      .scale = d->scale,
      .scale_m_stride = nb,
      .scale_b_stride = 1,
      .zero_point = t->zp_mode == 1 ? d->zp : NULL,
      .zp_m_stride = t->k_major ? 1 : nb,
      .zp_b_stride = t->k_major ? channels : 1,
      .zero_point_default = t->zp_mode == 2 ? 8 : 0,
  };
  d->src = s;
}

static void free_source(qb4w_data *d) { free(d->w), free(d->zp), free(d->scale), free(d->bias); }

static size_t packed_block(const qb4w_case *t) { return t->block ? t->block : qi_f32_gemm_qb4w_channel_block(t->k); }

/* value(i, j) of the source, in double. */
static double oracle_w(const qi_qb4w_source *s, size_t i, size_t j) {
  const size_t b = j / s->block;
  return (double)(qi_qb4w_q(s, i, j) - qi_qb4w_zp(s, i, b)) * (double)qi_qb4w_scale(s, i, b);
}

/* want[i][j] = bias + sum over k of x(i, j, k) * value(channel, k), channel j (xw) or i (w), x(i, j, k) the
 * activation x[i * xi + k * xk + j * xj]; bound[i][j] = |bias| + sum of |x| * (|value| + |scale|). */
static void oracle(const qb4w_case *t, const qb4w_data *d, bool xw, const float *x, size_t xi, size_t xk, size_t xj,
                   double *want, double *bound) {
  for (size_t i = 0; i < t->rows; i++)
    for (size_t j = 0; j < t->cols; j++) {
      const size_t ch = xw ? j : i;
      double acc = t->bias ? d->bias[ch] : 0.0, mag = fabs(acc);
      for (size_t k = 0; k < t->k; k++) {
        const double w = oracle_w(&d->src, ch, k), xv = x[i * xi + k * xk + j * xj];
        acc += xv * w;
        mag += fabs(xv) * (fabs(w) + fabs(qi_qb4w_scale(&d->src, ch, k / d->src.block)));
      }
      want[i * t->cols + j] = acc, bound[i * t->cols + j] = mag;
    }
}

/* C[rows, cols] against want (double) and bound (the tolerance's scale); NaN canaries elsewhere in c. */
static bool check_c(const char *name, const qb4w_case *t, const float *c, size_t c_stride, const double *want,
                    const double *bound, qi_f32_minmax_params p) {
  for (size_t i = 0; i < t->rows; i++) {
    for (size_t j = 0; j < t->cols; j++) {
      double w = want[i * t->cols + j];
      w = w < p.min ? p.min : (w > p.max ? p.max : w);
      const float got = c[i * c_stride + j];
      const double tol = 2e-6 * sqrt((double)t->k) * bound[i * t->cols + j] + 1e-30;
      if (!(fabs(got - w) <= tol)) {
        fprintf(stderr,
                "%s: M=%zu N=%zu K=%zu block %zu %s zp %d%s: c[%zu][%zu] = %.9g, want %.9g (tol %.3g, min %g max %g)\n",
                name, t->rows, t->cols, t->k, t->block, t->is_signed ? "int4" : "uint4", t->zp_mode,
                t->k_major ? " k-major" : "", i, j, got, w, tol, p.min, p.max);
        return false;
      }
    }
    for (size_t j = t->cols; j < c_stride && i + 1 < t->rows; j++)
      if (!isnan(c[i * c_stride + j])) {
        fprintf(stderr, "%s: M=%zu N=%zu K=%zu wrote past N in row %zu\n", name, t->rows, t->cols, t->k, i);
        return false;
      }
  }
  if (!isnan(c[(t->rows - 1) * c_stride + t->cols])) {
    fprintf(stderr, "%s: M=%zu N=%zu K=%zu wrote past the last row\n", name, t->rows, t->cols, t->k);
    return false;
  }
  return true;
}

static qi_f32_minmax_params clamp_params(const qb4w_case *t, const double *want) {
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < t->rows * t->cols; i++) lo = fmin(lo, want[i]), hi = fmax(hi, want[i]);
  qi_f32_minmax_params p = {-INFINITY, INFINITY};
  if (t->qmin > 0.0f) p.min = (float)(lo + (hi - lo) * t->qmin);
  if (t->qmax < 1.0f) p.max = (float)(lo + (hi - lo) * t->qmax);
  return p;
}

/* xw: C[rows, cols] = A[rows, k] * W^T + bias, W the source (cols channels x k), in calls of xw_mr rows. */
static void test_xw(const qi_f32_gemm_qb4w_config *cfg, const qb4w_case *t) {
  uint32_t seed = (uint32_t)(t->rows * 7919 + t->cols * 131 + t->k * 17 + t->block + t->zp_mode);
  qb4w_data d;
  make_source(t, t->cols, &seed, &d);
  const size_t a_stride = t->k + t->pad, c_stride = t->cols + t->pad, bl = packed_block(t);
  float *a = malloc(t->rows * a_stride * sizeof(float)), *c = malloc((t->rows * c_stride + 1) * sizeof(float));
  double *want = malloc(t->rows * t->cols * sizeof(double)), *bound = malloc(t->rows * t->cols * sizeof(double));
  for (size_t i = 0; i < t->rows * a_stride; i++) a[i] = frand(&seed);
  for (size_t i = 0; i < t->rows * c_stride + 1; i++) c[i] = NAN;
  oracle(t, &d, true, a, a_stride, 1, 0, want, bound);
  const qi_f32_qb4w_params params = {clamp_params(t, want), bl};
  const size_t size = qi_f32_gemm_qb4w_packed_xw_size(cfg, t->cols, t->k, bl);
  CHECK(size == (t->cols + cfg->xw_nr - 1) / cfg->xw_nr * qi_f32_gemm_qb4w_xw_panel_stride(cfg, t->k, bl));
  void *packed = malloc(size);
  qi_f32_gemm_qb4w_pack_xw(cfg, &d.src, bl, t->bias ? d.bias : NULL, packed);
  for (size_t r0 = 0; r0 < t->rows; r0 += cfg->xw_mr) {
    const size_t mr = t->rows - r0 < cfg->xw_mr ? t->rows - r0 : cfg->xw_mr;
    cfg->xw_ukernel(mr, t->cols, t->k, a + r0 * a_stride, a_stride, packed, c + r0 * c_stride, c_stride, &params);
  }
  CHECK(check_c(cfg->xw_name, t, c, c_stride, want, bound, params.minmax));
  free(a), free(c), free(want), free(bound), free(packed);
  free_source(&d);
}

/* w: C[rows, cols] = W * B[k, cols] + bias, W the source (rows channels x k), one call per panel of mr rows. */
static void test_w(const qi_f32_gemm_qb4w_config *cfg, const qb4w_case *t) {
  uint32_t seed = (uint32_t)(t->rows * 104729 + t->cols * 31 + t->k * 7 + t->block + t->zp_mode);
  qb4w_data d;
  make_source(t, t->rows, &seed, &d);
  const size_t b_stride = t->cols + t->pad, c_stride = t->cols + t->pad, bl = packed_block(t);
  float *b = malloc(t->k * b_stride * sizeof(float)), *c = malloc((t->rows * c_stride + 1) * sizeof(float));
  double *want = malloc(t->rows * t->cols * sizeof(double)), *bound = malloc(t->rows * t->cols * sizeof(double));
  for (size_t i = 0; i < t->k * b_stride; i++) b[i] = frand(&seed);
  for (size_t i = 0; i < t->rows * c_stride + 1; i++) c[i] = NAN;
  oracle(t, &d, false, b, 0, b_stride, 1, want, bound);
  const qi_f32_qb4w_params params = {clamp_params(t, want), bl};
  const size_t size = qi_f32_gemm_qb4w_packed_w_size(cfg, t->rows, t->k, bl);
  const size_t panel = qi_f32_gemm_qb4w_w_panel_stride(cfg, t->k, bl);
  CHECK(size == (t->rows + cfg->mr - 1) / cfg->mr * panel);
  uint8_t *packed = malloc(size);
  qi_f32_gemm_qb4w_pack_w(cfg, &d.src, bl, t->bias ? d.bias : NULL, packed);
  for (size_t r0 = 0; r0 < t->rows; r0 += cfg->mr) {
    const size_t mr = t->rows - r0 < cfg->mr ? t->rows - r0 : cfg->mr;
    cfg->ukernel(mr, t->cols, t->k, packed + r0 / cfg->mr * panel, b, b_stride, c + r0 * c_stride, c_stride,
                 &params);
  }
  CHECK(check_c(cfg->name, t, c, c_stride, want, bound, params.minmax));
  free(b), free(c), free(want), free(bound), free(packed);
  free_source(&d);
}

/* The quantization variants x blocks x k, at a few tile-relative shapes per orientation. */
static void test_config(const qi_f32_gemm_qb4w_config *cfg) {
  const size_t blocks[] = {0, 16, 32, 64, 128};
  unsigned n_case = 0;
  for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++) {
    const size_t bl = blocks[bi] ? blocks[bi] : 32;
    const size_t ks[] = {1, 7, bl + 5, 2 * bl + 9, blocks[bi] ? 3 * bl : 300};
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
      for (int variant = 0; variant < 5; variant++, n_case++) {
        const bool is_signed = variant % 2 == 0;
        const int zp_mode = variant == 4 ? 2 : variant / 2; /* int4: none, given, given; uint4: none, given, 8 */
        qb4w_case t = {.k = ks[ki], .block = blocks[bi], .is_signed = is_signed, .zp_mode = zp_mode,
                       .bias = n_case % 3 != 0, .k_major = n_case % 2 == 1, .pad = n_case % 4 == 1 ? 3 : 0,
                       .qmin = 0.0f, .qmax = 1.0f};
        /* xw: rows 1, xw_mr, past it; columns below, at and past the panel */
        const size_t xw_rows[] = {1, cfg->xw_mr, cfg->xw_mr + 1 + n_case % cfg->xw_mr};
        const size_t xw_cols[] = {1 + n_case % cfg->xw_nr, cfg->xw_nr, 2 * cfg->xw_nr + 1 + n_case % 5};
        for (size_t i = 0; i < 3; i++) {
          t.rows = xw_rows[i], t.cols = xw_cols[(i + n_case) % 3];
          test_xw(cfg, &t);
        }
        const size_t w_rows[] = {1 + n_case % cfg->mr, cfg->mr, 2 * cfg->mr + 1};
        const size_t w_cols[] = {1 + n_case % cfg->nr, cfg->nr, 3 * cfg->nr + 1 + n_case % 7};
        for (size_t i = 0; i < 3; i++) {
          t.rows = w_rows[i], t.cols = w_cols[(i + n_case) % 3];
          test_w(cfg, &t);
        }
      }
  }
  /* clamps, both orientations; k 600: several of the SIMD kernels' chunks (partial sums stored unclamped) */
  for (size_t i = 0; i < 4; i++) {
    qb4w_case t = {.rows = cfg->xw_mr, .cols = 2 * cfg->xw_nr + 3, .k = i == 3 ? 600 : 45, .block = 16,
                   .is_signed = i == 0, .zp_mode = 1, .bias = true, .pad = 2, .qmin = i == 2 ? 0.0f : 0.25f,
                   .qmax = i == 1 ? 1.0f : 0.75f};
    test_xw(cfg, &t);
    t.rows = cfg->mr + 1, t.cols = 2 * cfg->nr + 3;
    test_w(cfg, &t);
  }
}

/* The packed layout itself (f32-gemm-qb4w.h), on a hand-made 3 x 20 int4 source, block 16, panels of 2. */
static void test_pack_layout(void) {
  uint8_t w[30];
  for (int i = 0; i < 30; i++) w[i] = (uint8_t)(((2 * i + 1) % 16) << 4 | (2 * i) % 16); /* nibble n = n % 16 */
  const uint8_t zp[3] = {0x1f, 0x02, 0x00}; /* zp(0,0) = -1, zp(0,1) = 1 ... nibble 2r + b */
  const float scale[6] = {0.5f, 2.0f, 0.25f, 4.0f, 1.0f, 8.0f}, bias[3] = {10, 20, 30};
  const qi_qb4w_source src = {.m = 3, .k = 20, .block = 16, .w = w, .w_m_stride = 20, .w_k_stride = 1, .w_signed = true,
                              .scale = scale, .scale_m_stride = 2, .scale_b_stride = 1, .zero_point = zp,
                              .zp_m_stride = 2, .zp_b_stride = 1};
  const qi_f32_gemm_qb4w_config cfg = {.mr = 2, .xw_nr = 2};
  const size_t panel = 2 * 4 + 2 * (2 * 2 * 4 + 2 * 2 * 4); /* bias, 2 blocks of (scale, zs, 2 groups x 2 words) */
  CHECK(qi_f32_gemm_qb4w_packed_w_size(&cfg, 3, 20, 16) == 2 * panel);
  CHECK(qi_f32_gemm_qb4w_w_panel_stride(&cfg, 20, 16) == panel);
  uint8_t *packed = malloc(2 * panel);
  memset(packed, 0xee, 2 * panel);
  qi_f32_gemm_qb4w_pack_w(&cfg, &src, 16, bias, packed);
  float f[4];
  uint32_t u[4];
  memcpy(f, packed, 8);
  CHECK(f[0] == 10 && f[1] == 20);
  memcpy(f, packed + 8, 16); /* block 0: scale[2], zs[2]: rows 0, 1; z = zp + 8: row 0 zp -1, row 1 zp 2 */
  CHECK(f[0] == 0.5f && f[1] == 0.25f && f[2] == -(7 * 0.5f) && f[3] == -(10 * 0.25f));
  memcpy(u, packed + 24, 16); /* groups 0, 1 of rows 0, 1: q of row r, k j is nibble (20 r + j) % 16 as int4 */
  /* row 0, k 0..7: q = 0..7, u = q + 8 = 8..15; row 1, k 0..7: nibbles 20..27 % 16 = 4..11, q = 4..7,-8..-5 */
  CHECK(u[0] == 0xfedcba98u && u[1] == 0x3210fedcu);
  /* group 1: row 0, k 8..15: nibbles 8..15, q = -8..-1, u = 0..7; row 1: nibbles 28..35 % 16 = 12..15, 0..3 */
  CHECK(u[2] == 0x76543210u && u[3] == 0xba987654u);
  memcpy(f, packed + 40, 16); /* block 1: row 0 zp nibble 1 = 1, row 1 zp nibble 3 = 0 */
  CHECK(f[0] == 2.0f && f[1] == 4.0f && f[2] == -(9 * 2.0f) && f[3] == -(8 * 4.0f));
  memcpy(u, packed + 56, 16); /* k 16..19 then zeros past K: row 0 nibbles 16..19 = 0..3 (u 8..11), row 1: 36..39 */
  CHECK(u[0] == 0xba98u && u[1] == 0xfedcu && u[2] == 0 && u[3] == 0);
  /* panel 1: row 2 and a zero channel */
  memcpy(f, packed + panel, 8);
  CHECK(f[0] == 30 && f[1] == 0);
  memcpy(f, packed + panel + 8, 16);
  CHECK(f[0] == 1.0f && f[1] == 0.0f && f[2] == -(8 * 1.0f) && f[3] == 0.0f);
  free(packed);
}

int main(void) {
  test_pack_layout();
  size_t count;
  const qi_f32_gemm_qb4w_config *const *list = qi_f32_gemm_qb4w_config_list(&count);
  CHECK(count >= 1 && list[0]->features == 0);
  kl_seen seen = {0};
  for (size_t i = 0; i < count + EMU16_CONFIGS; i++) {
    const qi_f32_gemm_qb4w_config *cfg = i < count ? list[i] : emu16_configs[i - count];
    const char *names[] = {cfg->name, cfg->xw_name};
    if (!kl_runnable_all(names, 2, cfg->features)) continue;
    if (!KL_FIRST(&seen, cfg->xw_ukernel, cfg->xw_name)) continue;
    CHECK(cfg->ukernel != NULL && cfg->xw_ukernel != NULL && cfg->mr >= 1 && cfg->nr >= 1 && cfg->xw_mr >= 1 &&
          cfg->xw_nr >= 1);
    printf("testing %s (tile %zux%zu) and %s (tile %zux%zu)\n", cfg->name, cfg->mr, cfg->nr, cfg->xw_name,
           cfg->xw_mr, cfg->xw_nr);
    test_config(cfg);
  }
  CHECK(qi_f32_gemm_qb4w_config_get(QI_ISA_SCALAR)->ukernel == qi_f32_qb4w_gemm_minmax_ukernel_4x4__scalar);
  return TEST_SUMMARY();
}
