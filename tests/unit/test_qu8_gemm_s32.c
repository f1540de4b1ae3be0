/* Every kernel of the int32-output gemm family (qi_qu8_gemm_s32_config_list) this CPU can run, against the naive
 * oracle of tests/unit/qu8_gemm_tester.h (qg_acc: an int64 dot product of w * (x - x_zp) plus the bias, wrapped to
 * int32), exactly; the others are reported as skipped. Operands are packed through the config's qu8-gemm layout
 * as the ops pack them. Grid: M, N, K below / equal / above the tile and the k-block, uint8 and int8 activations,
 * both stores (NCHW rows and MatMul's transposed store), the largest K; nothing written outside the output. */
#include <stdio.h>
#include <stdlib.h>

#include "kernel_list.h"
#include "kernels/qu8-gemm-s32/qu8-gemm-s32.h"
#include "qu8_gemm_tester.h"

TEST_MAIN_GLOBALS;

static bool check_s32(const qi_qu8_gemm_s32_config *cfg, const qg_problem *p) {
  const qi_qu8_gemm_config *l = &cfg->layout;
  const size_t m = p->m, n = p->n, k = p->k;
  void *pw = malloc(l->packed_w_size(l, m, k));
  uint8_t *px = malloc(qi_qu8_gemm_packed_x_bytes(k, n, l->nr, l->kr));
  const size_t c_size = m * n + 16;
  int32_t *c = malloc(c_size * sizeof(int32_t));
  for (size_t i = 0; i < c_size; i++) c[i] = 0x5a5a5a5a;
  l->pack_w(l, m, k, p->w, k, 1, p->bias, p->scale, qi_qu8_gemm_x_zero_point(l, p->x_zp, p->int8), pw);
  qi_qu8_gemm_pack_x(k, n, l->nr, l->kr, p->x, n, 1, qi_qu8_gemm_x_flip(l, p->int8), px);
  const size_t rs = p->transpose ? 1 : n, cs = p->transpose ? m : 1;
  const size_t panel = qi_qu8_gemm_panel_stride(l, k);
  for (size_t r0 = 0; r0 < m; r0 += l->mr)
    cfg->ukernel(m - r0 < l->mr ? m - r0 : l->mr, n, k, (const uint8_t *)pw + r0 / l->mr * panel, px, c + r0 * rs,
                 rs, cs);
  bool ok = true;
  for (size_t i = 0; i < m && ok; i++)
    for (size_t j = 0; j < n && ok; j++) {
      const int32_t want = qg_acc(p, i, j), got = c[i * rs + j * cs];
      if (got != want) {
        fprintf(stderr, "%s: M=%zu N=%zu K=%zu tile %zux%zuc%zu %s%s: c[%zu][%zu] = %d, want %d (x_zp %d)\n",
                cfg->name, m, n, k, l->mr, l->nr, l->kr, p->int8 ? "int8" : "uint8", p->transpose ? " transposed" : "",
                i, j, got, want, p->x_zp);
        ok = false;
      }
    }
  for (size_t i = m * n; i < c_size && ok; i++)
    if (c[i] != 0x5a5a5a5a) {
      fprintf(stderr, "%s: M=%zu N=%zu K=%zu wrote past the output\n", cfg->name, m, n, k);
      ok = false;
    }
  free(pw), free(px), free(c);
  return ok;
}

int main(void) {
  size_t count;
  const qi_qu8_gemm_s32_config *const *list = qi_qu8_gemm_s32_config_list(&count);
  for (size_t li = 0; li < count; li++) {
    const qi_qu8_gemm_s32_config *cfg = list[li];
    if (!kl_runnable(cfg->name, cfg->features)) continue;
    const size_t mr = cfg->layout.mr, nr = cfg->layout.nr, kr = cfg->layout.kr;
    const size_t ms[] = {1, mr - 1, mr, mr + 1, 2 * mr + 3};
    const size_t ns[] = {1, nr - 1, nr, nr + 1, 2 * nr + 4, 3 * nr + 5}; /* 2 nr + 4: a tail of 4 (half block) */
    const size_t ks[] = {1, 3, kr, kr + 1, 2 * kr + 1, 27, 577, 65536};
    bool ok = true;
    int cases = 0;
    for (size_t a = 0; a < sizeof ms / sizeof ms[0]; a++)
      for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++)
        for (size_t c = 0; c < sizeof ks / sizeof ks[0]; c++) {
          if (ks[c] == 65536 && (a != 3 || b > 2)) continue; /* the largest K on a few shapes */
          qg_problem p;
          qg_alloc(&p, ms[a] ? ms[a] : 1, ns[b] ? ns[b] : 1, ks[c], cases % 2, (cases / 2) % 3 == 0);
          qg_random(&p, 4242u + (uint32_t)(a * 100 + b * 10 + c), false);
          ok &= check_s32(cfg, &p);
          qg_free(&p);
          cases++;
        }
    CHECK_MSG(ok, "%s", cfg->name);
    printf("%s (%zux%zuc%zu): %d cases %s\n", cfg->name, mr, nr, kr, cases, ok ? "ok" : "FAILED");
  }
  return TEST_SUMMARY();
}
