/* The metric math of `qinfer compare` (engine/quant/compare_metrics.c; formatting: tools/compare_format.c) against
 * values computed by hand: SQNR, cosine, max / mean |diff|, equal share, the edge cases (equal, all zero, NaN,
 * empty), dequantization per tensor and per axis, the worst-first order, number formatting and CSV quoting. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "engine/quant/compare_metrics.h"
#include "tools/compare_format.h"

TEST_MAIN_GLOBALS;

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-12 * (1.0 + fabs(b)))

static void test_basic(void) {
  /* Σ r² = 30, Σ d² = 1: SQNR = 10·log10(30); cosine = 34 / sqrt(30 · 39). */
  const float r[] = {1, 2, 3, 4}, t[] = {1, 2, 3, 5};
  qi_cmp_metrics m;
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, r, NULL, QINFER_DTYPE_FLOAT, t, NULL, 4, &m);
  CHECK(m.n == 4);
  CHECK_MSG(NEAR(m.sqnr_db, 14.771212547196624), "%.17g", m.sqnr_db);
  CHECK_MSG(NEAR(m.cosine, 0.9939990885479664), "%.17g", m.cosine);
  CHECK(m.max_abs == 1.0 && m.mean_abs == 0.25 && m.equal_share == 0.75);

  /* Σ r² = 2.5, Σ d² = 0.3125: ratio 8; cosine 1.625 / sqrt(2.5 · 1.0625). */
  const float r2[] = {0.5f, -1.5f}, t2[] = {0.25f, -1.0f};
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, r2, NULL, QINFER_DTYPE_FLOAT, t2, NULL, 2, &m);
  CHECK_MSG(NEAR(m.sqnr_db, 9.030899869919436), "%.17g", m.sqnr_db);
  CHECK_MSG(NEAR(m.cosine, 0.9970544855015815), "%.17g", m.cosine);
  CHECK(m.max_abs == 0.5 && m.mean_abs == 0.375 && m.equal_share == 0.0);

  /* Sign flip: cosine -1, SQNR 10·log10(1/4). */
  const double r3[] = {1, -2}, t3[] = {-1, 2};
  qi_cmp_buffers(QINFER_DTYPE_DOUBLE, r3, NULL, QINFER_DTYPE_DOUBLE, t3, NULL, 2, &m);
  CHECK(NEAR(m.cosine, -1.0) && NEAR(m.sqnr_db, 10.0 * log10(0.25)) && m.max_abs == 4.0);
}

static void test_edges(void) {
  qi_cmp_metrics m;
  const float a[] = {1, -2, 3}, z[] = {0, 0, 0}, nan3[] = {1, NAN, 3};
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, a, NULL, QINFER_DTYPE_FLOAT, a, NULL, 3, &m);
  CHECK(isinf(m.sqnr_db) && m.sqnr_db > 0 && m.cosine == 1.0 && m.max_abs == 0.0 && m.equal_share == 1.0);
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, z, NULL, QINFER_DTYPE_FLOAT, z, NULL, 3, &m);
  CHECK(isinf(m.sqnr_db) && m.sqnr_db > 0 && m.cosine == 1.0);
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, z, NULL, QINFER_DTYPE_FLOAT, a, NULL, 3, &m);
  CHECK(isinf(m.sqnr_db) && m.sqnr_db < 0 && m.cosine == 0.0 && m.max_abs == 3.0);
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, a, NULL, QINFER_DTYPE_FLOAT, z, NULL, 3, &m);
  CHECK(NEAR(m.sqnr_db, 0.0) && m.cosine == 0.0); /* the error is as large as the signal */
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, a, NULL, QINFER_DTYPE_FLOAT, nan3, NULL, 3, &m);
  CHECK(isnan(m.sqnr_db) && isnan(m.cosine) && isnan(m.max_abs));
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, a, NULL, QINFER_DTYPE_FLOAT, a, NULL, 0, &m);
  CHECK(m.n == 0 && isinf(m.sqnr_db) && m.cosine == 1.0 && m.equal_share == 1.0 && m.mean_abs == 0.0);
  const float inf2[] = {INFINITY, 1};
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, inf2, NULL, QINFER_DTYPE_FLOAT, inf2, NULL, 2, &m);
  CHECK(m.max_abs == 0.0 && m.equal_share == 1.0); /* equal infinities differ by nothing */

  /* Integers: share of equal elements and max difference. */
  const int64_t i1[] = {1, 2, 3}, i2[] = {1, 2, 7};
  qi_cmp_buffers(QINFER_DTYPE_INT64, i1, NULL, QINFER_DTYPE_INT64, i2, NULL, 3, &m);
  CHECK(NEAR(m.equal_share, 2.0 / 3.0) && m.max_abs == 4.0);
}

static void test_dequant(void) {
  /* uint8 [1,2,2] per axis 1: channel 0 scale 0.5 zp 10, channel 1 scale 2 zp 0. */
  const uint8_t q[] = {12, 10, 3, 0};
  const float scale[] = {0.5f, 2.0f};
  const double zp[] = {10, 0};
  qi_cmp_quant p = {.dtype = QINFER_DTYPE_UINT8, .scale = scale, .zero_point = zp, .n_params = 2, .inner = 2};
  const double want[] = {1, 0, 6, 0};
  for (int i = 0; i < 4; i++) CHECK_MSG(qi_cmp_dequant_at(&p, q, i) == want[i], "element %d", i);
  /* against ref {1, 0, 6, 0.5}: Σ r² = 37.25, Σ d² = 0.25 */
  const float ref[] = {1, 0, 6, 0.5f};
  qi_cmp_metrics m;
  qi_cmp_buffers(QINFER_DTYPE_FLOAT, ref, NULL, QINFER_DTYPE_UINT8, q, &p, 4, &m);
  CHECK_MSG(NEAR(m.sqnr_db, 21.73186268412274), "%.17g", m.sqnr_db);
  CHECK_MSG(NEAR(m.cosine, 0.9966386459514937), "%.17g", m.cosine);
  CHECK(m.max_abs == 0.5 && m.mean_abs == 0.125);
  /* both sides dequantized: equal */
  qi_cmp_buffers(QINFER_DTYPE_UINT8, q, &p, QINFER_DTYPE_UINT8, q, &p, 4, &m);
  CHECK(isinf(m.sqnr_db) && m.cosine == 1.0);

  /* int8 per tensor, no zero point: -128 * 0.25 = -32 */
  const int8_t s[] = {-128, 0, 127};
  const float s_scale[] = {0.25f};
  qi_cmp_quant ps = {.dtype = QINFER_DTYPE_INT8, .scale = s_scale, .n_params = 1, .inner = 1};
  CHECK(qi_cmp_dequant_at(&ps, s, 0) == -32.0 && qi_cmp_dequant_at(&ps, s, 1) == 0.0 &&
        qi_cmp_dequant_at(&ps, s, 2) == 31.75);
}

static int cmp_doubles(const void *x, const void *y) {
  return qi_cmp_sqnr_order(*(const double *)x, *(const double *)y);
}

static void test_order_and_format(void) {
  double v[] = {INFINITY, 12.5, NAN, -INFINITY, 3.0, 40.0};
  qsort(v, 6, sizeof v[0], cmp_doubles);
  CHECK(isnan(v[0]) && isinf(v[1]) && v[1] < 0 && v[2] == 3.0 && v[3] == 12.5 && v[4] == 40.0 && isinf(v[5]));
  char b[32];
  CHECK(!strcmp(qi_cmp_fmt(INFINITY, 4, b, 32), "inf"));
  CHECK(!strcmp(qi_cmp_fmt(-INFINITY, 4, b, 32), "-inf"));
  CHECK(!strcmp(qi_cmp_fmt(NAN, 4, b, 32), "nan"));
  CHECK(!strcmp(qi_cmp_fmt(14.771212547196624, 4, b, 32), "14.77"));
  CHECK(!strcmp(qi_cmp_fmt(0.00123456, 3, b, 32), "0.00123"));
}

static void test_csv(void) {
  FILE *f = tmpfile();
  CHECK(f != NULL);
  if (!f) return;
  qi_cmp_csv_field(f, "conv1/out");
  fputc('|', f);
  qi_cmp_csv_field(f, "a,b");
  fputc('|', f);
  qi_cmp_csv_field(f, "say \"hi\"");
  fputc('|', f);
  qi_cmp_csv_field(f, "");
  rewind(f);
  char buf[128] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  CHECK_MSG(n > 0 && !strcmp(buf, "conv1/out|\"a,b\"|\"say \"\"hi\"\"\"|"), "got %s", buf);
}

int main(void) {
  test_basic();
  test_edges();
  test_dequant();
  test_order_and_format();
  test_csv();
  return TEST_SUMMARY();
}
