/* Tester of the int32-output integer gemm (kernels/qu8-gemm-i32): every config of the family's list this CPU can
 * run (the others reported as skipped) against a naive triple loop in int64, exactly: M 1..9 (around and past the
 * 4-row tile), N at 1, 15, 16, 17, 33 and 100 (around the 16-column tile), K at 1, 2, 3, 64, 65 and 767 (odd K: the
 * last pair is half empty), strides wider than the matrix, int8 and uint8 weights, zero points 0, 128 and 255,
 * random bytes and the extremes (x - zp = +-255 against w = -128 / 127 / 255 over the whole depth, the largest
 * sums the precondition allows), and no write outside the M x N block of c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_list.h"
#include "kernels/qu8-gemm-i32/qu8-gemm-i32.h"
#include "test_util.h"

TEST_MAIN_GLOBALS;

static uint32_t rng = 0x12345678u;
static uint32_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
  return rng;
}

enum { FILL_RANDOM, FILL_EXTREME, FILL_KINDS };

static void run_case(const qi_qu8_gemm_i32_config *cfg, size_t m, size_t n, size_t k, bool w_signed, int32_t zp,
                     int fill) {
  const size_t xs = k + 3, ws = n + 5, cs = n + 2; /* strides wider than the rows */
  uint8_t *x = malloc(m * xs), *w = malloc(k * ws);
  int32_t *c = malloc((m * cs + 1) * sizeof(int32_t));
  for (size_t i = 0; i < m * xs; i++) x[i] = fill == FILL_EXTREME ? (zp >= 128 ? 0 : 255) : (uint8_t)next();
  for (size_t i = 0; i < k * ws; i++)
    w[i] = fill == FILL_EXTREME ? (uint8_t)(w_signed ? (zp >= 128 ? 0x80 : 0x7f) : 0xff) : (uint8_t)next();
  for (size_t i = 0; i < m * cs + 1; i++) c[i] = 0x5a5a5a5a;
  cfg->ukernel(m, n, k, x, xs, zp, w, ws, w_signed, c, cs);
  int bad = 0;
  for (size_t r = 0; r < m; r++)
    for (size_t j = 0; j < cs; j++) {
      int64_t want = 0x5a5a5a5a; /* outside the block: untouched */
      if (j < n) {
        want = 0;
        for (size_t kk = 0; kk < k; kk++)
          want += ((int64_t)x[r * xs + kk] - zp) * (w_signed ? (int64_t)(int8_t)w[kk * ws + j] : (int64_t)w[kk * ws + j]);
      }
      if (c[r * cs + j] != want && bad++ < 3)
        CHECK_MSG(0, "%s M=%zu N=%zu K=%zu %s weights zp %d fill %d: c[%zu][%zu] = %d, oracle %lld", cfg->name, m, n,
                  k, w_signed ? "int8" : "uint8", zp, fill, r, j, c[r * cs + j], (long long)want);
    }
  CHECK_MSG(c[m * cs] == 0x5a5a5a5a, "%s M=%zu N=%zu K=%zu: wrote past c", cfg->name, m, n, k);
  CHECK(bad == 0);
  free(x), free(w), free(c);
}

int main(void) {
  size_t count = 0;
  const qi_qu8_gemm_i32_config *const *list = qi_qu8_gemm_i32_config_list(&count);
  static const size_t ms[] = {1, 2, 3, 4, 5, 8, 9}, ns[] = {1, 15, 16, 17, 33, 100}, ks[] = {1, 2, 3, 64, 65, 767};
  static const int32_t zps[] = {0, 128, 255};
  for (size_t i = 0; i < count; i++) {
    if (!kl_runnable(list[i]->name, list[i]->features)) continue;
    for (size_t a = 0; a < sizeof ms / sizeof ms[0]; a++)
      for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++)
        for (size_t d = 0; d < sizeof ks / sizeof ks[0]; d++)
          for (int s = 0; s < 2; s++)
            for (size_t z = 0; z < sizeof zps / sizeof zps[0]; z++)
              run_case(list[i], ms[a], ns[b], ks[d], s, zps[z], FILL_RANDOM);
    /* the largest sums: K at the limit, every term at +-255 * 255 (uint8) or +-255 * 128 (int8) */
    for (int s = 0; s < 2; s++)
      for (size_t z = 0; z < sizeof zps / sizeof zps[0]; z += 2)
        run_case(list[i], 5, 17, QI_QU8_GEMM_I32_MAX_K, s, zps[z], FILL_EXTREME);
    printf("%s: ok\n", list[i]->name);
  }
  return TEST_SUMMARY();
}
