/* qi_qu8_gemm_pack_x's layout (kernels/qu8-gemm/qu8-gemm.h) with NEON for the NEON configs' common case:
 * contiguous rows of X (n_stride 1: the pointwise convolution's input planes), k-blocks of 1, 4 or 8 and blocks of
 * a multiple of 8 columns. Per k-block and group of 8 columns, the kr rows (8 bytes each, XORed with the flip;
 * rows past k are 0, as padded k must read 0, not 0 ^ flip) are interleaved by rounds of zips: bytes of row pairs,
 * then their 16-bit pairs (kr 4: columns of 4 k), then for kr 8 their 32-bit pairs (columns of 8 k). A last,
 * partial block of columns and every other case are the portable packer's. Portable NEON (aarch64 and armv7). */
#include <arm_neon.h>

#include "kernels/qu8-gemm/qu8-gemm.h"

/* 8 columns of 4 rows -> d[j * 4 + i] (32 bytes). */
static inline void zip_rows4(const uint8x8_t r[4], uint8_t *d) {
  const uint8x8x2_t a = vzip_u8(r[0], r[1]), b = vzip_u8(r[2], r[3]); /* val[h]: columns 4h..4h+3, 2 k each */
  for (int h = 0; h < 2; h++) {
    const uint16x4x2_t p = vzip_u16(vreinterpret_u16_u8(a.val[h]), vreinterpret_u16_u8(b.val[h]));
    vst1_u8(d + 16 * h, vreinterpret_u8_u16(p.val[0]));     /* columns 4h, 4h + 1 */
    vst1_u8(d + 16 * h + 8, vreinterpret_u8_u16(p.val[1])); /* columns 4h + 2, 4h + 3 */
  }
}

/* 8 columns of 8 rows -> d[j * 8 + i] (64 bytes). */
static inline void zip_rows8(const uint8x8_t r[8], uint8_t *d) {
  const uint8x8x2_t a = vzip_u8(r[0], r[1]), b = vzip_u8(r[2], r[3]), c = vzip_u8(r[4], r[5]), e = vzip_u8(r[6], r[7]);
  for (int h = 0; h < 2; h++) {
    /* val[g]: columns 4h + 2g, 4h + 2g + 1 with k 0..3 (p) and 4..7 (q) */
    const uint16x4x2_t p = vzip_u16(vreinterpret_u16_u8(a.val[h]), vreinterpret_u16_u8(b.val[h]));
    const uint16x4x2_t q = vzip_u16(vreinterpret_u16_u8(c.val[h]), vreinterpret_u16_u8(e.val[h]));
    for (int g = 0; g < 2; g++) {
      const uint32x2x2_t s = vzip_u32(vreinterpret_u32_u16(p.val[g]), vreinterpret_u32_u16(q.val[g]));
      vst1_u8(d + 8 * (4 * h + 2 * g), vreinterpret_u8_u32(s.val[0]));
      vst1_u8(d + 8 * (4 * h + 2 * g + 1), vreinterpret_u8_u32(s.val[1]));
    }
  }
}

void qi_qu8_gemm_pack_x__neon(size_t k, size_t n, size_t nr, size_t kr, const uint8_t *x, size_t k_stride,
                              size_t n_stride, uint8_t sign_flip, uint8_t *packed) {
  if (n_stride != 1 || (kr != 1 && kr != 4 && kr != 8) || nr % 8 != 0) {
    qi_qu8_gemm_pack_x(k, n, nr, kr, x, k_stride, n_stride, sign_flip, packed);
    return;
  }
  assert(k >= 1 && n >= 1 && x && packed);
  const size_t kp = qi_qu8_round_up(k, kr), full = n / nr * nr;
  const uint8x8_t flip = vdup_n_u8(sign_flip);
  for (size_t n0 = 0; n0 < full; n0 += nr) {
    uint8_t *blk = packed + n0 * kp;
    for (size_t kb = 0; kb < kp; kb += kr) {
      const size_t rows = k - kb < kr ? k - kb : kr;
      for (size_t g = 0; g < nr; g += 8) {
        const uint8_t *src = x + kb * k_stride + n0 + g;
        uint8x8_t r[8];
        for (size_t i = 0; i < kr; i++) r[i] = i < rows ? veor_u8(vld1_u8(src + i * k_stride), flip) : vdup_n_u8(0);
        uint8_t *d = blk + kb * nr + g * kr;
        if (kr == 1) vst1_u8(d, r[0]);
        else if (kr == 4) zip_rows4(r, d);
        else zip_rows8(r, d);
      }
    }
  }
  if (full < n) qi_qu8_gemm_pack_x(k, n - full, nr, kr, x + full, k_stride, 1, sign_flip, packed + full * kp);
}
