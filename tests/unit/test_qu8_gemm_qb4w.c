/* Every kernel of the W4A8 family (qi_qu8_gemm_qb4w_config_list) that this CPU can run, against a naive oracle
 * that reads the 4-bit source (kernels/qb4w.h) directly, never the packed panels: per element q - zp, an int64
 * sum per block (+ bias_q in block 0) wrapped to int32, then the header's float rule in its order
 * (f = bias_f, f = f + (float)acc_b * s_b for b = 0, 1, ...), then round half to even and the clamp of
 * tests/unit/requant_oracle.h. Exact (tolerance 0). The others are reported as skipped.
 *
 * Per kernel: the random grid (int4 / uint4, with and without zero points, per-channel and blocks of 16, 32, 64,
 * 128; K below, at and above the block and not a multiple of it, K = 1, K odd; row-major and column-major
 * sources; uint4 without zero points at MatMulNBits' default 8; uint8 and int8 activations and outputs, clamps,
 * both stores, bias_f and bias_q), the tail grid (every M in 1..2 MR against every N in 1..2 NR + 3, and wide N
 * up to 9 NR + 3), the boundary grid (every output on a rounding tie, so that one unit of accumulator error
 * changes it), the extreme grid (u = 0 / 15 against the opposite zero point, bytes 0 / 255, the largest K: zc
 * and the sums near their bounds) and the int8 equivalence: per-channel weights through this family give the
 * int8 family's (kernels/qu8-gemm) bytes for the same integer weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/qu8-gemm-qb4w/qu8-gemm-qb4w.h"
#include "qu8_gemm_tester.h"
#include "requant_oracle.h"

TEST_MAIN_GLOBALS;

#if defined(__x86_64__) && defined(__GNUC__)
/* The AVX-VNNI kernel's own code with its one AVX-VNNI instruction emulated, so that everything else in it (the
 * unpacking, the offsets, the epilogue, the stores) runs on any AVX2 CPU: the file is compiled here for AVX2
 * with vpdpbusd replaced by an exact AVX2 equivalent. Per 32-bit lane l, vpdpbusd adds
 * sum_{i<4} a[4l + i] * b[4l + i] (a unsigned, b signed bytes); the even and the odd bytes widened to int16 give
 * two vpmaddwd whose lanes hold the i = 0, 2 and i = 1, 3 pairs, each exact in int32. */
#pragma GCC push_options
#pragma GCC target("avx2")
#include <immintrin.h>
static inline __m256i qb_dpbusd_by_avx2(__m256i acc, __m256i a, __m256i b) {
  const __m256i a_even = _mm256_and_si256(a, _mm256_set1_epi16(0xff)), a_odd = _mm256_srli_epi16(a, 8);
  const __m256i b_even = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8), b_odd = _mm256_srai_epi16(b, 8);
  return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(a_even, b_even), _mm256_madd_epi16(a_odd, b_odd)));
}
#define _mm256_dpbusd_avx_epi32 qb_dpbusd_by_avx2
#define qi_qu8_qb4w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni qb_avxvnni_6x16c4_emulated
#include "kernels/qu8-gemm-qb4w/6x16c4-avxvnni.c"
#undef qi_qu8_qb4w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni
#undef _mm256_dpbusd_avx_epi32
#undef MR
#undef NR
#undef KR
#pragma GCC pop_options
#define QB_AVXVNNI_EMULATED 1
#endif /* x86 GCC */

typedef struct qb_problem {
  size_t m, n, k;
  size_t block;    /* source block; 0: per-channel */
  bool w_signed;   /* int4 (else uint4) */
  bool has_zp;     /* zero-point tensor (else zp_default) */
  int32_t zp_default; /* 0 (ONNX), or 8 for uint4 (MatMulNBits' default) */
  bool k_major;    /* source stored [K, M] (MatMul's B) instead of [M, K] */
  bool x_int8;     /* int8 activations and output (else uint8) */
  bool transpose;  /* store C[m][n] at n * M + m */
  bool use_bias_f, use_bias_q;
  uint8_t *w, *zp; /* nibbles */
  float *s;        /* m x nb composed scales, nb = packed blocks */
  float *bias_f;
  int32_t *bias_q;
  uint8_t *x;      /* k x n tensor bytes */
  int32_t x_zp, y_zp, qmin, qmax;
  int boundary_up; /* boundary cases: the accumulator error direction every output catches (see qb_boundary) */
} qb_problem;

static size_t qb_bl(const qb_problem *p) { return p->block ? p->block : qi_qu8_gemm_qb4w_channel_block(p->k); }
static size_t qb_nb(const qb_problem *p) { return (p->k + qb_bl(p) - 1) / qb_bl(p); }
static size_t qb_src_blocks(const qb_problem *p) { return p->block ? qb_nb(p) : 1; }

static void set_nibble(uint8_t *a, size_t n, int32_t v) {
  const uint8_t nib = (uint8_t)(v & 15);
  a[n / 2] = (uint8_t)(n % 2 ? (a[n / 2] & 0x0f) | (nib << 4) : (a[n / 2] & 0xf0) | nib);
}

static qi_qb4w_source qb_source(const qb_problem *p) {
  const size_t sb = qb_src_blocks(p);
  const qi_qb4w_source src = {
      .m = p->m, .k = p->k, .block = p->block ? p->block : (p->k % 2 ? p->k : 2 * p->k), /* per-channel: >= k */
      .w = p->w, .w_m_stride = p->k_major ? 1 : p->k, .w_k_stride = p->k_major ? p->m : 1,
      .w_signed = p->w_signed, .scale = p->s, .scale_m_stride = qb_nb(p), .scale_b_stride = 1,
      .zero_point = p->has_zp ? p->zp : NULL, .zp_m_stride = sb, .zp_b_stride = 1, .zero_point_default = p->zp_default};
  return src;
}

static void qb_alloc(qb_problem *p, size_t m, size_t n, size_t k, size_t block, bool w_signed, bool has_zp) {
  *p = (qb_problem){.m = m, .n = n, .k = k, .block = block, .w_signed = w_signed, .has_zp = has_zp,
                    .boundary_up = -1};
  p->w = calloc((m * k + 1) / 2, 1);
  p->zp = calloc((m * qb_src_blocks(p) + 1) / 2, 1);
  p->s = malloc(m * qb_nb(p) * sizeof(float));
  p->bias_f = malloc(m * sizeof(float));
  p->bias_q = malloc(m * sizeof(int32_t));
  p->x = malloc(k * n);
}
static void qb_free(qb_problem *p) {
  free(p->w), free(p->zp), free(p->s), free(p->bias_f), free(p->bias_q), free(p->x);
}

/* Weight (i, j) and the zero point of row i, source block b, in q's own type. */
static void qb_set_w(qb_problem *p, size_t i, size_t j, int32_t q) {
  set_nibble(p->w, p->k_major ? j * p->m + i : i * p->k + j, q);
}
static void qb_set_zp(qb_problem *p, size_t i, size_t b, int32_t zp) {
  set_nibble(p->zp, i * qb_src_blocks(p) + b, zp);
}
static int32_t qb_qmin(const qb_problem *p) { return p->w_signed ? -8 : 0; }

/* Random data over the whole ranges; `clamp` narrows [qmin, qmax] around y_zp. */
static void qb_random(qb_problem *p, uint32_t seed, bool clamp) {
  const int32_t lo4 = qb_qmin(p);
  for (size_t i = 0; i < p->m; i++)
    for (size_t j = 0; j < p->k; j++) qb_set_w(p, i, j, qg_range(&seed, lo4, lo4 + 15));
  if (p->has_zp)
    for (size_t i = 0; i < p->m; i++)
      for (size_t b = 0; b < qb_src_blocks(p); b++) qb_set_zp(p, i, b, qg_range(&seed, lo4, lo4 + 15));
  for (size_t i = 0; i < p->k * p->n; i++) p->x[i] = (uint8_t)qg_range(&seed, 0, 255);
  const int32_t lo = p->x_int8 ? -128 : 0, hi = p->x_int8 ? 127 : 255;
  p->x_zp = qg_range(&seed, lo, hi), p->y_zp = qg_range(&seed, lo, hi);
  p->qmin = lo, p->qmax = hi;
  if (clamp) p->qmin = qg_range(&seed, lo, p->y_zp), p->qmax = qg_range(&seed, p->y_zp, hi);
  const double spread = 8.0 * sqrt((double)p->k) + 200.0; /* outputs over the whole range, some saturating */
  for (size_t i = 0; i < p->m * qb_nb(p); i++) p->s[i] = (float)((0.5 + (qg_rnd(&seed) % 1000) / 500.0) / spread);
  for (size_t i = 0; i < p->m; i++) {
    p->bias_f[i] = (float)qg_range(&seed, -6000, 6000) / 64.0f;
    p->bias_q[i] = qg_range(&seed, -20000, 20000);
  }
}

/* The oracle's int32 sum of output (i, j) over packed block b (bias_q in block 0), from the source. */
static int32_t qb_block_acc(const qb_problem *p, const qi_qb4w_source *src, size_t i, size_t j, size_t b) {
  const size_t bl = qb_bl(p), k1 = (b + 1) * bl < p->k ? (b + 1) * bl : p->k;
  int64_t acc = b == 0 && p->use_bias_q ? p->bias_q[i] : 0;
  for (size_t kk = b * bl; kk < k1; kk++) {
    const int32_t wv = qi_qb4w_q(src, i, kk) - qi_qb4w_zp(src, i, kk / src->block);
    const int32_t xv = p->x_int8 ? (int8_t)p->x[kk * p->n + j] : p->x[kk * p->n + j];
    acc += (int64_t)wv * (xv - p->x_zp);
  }
  return (int32_t)(uint32_t)acc;
}

/* The float total f of output (i, j) in the header's order. */
static float qb_total(const qb_problem *p, const qi_qb4w_source *src, size_t i, size_t j) {
  float f = p->use_bias_f ? p->bias_f[i] : 0.0f;
  for (size_t b = 0; b < qb_nb(p); b++) {
    const float prod = (float)qb_block_acc(p, src, i, j, b) * p->s[i * qb_nb(p) + b];
    f = f + prod;
  }
  return f;
}

/* saturate(round_half_even(f) + zp): requant_oracle.h's rounding on the float total. */
static int32_t qb_out(float f, int32_t zp, int32_t qmin, int32_t qmax) {
  if (!(fabsf(f) < 16777216.0f)) return f > 0 ? qmax : qmin;
  const double q = oracle_round_half_even(f) + zp;
  return q < qmin ? qmin : q > qmax ? qmax : (int32_t)q;
}

/* Packs p through cfg, runs its ukernel panel by panel into c (m * n bytes + a guard, 0xa5 before the call).
 * Returns false (after a message) if the kernel wrote past the output. */
static bool qb_run(const qi_qu8_gemm_qb4w_config *cfg, const qb_problem *p, uint8_t *c, size_t c_size) {
  const size_t m = p->m, n = p->n, k = p->k, bl = qb_bl(p);
  const qi_qb4w_source src = qb_source(p);
  void *pw = malloc(qi_qu8_gemm_qb4w_packed_size(cfg, m, k, bl));
  uint8_t *px = malloc(qi_qu8_gemm_packed_x_bytes(k, n, cfg->nr, cfg->kr));
  memset(c, 0xa5, c_size);
  const int32_t x_zp = qi_act_domain_value(cfg->x_domain, p->x_zp, p->x_int8);
  qi_qu8_gemm_qb4w_pack_w(cfg, &src, bl, p->s, p->use_bias_f ? p->bias_f : NULL, p->use_bias_q ? p->bias_q : NULL,
                          x_zp, pw);
  cfg->pack_x(k, n, cfg->nr, cfg->kr, p->x, n, 1, qi_act_domain_flip(cfg->x_domain, p->x_int8), px);
  const qi_qu8_gemm_qb4w_params params = {qi_qu8_gemm_params_make(p->y_zp, p->qmin, p->qmax, p->x_int8), bl};
  const size_t rs = p->transpose ? 1 : n, cs = p->transpose ? m : 1;
  const size_t panel = qi_qu8_gemm_qb4w_panel_bytes(cfg->mr, k, bl);
  for (size_t r0 = 0; r0 < m; r0 += cfg->mr)
    cfg->ukernel(m - r0 < cfg->mr ? m - r0 : cfg->mr, n, k, (const uint8_t *)pw + r0 / cfg->mr * panel, px,
                 c + r0 * rs, rs, cs, &params);
  free(pw), free(px);
  for (size_t i = m * n; i < c_size; i++)
    if (c[i] != 0xa5) {
      fprintf(stderr, "%s: M=%zu N=%zu K=%zu wrote past the output\n", cfg->name, m, n, k);
      return false;
    }
  return true;
}

static const char *qb_describe(const qb_problem *p, char *buf, size_t size) {
  snprintf(buf, size, "%s%s %s%s%s%s%s%s", p->w_signed ? "int4" : "uint4", p->has_zp ? " zp" : "",
           p->x_int8 ? "int8" : "uint8", p->k_major ? " k-major" : "", p->transpose ? " transposed" : "",
           p->use_bias_f ? " bias_f" : "", p->use_bias_q ? " bias_q" : "", p->boundary_up >= 0 ? " boundary" : "");
  return buf;
}

/* One unit of accumulator error in block 0 in the case's direction changes output (i, j): qb_boundary's promise,
 * checked on the oracle. */
static bool qb_sensitive(const qb_problem *p, size_t i, float f) {
  const float step = ((i + (size_t)p->boundary_up) % 2 ? -1.0f : 1.0f) * p->s[i * qb_nb(p)];
  return qb_out(f, p->y_zp, p->qmin, p->qmax) != qb_out(f + step, p->y_zp, p->qmin, p->qmax);
}

/* Runs p through cfg and compares every byte with the oracle; prints the first mismatch. */
static bool qb_check(const qi_qu8_gemm_qb4w_config *cfg, const qb_problem *p) {
  const size_t m = p->m, n = p->n, c_size = m * n + 64;
  uint8_t *c = malloc(c_size);
  bool ok = qb_run(cfg, p, c, c_size);
  const qi_qb4w_source src = qb_source(p);
  const size_t rs = p->transpose ? 1 : n, cs = p->transpose ? m : 1;
  for (size_t i = 0; i < m && ok; i++)
    for (size_t j = 0; j < n && ok; j++) {
      const float f = qb_total(p, &src, i, j);
      const int32_t want = qb_out(f, p->y_zp, p->qmin, p->qmax);
      const uint8_t byte = c[i * rs + j * cs];
      const int32_t got = p->x_int8 ? (int8_t)byte : byte;
      char what[96];
      if (got != want) {
        fprintf(stderr,
                "%s: M=%zu N=%zu K=%zu bl=%zu tile %zux%zuc%zu %s: c[%zu][%zu] = %d, want %d (f %.9g, block-0 acc "
                "%d, scale %.9g, x_zp %d, y_zp %d, q [%d, %d])\n",
                cfg->name, m, n, p->k, qb_bl(p), cfg->mr, cfg->nr, cfg->kr, qb_describe(p, what, sizeof what), i, j,
                got, want, (double)f, qb_block_acc(p, &src, i, j, 0), (double)p->s[i * qb_nb(p)], p->x_zp, p->y_zp,
                p->qmin, p->qmax);
        ok = false;
      }
      if (p->boundary_up >= 0 && !qb_sensitive(p, i, f)) {
        fprintf(stderr, "qb_boundary: M=%zu N=%zu K=%zu: output (%zu, %zu) is off the boundary\n", m, n, p->k, i, j);
        ok = false;
      }
    }
  free(c);
  return ok;
}

static const size_t blocks[] = {0, 16, 32, 64, 128}; /* 0: per-channel */

/* The random grid: every weight type and block size, K around the block, M and N walking their tails. */
static int qb_random_grid(const qi_qu8_gemm_qb4w_config *cfg, bool *ok) {
  int cases = 0;
  for (int wt = 0; wt < 4; wt++)
    for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++) {
      const size_t bl = blocks[bi];
      const size_t ks_channel[] = {1, 3, 4, 31, 32, 33, 100, 577};
      const size_t ks_block[] = {1, 3, bl / 2 + 1, bl, bl + 4, bl + 5, 2 * bl + 7, 3 * bl};
      for (size_t ki = 0; ki < 8; ki++, cases++) {
        const size_t k = bl ? ks_block[ki] : ks_channel[ki];
        const size_t m = 1 + (size_t)cases * 5 % (2 * cfg->mr), n = 1 + (size_t)cases * 7 % (2 * cfg->nr + 3);
        qb_problem p;
        qb_alloc(&p, m, n, k, bl, wt & 1, wt & 2);
        p.k_major = cases % 3 == 1, p.x_int8 = cases % 2, p.transpose = cases % 5 < 2;
        p.use_bias_f = cases % 4 != 0, p.use_bias_q = cases % 3 != 0;
        if (!p.has_zp && !p.w_signed && ki % 2) p.zp_default = 8; /* uint4 without zero points: MatMulNBits */
        qb_random(&p, 1000u + (uint32_t)cases, cases % 7 == 3);
        *ok &= qb_check(cfg, &p);
        qb_free(&p);
      }
    }
  /* a real layer shape per block kind (ResNet-50 conv5_x 3x3, K 4608, a slice of its rows and pixels) */
  for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++, cases++) {
    qb_problem p;
    qb_alloc(&p, 2 * cfg->mr + 1, 2 * cfg->nr + 3, 4608, blocks[bi], bi % 2, bi % 3 != 1);
    p.x_int8 = bi % 2 == 0, p.use_bias_f = p.use_bias_q = true, p.transpose = bi == 2;
    qb_random(&p, 77u + (uint32_t)bi, false);
    *ok &= qb_check(cfg, &p);
    qb_free(&p);
  }
  return cases;
}

/* Every M in 1..2 MR against every N in 1..2 NR + 3, then wide calls (N from 4 NR - 1 to 9 NR + 3: kernels that
 * take columns in sets of several NR blocks, as the AVX2 tile does, cross a set), per-channel and block 32 (K not
 * a multiple of either). */
static int qb_tail_grid(const qi_qu8_gemm_qb4w_config *cfg, bool *ok) {
  int cases = 0;
  const size_t nr = cfg->nr, wide[] = {4 * nr - 1, 4 * nr, 4 * nr + 1, 5 * nr + 2, 8 * nr, 9 * nr + 3};
  const size_t n_tail = 2 * nr + 3, n_wide = sizeof wide / sizeof wide[0];
  for (size_t m = 1; m <= 2 * cfg->mr; m++)
    for (size_t i = 0; i < n_tail + (m % 3 == 1 ? n_wide : 0); i++)
      for (int per_channel = 0; per_channel <= 1; per_channel++, cases++) {
        const size_t n = i < n_tail ? i + 1 : wide[i - n_tail];
        qb_problem p;
        qb_alloc(&p, m, n, per_channel ? 37 : 71, per_channel ? 0 : 32, cases % 2, cases % 3 == 0);
        p.x_int8 = cases % 4 < 2, p.transpose = cases % 5 == 0, p.use_bias_f = p.use_bias_q = cases % 3 == 1;
        qb_random(&p, 31u + (uint32_t)cases, cases % 6 == 5);
        *ok &= qb_check(cfg, &p);
        qb_free(&p);
      }
  return cases;
}

/* Outputs on rounding ties. Weights and zero points of one parity give even values u - z = 2 a (a in -7..7) and
 * activations x_zp - 128 b (b in {0, 1}), so a block's sum is 256 T_b. The scales are 2^-7 and bias_q is 64 + 128
 * par, so f = sum_b 2 T_b + par + 0.5 exactly: a tie that rounds to the even neighbour. One accumulator unit too
 * high makes it 2 T + par + 0.5 + 2^-7, which rounds up: every output of a row whose 2 T + par is even changes;
 * one too low changes the odd ones. With par alternating by row and both error directions (`up`) in twin cases,
 * every output catches both. The activations are drawn column by column keeping |T| <= 60 (outputs inside
 * [-127, 127] around the zero point, nothing saturates); x_zp is 128 (uint8) or 0 (int8), so x - x_zp is 0 or
 * -128 and the byte is x_zp or x_zp - 128. */
static void qb_boundary(qb_problem *p, uint32_t seed, int up) {
  const int32_t mid = p->x_int8 ? 0 : 128, lo4 = qb_qmin(p);
  p->x_zp = p->y_zp = mid, p->qmin = mid - 128, p->qmax = mid + 127;
  p->boundary_up = up, p->use_bias_q = true, p->use_bias_f = false;
  const size_t sb = qb_src_blocks(p), sblk = p->block ? p->block : p->k;
  int32_t *wd = malloc(p->m * p->k * sizeof(int32_t));
  for (size_t i = 0; i < p->m; i++) {
    const int parity = (int)(qg_rnd(&seed) % 2); /* of every q and zp of row i */
    for (size_t b = 0; b < sb; b++) {
      const int32_t zp = p->has_zp ? lo4 + parity + 2 * qg_range(&seed, 0, 7) : 0;
      if (p->has_zp) qb_set_zp(p, i, b, zp);
      for (size_t j = b * sblk; j < (b + 1) * sblk && j < p->k; j++) {
        const int32_t q = lo4 + (p->has_zp ? parity : 0) + 2 * qg_range(&seed, 0, 7); /* zp 0: even q */
        qb_set_w(p, i, j, q);
        wd[i * p->k + j] = (q - zp) / 2;
      }
    }
    p->bias_q[i] = 64 + 128 * (int32_t)((i + (size_t)up) % 2);
  }
  for (size_t i = 0; i < p->m * qb_nb(p); i++) p->s[i] = 0x1p-7f;
  int32_t *t = malloc(p->m * sizeof(int32_t));
  for (size_t j = 0; j < p->n; j++) {
    memset(t, 0, p->m * sizeof(int32_t));
    for (size_t kk = 0; kk < p->k; kk++) {
      int b = (int)(qg_rnd(&seed) % 2);
      for (size_t i = 0; i < p->m && b; i++)
        if (abs(t[i] - wd[i * p->k + kk]) > 60) b = 0;
      for (size_t i = 0; i < p->m; i++) t[i] -= b * wd[i * p->k + kk];
      p->x[kk * p->n + j] = (uint8_t)(mid - 128 * b); /* int8: the two's complement byte */
    }
  }
  free(t), free(wd);
}

/* Every row count up to MR and past it, every column tail up to 2 NR + 1, per-channel and blocks of 16 and 32,
 * both error directions, uint8 and int8, both stores, all four weight types. */
static int qb_boundary_grid(const qi_qu8_gemm_qb4w_config *cfg, bool *ok) {
  const size_t shapes[][2] = {{0, 1}, {0, 43}, {16, 40}, {32, 67}}; /* {block, k} */
  int cases = 0;
  for (size_t m = 1; m <= cfg->mr + 2; m++)
    for (size_t n = 1; n <= 2 * cfg->nr + 1; n++)
      for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int up = 0; up <= 1; up++, cases++) {
          qb_problem p;
          qb_alloc(&p, m == cfg->mr + 2 ? 2 * cfg->mr + 1 : m, n, shapes[s][1], shapes[s][0], cases % 2,
                   (cases / 2) % 2);
          p.x_int8 = (m + n + s) % 2, p.transpose = (n + s) % 3 == 0, p.k_major = s == 2;
          qb_boundary(&p, 4242u + (uint32_t)cases, up);
          *ok &= qb_check(cfg, &p);
          qb_free(&p);
        }
  return cases;
}

/* Extremes: every weight at u = 0 or 15 against the zero point at the other end (u - z = -15 or 15), bytes 0 or
 * 255 against the zero point at the other end, the largest K: block sums and zc near 255 * 15 * 65536. */
static int qb_extreme_grid(const qi_qu8_gemm_qb4w_config *cfg, bool *ok) {
  const size_t shapes[][2] = {{0, 65536}, {128, 65536}, {32, 4100}, {16, 1000}}; /* {block, k} */
  int cases = 0;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int variant = 0; variant < 4; variant++, cases++) {
      uint32_t seed = 9000u + (uint32_t)cases;
      qb_problem p;
      const size_t k = shapes[s][1];
      qb_alloc(&p, k > 5000 ? 5 : cfg->mr + 1, k > 5000 ? 3 : cfg->nr + 1, k, shapes[s][0], variant & 1, true);
      p.x_int8 = variant & 2, p.transpose = variant == 3, p.use_bias_q = p.use_bias_f = variant & 1;
      const int32_t lo4 = qb_qmin(&p);
      for (size_t i = 0; i < p.m; i++) {
        const bool high = (i + (size_t)variant) % 2; /* u = 15, z = 0, else u = 0, z = 15 */
        for (size_t b = 0; b < qb_src_blocks(&p); b++) qb_set_zp(&p, i, b, lo4 + (high ? 0 : 15));
        for (size_t j = 0; j < k; j++) qb_set_w(&p, i, j, lo4 + (high && qg_rnd(&seed) % 16 ? 15 : 0));
      }
      const int32_t xlo = p.x_int8 ? -128 : 0;
      p.x_zp = xlo + (variant % 3 ? 255 : 0), p.y_zp = xlo + 128, p.qmin = xlo, p.qmax = xlo + 255;
      for (size_t i = 0; i < k * p.n; i++) /* values xlo + 255 or xlo against x_zp at the other end, some mid-range */
        p.x[i] = (uint8_t)(qg_rnd(&seed) % 4 ? (p.x_zp == xlo ? xlo + 255 : xlo) : xlo + 128);
      for (size_t i = 0; i < p.m * qb_nb(&p); i++) p.s[i] = (float)(100.0 / (255.0 * 15.0 * (double)k));
      const int32_t bq = (int32_t)(0.3 * 255.0 * 15.0 * (double)k); /* f moves by about 30 */
      for (size_t i = 0; i < p.m; i++) p.bias_q[i] = i % 2 ? bq : -bq, p.bias_f[i] = 1.0f;
      *ok &= qb_check(cfg, &p);
      qb_free(&p);
    }
  return cases;
}

/* Per-channel weights (block >= K) through cfg against every runnable int8 config with the weights u - z as int8,
 * bias = bias_q and the same scales: the header's claim that per-channel int4 is exactly the INT8 rule. */
static int qb_int8_equivalence(const qi_qu8_gemm_qb4w_config *cfg, bool *ok) {
  size_t count;
  const qi_qu8_gemm_config *const *i8 = qi_qu8_gemm_config_list(&count);
  const size_t ks[] = {1, 27, 64, 577, 2304};
  int cases = 0;
  for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
    for (int wt = 0; wt < 4; wt++, cases++) {
      qb_problem p;
      qb_alloc(&p, 2 * cfg->mr + 3, 2 * cfg->nr + 5, ks[ki], 0, wt & 1, wt & 2);
      p.x_int8 = wt % 3 == 0, p.use_bias_q = true, p.transpose = ki % 2;
      qb_random(&p, 5150u + (uint32_t)cases, ki == 2);
      const size_t m = p.m, n = p.n, k = p.k, c_size = m * n + 64;
      uint8_t *c4 = malloc(c_size), *c8 = malloc(c_size);
      *ok &= qb_run(cfg, &p, c4, c_size);
      const qi_qb4w_source src = qb_source(&p);
      int8_t *w8 = malloc(m * k);
      for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++) w8[i * k + j] = (int8_t)(qi_qb4w_q(&src, i, j) - qi_qb4w_zp(&src, i, 0));
      const size_t rs = p.transpose ? 1 : n, cs = p.transpose ? m : 1;
      for (size_t e = 0; e < count; e++) {
        const qi_qu8_gemm_config *c8cfg = i8[e];
        if (qi_cpu_missing(c8cfg->features)) continue;
        void *pw = malloc(c8cfg->packed_w_size(c8cfg, m, k));
        uint8_t *px = malloc(qi_qu8_gemm_packed_x_bytes(k, n, c8cfg->nr, c8cfg->kr));
        c8cfg->pack_w(c8cfg, m, k, w8, k, 1, p.bias_q, p.s, qi_qu8_gemm_x_zero_point(c8cfg, p.x_zp, p.x_int8), pw);
        qi_qu8_gemm_pack_x(k, n, c8cfg->nr, c8cfg->kr, p.x, n, 1, qi_qu8_gemm_x_flip(c8cfg, p.x_int8), px);
        const qi_qu8_gemm_params params = c8cfg->init_params(p.y_zp, p.qmin, p.qmax, p.x_int8);
        memset(c8, 0xa5, c_size);
        for (size_t r0 = 0; r0 < m; r0 += c8cfg->mr)
          c8cfg->ukernel(m - r0 < c8cfg->mr ? m - r0 : c8cfg->mr, n, k,
                         (const uint8_t *)pw + r0 / c8cfg->mr * qi_qu8_gemm_panel_stride(c8cfg, k), px, c8 + r0 * rs,
                         rs, cs, &params);
        bool same = true;
        for (size_t i = 0; i < m && same; i++)
          for (size_t j = 0; j < n && same; j++)
            if (c4[i * rs + j * cs] != c8[i * rs + j * cs]) {
              fprintf(stderr, "%s vs %s: M=%zu N=%zu K=%zu: c[%zu][%zu] = %d, int8 family %d\n", cfg->name,
                      c8cfg->name, m, n, k, i, j, c4[i * rs + j * cs], c8[i * rs + j * cs]);
              same = false;
            }
        *ok &= same;
        free(pw), free(px);
      }
      free(w8), free(c4), free(c8);
      qb_free(&p);
    }
  return cases;
}

static void test_kernels(void) {
  size_t count;
  const qi_qu8_gemm_qb4w_config *const *list = qi_qu8_gemm_qb4w_config_list(&count);
  CHECK(count >= 1 && list[0]->features == 0);
  kl_seen seen = {0};
  for (size_t i = 0; i < count; i++) {
    const qi_qu8_gemm_qb4w_config *cfg = list[i];
    if (!kl_runnable(cfg->name, cfg->features) || !KL_FIRST(&seen, cfg->ukernel, cfg->name)) continue;
    bool ok = true;
    const int random = qb_random_grid(cfg, &ok), tails = qb_tail_grid(cfg, &ok);
    const int boundary = qb_boundary_grid(cfg, &ok), extreme = qb_extreme_grid(cfg, &ok);
    const int equiv = qb_int8_equivalence(cfg, &ok);
    CHECK_MSG(ok, "%s", cfg->name);
    printf("%s (%zux%zuc%zu): %d random, %d tail, %d boundary, %d extreme, %d int8-equivalence cases %s\n", cfg->name,
           cfg->mr, cfg->nr, cfg->kr, random, tails, boundary, extreme, equiv, ok ? "ok" : "FAILED");
  }
}

/* The AVX-VNNI config's tile, packing and domain with its kernel compiled with vpdpbusd emulated (above). */
static void test_avxvnni_emulated(void) {
#ifdef QB_AVXVNNI_EMULATED
  size_t count;
  const qi_qu8_gemm_qb4w_config *const *list = qi_qu8_gemm_qb4w_config_list(&count);
  for (size_t i = 0; i < count; i++) {
    if (strcmp(list[i]->name, "qi_qu8_qb4w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni") != 0) continue;
    qi_qu8_gemm_qb4w_config cfg = *list[i];
    cfg.ukernel = qb_avxvnni_6x16c4_emulated;
    cfg.name = "qi_qu8_qb4w_gemm_minmax_fp32_ukernel_6x16c4__avxvnni with vpdpbusd emulated by AVX2";
    cfg.features = QI_CPU_AVX2;
    if (!kl_runnable(cfg.name, cfg.features)) return;
    bool ok = true;
    const int random = qb_random_grid(&cfg, &ok), tails = qb_tail_grid(&cfg, &ok);
    const int boundary = qb_boundary_grid(&cfg, &ok), extreme = qb_extreme_grid(&cfg, &ok);
    CHECK_MSG(ok, "%s", cfg.name);
    printf("%s (%zux%zuc%zu): %d random, %d tail, %d boundary, %d extreme cases %s\n", cfg.name, cfg.mr, cfg.nr,
           cfg.kr, random, tails, boundary, extreme, ok ? "ok" : "FAILED");
    return;
  }
  CHECK_MSG(false, "the AVX-VNNI config is not in the list");
#endif
}

int main(void) {
  test_kernels();
  test_avxvnni_emulated();
  return TEST_SUMMARY();
}
